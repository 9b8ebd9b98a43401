"""Fiscal archives: a period's data in open formats, sealed, and their verification (no Kivy).

``export(period, folder)`` writes, for one month (``YYYY-MM``):

- ``tickets.csv``, ``ticket_lines.csv``, ``ticket_vat.csv``, ``ticket_payments.csv``,
  ``cash_movements.csv``, ``events.csv`` (UTF-8, ``,``, amounts in integer cents);
- ``closures.json`` (the closures made in the period, with their data);
- ``journal.jsonl`` (the journal records of the period, a contiguous range of the chain,
  one JSON object per line, every field needed to replay it);
- ``DESCRIPTION.md`` (what each file holds and how to verify it);
- ``MANIFEST.sha256`` (``sha256sum -c`` format: the SHA-256 of every file).

The export is itself recorded in the journal (an ``archive`` record holding the
manifest's hash).  ``verify(folder)`` checks the manifest, replays the archived
chain, checks that every ticket of ``tickets.csv`` is the one its journal record
describes, and, when the shop's database is open and holds that range, that the
archive's records are the database's.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from pos.core.errors import Refusal
from pos.core.i18n import _
from pos.data import archive as sql
from pos.data import journal
from pos.data.common import now_iso
from pos.data.models import database

MANIFEST = "MANIFEST.sha256"
FILES = [*sql.TABLES, "closures.json", "journal.jsonl", "DESCRIPTION.md"]
FIELDS = ("seq", "at", "kind", "ref", "payload", "prev_hash", "hash", "alg")


class ArchiveError(Refusal):
    pass


def period_bounds(period: str) -> tuple[str, str]:
    """``2026-11`` → (``2026-11-01``, ``2026-12-01``): compared with the local ISO timestamps."""
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
        raise ArchiveError(_("a period is YYYY-MM, not {period!r}").format(period=period))
    year, month = map(int, period.split("-"))
    end = dt.date(year + month // 12, month % 12 + 1, 1)
    return f"{period}-01", end.isoformat()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


DESCRIPTION = """# Fiscal archive {period}

Shop: {shop} — till: {till} — written {at} by {user} with pos (journal algorithm {alg}).

| file | content |
|---|---|
| tickets.csv | every ticket of the period (sales, refunds, training tickets marked training=1); amounts in cents |
| ticket_lines.csv | their lines (qty_milli: quantity in thousandths; vat_bp: VAT rate in hundredths of a percent) |
| ticket_vat.csv | their VAT per rate: excl. VAT, VAT, incl. VAT |
| ticket_payments.csv | their payments |
| cash_movements.csv | cash put in or taken out of the drawer, and opening floats |
| events.csv | technical events (logins, settings, drawer, reprints, imports...) |
| closures.json | the closures (Z, monthly, yearly) made in the period |
| journal.jsonl | the journal records {first} to {last}: one JSON object per line |
| MANIFEST.sha256 | the SHA-256 of every file above (`sha256sum -c MANIFEST.sha256`) |

## Verifying the chain

Each journal record has `seq`, `at`, `kind`, `ref`, `payload` (canonical JSON: sorted keys, no spaces),
`prev_hash`, `hash` and `alg`. For `alg` = `v1:sha256`:

    hash = SHA-256( prev_hash + "\\n" + alg + "|" + seq + "|" + at + "|" + kind + "|" + ref + "\\n" + payload )

(UTF-8). Each record's `prev_hash` is the previous record's `hash`; `seq` has no gaps. A ticket record's
payload is the whole ticket (lines, VAT, payments). `pos journal verify --archive FOLDER` does all of this.
"""


def export(period: str, folder: str | os.PathLike, user_name: str = "", shop: str = "", till: str = "") -> dict:
    """Write the archive of ``period`` into ``folder`` (created; must be empty) and journal it."""
    start, end = period_bounds(period)
    out = Path(folder)
    if out.exists() and any(out.iterdir()):
        raise ArchiveError(_("{folder} is not empty").format(folder=out))
    with sql.snapshot():  # one read transaction: a sale committed meanwhile is in every file or in none
        rng = sql.journal_range(start, end)
        if rng is None:
            raise ArchiveError(_("nothing was recorded in {period}").format(period=period))
        out.mkdir(parents=True, exist_ok=True)
        for name, (header, query) in sql.TABLES.items():
            with open(out / name, "w", encoding="utf-8", newline="") as f:
                writer = csv.writer(f, lineterminator="\n")
                writer.writerow(header)
                writer.writerows(sql.rows(query, start, end))
        closures = [dict(c, data=json.loads(c["data"])) for c in sql.closures(start, end)]
        (out / "closures.json").write_text(json.dumps(closures, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                           encoding="utf-8")
        with open(out / "journal.jsonl", "w", encoding="utf-8") as f:
            for row in journal.journal_rows("WHERE seq BETWEEN ? AND ?", rng):
                f.write(json.dumps(dict(zip(FIELDS, row)), ensure_ascii=False, sort_keys=True) + "\n")
    at = now_iso()
    (out / "DESCRIPTION.md").write_text(DESCRIPTION.format(period=period, shop=shop, till=till, at=at,
                                                           user=user_name, alg=journal.ALG, first=rng[0],
                                                           last=rng[1]), encoding="utf-8")
    hashes = {name: _sha256(out / name) for name in FILES}
    (out / MANIFEST).write_text("".join(f"{h}  {name}\n" for name, h in hashes.items()), encoding="ascii")
    summary = {"period": period, "first_seq": rng[0], "last_seq": rng[1], "files": hashes,
               "manifest_sha256": _sha256(out / MANIFEST)}
    from pos.data import events as events_db

    events_db.log_event("archive", user_name, **summary)
    return summary


def verify(folder: str | os.PathLike) -> journal.Verdict:
    """Check an archive: its manifest, its chain, its tickets, and the database when it holds the range."""
    root = Path(folder)
    manifest = root / MANIFEST
    if not manifest.is_file():
        return journal.Verdict(False, 0, _("{folder}: no {manifest}").format(folder=root, manifest=MANIFEST))
    listed: dict[str, str] = {}
    for line in manifest.read_text("ascii").splitlines():
        digest, _sep, name = line.partition("  ")
        listed[name] = digest
    for name in sorted(set(FILES) | set(listed)):
        path = root / name
        if name not in listed:
            return journal.Verdict(False, 0, _("{name} is not in the manifest").format(name=name))
        if not path.is_file():
            return journal.Verdict(False, 0, _("{name} is missing").format(name=name))
        if _sha256(path) != listed[name]:
            return journal.Verdict(False, 0, _("{name} was changed: its SHA-256 differs from the manifest")
                                   .format(name=name))
    records = [json.loads(line) for line in (root / "journal.jsonl").read_text("utf-8").splitlines()]
    if not records:
        return journal.Verdict(False, 0, _("journal.jsonl is empty"))
    rows = [tuple(r[k] for k in FIELDS) for r in records]
    verdict = journal.verify_records(rows, expect_first=rows[0][0], prev=None)
    if not verdict.ok:
        return verdict
    by_number = {int(r["ref"]): json.loads(r["payload"]) for r in records if r["kind"] == "ticket"}
    with open(root / "tickets.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            payload: dict[str, Any] | None = by_number.get(int(row["number"]))
            if payload is None:
                return journal.Verdict(False, verdict.records, _("ticket {number} of tickets.csv has no journal "
                                                                 "record").format(number=row["number"]))
            if int(row["total"]) != payload["total"] or row["created_at"] != payload["created_at"]:
                return journal.Verdict(False, verdict.records,
                                       _("ticket {number} of tickets.csv differs from its journal record").format(
                                           number=row["number"]))
    if database.obj is not None and not database.is_closed():
        for seq, digest in ((rows[0][0], rows[0][6]), (rows[-1][0], rows[-1][6])):
            ours = sql.journal_hash(seq)
            if ours is not None and ours != digest:
                return journal.Verdict(False, verdict.records,
                                       _("record {seq} of the archive differs from the database's").format(seq=seq),
                                       seq)
    return journal.Verdict(True, verdict.records, _("archive intact: {n} records ({first} to {last}), "
                                                    "{tickets} tickets").format(
        n=verdict.records, first=rows[0][0], last=rows[-1][0], tickets=len(by_number)))
