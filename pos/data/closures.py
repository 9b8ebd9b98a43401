"""The SQL of closures (daily Z, monthly, yearly) and cash movements.

The arithmetic and the rules live in ``pos/fiscal/closures.py``; this module only reads
the tickets of a range of numbers, the cash movements and the closures, and
writes a closure or a movement together with its journal record.  Writers are
called inside ``write_transaction()`` (``BEGIN IMMEDIATE``): nothing can be sold
between the read of a period and the insert of its closure, so every ticket is
in exactly one Z.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pos.data import events, journal
from pos.data.models import database

_CLOSURE_COLS = ("id", "kind", "number", "till", "created_at", "user_name", "period_start", "period_end",
                 "first_ticket", "last_ticket", "ticket_count", "total", "perpetual_total", "data",
                 "journal_seq", "last_hash")
_MOVEMENT_COLS = ("id", "at", "kind", "amount", "reason", "user_name")


def write_transaction():
    """The one write transaction of a closure or a movement (``BEGIN IMMEDIATE``)."""
    return database.atomic("IMMEDIATE")


def read_transaction():
    """One consistent snapshot for a report that stores nothing (the X report)."""
    return database.atomic()


def after_commit() -> None:
    """Once committed: the journal's head file follows."""
    if not database.in_transaction():
        journal.write_head()


# ---------------------------------------------------------------- closures
def _closure(row: tuple) -> dict[str, Any]:
    c = dict(zip(_CLOSURE_COLS, row))
    c["data"] = json.loads(c["data"])
    return c


def _names(cols: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f'"{c}"' for c in cols)


_SELECT_CLOSURE = f'SELECT {_names(_CLOSURE_COLS)} FROM "closure"'


def closures(kind: str | None = None, after_number: int = 0) -> list[dict[str, Any]]:
    """Closures (rows with ``data`` parsed), oldest first; of one kind with a number > ``after_number``."""
    if kind is None:
        rows = database.execute_sql(_SELECT_CLOSURE + ' ORDER BY "id"').fetchall()
    else:
        rows = database.execute_sql(_SELECT_CLOSURE + ' WHERE "kind" = ? AND "number" > ? ORDER BY "number"',
                                    (kind, after_number)).fetchall()
    return [_closure(r) for r in rows]


def get_closure(kind: str, number: int) -> dict[str, Any] | None:
    row = database.execute_sql(_SELECT_CLOSURE + ' WHERE "kind" = ? AND "number" = ?', (kind, number)).fetchone()
    return _closure(row) if row else None


def last_closure(kind: str) -> dict[str, Any] | None:
    row = database.execute_sql(_SELECT_CLOSURE + ' WHERE "kind" = ? ORDER BY "number" DESC LIMIT 1',
                               (kind,)).fetchone()
    return _closure(row) if row else None


def last_closure_with_children(kind: str) -> dict[str, Any] | None:
    """The newest closure of ``kind`` whose ``data["closures"]`` is not empty."""
    for row in database.execute_sql(_SELECT_CLOSURE + ' WHERE "kind" = ? ORDER BY "number" DESC', (kind,)):
        c = _closure(row)
        if c["data"].get("closures"):
            return c
    return None


def next_number(kind: str) -> int:
    row = database.execute_sql('SELECT MAX("number") FROM "closure" WHERE "kind" = ?', (kind,)).fetchone()
    return (row[0] or 0) + 1


def last_day_ticket() -> int:
    """The last ticket number in a daily Z (0 if none)."""
    row = database.execute_sql('SELECT MAX("last_ticket") FROM "closure" WHERE "kind" = ?', ("day",)).fetchone()
    return row[0] or 0


def insert_closure(closure: dict[str, Any]) -> int:
    """Journal then insert a closure (inside ``write_transaction()``).  Returns its journal seq.

    The journal record's payload is the whole row (``journal.CLOSURE_FIELDS``), so that
    ``journal.verify()`` can compare them field by field."""
    data = closure["data"]
    seq = journal.append("closure", f"{closure['kind']}-{closure['number']}",
                         {k: closure[k] for k in journal.CLOSURE_FIELDS}, closure["created_at"])
    values = dict(closure, data=journal.canonical(data), journal_seq=seq)
    cols = [c for c in _CLOSURE_COLS if c != "id"]
    database.execute_sql(
        f'INSERT INTO "closure" ({_names(cols)}) '
        f'VALUES ({", ".join("?" * len(cols))})', tuple(values[c] for c in cols))
    return seq


def journal_last() -> tuple[int, str]:
    """The journal's last record (seq, hash); (0, 64 zeros) while it is empty."""
    last = journal.last_record()
    return (last[0], last[1]) if last else (0, journal.ZERO)


# ---------------------------------------------------------------- tickets of a period
def ticket_bounds(after: int) -> tuple[int, int, str | None]:
    """(count, last number, created_at of the first) of the tickets numbered above ``after``."""
    row = database.execute_sql(
        'SELECT COUNT(*), MAX("number"), (SELECT "created_at" FROM "ticket" WHERE "number" > ? '
        'ORDER BY "number" LIMIT 1) FROM "ticket" WHERE "number" > ?', (after, after)).fetchone()
    return row[0], row[1] or after, row[2]


def ticket_totals(after: int, upto: int) -> list[tuple[bool, str, int, int, int, int]]:
    """Per (training, kind): (training, kind, count, sum of totals, sum of change, sum of ticket discounts).
    The change of web tickets (channel ``web``) is left out: no drawer gave it."""
    rows = database.execute_sql(
        'SELECT "training", "kind", COUNT(*), SUM("total"), '
        'SUM(CASE WHEN "channel" = \'web\' THEN 0 ELSE "change" END), SUM("discount_amount") FROM "ticket" '
        'WHERE "number" > ? AND "number" <= ? GROUP BY "training", "kind"', (after, upto)).fetchall()
    return [(bool(r[0]), r[1], r[2], r[3] or 0, r[4] or 0, r[5] or 0) for r in rows]


def line_discounts(after: int, upto: int) -> int:
    """Line discounts of the non-training sales numbered in (after, upto]."""
    row = database.execute_sql(
        'SELECT SUM(l."discount_amount") FROM "ticket_line" l JOIN "ticket" t ON t."id" = l."ticket_id" '
        'WHERE t."number" > ? AND t."number" <= ? AND t."training" = 0 AND t."kind" = ?',
        (after, upto, "sale")).fetchone()
    return row[0] or 0


def vat_totals(after: int, upto: int) -> list[tuple[int, int, int, int]]:
    """(vat_bp, excl, vat, total) of the non-training tickets numbered in (after, upto], rate descending."""
    return database.execute_sql(
        'SELECT v."vat_bp", SUM(v."excl"), SUM(v."vat"), SUM(v."total") FROM "ticket_vat" v '
        'JOIN "ticket" t ON t."id" = v."ticket_id" WHERE t."number" > ? AND t."number" <= ? AND t."training" = 0 '
        'GROUP BY v."vat_bp" ORDER BY v."vat_bp" DESC', (after, upto)).fetchall()


def payment_rows(after: int, upto: int) -> Iterator[tuple[int, int, str, str, int, bool]]:
    """(ticket id, ticket change, method code, method name, amount tendered, gives change) of the
    non-training tickets numbered in (after, upto], by ticket then payment order.  A web ticket's
    payments never give change (channel ``web``: they are not in the drawer, whatever the method)."""
    cur = database.execute_sql(
        'SELECT t."id", CASE WHEN t."channel" = \'web\' THEN 0 ELSE t."change" END, p."method_code", '
        'p."method_name", p."amount", '
        'CASE WHEN t."channel" = \'web\' THEN 0 ELSE COALESCE(m."gives_change", 0) END '
        'FROM "ticket_payment" p JOIN "ticket" t ON t."id" = p."ticket_id" '
        'LEFT JOIN "payment_method" m ON m."id" = p."method_id" '
        'WHERE t."number" > ? AND t."number" <= ? AND t."training" = 0 ORDER BY t."id", p."id"', (after, upto))
    while True:
        batch = cur.fetchmany(5000)
        if not batch:
            return
        for r in batch:
            yield r[0], r[1], r[2], r[3], r[4], bool(r[5])


def method_positions() -> dict[str, tuple[int, str]]:
    """Payment method code -> (position, current name): the order of the payments in a closure."""
    return {code: (pos, name) for code, pos, name in
            database.execute_sql('SELECT "code", "position", "name" FROM "payment_method"').fetchall()}


def ticket_is_training(number: int) -> bool | None:
    """Whether ticket ``number`` was rung up in training mode (None: no such ticket)."""
    row = database.execute_sql('SELECT "training" FROM "ticket" WHERE "number" = ?', (number,)).fetchone()
    return None if row is None else bool(row[0])


# ---------------------------------------------------------------- cash movements
def movements(after_id: int = 0, upto_id: int | None = None) -> list[dict[str, Any]]:
    """Cash movements with an id in (after_id, upto_id], oldest first."""
    sql = f'SELECT {_names(_MOVEMENT_COLS)} FROM "cash_movement" WHERE "id" > ?'
    params: tuple = (after_id,)
    if upto_id is not None:
        sql += ' AND "id" <= ?'
        params += (upto_id,)
    return [dict(zip(_MOVEMENT_COLS, r)) for r in database.execute_sql(sql + ' ORDER BY "id"', params).fetchall()]


def last_movement_id() -> int:
    return database.execute_sql('SELECT MAX("id") FROM "cash_movement"').fetchone()[0] or 0


def insert_movement(kind: str, amount: int, reason: str, user_name: str, at: str) -> dict[str, Any]:
    """Record a cash movement and its journal event, in one transaction.  Returns the movement."""
    with write_transaction():
        cur = database.execute_sql(
            'INSERT INTO "cash_movement" ("at", "kind", "amount", "reason", "user_name") VALUES (?, ?, ?, ?, ?)',
            (at, kind, amount, reason, user_name))
        movement = {"id": cur.lastrowid, "at": at, "kind": kind, "amount": amount, "reason": reason,
                    "user_name": user_name}
        events.log_event(f"cash_{kind}", user_name, movement=movement["id"], amount=amount, reason=reason)
    after_commit()
    return movement
