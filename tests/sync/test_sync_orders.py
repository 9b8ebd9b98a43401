"""The web order import against the PrestaShop emulator: tickets on channel web, once only, faults, Z, CLI."""

from __future__ import annotations

import argparse
import copy
import subprocess
import sys

import pytest
from helpers.actors import MANAGER, manager
from helpers.prestashop.emulator import PrestaShopEmulator, ean13

from pos.core.money import split_vat
from pos.data import catalog, journal, users
from pos.data import shop as shop_db
from pos.data import sync as data_sync
from pos.data import sync_orders as data
from pos.data import tickets as tickets_db
from pos.data.catalog import ArticleDetail
from pos.fiscal import closures
from pos.sync import orders
from pos.sync.client import PrestaShopClient
from pos.sync.stock import push_stock

BOOK_EAN = ean13(5)


@pytest.fixture
def ps():
    with PrestaShopEmulator() as emulator:
        yield emulator


def client_for(ps: PrestaShopEmulator, **kw) -> PrestaShopClient:
    kw.setdefault("timeout", (2, 1))
    kw.setdefault("backoff", 0)
    kw.setdefault("retries", 0)
    return PrestaShopClient(ps.url, ps.key, **kw)


def add_order(ps: PrestaShopEmulator, oid: int, *, state: int, module: str, rows: list[dict], shipping: str = "0",
              discount: str = "0", date: str = "2026-03-01 10:00:00") -> None:
    """An order as the shop would have it (rows: reference, ean13, qty, incl, excl)."""
    with ps.lock:
        o = copy.deepcopy(ps.data["orders"][7])
        template = o["associations"]["order_rows"][0]
        order_rows = []
        for n, r in enumerate(rows, start=1):
            row = dict(template, id=str(1000 * oid + n), product_reference=r.get("reference", ""),
                       product_ean13=r.get("ean13", ""), product_quantity=str(r["qty"]),
                       product_name=r.get("name", f"Web product {n}"), unit_price_tax_incl=r["incl"],
                       unit_price_tax_excl=r["excl"], product_price=r["excl"])
            order_rows.append(row)
        goods = sum(float(r["incl"]) * r["qty"] for r in rows)
        total = round(goods + float(shipping) - float(discount), 2)
        o.update(id=str(oid), current_state=str(state), module=module, payment=module, date_add=date, date_upd=date,
                 reference=f"WEB{oid:06d}", id_cart=str(oid), total_shipping_tax_incl=shipping,
                 total_discounts_tax_incl=discount, total_paid_tax_incl=f"{total:.6f}",
                 total_paid=f"{total:.6f}", total_paid_real=f"{total:.6f}")
        o["associations"] = {"order_rows": order_rows}
        ps._put_record("orders", o)


@pytest.fixture
def web(shop, ps):
    """Till articles for the shop's products, and web orders: 7 (demo, delivered), 20..22 paid, 23 awaiting."""
    catalog.save_article(ArticleDetail("demo_1", "T-shirt colibri", 2352, 2000))
    catalog.save_article(ArticleDetail("BOOK", "Livre", 1055, 550, barcodes=[BOOK_EAN]))
    with ps.lock:
        ps.data["orders"][7]["date_upd"] = "2026-02-01 09:00:00"
        ps.data["orders"][7]["date_add"] = "2026-02-01 09:00:00"
    add_order(ps, 20, state=2, module="stripe_official", shipping="6.000000", discount="5.000000",
              rows=[{"reference": "", "ean13": BOOK_EAN, "qty": 1, "incl": "10.550000", "excl": "10.000000"},
                    {"reference": "demo_1", "qty": 1, "incl": "23.520000", "excl": "19.600000"}],
              date="2026-03-01 10:00:00")
    add_order(ps, 21, state=3, module="ps_wirepayment", date="2026-03-01 11:00:00",
              rows=[{"reference": "demo_1", "qty": 3, "incl": "23.520000", "excl": "19.600000"}])
    add_order(ps, 22, state=5, module="mysteriouspay", date="2026-03-01 12:00:00",
              rows=[{"reference": "demo_1", "qty": 1, "incl": "23.520000", "excl": "19.600000"}])
    add_order(ps, 23, state=10, module="ps_wirepayment", date="2026-03-01 13:00:00",  # awaiting wire payment
              rows=[{"reference": "demo_1", "qty": 1, "incl": "23.520000", "excl": "19.600000"}])
    return ps


def ticket_of(id_order: int) -> tickets_db.TicketRecord:
    number = data.ticket_of_order(id_order)
    assert number is not None
    ticket = tickets_db.get_ticket(number)
    assert ticket is not None
    return ticket


def test_import_paid_orders_as_web_tickets(web):
    client = client_for(web)
    stock_before = catalog.find_article_by_code("demo_1").stock
    seen = []
    result = orders.import_orders(client, progress=lambda n, total: seen.append((n, total)), user_name="Claire")
    assert result["status"] == "done", result
    # seeded orders 1 (cancelled), 6 (state 0), 8 (payment error) and 23 (awaiting) are not imported
    assert result["imported"] == 4 and result["skipped_state"] == 4 and result["errors"] == 0
    assert result["orders_seen"] == 8 and seen[-1] == (8, 8)
    assert result["unknown_products"] == 1  # demo_14 of order 7
    assert result["last_ticket"] - result["first_ticket"] == 3
    assert data_sync.imported_orders() == {7, 20, 21, 22}

    t7 = ticket_of(7)
    assert t7.channel == "web" and t7.kind == "sale" and t7.user_name == "Web" and t7.total == 6504
    assert t7.created_at.startswith("2026-02-01T09:00:00") and len(t7.created_at) == 25  # local offset
    demo1, divers = t7.lines
    assert (demo1["reference"], demo1["qty"], demo1["unit_price"], demo1["vat_bp"]) == ("demo_1", 2000, 2352, 2000)
    assert divers["reference"] == "DIVERS" and divers["name"] == "Customizable mug"
    assert divers["unit_price"] == 1800 and divers["vat_bp"] == 2000 and divers["article"] is not None
    assert [(p["method_code"], p["amount"]) for p in t7.payments] == [("cheque", 6504)]

    t20 = ticket_of(20)
    assert [ln["reference"] for ln in t20.lines] == ["BOOK", "demo_1", "PORT"]
    book, shirt, port = t20.lines
    assert book["barcode"] == BOOK_EAN and book["vat_bp"] == 550
    assert port["name"] == "Frais de port" and port["unit_price"] == 600 and port["vat_bp"] == 550  # lowest non-0
    assert t20.subtotal == 1055 + 2352 + 600 and t20.discount_amount == 500 and t20.total == 3507
    assert sum(ln["ticket_discount"] for ln in t20.lines) == 500
    assert sum(ln["total"] for ln in t20.lines) == t20.total
    vat = {v["vat_bp"]: v for v in t20.vat}
    assert vat[2000]["total"] == shirt["total"] and vat[550]["total"] == book["total"] + port["total"]
    for v in t20.vat:
        assert (v["excl"], v["vat"]) == split_vat(v["total"], v["vat_bp"])
    assert [(p["method_code"], p["amount"]) for p in t20.payments] == [("card", 3507)]

    assert [p["method_code"] for p in ticket_of(21).payments] == ["virement"]
    assert [p["method_code"] for p in ticket_of(22).payments] == ["web"]
    methods = {m.code: m for m in shop_db.payment_methods()}
    assert not methods["web"].gives_change and not methods["web"].opens_drawer
    assert methods["web"].name == "Paiement en ligne" and not methods["virement"].gives_change
    web_user = users.find_user("Web")
    assert web_user is not None and not web_user.active and web_user not in users.users()
    # stock: 2 + 1 + 3 + 1 T-shirts
    assert catalog.find_article_by_code("demo_1").stock == stock_before - 7000
    run = data_sync.runs(1)[0]
    assert run["kind"] == "orders" and run["status"] == "done" and run["counts"]["imported"] == 4
    assert journal.verify().ok

    # a re-run imports nothing
    again = orders.import_orders(client)
    assert again["status"] == "done" and again["imported"] == 0 and again["first_ticket"] is None
    assert tickets_db.last_ticket_number() == result["last_ticket"]


def test_new_state_is_imported_later_and_dry_run_records_nothing(web):
    client = client_for(web)
    dry = orders.import_orders(client, dry_run=True)
    assert dry["status"] == "done" and dry["imported"] == 4 and tickets_db.last_ticket_number() == 0
    assert data_sync.imported_orders() == set() and data_sync.get_state(orders.STATE_DATE) == ""
    orders.import_orders(client)
    with web.lock:  # the wire payment arrives: the order moves to "payment accepted"
        web.data["orders"][23].update(current_state="2", date_upd="2026-12-02 08:00:00")
    result = orders.import_orders(client)
    assert result["imported"] == 1 and 23 in data_sync.imported_orders()
    assert result["orders_seen"] == 3  # 23, and the seeded orders 6 and 8 at the state's very second
    assert data_sync.get_state(orders.STATE_DATE) == "2026-12-02 08:00:00"


def test_reset_by_id_reimports_as_a_new_ticket(web):
    client = client_for(web)
    orders.import_orders(client)
    first = data.ticket_of_order(21)
    assert orders.reset([21]) == 1
    result = orders.import_orders(client)
    assert result["imported"] == 1 and data.ticket_of_order(21) > first
    assert tickets_db.get_ticket(first) is not None  # the first ticket stands (refund it at the till)
    assert orders.reset(None) == 4
    assert orders.import_orders(client)["imported"] == 4
    with pytest.raises(ValueError):
        orders.parse_reset("12,x")
    assert orders.parse_reset("all") is None and orders.parse_reset("12, 13") == [12, 13]


@pytest.mark.parametrize("kind", ["timeout", "empty_500", "die", "maintenance", "reset", "unauthorized"])
def test_fault_in_the_middle_then_each_order_imported_once(web, kind):
    client = client_for(web, timeout=(2, 0.3))
    web.inject(kind, count=1, method="GET", path="/api/orders/21", seconds=1)
    failed = orders.import_orders(client)
    assert failed["status"] == "failed" and failed["error"] and failed["imported"] == 2  # 7 and 20
    run = data_sync.runs(1)[0]
    assert run["status"] == "failed" and run["error"]
    assert data_sync.imported_orders() == {7, 20}
    again = orders.import_orders(client)
    assert again["status"] == "done", again
    assert data_sync.imported_orders() == {7, 20, 21, 22}
    numbers = [data.ticket_of_order(i) for i in (7, 20, 21, 22)]
    assert len(set(numbers)) == 4 and tickets_db.last_ticket_number() == 4
    assert journal.verify().ok


def test_stock_push_ignores_web_tickets(web, till):
    client = client_for(web)
    orders.import_orders(client)
    article = catalog.find_article_by_code("demo_1")
    data_sync.set_link(article.id, 1, 1, "2026-01-01 00:00:00")
    result = push_stock(client)
    assert result["status"] == "done" and result["articles"] == 0 and result["pushed"] == 0


def test_web_card_ticket_does_not_change_expected_cash(web, till):
    till.scan("D010001")
    till.add_payment("cash", 1000)
    sale = till.validate()
    before = closures.x_report(manager())["data"]["cash"] if hasattr(closures, "x_report") else None
    orders.import_orders(client_for(web))
    report = closures.x_report(manager()) if hasattr(closures, "x_report") else closures.compute_x()
    cash = report["data"]["cash"]
    assert cash["cash_taken"] == 1000 and cash["change_given"] == sale.change
    if before is not None:
        assert cash["expected"] == before["expected"]
    assert report["data"]["sales"]["count"] == 5  # counted in the sales
    codes = {p["method_code"] for p in report["data"]["payments"]}
    assert {"card", "cheque", "virement", "web", "cash"} <= codes
    assert journal.verify().ok


def test_cli_sync_orders(web, tmp_path):
    from helpers.cli import cli_env, set_secret

    db_path = tmp_path / "pos.sqlite3"  # the shop fixture's file

    def pos(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pos", "--db", str(db_path), *args], capture_output=True,
                              text=True, encoding="utf-8", env=cli_env(), stdin=subprocess.DEVNULL, timeout=60)

    assert pos("config", "set", "prestashop.url", web.url).returncode == 0
    assert set_secret(db_path, "prestashop.key", web.key).returncode == 0
    web.inject("unauthorized", count=1, method="GET")
    failed = pos("sync", "orders")
    assert failed.returncode == 1 and failed.stdout == "" and len(failed.stderr.splitlines()) == 1
    proc = pos("sync", "orders")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "dry_run: no" and "imported: 4" in lines and "unknown_products: 1" in lines
    assert "tickets: 1-4" in lines
    again = pos("sync", "orders")
    assert "imported: 0" in again.stdout.splitlines() and "tickets: none" in again.stdout.splitlines()
    reset = pos("sync", "orders", "--reset", "20,21")
    assert reset.returncode == 0 and reset.stdout.splitlines() == ["reset: 2"]
    bad = pos("sync", "orders", "--reset", "x")
    assert bad.returncode == 1 and bad.stdout == ""


def test_cli_args_dry_run(web, capsys):
    orders.cli(client_for(web), argparse.Namespace(dry_run=True, reset=None), MANAGER)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "dry_run: yes" and "imported: 4" in out and tickets_db.last_ticket_number() == 0
