"""Listings read with pages asked ahead (pos/sync/pages.py): order, requests past the end, errors, limits."""

from __future__ import annotations

import threading
import time

import pytest

from pos.sync.errors import LimitExceeded, NetworkError
from pos.sync.pages import AHEAD, PAGES_IN_FLIGHT, Pages


class Shop:
    """``rows`` ids served by offset and size, with an optional delay and failing offsets; records the calls."""

    def __init__(self, rows: int, *, delay: float = 0.0, fail_at: int | None = None,
                 slow_at: int | None = None) -> None:
        self.rows = rows
        self.delay = delay
        self.fail_at = fail_at
        self.slow_at = slow_at
        self.calls: list[int] = []
        self.lock = threading.Lock()
        self.active = 0
        self.most = 0

    def fetch(self, offset: int, size: int) -> list[int]:
        with self.lock:
            self.calls.append(offset)
            self.active += 1
            self.most = max(self.most, self.active)
        try:
            time.sleep(0.4 if offset == self.slow_at else self.delay)
            if offset == self.fail_at:
                raise NetworkError("connection reset by peer", method="GET")
            return list(range(offset, min(offset + size, self.rows)))
        finally:
            with self.lock:
                self.active -= 1


def read(listing) -> list[int]:
    return [row for page in listing for row in page]


@pytest.mark.parametrize("rows", [0, 1, 9, 10, 11, 95, 100])
def test_every_row_once_in_order(rows):
    shop = Shop(rows)
    with Pages() as pages:
        assert read(pages.listing(shop.fetch, 10, name="products", max_pages=1000)) == list(range(rows))
    pages_needed = rows // 10 + 1  # the last page is the first short one (maybe empty)
    assert pages_needed <= len(shop.calls) <= pages_needed + AHEAD
    assert len(set(shop.calls)) == len(shop.calls)  # no page asked twice


def test_a_short_first_page_costs_one_request():
    shop = Shop(3, delay=0.01)
    with Pages() as pages:
        assert read(pages.listing(shop.fetch, 10, name="taxes", max_pages=1000)) == [0, 1, 2]
    assert shop.calls == [0]


def test_pages_are_asked_ahead_and_in_flight_together_within_the_pool():
    shop = Shop(200, delay=0.05)
    with Pages() as pages:
        listings = [pages.listing(shop.fetch, 10, name=f"l{n}", max_pages=1000) for n in range(3)]
        started = time.monotonic()
        assert [read(listing) for listing in listings] == [list(range(200))] * 3
        elapsed = time.monotonic() - started
    assert 1 < shop.most <= PAGES_IN_FLIGHT
    assert elapsed < 3 * 21 * 0.05  # one after the other would take 3.15 s at least


def test_a_failed_page_raises_in_its_turn_and_nothing_after_it_is_asked():
    shop = Shop(100, fail_at=30)
    with Pages() as pages:
        seen = []
        with pytest.raises(NetworkError):
            for page in pages.listing(shop.fetch, 10, name="combinations", max_pages=1000):
                seen.extend(page)
    assert seen == list(range(30))
    assert max(shop.calls) <= 30 + 10 * AHEAD and 30 in shop.calls
    asked = len(shop.calls)
    time.sleep(0.05)
    assert len(shop.calls) == asked


def test_a_slow_page_holds_the_pages_asked_ahead():
    shop = Shop(1000, slow_at=30)
    with Pages() as pages:
        listing = pages.listing(shop.fetch, 10, name="stock_availables", max_pages=1000)
        time.sleep(0.2)  # pages 0-2 are in, page 3 is still on its way
        assert max(shop.calls) <= 30 + 10 * AHEAD
        assert read(listing) == list(range(1000))


def test_a_listing_that_never_ends_stops_at_max_pages():
    shop = Shop(10**9)
    with Pages() as pages, pytest.raises(LimitExceeded, match="more than 5 pages"):
        read(pages.listing(shop.fetch, 10, name="products", max_pages=5))
    assert max(shop.calls) < 50


def test_leaving_early_cancels_the_pages_not_started():
    shop = Shop(10_000, delay=0.02)
    with Pages(workers=1) as pages:
        listing = pages.listing(shop.fetch, 10, name="products", max_pages=1000)
        for _page in listing:
            break
    asked = len(shop.calls)
    assert asked <= 1 + AHEAD
    time.sleep(0.1)
    assert len(shop.calls) == asked


def test_the_collector_is_paused_then_restarted_only_if_it_ran():
    import gc

    from pos.sync.pages import collector_paused

    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("a failed pull")
    assert gc.isenabled()
