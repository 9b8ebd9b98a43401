"""Ticket history: browse, search and open tickets; reprint; refund."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from kivy.core.text import Label as CoreLabel
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.metrics import sp
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.modalview import ModalView
from kivy.utils import escape_markup

from pos.core import settings
from pos.core.i18n import _, language
from pos.core.money import format_amount, format_qty
from pos.data import tickets as tickets_db
from pos.sale.receipt import receipt_columns, receipt_document
from pos.sale.receipt_doc import Document, Style, layout
from pos.screens.base import PosScreen
from pos.screens.theme import MONO

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

PAGE = 1000
PREVIEW_FONT = MONO  # DejaVu Sans Mono, shipped in assets/fonts


EMPHASIS = "[b][color=#000000]{}[/color][/b]"  # on a grey text (Kivy's SDL2 text has no synthetic bold)


def preview_markup(doc: Document, columns: int) -> str:
    """The receipt for a monospace markup Label: its text lines at the printer's ``columns``,
    what stands out on paper in black and bold."""
    out = []
    for item in doc:
        for text in layout(item, columns):
            text = escape_markup(text)
            out.append(EMPHASIS.format(text) if item.style is not Style.NORMAL and text.strip() else text)
    return "\n".join(out)


@functools.lru_cache(maxsize=32)
def mono_font_size(width: int, columns: int, largest: int) -> int:
    """The largest font size (pixels, at most ``largest``) at which ``columns`` characters
    of the preview font fit in ``width`` pixels (glyph advances are rounded per size)."""
    size = max(4, min(largest, int(width / (0.6 * max(1, columns))) + 1))
    while size > 4 and CoreLabel(font_name=PREVIEW_FONT, font_size=size).get_extents("0" * columns)[0] > width:
        size -= 1
    return size


class TicketRow(Factory.SelectableRow):
    number = StringProperty("")
    when = StringProperty("")
    who = StringProperty("")
    total = StringProperty("")
    kind = StringProperty("")


class RefundPopup(ModalView):
    """Pick the lines (and quantities) to give back.  The popup stays open until the refund
    has started: a wrong manager's PIN keeps the quantities chosen."""

    title = StringProperty("")

    def __init__(self, ticket, left: dict[int, int], done, **kw) -> None:
        super().__init__(**kw)
        lang = language()
        self.title = _("Refund of ticket {number} ({total}): quantities to give back").format(
            number=ticket.number, total=format_amount(ticket.total, lang))
        self._done = done
        self.chosen: dict[int, int] = {}  # line id -> quantity returned (thousandths)
        self.rows = {}
        for line in ticket.lines:
            qty = left.get(line["id"], 0)
            unit = format_amount(line["unit_price"], lang) + (" /kg" if line["by_weight"] else "")
            sold = _("{qty} × {unit}: {amount}").format(qty=format_qty(line["qty"], lang), unit=unit,
                                                         amount=format_amount(line["total"], lang))
            row = Factory.RefundLine(name=line["name"], sold=sold)
            row.line_id, row.left, row.step = line["id"], qty, qty if line["by_weight"] else 1000
            row.ids.minus.bind(on_release=lambda _b, r=row: self.change(r, -1))
            row.ids.plus.bind(on_release=lambda _b, r=row: self.change(r, +1))
            self.ids.lines.add_widget(row)
            self.rows[line["id"]] = row
            self.set_qty(row, qty)  # everything still refundable, by default

    def change(self, row, direction: int) -> None:
        """− / +: one unit at a time (a weighed line goes back whole)."""
        self.set_qty(row, self.chosen.get(row.line_id, 0) + direction * row.step)

    def set_qty(self, row, qty: int) -> None:
        new = max(0, min(row.left, qty))
        self.chosen[row.line_id] = new
        row.qty = format_qty(new, language())
        row.ids.minus.disabled = new == 0
        row.ids.plus.disabled = new >= row.left

    def ok(self) -> None:
        self._done({lid: qty for lid, qty in self.chosen.items() if qty > 0})


class RefundLine(Factory.BoxLayout):
    name = StringProperty("")
    sold = StringProperty("")  # what the ticket sold: quantity, unit price, amount
    qty = StringProperty("")


class HistoryScreen(PosScreen):
    detail = StringProperty("")
    refund_mode = BooleanProperty(False)
    showing = BooleanProperty(False)  # a ticket (never wrapped), else a message (wrapped)
    columns = NumericProperty(48)  # the receipt printer's characters per line

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.tickets = []
        self.current = None

    def prepare(self, refund: bool = False, number: int | None = None, **_kw) -> None:
        self.refund_mode = refund
        self.current = None
        self.columns = receipt_columns(settings.all_values())
        self.showing = False
        self.detail = escape_markup(_("Touch a ticket to see it.") if not refund else _(
            "Scan or type the ticket number, then choose the lines to refund."))
        self.ids.query.text = "" if number is None else str(number)
        self.load(self.ids.query.text)

    def load(self, query: str = "") -> None:
        query = query.strip()
        number = date = None
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", query):
            date = query
        elif query.isdigit():
            number = int(query)
        elif query:
            self.app.toast(_("Type a ticket number or a date (YYYY-MM-DD)"), error=True)
            return
        self.tickets = tickets_db.list_tickets(date=date, number=number, limit=PAGE)
        lang = language()
        self.ids.list.data = [{
            "number": str(t.number), "when": t.created_at[:16].replace("T", " "), "who": t.user_name,
            "total": format_amount(t.total, lang), "kind": _("refund") if t.kind == "refund" else "",
            "on_select": self.open_ticket,
        } for t in self.tickets]
        if number is not None and len(self.tickets) == 1:
            self.open_ticket(0)

    def open_ticket(self, index: int) -> None:
        if not 0 <= index < len(self.tickets):
            return
        self.current = tickets_db.get_ticket(self.tickets[index].number)
        values = settings.all_values()
        self.columns = receipt_columns(values)
        self.showing = True
        self.detail = preview_markup(receipt_document(self.current, values), self.columns)

    def preview_font_size(self, width: float, columns: int) -> int:
        """The preview's font size: the printer's ``columns`` fill ``width`` pixels."""
        return mono_font_size(max(1, int(width)), int(columns), int(sp(16)))

    def reprint(self) -> None:
        if self.current is None:
            self.app.toast(_("Open a ticket first"))
            return
        ticket, till = self.current, self.app.till

        def reprint():
            return till.print_receipt(ticket, duplicate=True)  # logged by the till

        if self.app.guard(reprint):
            self.app.toast(_("Duplicate sent to the printer"))

    def refund(self) -> None:
        ticket = self.current
        if ticket is None:
            self.app.toast(_("Open a ticket first"))
            return
        till = self.app.till
        if ticket.kind != "sale":
            self.app.toast(_("Only a sale can be refunded"), error=True)
            return
        left = till.refundable(ticket)

        def chosen(quantities) -> None:
            if not quantities:
                self.app.toast(_("Choose the quantities to refund"), error=True)
                return

            def started(_result) -> None:
                dialog.dismiss(animation=False)
                self.app.show("sale").refresh()
                self.app.show("payment")

            self.app.guard(lambda: till.start_refund(ticket.number, quantities), on_done=started)

        dialog = RefundPopup(ticket, left, chosen)
        self.app.open_popup(dialog)

    def back(self) -> None:
        self.app.show("sale")

    def scan(self, code: str) -> None:
        """A receipt's barcode (or a ticket number) scanned here opens that ticket."""
        from pos.sale.scancodes import ticket_number

        number = ticket_number(code)
        if number is None and code.strip().isdigit() and len(code.strip()) < 8:
            number = int(code)
        if number is None:
            self.app.toast(_("Scan the barcode printed on the receipt"), error=True)
            return
        self.ids.query.text = str(number)
        self.load(str(number))
        if not self.tickets:
            self.app.toast(_("Ticket {number} does not exist").format(number=number), error=True)

    def scan_field(self):
        return self.ids.query
