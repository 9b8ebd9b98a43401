"""The stock push against the PrestaShop emulator: deltas, exactly once across faults, conflicts, CLI."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
from helpers.prestashop.emulator import PrestaShopEmulator

from pos.core.errors import Refusal
from pos.data import catalog, common, events, users
from pos.data import sync as data_sync
from pos.data import sync_stock as data
from pos.data import tickets as tickets_db
from pos.data.models import database
from pos.sync import stock as stock_job
from pos.sync.client import PrestaShopClient, filter_in
from pos.sync.errors import NetworkError
from pos.sync.stock import format_result, push_stock, start_from_now

MANAGER_PIN = "9999"

# demo article reference -> (id_product, id_product_attribute) on the emulator
LINKS = {
    "D010001": (1, 1),  # Baguette tradition -> product 1, combination 1
    "D010002": (1, 2),  # Baguette -> product 1, combination 2
    "D010003": (2, 0),  # Croissant -> product 2 (no combinations)
    "D010004": (3, 0),  # Pain au chocolat -> product 3
    "D030053": (4, 0),  # Brie de Meaux, sold by weight
}
UNLINKED = "D010005"  # Pain de campagne


@pytest.fixture
def ps():
    with PrestaShopEmulator() as emulator:
        yield emulator


def client_for(ps: PrestaShopEmulator, **kw) -> PrestaShopClient:
    kw.setdefault("timeout", (2, 1))
    kw.setdefault("backoff", 0)
    kw.setdefault("retries", 0)  # a fault is a failure of the run, not absorbed by a retry
    return PrestaShopClient(ps.url, ps.key, **kw)


@pytest.fixture
def one_write_at_a_time(monkeypatch):
    """The writes one after the other, for the tests that place a fault or a cancel between two writes."""
    monkeypatch.setattr(stock_job, "WRITES_IN_FLIGHT", 1)


@pytest.fixture
def linked(shop):
    for ref, (pid, attr) in LINKS.items():
        article = catalog.find_article_by_code(ref)
        data_sync.set_link(article.id, pid, attr, "2026-01-01 00:00:00")
    return LINKS


def shop_qty(ps: PrestaShopEmulator, pid: int, attr: int) -> int:
    """The quantity as PrestaShop stores it (read directly, no request logged)."""
    with ps.lock:
        rows = [r for r in ps.data["stock_availables"].values()
                if r["id_product"] == str(pid) and r["id_product_attribute"] == str(attr)]
    assert len(rows) == 1
    return int(rows[0]["quantity"])


def set_shop_qty(ps: PrestaShopEmulator, pid: int, attr: int, qty: int) -> None:
    """A change made on the shop's side (a web order, the back office)."""
    with ps.lock:
        for r in ps.data["stock_availables"].values():
            if r["id_product"] == str(pid) and r["id_product_attribute"] == str(attr):
                r["quantity"] = str(qty)


def quantities(ps: PrestaShopEmulator) -> dict[str, int]:
    return {ref: shop_qty(ps, *link) for ref, link in LINKS.items()}


def sell(till, *items: tuple[str, int]) -> int:
    """One cash sale; items are (reference, units)."""
    for ref, units in items:
        if units != 1:
            till.set_pending_qty(units * 1000)
        till.scan(ref)
    till.add_payment("cash")
    return till.validate().number


def refund(till, number: int, ref: str, units: int) -> int:
    ticket = tickets_db.get_ticket(number)
    line = next(ln for ln in ticket.lines if ln["reference"] == ref)
    till.authorize(MANAGER_PIN, "refund")
    till.start_refund(number, {line["id"]: units * 1000})
    till.add_payment("cash")
    return till.validate().number


def standard_sales(till) -> dict[str, int]:
    """Sales, a refund and an unlinked article; returns the expected decrement per linked reference."""
    first = sell(till, ("D010001", 3), ("D010003", 2), (UNLINKED, 1))
    sell(till, ("D010002", 1), ("D010001", 1), ("D010004", 5))
    refund(till, first, "D010003", 1)
    return {"D010001": 4, "D010002": 1, "D010003": 1, "D010004": 5, "D030053": 0}


def expected(initial: dict[str, int], sold: dict[str, int]) -> dict[str, int]:
    return {ref: initial[ref] - sold.get(ref, 0) for ref in initial}


def last_run() -> dict:
    return data_sync.runs(1)[0]


# ---------------------------------------------------------------- the normal path


def test_push_decrements_exactly_and_rerun_pushes_nothing(ps, linked, till):
    client = client_for(ps)
    initial = quantities(ps)
    sold = standard_sales(till)
    till.set_pending_qty(452)
    till.scan("D030053")  # Brie de Meaux, 0.452 kg: weighed, never pushed
    till.add_payment("cash")
    till.validate()
    seen = []
    result = push_stock(client, progress=lambda n, total: seen.append((n, total)), user_name="Claire")
    assert result["status"] == "done", result
    assert quantities(ps) == expected(initial, sold)
    # read through the client too
    rows = client.list("stock_availables", display_=["id", "quantity"],
                       filters={"id_product": filter_in([2]), "id_product_attribute": filter_in([0])})
    assert int(rows[0]["quantity"]) == initial["D010003"] - 1
    assert (result["first_ticket"], result["last_ticket"]) == (1, 4)
    assert result["pushed"] == 4 and result["not_linked"] == 1 and result["weighed"] == 1
    assert result["articles"] == 6 and result["conflicts"] == 0 and result["errors"] == 0
    assert seen[0] == (0, 4) and seen[-1] == (4, 4)
    assert ps.count("PATCH", "/api/stock_availables") == 4
    run = last_run()
    assert run["kind"] == "stock" and run["status"] == "done" and run["counts"]["pushed"] == 4
    event = events.events("sync_stock")[-1]
    assert event["user_name"] == "Claire" and event["data"]["last"] == 4 and event["data"]["pushed"] == 4
    assert data.pending_batch() is None and data.last_pushed_ticket() == 4
    # a re-run: nothing to push, nothing written
    ps.reset_log()
    again = push_stock(client)
    assert again["status"] == "done" and again["pushed"] == 0 and again["first_ticket"] is None
    assert ps.count("PATCH") == 0 and ps.count("PUT") == 0
    assert quantities(ps) == expected(initial, sold)
    assert format_result(again)[:3] == ["dry_run: no", "tickets: none", "resumed: no"]


def test_sold_then_refunded_is_unchanged_and_training_is_ignored(ps, linked, till):
    client = client_for(ps)
    initial = quantities(ps)
    number = sell(till, ("D010003", 2))
    refund(till, number, "D010003", 2)
    till.authorize(MANAGER_PIN, "training")
    till.set_training(True)
    sell(till, ("D010004", 3))
    till.set_training(False)
    result = push_stock(client)
    assert result["status"] == "done" and result["pushed"] == 0 and result["unchanged"] == 1
    assert ps.count("PATCH") == 0
    assert quantities(ps) == initial


def insert_web_ticket(article_ref: str, units: int) -> int:
    """A web order imported as a ticket (channel 'web'): PrestaShop already decremented its stock."""
    article = catalog.find_article_by_code(article_ref)
    user = users.find_user("Marie")
    number = tickets_db.last_ticket_number() + 1
    with database.atomic("IMMEDIATE"):
        cursor = database.execute_sql(
            'INSERT INTO "ticket" ("number", "kind", "status", "channel", "created_at", "user_id", "user_name", '
            '"subtotal", "discount_amount", "total", "paid", "change", "training") '
            "VALUES (?, 'sale', 'paid', 'web', ?, ?, 'web', ?, 0, ?, ?, 0, 0)",
            (number, common.now_iso(), user.id, article.price * units, article.price * units, article.price * units))
        database.execute_sql(
            'INSERT INTO "ticket_line" ("ticket_id", "position", "article_id", "reference", "barcode", "name", '
            '"department", "qty", "unit_price", "list_price", "vat_bp", "discount_amount", "ticket_discount", '
            "\"total\", \"by_weight\") VALUES (?, 1, ?, ?, '', ?, '', ?, ?, ?, ?, 0, 0, ?, 0)",
            (cursor.lastrowid, article.id, article.reference, article.name, units * 1000, article.price,
             article.price, article.vat_bp, article.price * units))
    return number


def test_web_channel_tickets_are_not_pushed(ps, linked, till):
    client = client_for(ps)
    initial = quantities(ps)
    sell(till, ("D010003", 1))
    insert_web_ticket("D010004", 4)
    sell(till, ("D010003", 1))
    result = push_stock(client)
    assert result["status"] == "done" and (result["first_ticket"], result["last_ticket"]) == (1, 3)
    assert quantities(ps) == expected(initial, {"D010003": 2})


def test_a_change_on_the_shop_between_two_pushes_is_kept(ps, linked, till):
    client = client_for(ps)
    initial = quantities(ps)
    sell(till, ("D010001", 2))
    assert push_stock(client)["status"] == "done"
    set_shop_qty(ps, 1, 1, initial["D010001"] - 2 - 7)  # 7 sold on the web meanwhile
    set_shop_qty(ps, 2, 0, 1000)  # a delivery counted in the back office
    sell(till, ("D010001", 1), ("D010003", 3))
    assert push_stock(client)["status"] == "done"
    assert shop_qty(ps, 1, 1) == initial["D010001"] - 2 - 7 - 1
    assert shop_qty(ps, 2, 0) == 1000 - 3


def test_dry_run_writes_nothing(ps, linked, till):
    client = client_for(ps)
    initial = quantities(ps)
    standard_sales(till)
    result = push_stock(client, dry_run=True)
    assert result["status"] == "done" and result["dry_run"] and result["pushed"] == 4
    assert ps.count("PATCH") == 0 and ps.count("PUT") == 0
    assert quantities(ps) == initial
    assert data.pending_batch() is None and data.last_pushed_ticket() == 0
    assert last_run()["dry_run"] and events.events("sync_stock") == []
    assert push_stock(client)["pushed"] == 4  # the real push afterwards does it all


def test_prestashop_17_uses_put(linked, till):
    with PrestaShopEmulator(version="1.7.8.11") as ps:
        client = client_for(ps)
        initial = quantities(ps)
        sold = standard_sales(till)
        result = push_stock(client)
        assert result["status"] == "done", result
        assert quantities(ps) == expected(initial, sold)
        assert ps.count("PATCH") == 0 and ps.count("PUT", "/api/stock_availables") == 4
        with ps.lock:  # the full PUT kept the row's shop
            assert all(r["id_shop"] == "1" for r in ps.data["stock_availables"].values())


# ---------------------------------------------------------------- conflicts


def test_conflicts_negative_missing_and_mismatch(ps, linked, till):
    client = client_for(ps)
    set_shop_qty(ps, 2, 0, 1)
    with ps.lock:  # product 3's stock row disappeared
        sid = next(k for k, r in ps.data["stock_availables"].items() if r["id_product"] == "3")
        del ps.data["stock_availables"][sid]
    sell(till, ("D010003", 3), ("D010004", 1), ("D010001", 1))
    real_update = client.update

    def update_answering_another_value(resource, id_, changes):  # the shop says it holds another value
        echo = real_update(resource, id_, changes)
        if echo.get("id_product") == "1":
            echo["quantity"] = str(int(echo["quantity"]) - 1)
        return echo

    client.update = update_answering_another_value
    result = push_stock(client)
    assert result["status"] == "done", result
    assert shop_qty(ps, 2, 0) == -2  # written anyway
    texts = {c["reference"]: c["text"] for c in result["conflict_list"]}
    assert set(texts) == {"D010001", "D010003", "D010004"} and result["conflicts"] == 3
    assert "negative" in texts["D010003"] and "no stock row" in texts["D010004"] and "read back" in texts["D010001"]
    assert result["pushed"] == 2
    assert data.pending_batch() is None and data.last_pushed_ticket() == 1
    assert events.events("sync_stock")[-1]["data"]["conflicts"] == ["D010001", "D010003", "D010004"]
    lines = format_result(result)
    assert "conflicts: 3" in lines and any(line.startswith("conflict.D010004: ") for line in lines)


def test_orders_mode_is_refused_until_it_exists_and_then_refuses_the_stock_push(ps, linked, till):
    from pos.core import settings

    with pytest.raises(settings.SettingError):
        settings.set_value("prestashop.mode", "invoices")
    settings.set_value("prestashop.mode", "orders")  # accepted now that the order push exists
    with pytest.raises(Refusal, match="orders"):
        push_stock(client_for(ps))


def test_start_from_now(ps, linked, till):
    sell(till, ("D010003", 1))
    initial = quantities(ps)
    assert start_from_now() == 1
    result = push_stock(client_for(ps))
    assert result["first_ticket"] is None and quantities(ps) == initial


# ---------------------------------------------------------------- faults: exactly once


FAULTS = ["timeout", "empty_500", "die", "maintenance", "reset", "unauthorized"]


def fault_in_the_middle(ps: PrestaShopEmulator, kind: str, method: str):
    """A progress callback that injects the fault: a write's once the first article is written, a read's
    before the chunk's stock rows are read (the batch is frozen by then)."""
    def progress(n: int, total: int) -> None:
        if n == (1 if method == "PATCH" else 0):
            ps.inject(kind, count=1, method=method, path="/api/stock_availables", seconds=1.5)
    return progress


@pytest.mark.parametrize("method", ["PATCH", "GET"])
@pytest.mark.parametrize("kind", FAULTS)
def test_fault_then_rerun_counts_once(ps, linked, till, one_write_at_a_time, kind, method):
    client = client_for(ps)
    initial = quantities(ps)
    sold = standard_sales(till)
    result = push_stock(client, progress=fault_in_the_middle(ps, kind, method))
    assert result["status"] == "failed" and result["errors"] == 1 and result["error"]
    run = last_run()
    assert run["status"] == "failed" and run["error"] == result["error"]
    assert data.pending_batch() is not None and data.last_pushed_ticket() == 0
    states = [i["state"] for i in data.batch_items()]
    if method == "PATCH":  # the first written; the others planned (the second's answer may be lost)
        assert states == ["done", "writing", "writing", "writing"], states
    else:  # the read failed: nothing was planned or written
        assert states == ["pending"] * 4, states
    ps.clear_faults()
    sold_more = sell(till, ("D010002", 2))  # sold while the batch waits: the next batch
    assert sold_more == 4
    again = push_stock(client)
    assert again["status"] == "done" and again["resumed"], again
    assert again["conflicts"] == 0
    assert quantities(ps) == expected(initial, {**sold, "D010002": sold["D010002"] + 2})
    assert (again["first_ticket"], again["last_ticket"]) == (1, 4)
    assert data.pending_batch() is None and data.last_pushed_ticket() == 4 and data.batch_items() == []
    assert len(events.events("sync_stock")) == 2  # the resumed batch, then the new one
    third = push_stock(client)
    assert third["pushed"] == 0 and quantities(ps) == expected(initial, {**sold, "D010002": sold["D010002"] + 2})


def test_acknowledged_writes_are_kept_when_a_later_write_fails(ps, linked, till, one_write_at_a_time):
    """Two writes acknowledged, the third never reaches the shop: the rerun writes only the last two."""
    client = client_for(ps)
    initial = quantities(ps)
    sold = standard_sales(till)
    real_update = client.update
    calls = []

    def update_then_break(resource, id_, changes):
        calls.append(id_)
        if len(calls) == 3:
            raise NetworkError("connection refused", method="PATCH")
        return real_update(resource, id_, changes)

    client.update = update_then_break
    assert push_stock(client)["status"] == "failed"
    assert [i["state"] for i in data.batch_items()] == ["done", "done", "writing", "writing"]
    set_shop_qty(ps, *LINKS["D010001"], shop_qty(ps, *LINKS["D010001"]) - 1)  # and a web sale meanwhile
    set_shop_qty(ps, *LINKS["D010002"], shop_qty(ps, *LINKS["D010002"]) - 1)
    patches = ps.count("PATCH")
    again = push_stock(client_for(ps))
    assert again["status"] == "done" and again["conflicts"] == 0
    assert ps.count("PATCH") == patches + 2  # the two articles not yet written
    assert quantities(ps) == expected(initial, {**sold, "D010001": sold["D010001"] + 1,
                                                "D010002": sold["D010002"] + 1})


@pytest.mark.parametrize("in_flight", [1, 4])
def test_write_landed_but_answer_lost_simulated(ps, linked, till, monkeypatch, in_flight):
    """The harness writes, then raises as if the connection broke: the resume must not write again.
    One write at a time, the run stops after the first; four at once, all four landed unanswered."""
    monkeypatch.setattr(stock_job, "WRITES_IN_FLIGHT", in_flight)
    client = client_for(ps)
    initial = quantities(ps)
    sold = standard_sales(till)
    real_update = client.update

    def update_then_lose_answer(resource, id_, changes):
        real_update(resource, id_, changes)
        raise NetworkError("connection reset by peer", method="PATCH")

    client.update = update_then_lose_answer
    result = push_stock(client)
    assert result["status"] == "failed" and "reset" in result["error"]
    assert shop_qty(ps, *LINKS["D010001"]) == initial["D010001"] - 4  # it did land
    patches = ps.count("PATCH")
    again = push_stock(client_for(ps))
    assert again["status"] == "done" and again["conflicts"] == 0
    assert ps.count("PATCH") == patches + (3 if in_flight == 1 else 0)  # only those not written yet
    assert quantities(ps) == expected(initial, sold)


def test_write_lost_and_shop_moved_applies_delta_to_current_and_reports(ps, linked, till):
    """The documented rule: neither the written nor the expected value -> delta on the current one, reported."""
    client = client_for(ps)
    initial = quantities(ps)
    sell(till, ("D010003", 2))

    def update_lost(resource, id_, changes):
        raise NetworkError("connection reset by peer", method="PATCH")  # never reached the shop

    client.update = update_lost
    assert push_stock(client)["status"] == "failed"
    set_shop_qty(ps, 2, 0, initial["D010003"] - 5)  # 5 sold on the web meanwhile
    again = push_stock(client_for(ps))
    assert again["status"] == "done" and again["conflicts"] == 1
    assert "moved" in again["conflict_list"][0]["text"]
    assert shop_qty(ps, 2, 0) == initial["D010003"] - 5 - 2


def test_a_single_reset_is_absorbed_by_the_client_retry(ps, linked, till):
    client = client_for(ps, retries=2)
    initial = quantities(ps)
    sold = standard_sales(till)
    result = push_stock(client, progress=fault_in_the_middle(ps, "reset", "PATCH"))
    assert result["status"] == "done" and result["conflicts"] == 0
    assert quantities(ps) == expected(initial, sold)


def test_cancel_keeps_the_batch_for_the_next_run(ps, linked, till, one_write_at_a_time):
    client = client_for(ps)
    initial = quantities(ps)
    sold = standard_sales(till)
    done = []
    result = push_stock(client, progress=lambda n, total: done.append(n), cancel=lambda: len(done) >= 3)
    assert result["status"] == "cancelled" and result["pushed"] == 2
    assert last_run()["status"] == "cancelled"
    again = push_stock(client)
    assert again["status"] == "done" and again["pushed"] == 2
    assert quantities(ps) == expected(initial, sold)


# ---------------------------------------------------------------- several writes in flight


def stock_row_id(ps: PrestaShopEmulator, pid: int, attr: int) -> int:
    with ps.lock:
        return next(int(r["id"]) for r in ps.data["stock_availables"].values()
                    if r["id_product"] == str(pid) and r["id_product_attribute"] == str(attr))


def test_writes_are_sent_several_at_once(ps, linked, till):
    assert stock_job.WRITES_IN_FLIGHT == 4
    client = client_for(ps, timeout=(2, 5))
    initial = quantities(ps)
    sold = standard_sales(till)
    real_update = client.update
    lock = threading.Lock()
    active, most = [0], [0]

    def counting_update(resource, id_, changes):
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
        try:
            return real_update(resource, id_, changes)
        finally:
            with lock:
                active[0] -= 1

    client.update = counting_update
    ps.inject("latency", count=None, method="PATCH", seconds=0.3)
    seen = []
    result = push_stock(client, progress=lambda n, total: seen.append((n, total)))
    assert result["status"] == "done" and result["pushed"] == 4 and result["conflicts"] == 0, result
    assert most[0] == 4  # the four articles' writes overlapped
    assert seen == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]  # progress from the calling thread, in order
    assert ps.count("PATCH", "/api/stock_availables") == 4
    assert quantities(ps) == expected(initial, sold)


@pytest.mark.parametrize("kind", ["die", "maintenance", "unauthorized"])
def test_a_failed_write_among_several_is_named_and_only_it_is_written_again(ps, linked, till, kind):
    """One article's write fails while three others are in flight: they are acknowledged and kept, the
    error names the article, and the rerun writes that one only."""
    client = client_for(ps)
    initial = quantities(ps)
    sold = standard_sales(till)
    target = stock_row_id(ps, *LINKS["D010004"])  # row 3: no other row id starts so
    ps.inject(kind, count=1, method="PATCH", path=f"/api/stock_availables/{target}")
    result = push_stock(client)
    assert result["status"] == "failed" and result["errors"] == 1, result
    assert result["error"].startswith("D010004: ") and result["pushed"] == 3
    assert last_run()["error"] == result["error"]
    states = {i["reference"]: i["state"] for i in data.batch_items()}
    assert states == {"D010001": "done", "D010002": "done", "D010003": "done", "D010004": "writing"}
    assert data.pending_batch() is not None and data.last_pushed_ticket() == 0
    ps.reset_log()
    again = push_stock(client)
    assert again["status"] == "done" and again["resumed"] and again["conflicts"] == 0, again
    assert ps.count("PATCH") == 1 and ps.count("PATCH", f"/api/stock_availables/{target}") == 1
    assert quantities(ps) == expected(initial, sold)
    assert data.pending_batch() is None and data.last_pushed_ticket() == 3


def test_two_failed_writes_are_both_named(ps, linked, till):
    client = client_for(ps)
    initial = quantities(ps)
    sold = standard_sales(till)
    for ref in ("D010002", "D010004"):
        ps.inject("die", count=1, method="PATCH", path=f"/api/stock_availables/{stock_row_id(ps, *LINKS[ref])}")
    result = push_stock(client)
    assert result["status"] == "failed" and result["errors"] == 1
    assert result["error"].startswith("D010002: ") and "; D010004: " in result["error"], result["error"]
    assert push_stock(client)["status"] == "done"
    assert quantities(ps) == expected(initial, sold)


def test_a_cancel_sends_no_new_write_and_waits_for_those_in_flight(ps, linked, till):
    client = client_for(ps)
    initial = quantities(ps)
    sold = standard_sales(till)
    ps.inject("latency", count=None, method="PATCH", seconds=0.2)
    asked = []  # the first question is the chunk's (go on), the next one is before the second write

    def cancel() -> bool:
        asked.append(time.monotonic())
        return len(asked) > 1

    result = push_stock(client, cancel=cancel)
    assert result["status"] == "cancelled" and result["pushed"] == 1, result
    states = [i["state"] for i in data.batch_items()]
    assert states.count("done") == 1 and states.count("writing") == 3 and ps.count("PATCH") == 1
    ps.clear_faults()
    again = push_stock(client)
    assert again["status"] == "done" and again["pushed"] == 3
    assert quantities(ps) == expected(initial, sold)


# ---------------------------------------------------------------- CLI


def test_cli_sync_stock(ps, linked, till, tmp_path):
    from helpers.cli import cli_env, set_secret

    initial = quantities(ps)
    sold = standard_sales(till)
    db_path = tmp_path / "pos.sqlite3"  # the shop fixture's file

    def pos(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pos", "--db", str(db_path), *args], capture_output=True,
                              text=True, encoding="utf-8", env=cli_env(), stdin=subprocess.DEVNULL, timeout=60)

    assert pos("config", "set", "prestashop.url", ps.url).returncode == 0
    assert set_secret(db_path, "prestashop.key", ps.key).returncode == 0
    dry = pos("sync", "stock", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "dry_run: yes" in dry.stdout.splitlines() and quantities(ps) == initial
    ps.inject("unauthorized", count=1, method="GET")
    failed = pos("sync", "stock")
    assert failed.returncode == 1 and failed.stdout == ""
    assert len(failed.stderr.splitlines()) == 1 and "run it again" in failed.stderr
    proc = pos("sync", "stock")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[:3] == ["dry_run: no", "tickets: 1-3", "resumed: yes"]
    assert "pushed: 4" in lines and "not_linked: 1" in lines and "conflicts: 0" in lines
    assert quantities(ps) == expected(initial, sold)
    again = pos("sync", "stock")
    assert again.returncode == 0 and "tickets: none" in again.stdout.splitlines()
