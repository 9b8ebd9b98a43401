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

Every record's hash is signed with the till's Ed25519 key in the same transaction
(``pos/data/signing.py``); the head file is signed too, and holds the last ticket
number it has seen, so that a number is never given twice even after a cut.

``verify`` (``pos/data/journal_check.py``) replays the chain, checks the signatures,
the head file and any external anchor, and cross-checks the tickets and closures of
the shop's tables against their journal records.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from pos.core.i18n import _
from pos.data import signing
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


class Head(NamedTuple):
    """The head file (or an anchor file): the last record's seq and hash, the genesis hash, the last
    ticket number seen, and the till's signature of them (older head files have the first three)."""

    seq: int
    hash: str
    genesis: str = ""
    ticket: int = 0
    signature: str = ""

    def text(self) -> str:
        return f"{self.seq} {self.hash} {self.genesis} {self.ticket} {self.signature}".rstrip() + "\n"

    def signed_message(self) -> bytes:
        return signing.head_message(self.seq, self.hash, self.genesis, self.ticket)


def parse_head(text: str) -> Head:
    """A head file's text: ``seq hash [genesis [ticket [signature]]]``.  Raises ValueError."""
    parts = text.split()
    if len(parts) < 2 or len(parts[1]) != 64:
        raise ValueError("not a head: seq hash [genesis ticket signature]")
    return Head(int(parts[0]), parts[1], parts[2] if len(parts) > 2 else "",
                int(parts[3]) if len(parts) > 3 else 0, parts[4] if len(parts) > 4 else "")


def read_head() -> Head | None:
    """The head file, or None (missing or unreadable)."""
    path = head_path()
    try:
        return parse_head(path.read_text("ascii")) if path else None
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def _genesis() -> str:
    row = database.execute_sql("SELECT hash FROM journal WHERE seq = 1").fetchone()
    return row[0] if row else ""


def _same_chain(head: Head) -> bool:
    """The head file belongs to this journal (a database recreated next to an old head file does not)."""
    return not head.genesis or head.genesis == _genesis()


def ticket_floor() -> int:
    """The last ticket number the head file has seen (0 without one): the next ticket is numbered above
    it, so that a number printed on a receipt, an archive or a backup is never given twice."""
    head = read_head()
    floor = head.ticket if head is not None and _same_chain(head) else 0
    return max([floor] + [r["next_ticket"] - 1 for r in restores() if isinstance(r.get("next_ticket"), int)])


def restores() -> list[dict[str, Any]]:
    """The data of the journal's ``restored`` records (``pos.fiscal.backup.restore``): each names the next
    ticket and note numbers, above those given before the restore (a documented gap, never a reuse)."""
    rows = database.execute_sql("SELECT payload FROM journal WHERE kind = 'event' AND ref = 'restored' "
                                "ORDER BY seq").fetchall()
    return [json.loads(p).get("data", {}) for (p,) in rows]


def restored_gaps() -> list[tuple[int, int]]:
    """The ticket numbers (first, last) skipped by restores."""
    return [(r["skipped_tickets"][0], r["skipped_tickets"][1]) for r in restores() if r.get("skipped_tickets")]


def last_ticket_number() -> int:
    return database.execute_sql('SELECT MAX("number") FROM "ticket"').fetchone()[0] or 0


def current_head() -> Head | None:
    """The head of the journal now, signed with the till's key (what the head file, an archive
    and a backup keep)."""
    row = _last()
    if row is None:
        return None
    head = Head(row[0], row[1], _genesis(), max(last_ticket_number(), ticket_floor()))
    key = signing.private_key()
    return head._replace(signature=signing.sign(key, head.signed_message())) if key is not None else head


def write_head() -> None:
    """Write the head (``current_head``) next to the database, after each commit.  Best effort:
    the event is committed whatever happens to this file, and a head that falls behind is never
    taken for a cut-off journal."""
    path = head_path()
    if path is None:
        return
    try:
        head = current_head()
        if head is None:
            return
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", dir=path.parent)  # one per writer: no race
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(head.text())
        os.chmod(tmp, 0o600)  # private, like the database (mkstemp's mode, whatever the umask)
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("journal head file not written: %s", exc)


# ---------------------------------------------------------------- appending
def _last() -> tuple[int, str] | None:
    return database.execute_sql("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()


def _insert(seq: int, at: str, kind: str, ref: str, payload: str, prev: str, key) -> str:
    digest = record_hash(prev, ALG, seq, at, kind, ref, payload)
    database.execute_sql("INSERT INTO journal (seq, at, kind, ref, payload, prev_hash, hash, alg) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (seq, at, kind, ref, payload, prev, digest, ALG))
    if key is not None:  # in the same transaction as the record
        signing.insert_signature(seq, signing.sign(key, signing.record_message(seq, digest)))
    return digest


def recorded_key() -> str | None:
    """The public key (hex) the journal names last: its newest ``key`` record, else its genesis's."""
    row = database.execute_sql("SELECT payload FROM journal WHERE kind IN ('key', 'genesis') "
                               "ORDER BY seq DESC LIMIT 1").fetchone()
    return json.loads(row[0]).get("public_key") if row else None


def key_at(seq: int) -> str | None:
    """The public key (hex) in force at record ``seq``: the last one named at or before it."""
    row = database.execute_sql("SELECT payload FROM journal WHERE kind IN ('key', 'genesis') AND seq <= ? "
                               "ORDER BY seq DESC LIMIT 1", (seq,)).fetchone()
    return json.loads(row[0]).get("public_key") if row else None


def _key_payload(public: str, previous: str | None) -> str:
    return canonical({"alg": signing.ALG, "public_key": public, "fingerprint": signing.fingerprint(public),
                      "previous": signing.fingerprint(previous) if previous else None})


def append(kind: str, ref: str, payload: dict[str, Any] | str, at: str) -> int:
    """Append one record (``payload``: a dict, or text already canonical), signed; call it inside
    the transaction of its event.  Returns its seq.  Call ``write_head()`` once it is committed.

    A new journal's genesis names the till's public key; a journal that names none (written
    before signing) or another one gets a ``key`` record first, from which signing starts."""
    key = signing.private_key()
    public = signing.public_hex(key) if key is not None else None
    last = _last()
    if last is None:
        genesis = {"fingerprint": secrets.token_hex(32), "alg": ALG}
        if public:
            genesis.update(public_key=public, signature_alg=signing.ALG)
        _insert(1, at, "genesis", "", canonical(genesis), ZERO, key)
        last = _last()
    elif public is not None:
        named = recorded_key()
        if named != public:
            _insert(last[0] + 1, at, "key", signing.fingerprint(public), _key_payload(public, named), last[1], key)
            last = _last()
    assert last is not None
    seq, prev = last
    anomaly = _cut_evidence(seq)
    if anomaly:
        data = json.loads(payload) if isinstance(payload, str) else payload
        payload = {**data, "anomaly": anomaly}
    _insert(seq + 1, at, kind, ref, payload if isinstance(payload, str) else canonical(payload), prev, key)
    return seq + 1


def _cut_evidence(seq: int) -> str:
    """Why the journal's end looks cut off before appending record ``seq + 1`` ("" if it does not)."""
    head = read_head()
    if head is not None and _same_chain(head) and (head.seq > seq or _hash_at(head.seq) not in (head.hash, None)):
        return (f"end of chain deletion detected: the head file had record {head.seq} ({head.hash[:16]}…), "
                f"the journal ends at {seq}")
    signed = database.execute_sql("SELECT MAX(seq) FROM journal_signature").fetchone()[0]
    if signed is not None and signed > seq:
        return f"end of chain deletion detected: record {signed} was signed, the journal ends at {seq}"
    return ""


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


def ticket_record_seq(number: int) -> int | None:
    """The seq of ticket ``number``'s record, or None."""
    row = database.execute_sql("SELECT seq FROM journal WHERE kind = 'ticket' AND ref = ?", (str(number),)).fetchone()
    return row[0] if row else None


def hash_at(seq: int) -> str | None:
    """Record ``seq``'s hash, or None."""
    return _hash_at(seq)


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
EXIT_TAMPERED, EXIT_HEAD, EXIT_KEY = 1, 3, 4  # the exit codes of ``pos journal verify`` besides 0


@dataclass
class Verdict:
    ok: bool  # no evidence of tampering found
    records: int
    message: str
    first_bad: int | None = None  # seq of the first bad record
    code: int = 0  # 0 intact; EXIT_TAMPERED; or, when ok, EXIT_HEAD / EXIT_KEY: something could not be vouched for
    warnings: list[str] = field(default_factory=list)
    keys: list[tuple[int, str]] = field(default_factory=list)  # (seq, public key) of the records naming a key
    last: tuple[int, str] | None = None  # the last record replayed (seq, hash)

    def __str__(self) -> str:
        return self.message


def _fail(records: int, seq: int | None, message: str) -> Verdict:
    return Verdict(False, records, message, seq, EXIT_TAMPERED)


def verify_records(rows: Iterable[tuple], expect_first: int = 1, prev: str | None = ZERO) -> Verdict:
    """Replay a chain of (seq, at, kind, ref, payload, prev_hash, hash, alg) rows in seq order.

    ``prev`` is the hash the first row must follow (None: take the first row's prev_hash as given,
    for an archive that starts in the middle of the chain).  Ticket records must follow each other
    by number (1, 2, 3...); the keys named on the way are collected for the signatures."""
    n = 0
    expected_seq = expect_first
    last_seq = None
    last_ticket: int | None = None if expect_first != 1 else 0
    keys: list[tuple[int, str]] = []
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
        if kind == "ticket":
            if last_ticket is not None and ref != str(last_ticket + 1):
                return _fail(n, seq, _("record {seq} holds ticket {ref}, but the previous ticket was {last}: "
                                       "ticket numbers are not gap-free").format(seq=seq, ref=ref, last=last_ticket))
            last_ticket = int(ref)
        elif kind == "event" and ref == "restored" and last_ticket is not None:
            nxt = json.loads(payload).get("data", {}).get("next_ticket")  # a restore skips the numbers given since
            if isinstance(nxt, int) and nxt - 1 > last_ticket:
                last_ticket = nxt - 1
        elif kind == "key" or (kind == "genesis" and '"public_key":' in payload):
            keys.append((seq, json.loads(payload)["public_key"]))
        if '"anomaly":' in payload:
            anomaly = json.loads(payload).get("anomaly")
            if anomaly:
                return _fail(n, seq, _("record {seq} notes an anomaly: {anomaly}").format(seq=seq, anomaly=anomaly))
        if seq == 1 and kind != "genesis":
            return _fail(n, seq, _("record 1 is not the genesis record"))
        prev, expected_seq, last_seq = digest, seq + 1, seq
    verdict = Verdict(True, n, _("{n} records, chain intact").format(n=n), keys=keys)
    verdict.last = (last_seq, prev) if last_seq is not None and prev is not None else None
    return verdict


def journal_rows(where: str = "", params: tuple = ()) -> Iterator[tuple]:
    yield from _cursor_rows("SELECT seq, at, kind, ref, payload, prev_hash, hash, alg FROM journal "
                            f"{where} ORDER BY seq", params)


def verify(anchors: Iterable[Any] = (), all_signatures: bool = False) -> Verdict:
    """Replay the whole chain, check the signatures, the head file and ``anchors``, then the tickets
    and closures against their records (``pos.data.journal_check``)."""
    from pos.data import journal_check

    return journal_check.verify(anchors, all_signatures)
