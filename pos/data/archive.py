"""The SQL of the fiscal archive (``pos/fiscal/archive.py`` writes the files)."""

from __future__ import annotations

from collections.abc import Iterator

from pos.data.journal import _cursor_rows
from pos.data.models import database

TABLES = {
    # file name -> (header, SQL over one period [start, end) of ticket.created_at / at)
    "tickets.csv": (
        ["number", "kind", "channel", "created_at", "user_name", "customer_id", "refund_of", "subtotal",
         "discount_amount", "total", "paid", "change", "training"],
        "SELECT t.number, t.kind, t.channel, t.created_at, t.user_name, t.customer_id, "
        "(SELECT r.number FROM ticket r WHERE r.id = t.refund_of_id), t.subtotal, t.discount_amount, t.total, "
        "t.paid, t.change, t.training FROM ticket t WHERE t.created_at >= ? AND t.created_at < ? ORDER BY t.number"),
    "ticket_lines.csv": (
        ["ticket", "position", "reference", "barcode", "name", "department", "qty_milli", "unit_price", "list_price",
         "vat_bp", "discount_amount", "ticket_discount", "total", "by_weight"],
        "SELECT t.number, l.position, l.reference, l.barcode, l.name, l.department, l.qty, l.unit_price, "
        "l.list_price, l.vat_bp, l.discount_amount, l.ticket_discount, l.total, l.by_weight FROM ticket_line l "
        "JOIN ticket t ON t.id = l.ticket_id WHERE t.created_at >= ? AND t.created_at < ? ORDER BY t.number, l.id"),
    "ticket_vat.csv": (
        ["ticket", "vat_bp", "excl", "vat", "total"],
        "SELECT t.number, v.vat_bp, v.excl, v.vat, v.total FROM ticket_vat v JOIN ticket t ON t.id = v.ticket_id "
        "WHERE t.created_at >= ? AND t.created_at < ? ORDER BY t.number, v.id"),
    "ticket_payments.csv": (
        ["ticket", "method_code", "method_name", "amount"],
        "SELECT t.number, p.method_code, p.method_name, p.amount FROM ticket_payment p "
        "JOIN ticket t ON t.id = p.ticket_id WHERE t.created_at >= ? AND t.created_at < ? ORDER BY t.number, p.id"),
    "cash_movements.csv": (
        ["at", "kind", "amount", "reason", "user_name"],
        "SELECT at, kind, amount, reason, user_name FROM cash_movement WHERE at >= ? AND at < ? ORDER BY id"),
    "events.csv": (
        ["at", "kind", "user_name", "data"],
        "SELECT at, kind, user_name, data FROM event WHERE at >= ? AND at < ? ORDER BY id"),
}


def snapshot():
    """A read transaction: every query inside it sees the same committed state (WAL)."""
    return database.atomic()


def rows(sql: str, start: str, end: str) -> Iterator[tuple]:
    yield from _cursor_rows(sql, (start, end))


def closures(start: str, end: str) -> list[dict]:
    cur = database.execute_sql(
        "SELECT kind, number, till, created_at, user_name, period_start, period_end, first_ticket, last_ticket, "
        "ticket_count, total, perpetual_total, data, journal_seq, last_hash FROM closure "
        "WHERE created_at >= ? AND created_at < ? ORDER BY id", (start, end))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def journal_range(start: str, end: str) -> tuple[int, int] | None:
    """The first and last seq of the records of a period (the archive keeps the whole range between)."""
    row = database.execute_sql("SELECT min(seq), max(seq) FROM journal WHERE at >= ? AND at < ?",
                               (start, end)).fetchone()
    return (row[0], row[1]) if row and row[0] is not None else None


def journal_hash(seq: int) -> str | None:
    row = database.execute_sql("SELECT hash FROM journal WHERE seq = ?", (seq,)).fetchone()
    return row[0] if row else None
