"""The fiscal journal: an append-only chain of every ticket, closure and technical event.

Each record is written in the same transaction as its event (``append``), with
a gap-free sequence number, a timestamp, a canonical JSON payload (sorted keys,
no spaces, integer cents), the previous record's hash and its own::

    hash = SHA-256( prev_hash "\\n" alg "|" seq "|" at "|" kind "|" ref "\\n" payload )

``alg`` names the algorithm's version (``v1:sha256``), so that a later version
can be verified beside this one.  The first record (``genesis``) holds a random
32-byte fingerprint of this database.  SQLite triggers and the models refuse
UPDATE and DELETE on the journal.

The tail: a chain alone cannot show that its last records were cut off, so the
head (last seq and hash) is also kept outside the database, in the file
``<database>.head`` written after each commit, and printed on each Z.  If the
head file is ahead of the database when a record is appended, the new record
notes the anomaly (it is chained, so it cannot be removed quietly either), and
``verify`` reports it.

``verify`` replays the chain and cross-checks the tickets and closures of the
shop's tables against their journal records (a changed, deleted, inserted or
reordered record, a ticket row edited after its triggers were dropped, a
forged ticket with no journal record, a cut-off tail).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pos.core.i18n import _
from pos.data.models import database

log = logging.getLogger(__name__)
ALG = "v1:sha256"
ZERO = "0" * 64
# a closure's journal payload: its whole row but the record's own seq (``data`` as an object)
CLOSURE_FIELDS = ("kind", "number", "till", "created_at", "user_name", "period_start", "period_end",
                  "first_ticket", "last_ticket", "ticket_count", "total", "perpetual_total", "last_hash", "data")


def canonical(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def record_hash(prev_hash: str, alg: str, seq: int, at: str, kind: str, ref: str, payload: str) -> str:
    if alg != ALG:
        raise ValueError(f"unknown journal algorithm {alg!r}")
    text = f"{prev_hash}\n{alg}|{seq}|{at}|{kind}|{ref}\n{payload}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- the head file
def head_path() -> Path | None:
    """``<database>.head``, or None for an in-memory database."""
    name = database.obj.database if database.obj is not None else ":memory:"
    return None if name in ("", ":memory:") else Path(f"{name}.head")


def read_head() -> tuple[int, str, str] | None:
    """(seq, hash, genesis hash) of the head file, or None."""
    path = head_path()
    try:
        parts = path.read_text("ascii").split() if path else []
        return int(parts[0]), parts[1], parts[2] if len(parts) > 2 else ""
    except (OSError, ValueError, IndexError):
        return None


def _genesis() -> str:
    row = database.execute_sql("SELECT hash FROM journal WHERE seq = 1").fetchone()
    return row[0] if row else ""


def _same_chain(head: tuple[int, str, str]) -> bool:
    """The head file belongs to this journal (a database recreated next to an old head file does not)."""
    return not head[2] or head[2] == _genesis()


def write_head() -> None:
    """Write the last committed record's seq and hash (and the chain's genesis hash) next to the database,
    after each commit.  Best effort: the event is committed whatever happens to this file, and a
    head that falls behind is never taken for a cut-off journal."""
    path = head_path()
    if path is None:
        return
    try:
        row = database.execute_sql("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
        if row is None:
            return
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", dir=path.parent)  # one per writer: no race
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(f"{row[0]} {row[1]} {_genesis()}\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("journal head file not written: %s", exc)


# ---------------------------------------------------------------- appending
def _last() -> tuple[int, str] | None:
    return database.execute_sql("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()


def _insert(seq: int, at: str, kind: str, ref: str, payload: str, prev: str) -> str:
    digest = record_hash(prev, ALG, seq, at, kind, ref, payload)
    database.execute_sql("INSERT INTO journal (seq, at, kind, ref, payload, prev_hash, hash, alg) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (seq, at, kind, ref, payload, prev, digest, ALG))
    return digest


def append(kind: str, ref: str, payload: dict[str, Any] | str, at: str) -> int:
    """Append one record (``payload``: a dict, or text already canonical); call it inside the
    transaction of its event.  Returns its seq.  Call ``write_head()`` once it is committed."""
    last = _last()
    if last is None:
        genesis = canonical({"fingerprint": secrets.token_hex(32), "alg": ALG})
        _insert(1, at, "genesis", "", genesis, ZERO)
        last = _last()
    assert last is not None
    seq, prev = last
    head = read_head()
    if head is not None and _same_chain(head) and (head[0] > seq or _hash_at(head[0]) not in (head[1], None)):
        data = json.loads(payload) if isinstance(payload, str) else payload
        payload = {**data, "anomaly": f"end of chain deletion detected: the head file had record {head[0]} "
                                      f"({head[1][:16]}…), the journal ends at {seq}"}
    _insert(seq + 1, at, kind, ref, payload if isinstance(payload, str) else canonical(payload), prev)
    return seq + 1


def adopt_existing_tickets(at: str) -> int:
    """Journal the tickets of a database upgraded from before the journal (migration 9), in one
    transaction, after a record saying so.  Returns how many were adopted."""
    if _last() is not None:
        return 0
    with database.atomic("IMMEDIATE"):
        n = database.execute_sql("SELECT count(*) FROM ticket").fetchone()[0]
        if not n:
            return 0
        append("event", "journal_started", {"kind": "journal_started", "user": "",
                                            "data": {"tickets_before_the_journal": n}}, at)
        for number, payload in ticket_payloads():
            append("ticket", str(number), payload, at)
    write_head()
    return n


def _hash_at(seq: int) -> str | None:
    row = database.execute_sql("SELECT hash FROM journal WHERE seq = ?", (seq,)).fetchone()
    return row[0] if row else None


def last_record() -> tuple[int, str] | None:
    """The last committed record's seq and hash (printed on each Z)."""
    return _last()


def count() -> int:
    return database.execute_sql("SELECT count(*) FROM journal").fetchone()[0]


# ---------------------------------------------------------------- ticket payloads
def _cursor_rows(sql: str, params: tuple = ()) -> Iterator[tuple]:
    cur = database.execute_sql(sql, params)
    while True:
        batch = cur.fetchmany(5000)
        if not batch:
            return
        yield from batch


def _obj(alias: str, cols: dict[str, str]) -> str:
    """json_object() with its keys in sorted order: SQLite writes the canonical JSON itself."""
    return "json_object(" + ", ".join(f"'{k}', {v}" for k, v in sorted(cols.items())) + ")"


def _bool(expr: str) -> str:
    return f"json(CASE WHEN {expr} THEN 'true' ELSE 'false' END)"


_LINE = _obj("l", {**{c: f"l.{c}" for c in ("position", "reference", "barcode", "name", "department", "qty",
                                               "unit_price", "list_price", "vat_bp", "discount_kind",
                                               "discount_value", "discount_amount", "ticket_discount", "total")},
                   "by_weight": _bool("l.by_weight"),
                   "refund_of_line": "(SELECT o.position FROM ticket_line o WHERE o.id = l.refund_of_line_id)"})
_VAT = _obj("v", {c: f"v.{c}" for c in ("vat_bp", "total", "excl", "vat")})
_PAYMENT = _obj("p", {c: f"p.{c}" for c in ("method_code", "method_name", "amount")})


def _array(expr: str, table: str, alias: str) -> str:
    return (f"(SELECT json_group_array(json(j)) FROM (SELECT {expr} AS j FROM {table} {alias} "
            f"WHERE {alias}.ticket_id = t.id ORDER BY {alias}.id))")


_TICKET = _obj("t", {**{c: f"t.{c}" for c in ("number", "kind", "channel", "created_at", "user_name",
                                                 "customer_id", "subtotal", "discount_kind", "discount_value",
                                                 "discount_amount", "total", "paid", "change")},
                     "training": _bool("t.training"),
                     "refund_of": "(SELECT r.number FROM ticket r WHERE r.id = t.refund_of_id)",
                     "lines": _array(_LINE, "ticket_line", "l"),
                     "vat": _array(_VAT, "ticket_vat", "v"),
                     "payments": _array(_PAYMENT, "ticket_payment", "p")})


def ticket_payloads(where: str = "", params: tuple = ()) -> Iterator[tuple[int, str]]:
    """(ticket number, canonical payload) of the tickets matching ``where`` (on alias t), built by SQLite
    from the shop's tables: the same query gives the payload journaled with a sale and the one ``verify``
    compares (the whole ticket: lines, VAT, payments)."""
    yield from _cursor_rows(f"SELECT t.number, {_TICKET} FROM ticket t {where} ORDER BY t.number", params)


def ticket_payload(ticket_id: int) -> str:
    return next(ticket_payloads("WHERE t.id = ?", (ticket_id,)))[1]


# ---------------------------------------------------------------- verification
@dataclass
class Verdict:
    ok: bool
    records: int
    message: str
    first_bad: int | None = None  # seq of the first bad record

    def __str__(self) -> str:
        return self.message


def _fail(records: int, seq: int | None, message: str) -> Verdict:
    return Verdict(False, records, message, seq)


def verify_records(rows: Iterable[tuple], expect_first: int = 1, prev: str | None = ZERO) -> Verdict:
    """Replay a chain of (seq, at, kind, ref, payload, prev_hash, hash, alg) rows in seq order.

    ``prev`` is the hash the first row must follow (None: take the first row's prev_hash as given,
    for an archive that starts in the middle of the chain)."""
    n = 0
    expected_seq = expect_first
    last_seq = None
    for seq, at, kind, ref, payload, prev_hash, digest, alg in rows:
        n += 1
        if seq != expected_seq:
            if seq > expected_seq:
                return _fail(n, expected_seq, _("record {n} is missing (the next one is {seq})")
                             .format(n=expected_seq, seq=seq))
            return _fail(n, seq, _("record {seq} is out of order or duplicated (after {last})")
                         .format(seq=seq, last=last_seq))
        if prev is not None and prev_hash != prev:
            return _fail(n, seq, _("record {seq} does not follow record {prev}: the chain is broken "
                                   "(a record was changed, inserted, removed or moved)").format(seq=seq, prev=seq - 1))
        try:
            again = record_hash(prev_hash, alg, seq, at, kind, ref, payload)
        except ValueError as exc:
            return _fail(n, seq, _("record {seq}: {error}").format(seq=seq, error=exc))
        if again != digest:
            return _fail(n, seq, _("record {seq} ({kind} {ref}) was changed: its hash does not match its "
                                   "content").format(seq=seq, kind=kind, ref=ref))
        if '"anomaly":' in payload:
            anomaly = json.loads(payload).get("anomaly")
            if anomaly:
                return _fail(n, seq, _("record {seq} notes an anomaly: {anomaly}").format(seq=seq, anomaly=anomaly))
        if seq == 1 and kind != "genesis":
            return _fail(n, seq, _("record 1 is not the genesis record"))
        prev, expected_seq, last_seq = digest, seq + 1, seq
    return Verdict(True, n, _("{n} records, chain intact").format(n=n))


def journal_rows(where: str = "", params: tuple = ()) -> Iterator[tuple]:
    yield from _cursor_rows("SELECT seq, at, kind, ref, payload, prev_hash, hash, alg FROM journal "
                            f"{where} ORDER BY seq", params)


def verify() -> Verdict:
    """Replay the whole chain, check the head file, then the tickets and closures against their records."""
    verdict = verify_records(journal_rows())
    if not verdict.ok:
        return verdict
    n = verdict.records
    last = _last()
    head = read_head()
    if head is not None and not _same_chain(head):
        head = None  # the head file of another database (recreated here); the next commit replaces it
    if head is not None:
        if last is None or head[0] > last[0]:
            return _fail(n, (last[0] + 1) if last else 1,
                         _("the journal was cut off: the head file names record {head}, the journal ends at "
                           "{last}").format(head=head[0], last=last[0] if last else 0))
        if _hash_at(head[0]) != head[1]:
            return _fail(n, head[0], _("record {seq} differs from the head file's hash").format(seq=head[0]))
    # every ticket row is what its journal record says, and every ticket has one
    journaled = _cursor_rows("SELECT CAST(ref AS INTEGER), payload, seq FROM journal WHERE kind = 'ticket' "
                             "ORDER BY CAST(ref AS INTEGER)")
    rec = next(journaled, None)
    for number, payload in ticket_payloads():
        if rec is not None and rec[0] < number:
            return _fail(n, rec[2], _("ticket {number} is in the journal (record {seq}) but not in the tickets").format(
                number=rec[0], seq=rec[2]))
        if rec is None or rec[0] != number:
            return _fail(n, None, _("ticket {number} has no journal record: it was inserted outside the till")
                         .format(number=number))
        if rec[1] != payload:
            return _fail(n, rec[2], _("ticket {number} differs from its journal record {seq}: it was changed").format(
                number=number, seq=rec[2]))
        rec = next(journaled, None)
    if rec is not None:
        return _fail(n, rec[2], _("ticket {number} is in the journal (record {seq}) but not in the tickets").format(
                number=rec[0], seq=rec[2]))
    cols = ", ".join(f'"{c}"' for c in CLOSURE_FIELDS)
    for row in database.execute_sql(f"SELECT journal_seq, {cols} FROM closure ORDER BY id").fetchall():
        seq, fields = row[0], dict(zip(CLOSURE_FIELDS, row[1:]))
        fields["data"] = json.loads(fields["data"])
        record = database.execute_sql("SELECT payload FROM journal WHERE seq = ? AND kind = 'closure'",
                                      (seq,)).fetchone()
        if record is None or json.loads(record[0]) != fields:
            return _fail(n, seq, _("closure {kind} {number} differs from its journal record {seq}").format(
                kind=fields["kind"], number=fields["number"], seq=seq))
    # ...and every closure record still has its row (a deleted Z would let the day be closed again)
    for seq, ref in database.execute_sql(
            "SELECT j.seq, j.ref FROM journal j WHERE j.kind = 'closure' AND NOT EXISTS "
            "(SELECT 1 FROM closure c WHERE c.journal_seq = j.seq) ORDER BY j.seq").fetchall():
        return _fail(n, seq, _("closure {ref} of journal record {seq} was deleted").format(ref=ref, seq=seq))
    # cash movements (they make the expected cash) against their events, both ways
    events = {}
    for seq, payload in database.execute_sql(
            "SELECT seq, payload FROM journal WHERE kind = 'event' AND ref IN ('cash_float', 'cash_in', 'cash_out')"):
        event = json.loads(payload)
        events[event["data"].get("movement")] = (seq, event)
    for mid, kind, amount, reason in database.execute_sql(
            "SELECT id, kind, amount, reason FROM cash_movement ORDER BY id").fetchall():
        seq, event = events.pop(mid, (None, None))
        if event is None:
            return _fail(n, None, _("cash movement {id} has no journal record: it was inserted outside the till")
                         .format(id=mid))
        if (event["kind"], event["data"].get("amount"), event["data"].get("reason")) != (f"cash_{kind}", amount,
                                                                                         reason):
            return _fail(n, seq, _("cash movement {id} differs from its journal record {seq}").format(id=mid, seq=seq))
    for mid, (seq, _event) in sorted(events.items(), key=lambda e: e[1][0]):
        return _fail(n, seq, _("cash movement {id} of journal record {seq} was deleted").format(id=mid, seq=seq))
    return Verdict(True, n, _("{n} records, chain intact, tickets and closures match the journal").format(n=n))
