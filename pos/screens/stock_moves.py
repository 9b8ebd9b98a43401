"""The stock movements of an article, shown under its form on the Articles page (newest first)."""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory

from pos.catalog import stock
from pos.core.i18n import _, language
from pos.core.money import format_qty

SHOWN = 30


def movement_text(m: stock.Move) -> str:
    qty = format_qty(m.qty, language())
    sign = "+" if m.qty > 0 else ""
    when = m.at[:16].replace("T", " ")
    return "   ".join(part for part in (when, stock.kind_label(m.kind), sign + qty, m.user_name, m.about) if part)


def add_movements(form: Any, article_id: int) -> list[str]:
    """A heading and one line per movement (the last ``SHOWN``) at the end of ``form``; returns the lines."""
    moves = stock.article_moves(article_id, limit=SHOWN)
    form.add_widget(Factory.Heading(text=_("Stock movements")))
    lines = [movement_text(m) for m in moves] or [_("No stock movement yet")]
    for line in lines:
        form.add_widget(Factory.HintText(text=line))
    return lines
