"""Listings read page by page with pages asked ahead: the shop's latency is paid once per group of pages,
and a page is parsed while the next ones download.

A listing is read in ``sort=[id_ASC]`` order with ``limit=offset,size``.  PrestaShop gives no total, so
the last page is the first one shorter than ``size``.  Page 0 is asked alone (a short listing costs one
request); once it is full, the pages up to ``AHEAD`` past the first one not yet arrived are asked (never
further ahead of a slow or failing page), so a listing costs at most ``AHEAD`` empty requests past its
end.  The requests of every listing of a run share one pool of ``PAGES_IN_FLIGHT`` threads: never more
requests at once, whatever the number of listings started.

The pages are handed out in order.  A failed page raises its error when its turn comes (no page more
than ``AHEAD`` after it is asked); leaving the ``Pages`` block cancels the pages not started and waits
for those in flight (each bounded by the client's timeouts), so nothing outlives the run.  No database,
no Kivy.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from pos.core.i18n import _
from pos.sync.errors import LimitExceeded

PAGES_IN_FLIGHT = 4  # requests at once for the listings of one run
AHEAD = 2  # pages of one listing asked before they are needed

Fetch = Callable[[int, int], list[Any]]  # (offset, size) -> the page's rows


class Listing:
    """One listing's pages (iterate it once: ``for page in listing``)."""

    def __init__(self, pool: ThreadPoolExecutor, fetch: Fetch, size: int, *, name: str, max_pages: int,
                 ahead: int = AHEAD) -> None:
        if size < 1:
            raise ValueError("size must be positive")
        self._pool = pool
        self._fetch = fetch
        self.size = size
        self.name = name
        self.max_pages = max_pages
        self.ahead = ahead
        self._lock = threading.RLock()  # a callback may run at once, in the thread that adds it
        self._futures: dict[int, Future[list[Any]]] = {}
        self._last: int | None = None  # the last page (short or failed), once one has arrived
        self._closed = False  # read to its end, or left early: nothing more is asked
        self._frontier = 0  # the first page not yet arrived full
        with self._lock:
            self._ask(0)

    def _ask(self, k: int) -> None:
        """Ask for page ``k`` unless it was asked, lies past the end, or the pool is closed (the lock held)."""
        if self._closed or k in self._futures or k >= self.max_pages or (self._last is not None and k > self._last):
            return
        try:
            future = self._pool.submit(self._fetch, k * self.size, self.size)
        except RuntimeError:  # the pool is shut down: the run is over
            return
        self._futures[k] = future
        future.add_done_callback(lambda f, k=k: self._arrived(k, f))

    def _arrived(self, k: int, future: Future[list[Any]]) -> None:
        if future.cancelled():
            return
        with self._lock:
            if future.exception() is not None or len(future.result()) < self.size:
                self._last = k if self._last is None else min(self._last, k)
                for j, other in self._futures.items():
                    if j > k:
                        other.cancel()
                return
            while self._full(self._futures.get(self._frontier)):
                self._frontier += 1
            for j in range(self._frontier, self._frontier + self.ahead + 1):
                self._ask(j)

    def _full(self, future: Future[list[Any]] | None) -> bool:
        return (future is not None and future.done() and not future.cancelled() and future.exception() is None
                and len(future.result()) == self.size)

    def __iter__(self) -> Iterator[list[Any]]:
        k = 0
        try:
            while True:
                if k >= self.max_pages:
                    raise LimitExceeded(_("{resource}: more than {pages} pages of {size}: stopped (a shop that "
                                          "never ends its list?)").format(resource=self.name, pages=self.max_pages,
                                                                          size=self.size), method="GET")
                with self._lock:
                    self._ask(k)
                    future = self._futures.get(k)
                if future is None:  # the pool was shut down before this page was asked
                    raise RuntimeError(f"{self.name}: the listing was read after its run ended")
                page = future.result()
                yield page
                if len(page) < self.size:
                    return
                k += 1
        finally:
            self.close()

    def close(self) -> None:
        """Cancel the pages not started (those in flight finish; their rows are dropped)."""
        with self._lock:
            self._closed = True
            for future in self._futures.values():
                future.cancel()


class Pages:
    """The pool of one run's listings: ``with Pages() as pages: listing = pages.listing(...)``."""

    def __init__(self, workers: int = PAGES_IN_FLIGHT) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="prestashop-pages")

    def listing(self, fetch: Fetch, size: int, *, name: str, max_pages: int) -> Listing:
        """Start reading a listing now (its first page is asked at once)."""
        return Listing(self._pool, fetch, size, name=name, max_pages=max_pages)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Pages:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a catalogue is read and compared, then restarted
    (if it was running).  The rows of a large pull would otherwise set off full collections, each walking
    the whole process (the till's screens included): a third of a 10,000-product pull in the benchmark.
    Reference counting still frees everything meanwhile; only cycles wait for the next collection."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
