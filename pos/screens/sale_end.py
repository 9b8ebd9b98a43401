"""The end of a sale on the sale screen: the change due, the receipt question, printing.

After *Valider* the basket is empty: its place shows the last ticket, with the change to
hand back (or the amount refunded) as the biggest figure on screen, until the next line.
The receipt question sits in a slot above the basket, so it never covers PAYER, Annuler,
Menu or the keys; it goes away by itself on the next scan or touch.  It is not asked when
no receipt printer is configured.
"""

from __future__ import annotations

from kivy.clock import Clock
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from pos.core import settings
from pos.core.i18n import _, language
from pos.core.money import format_amount

RECEIPT_QUESTION_S = 30  # the receipt question goes away by itself after this
RETRY_S = 60  # so does the offer to print again a receipt that failed


class SaleNotice(BoxLayout):
    """A question in the slot above the basket: a text and two buttons (``ids.yes``, ``ids.no``)."""

    text = StringProperty("")
    closes_on_touch = BooleanProperty(True)


class SaleEnd:
    """The sale screen's end of a sale (mixed into ``SaleScreen``)."""

    receipt_banner: SaleNotice | None = None
    last_ticket = None  # the ticket just paid, shown while the basket is empty
    last_shown = BooleanProperty(False)
    last_heading = StringProperty("")
    last_label = StringProperty("")
    last_amount = StringProperty("")
    _banner_ev = None

    def after_sale(self, ticket) -> None:
        """The ticket is paid: show the change, and ask for the receipt (French law: a
        receipt only on request, unless the shop prints them always)."""
        from pos.hardware import NoPrinter

        self.last_ticket = ticket
        self.show_last_sale()
        if isinstance(self.till.printer, NoPrinter):
            return  # no printer: nothing to ask
        if settings.get("receipt.print") == "always":
            self.print_ticket(ticket)
        else:
            self.banner(_("Ticket {number}: print the receipt?").format(number=ticket.number),
                        lambda: self.print_ticket(ticket), _("Yes"), _("No"), seconds=RECEIPT_QUESTION_S)

    def show_last_sale(self) -> None:
        """The last ticket over the empty basket; nothing once the basket has a line."""
        ticket = self.last_ticket
        if ticket is None or self.till.basket.lines:
            self.last_shown = False
            return
        lang = language()
        cash = {m.code for m in self.till.payment_methods() if m.gives_change}
        paid = " · ".join(f"{p['method_name']} {format_amount(abs(p['amount']), lang)}" for p in ticket.payments)
        self.last_heading = _("Ticket {number}").format(number=ticket.number) + (f" · {paid}" if paid else "")
        if ticket.kind == "refund":
            self.last_label, amount = _("Refunded"), abs(ticket.total)
        elif ticket.change or any(p["method_code"] in cash for p in ticket.payments):
            self.last_label, amount = _("Change"), ticket.change
        else:
            self.last_label, amount = _("Paid"), ticket.total
        self.last_amount = format_amount(amount, lang)
        self.last_shown = True

    def forget_last_sale(self) -> None:
        """The next action has begun: the last ticket and its receipt question go."""
        self.last_ticket = None
        self.last_shown = False
        if self.receipt_banner is not None and self.receipt_banner.closes_on_touch:
            self.close_banner()

    # ------------------------------------------------------------------ the slot above the basket
    def banner(self, text: str, action, yes: str, no: str, seconds: float = RECEIPT_QUESTION_S,
               closes_on_touch: bool = True) -> None:
        """A question above the basket (it never covers the basket's lines or the controls)."""
        self.close_banner()
        notice = SaleNotice(text=text, closes_on_touch=closes_on_touch)
        notice.ids.yes.text, notice.ids.no.text = yes, no

        def yes_pressed(*_a) -> None:
            self.close_banner()
            action()

        notice.ids.yes.bind(on_release=yes_pressed)
        notice.ids.no.bind(on_release=lambda *_a: self.close_banner())
        self.receipt_banner = notice
        self.ids.notice_slot.add_widget(notice)
        self._banner_ev = Clock.schedule_once(lambda _dt: self.close_banner(), seconds)

    def close_banner(self) -> None:
        notice = self.receipt_banner
        if notice is not None and notice.parent is not None:
            notice.parent.remove_widget(notice)
        self.receipt_banner = None
        if self._banner_ev is not None:
            self._banner_ev.cancel()
            self._banner_ev = None

    def on_touch_down(self, touch):
        """A touch anywhere but on the receipt question answers it "no"."""
        notice = self.receipt_banner
        if notice is not None and notice.closes_on_touch and notice.parent is not None:
            x, y = notice.to_window(notice.x, notice.y)
            if not (x <= touch.x <= x + notice.width and y <= touch.y <= y + notice.height):
                self.close_banner()
        return super().on_touch_down(touch)

    # ------------------------------------------------------------------ printing
    def print_ticket(self, ticket, copy: int | None = None) -> None:
        """Print in the background; a failure offers a retry (the sale is already safe)."""
        self.app.till.print_receipt(ticket, copy=copy, done=lambda job: Clock.schedule_once(
            lambda _dt: self.printed(ticket, job)))

    def printed(self, ticket, job) -> None:
        if job.error:
            self.banner(_("Ticket {number} not printed: {error}").format(number=ticket.number, error=job.error),
                        lambda: self.print_ticket(ticket, copy=getattr(job, "copy", None)), _("Retry"), _("Later"),
                        seconds=RETRY_S, closes_on_touch=False)
        else:
            self.app.toast(_("Receipt printed"))
