"""Web orders cancelled or refunded on the shop after their import (``prestashop.cancel_states``,
default 6 Canceled and 7 Refunded): the web ticket is refunded, once.

The refund ticket references the web ticket (``refund_of``), gives back what is still refundable of
each line (what the till did not refund already) with the same amounts, is paid back by the web
ticket's payment methods, and is recorded on the ``web`` channel with the order's ledger row in one
transaction (``ps_order_refund``: once only, whatever the number of runs).  ``record_ticket`` journals
it and puts the articles back in stock (once: the ticket is written once); the stock push ignores the
web channel (PrestaShop restocks a cancelled order itself).
"""

from __future__ import annotations

from typing import Any

from pos.core.money import round_div
from pos.data import shop as shop_db
from pos.data import sync_orders as orders_db
from pos.data import sync_push as data
from pos.data import tickets as tickets_db
from pos.sale.basket import Basket, Line, Payment
from pos.sale.draft import TicketDraft, ticket_draft


def cancel_states() -> set[int]:
    from pos.core import settings

    text = settings.get("prestashop.cancel_states") or ""
    return {int(p) for p in text.replace(" ", "").split(",") if p.isdigit()}


def refund_draft(ticket: tickets_db.TicketRecord, created_at: str) -> TicketDraft | None:
    """The refund of what is left of ``ticket`` (None when the till refunded everything already)."""
    done = tickets_db.refunded_qty([ln["id"] for ln in ticket.lines])
    basket = Basket(refund_of=ticket.number, customer_id=ticket.customer_id)
    for ln in ticket.lines:
        already = done.get(ln["id"], 0)
        qty = ln["qty"] - already
        if qty <= 0:
            continue
        net = ln["total"] - round_div(ln["total"] * already, ln["qty"])  # the rest, as Till.start_refund
        basket.lines.append(Line(
            name=ln["name"], unit_price=ln["unit_price"], qty=-qty, vat_bp=ln["vat_bp"], article_id=ln["article"],
            reference=ln["reference"], barcode=ln["barcode"], department=ln["department"],
            list_price=ln["list_price"], refund_of_line=ln["id"], preset_net=-net,
            by_weight=bool(ln["by_weight"])))
    if not basket.lines:
        return None
    totals = basket.totals()
    methods = {m.id: m for m in shop_db.payment_methods(include_inactive=True)}
    paid = [p for p in ticket.payments if p.get("amount")]
    first = methods.get(paid[0]["method"]) if paid else None
    code, name = (first.code, first.name) if first else ("web", "Paiement en ligne")
    basket.payments.append(Payment(code, name, totals.total))  # all back the way it was paid
    user = orders_db.web_user()
    return ticket_draft(basket, totals, user_id=user.id, user_name=user.name, created_at=created_at, channel="web")


def refund_order(id_order: int, state: int, ticket_number: int | None, created_at: str,
                 dry_run: bool = False) -> dict[str, Any]:
    """Turn the imported order ``id_order``, now in a cancel state, into a refund of its web ticket.
    Returns {"refund": number or None, "text": why nothing was refunded}."""
    ticket = tickets_db.get_ticket(ticket_number) if ticket_number else None
    if ticket is None:
        return {"refund": None, "text": "no ticket"}
    draft = refund_draft(ticket, created_at)
    if dry_run:
        return {"refund": None, "text": "" if draft else "refunded at the till"}
    number = data.refund_order(id_order, state, ticket.number, draft)
    return {"refund": number, "text": "" if number else "refunded at the till"}
