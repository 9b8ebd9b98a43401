"""The ticket preview of the history screen: the receipt at the printer's width, in a
monospace font, never wrapped, so each amount stays on its label's line."""

from __future__ import annotations

import re

import pytest
from helpers.ui_helpers import frames
from test_ui import login, make_app, window  # noqa: F401  (fixtures)


def shown_lines(label) -> list[str]:
    """The text lines of a markup Label, as the screen draws them (tags taken out)."""
    return [re.sub(r"\[/?[a-z]+(=[^]]*)?\]", "", text).replace("&bl;", "[").replace("&br;", "]").replace("&amp;", "&")
            for text in label.text.split("\n")]


@pytest.mark.parametrize("columns", [32, 42, 48, 64])
def test_history_preview_keeps_each_amount_on_its_line(make_app, window, columns):  # noqa: F811
    from pos.core import settings
    from pos.core.money import format_amount
    from pos.demo import demo_ean
    from pos.sale.basket import Discount

    settings.set_value("printer.columns", str(columns))
    app = make_app()
    sale = login(app)
    for k in (6, 7, 8):
        sale.scan(demo_ean(k))
    app.till.set_line_discount(0, Discount("percent", 500))
    app.till.add_payment("cash", 10000)
    ticket = app.till.validate()
    app.show("history", number=ticket.number)
    frames(3)
    history = app.screen("history")
    label, view = history.ids.detail, history.ids.preview
    assert history.current.number == ticket.number and history.columns == columns

    lines = shown_lines(label)
    assert len(label._label._cached_lines) == len(lines)  # drawn as many lines as written: nothing wrapped
    assert label.texture_size[0] <= view.width  # and the printer's width fits the panel
    assert max(len(t) for t in lines) <= columns
    for line in ticket.lines:  # each article and its amount on one line, the amount at the right edge
        amount = format_amount(line["total"] + line["ticket_discount"] + line["discount_amount"], "en",
                               currency=False)
        row = next(t for t in lines if t.startswith(line["name"][:10]))
        assert len(row) == columns and row.endswith(" " + amount), row
    total = next(t for t in lines if t.startswith("TOTAL"))
    assert len(total) == columns and total.endswith(format_amount(ticket.total, "en"))
    assert "[b][color=#000000]TOTAL" in label.text  # bold, as on paper
    assert label.font_name == "PosMono"  # DejaVu Sans Mono, shipped in assets/fonts
