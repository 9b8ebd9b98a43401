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
import os
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .models import database

ALG = "v1:sha256"
ZERO = "0" * 64


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


def read_head() -> tuple[int, str] | None:
    path = head_path()
    try:
        seq, digest = path.read_text("ascii").split() if path else ("", "")
        return int(seq), digest
    except (OSError, ValueError):
        return None


def write_head() -> None:
    """Write the last committed record's seq and hash next to the database (after each commit)."""
    path = head_path()
    if path is None:
        return
    row = database.execute_sql("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
    if row is None:
        return
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="ascii") as f:
        f.write(f"{row[0]} {row[1]}\n")
    os.replace(tmp, path)


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
    if head is not None and (head[0] > seq or _hash_at(head[0]) not in (head[1], None)):
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
_T_COLS = ("number", "kind", "channel", "created_at", "user_name", "customer_id", "subtotal", "discount_kind",
           "discount_value", "discount_amount", "total", "paid", "change", "training")
_L_COLS = ("position", "reference", "barcode", "name", "department", "qty", "unit_price", "list_price", "vat_bp",
           "discount_kind", "discount_value", "discount_amount", "ticket_discount", "total", "by_weight")
_V_COLS = ("vat_bp", "total", "excl", "vat")
_P_COLS = ("method_code", "method_name", "amount")


def _ticket_sql(where: str) -> tuple[str, str, str, str]:
    t = ", ".join(f't."{c}"' for c in _T_COLS)
    return (
        f'SELECT t.id, {t}, (SELECT r.number FROM ticket r WHERE r.id = t.refund_of_id) FROM ticket t {where} '
        "ORDER BY t.id",
        f'SELECT l.ticket_id, {", ".join(f"l.{c}" for c in _L_COLS)}, '
        "(SELECT o.position FROM ticket_line o WHERE o.id = l.refund_of_line_id) "
        f"FROM ticket_line l JOIN ticket t ON t.id = l.ticket_id {where} ORDER BY l.ticket_id, l.id",
        f'SELECT v.ticket_id, {", ".join(f"v.{c}" for c in _V_COLS)} '
        f"FROM ticket_vat v JOIN ticket t ON t.id = v.ticket_id {where} ORDER BY v.ticket_id, v.id",
        f'SELECT p.ticket_id, {", ".join(f"p.{c}" for c in _P_COLS)} '
        f"FROM ticket_payment p JOIN ticket t ON t.id = p.ticket_id {where} ORDER BY p.ticket_id, p.id",
    )


def _grouped(rows: Iterable[tuple]) -> Iterator[tuple[int, list[tuple]]]:
    """(ticket id, its rows) from rows sorted by ticket id (first column)."""
    current, bucket = None, []
    for row in rows:
        if row[0] != current:
            if current is not None:
                yield current, bucket
            current, bucket = row[0], []
        bucket.append(row[1:])
    if current is not None:
        yield current, bucket


def _cursor_rows(sql: str, params: tuple = ()) -> Iterator[tuple]:
    cur = database.execute_sql(sql, params)
    while True:
        batch = cur.fetchmany(5000)
        if not batch:
            return
        yield from batch


def ticket_payloads(where: str = "", params: tuple = ()) -> Iterator[tuple[int, str]]:
    """(ticket number, canonical payload) of the tickets matching ``where`` (on alias t), from the shop's
    tables: the same function gives the payload journaled with a sale and the one ``verify`` compares."""
    t_sql, l_sql, v_sql, p_sql = _ticket_sql(where)
    subs = [_grouped(_cursor_rows(sql, params)) for sql in (l_sql, v_sql, p_sql)]
    heads: list[tuple[int, list[tuple]] | None] = [next(s, None) for s in subs]
    for row in _cursor_rows(t_sql, params):
        tid, values, refund_of = row[0], row[1:-1], row[-1]
        parts: list[list[tuple]] = []
        for k, sub in enumerate(subs):
            head = heads[k]
            while head is not None and head[0] < tid:
                head = next(sub, None)
            if head is not None and head[0] == tid:
                parts.append(head[1])
                head = next(sub, None)
            else:
                parts.append([])
            heads[k] = head
        payload = dict(zip(_T_COLS, values))
        payload["training"] = bool(payload["training"])
        payload["refund_of"] = refund_of
        payload["lines"] = [dict(zip((*_L_COLS, "refund_of_line"), (*r[:-2], bool(r[-2]), r[-1])))
                            for r in parts[0]]
        payload["vat"] = [dict(zip(_V_COLS, r)) for r in parts[1]]
        payload["payments"] = [dict(zip(_P_COLS, r)) for r in parts[2]]
        yield payload["number"], canonical(payload)


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
                return _fail(n, expected_seq, f"record {expected_seq} is missing (the next one is {seq})")
            return _fail(n, seq, f"record {seq} is out of order or duplicated (after {last_seq})")
        if prev is not None and prev_hash != prev:
            return _fail(n, seq, f"record {seq} does not follow record {seq - 1}: the chain is broken "
                                 "(a record was changed, inserted, removed or moved)")
        try:
            again = record_hash(prev_hash, alg, seq, at, kind, ref, payload)
        except ValueError as exc:
            return _fail(n, seq, f"record {seq}: {exc}")
        if again != digest:
            return _fail(n, seq, f"record {seq} ({kind} {ref}) was changed: its hash does not match its content")
        if '"anomaly":' in payload:
            anomaly = json.loads(payload).get("anomaly")
            if anomaly:
                return _fail(n, seq, f"record {seq} notes an anomaly: {anomaly}")
        if seq == 1 and kind != "genesis":
            return _fail(n, seq, "record 1 is not the genesis record")
        prev, expected_seq, last_seq = digest, seq + 1, seq
    return Verdict(True, n, f"{n} records, chain intact")


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
    if head is not None:
        if last is None or head[0] > last[0]:
            return _fail(n, (last[0] + 1) if last else 1,
                         f"the journal was cut off: the head file names record {head[0]}, "
                         f"the journal ends at {last[0] if last else 0}")
        if _hash_at(head[0]) != head[1]:
            return _fail(n, head[0], f"record {head[0]} differs from the head file's hash")
    # every ticket row is what its journal record says, and every ticket has one
    journaled = _cursor_rows("SELECT CAST(ref AS INTEGER), payload, seq FROM journal WHERE kind = 'ticket' "
                             "ORDER BY CAST(ref AS INTEGER)")
    rec = next(journaled, None)
    for number, payload in ticket_payloads():
        if rec is not None and rec[0] < number:
            return _fail(n, rec[2], f"ticket {rec[0]} is in the journal (record {rec[2]}) but not in the tickets")
        if rec is None or rec[0] != number:
            return _fail(n, None, f"ticket {number} has no journal record: it was inserted outside the till")
        if rec[1] != payload:
            return _fail(n, rec[2], f"ticket {number} differs from its journal record {rec[2]}: it was changed")
        rec = next(journaled, None)
    if rec is not None:
        return _fail(n, rec[2], f"ticket {rec[0]} is in the journal (record {rec[2]}) but not in the tickets")
    for kind, number, data, seq in database.execute_sql(
            "SELECT kind, number, data, journal_seq FROM closure ORDER BY id"):
        row = database.execute_sql("SELECT payload FROM journal WHERE seq = ? AND kind = 'closure'",
                                   (seq,)).fetchone()
        if row is None or json.loads(row[0]).get("data") != json.loads(data):
            return _fail(n, seq, f"closure {kind} {number} differs from its journal record {seq}")
    return Verdict(True, n, f"{n} records, chain intact, tickets and closures match the journal"
                   + (f", head file at record {head[0]}" if head else ""))
