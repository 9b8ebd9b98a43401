"""The payment screen: methods, amount keypad, quick cash, split payments, Validate."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty

from pos.core.i18n import _, language
from pos.core.money import format_amount, parse_amount
from pos.screens.base import PosScreen
from pos.screens.theme import THEME
from pos.screens.widgets import KeypadBuffer

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

QUICK_CASH = (500, 1000, 2000, 5000)


class PaymentRow(Factory.SelectableRow):
    method = StringProperty("")
    amount = StringProperty("")


class PaymentScreen(PosScreen):
    due_text = StringProperty("")
    paid_text = StringProperty("")
    remaining_text = StringProperty("")
    change_text = StringProperty("")
    buffer_text = StringProperty("")
    title_text = StringProperty("")
    paid_label = StringProperty("")
    remaining_label = StringProperty("")
    refund = BooleanProperty(False)  # a refund: money goes back to the customer, no change
    can_validate = BooleanProperty(False)

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.app = App.get_running_app()
        self.till = self.app.till
        self.buffer = KeypadBuffer(lambda t: setattr(self, "buffer_text", t))
        self.method_buttons: dict[str, object] = {}
        for cents in QUICK_CASH:
            label = format_amount(cents, language()).replace(",00", "").replace(".00", "")
            btn = Factory.TillButton(text=label, font_size="22sp")
            btn.bind(on_release=lambda _b, c=cents: self.pay("cash", c))
            self.ids.quick.add_widget(btn)

    def on_enter(self, *_a) -> None:
        lang = language()
        self.till.show_on_display(_("Total"), format_amount(self.till.basket.total, lang))

    def prepare(self, **_kw) -> None:
        box = self.ids.methods
        box.clear_widgets()
        self.method_buttons = {}
        for m in self.till.payment_methods():
            btn = Factory.TillButton(text=m.name, bg=THEME.info if not m.gives_change else THEME.cash,
                                     font_size="20sp")
            btn.bind(on_release=lambda _b, code=m.code: self.pay(code))
            box.add_widget(btn)
            self.method_buttons[m.code] = btn
        self.buffer.take()
        self.refresh()

    def refresh(self) -> None:
        lang = language()
        basket = self.till.basket
        refund = self.refund = basket.total < 0
        self.title_text = _("TO REFUND") if refund else _("TO PAY")
        self.paid_label = _("Refunded") if refund else _("Already paid")
        self.remaining_label = _("LEFT TO REFUND") if refund else _("LEFT TO PAY")
        self.due_text = format_amount(abs(basket.total), lang)
        self.paid_text = format_amount(abs(basket.paid), lang)
        self.remaining_text = format_amount(abs(basket.remaining), lang)
        self.change_text = format_amount(basket.change, lang)
        self.ids.payments.data = [{
            "method": f"{p.name} {p.reference}".rstrip(), "amount": format_amount(abs(p.amount), lang),
            "on_select": self.remove_payment,
        } for p in basket.payments]
        self.can_validate = bool(basket.lines) and basket.remaining == 0
        self.ids.quick.disabled = refund

    def key(self, key: str) -> None:
        self.buffer.key(key)

    def pay(self, code: str, amount: int | None = None) -> None:
        typed = self.buffer.text
        if code == "voucher" and self.till.basket.total > 0:  # spend a note: which one?
            from pos.screens.widgets import TextPopup

            self.app.open_popup(TextPopup(_("Scan or type the credit note or voucher number"),
                                          lambda text: text.strip() and self.pay_note(text), hint="AV00000001"))
            return

        def run():
            value = amount
            if value is None and typed:
                value = parse_amount(typed)
            self.till.add_payment(code, value)
            return True

        self.app.guard(run, on_done=self._paid)

    def pay_note(self, text: str) -> None:
        """Spend a credit note or gift voucher (scanned or typed): the typed amount, else what it holds
        up to what is left to pay (``pos.sale.vouchers``)."""
        from pos.sale.vouchers import add_voucher_payment

        typed = self.buffer.text
        self.app.guard(lambda: add_voucher_payment(self.till, text, parse_amount(typed) if typed else None),
                       on_done=self._paid)

    def scan(self, code: str) -> None:
        """A note scanned at payment pays with it."""
        from pos.sale.vouchers import is_note_code

        if is_note_code(code):
            self.pay_note(code)
        else:
            super().scan(code)

    def _paid(self, _result=None) -> None:
        """A payment was taken (at once or after a manager's PIN)."""
        self.buffer.take()
        self.app.guard(self.till.persist)  # payments taken survive a crash
        self.refresh()

    def exact(self) -> None:
        self.pay("cash", None) if not self.buffer.text else self.pay("cash")

    def remove_payment(self, index: int) -> None:
        def removed(_r) -> None:
            self.app.guard(self.till.persist)
            self.refresh()

        self.app.guard(lambda: self.till.remove_payment(index) or True, on_done=removed)

    def back(self) -> None:
        self.app.show("sale")

    def validate(self) -> None:
        self.app.guard(self.till.validate, on_done=self._validated)

    def _validated(self, ticket) -> None:
        sale = self.app.show("sale")
        sale.fresh_index = -1
        sale.selected = -1
        sale.refresh()
        sale.after_sale(ticket)
