"""Tickets: recording one (gap-free, journaled, durable), reading them back, their prints."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import peewee
from peewee import fn

from pos.core.errors import Refusal
from pos.data import journal, vouchers
from pos.data import stock as stock_db
from pos.data.common import now_iso
from pos.data.models import (
    Ticket,
    TicketLine,
    TicketPrint,
    database,
)
from pos.sale.draft import DraftLine, TicketDraft


@dataclass
class TicketRecord:
    id: int
    number: int
    kind: str
    status: str
    channel: str
    created_at: str
    user_name: str
    customer_id: int | None
    refund_of: int | None  # ticket number
    subtotal: int
    discount_kind: str | None
    discount_value: int | None
    discount_amount: int
    total: int
    paid: int
    change: int
    lines: list[dict[str, Any]] = field(default_factory=list)
    training: bool = False  # a training-mode ticket: out of the fiscal totals, marked on its receipt
    vat: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)
    vouchers: list[dict[str, Any]] = field(default_factory=list)  # notes issued or spent (pos.data.vouchers)
    return_reason: str = ""  # a return taken without a ticket: why


class RefundError(Refusal):
    """A refund gives back more than what is left of the original line."""


def _check_refunds(lines: tuple[DraftLine, ...]) -> None:
    """Inside the write transaction: a line is never refunded beyond what was sold
    (a parked refund, or another till, may have refunded it meanwhile)."""
    refunds = [line for line in lines if line.refund_of_line]
    if not refunds:
        return
    ids = [line.refund_of_line for line in refunds]
    sold = dict(TicketLine.select(TicketLine.id, TicketLine.qty).where(TicketLine.id.in_(ids)).tuples())
    done = refunded_qty(ids)
    for line in refunds:
        original = line.refund_of_line
        if original not in sold:
            from pos.core.i18n import _

            raise RefundError(_("line {line} of the original ticket does not exist").format(line=original))
        if -line.qty + done.get(original, 0) > sold[original]:
            from pos.core.i18n import _

            raise RefundError(_("{name} was already refunded").format(name=line.name))


# The commit path of a sale is hot (one per customer, benchmarked): its statements are
# plain SQL with a fixed column order instead of peewee queries built at each call.
_TICKET_COLS = ("number", "kind", "status", "channel", "created_at", "user_id", "user_name", "customer_id",
                "refund_of_id", "subtotal", "discount_kind", "discount_value", "discount_amount", "total",
                "paid", "change", "training")
_LINE_COLS = ("ticket_id", "position", "article_id", "reference", "barcode", "name", "department", "qty",
              "unit_price", "list_price", "vat_bp", "discount_kind", "discount_value", "discount_amount",
              "ticket_discount", "total", "refund_of_line_id", "by_weight")


def _insert_sql(table: str, cols: tuple[str, ...]) -> str:
    names = ", ".join(f'"{c}"' for c in cols)
    return f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(cols))})'


_SQL_TICKET = _insert_sql("ticket", _TICKET_COLS)
_SQL_LINE = _insert_sql("ticket_line", _LINE_COLS)
_SQL_VAT = _insert_sql("ticket_vat", ("ticket_id", "vat_bp", "total", "excl", "vat"))
_SQL_PAYMENT = _insert_sql("ticket_payment", ("ticket_id", "method_id", "method_code", "method_name", "amount"))


# peewee's own translation of sqlite3 errors into peewee.DatabaseError subclasses
_SQLITE_TO_PEEWEE_ERRORS = peewee.ExceptionWrapper(peewee.EXCEPTIONS)


def _method_ids() -> dict[str, int]:
    return dict(database.execute_sql('SELECT "code", "id" FROM "payment_method"').fetchall())


def record_ticket(draft: TicketDraft, *, clear_basket_of: int | None = None) -> int:
    """Commit one ticket (``pos.sale.draft``: a sale, a refund or a web order), atomically and
    durably.  Returns its gap-free number.

    The number is taken inside the write transaction (BEGIN IMMEDIATE), so two
    tills or processes on one database can never get the same or skip one.  The
    ticket's journal record is appended in the same transaction.  ``clear_basket_of``
    (a user id) deletes that user's saved current basket in the same transaction.
    """
    if type(draft) is not TicketDraft:
        raise TypeError(f"record_ticket records a TicketDraft, not {type(draft).__name__}")
    d = draft
    # the raw cursor below raises sqlite3 errors: translate them into peewee's, like every other query
    with _SQLITE_TO_PEEWEE_ERRORS, database.atomic("IMMEDIATE"):
        methods = _method_ids()
        for p in d.payments:
            if p.method_code not in methods:
                raise ValueError(f"unknown payment method {p.method_code!r}")
        cursor = database.cursor()
        # never a number an anchor has seen (the head file's), even after the journal's end was cut
        number = max(cursor.execute('SELECT MAX("number") FROM "ticket"').fetchone()[0] or 0,
                     journal.ticket_floor()) + 1
        refund_of_id = None
        if d.refund_of is not None:
            row = cursor.execute('SELECT "id" FROM "ticket" WHERE "number" = ?', (d.refund_of,)).fetchone()
            if row is None:
                raise ValueError(f"ticket {d.refund_of} does not exist")
            refund_of_id = row[0]
            _check_refunds(d.lines)
        cursor.execute(_SQL_TICKET, (number, d.kind, "paid", d.channel, d.created_at, d.user_id, d.user_name,
                                     d.customer_id, refund_of_id, d.subtotal, d.discount_kind, d.discount_value,
                                     d.discount_amount, d.total, d.paid, d.change, d.training))
        ticket_id = cursor.lastrowid
        cursor.executemany(_SQL_LINE, [
            (ticket_id, ln.position, ln.article_id, ln.reference, ln.barcode, ln.name, ln.department, ln.qty,
             ln.unit_price, ln.list_price, ln.vat_bp, ln.discount_kind, ln.discount_value, ln.discount_amount,
             ln.ticket_discount, ln.total, ln.refund_of_line, ln.by_weight) for ln in d.lines])
        cursor.executemany(_SQL_VAT, [(ticket_id, v.vat_bp, v.total, v.excl, v.vat) for v in d.vat])
        cursor.executemany(_SQL_PAYMENT, [(ticket_id, methods[p.method_code], p.method_code, p.method_name,
                                           p.amount) for p in d.payments])
        stock = [(ln.qty, ln.article_id) for ln in d.lines if ln.article_id and not d.training]
        # (a web order's stock moves here too: the shop decremented its own when the order was placed)
        if stock:  # a training sale moves no real stock; each line is a stock movement (pos/data/stock.py)
            kind = "web_order" if d.channel == "web" else "refund" if d.kind == "refund" else "sale"
            with stock_db.moving(kind, d.user_name, f"ticket {number}", d.created_at):
                cursor.executemany('UPDATE "article" SET "stock" = "stock" - ? WHERE "id" = ?', stock)
        if clear_basket_of is not None:
            cursor.execute('DELETE FROM "saved_basket" WHERE "kind" = ? AND "user_id" = ?',
                           ("current", clear_basket_of))
        journal.append("ticket", str(number), journal.ticket_payload(ticket_id), d.created_at)
        vouchers.apply_ticket(d, number)  # notes spent or issued, a return's reason: same transaction
    journal.write_head()
    return number


def _rows(sql: str, params: tuple) -> list[dict[str, Any]]:
    """Rows as dicts keyed like peewee's ``.dicts()`` (foreign keys without ``_id``)."""
    cursor = database.execute_sql(sql, params)
    names = [d[0][:-3] if d[0].endswith("_id") else d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


_BOOL_LINE_FIELDS = ("by_weight",)


def _ticket_record(t: dict[str, Any]) -> TicketRecord:
    return TicketRecord(
        id=t["id"], number=t["number"], kind=t["kind"], status=t["status"], channel=t["channel"],
        created_at=t["created_at"], user_name=t["user_name"], customer_id=t["customer"],
        refund_of=t["refund_number"], subtotal=t["subtotal"], discount_kind=t["discount_kind"],
        discount_value=t["discount_value"], discount_amount=t["discount_amount"], total=t["total"],
        paid=t["paid"], change=t["change"], training=bool(t.get("training")))


_SQL_TICKETS = ('SELECT t.*, r."number" AS "refund_number" FROM "ticket" t '
                'LEFT JOIN "ticket" r ON r."id" = t."refund_of_id"')


def get_ticket(number: int) -> TicketRecord | None:
    found = _rows(_SQL_TICKETS + ' WHERE t."number" = ?', (number,))
    if not found:
        return None
    rec = _ticket_record(found[0])
    rec.lines = _rows('SELECT * FROM "ticket_line" WHERE "ticket_id" = ? ORDER BY "position"', (rec.id,))
    for line in rec.lines:
        line["by_weight"] = bool(line["by_weight"])
    rec.vat = _rows('SELECT * FROM "ticket_vat" WHERE "ticket_id" = ? ORDER BY "vat_bp" DESC', (rec.id,))
    rec.payments = _rows('SELECT * FROM "ticket_payment" WHERE "ticket_id" = ? ORDER BY "id"', (rec.id,))
    rec.vouchers = vouchers.for_ticket(rec.number)
    rec.return_reason = vouchers.return_reason(rec.number) or ""
    return rec


def list_tickets(date: str | None = None, number: int | None = None, limit: int = 200,
                 before_number: int | None = None) -> list[TicketRecord]:
    """Newest first.  ``date`` is a local YYYY-MM-DD."""
    where, params = [], []
    if date:
        where.append('t."created_at" >= ? AND t."created_at" < ?')
        params += [date, date + "\uffff"]
    if number is not None:
        where.append('t."number" = ?')
        params.append(number)
    if before_number is not None:
        where.append('t."number" < ?')
        params.append(before_number)
    sql = _SQL_TICKETS + (" WHERE " + " AND ".join(where) if where else "")
    sql += ' ORDER BY t."number" DESC LIMIT ?'
    return [_ticket_record(t) for t in _rows(sql, (*params, limit))]


def refunded_qty(line_ids: list[int]) -> dict[int, int]:
    """Quantity already refunded per original line (positive thousandths)."""
    if not line_ids:
        return {}
    rows = (TicketLine.select(TicketLine.refund_of_line, fn.SUM(TicketLine.qty))
            .where(TicketLine.refund_of_line.in_(line_ids)).group_by(TicketLine.refund_of_line).tuples())
    return {lid: -q for lid, q in rows}


def last_ticket_number() -> int:
    return Ticket.select(fn.MAX(Ticket.number)).scalar() or 0


def iter_ticket_numbers() -> Iterator[int]:
    for (n,) in Ticket.select(Ticket.number).order_by(Ticket.number).tuples():
        yield n


def next_print_copy(ticket_id: int, duplicate: bool = False) -> int:
    """The copy number of the next print of a ticket: 0 while no print has come out (the
    original), then n for the n-th DUPLICATA; a reprint asked as such is at least 1."""
    last = TicketPrint.select(fn.MAX(TicketPrint.copy)).where(TicketPrint.ticket == ticket_id).scalar()
    copy = 0 if last is None else last + 1
    return max(copy, 1) if duplicate else copy


def record_print(ticket_id: int, user_name: str, copy: int) -> None:
    """Record a print that came out (called by the device thread, after the printer took it)."""
    with database.atomic("IMMEDIATE"):
        TicketPrint.create(ticket=ticket_id, at=now_iso(), user_name=user_name, copy=copy)


def print_count(ticket_id: int) -> int:
    return TicketPrint.select().where(TicketPrint.ticket == ticket_id).count()
