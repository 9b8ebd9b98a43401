"""Live tests against a real PrestaShop 8.2.1: set PRESTASHOP_TEST_URL and PRESTASHOP_TEST_KEY
(CI does: .ci/run starts the test shop on 127.0.0.1).  Skipped without them.

They READ AND WRITE: each test creates its own products, customers and orders with unique references
(``POSLIVE<hex>``), the till's database is a throw-away copy of the demo shop, and the products and
customers created are deleted at the end (orders stay: PrestaShop keeps them, and a later run's import
only looks at its own).  The shop stays usable for the next run; ``reset.sh`` restores it fully.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from pos.data import catalog, config
from pos.data import sync as data_sync
from pos.sync import articles, orders, rights
from pos.sync.client import PrestaShopClient, filter_in

URL = os.environ.get("PRESTASHOP_TEST_URL")
KEY = os.environ.get("PRESTASHOP_TEST_KEY")

pytestmark = pytest.mark.skipif(not (URL and KEY), reason="PRESTASHOP_TEST_URL and PRESTASHOP_TEST_KEY not set")


def unique(prefix: str = "POSLIVE") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10].upper()}"


@pytest.fixture
def client() -> PrestaShopClient:
    assert URL and urlsplit(URL).hostname == "127.0.0.1", "live tests only talk to a shop on 127.0.0.1"
    return PrestaShopClient(URL, KEY or "", timeout=(10, 60))


class Created:
    """What a test created on the shop, deleted at the end (products, customers, addresses)."""

    def __init__(self, client: PrestaShopClient) -> None:
        self.client = client
        self.items: list[tuple[str, int]] = []

    def product(self, *, price_excl: str, group: int = 1, quantity: int = 50, reference: str = "") -> dict:
        reference = reference or unique()
        name = f"Live {reference}"
        rec = self.client.create("products", {
            "reference": reference, "price": price_excl, "id_tax_rules_group": str(group), "active": "1",
            "state": "1", "id_category_default": "2", "name": {"1": name, "2": name},
            "link_rewrite": {"1": reference.lower(), "2": reference.lower()},
            "associations": {"categories": [{"id": "2"}]}})
        pid = int(rec["id"])
        self.items.append(("products", pid))
        self.set_stock(pid, quantity)
        return {"id": pid, "reference": reference, "name": name}

    def stock_row(self, pid: int, attr: int = 0) -> dict:
        rows = self.client.list("stock_availables", display_="full",
                                filters={"id_product": filter_in([pid]), "id_product_attribute": filter_in([attr])})
        assert len(rows) == 1, rows
        return rows[0]

    def stock(self, pid: int) -> int:
        return int(self.stock_row(pid)["quantity"])

    def set_stock(self, pid: int, quantity: int) -> None:
        self.client.update("stock_availables", self.stock_row(pid)["id"], {"quantity": str(quantity)})

    def customer(self) -> dict:
        email = f"{unique('live').lower()}@example.invalid"
        rec = self.client.create("customers", {"firstname": "Jeanne", "lastname": "Martin", "email": email,
                                               "passwd": uuid.uuid4().hex, "active": "1"})
        cid = int(rec["id"])
        self.items.append(("customers", cid))
        addr = self.client.create("addresses", {"id_customer": str(cid), "id_country": "8", "alias": "Maison",
                                                "lastname": "Martin", "firstname": "Jeanne",
                                                "address1": "3 rue des Lilas", "postcode": "75011", "city": "Paris"})
        self.items.append(("addresses", int(addr["id"])))
        return {"id": cid, "email": email, "id_address": int(addr["id"])}

    def order(self, customer: dict, product: dict, qty: int, total: str) -> int:
        """A web order as a checkout makes it: cart, then order (state "Remote payment accepted")."""
        cart = self.client.create("carts", {
            "id_currency": "1", "id_lang": "1", "id_customer": str(customer["id"]),
            "id_address_delivery": str(customer["id_address"]), "id_address_invoice": str(customer["id_address"]),
            "id_carrier": "1", "associations": {"cart_rows": [{
                "id_product": str(product["id"]), "id_product_attribute": "0",
                "id_address_delivery": str(customer["id_address"]), "quantity": str(qty)}]}})
        address = str(customer["id_address"])
        echo = self.client.create("orders", {
            "id_cart": cart["id"], "id_customer": str(customer["id"]), "id_address_delivery": address,
            "id_address_invoice": address, "id_currency": "1", "id_lang": "1", "id_carrier": "1",
            "module": "ps_checkpayment", "payment": "Cheque", "total_paid": total, "total_paid_real": total,
            "total_products": total, "total_products_wt": total, "conversion_rate": "1"})
        return int(echo["id"])

    def cleanup(self) -> None:
        for resource, id_ in reversed(self.items):
            try:
                self.client.delete(resource, id_)
            except Exception:  # noqa: BLE001 - best effort: an order may keep its customer
                pass


@pytest.fixture
def created(client) -> Iterator[Created]:
    made = Created(client)
    yield made
    made.cleanup()


def link(ref: str, pid: int) -> int:
    article = catalog.find_article_by_code(ref)
    data_sync.set_link(article.id, pid, 0, "2026-01-01 00:00:00")
    return article.id


def sell(till, ref: str, units: int) -> int:
    till.set_pending_qty(units * 1000)
    till.scan(ref)
    till.add_payment("cash")
    return till.validate().number


# ---------------------------------------------------------------- connection and rights


def test_live_connection_and_every_right(client):
    jobs = rights.enabled_jobs("stock", push=True) + ["push_orders"]
    report = client.test_connection(jobs=jobs)
    assert report.version == "8.2.1" and report.patch
    assert [lang["iso_code"] for lang in report.languages] == ["en", "fr"]
    assert report.default_country == 8
    assert report.ok and report.missing_by_job == {}, report.missing_by_job


# ---------------------------------------------------------------- the pull


def test_live_pull_adds_the_new_product_at_its_price_incl_vat(shop, client, created):
    product = created.product(price_excl="10.000000", group=2, quantity=7)  # 10 % -> 11.00
    preview = articles.pull_preview(client, full=True)
    assert preview.counts["new"] >= 20  # the 19 demo products' articles and ours
    articles.apply(preview, add=True, update=True, delete=False, user_name="live")
    found = catalog.find_article_by_code(product["reference"])
    assert found is not None
    art = catalog.article_detail(found.id)
    assert art.price == 1100 and art.vat_bp == 1000 and art.stock == 7000
    again = articles.pull_preview(client, full=True)
    assert product["id"] not in {c.shop.id_product for c in again.changed}  # idempotent
    assert product["id"] not in {n.id_product for n in again.new}


# ---------------------------------------------------------------- stock both ways


def test_live_stock_push_then_shop_change_comes_back(shop, client, created, till):
    from pos.sync.stock import push_stock, refresh_till_stock

    product = created.product(price_excl="2.000000", quantity=40)
    aid = link("D010003", product["id"])
    sell(till, "D010003", 3)
    result = push_stock(client)
    assert result["status"] == "done" and result["pushed"] == 1 and result["conflicts"] == 0, result
    assert created.stock(product["id"]) == 37
    assert push_stock(client)["pushed"] == 0 and created.stock(product["id"]) == 37  # exactly once
    created.set_stock(product["id"], 25)  # a delivery counted in the back office
    assert refresh_till_stock(client) >= 1
    assert catalog.article_detail(aid).stock == 25000


# ---------------------------------------------------------------- web orders


def test_live_web_order_imported_once(shop, client, created):
    product = created.product(price_excl="5.000000", quantity=20)  # 6.00 incl. VAT
    customer = created.customer()
    id_order = created.order(customer, product, 2, "12.00")
    order = client.get("orders", id_order)
    assert order["current_state"] == "11", order["current_state"]  # "Remote payment accepted"
    assert created.stock(product["id"]) == 18  # PrestaShop decremented its own stock
    config.set_setting("prestashop.order_states", "2,11")
    first = orders.import_orders(client)
    assert first["status"] == "done", first
    number = first["tickets"][id_order]
    from pos.data import tickets as tickets_db

    ticket = tickets_db.get_ticket(number)
    assert ticket is not None and ticket.total == 1200 and ticket.channel == "web"
    from pos.data import customers

    buyer = customers.get_customer(ticket.customer_id)  # the order's customer, created at the till
    assert buyer["email"] == customer["email"] and buyer["name"] == "Jeanne Martin" and buyer["city"] == "Paris"
    second = orders.import_orders(client)
    assert id_order not in second["tickets"]
    assert second["customers_created"] == 0


def test_live_cancelled_order_becomes_one_refund(shop, client, created):
    from pos.data import tickets as tickets_db

    product = created.product(price_excl="5.000000", quantity=20)
    config.set_setting("prestashop.order_states", "2,11")
    link_to = catalog.find_article_by_code("D010003")
    data_sync.set_link(link_to.id, product["id"], 0, "2026-01-01 00:00:00")
    id_order = created.order(created.customer(), product, 1, "6.00")
    sale = orders.import_orders(client)["tickets"][id_order]
    client.create("order_histories", {"id_order": str(id_order), "id_order_state": "6"})  # Canceled
    assert client.get("orders", id_order)["current_state"] == "6"
    result = orders.import_orders(client)
    assert result["status"] == "done" and result["refunded"] >= 1, result
    refund = tickets_db.get_ticket(result["refunds"][id_order])
    assert refund.refund_of == sale and refund.total == -600
    again = orders.import_orders(client)
    assert id_order not in again["refunds"]


def test_live_imported_orders_move_to_the_chosen_state(shop, client, created):
    product = created.product(price_excl="5.000000", quantity=20)
    config.set_setting("prestashop.order_states", "11")
    config.set_setting("prestashop.imported_state", "3")  # Processing in progress
    id_order = created.order(created.customer(), product, 1, "6.00")
    assert id_order in orders.import_orders(client)["tickets"]
    assert client.get("orders", id_order)["current_state"] == "3"


# ---------------------------------------------------------------- the push (till -> shop)


def test_live_push_creates_then_updates_only_till_fields(shop, client, created):
    from dataclasses import replace

    from helpers.actors import MANAGER

    from pos.catalog.actions import save_article
    from pos.sync.push import push_articles, set_web

    ref = unique()
    bakery = catalog.find_article_by_code("D010001").department_id
    save_article(MANAGER, catalog.ArticleDetail(ref, "Confiture d'abricots", 455, 550, stock=12_000,
                                                department_id=bakery))
    art = catalog.find_article_by_code(ref)
    set_web(MANAGER, art.id, True)
    result = push_articles(client)
    assert result["status"] == "done" and result["created"] == 1 and result["conflicts"] == 0, result
    pid = result["products"][art.id]
    created.items.append(("products", pid))
    p = client.get("products", pid, params={"price[final_wt][use_tax]": "1"})
    assert p["reference"] == ref and p["active"] == "0" and p["id_tax_rules_group"] == "3"
    assert p["final_wt"] == "4.550000" and p["name"] == {1: "Confiture d'abricots", 2: "Confiture d'abricots"}
    assert created.stock(pid) == 12
    category = client.get("categories", p["id_category_default"])
    assert category["name"][1] == art.department
    config.set_setting("prestashop.till_fields", "price")
    detail = catalog.article_detail(art.id)
    save_article(MANAGER, replace(detail, price=499, name="Confiture abricot"))
    update = push_articles(client)
    assert update["updated"] == 1 and update["conflicts"] == 0, update
    p = client.get("products", pid, params={"price[final_wt][use_tax]": "1"})
    assert p["final_wt"] == "4.990000" and p["name"][1] == "Confiture d'abricots"  # the name stays the shop's
    client.update("products", pid, {"price": "9.000000", "name": {"1": "Abricot", "2": "Abricot"}})
    preview = articles.pull_preview(client, full=True)
    (change,) = [c for c in preview.changed if c.shop.id_product == pid]
    assert set(change.fields) == {"name"}  # --full: the till's price is not pulled back


# ---------------------------------------------------------------- orders mode


def test_live_orders_mode_sends_the_sale_as_an_order(shop, client, created, till):
    from pos.sync.push_orders import push_orders

    article = catalog.find_article_by_code("D010004")
    vat_bp = catalog.article_detail(article.id).vat_bp
    excl = f"{article.price / 100 / (1 + vat_bp / 10000):.6f}"  # the till's price on the shop
    product = created.product(price_excl=excl, group={2000: 1, 1000: 2, 550: 3, 210: 4}[vat_bp], quantity=30)
    link("D010004", product["id"])
    config.set_setting("prestashop.mode", "orders")
    number = sell(till, "D010004", 2)
    result = push_orders(client)
    assert result["status"] == "done" and result["mismatches"] == 0, result
    id_order = result["orders"][number]
    order = client.get("orders", id_order)
    assert order["current_state"] == "11" and order["valid"] == "1"
    assert created.stock(product["id"]) == 28
    assert push_orders(client)["orders"] == {}  # once


# ---------------------------------------------------------------- automatic sync


def test_live_automatic_sync_under_a_shop_that_goes_away_and_comes_back(shop, client, created, till):
    import socket
    import time

    from pos.sync.auto import AutoSync

    with socket.socket() as s:  # a port where nothing listens: the shop is away
        s.bind(("127.0.0.1", 0))
        away = f"http://127.0.0.1:{s.getsockname()[1]}"
    where = {"url": away}
    product = created.product(price_excl="2.000000", quantity=40)
    link("D010003", product["id"])
    config.set_setting("prestashop.order_states", "2")
    seen = []
    auto = AutoSync(lambda: PrestaShopClient(where["url"], KEY or "", timeout=(1, 30), retries=0),
                    interval=0.5, debounce=0.1, backoff=0.2, max_backoff=1.0, poll=0.05, first=0,
                    on_status=seen.append).start()
    try:
        sell(till, "D010003", 4)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len([s for s in seen if s.state == "failed"]) < 3:
            time.sleep(0.05)
        assert seen and seen[-1].state == "failed" and seen[-1].failures >= 3, seen[-1:]
        assert created.stock(product["id"]) == 40
        where["url"] = URL  # the shop is back
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and seen[-1].state != "ok":
            time.sleep(0.05)
        assert seen[-1].state == "ok" and seen[-1].last_failure, seen[-1]
        assert created.stock(product["id"]) == 36
    finally:
        auto.stop()
    assert created.stock(product["id"]) == 36  # exactly once, whatever the runs after
