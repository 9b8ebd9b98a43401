"""The order push (prestashop.mode = orders) against the PrestaShop emulator: cart → order per POS sale,
exactly once across faults (the id_cart lookup), a consumed cart, dry run, the end-of-day run."""

from __future__ import annotations

import pytest
from helpers.prestashop.emulator import PrestaShopEmulator

from pos.data import catalog, config
from pos.data import sync as data_sync
from pos.data import sync_push_orders as data
from pos.data import tickets as tickets_db
from pos.sync import endofday
from pos.sync.client import PrestaShopClient
from pos.sync.push_orders import format_result, push_orders

MANAGER_PIN = "9999"
# demo article reference -> product on the emulator (no combinations: simple prices)
LINKS = {"D010003": (2, 0), "D010004": (3, 0)}
UNLINKED = "D010005"


@pytest.fixture
def ps():
    with PrestaShopEmulator() as emulator:
        yield emulator


def client_for(ps: PrestaShopEmulator) -> PrestaShopClient:
    return PrestaShopClient(ps.url, ps.key, timeout=(2, 1), backoff=0, retries=0)


@pytest.fixture
def linked(shop, ps):
    """Links, and the shop's prices made equal to the till's (the order's total must be the cart's)."""
    for ref, (pid, attr) in LINKS.items():
        article = catalog.find_article_by_code(ref)
        data_sync.set_link(article.id, pid, attr, "2026-01-01 00:00:00")
        with ps.lock:
            product = ps.data["products"][pid]
            rate = ps.tax_rate(product.get("id_tax_rules_group", ""))
            product["price"] = f"{article.price / 100 / (1 + rate / 100):.6f}"
    config.set_setting("prestashop.mode", "orders")
    return LINKS


def sell(till, *items: tuple[str, int]) -> int:
    for ref, units in items:
        if units != 1:
            till.set_pending_qty(units * 1000)
        till.scan(ref)
    till.add_payment("cash")
    return till.validate().number


def orders_of(ps: PrestaShopEmulator, id_cart: int) -> list[dict]:
    with ps.lock:
        return [o for o in ps.data["orders"].values() if o.get("id_cart") == str(id_cart)]


def order_count(ps: PrestaShopEmulator) -> int:
    with ps.lock:
        return len(ps.data["orders"])


def check_one_order_per_ticket(ps: PrestaShopEmulator, numbers: list[int]) -> None:
    ids = set()
    for number in numbers:
        entry = data.entry(number)
        assert entry is not None and entry["status"] == "done", entry
        found = orders_of(ps, entry["id_cart"])
        assert len(found) == 1 and int(found[0]["id"]) == entry["id_order"]
        ids.add(entry["id_order"])
    assert len(ids) == len(numbers)


def test_one_ticket_one_order_with_its_total_and_rows_and_a_rerun_creates_nothing(ps, linked, till):
    client = client_for(ps)
    before = order_count(ps)
    number = sell(till, ("D010003", 2), ("D010004", 1))
    ticket = tickets_db.get_ticket(number)
    result = push_orders(client, user_name="Claire")
    assert result["status"] == "done", result
    assert result["created"] == 1 and result["mismatches"] == 0 and result["errors"] == 0
    assert order_count(ps) == before + 1
    check_one_order_per_ticket(ps, [number])
    entry = data.entry(number)
    order = client.get("orders", entry["id_order"])
    assert order["current_state"] == "11" and order["module"] == "ps_checkpayment"
    assert round(float(order["total_paid"]) * 100) == ticket.total
    rows = {(int(r["product_id"]), int(r["product_attribute_id"])): int(r["product_quantity"])
            for r in order["associations"]["order_rows"]}
    assert rows == {(2, 0): 2, (3, 0): 1}
    assert data_sync.get_state("stock.last_ticket") == str(number)  # the stock push moves along
    run = data_sync.runs(1)[0]
    assert run["kind"] == "push_orders" and run["status"] == "done" and run["counts"]["created"] == 1
    assert "created: 1" in format_result(result)
    # the till's customer was created once and is reused
    customer = data.till_customer()
    sell(till, ("D010003", 1))
    ps.reset_log()
    again = push_orders(client)
    assert again["created"] == 1 and data.till_customer() == customer
    assert ps.count("POST", "/api/customers") == 0 and ps.count("POST", "/api/addresses") == 0
    # a re-run: nothing to do, nothing created
    ps.reset_log()
    third = push_orders(client)
    assert third["status"] == "done" and third["first_ticket"] is None and third["created"] == 0
    assert ps.count("POST") == 0


def test_refunds_and_unlinked_sales_are_skipped_and_reported(ps, linked, till):
    client = client_for(ps)
    first = sell(till, ("D010003", 2), (UNLINKED, 1))
    sell(till, (UNLINKED, 1))
    ticket = tickets_db.get_ticket(first)
    line = next(ln for ln in ticket.lines if ln["reference"] == "D010003")
    till.authorize(MANAGER_PIN, "refund")
    till.start_refund(first, {line["id"]: 1000})
    till.add_payment("cash")
    refund = till.validate().number
    result = push_orders(client)
    assert result["status"] == "done", result
    assert result["created"] == 1 and result["partial_list"] == [first]
    assert result["not_linked"] == 1 and result["refund_list"] == [refund]
    order = client.get("orders", data.entry(first)["id_order"])
    assert round(float(order["total_paid"]) * 100) == line["total"]  # the linked lines only
    assert order["current_state"] == "11" and result["mismatches"] == 0


@pytest.mark.parametrize("kind", ["reset", "timeout", "empty_500", "die"])
def test_a_fault_on_the_order_post_never_duplicates_the_order(ps, linked, till, kind):
    client = client_for(ps)
    numbers = [sell(till, ("D010003", 1)), sell(till, ("D010004", 2))]
    before = order_count(ps)
    ps.inject(kind, count=1, method="POST", path="/api/orders", seconds=1.5)
    result = push_orders(client)
    runs = 1
    while result["status"] != "done" and runs < 3:
        result = push_orders(client)
        runs += 1
    assert result["status"] == "done", result
    assert order_count(ps) == before + 2
    check_one_order_per_ticket(ps, numbers)


def test_a_fault_after_the_post_is_resumed_by_the_id_cart_lookup(ps, linked, till):
    """The order landed, its answer and the lookup were lost: the next run finds it by id_cart."""
    client = client_for(ps)
    number = sell(till, ("D010003", 1))
    before = order_count(ps)
    client.read_only_fields("orders")  # the synopsis GET, read once per client: not the one to lose
    ps.inject("reset", count=1, method="POST", path="/api/orders")
    ps.inject("timeout", count=1, method="GET", path="/api/orders", seconds=1.5)
    failed = push_orders(client)
    assert failed["status"] == "failed" and failed["errors"] == 1
    assert data.entry(number)["status"] == "cart" and order_count(ps) == before + 1
    ps.reset_log()
    done = push_orders(client)
    assert done["status"] == "done" and done["found"] == 1 and done["created"] == 0
    assert ps.count("POST", "/api/orders") == 0
    check_one_order_per_ticket(ps, [number])


def test_a_consumed_cart_gets_the_die_page_then_a_fresh_cart(ps, linked, till):
    client = client_for(ps)
    number = sell(till, ("D010003", 1))
    push_orders(client, dry_run=True)  # nothing recorded
    # an outbox row whose cart the shop considers used, with no order on it
    who = {"id_customer": 1, "id_address": 5}
    cart = client.create("carts", {"id_currency": "1", "id_lang": "1", "id_customer": str(who["id_customer"]),
                                   "id_address_delivery": "5", "id_address_invoice": "5", "id_carrier": "1"})
    with ps.lock:
        ps.used_carts.add(int(cart["id"]))
    data.save_entry({"number": number, "id_cart": int(cart["id"]), "id_order": None, "status": "cart",
                     "state": None, "note": ""})
    result = push_orders(client)
    assert result["status"] == "done", result
    entry = data.entry(number)
    assert entry["id_cart"] != int(cart["id"]) and orders_of(ps, int(cart["id"])) == []
    check_one_order_per_ticket(ps, [number])


def test_a_half_created_order_is_reported_never_posted_again(ps, linked, till):
    client = client_for(ps)
    number = sell(till, ("D010003", 1), ("D010004", 1))
    ps.inject("order_fatal", count=1)
    result = push_orders(client)
    if result["status"] != "done":
        result = push_orders(client)
    assert result["status"] == "done", result
    entry = data.entry(number)
    assert entry["status"] == "error" and entry["state"] == "0"
    assert len(orders_of(ps, entry["id_cart"])) == 1
    assert result["mismatches"] == 1 and result["mismatch_list"][0]["ticket"] == number


def test_a_price_difference_gives_a_payment_error_reported(ps, linked, till):
    client = client_for(ps)
    with ps.lock:
        ps.data["products"][2]["price"] = "99.000000"
    number = sell(till, ("D010003", 1))
    result = push_orders(client)
    assert result["status"] == "done" and result["mismatches"] == 1
    entry = data.entry(number)
    assert entry["status"] == "error" and entry["state"] == "8"
    ps.reset_log()
    assert push_orders(client)["created"] == 0 and ps.count("POST", "/api/orders") == 0


def test_dry_run_creates_nothing(ps, linked, till):
    client = client_for(ps)
    number = sell(till, ("D010003", 1))
    before = order_count(ps)
    result = push_orders(client, dry_run=True)
    assert result["status"] == "done" and result["created"] == 1 and result["dry_run"]
    assert ps.count("POST") == 0 and order_count(ps) == before
    assert data.entry(number) is None and data_sync.get_state(data.LAST_TICKET) == ""


def test_end_of_day_in_orders_mode_creates_the_orders_and_pushes_no_stock(ps, till):
    client = client_for(ps)
    assert endofday.run_all(client)["status"] == "done"  # pulls and links the articles
    from pos.core import settings

    settings.set_value("prestashop.mode", "orders")
    article_id = data_sync.links()[(2, 0)]["article_id"]
    reference = catalog.get_article(article_id).reference
    number = sell(till, (reference, 1))
    before = order_count(ps)
    ps.reset_log()
    result = endofday.run_all(client)
    assert result["status"] == "done", result
    step = result["steps"]["stock"]
    assert step["status"] == "done" and step["counts"]["mode"] == "orders" and step["counts"]["created"] == 1
    assert ps.count("PATCH", "/api/stock_availables") == 0
    assert order_count(ps) == before + 1
    check_one_order_per_ticket(ps, [number])


def test_the_till_s_own_orders_are_not_imported_back_as_web_sales(ps, linked, till):
    """An order the till sent, then moved to an imported (paid) state: not a second sale."""
    from pos.sync import orders

    client = client_for(ps)
    number = sell(till, ("D010003", 1))
    assert push_orders(client)["status"] == "done"
    id_order = data.entry(number)["id_order"]
    with ps.lock:  # the shop marks it "payment accepted" (state 2, imported by default)
        ps.data["orders"][id_order]["current_state"] = "2"
        ps.data["orders"][id_order]["date_upd"] = "2099-01-01 00:00:00"
    result = orders.import_orders(client)
    assert result["status"] == "done", result
    assert id_order not in result["tickets"] and id_order not in data_sync.imported_orders()
    assert result["skipped_already"] >= 1
