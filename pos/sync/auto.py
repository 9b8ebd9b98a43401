"""The automatic sync while the till runs: the web order import and the stock push (or, in orders
mode, the sales sent as orders) every ``prestashop.auto_minutes`` minutes (default 5, 0: off), and
``debounce`` seconds after the last sale of a linked article.

- **In the background**: each run is a ``pos.core.jobs.Job``; a scheduler thread only looks at the
  clock and at the last ticket number (one small query every ``poll`` seconds).  A sale never waits
  for it: nothing is hooked into the sale, the scheduler sees the new ticket afterwards.
- **Never two at once**: a run holds the sync lock (``pos.sync.lock``), also taken by the end-of-day
  button and ``pos sync ...``; a run that finds it taken is skipped (state *busy*) and tried again
  at the next poll.
- **Backs off** while the shop is unreachable or failing: the next try comes after ``backoff`` seconds,
  doubled at each failure in a row up to ``max_backoff``; a success goes back to the interval.
- ``status()`` says the last success and the last failure (with their times and the error), what
  the status bar's "web" dot shows; ``on_status`` is called (through ``post``) after each run.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from pos.core.errors import Refusal
from pos.core.jobs import Job, Post, direct
from pos.data.common import now_iso
from pos.sync.client import PrestaShopClient
from pos.sync.errors import PrestaShopError
from pos.sync.lock import sync_lock

log = logging.getLogger(__name__)

USER = "Web"  # who the automatic runs are logged as (the inactive web user)


@dataclass(frozen=True)
class AutoStatus:
    state: str = "waiting"  # waiting | running | ok | failed | busy | off
    last_ok: str = ""  # ISO times
    last_failure: str = ""
    error: str = ""
    failures: int = 0  # in a row
    runs: int = 0


def run_once(client: PrestaShopClient, user_name: str = USER, cancel: Callable[[], bool] | None = None
             ) -> dict[str, Any]:
    """One automatic run under the sync lock: import the web orders, then push the stock (or the sales
    as orders).  Returns ``status`` (done | failed | busy | cancelled) and ``error``."""
    from pos.core import settings
    from pos.sync import orders, push_orders, stock

    with sync_lock() as mine:
        if not mine:
            return {"status": "busy", "error": ""}
        result = orders.import_orders(client, user_name=user_name, cancel=cancel)
        if result["status"] != "done":
            return {"status": result["status"], "error": "orders: " + (result["error"] or result["status"])}
        if settings.get("prestashop.mode") == "orders":
            result = push_orders.push_orders(client, user_name=user_name, cancel=cancel)
        else:
            result = stock.push_stock(client, user_name=user_name, cancel=cancel)
        if result["status"] != "done":
            return {"status": result["status"], "error": "stock: " + (result["error"] or result["status"])}
        return {"status": "done", "error": ""}


class AutoSync:
    """The scheduler (see the module docstring).  ``make_client`` builds a client (or raises a
    ``Refusal`` when PrestaShop is not configured); times are in seconds."""

    def __init__(self, make_client: Callable[[], PrestaShopClient], *, interval: float, debounce: float = 20.0,
                 backoff: float = 30.0, max_backoff: float = 1800.0, poll: float = 2.0, first: float | None = None,
                 post: Post = direct, on_status: Callable[[AutoStatus], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.make_client = make_client
        self.interval, self.debounce, self.poll = interval, debounce, poll
        self.backoff, self.max_backoff = backoff, max_backoff
        self.post, self.on_status, self.clock = post, on_status, clock
        self._lock = threading.Lock()
        self._status = AutoStatus()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.job: Job[dict[str, Any]] | None = None
        now = clock()
        self._due = now + (debounce if first is None else first)  # the first run, soon after the start
        self._sale_due: float | None = None
        self._last_ticket: int | None = None

    # ---- for the app
    def status(self) -> AutoStatus:
        with self._lock:
            return self._status

    def start(self) -> AutoSync:
        self._thread = threading.Thread(target=self._loop, name="pos-autosync", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self.job is not None and self.job.running:
            self.job.cancel()
            self.job.wait(timeout)
        if self._thread is not None:
            self._thread.join(timeout)

    def run_now(self) -> bool:
        """Start a run at once (False if one is running)."""
        if self.job is not None and self.job.running:
            return False
        with self._lock:
            self._status = replace(self._status, state="running")
        self.job = Job(self._work, name="pos-autosync-run", post=self.post, on_done=self._done,
                       on_error=self._failed).start()
        return True

    # ---- the scheduler thread
    def _loop(self) -> None:
        from pos.data import common

        try:
            while not self._stop.wait(self.poll):
                try:
                    self._tick()
                except Exception:  # the scheduler never dies of one bad look (a locked database...)
                    log.exception("automatic sync: the scheduler's check failed")
        finally:
            if getattr(common.database, "obj", None) is not None:
                common.release_thread_connection()

    def _tick(self) -> None:
        from pos.data import sync_push

        now = self.clock()
        last, linked = sync_push.linked_sales_after(self._last_ticket if self._last_ticket is not None else 10**12)
        if self._last_ticket is not None and linked:
            self._sale_due = now + self.debounce  # debounced: counted from the last linked sale
        self._last_ticket = last
        if self.job is not None and self.job.running:
            return
        due = self._due if self._sale_due is None else min(self._due, self._sale_due)
        if now >= due:
            self._sale_due = None
            self.run_now()

    # ---- a run (worker thread), its outcome (through post)
    def _work(self, job: Job[dict[str, Any]]) -> dict[str, Any]:
        return run_once(self.make_client(), cancel=job.cancelled)

    def _done(self, result: dict[str, Any]) -> None:
        now = self.clock()
        with self._lock:
            st = self._status
            if result["status"] == "done":
                self._status = replace(st, state="ok", last_ok=now_iso(), failures=0, runs=st.runs + 1)
                self._due = now + self.interval
            elif result["status"] == "busy":  # another sync holds the lock: try again at the next poll
                self._status = replace(st, state="busy")
                self._due = now + self.poll
            else:
                self._fail(now, result["error"] or result["status"])
        self._report()

    def _failed(self, exc: Exception) -> None:
        if not isinstance(exc, (PrestaShopError, Refusal, OSError, ValueError)):
            log.error("automatic sync failed", exc_info=exc)
        with self._lock:
            self._fail(self.clock(), " ".join(str(exc).split()) or type(exc).__name__)
        self._report()

    def _fail(self, now: float, error: str) -> None:
        failures = self._status.failures + 1
        self._status = replace(self._status, state="failed", last_failure=now_iso(), error=error,
                               failures=failures, runs=self._status.runs + 1)
        self._due = now + min(self.max_backoff, self.backoff * 2 ** (failures - 1))

    def _report(self) -> None:
        if self.on_status is not None:
            status = self.status()
            self.on_status(status)


def from_settings(make_client: Callable[[], PrestaShopClient], post: Post = direct,
                  on_status: Callable[[AutoStatus], None] | None = None) -> AutoSync | None:
    """The automatic sync the settings ask for (None: PrestaShop not configured or ``auto_minutes`` 0)."""
    from pos.core import settings

    minutes = int(settings.get("prestashop.auto_minutes") or 0)
    if minutes <= 0 or not settings.get("prestashop.url") or not settings.secret("prestashop.key"):
        return None
    return AutoSync(make_client, interval=minutes * 60.0, post=post, on_status=on_status)
