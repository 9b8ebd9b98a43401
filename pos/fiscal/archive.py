"""Fiscal archives: a period's data in open formats, sealed, and their verification (no Kivy).

``export(period, folder)`` writes, for one month (``YYYY-MM``):

- ``tickets.csv``, ``ticket_lines.csv``, ``ticket_vat.csv``, ``ticket_payments.csv``,
  ``cash_movements.csv``, ``events.csv`` (UTF-8, ``,``, amounts in integer cents);
- ``closures.json`` (the closures made in the period, with their data);
- ``journal.jsonl`` (the journal records of the period, a contiguous range of the chain,
  one JSON object per line, every field needed to replay it);
- ``DESCRIPTION.md`` (what each file holds and how to verify it);
- ``HEAD`` (the whole journal's head when the archive was made: an anchor, signed);
- ``PUBLIC_KEY`` (the till's Ed25519 public key);
- ``MANIFEST.sha256`` (``sha256sum -c`` format: the SHA-256 of every file);
- ``SIGNATURE`` (the till's signature of the manifest).

The export is itself recorded in the journal (an ``archive`` record holding the
manifest's hash and the head).  ``verify(folder)`` checks the signature, the manifest,
replays the archived chain (and its last record's signature), checks that every ticket
of ``tickets.csv`` is the one its journal record describes, and, when the shop's
database is open and holds that range, that the archive's records and head are the
database's.  ``backup(actor, file)`` copies the database with its signed head beside it.
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

from pos.core.csvcell import neutralise_rows
from pos.core.errors import Refusal
from pos.core.i18n import _
from pos.core.permissions import Actor, check
from pos.data import archive as sql
from pos.data import journal, signing
from pos.data.common import now_iso
from pos.data.models import database

MANIFEST = "MANIFEST.sha256"
SIGNATURE = "SIGNATURE"
FILES = [*sql.TABLES, "closures.json", "journal.jsonl", "DESCRIPTION.md", "HEAD", "PUBLIC_KEY"]
OLD_FILES = FILES[:-2]  # an archive made before signing
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
| journal.jsonl | the journal records {first} to {last}: one JSON object per line, with its signature |
| HEAD | the whole journal's head then: `seq hash genesis last_ticket signature` |
| PUBLIC_KEY | the till's Ed25519 public key (hex), fingerprint {fingerprint} |
| MANIFEST.sha256 | the SHA-256 of every file above (`sha256sum -c MANIFEST.sha256`) |
| SIGNATURE | the Ed25519 signature (hex) of `pos-archive-v1 <SHA-256 of MANIFEST.sha256>` |

## Verifying the chain

Each journal record has `seq`, `at`, `kind`, `ref`, `payload` (canonical JSON: sorted keys, no spaces),
`prev_hash`, `hash` and `alg`. For `alg` = `v1:sha256`:

    hash = SHA-256( prev_hash + "\\n" + alg + "|" + seq + "|" + at + "|" + kind + "|" + ref + "\\n" + payload )

(UTF-8). Each record's `prev_hash` is the previous record's `hash`; `seq` has no gaps. A ticket record's
payload is the whole ticket (lines, VAT, payments). `signature` is the Ed25519 signature of
`pos-journal-v1 <seq> <hash>` by the key of PUBLIC_KEY. `pos journal verify --archive FOLDER` does all of
this; `pos journal verify --anchor-file FOLDER/HEAD` checks the till's database against this archive's head.

## Text cells

A CSV cell that a spreadsheet would take for a formula (text starting with `=`, `+`, `-`, `@`, a tab or a
carriage return, such as an article named `=HYPERLINK(...)`) is written with a leading apostrophe `'`, as
OWASP recommends, so that opening a file never runs it; plain numbers (`-250`) are written as they are. To
read the original text, remove that one apostrophe (a text that itself starts with apostrophes before such a
character has one more). The journal records keep the original texts; the SHA-256 of each file is that of
the file as written.
"""


def export(actor: Actor, period: str, folder: str | os.PathLike, shop: str = "", till: str = "") -> dict:
    """Write the archive of ``period`` into ``folder`` (created; must be empty) and journal it
    (``actor`` needs the ``archive`` permission)."""
    check(actor, "archive")
    user_name = actor.name
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
                writer.writerows(neutralise_rows(sql.rows(query, start, end)))  # no cell is a formula
        closures = [dict(c, data=json.loads(c["data"])) for c in sql.closures(start, end)]
        (out / "closures.json").write_text(json.dumps(closures, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                           encoding="utf-8")
        with open(out / "journal.jsonl", "w", encoding="utf-8") as f:
            sigs = (s[2] for s in signing.signatures(rng[0]))
            for row in journal.journal_rows("WHERE seq BETWEEN ? AND ?", rng):
                f.write(json.dumps(dict(zip(FIELDS, row), signature=next(sigs, None)), ensure_ascii=False,
                                   sort_keys=True) + "\n")
        head = journal.current_head()
    key = signing.private_key()
    if key is None or head is None:
        raise ArchiveError(_("the till has no signing key: an archive cannot be sealed"))
    public = signing.public_hex(key)
    (out / "HEAD").write_text(head.text(), encoding="ascii")
    (out / "PUBLIC_KEY").write_text(f"{signing.ALG} {public}\n", encoding="ascii")
    at = now_iso()
    (out / "DESCRIPTION.md").write_text(DESCRIPTION.format(period=period, shop=shop, till=till, at=at,
                                                           user=user_name, alg=journal.ALG, first=rng[0],
                                                           last=rng[1], fingerprint=signing.fingerprint(public)),
                                        encoding="utf-8")
    hashes = {name: _sha256(out / name) for name in FILES}
    (out / MANIFEST).write_text("".join(f"{h}  {name}\n" for name, h in hashes.items()), encoding="ascii")
    manifest = _sha256(out / MANIFEST)
    (out / SIGNATURE).write_text(signing.sign(key, signing.archive_message(manifest)) + "\n", encoding="ascii")
    summary = {"period": period, "first_seq": rng[0], "last_seq": rng[1], "files": hashes,
               "manifest_sha256": manifest, "key_fingerprint": signing.fingerprint(public),
               "head": f"{head.seq}:{head.hash}", "head_ticket": head.ticket}
    from pos.data import events as events_db

    events_db.log_event("archive", user_name, **summary)
    return summary


def _fail(records: int, message: str, seq: int | None = None) -> journal.Verdict:
    return journal.Verdict(False, records, message, seq, journal.EXIT_TAMPERED)


def _manifest(root: Path) -> tuple[dict[str, str] | None, str]:
    """The files listed by the manifest, each checked against its SHA-256; (None, why) when one is not."""
    listed: dict[str, str] = {}
    for line in (root / MANIFEST).read_text("ascii").splitlines():
        digest, _sep, name = line.partition("  ")
        listed[name] = digest
    expected = FILES if "PUBLIC_KEY" in listed else OLD_FILES
    for name in sorted(set(expected) | set(listed)):
        path = root / name
        if name not in listed:
            return None, _("{name} is not in the manifest").format(name=name)
        if not path.is_file():
            return None, _("{name} is missing").format(name=name)
        if _sha256(path) != listed[name]:
            return None, _("{name} was changed: its SHA-256 differs from the manifest").format(name=name)
    return listed, ""


def _signed_parts(root: Path) -> tuple[str, journal.Head]:
    """The archive's public key and head.  Raises ValueError."""
    alg, _sep, public = (root / "PUBLIC_KEY").read_text("ascii").strip().partition(" ")
    if alg != signing.ALG or len(bytes.fromhex(public)) != 32:
        raise ValueError("PUBLIC_KEY")
    return public, journal.parse_head((root / "HEAD").read_text("ascii"))


def verify(folder: str | os.PathLike) -> journal.Verdict:
    """Check an archive: its signature, its manifest, its chain, its tickets, and the database when it
    holds the range."""
    root = Path(folder)
    if not (root / MANIFEST).is_file():
        return _fail(0, _("{folder}: no {manifest}").format(folder=root, manifest=MANIFEST))
    listed, why = _manifest(root)
    if listed is None:
        return _fail(0, why)
    public, head, warnings = None, None, []
    if "PUBLIC_KEY" in listed:
        try:
            public, head = _signed_parts(root)
            signature = (root / SIGNATURE).read_text("ascii").strip()
        except (OSError, ValueError):
            signature = ""
        if public is None or not signing.check(public, signing.archive_message(_sha256(root / MANIFEST)),
                                               signature):
            return _fail(0, _("the archive's signature does not match its manifest and public key: it was "
                              "changed"))
    else:
        warnings.append(_("an archive made before signing: there is no signature to check"))
    records = [json.loads(line) for line in (root / "journal.jsonl").read_text("utf-8").splitlines()]
    if not records:
        return _fail(0, _("journal.jsonl is empty"))
    rows = [tuple(r[k] for k in FIELDS) for r in records]
    verdict = journal.verify_records(rows, expect_first=rows[0][0], prev=None)
    if not verdict.ok:
        return verdict
    n = verdict.records
    if public is not None and head is not None:
        keys = [k for k in verdict.keys if k[0] <= rows[-1][0]]
        signer = keys[-1][1] if keys else public
        if not signing.check(signer, signing.record_message(rows[-1][0], rows[-1][6]), records[-1].get("signature")):
            return _fail(n, _("record {seq}: its signature does not match").format(seq=rows[-1][0]), rows[-1][0])
        if not signing.check(public, head.signed_message(), head.signature) or head.seq < rows[-1][0]:
            return _fail(n, _("the archive's HEAD is not signed by its key, or is behind its records"))
    by_number = {int(r["ref"]): json.loads(r["payload"]) for r in records if r["kind"] == "ticket"}
    with open(root / "tickets.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            payload: dict[str, Any] | None = by_number.get(int(row["number"]))
            if payload is None:
                return _fail(n, _("ticket {number} of tickets.csv has no journal record").format(number=row["number"]))
            if int(row["total"]) != payload["total"] or row["created_at"] != payload["created_at"]:
                return _fail(n, _("ticket {number} of tickets.csv differs from its journal record").format(
                    number=row["number"]))
    if database.obj is not None and not database.is_closed():
        points = [(rows[0][0], rows[0][6]), (rows[-1][0], rows[-1][6])] + ([(head.seq, head.hash)] if head else [])
        for seq, digest in points:
            ours = sql.journal_hash(seq)
            if ours is not None and ours != digest:
                return _fail(n, _("record {seq} of the archive differs from the database's").format(seq=seq), seq)
    message = _("archive intact: {n} records ({first} to {last}), {tickets} tickets").format(
        n=n, first=rows[0][0], last=rows[-1][0], tickets=len(by_number))
    if public is not None:
        message += "; " + _("signed with key {fp}").format(fp=signing.pretty(signing.fingerprint(public)))
    return journal.Verdict(True, n, message, code=journal.EXIT_KEY if warnings else 0, warnings=warnings)


def backup(actor: Actor, file: str | os.PathLike) -> journal.Head:
    """Copy the database into ``file`` (which must not exist), checked, with its signed head beside it
    (``file.head``, an anchor for ``pos journal verify --anchor-file``); journaled (``pos.fiscal.backup``)."""
    from pos.fiscal.backup import BackupError, write_backup

    try:
        info = write_backup(actor, Path(file))
    except BackupError as exc:
        raise ArchiveError(str(exc)) from exc
    return journal.parse_head(Path(f"{info.path}.head").read_text("ascii"))
