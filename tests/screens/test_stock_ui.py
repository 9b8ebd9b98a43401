"""The article page shows the article's stock movements (newest first), driven for real offscreen."""

from __future__ import annotations

from helpers.actors import MANAGER
from helpers.ui_helpers import frames
from test_catalog_ui import open_page
from test_look import touch_targets
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


def test_a_goods_receipt_then_a_count_on_the_stock_page(make_app, window):  # noqa: F811
    from helpers.ui_helpers import tap

    from pos.data import stock as stock_db
    from pos.demo import demo_ean

    app = make_app()
    config, page = open_page(app, "stock")
    assert type(page).__name__ == "StockPage" and page.mode == "receipt"
    frames(2)
    assert not touch_targets(config), touch_targets(config)
    config.scan(demo_ean(1))  # D010001, one at a time
    config.scan(demo_ean(1))
    page.ids.code.text = "D010002"
    page.ids.qty.text = "12"
    page.ids.cost.text = "0,55"
    page.ids.code.dispatch("on_text_validate")  # Enter
    config.scan("NOPE")  # refused: a toast, the lines stay
    assert "Unknown article: NOPE" in app.toast_text
    frames(2)
    assert [(r["reference"], r["qty"], r["extra"]) for r in page.ids.list.data] == [
        ("D010001", "2", ""), ("D010002", "12", "€0.55")]
    page.ids.reference.text = "BL-77"
    tap(page.ids.validate)
    assert "2 articles received" in app.toast_text and page.ids.list.data == []
    assert stock_db.article_by_code("D010001").stock == 52_000
    assert (stock_db.article_by_code("D010002").stock, stock_db.article_by_code("D010002").cost) == (62_000, 55)
    assert stock_db.moves(stock_db.article_by_code("D010002").id, limit=1)[0].about == "receipt BL-77"

    tap(page.ids.count_tab)
    assert page.mode == "count"
    frames(2)
    assert not touch_targets(config), touch_targets(config)
    page.ids.code.text = "D010001"
    page.ids.qty.text = "50"
    page.ids.code.dispatch("on_text_validate")
    frames(2)
    assert [(r["reference"], r["expected"], r["qty"], r["extra"]) for r in page.ids.list.data] == [
        ("D010001", "52", "50", "-2")]
    tap(page.ids.validate)
    assert "1 articles adjusted" in app.toast_text
    assert stock_db.article_by_code("D010001").stock == 50_000
    from pos.data.models import database

    assert database.execute_sql("SELECT user_name FROM event WHERE kind IN ('stock_received', 'stock_counted') "
                                "ORDER BY id").fetchall() == [("Claire",), ("Claire",)]
    assert stock_db.check() == []


def test_net_quantity_and_threshold_on_the_article_page(make_app, window):  # noqa: F811
    from test_catalog_ui import press

    from pos.data import stock as stock_db
    from pos.demo import demo_ean

    app = make_app()
    config, page = open_page(app, "articles")
    config.scan(demo_ean(1))
    page.fields["net"].text = "250 g"
    page.fields["low_stock"].text = "4"
    press(page, page.save_button)
    a = stock_db.article_by_code("D010001")
    assert (a.net_qty, a.net_unit, a.low_stock) == (250, "kg", 4000)
    config.scan(demo_ean(1))
    assert page.fields["net"].text == "0.25 kg" and page.fields["low_stock"].text == "4"
    page.fields["net"].text = "3 furlongs"
    press(page, page.save_button)
    assert page.form_open and "Unknown unit" in app.toast_text
    assert stock_db.article_by_code("D010001").net_unit == "kg"
    page.fields["net"].text = ""
    page.fields["low_stock"].text = ""
    press(page, page.save_button)
    a = stock_db.article_by_code("D010001")
    assert (a.net_qty, a.net_unit, a.low_stock) == (None, "", None)


def test_the_low_stock_tab_lists_what_to_reorder_and_the_stock_value(make_app, window):  # noqa: F811
    from helpers.ui_helpers import tap

    from pos.catalog import stock

    stock.apply_count(MANAGER, stock.count_lines([("D010001", 1000), ("D010002", 2000), ("D010003", 3000)]))
    stock.set_fields(MANAGER, "D010003", net_qty=None, net_unit="", low_stock=5000)
    app = make_app()
    config, page = open_page(app, "stock")
    tap(page.ids.low_tab)
    frames(2)
    assert page.mode == "low"
    rows = [(r["reference"], r["qty"], r["expected"]) for r in page.ids.list.data]
    assert rows == [("D010001", "1", "2"), ("D010002", "2", "2"), ("D010003", "3", "5")]
    value = sum(cents for _d, cents, _m in stock.value(MANAGER))
    assert "3 articles low in stock" in page.summary and f"€{value / 100:,.2f}" in page.summary
    assert not touch_targets(config), touch_targets(config)
    tap(page.ids.receipt_tab)
    assert page.mode == "receipt" and page.ids.list.data == []
