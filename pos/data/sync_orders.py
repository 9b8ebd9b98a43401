"""The SQL of the "web orders" job (``pos/sync/orders.py``).

The web user, the articles and payment methods the job needs (created if missing), the
look-ups of order lines (reference, barcode), and the import of one order: its ticket
(channel ``web``), its ledger row (``ps_order``) and the job's state, in ONE
``BEGIN IMMEDIATE`` transaction.
"""

from __future__ import annotations

import secrets

from pos.data import catalog, common, journal
from pos.data import tickets as tickets_db
from pos.data.catalog import ArticleDetail, ArticleInfo
from pos.data.models import PaymentMethod, PsOrder, User, database
from pos.data.shop import MethodInfo
from pos.data.sync import set_state
from pos.data.users import UserInfo
from pos.sale.draft import TicketDraft

WEB_USER = "Web"


class AlreadyImported(Exception):
    """The order has a ledger row (another run imported it meanwhile)."""


def web_user() -> UserInfo:
    """The user who records web tickets: created inactive (it cannot log in), role cashier,
    with a PIN hash no PIN can match."""
    with database.atomic():
        u = User.get_or_none(User.name == WEB_USER)
        if u is None:
            u = User.create(name=WEB_USER, pin_hash="!web$" + secrets.token_hex(16), role="cashier",
                            active=False, position=User.select().count() + 1)
    return UserInfo(u.id, u.name, u.role, bool(u.active))


def ensure_payment_method(code: str, name: str) -> MethodInfo:
    """The method ``code`` (created with ``name``, no change, no drawer, if missing)."""
    with database.atomic():
        m = PaymentMethod.get_or_none(PaymentMethod.code == code)
        if m is None:
            m = PaymentMethod.create(code=code, name=name, gives_change=False, opens_drawer=False,
                                     position=PaymentMethod.select().count() + 1)
    return MethodInfo(m.id, m.code, m.name, m.gives_change, m.active, m.position, m.opens_drawer)


def ensure_article(reference: str, name: str, vat_bp: int) -> ArticleInfo:
    """The article ``reference``; created (free price, 0 €) if missing."""
    found = catalog.find_article_by_code(reference)
    if found is not None and found.reference == reference:
        return found
    article_id = catalog.save_article(ArticleDetail(reference, name, 0, vat_bp, free_price=True))
    info = catalog.get_article(article_id)
    assert info is not None
    return info


def article_by_reference(reference: str) -> ArticleInfo | None:
    row = database.execute_sql('SELECT "id" FROM "article" WHERE "reference" = ?', (reference,)).fetchone()
    return catalog.get_article(row[0]) if row else None


def article_by_barcode(code: str) -> ArticleInfo | None:
    row = database.execute_sql('SELECT "article_id" FROM "barcode" WHERE "code" = ?', (code,)).fetchone()
    if row is None:
        return None
    info = catalog.get_article(row[0])
    return info


def is_imported(id_order: int) -> bool:
    return PsOrder.get_or_none(PsOrder.id_order == id_order) is not None


def ticket_of_order(id_order: int) -> int | None:
    row = PsOrder.get_or_none(PsOrder.id_order == id_order)
    return row.ticket_number if row else None


def import_order(id_order: int, reference: str, state_name: str, state_value: str, ticket: TicketDraft) -> int:
    """Record the order's ticket (a draft on the ``web`` channel), its ledger row and the state, all
    or nothing.  Returns the ticket number; ``AlreadyImported`` if the ledger already has the order."""
    if ticket.channel != "web":
        raise ValueError(f"a web order's ticket is on the web channel, not {ticket.channel!r}")
    with database.atomic("IMMEDIATE"):
        if PsOrder.get_or_none(PsOrder.id_order == id_order) is not None:
            raise AlreadyImported(id_order)
        number = tickets_db.record_ticket(ticket)
        PsOrder.create(id_order=id_order, reference=reference, ticket_number=number, imported_at=common.now_iso())
        set_state(state_name, state_value)
    journal.write_head()  # record_ticket wrote it before our commit: again, now that it is committed
    return number


def set_state_now(state_name: str, value: str) -> None:
    with database.atomic():
        set_state(state_name, value)
