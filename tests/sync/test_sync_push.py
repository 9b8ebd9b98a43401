"""Till -> shop per article (pos/sync/push.py) against the emulator: products created with their
tax rule group, category, languages, stock and inactive state, read back to the cent; later pushes
send only the fields the till owns; a pull never overwrites a till-owned field (--full included)."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest
from helpers.actors import CASHIER, MANAGER
from helpers.cli import cli_env, set_secret
from helpers.prestashop.emulator import PrestaShopEmulator

from pos.core.errors import Refusal
from pos.data import catalog, config, events
from pos.data import sync as data_sync
from pos.data import sync_push as data
from pos.sync import articles
from pos.sync.client import PrestaShopClient
from pos.sync.push import price_excl, push_articles, set_web

# reference -> (VAT bp, department)
PUBLISHED = {"D050103": 2000, "D090161": 1000, "D010001": 550, "D080146": 210}


@pytest.fixture
def ps():
    with PrestaShopEmulator() as emulator:
        yield emulator


def client_for(ps: PrestaShopEmulator) -> PrestaShopClient:
    return PrestaShopClient(ps.url, ps.key, timeout=(2, 2), backoff=0, retries=0)


def article(ref: str):
    return catalog.article_detail(catalog.find_article_by_code(ref).id)


def publish(*refs: str) -> None:
    for ref in refs:
        set_web(MANAGER, catalog.find_article_by_code(ref).id, True)


def product(ps: PrestaShopEmulator, pid: int) -> dict:
    with ps.lock:
        return dict(ps.data["products"][pid])


def shop_stock(ps: PrestaShopEmulator, pid: int) -> int:
    with ps.lock:
        (row,) = [r for r in ps.data["stock_availables"].values()
                  if r["id_product"] == str(pid) and r["id_product_attribute"] == "0"]
    return int(row["quantity"])


def test_the_web_flag_is_a_journaled_catalogue_change(shop):
    aid = catalog.find_article_by_code("D050103").id
    with pytest.raises(Refusal):
        set_web(CASHIER, aid, True)
    assert not data.web_flag(aid)
    set_web(MANAGER, aid, True)
    assert data.web_flag(aid)
    assert events.events("article_web")[-1]["data"]["web"] is True


def test_push_creates_products_with_their_tax_group_category_and_stock(shop, ps):
    publish(*PUBLISHED)
    result = push_articles(client_for(ps))
    assert result["status"] == "done" and result["created"] == 4 and result["conflicts"] == 0, result
    groups = {2000: "1", 1000: "2", 550: "3", 210: "4"}
    for ref, vat in PUBLISHED.items():
        art = article(ref)
        pid = result["products"][art.id]
        assert data_sync.link_of_article(art.id) == (pid, 0)
        p = product(ps, pid)
        assert p["reference"] == ref and p["ean13"] == art.barcodes[0]
        assert p["name"] == {1: art.name, 2: art.name}
        assert p["price"] == price_excl(art.price, vat) and p["id_tax_rules_group"] == groups[vat]
        assert p["active"] == "0"  # new products start inactive (prestashop.new_inactive)
        assert shop_stock(ps, pid) == art.stock // 1000
        with ps.lock:
            category = ps.data["categories"][int(p["id_category_default"])]
        assert category["name"][1] == catalog.get_article(art.id).department
    again = push_articles(client_for(ps))
    assert again["created"] == 0 and again["updated"] == 0 and again["unchanged"] == 4


def test_departments_become_one_category_each(shop, ps):
    publish("D010001", "D010002")  # both Boulangerie
    with ps.lock:
        before = len(ps.data["categories"])
    result = push_articles(client_for(ps))
    with ps.lock:
        assert len(ps.data["categories"]) == before + 1
    p1, p2 = (product(ps, pid) for pid in result["products"].values())
    assert p1["id_category_default"] == p2["id_category_default"]


def test_new_products_active_when_the_setting_says_so(shop, ps):
    config.set_setting("prestashop.new_inactive", "0")
    publish("D050103")
    result = push_articles(client_for(ps))
    assert product(ps, next(iter(result["products"].values())))["active"] == "1"


def save(ref: str, **changes) -> None:
    from dataclasses import replace

    from pos.catalog.actions import save_article

    save_article(MANAGER, replace(article(ref), **changes))


def test_only_the_fields_the_till_owns_are_updated(shop, ps):
    publish("D050103")
    pid = next(iter(push_articles(client_for(ps))["products"].values()))
    save("D050103", price=199, name="Bière blonde 33cl x1")
    nothing = push_articles(client_for(ps))  # the shop owns every field: nothing is sent
    assert nothing["updated"] == 0 and product(ps, pid)["price"] == price_excl(169, 2000)
    config.set_setting("prestashop.till_fields", "price")
    result = push_articles(client_for(ps))
    assert result["updated"] == 1 and result["conflicts"] == 0
    p = product(ps, pid)
    assert p["price"] == price_excl(199, 2000) and p["name"][1] == "Bière blonde 33 cl"  # name: the shop's
    assert push_articles(client_for(ps))["updated"] == 0


def test_a_wrong_price_on_the_shop_is_reported(shop, ps, monkeypatch):
    from pos.sync import push

    monkeypatch.setattr(push, "price_excl", lambda cents, vat: "1.000000")  # a rounding bug, say
    publish("D050103")
    result = push_articles(client_for(ps))
    assert result["conflicts"] == 1 and "1.20" in result["conflict_list"][0]["text"]


def pull_args(**kw) -> argparse.Namespace:
    return argparse.Namespace(**{"dry_run": False, "add": True, "update": True, "delete": False, "full": True, **kw})


@pytest.mark.parametrize("full", [False, True])
def test_a_pull_never_overwrites_a_till_owned_field(shop, ps, full):
    publish("D050103")
    client = client_for(ps)
    pid = next(iter(push_articles(client)["products"].values()))
    config.set_setting("prestashop.till_fields", "price,category")
    client.update("products", pid, {"price": "5.000000", "name": {"1": "Blonde", "2": "Blonde"}})
    preview = articles.pull_preview(client, full=full)
    (change,) = [c for c in preview.changed if c.shop.id_product == pid]
    assert set(change.fields) == {"name"}  # not the price, not the department
    articles.apply(preview, add=False, update=True, delete=False, user_name="test")
    art = article("D050103")
    assert art.price == 169 and art.name == "Blonde"


def test_cli_web_then_push(shop, ps):
    db = shop.database
    cmd = [sys.executable, "-m", "pos", "--db", db]

    def pos(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*cmd, *args], capture_output=True, text=True, env=cli_env(),
                              stdin=subprocess.DEVNULL, timeout=60)

    assert pos("config", "set", "prestashop.url", ps.url).returncode == 0
    assert set_secret(db, "prestashop.key", ps.key).returncode == 0
    assert pos("sync", "web", "NOPE").returncode == 1
    web = pos("sync", "web", "D050103", "D010001")
    assert web.returncode == 0 and web.stdout.splitlines() == ["web.D050103: 1", "web.D010001: 1"]
    dry = pos("sync", "push", "--dry-run")
    assert dry.returncode == 0 and "created: 2" in dry.stdout.splitlines()
    proc = pos("sync", "push")
    assert proc.returncode == 0, proc.stderr
    assert "created: 2" in proc.stdout.splitlines() and "conflicts: 0" in proc.stdout.splitlines()
    assert pos("sync", "push").stdout.splitlines()[1:4] == ["articles: 2", "created: 0", "updated: 0"]


def test_a_till_owned_stock_is_never_counted_twice_by_the_end_of_day(shop, ps, till):
    from pos.sync import endofday
    from pos.sync.stock import start_from_now

    config.set_setting("prestashop.till_fields", "stock")
    publish("D050103")
    start_from_now()

    def sell(units: int) -> None:
        till.set_pending_qty(units * 1000)
        till.scan("D050103")
        till.add_payment("cash")
        till.validate()

    sell(2)
    first = endofday.run_all(client_for(ps))
    assert first["status"] == "done", first
    assert first["steps"]["push"]["counts"]["created"] == 1
    pid = data_sync.link_of_article(article("D050103").id)[0]
    assert shop_stock(ps, pid) == article("D050103").stock // 1000 == 48
    sell(3)
    second = endofday.run_all(client_for(ps))
    assert second["status"] == "done" and second["steps"]["push"]["counts"]["updated"] == 1, second
    assert shop_stock(ps, pid) == article("D050103").stock // 1000 == 45
