"""Articles from PrestaShop (pos/sync/articles.py) against the emulator: first full pull, idempotence,
links (rename, new reference), delta by date_upd, deleted products, faults mid-pull, dry run, the CLI."""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys

import pytest
from helpers.actors import MANAGER
from helpers.cli import cli_env, set_secret
from helpers.prestashop.emulator import PrestaShopEmulator, ean13

from pos.core.errors import Cancelled, Refusal
from pos.data import catalog, events
from pos.data import shop as shop_db
from pos.data import sync as sync_data
from pos.data.catalog import ArticleDetail
from pos.sync import articles
from pos.sync.client import PrestaShopClient

DASH = "\u2013"


@pytest.fixture
def ps():
    with PrestaShopEmulator() as emulator:
        yield emulator


def client_for(ps: PrestaShopEmulator, timeout: float = 2) -> PrestaShopClient:
    return PrestaShopClient(ps.url, ps.key, timeout=timeout, backoff=0)


def args(**kw) -> argparse.Namespace:
    base = {"dry_run": False, "add": False, "update": False, "delete": False, "full": False}
    base.update(kw)
    return argparse.Namespace(**base)


def article(ref: str):
    return catalog.find_article_by_code(ref)


def count_articles(database) -> int:
    return database.execute_sql("SELECT COUNT(*) FROM article").fetchone()[0]


def pull_all(client) -> dict:
    return articles.apply(articles.pull_preview(client), add=True, update=True, delete=True, user_name="test")


def test_first_full_pull_of_the_demo_products(db, ps):
    client = client_for(ps)
    client.update("combinations", 2, {"price": "1.500000", "ean13": ean13(4242), "reference": "TS-S-BLACK"})
    client.update("products", 2, {"ean13": ean13(77)})
    preview = articles.pull_preview(client)
    assert preview.full and preview.products == 19
    assert preview.counts == {"products": 19, "new": 26, "changed": 0, "unchanged": 0, "to_deactivate": 0,
                              "errors": 0}
    assert preview.new_departments == ["Men"]
    by_key = {r.key: r for r in preview.new}
    first = by_key[(1, 1)]
    assert first.name == f"Hummingbird printed t-shirt {DASH} Size: S, Colour: White"
    assert first.reference == "demo_1-1"  # the combination repeats the product's reference: made unique
    assert first.price == 2868  # 23.90 excl. VAT × 1.20 (France, group 1); the specific price is not the list price
    assert first.vat_bp == 2000 and first.stock == 300_000 and first.department == "Men"
    black = by_key[(1, 2)]
    assert black.name.endswith("Size: S, Colour: Black") and black.reference == "TS-S-BLACK"
    assert black.price == 3048  # (23.90 + 1.50) × 1.20
    assert black.barcode == ean13(4242)
    assert by_key[(2, 0)].barcode == ean13(77) and by_key[(2, 0)].stock == 2_100_000
    assert catalog.count_articles() == 0  # a preview changes nothing

    done = articles.apply(preview, add=True, update=True, delete=True, user_name="test")
    assert done == {"added": 26, "updated": 0, "deactivated": 0, "departments_created": 1}
    a = article(ean13(4242))
    assert a.reference == "TS-S-BLACK" and a.price == 3048 and a.department == "Men" and a.stock == 300_000
    assert article(ean13(77)).name == "Hummingbird printed sweater"
    assert sync_data.links()[(1, 2)]["article_id"] == a.id
    assert sync_data.get_state(articles.STATE_DATE) == preview.date_upd > "2026-11-22 13:43:29"  # product 2
    event = events.events("sync_articles")[-1]
    assert event["user_name"] == "test" and event["data"]["added"] == 26


def test_second_run_changes_nothing(db, ps):
    client = client_for(ps)
    pull_all(client)
    before = db.execute_sql("SELECT * FROM article ORDER BY id").fetchall()
    preview = articles.pull_preview(client)
    assert not preview.full
    assert preview.products == 0  # nothing changed since the newest date_upd of the last run
    assert (len(preview.new), len(preview.changed), len(preview.to_deactivate), len(preview.errors)) == (0, 0, 0, 0)
    assert articles.apply(preview, add=True, update=True, delete=True, user_name="t")["updated"] == 0
    assert db.execute_sql("SELECT * FROM article ORDER BY id").fetchall() == before
    full = articles.pull_preview(client, full=True)
    assert full.full and full.unchanged == 26 and not full.new and not full.changed


def test_a_renamed_product_and_a_new_reference_update_the_same_article(db, ps):
    client = client_for(ps)
    pull_all(client)
    old = article("demo_3")
    n = count_articles(db)
    client.update("products", 2, {"name": {1: "Blue sweater", 2: "Pull bleu"}, "reference": "SWEAT-BLUE",
                                  "price": "20.000000"})
    client.update("combinations", 3, {"reference": "TS-M-WHITE"})
    preview = articles.pull_preview(client, full=True)  # a combination's change does not touch its product's date
    assert len(preview.changed) == 2 and not preview.new
    change = next(c for c in preview.changed if c.shop.id_product == 2)
    assert change.article_id == old.id
    assert change.fields == {"name": ("Hummingbird printed sweater", "Blue sweater"),
                             "reference": ("demo_3", "SWEAT-BLUE"), "price": (1440, 2400)}
    assert preview.fields == {"name": 1, "price": 1, "reference": 2}
    articles.apply(preview, add=True, update=True, delete=True, user_name="t")
    assert count_articles(db) == n
    renamed = article("SWEAT-BLUE")
    assert renamed.id == old.id and renamed.name == "Blue sweater" and renamed.price == 2400
    assert article("demo_3") is None and article("TS-M-WHITE").name.endswith("Size: M, Colour: White")


def test_the_language_setting_names_the_articles(db, ps):
    from pos.core import settings

    settings.set_value("prestashop.language", "2")
    preview = articles.pull_preview(client_for(ps))
    assert {r.name for r in preview.new if r.id_product == 2} == {"Pull imprimé colibri"}


def test_a_delta_run_fetches_only_the_changed_products(db, ps):
    client = client_for(ps)
    pull_all(client)
    client.update("products", 5, {"price": "30.000000"})
    pull_all(client)  # the state moves to product 5's date_upd
    client.update("products", 7, {"active": "0"})
    ps.reset_log()
    preview = articles.pull_preview(client)
    assert not preview.full
    assert preview.products == 1  # product 5, at the last run's date, is known: not fetched again
    assert [(c.shop.id_product, c.fields) for c in preview.changed] == [(7, {"active": (True, False)})]
    assert ps.count("GET", "/api/combinations") == 1 and ps.count("GET", "/api/stock_availables") == 1
    assert ps.count("GET", "/api/products") == 3  # the changed products, ids at the last date, the id scan
    assert ps.count() == 11  # + configuration, tax rules, taxes, categories, options, option values
    articles.apply(preview, add=True, update=True, delete=True, user_name="t")
    assert article("demo_12").active is False


def test_a_product_deleted_in_the_shop_is_deactivated(db, ps):
    client = client_for(ps)
    pull_all(client)
    client.delete("products", 3)
    preview = articles.pull_preview(client)
    assert [(d.reference, d.id_product) for d in preview.to_deactivate] == [("demo_6", 3)]
    assert articles.apply(preview, add=True, update=True, delete=False, user_name="t")["deactivated"] == 0
    assert article("demo_6").active is True
    preview = articles.pull_preview(client)
    done = articles.apply(preview, add=False, update=False, delete=True, user_name="t")
    assert done["deactivated"] == 1
    assert article("demo_6").active is False  # deactivated, never deleted
    assert not articles.pull_preview(client).to_deactivate


def test_matching_by_reference_then_barcode_links_existing_articles(db, ps):
    client = client_for(ps)
    client.update("products", 11, {"ean13": ean13(11)})
    kept = catalog.save_article(ArticleDetail("demo_3", "Old sweater", 100, 2000))
    by_code = catalog.save_article(ArticleDetail("MYREF", "Cushion", 2100, 2000, barcodes=[ean13(11)]))
    preview = articles.pull_preview(client)
    assert len(preview.new) == 24
    changes = {c.article_id: c.fields for c in preview.changed}
    assert changes[kept]["name"] == ("Old sweater", "Hummingbird printed sweater")
    assert changes[kept]["link"] == ("", "2/0")
    assert changes[by_code]["reference"] == ("MYREF", "demo_17")
    articles.apply(preview, add=True, update=True, delete=True, user_name="t")
    assert count_articles(db) == 26
    assert sync_data.links()[(2, 0)]["article_id"] == kept
    assert not articles.pull_preview(client).changed


def test_a_vat_rate_the_till_lacks_is_an_error_row(db, ps):
    client = client_for(ps)
    client.update("products", 4, {"id_tax_rules_group": "4"})
    vat = next(v for v in shop_db.vat_rates() if v.rate_bp == 210)
    shop_db.update_vat_rate(vat.id, active=False)
    preview = articles.pull_preview(client)
    assert len(preview.errors) == 1 and "product 4 (demo_5)" in preview.errors[0]
    assert "no VAT rate of 2.1 %" in preview.errors[0]
    assert len(preview.new) == 25
    articles.apply(preview, add=True, update=True, delete=True, user_name="t")
    assert sync_data.get_state(articles.STATE_RETRY) == "4"
    shop_db.update_vat_rate(vat.id, active=True)
    again = articles.pull_preview(client)  # product 4 is fetched again although unchanged
    assert [r.reference for r in again.new] == ["demo_5"] and again.new[0].vat_bp == 210
    articles.apply(again, add=True, update=True, delete=True, user_name="t")
    assert sync_data.get_state(articles.STATE_RETRY) == ""


@pytest.mark.parametrize("kind", ["reset", "timeout", "empty_500"])
def test_a_fault_mid_pull_changes_nothing_and_the_next_run_completes(db, ps, kind):
    client = client_for(ps, timeout=0.5)
    ps.inject(kind, count=3, path="/api/stock_availables", seconds=1.0)  # beyond the client's retries
    with pytest.raises(Refusal) as err:
        articles.cli(client, args(add=True, update=True, delete=True), MANAGER)
    assert "\n" not in str(err.value)
    assert count_articles(db) == 0 and not sync_data.links()
    assert sync_data.get_state(articles.STATE_DATE) == ""
    run = sync_data.runs()[0]
    assert run["kind"] == "articles" and run["status"] == "failed" and run["error"]
    ps.clear_faults()
    counts = articles.cli(client, args(add=True, update=True, delete=True), MANAGER)
    assert counts["added"] == 26 and count_articles(db) == 26
    assert sync_data.runs()[0]["status"] == "done"
    assert articles.cli(client, args(add=True, update=True, delete=True), MANAGER)["added"] == 0
    assert count_articles(db) == 26


def test_a_fault_after_a_first_sync_leaves_the_state(db, ps):
    client = client_for(ps, timeout=0.5)
    pull_all(client)
    client.update("products", 2, {"reference": "NEW2"})
    state = sync_data.get_state(articles.STATE_DATE)
    ps.inject("empty_500", count=None, path="/api/combinations")
    with pytest.raises(Refusal):
        articles.cli(client, args(update=True), MANAGER)
    assert article("demo_3") is not None and sync_data.get_state(articles.STATE_DATE) == state
    ps.clear_faults()
    assert articles.cli(client, args(update=True), MANAGER)["updated"] == 1
    assert article("NEW2") is not None and count_articles(db) == 26


def test_dry_run_and_preview_only_change_nothing(db, ps, capsys):
    client = client_for(ps)
    counts = articles.cli(client, args(add=True, dry_run=True), MANAGER)
    out = capsys.readouterr().out
    assert counts["new"] == 26 and "added" not in counts
    assert "new: 26\n" in out and "dry run: nothing was changed" in out
    articles.cli(client, args(), MANAGER)
    assert "preview only" in capsys.readouterr().out
    assert count_articles(db) == 0 and sync_data.get_state(articles.STATE_DATE) == ""
    runs = sync_data.runs()
    assert [r["dry_run"] for r in runs] == [True, True] and runs[0]["counts"]["new"] == 26


def test_cancel_stops_the_pull(db, ps):
    import threading

    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        articles.pull_preview(client_for(ps), cancel=stop)
    seen: list[str] = []
    articles.pull_preview(client_for(ps), progress=lambda stage, done, total: seen.append(stage))
    assert {"products", "combinations", "stock"} <= set(seen)


def test_price_rounding_is_half_up_on_the_exact_price():
    assert articles.price_incl("10.004166", "0", 2000) == 1200  # 12.0049992
    assert articles.price_incl("0.041667", "0", 2000) == 5  # 0.0500004
    assert articles.price_incl("0.020833", "0.000001", 2000) == 3  # 0.0250008
    assert articles.price_incl("1.000000", "-0.500000", 550) == 53  # 0.5275
    assert articles.rate_bp("5.500") == 550 and articles.rate_bp("2.1") == 210


@pytest.mark.slow
def test_cli_subprocess(shop, ps):
    cmd = [sys.executable, "-m", "pos", "--db", shop.database]

    def run(*a):
        return subprocess.run([*cmd, *a], capture_output=True, text=True, env=cli_env(), stdin=subprocess.DEVNULL,
                              timeout=60)

    assert run("config", "set", "prestashop.url", ps.url).returncode == 0
    assert set_secret(shop.database, "prestashop.key", ps.key).returncode == 0
    proc = run("sync", "articles")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[:4] == ["mode: full", "products: 19", "new: 26", "changed: 0"]
    assert "unchanged: 0" in lines and "to_deactivate: 0" in lines and "errors: 0" in lines
    assert "new_departments: Men" in lines and lines[-1].startswith("preview only")
    proc = run("sync", "articles", "--add", "--update", "--delete")
    assert proc.returncode == 0, proc.stderr
    assert "added: 26" in proc.stdout.splitlines() and "departments_created: 1" in proc.stdout.splitlines()
    proc = run("sync", "articles", "--update")
    assert "mode: delta" in proc.stdout and "new: 0" in proc.stdout and "updated: 0" in proc.stdout
    ps.inject("reset", count=None, path="/api/products")
    proc = run("sync", "articles", "--add")
    assert proc.returncode == 1 and proc.stdout == ""
    # one error line (before it, the client's "retrying" warnings of the logging module)
    assert proc.stderr.splitlines()[-1].startswith("pos: Cannot reach the shop")
    con = sqlite3.connect(shop.database)
    try:
        statuses = [r[0] for r in con.execute("SELECT status FROM sync_run WHERE kind='articles' ORDER BY id")]
        assert statuses == ["done", "done", "done", "failed"]
        assert con.execute("SELECT COUNT(*) FROM ps_link").fetchone()[0] == 26
    finally:
        con.close()


def test_the_first_pull_starts_the_stock_push_after_the_tickets_already_there(till, ps):
    """The shop's stock comes with the first articles: the till's earlier sales are not pushed again."""
    till.scan("3760123000017")
    till.add_payment("cash")
    number = till.validate().number
    assert sync_data.get_state("stock.last_ticket") == ""
    pull_all(client_for(ps))
    assert sync_data.get_state("stock.last_ticket") == str(number)


def test_small_pages_read_ahead_give_the_same_preview(db, ps):
    """Pages of 3 and 4 rows, several asked at once: the same articles as one page each, and a listing costs
    at most pages.AHEAD requests past its last page."""
    from pos.sync import pages

    client = client_for(ps)
    whole = articles.pull_preview(client)
    ps.reset_log()
    paged = articles.pull_preview(client, page_size=3, scan_page_size=4)
    assert paged.products == whole.products == 19
    assert [(r.key, r.values()) for r in paged.new] == [(r.key, r.values()) for r in whole.new]
    assert paged.errors == whole.errors and paged.new_departments == whole.new_departments
    for resource, page, total in (("products", 3, 19), ("combinations", 4, len(ps.data["combinations"])),
                                  ("stock_availables", 4, len(ps.data["stock_availables"]))):
        needed = total // page + 1
        assert needed <= ps.count("GET", f"/api/{resource}") <= needed + pages.AHEAD, resource


def test_the_new_articles_go_in_by_bulk_statements_in_the_shop_order(db, ps, monkeypatch):
    """Statements of 4 rows: every article, its barcode, its link and its stock movement (the conftest
    checks that every stock equals the sum of its movements)."""
    from pos.data import sync_articles as data

    monkeypatch.setattr(data, "BULK", 4)
    client = client_for(ps)
    client.update("products", 2, {"ean13": ean13(77)})
    preview = articles.pull_preview(client)
    assert articles.apply(preview, add=True, update=True, delete=True, user_name="Claire")["added"] == 26
    rows = db.execute_sql("SELECT a.id, a.reference, a.stock, l.id_product, l.id_product_attribute FROM article a "
                          "JOIN ps_link l ON l.article_id = a.id ORDER BY a.id").fetchall()
    assert [(r[1], r[2], (r[3], r[4])) for r in rows] == [(n.reference, n.stock, n.key) for n in preview.new]
    assert article(ean13(77)).reference == "demo_3"
    moves = db.execute_sql("SELECT article_id, kind, qty, user_name FROM stock_move ORDER BY id").fetchall()
    assert [(m[0], m[2]) for m in moves] == [(r[0], r[2]) for r in rows if r[2]]
    assert {(m[1], m[3]) for m in moves} == {("sync", "Claire")}


def test_a_reference_taken_meanwhile_refuses_the_whole_apply(db, ps):
    preview = articles.pull_preview(client_for(ps))
    catalog.save_article(ArticleDetail(preview.new[-1].reference, "Taken meanwhile", 100, 2000))
    with pytest.raises(Refusal, match="preview again"):
        articles.apply(preview, add=True, update=True, delete=True, user_name="t")
    assert count_articles(db) == 1 and not sync_data.links()


def test_rows_read_as_json_take_any_value_type():
    assert articles._int(12) == 12 and articles._int(" 12 ") == 12
    assert [articles._int(v) for v in (None, 1.5, True, "1.5", "x", [1], {"a": 1})] == [0] * 7
    assert [articles._str(v) for v in ("a", 3, None, [1], {"a": 1})] == ["a", "3", "", "", ""]
    lang = [{"id": "1", "value": "Chair"}, {"id": "2", "value": "Chaise"}]
    assert articles._text(lang, 2) == "Chaise" and articles._text(lang, 3) == "Chair"
    assert articles._text({1: " x "}, 1) == "x" and articles._text(None, 1) == "" and articles._text(7, 1) == "7"
    combo = {"associations": {"product_option_values": [{"id": "3"}, "junk", {"id": 1}]}}
    assert articles._option_ids(combo) == (3, 1)
    assert articles._option_ids({"associations": []}) == () and articles._option_ids({}) == ()


def test_changed_articles_are_updated_by_bulk_statements(db, ps, monkeypatch):
    """Statements of 2 rows: price, name, stock, department, VAT and active flag, each article its own
    values; the stock change is a movement (the conftest checks stock against the movements)."""
    from pos.data import sync_articles as data

    monkeypatch.setattr(data, "BULK", 2)
    client = client_for(ps)
    pull_all(client)
    untouched = db.execute_sql("SELECT * FROM article WHERE reference = 'demo_11'").fetchone()
    stock_before = article("demo_3").stock
    client.update("products", 2, {"price": "30.000000", "name": {1: "Sweater", 2: "Pull"}})
    client.update("products", 3, {"id_category_default": "6"})
    client.update("products", 4, {"id_tax_rules_group": "4"})
    client.update("products", 5, {"active": "0"})
    with ps.lock:
        row = next(r for r in ps.data["stock_availables"].values()
                   if r["id_product"] == "2" and r["id_product_attribute"] == "0")
        row["quantity"] = "7"
    preview = articles.pull_preview(client, full=True)
    assert sorted(c.shop.reference for c in preview.changed) == ["demo_3", "demo_5", "demo_6", "demo_7"]
    done = articles.apply(preview, add=True, update=True, delete=True, user_name="Claire")
    assert done["updated"] == 4 and done["added"] == 0
    sweater = article("demo_3")
    assert (sweater.name, sweater.price, sweater.stock) == ("Sweater", 3600, 7000)
    assert article("demo_6").department == "Accessories"
    demo_5 = next(c.shop for c in preview.changed if c.shop.reference == "demo_5")
    assert article("demo_5").vat_bp == demo_5.vat_bp == 210 and article("demo_5").price == demo_5.price
    assert article("demo_7").active is False
    assert db.execute_sql("SELECT * FROM article WHERE reference = 'demo_11'").fetchone() == untouched
    move = db.execute_sql("SELECT kind, qty, user_name FROM stock_move WHERE article_id = ? ORDER BY id DESC",
                          (sweater.id,)).fetchone()
    assert move == ("sync", 7000 - stock_before, "Claire")
    assert catalog.search_articles("Sweater")[0].reference == "demo_3"  # the search index follows the name
    assert not articles.pull_preview(client, full=True).changed


def test_an_article_deleted_since_the_preview_refuses_the_whole_apply(db, ps):
    client = client_for(ps)
    pull_all(client)
    client.update("products", 2, {"price": "30.000000"})
    client.update("products", 3, {"price": "31.000000"})
    preview = articles.pull_preview(client)
    assert len(preview.changed) == 2
    preview.changed[-1].article_id = 10**6  # as if deleted meanwhile
    with pytest.raises(Refusal, match="preview again"):
        articles.apply(preview, add=True, update=True, delete=True, user_name="t")
    assert article("demo_3").price == 1440
