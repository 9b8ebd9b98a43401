"""Credit notes and gift vouchers at the till (no Kivy, no SQL): spending one at payment,
cancelling one, marking the gift-voucher articles, and the returns taken without a ticket.

The real check of a note's balance is made when the ticket is committed, in its own write
transaction (``pos.data.vouchers.apply_ticket``); the check here only tells the cashier early.

VAT (France, multi-purpose vouchers, CGI art. 256 ter / directive 2016/1065): a credit note or
a gift voucher usable for goods at several VAT rates is not a sale when it is issued or sold:
no VAT is due then (a gift-voucher article has the 0 % rate and the note is a liability); the
VAT is due on the goods bought when the note is spent, and it is on that sale's ticket.
"""

from __future__ import annotations

from typing import Any

from pos.core.actions import change
from pos.core.i18n import _, language
from pos.core.money import QTY_ONE, format_amount
from pos.core.permissions import Actor
from pos.data import catalog, common
from pos.data import vouchers as db
from pos.data.vouchers import VoucherError, VoucherInfo
from pos.sale.basket import Line, Payment

__all__ = ["VoucherError", "VoucherInfo", "add_voucher_payment", "cancel_voucher", "find", "set_gift_article",
           "start_return"]


def today() -> str:
    return common.now_iso()[:10]


def is_note_code(text: str) -> bool:
    """A scanned code is a credit note's or a gift voucher's (``AV…``, ``BC…``)."""
    text = text.strip().upper()
    return text.startswith(tuple(db.PREFIX.values())) and db.parse_code(text) is not None


def search(text: str = "", open_only: bool = False, limit: int = 200,
           before_number: int | None = None) -> list[VoucherInfo]:
    """The notes for the list page, newest first, one page at a time (the next: ``before_number``)."""
    return db.list_vouchers(open_only=open_only, search=text, limit=limit, before_number=before_number)


def moves(number: int) -> list[dict[str, Any]]:
    return db.moves(number)


def totals(start: str | None = None, end: str | None = None) -> dict[str, int]:
    """Issued, redeemed, cancelled between two local times, and outstanding at the end."""
    return db.totals(start, end)


def find(text: str) -> VoucherInfo:
    """The note a typed or scanned code names; refused when unknown."""
    number = db.parse_code(text)
    voucher = db.get(number) if number is not None else None
    if voucher is None:
        raise VoucherError(_("No credit note or voucher {code}").format(code=text.strip()[:40]))
    return voucher


def add_voucher_payment(till: Any, text: str, amount: int | None = None) -> Payment:
    """Pay part or all of the basket with a note (scanned or typed): ``amount`` None takes what the
    note holds, up to what is left to pay.  Checked again, and debited, when the ticket is committed."""
    till.require("sell")
    if till.training:
        raise VoucherError(_("Credit notes and gift vouchers are not available in training mode"))
    if amount is not None and amount <= 0:
        raise VoucherError(_("the amount must be positive"))
    voucher = db.check_usable(find(text).number, today())
    basket = till.basket
    if basket.total <= 0 or basket.remaining <= 0:
        raise VoucherError(_("A credit note pays a sale: nothing is left to pay"))
    pending = sum(p.amount for p in basket.payments if p.reference == voucher.code)
    left = voucher.balance - pending
    if left <= 0:
        raise VoucherError(_("{code} is already used for this basket").format(code=voucher.code))
    if amount is None:
        amount = min(left, basket.remaining)
    if amount > left:
        raise VoucherError(_("Only {balance} is left on {code}").format(balance=format_amount(left, language()),
                                                                          code=voucher.code))
    method = next((m for m in till.payment_methods() if m.code == db.METHOD), None)
    if method is None:
        raise VoucherError(_("The payment method {code} is not active").format(code=db.METHOD))
    # the method's own name on the ticket (reports group by method); the note is in ``reference``
    payment = basket.add_payment(method.code, method.name, False, amount)
    payment.reference = voucher.code
    return payment


def cancel_voucher(actor: Actor, text: str, reason: str) -> VoucherInfo:
    """Cancel what is left on a note (manager; a reason is required); journaled."""
    reason = reason.strip()
    if not reason:
        raise VoucherError(_("Give the reason for cancelling"))
    number = find(text).number
    with change(actor, "vouchers", "voucher_cancelled", number=number, reason=reason) as event:
        voucher = db.cancel(number, common.now_iso(), actor.name, reason)
        event["balance"] = voucher.balance
    return voucher


def set_gift_article(actor: Actor, code: str, on: bool = True) -> str:
    """Make an article a gift voucher (selling it issues a note) or an ordinary article again."""
    article = catalog.find_article_by_code(code.strip())
    if article is None:
        raise VoucherError(_("Unknown code: {code}").format(code=code))
    if on and article.vat_bp != 0:
        raise VoucherError(_("A gift voucher is not a sale: its article must have the 0 % VAT rate"))
    with change(actor, "catalog", "gift_voucher_article", reference=article.reference, on=on):
        db.set_gift_article(article.id, on)
    return article.reference


def start_return(till: Any, items: list[tuple[str, int | None]], reason: str) -> None:
    """Make the basket a return without a ticket (a manager, a reason): ``items`` are (code, quantity
    in thousandths, None for one) taken back at their catalogue price."""
    till._need_user()
    if till.basket.lines:
        raise VoucherError(_("Park or finish the current basket first"))
    if not items:
        raise VoucherError(_("Name the articles taken back"))
    lines = []
    for code, given in items:
        qty = QTY_ONE if given is None else given
        article = catalog.find_article_by_code(code.strip())
        if article is None:
            raise VoucherError(_("Unknown code: {code}").format(code=code))
        if qty <= 0:
            raise VoucherError(_("the quantity must be positive"))
        if not article.by_weight and qty % QTY_ONE:
            raise VoucherError(_("{name} is sold by the unit: whole quantities only").format(name=article.name))
        lines.append(Line(
            name=article.name, unit_price=article.price, qty=qty, vat_bp=article.vat_bp, article_id=article.id,
            reference=article.reference, barcode=article.barcode, department=article.department,
            list_price=article.price, by_weight=article.by_weight))
    _make_return(till, lines, reason)


def basket_to_return(till: Any, reason: str) -> None:
    """The touch screen's way: the articles taken back are rung up as a basket, then the basket becomes
    a return without a ticket (a manager, a reason), each line giving back what it costs now."""
    till._need_user()
    basket = till.basket
    if not basket.lines or basket.is_refund:
        raise VoucherError(_("Ring up the articles taken back first, then choose Return without a ticket"))
    if basket.payments:
        raise VoucherError(_("Payments have started: remove them first"))
    if basket.discount is not None:
        raise VoucherError(_("Remove the ticket discount first"))
    _make_return(till, basket.lines, reason, keep_customer=basket.customer_id)


def _make_return(till: Any, lines: list[Line], reason: str, keep_customer: int | None = None) -> None:
    from dataclasses import replace

    from pos.sale.basket import Basket

    reason = reason.strip()
    if not reason:
        raise VoucherError(_("Give the reason for a return without a ticket"))
    if len(reason) > 200:
        raise VoucherError(_("at most {n} characters").format(n=200))
    if till.training:
        raise VoucherError(_("Not available in training mode"))
    for line in lines:
        if line.article_id is not None and db.is_gift_article(line.article_id):
            raise VoucherError(_("A gift voucher sold is not refunded: cancel the voucher instead"))
    returned = [replace(line, qty=-line.qty, discount=None, preset_net=-line.net) for line in lines]
    till.require("return_no_ticket")
    till.basket = Basket(lines=returned, reason=reason, customer_id=keep_customer)
