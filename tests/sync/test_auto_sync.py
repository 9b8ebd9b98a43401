"""The automatic sync (pos/sync/auto.py) against the emulator: a linked sale pushed shortly after
(debounced), nothing for an unlinked one, never two syncs at once (the CLI included), a shop that
goes away (backing off) and comes back (the sale pushed exactly once)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
from helpers.cli import cli_env, set_secret
from helpers.prestashop.emulator import PrestaShopEmulator

from pos.data import catalog
from pos.data import sync as data_sync
from pos.sync.auto import AutoSync, run_once
from pos.sync.client import PrestaShopClient
from pos.sync.lock import sync_lock


@pytest.fixture
def ps():
    with PrestaShopEmulator() as emulator:
        yield emulator


def client_for(ps: PrestaShopEmulator) -> PrestaShopClient:
    return PrestaShopClient(ps.url, ps.key, timeout=(1, 1), backoff=0, retries=0)


def shop_qty(ps: PrestaShopEmulator, pid: int) -> int:
    with ps.lock:
        (row,) = [r for r in ps.data["stock_availables"].values()
                  if r["id_product"] == str(pid) and r["id_product_attribute"] == "0"]
    return int(row["quantity"])


@pytest.fixture
def linked(shop):
    data_sync.set_link(catalog.find_article_by_code("D010003").id, 2, 0, "2026-01-01 00:00:00")


def sell(till, ref: str, units: int = 1) -> None:
    till.set_pending_qty(units * 1000)
    till.scan(ref)
    till.add_payment("cash")
    till.validate()


def wait_for(condition, seconds: float = 10.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_run_once_imports_and_pushes(ps, linked, till):
    before = shop_qty(ps, 2)
    sell(till, "D010003", 2)
    assert run_once(client_for(ps))["status"] == "done"
    assert shop_qty(ps, 2) == before - 2


def test_a_linked_sale_is_pushed_shortly_after_and_an_unlinked_one_waits(ps, linked, till):
    before = shop_qty(ps, 2)
    auto = AutoSync(lambda: client_for(ps), interval=3600, debounce=0.3, poll=0.05, first=3600).start()
    try:
        time.sleep(0.3)
        sell(till, "D010005")  # not linked: no run
        time.sleep(0.8)
        assert auto.status().runs == 0
        t0 = time.monotonic()
        sell(till, "D010003", 3)
        assert wait_for(lambda: auto.status().state == "ok"), auto.status()
        assert time.monotonic() - t0 >= 0.3  # debounced
        assert shop_qty(ps, 2) == before - 3 and auto.status().last_ok
    finally:
        auto.stop()


def test_a_sale_never_waits_for_a_running_sync(ps, linked, till):
    ps.inject("latency", count=None, seconds=0.3)  # a slow shop: a run takes seconds
    auto = AutoSync(lambda: client_for(ps), interval=3600, debounce=0, poll=0.05, first=0).start()
    try:
        assert wait_for(lambda: auto.job is not None and auto.job.running)
        t0 = time.perf_counter()
        sell(till, "D010003")
        assert time.perf_counter() - t0 < 0.25  # the sale is recorded while the sync talks to the shop
    finally:
        ps.clear_faults()
        auto.stop()


def test_never_two_at_once_the_cli_included(ps, linked, till, shop):
    with sync_lock() as mine:
        assert mine
        assert run_once(client_for(ps))["status"] == "busy"
        with sync_lock() as second:
            assert not second
        db = shop.database
        cmd = [sys.executable, "-m", "pos", "--db", db]
        assert subprocess.run([*cmd, "config", "set", "prestashop.url", ps.url], env=cli_env(),
                              capture_output=True).returncode == 0
        assert set_secret(db, "prestashop.key", ps.key).returncode == 0
        proc = subprocess.run([*cmd, "sync", "stock"], capture_output=True, text=True, env=cli_env(),
                              stdin=subprocess.DEVNULL, timeout=60)
        assert proc.returncode == 1 and "already running" in proc.stderr
    proc = subprocess.run([*cmd, "sync", "stock"], capture_output=True, text=True, env=cli_env(),
                          stdin=subprocess.DEVNULL, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_a_shop_that_goes_away_and_comes_back(ps, linked, till):
    before = shop_qty(ps, 2)
    sell(till, "D010003", 2)
    ps.inject("maintenance", count=None)  # 503 on everything: the shop is away
    attempts: list[float] = []
    statuses = []

    def on_status(status):
        statuses.append(status)
        attempts.append(time.monotonic())

    auto = AutoSync(lambda: client_for(ps), interval=0.2, debounce=0.05, backoff=0.1, max_backoff=0.8,
                    poll=0.02, first=0, on_status=on_status).start()
    try:
        assert wait_for(lambda: len(attempts) >= 4)
        assert statuses[-1].state == "failed" and statuses[-1].failures >= 4 and statuses[-1].last_failure
        gaps = [b - a for a, b in zip(attempts, attempts[1:4])]
        assert gaps[1] > gaps[0] * 1.5 and gaps[2] > gaps[1] * 1.5, gaps  # backing off
        assert shop_qty(ps, 2) == before
        ps.clear_faults()  # the shop is back
        assert wait_for(lambda: statuses[-1].state == "ok", 15), statuses[-1]
        assert statuses[-1].failures == 0 and statuses[-1].last_failure  # the last failure stays shown
        assert shop_qty(ps, 2) == before - 2
        assert wait_for(lambda: len([s for s in statuses if s.state == "ok"]) >= 2)
        assert shop_qty(ps, 2) == before - 2  # exactly once
    finally:
        auto.stop()


def test_the_scheduler_outlives_a_failing_client_factory(ps, shop):
    from pos.core.errors import InvalidValue

    def not_configured():
        raise InvalidValue("PrestaShop is not configured")

    done = threading.Event()
    auto = AutoSync(not_configured, interval=60, backoff=10, poll=0.02, first=0,
                    on_status=lambda s: done.set()).start()
    try:
        assert done.wait(5)
        status = auto.status()
        assert status.state == "failed" and "not configured" in status.error
    finally:
        auto.stop()


def test_the_web_dot_says_the_last_success_and_failure(shop):
    from types import SimpleNamespace

    from pos.screens.app import STATUS_COLOURS
    from pos.screens.sync import describe_auto, start_auto
    from pos.sync.auto import AutoStatus

    app = SimpleNamespace(web_colour=None, web_message="")
    assert start_auto(app) is None and app.web_colour == STATUS_COLOURS["none"]  # not configured
    ok = AutoStatus(state="ok", last_ok="2026-12-05T14:05:00+01:00")
    assert describe_auto(ok) == "Web store sync OK at 14:05"
    failed = AutoStatus(state="failed", last_ok="2026-12-05T14:05:00+01:00",
                        last_failure="2026-12-05T14:10:00+01:00", error="no answer in time", failures=1)
    assert describe_auto(failed) == "Web store sync OK at 14:05 · failed at 14:10: no answer in time"
