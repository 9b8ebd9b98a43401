"""The Stock page of the configuration: a goods receipt or a stock count, by scanning or typing.

Each scan (or a code typed then Enter) adds the quantity field's value (1 by default) to that
article's line; a receipt line may carry a new cost price.  A count shows, per article, the stock
expected when it was first scanned against the quantity counted; only the articles counted are
adjusted (a partial count).  Validate calls the core (``pos.catalog.stock``): every line is checked
before anything is written, and a refusal leaves the lines on the screen to be corrected.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout

from pos.catalog import stock
from pos.core.i18n import _, language
from pos.core.money import format_amount, format_qty, parse_amount, parse_qty
from pos.screens.widgets import SelectableRow

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class StockLineRow(SelectableRow):
    reference = StringProperty("")
    name = StringProperty("")
    expected = StringProperty("")
    qty = StringProperty("")
    extra = StringProperty("")  # the cost (receipt) or the difference (count)


class StockPage(BoxLayout):
    """Built with the ConfigScreen; ``mode`` is ``receipt`` or ``count``."""

    mode = StringProperty("receipt")
    summary = StringProperty("")

    def __init__(self, config_screen, **kw) -> None:
        super().__init__(**kw)
        self.config_screen = config_screen
        self.app = App.get_running_app()
        self.lines: dict[int, dict[str, Any]] = {}  # article id -> article, qty, cost, expected
        self.show()

    def set_mode(self, mode: str) -> None:
        if mode != self.mode:
            self.mode = mode
            self.lines.clear()
            self.show()

    def scan_field(self):
        return self.ids.code

    def scan(self, code: str) -> None:
        self.ids.code.text = code
        self.add_code()

    def add_code(self) -> None:
        """Add the quantity field's value to the line of the code typed or scanned."""
        code, qty_text = self.ids.code.text.strip(), self.ids.qty.text.strip() or "1"
        if not code:
            return

        def add() -> bool:
            article = stock.find(code)
            qty = parse_qty(qty_text)
            cost = parse_amount(self.ids.cost.text) if self.mode == "receipt" and self.ids.cost.text.strip() else None
            line = self.lines.setdefault(article.id, {"article": article, "qty": 0, "cost": None,
                                                      "expected": article.stock})
            line["qty"] += qty
            if cost is not None:
                line["cost"] = cost
            return True

        if self.app.guard(add):
            self.ids.code.text = ""
            self.ids.qty.text = ""
            self.ids.cost.text = ""
        self.show()

    def remove(self, index: int) -> None:
        key = list(self.lines)[index]
        del self.lines[key]
        self.show()

    def show(self) -> None:
        if self.mode == "low":
            self.show_low()
            return
        lang = language()
        rows = []
        for line in self.lines.values():
            a = line["article"]
            if self.mode == "count":
                diff = line["qty"] - line["expected"]
                extra = ("+" if diff > 0 else "") + format_qty(diff, lang)
            else:
                extra = "" if line["cost"] is None else format_amount(line["cost"], lang)
            rows.append({"reference": a.reference, "name": a.name, "expected": format_qty(line["expected"], lang),
                         "qty": format_qty(line["qty"], lang), "extra": extra, "on_select": self.remove})
        self.ids.list.data = rows
        if not rows:
            self.summary = _("Scan or type the articles, then Validate")
        else:
            self.summary = _("{n} articles").format(n=len(rows))

    def show_low(self) -> None:
        """The articles at or below their threshold (lowest first) and the stock's value at cost."""
        lang = language()
        low = self.app.guard(lambda: stock.low(limit=500)) or []
        self.ids.list.data = [{"reference": a.reference, "name": a.name,
                               "expected": format_qty(stock.threshold(a), lang), "qty": format_qty(a.stock, lang),
                               "extra": a.department, "on_select": lambda _i: None} for a in low]
        value = sum(cents for _dep, cents, _missing in self.app.guard(
            lambda: stock.value(self.config_screen.acting("reports"))) or [])
        self.summary = _("{n} articles low in stock").format(n=len(low)) + "   " + _(
            "Stock value at cost: {total}").format(total=format_amount(value, lang))

    def validate(self) -> None:
        if self.mode == "low":
            return
        if not self.lines:
            self.app.toast(_("No line: scan or type at least one article"), error=True)
            return
        reference = self.ids.reference.text.strip()
        lines = list(self.lines.values())

        def run() -> int:
            if self.mode == "receipt":
                costs = {ln["article"].reference: ln["cost"] for ln in lines if ln["cost"] is not None}
                return stock.receive(self.config_screen.acting("stock"),
                                     [(ln["article"].reference, ln["qty"]) for ln in lines],
                                     costs=costs, reference=reference)
            counted = [stock.CountLine(ln["article"], ln["expected"], ln["qty"]) for ln in lines]
            return stock.apply_count(self.config_screen.acting("stock"), counted, reference=reference)

        def done(n: int) -> None:
            text = (_("goods receipt: {n} articles received") if self.mode == "receipt"
                    else _("count applied: {n} articles adjusted"))
            self.app.toast(text.format(n=n))
            self.lines.clear()
            self.ids.reference.text = ""
            self.show()

        self.app.guard(run, on_done=done)

    def clear(self) -> None:
        self.lines.clear()
        self.show()
