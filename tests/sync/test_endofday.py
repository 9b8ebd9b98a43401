"""The end-of-day sync (pos/sync/endofday.py) against the PrestaShop emulator: articles, orders, stock, in
that order; a failing step stops the run and the next run completes; cancel; the till's stock after a run."""

from __future__ import annotations

import argparse
import importlib.util
import threading

import pytest
from helpers.actors import MANAGER
from helpers.prestashop.emulator import PrestaShopEmulator

from pos.core.errors import Refusal
from pos.data import catalog
from pos.data import sync as sync_data
from pos.sync import endofday
from pos.sync.client import PrestaShopClient

HAS_ORDERS = importlib.util.find_spec("pos.sync.orders") is not None


@pytest.fixture
def ps():
    with PrestaShopEmulator() as emulator:
        yield emulator


def client_for(ps: PrestaShopEmulator) -> PrestaShopClient:
    return PrestaShopClient(ps.url, ps.key, timeout=(2, 2), backoff=0, retries=0)


def shop_qty(ps: PrestaShopEmulator, pid: int, attr: int = 0) -> int:
    with ps.lock:
        rows = [r for r in ps.data["stock_availables"].values()
                if r["id_product"] == str(pid) and r["id_product_attribute"] == str(attr)]
    assert len(rows) == 1
    return int(rows[0]["quantity"])


def last_all() -> dict:
    return next(r for r in sync_data.runs(20) if r["kind"] == "all")


def sell(till, ref: str, units: int = 1) -> int:
    if units != 1:
        till.set_pending_qty(units * 1000)
    till.scan(ref)
    till.add_payment("cash")
    return till.validate().number


def test_first_run_pulls_the_articles_then_sales_are_pushed_and_the_till_follows(ps, till):
    client = client_for(ps)
    seen: list[tuple[str, str]] = []
    result = endofday.run_all(client, user_name="Claire", progress=lambda s, stage, n, t: seen.append((s, stage)))
    assert result["status"] == "done", result
    steps = result["steps"]
    assert steps["articles"]["status"] == "done"
    assert steps["articles"]["counts"]["added"] == 26 and steps["articles"]["counts"]["errors"] == 0
    assert steps["orders"]["status"] == ("done" if HAS_ORDERS else "skipped")
    assert steps["stock"]["status"] == "done" and steps["stock"]["counts"]["pushed"] == 0
    assert steps["push"]["status"] == "skipped"  # nothing published from the till
    assert [s for s, _stage in seen if _stage == ""] == ["articles", "push", "orders", "stock"]  # in the order
    assert catalog.find_article_by_code("demo_3").stock == shop_qty(ps, 2) * 1000
    runs = sync_data.runs(10)
    run = last_all()
    assert run["status"] == "done" and run["finished_at"]
    assert run["counts"]["step.articles"] == "done" and run["counts"]["articles.added"] == 26
    assert {"articles", "stock"} <= {r["kind"] for r in runs}

    # POS sales, and the product changed on the shop meanwhile: the pull must not forget the sales
    before = shop_qty(ps, 2)
    sell(till, "demo_3", 3)
    client.update("products", 2, {"price": "20.000000"})
    again = endofday.run_all(client, user_name="Claire")
    assert again["status"] == "done", again
    assert again["steps"]["articles"]["counts"]["changed"] == 1
    assert again["steps"]["stock"]["counts"]["pushed"] == 1
    assert shop_qty(ps, 2) == before - 3
    art = catalog.find_article_by_code("demo_3")
    assert art.price == 2400 and art.stock == (before - 3) * 1000  # the till equals the shop


def test_a_failing_stock_step_stops_the_run_and_the_next_run_completes(ps, till):
    client = client_for(ps)
    assert endofday.run_all(client)["status"] == "done"
    before = shop_qty(ps, 2)
    sell(till, "demo_3", 2)
    ps.inject("empty_500", count=None, method="PATCH", path="/api/stock_availables")
    failed = endofday.run_all(client)
    assert failed["status"] == "failed" and failed["error"].startswith("stock:")
    assert failed["steps"]["articles"]["status"] == "done"
    assert failed["steps"]["stock"]["status"] == "failed"
    assert shop_qty(ps, 2) == before
    assert last_all()["status"] == "failed"
    ps.clear_faults()
    done = endofday.run_all(client)
    assert done["status"] == "done", done
    assert done["steps"]["stock"]["counts"]["pushed"] == 1 and done["steps"]["stock"]["counts"]["resumed"]
    assert shop_qty(ps, 2) == before - 2
    assert catalog.find_article_by_code("demo_3").stock == (before - 2) * 1000


def test_a_failing_article_pull_stops_before_the_stock(ps, till):
    client = client_for(ps)
    ps.inject("empty_500", count=None, path="/api/products")
    result = endofday.run_all(client)
    assert result["status"] == "failed"
    assert [result["steps"][s]["status"] for s in endofday.STEPS] == ["failed", "skipped", "skipped", "skipped"]
    assert catalog.find_article_by_code("demo_3") is None


def test_cancel_before_and_inside_a_step(ps, shop):
    client = client_for(ps)
    result = endofday.run_all(client, cancel=lambda: True)
    assert result["status"] == "cancelled"
    assert result["steps"]["articles"]["status"] == "cancelled"
    stop = threading.Event()

    def progress(step, stage, done, total):
        if step == "articles" and stage == "products":
            stop.set()

    inside = endofday.run_all(client, cancel=stop, progress=progress)
    assert inside["status"] == "cancelled" and inside["steps"]["articles"]["status"] == "cancelled"
    assert inside["steps"]["stock"]["status"] == "skipped"
    assert catalog.find_article_by_code("demo_3") is None  # nothing applied
    assert last_all()["status"] == "cancelled"


def test_dry_run_changes_nothing(ps, shop):
    result = endofday.run_all(client_for(ps), dry_run=True)
    assert result["status"] == "done"
    assert result["steps"]["articles"]["counts"]["new"] == 26
    assert catalog.find_article_by_code("demo_3") is None


def test_cli_lines_and_failure(ps, shop, capsys):
    client = client_for(ps)
    endofday.cli(client, argparse.Namespace(dry_run=False), MANAGER)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "step.articles: done" and "articles.added: 26" in out
    assert "step.stock: done" in out and "stock.pushed: 0" in out
    ps.inject("empty_500", count=None, path="/api/products")
    with pytest.raises(Refusal) as err:
        endofday.cli(client, argparse.Namespace(dry_run=False), MANAGER)
    assert "\n" not in str(err.value) and "articles" in str(err.value)
    assert "step.articles: failed" in capsys.readouterr().out


def test_the_till_follows_the_shop_after_web_orders_and_back_office_changes(ps, till):
    """A web order decrements the shop (and is imported as a web ticket), a back-office stock change
    moves no date_upd: after the end-of-day run the till's stock of linked articles is the shop's."""
    if not HAS_ORDERS:
        pytest.skip("no web orders in this version")
    from test_sync_orders import add_order

    client = client_for(ps)
    assert endofday.run_all(client, user_name="Claire")["status"] == "done"
    with ps.lock:  # a back-office correction of product 2's stock, and a web order of 2 of them
        row = next(r for r in ps.data["stock_availables"].values()
                   if r["id_product"] == "2" and r["id_product_attribute"] == "0")
        row["quantity"] = str(int(row["quantity"]) + 10 - 2)
    add_order(ps, 901, state=2, module="ps_checkpayment", rows=[
        {"reference": "demo_3", "qty": 2, "incl": "28.680000", "excl": "23.900000"}], date="2099-01-01 10:00:00")
    client.update("products", 2, {"price": "20.000000"})  # and the product itself changed (pulled again)
    sell(till, "demo_3", 1)
    result = endofday.run_all(client, user_name="Claire")
    assert result["status"] == "done", result
    assert result["steps"]["orders"]["counts"]["imported"] == 1
    assert catalog.find_article_by_code("demo_3").stock == shop_qty(ps, 2) * 1000
