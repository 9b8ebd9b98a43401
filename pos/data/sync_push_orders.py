"""The SQL of the order push (``pos/sync/push_orders.py``): the tickets to send, the outbox, the till customer.

The state lives in hidden settings (``sync.state.*``, see ``pos/data/sync.py``):

- ``push_orders.last_ticket``: the last ticket number handled (sent, or skipped); when absent, the
  stock push's ``stock.last_ticket`` (switching from stock to orders goes on where the stock push stopped);
- ``push_orders.ticket.<number>``: the outbox / ledger, one row per ticket (JSON: ``number``,
  ``id_cart``, ``id_order``, ``status``, ``state``, ``note``).  The ``id_cart`` is committed **before**
  the order is posted, so that a retry looks the order up by that cart first;
- ``push_orders.customer``: the till's customer and address on the shop (JSON), created once.

Each ticket's outcome is committed in its own transaction, with the last ticket; the stock push's
last ticket moves along (those sales reach the shop's stock through the orders: switching back to
stock mode must not push them again).
"""

from __future__ import annotations

import json
from typing import Any

from pos.data import tickets as tickets_db
from pos.data.models import database
from pos.data.sync import get_state, set_state

LAST_TICKET = "push_orders.last_ticket"
TICKET = "push_orders.ticket."
CUSTOMER = "push_orders.customer"
STOCK_LAST_TICKET = "stock.last_ticket"
STOCK_BATCH = "stock.batch"


def last_pushed_ticket() -> int:
    """The last ticket number handled (0: none yet)."""
    value = get_state(LAST_TICKET) or get_state(STOCK_LAST_TICKET, "0")
    return int(value) if value.isdigit() else 0


def last_ticket_number() -> int:
    return tickets_db.last_ticket_number()


def stock_batch_pending() -> bool:
    return bool(get_state(STOCK_BATCH))


def tickets(after: int, upto: int) -> list[dict[str, Any]]:
    """The channel ``pos`` tickets numbered in ``(after, upto]``, training excluded, by number.

    Each: ``number, kind, total, payment`` (the payment method names) and ``lines``: [{``reference,
    qty`` (thousandths), ``total`` (cents, after every discount), ``by_weight, id_product,
    id_product_attribute``}] (the ids None for a line without a linked article).
    """
    rows = database.execute_sql(
        'SELECT t."id", t."number", t."kind", t."total" FROM "ticket" t '
        'WHERE t."number" > ? AND t."number" <= ? AND t."channel" = \'pos\' AND t."training" = 0 '
        'ORDER BY t."number"', (after, upto)).fetchall()
    out = []
    for tid, number, kind, total in rows:
        lines = database.execute_sql(
            'SELECT tl."reference", tl."qty", tl."total", tl."by_weight", l."id_product", l."id_product_attribute" '
            'FROM "ticket_line" tl LEFT JOIN "ps_link" l ON l."article_id" = tl."article_id" '
            'WHERE tl."ticket_id" = ? ORDER BY tl."position"', (tid,)).fetchall()
        payments = database.execute_sql(
            'SELECT "method_name" FROM "ticket_payment" WHERE "ticket_id" = ? ORDER BY "id"', (tid,)).fetchall()
        out.append({"number": number, "kind": kind, "total": total,
                    "payment": ", ".join(dict.fromkeys(p[0] for p in payments)),
                    "lines": [{"reference": r[0], "qty": r[1], "total": r[2], "by_weight": bool(r[3]),
                               "id_product": r[4], "id_product_attribute": r[5]} for r in lines]})
    return out


# ---------------------------------------------------------------- the outbox
def entry(number: int) -> dict[str, Any] | None:
    value = get_state(TICKET + str(int(number)))
    return json.loads(value) if value else None


def save_entry(item: dict[str, Any]) -> None:
    """One ticket's outbox row, in its own transaction (durable before the next request)."""
    with database.atomic("IMMEDIATE"):
        set_state(TICKET + str(int(item["number"])), json.dumps(item, sort_keys=True))


def finish_ticket(number: int, item: dict[str, Any] | None) -> None:
    """A ticket handled: its outcome (if any) and the last ticket, in one transaction."""
    with database.atomic("IMMEDIATE"):
        if item is not None:
            set_state(TICKET + str(int(number)), json.dumps(item, sort_keys=True))
        set_state(LAST_TICKET, str(int(number)))
        if not get_state(STOCK_BATCH):
            set_state(STOCK_LAST_TICKET, str(int(number)))


# ---------------------------------------------------------------- the till's customer
def till_customer() -> dict[str, Any]:
    value = get_state(CUSTOMER)
    return json.loads(value) if value else {}


def set_till_customer(value: dict[str, Any]) -> None:
    with database.atomic("IMMEDIATE"):
        set_state(CUSTOMER, json.dumps(value, sort_keys=True))
