"""The article page shows the article's stock movements (newest first), driven for real offscreen."""

from __future__ import annotations

from helpers.actors import MANAGER
from helpers.ui_helpers import frames
from test_catalog_ui import open_page
from test_ui import login, make_app, window  # noqa: F401  (fixtures)


def test_the_article_page_lists_its_movements(make_app, window):  # noqa: F811
    from pos.catalog import stock
    from pos.demo import demo_ean

    stock.receive(MANAGER, [("D010001", 4000)], reference="BL-7")
    stock.apply_count(MANAGER, stock.count_lines([("D010001", 50_000)]), reference="shelf 2")
    app = make_app()
    config, page = open_page(app, "articles")
    config.scan(demo_ean(1))
    frames(2)
    assert page.form_open and page.fields["name"].text == "Baguette tradition"
    shown = [w.text for w in page.form.children[::-1] if type(w).__name__ == "HintText"]
    moves = [t for t in shown if "Claire" in t]
    assert "count adjustment" in moves[0] and "-4" in moves[0] and "count shelf 2" in moves[0]
    assert "goods receipt" in moves[1] and "+4" in moves[1] and "receipt BL-7" in moves[1]
    assert any("manual" in t and "+50" in t for t in shown)  # the demo shop's opening stock
    page.close_form(reload=False)
