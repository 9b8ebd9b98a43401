"""Shelf labels: an A4 PDF of label sheets (reportlab), one label per article.

A label shows the article's name, its price, its unit price per kg, litre or piece when the article
has a net quantity (``article.net_qty`` in thousandths of ``article.net_unit``; a weighed article's
price is already per kg), and a barcode: its first barcode (EAN-13 when it is one), else its
reference (Code 128), so that a weighed or unlabelled article can be scanned from the shelf.

Layouts are columns x rows on A4 (``LAYOUTS``); a selection is a department, the articles changed
since a date (new ones included: a new article's change date is its creation), given codes, or
several of these at once (every filter must match).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pos.core import i18n
from pos.core.errors import Refusal
from pos.core.i18n import N_, _
from pos.core.money import format_amount, round_div
from pos.data import stock as stock_db
from pos.data.files import create_private

LAYOUTS: dict[str, tuple[int, int]] = {"3x8": (3, 8), "2x7": (2, 7), "4x10": (4, 10), "3x7": (3, 7),
                                       "2x8": (2, 8)}
PAGE_W_MM, PAGE_H_MM = 210.0, 297.0
MARGIN_MM = 4.0
FONTS = Path(__file__).resolve().parents[2] / "assets" / "fonts"
PER_UNIT = {"kg": N_("{price} / kg"), "l": N_("{price} / l"), "piece": N_("{price} / piece")}
MAX_LABELS = 20_000


class LabelError(Refusal):
    """Labels refused: an unknown layout, department or code, or nothing to print."""


@dataclass(frozen=True)
class Label:
    name: str
    price: str  # formatted
    unit_price: str  # "7,96 € / kg" or ""
    code: str  # what the barcode encodes
    symbology: str  # EAN13 | Code128


def unit_price(price: int, net_qty: int | None, net_unit: str, by_weight: bool) -> tuple[int, str] | None:
    """(cents per unit, unit) or None: a package's price brought to one kg, litre or piece."""
    if by_weight:
        return price, "kg"
    if not net_qty or net_unit not in PER_UNIT:
        return None
    return round_div(price * 1000, net_qty), net_unit


def label_for(row: dict[str, Any], lang: str) -> Label:
    per = unit_price(row["price"], row["net_qty"], row["net_unit"], bool(row["by_weight"]))
    unit_text = _(PER_UNIT[per[1]]).format(price=format_amount(per[0], lang)) if per else ""
    price = format_amount(row["price"], lang)
    if row["by_weight"]:
        price = unit_text
    code = row["barcode"] or row["reference"]
    ean = len(code) == 13 and code.isdigit()
    return Label(row["name"], price, unit_text, code, "EAN13" if ean else "Code128")


def select(*, department: str | None = None, changed_since: str | None = None,
           codes: Sequence[str] = (), new_since: str | None = None) -> list[dict[str, Any]]:
    """The articles to label, refused when a department or a code is unknown or nothing matches."""
    if department is not None and not stock_db.department_exists(department):
        raise LabelError(_("Unknown department: {name}").format(name=department))
    for code in codes:
        if stock_db.article_by_code(code) is None:
            raise LabelError(_("Unknown article: {code}").format(code=code))
    rows = stock_db.labels(department=department, changed_since=changed_since, codes=codes, new_since=new_since,
                           limit=MAX_LABELS + 1)
    if not rows:
        raise LabelError(_("No article to label in this selection"))
    if len(rows) > MAX_LABELS:
        raise LabelError(_("Too many labels at once (more than {limit}): choose a department or a date")
                         .format(limit=MAX_LABELS))
    return rows


_REGISTERED: list[str] = []


def _fonts() -> tuple[str, str]:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if not _REGISTERED:
        pdfmetrics.registerFont(TTFont("PosLabelSans", str(FONTS / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont("PosLabelSans-Bold", str(FONTS / "DejaVuSans-Bold.ttf")))
        _REGISTERED.append("yes")
    return "PosLabelSans", "PosLabelSans-Bold"


def _fit(text: str, font: str, size: float, width: float, minimum: float = 6.0) -> tuple[str, float]:
    """The text at the largest size up to ``size`` that fits ``width``, cut with … at the minimum size."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    while size > minimum and stringWidth(text, font, size) > width:
        size -= 0.5
    if stringWidth(text, font, size) <= width:
        return text, size
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…", size


def write_pdf(path: str | os.PathLike, rows: Sequence[dict[str, Any]], layout: str = "3x8",
              progress: Callable[[int, int], None] | None = None) -> int:
    """Write the labels of ``rows`` (from ``select``) on A4 sheets; returns the number of pages."""
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode import createBarcodeDrawing
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    if layout not in LAYOUTS:
        raise LabelError(_("Unknown layout {layout}: {known}").format(layout=layout, known=", ".join(LAYOUTS)))
    cols, lines = LAYOUTS[layout]
    regular, bold = _fonts()
    lang = i18n.language()
    target = Path(path)
    tmp = target.with_name(target.name + ".part")
    create_private(tmp)
    w = (PAGE_W_MM - 2 * MARGIN_MM) / cols * mm
    h = (PAGE_H_MM - 2 * MARGIN_MM) / lines * mm
    pad = 2.5 * mm
    per_page = cols * lines
    try:
        canvas = Canvas(str(tmp), pagesize=A4, pageCompression=1)
        canvas.setTitle(_("Shelf labels"))
        for i, row in enumerate(rows):
            if i and i % per_page == 0:
                canvas.showPage()
            slot = i % per_page
            x = MARGIN_MM * mm + (slot % cols) * w
            top = A4[1] - MARGIN_MM * mm - (slot // cols) * h
            label = label_for(row, lang)
            inner = w - 2 * pad
            canvas.setStrokeGray(0.8)
            canvas.rect(x, top - h, w, h, stroke=1, fill=0)
            name, size = _fit(label.name, bold, min(11.0, h / mm * 0.35), inner)
            canvas.setFont(bold, size)
            canvas.drawString(x + pad, top - pad - size, name)
            price, psize = _fit(label.price, bold, min(22.0, h / mm * 0.6), inner * 0.6)
            canvas.setFont(bold, psize)
            price_y = top - pad - size - 1.5 * mm - psize
            canvas.drawString(x + pad, price_y, price)
            if label.unit_price and label.unit_price != label.price:
                unit, usize = _fit(label.unit_price, regular, 7.5, inner * 0.45, minimum=5.0)
                canvas.setFont(regular, usize)
                canvas.drawString(x + pad, price_y - usize - 1 * mm, unit)
            bar_h = max(5 * mm, h * 0.28)
            try:
                kwargs: dict[str, Any] = {"barHeight": bar_h, "humanReadable": True, "fontName": regular,
                                          "fontSize": 6}
                if label.symbology == "Code128":
                    kwargs["barWidth"] = 0.22 * mm
                drawing = createBarcodeDrawing(label.symbology, value=label.code, **kwargs)
            except Exception:  # a code the symbology refuses (e.g. a bad EAN check digit): Code 128
                drawing = createBarcodeDrawing("Code128", value=label.code, barHeight=bar_h, barWidth=0.22 * mm,
                                               humanReadable=True, fontName=regular, fontSize=6)
            scale = min(1.0, (inner * 0.55) / max(drawing.width, 1))
            canvas.saveState()
            canvas.translate(x + w - pad - drawing.width * scale, top - h + pad)
            canvas.scale(scale, 1)
            renderPDF.draw(drawing, canvas, 0, 0)
            canvas.restoreState()
            if progress is not None and i % 100 == 0:
                progress(i, len(rows))
        canvas.save()
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return (len(rows) + per_page - 1) // per_page
