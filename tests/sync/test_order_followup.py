"""Web orders after the basics (pos/sync/orders.py with order_customers, order_refunds, shoptime) against
the emulator: the customer found or created and on the A4 invoice; an order cancelled after its import
refunded once (journaled, restocked once); imported orders moved to a state; the shop's time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from helpers.actors import CASHIER
from helpers.prestashop.emulator import PrestaShopEmulator
from sync.test_sync_orders import add_order, client_for

from pos.data import catalog, config, customers, events, journal
from pos.data import sync_orders as data
from pos.data import tickets as tickets_db
from pos.data.catalog import ArticleDetail
from pos.sync import orders, shoptime

ROW = {"reference": "demo_1", "qty": 2, "incl": "23.520000", "excl": "19.600000"}


@pytest.fixture
def ps():
    with PrestaShopEmulator() as emulator:
        yield emulator


@pytest.fixture
def web(shop, ps):
    catalog.save_article(ArticleDetail("demo_1", "T-shirt colibri", 2352, 2000, stock=10_000))
    add_order(ps, 30, state=2, module="ps_checkpayment", rows=[ROW], date="2026-03-01 10:00:00")
    return ps


def set_state(ps: PrestaShopEmulator, oid: int, state: int, date: str) -> None:
    with ps.lock:
        ps.data["orders"][oid].update(current_state=str(state), date_upd=date)


def test_the_customer_is_created_once_then_found_by_email(web):
    result = orders.import_orders(client_for(web))
    assert result["status"] == "done" and result["customers_created"] == 1, result
    ticket = tickets_db.get_ticket(result["tickets"][30])
    customer = customers.get_customer(ticket.customer_id)
    assert customer["name"] == "Walkin Customer" or customer["email"] == "walkin@pos.example", customer
    assert customer["email"] == "walkin@pos.example" and customer["city"] == "Paris"
    assert "1 Shop Street" in customer["address"]
    assert events.events("customer_created")[-1]["data"]["source"] == "web"
    add_order(web, 31, state=2, module="ps_checkpayment", rows=[ROW], date="2027-03-02 10:00:00")
    again = orders.import_orders(client_for(web))
    assert again["customers_created"] == 0
    assert tickets_db.get_ticket(again["tickets"][31]).customer_id == ticket.customer_id


def test_an_existing_customer_is_found_whatever_the_case(web):
    known = customers.save_customer({"name": "Client connu", "email": "WALKIN@pos.example"})
    result = orders.import_orders(client_for(web))
    assert result["customers_created"] == 0
    assert tickets_db.get_ticket(result["tickets"][30]).customer_id == known


def test_the_a4_invoice_of_a_web_ticket_shows_its_customer(web, tmp_path):
    from pypdf import PdfReader

    from pos.fiscal.reports import invoice_pdf

    number = orders.import_orders(client_for(web))["tickets"][30]
    ticket = tickets_db.get_ticket(number)
    pdf = tmp_path / "invoice.pdf"
    invoice_pdf(CASHIER, number, ticket.customer_id, pdf)
    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    name = customers.get_customer(ticket.customer_id)["name"]
    assert name in text and "1 Shop Street" in text and "Paris" in text


def test_a_cancelled_order_becomes_one_refund_restocked_once(web):
    client = client_for(web)
    first = orders.import_orders(client)
    sale = first["tickets"][30]
    stock_after_sale = catalog.find_article_by_code("demo_1").stock  # order 30 took 2 (and the seeded ones)
    set_state(web, 30, 6, "2027-03-05 09:00:00")  # Canceled on the shop
    result = orders.import_orders(client)
    assert result["status"] == "done" and result["refunded"] == 1, result
    refund = tickets_db.get_ticket(result["refunds"][30])
    assert refund.kind == "refund" and refund.refund_of == sale and refund.channel == "web"
    assert refund.total == -tickets_db.get_ticket(sale).total
    assert catalog.find_article_by_code("demo_1").stock == stock_after_sale + 2_000
    assert journal.verify().ok
    set_state(web, 30, 7, "2027-03-06 09:00:00")  # then Refunded: still one refund
    again = orders.import_orders(client)
    assert again["refunded"] == 0 and catalog.find_article_by_code("demo_1").stock == stock_after_sale + 2_000
    assert tickets_db.last_ticket_number() == refund.number


def test_a_cancel_after_a_till_refund_refunds_only_the_rest(web, till):
    first = orders.import_orders(client_for(web))
    sale = tickets_db.get_ticket(first["tickets"][30])
    stock = catalog.find_article_by_code("demo_1").stock
    till.authorize("9999", "refund")
    till.start_refund(sale.number, {sale.lines[0]["id"]: 1000})  # one of the two given back at the till
    till.add_payment("cash")
    till.validate()
    set_state(web, 30, 6, "2027-03-05 09:00:00")
    result = orders.import_orders(client_for(web))
    refund = tickets_db.get_ticket(result["refunds"][30])
    assert [ln["qty"] for ln in refund.lines] == [-1000]
    assert catalog.find_article_by_code("demo_1").stock == stock + 2_000


def test_imported_orders_move_to_the_chosen_state(web):
    config.set_setting("prestashop.imported_state", "3")  # Processing in progress
    result = orders.import_orders(client_for(web))
    assert result["states_moved"] >= 1
    with web.lock:
        assert web.data["orders"][30]["current_state"] == "3"
    assert orders.import_orders(client_for(web))["imported"] == 0  # moved, not imported again


def test_dates_are_read_in_the_shop_zone(web, monkeypatch):
    with web.lock:
        web.data["configurations"][999] = {"id": "999", "name": "PS_TIMEZONE", "value": "Europe/Paris",
                                           "id_shop_group": "", "id_shop": "", "date_add": "", "date_upd": ""}
    monkeypatch.setenv("TZ", "UTC")
    import time

    time.tzset()
    try:
        number = orders.import_orders(client_for(web))["tickets"][30]
        assert tickets_db.get_ticket(number).created_at == "2026-03-01T09:00:00+00:00"  # 10:00 in Paris
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_the_delta_reads_the_repeated_hour_again():
    paris = ZoneInfo("Europe/Paris")
    # 25 October 2026: 03:00 CEST -> 02:00 CET, the hour 02:00-02:59 happens twice
    assert shoptime.delta_since("2026-10-25 02:50:00", paris) == "2026-10-25 01:50:00"
    assert shoptime.delta_since("2026-10-25 03:20:00", paris) == "2026-10-25 02:20:00"
    assert shoptime.delta_since("2026-10-25 05:00:00", paris) == "2026-10-25 05:00:00"
    assert shoptime.delta_since("2026-03-29 02:30:00", paris) == "2026-03-29 02:30:00"  # spring: none repeated
    assert shoptime.delta_since("2026-10-25 02:50:00", None) == "2026-10-25 02:50:00"
    # each side of the change converts to its own UTC time
    first = dt.datetime(2026, 10, 25, 2, 30, tzinfo=paris)
    assert first.utcoffset() == dt.timedelta(hours=2)


def test_an_order_updated_in_the_repeated_hour_is_not_missed(web):
    with web.lock:
        web.data["configurations"][999] = {"id": "999", "name": "PS_TIMEZONE", "value": "Europe/Paris",
                                           "id_shop_group": "", "id_shop": "", "date_add": "", "date_upd": ""}
    set_state(web, 30, 2, "2027-10-31 02:50:00")  # 31 October 2027: the first 02:50 (summer time)
    orders.import_orders(client_for(web))
    add_order(web, 32, state=2, module="ps_checkpayment", rows=[ROW], date="2027-10-31 02:10:00")  # the second
    result = orders.import_orders(client_for(web))
    assert 32 in result["tickets"], result
    assert data.ticket_of_order(32) is not None
