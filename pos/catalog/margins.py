"""The margin report: sales excl. VAT against the cost price of what was sold, by article, department,
day or month, over a period.

The cost is the one snapshotted on each ticket line when it was sold (``ticket_line_cost``, migration
13), so a later change of the cost price never rewrites past margins.  A group with a line whose cost
is unknown (no cost price on the article, or a line without an article) shows no margin rather than a
false one.  Refunds count negatively; training tickets never count.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

from pos.core import i18n
from pos.core.errors import Refusal
from pos.core.i18n import _
from pos.core.money import format_amount, format_qty, round_div
from pos.core.permissions import Actor, check
from pos.data import stock as stock_db

GROUPINGS = tuple(stock_db.MARGIN_KEYS)


class MarginError(Refusal):
    """A margin report that cannot be made (an unknown grouping, an empty period)."""


@dataclass(frozen=True)
class MarginRow:
    key: str
    qty: int  # thousandths
    sales: int  # cents excl. VAT
    cost: int | None  # cents; None when a line's cost is unknown

    @property
    def margin(self) -> int | None:
        return None if self.cost is None else self.sales - self.cost

    @property
    def rate_bp(self) -> int | None:
        """The margin as a share of the sales (basis points)."""
        if self.margin is None or self.sales == 0:
            return None
        return round_div(self.margin * 10_000, self.sales)


@dataclass(frozen=True)
class MarginReport:
    by: str
    start: dt.date
    end: dt.date  # excluded
    rows: list[MarginRow]
    total: MarginRow


def margin_report(actor: Actor, start: dt.date, end: dt.date, by: str = "article") -> MarginReport:
    """Margins from the cost each line had when sold: cost prices are a manager's (``reports``)."""
    check(actor, "reports")
    if by not in GROUPINGS:
        raise MarginError(_("unknown --by {by!r}: expected one of {choices}").format(
            by=by, choices=", ".join(GROUPINGS)))
    if end <= start:
        raise MarginError(_("--to is before --from"))
    rows = [MarginRow(*r) for r in stock_db.margin(by, start.isoformat(), end.isoformat())]
    unknown = any(r.cost is None for r in rows)
    total = MarginRow(_("Total"), sum(r.qty for r in rows), sum(r.sales for r in rows),
                      None if unknown else sum(r.cost or 0 for r in rows))
    return MarginReport(by, start, end, rows, total)


def _rate(bp: int | None) -> str:
    if bp is None:
        return "-"
    return f"{bp / 100:.1f} %".replace(".", "," if i18n.language() == "fr" else ".")


def report_lines(report: MarginReport, columns: int = 80) -> list[str]:
    """The report as text: one line per group, then the total."""
    lang = i18n.language()
    last = report.end - dt.timedelta(days=1)
    lines = [_("Margins by {by}, {start} to {end}").format(by=report.by, start=report.start.isoformat(),
                                                            end=last.isoformat()),
             f"{_('Name'):<26} {_('Qty'):>7} {_('Sales excl. VAT'):>15} {_('Cost'):>10} {_('Margin'):>10} "
             f"{_('Rate'):>7}"]
    for r in [*report.rows, report.total]:
        cost = "-" if r.cost is None else format_amount(r.cost, lang)
        margin = "-" if r.margin is None else format_amount(r.margin, lang)
        lines.append(f"{r.key[:26]:<26} {format_qty(r.qty, lang):>7} {format_amount(r.sales, lang):>15} "
                     f"{cost:>10} {margin:>10} {_rate(r.rate_bp):>7}")
    if report.total.cost is None:
        lines.append(_("-: a line without a cost price; set the articles' cost prices"))
    return [ln[:columns] for ln in lines]


def write_pdf(report: MarginReport, path: str | os.PathLike) -> None:
    """The text of the report on A4 pages (monospace)."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen.canvas import Canvas

    from pos.catalog.labels import FONTS

    pdfmetrics.registerFont(TTFont("PosMono", str(FONTS / "DejaVuSansMono.ttf")))
    size = landscape(A4)
    canvas = Canvas(str(path), pagesize=size)
    canvas.setTitle(_("Margins"))
    y = size[1] - 15 * mm
    for line in report_lines(report, 120):
        if y < 15 * mm:
            canvas.showPage()
            y = size[1] - 15 * mm
        canvas.setFont("PosMono", 9)
        canvas.drawString(15 * mm, y, line)
        y -= 4.5 * mm
    canvas.save()
