"""The credit notes and gift vouchers page of the configuration: search, the open ones, a note's
moves, cancelling what is left on one (manager, a reason)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from pos.core.i18n import _, language
from pos.core.money import format_amount
from pos.screens.widgets import SelectableRow, TextPopup

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

PAGE = 100  # notes read at a time (the list pages through the database)


def state_text(state: str) -> str:
    return {"open": _("open"), "used": _("used"), "cancelled": _("cancelled"), "expired": _("expired")}[state]


class VoucherRow(SelectableRow):
    code = StringProperty("")
    issued = StringProperty("")
    amount = StringProperty("")
    balance = StringProperty("")
    state = StringProperty("")
    expires = StringProperty("")


class VouchersPage(BoxLayout):
    """Built with the ConfigScreen."""

    open_only = BooleanProperty(False)
    summary = StringProperty("")
    detail = StringProperty("")
    can_cancel = BooleanProperty(False)
    has_more = BooleanProperty(False)  # a full page was read: the next one may be loaded

    def __init__(self, config_screen, **kw) -> None:
        super().__init__(**kw)
        self.config_screen = config_screen
        self.app = App.get_running_app()
        self.rows: list[Any] = []
        self.chosen = None
        self.load()

    def load(self, *_a, more: bool = False) -> None:
        """The first page of notes (newest first), or with ``more`` the next one after those shown."""
        from pos.sale import vouchers

        lang = language()
        today = vouchers.today()
        before = self.rows[-1].number if more and self.rows else None
        page = self.app.guard(lambda: vouchers.search(self.ids.search.text, self.open_only, PAGE, before)) or []
        self.rows = (self.rows if more else []) + page
        self.has_more = len(page) == PAGE
        self.ids.list.data = [{
            "code": v.code, "issued": v.issued_at[:10], "amount": format_amount(v.amount, lang),
            "balance": format_amount(v.balance, lang), "state": state_text(v.state(today)),
            "expires": v.expires_on or "—", "on_select": self.select} for v in self.rows]
        totals = self.app.guard(vouchers.totals) or {}
        self.summary = _("{n} notes outstanding: {amount}").format(
            n=totals.get("outstanding_count", 0), amount=format_amount(totals.get("outstanding", 0), lang))
        self.chosen, self.detail, self.can_cancel = None, "", False

    def toggle_open(self) -> None:
        self.open_only = not self.open_only
        self.load()

    def select(self, index: int) -> None:
        from pos.sale import vouchers

        lang = language()
        v = self.rows[index]
        self.chosen = v
        lines = [f"{v.code}  {format_amount(v.amount, lang)}"]
        for m in self.app.guard(lambda: vouchers.moves(v.number)) or []:
            what = _("ticket {number}").format(number=m["ticket_number"]) if m["ticket_number"] else m["reason"]
            lines.append(f"{m['at'][:16].replace('T', ' ')}  {m['kind']}  {format_amount(m['amount'], lang)}  "
                         f"→ {format_amount(m['balance'], lang)}  {m['user_name']}  {what}")
        self.detail = "\n".join(lines)
        self.can_cancel = v.state(vouchers.today()) in ("open", "expired")

    def cancel_chosen(self) -> None:
        if self.chosen is None:
            return
        code = self.chosen.code
        self.app.open_popup(TextPopup(_("Why cancel {code}?").format(code=code),
                                      lambda reason: self._cancel(code, reason), hint=_("Reason")))

    def _cancel(self, code: str, reason: str) -> None:
        from pos.sale.vouchers import cancel_voucher

        def run():
            return cancel_voucher(self.config_screen.acting("vouchers"), code, reason)

        def done(v) -> None:
            self.app.toast(_("{code} cancelled").format(code=v.code))
            self.load()

        self.app.guard(run, on_done=done)

    def gift_article(self) -> None:
        """Mark an article (0 % VAT) as a gift voucher: selling it issues a gift voucher."""
        self.app.open_popup(TextPopup(_("Reference or barcode of the gift-voucher article (0 % VAT)"),
                                      self._gift, hint="BON25"))

    def _gift(self, code: str) -> None:
        from pos.sale.vouchers import set_gift_article

        def run():
            return set_gift_article(self.config_screen.acting("catalog"), code)

        self.app.guard(run, on_done=lambda ref: self.app.toast(
            _("{reference} is a gift voucher").format(reference=ref)))
