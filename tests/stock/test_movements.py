"""Stock movements: every change of an article's stock leaves one, whoever writes it, and the stock
always equals the sum of its movements (``pos stock check``)."""

from __future__ import annotations

import sqlite3

import peewee
import pytest
from helpers.actors import CASHIER, MANAGER

from pos.catalog import actions as catalog_actions
from pos.catalog import stock
from pos.core.actions import inject_fault
from pos.core.permissions import NeedsManager
from pos.data import catalog as catalog_db
from pos.data import stock as stock_db
from pos.data import sync_stock, tickets
from pos.data.common import CatalogError
from pos.data.models import database
from pos.sale.basket import Basket, Line, Payment
from pos.sale.draft import ticket_draft

MANAGER_PIN = "9999"


def art(code: str) -> stock_db.StockArticle:
    found = stock_db.article_by_code(code)
    assert found is not None
    return found


def last_moves(code: str, n: int = 1) -> list[stock_db.Move]:
    return stock_db.moves(art(code).id, limit=n)


def sum_of_moves(article_id: int) -> int:
    return database.execute_sql("SELECT COALESCE(SUM(qty), 0) FROM stock_move WHERE article_id = ?",
                                (article_id,)).fetchone()[0]


def events(kind: str) -> int:
    return database.execute_sql("SELECT COUNT(*) FROM event WHERE kind = ?", (kind,)).fetchone()[0]


def test_the_demo_shop_is_clean_and_every_article_has_its_movements(shop):
    assert stock_db.check() == []
    a = art("D010001")
    assert a.stock == sum_of_moves(a.id) == 50_000


def test_a_sale_and_its_refund_are_movements(till):
    before = art("D010001").stock
    till.scan("D010001")
    till.scan("D010001")
    till.add_payment("card")
    sale = till.validate()
    move = last_moves("D010001")[0]
    assert (move.kind, move.qty, move.user_name, move.about) == ("sale", -2000, "Marie", f"ticket {sale.number}")
    assert art("D010001").stock == before - 2000
    till.authorize(MANAGER_PIN, "refund")
    till.start_refund(sale.number)
    till.add_payment("card")
    refund = till.validate()
    move = last_moves("D010001")[0]
    assert (move.kind, move.qty, move.about) == ("refund", 2000, f"ticket {refund.number}")
    assert art("D010001").stock == before
    assert stock_db.check() == []


def test_a_training_sale_moves_nothing(till):
    count = len(stock_db.moves(limit=100_000))
    till.authorize(MANAGER_PIN, "training")
    till.set_training(True)
    till.scan("D010001")
    till.add_payment("card")
    till.validate()
    assert len(stock_db.moves(limit=100_000)) == count


def test_a_web_order_is_a_web_order_movement(shop):
    a = art("D010002")
    basket = Basket()
    basket.add(Line(a.name, a.price, 3000, 550, article_id=a.id, reference=a.reference))
    basket.payments.append(Payment("card", "Carte", basket.totals().total))
    number = tickets.record_ticket(ticket_draft(basket, basket.totals(), user_id=1, user_name="Web",
                                                created_at="2026-01-02T10:00:00+01:00", channel="web"))
    move = last_moves("D010002")[0]
    assert (move.kind, move.qty, move.about, move.at) == ("web_order", -3000, f"ticket {number}",
                                                          "2026-01-02T10:00:00+01:00")
    assert stock_db.check() == []


def test_prestashop_corrections_are_sync_movements(shop):
    a, b = art("D010001"), art("D010002")
    sync_stock.set_stocks([(7000, a.id), (b.stock, b.id)])
    move = last_moves("D010001")[0]
    assert (move.kind, move.qty, move.about) == ("sync", 7000 - a.stock, "PrestaShop stock")
    assert last_moves("D010002")[0].kind != "sync"  # no change, no movement
    assert stock_db.check() == []


def test_the_article_page_stock_is_a_manual_movement_and_a_new_article_opens_with_one(shop):
    detail = catalog_db.article_detail(art("D010001").id)
    detail.stock = 12_000
    catalog_actions.save_article(MANAGER, detail)
    move = last_moves("D010001")[0]
    assert (move.kind, move.qty, move.user_name) == ("manual", 12_000 - 50_000, "Claire")
    new = catalog_db.ArticleDetail(reference="NEW1", name="Nouveau", price=100, vat_bp=2000, stock=4000)
    aid = catalog_actions.save_article(MANAGER, new)
    assert [(m.kind, m.qty) for m in stock_db.moves(aid)] == [("manual", 4000)]
    catalog_actions.delete_article(MANAGER, aid)  # never sold: deleted with its movements
    assert stock_db.moves(aid) == []
    assert stock_db.check() == []


def test_a_goods_receipt_is_one_movement_per_article_with_the_new_cost(shop):
    a, b = art("D010001"), art("D010002")
    assert stock.receive(MANAGER, [("D010001", 5000), (b.reference, 1000), ("D010001", 2000)],
                         costs={"D010001": 71}, reference="BL-42") == 2
    assert art("D010001").stock == a.stock + 7000 and art("D010001").cost == 71
    assert art("D010002").cost == b.cost  # no cost given: unchanged
    move = last_moves("D010001")[0]
    assert (move.kind, move.qty, move.user_name, move.about) == ("receipt", 7000, "Claire", "receipt BL-42")
    assert events("stock_received") == 1
    assert stock_db.check() == []


@pytest.mark.parametrize("lines, costs, message", [
    ([("NOPE", 1000)], {}, "Unknown article: NOPE"),
    ([("D010001", 0)], {}, "more than zero"),
    ([("D010001", -1000)], {}, "more than zero"),
    ([("D010001", 1500)], {}, "whole units"),
    ([("D010001", 1000)], {"D010003": 50}, "not received"),
    ([("D010001", 1000)], {"D010001": -5}, "zero or more"),
    ([], {}, "No line"),
])
def test_a_bad_receipt_changes_nothing(shop, lines, costs, message):
    before = (art("D010001").stock, art("D010001").cost, len(stock_db.moves(limit=100_000)))
    with pytest.raises(stock.StockError, match=message):
        stock.receive(MANAGER, [("D010002", 1000), *lines] if lines else [], costs=costs)
    assert (art("D010001").stock, art("D010001").cost, len(stock_db.moves(limit=100_000))) == before
    assert art("D010002").stock == 50_000


def test_a_cashier_may_not_receive_and_a_failure_before_the_event_writes_nothing(shop):
    with pytest.raises(NeedsManager):
        stock.receive(CASHIER, [("D010001", 1000)])

    def fail(name):
        raise RuntimeError("disk full")

    with inject_fault(fail), pytest.raises(RuntimeError):
        stock.receive(MANAGER, [("D010001", 1000)])
    assert art("D010001").stock == 50_000 and events("stock_received") == 0
    assert database.execute_sql("SELECT COUNT(*) FROM stock_context").fetchone()[0] == 0


def test_a_partial_count_adjusts_only_what_was_counted_and_keeps_sales_made_meanwhile(till):
    lines = stock.count_lines([("D010001", 48_000), ("D010002", 50_000), ("D010001", 1000)])
    assert [(ln.article.reference, ln.expected, ln.counted, ln.difference) for ln in lines] == [
        ("D010001", 50_000, 49_000, -1000), ("D010002", 50_000, 50_000, 0)]
    till.scan("D010001")  # sold while the manager was counting
    till.add_payment("card")
    till.validate()
    assert stock.apply_count(MANAGER, lines, reference="rayon 1") == 1
    assert art("D010001").stock == 50_000 - 1000 - 1000
    assert art("D010002").stock == 50_000
    assert art("D010003").stock == 50_000  # not counted: unchanged
    move = last_moves("D010001")[0]
    assert (move.kind, move.qty, move.about) == ("count", -1000, "count rayon 1")
    assert stock_db.check() == []


def test_thresholds_and_the_low_stock_list(shop):
    stock.receive(MANAGER, [("D010001", 1000)])
    stock.apply_count(MANAGER, stock.count_lines([("D010001", 1000), ("D010002", 5000)]))
    assert [a.reference for a in stock.low()] == ["D010001"]  # 1 <= default 2; 5 > 2
    stock.set_fields(MANAGER, "D010002", net_qty=None, net_unit="", low_stock=5000)
    assert [a.reference for a in stock.low()] == ["D010001", "D010002"]
    assert [a.reference for a in stock.low("Boulangerie")] == ["D010001", "D010002"]
    assert stock.low("Boissons") == []
    with pytest.raises(stock.StockError, match="Unknown department"):
        stock.low("Nope")
    with pytest.raises(CatalogError, match="unit"):
        stock.set_fields(MANAGER, "D010002", net_qty=250, net_unit="", low_stock=None)
    with pytest.raises(CatalogError, match="Unknown unit"):
        stock.set_fields(MANAGER, "D010002", net_qty=250, net_unit="g", low_stock=None)


def test_the_stock_value_at_cost(shop):
    a = art("D010001")
    value = dict((dep, cents) for dep, cents, _missing in stock.value(MANAGER))
    rows = database.execute_sql("SELECT stock, cost FROM article a JOIN department d ON d.id = a.department_id "
                                "WHERE d.name = 'Boulangerie' AND stock > 0 AND cost IS NOT NULL").fetchall()
    assert value["Boulangerie"] == round(sum(s * c for s, c in rows) / 1000)
    stock.receive(MANAGER, [("D010001", 10_000)], costs={"D010001": 100})
    after = dict((dep, cents) for dep, cents, _missing in stock.value(MANAGER))
    assert after["Boulangerie"] - value["Boulangerie"] == (a.stock + 10_000) * 100 // 1000 - a.stock * a.cost // 1000


def test_movements_are_immutable(shop):
    with pytest.raises((peewee.IntegrityError, sqlite3.IntegrityError), match="immutable"):
        database.execute_sql("UPDATE stock_move SET qty = 0")
    with pytest.raises((peewee.IntegrityError, sqlite3.IntegrityError), match="immutable"):
        database.execute_sql("DELETE FROM stock_move")


def test_check_reports_an_article_whose_movements_were_tampered_with(shop):
    a = art("D010001")
    database.execute_sql("DROP TRIGGER article_stock_update")
    database.execute_sql("UPDATE article SET stock = 1 WHERE id = ?", (a.id,))
    assert stock_db.check() == [(a.id, "D010001", a.name, 1, 50_000)]
    database.execute_sql("UPDATE article SET stock = 50000 WHERE id = ?", (a.id,))  # put back for the teardown


def test_export_of_the_movements(shop, tmp_path):
    import csv

    stock.receive(MANAGER, [("D010001", 3000)], reference="=HYPERLINK(1)")
    path = tmp_path / "moves.csv"
    n = stock.export_moves(path)
    rows = list(csv.reader(path.open(encoding="utf-8"), delimiter=";"))
    assert rows[0] == list(stock.EXPORT_COLUMNS) and len(rows) == n + 1
    assert rows[-1][2:7] == ["D010001", "Baguette tradition", "receipt", "3", "Claire"]
    assert rows[-1][7] == "receipt =HYPERLINK(1)"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert stock.export_moves(tmp_path / "one.csv", code="D010002") == 1


def test_an_existing_shop_upgrades_with_one_opening_movement_per_article(tmp_path):
    from pos.data.db import close_database, open_database
    from pos.demo import load_demo_shop

    path = tmp_path / "v11.sqlite3"
    open_database(path, target=11)
    try:
        load_demo_shop()
        database.execute_sql("UPDATE article SET stock = 1234 WHERE reference = 'D010001'")
        database.execute_sql("UPDATE article SET stock = 0 WHERE reference = 'D010002'")
        before = dict(database.execute_sql("SELECT id, stock FROM article").fetchall())
    finally:
        close_database()
    open_database(path)
    try:
        rows = database.execute_sql("SELECT article_id, kind, qty, reference FROM stock_move").fetchall()
        assert {aid: qty for aid, _k, qty, _r in rows} == {aid: s for aid, s in before.items() if s}
        assert {(k, r) for _a, k, _q, r in rows} == {("opening", "migration")}
        assert stock_db.check() == []
    finally:
        close_database()


def test_a_context_inside_another_gives_the_outer_one_back(shop):
    from pos.data.common import atomic

    a, b = art("D010001"), art("D010002")
    with atomic(), stock_db.moving("sync", "Claire", "outer"):
        with stock_db.moving("receipt", "Claire", "inner"):
            database.execute_sql("UPDATE article SET stock = stock + 1000 WHERE id = ?", (a.id,))
        database.execute_sql("UPDATE article SET stock = stock + 2000 WHERE id = ?", (b.id,))
    assert (last_moves("D010001")[0].kind, last_moves("D010001")[0].about) == ("receipt", "inner")
    assert (last_moves("D010002")[0].kind, last_moves("D010002")[0].about) == ("sync", "outer")
    assert database.execute_sql("SELECT COUNT(*) FROM stock_context").fetchone()[0] == 0
    database.execute_sql("UPDATE article SET stock = stock - 3000 WHERE id = ?", (a.id,))  # said by nobody
    assert (last_moves("D010001")[0].kind, last_moves("D010001")[0].user_name) == ("manual", "")
