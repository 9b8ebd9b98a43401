"""Background work: the one way to run long work off the UI thread.

A :class:`Job` runs ``work(job)`` on a worker thread of its own.  The work gets the job
itself as its handle:

- ``job.progress(done, total, message)`` reports where it is (any thread); the
  screens poll ``job.fraction`` and ``job.message``;
- ``job.check()`` raises :class:`~pos.core.errors.Cancelled` once someone called
  ``job.cancel()``; ``job.cancelled`` is the flag itself, for the functions that take
  a ``cancel`` callable; ``job.step(done, total)`` reports, then checks (the
  ``progress(done, total)`` callback of the spreadsheet import and export).

When the work ends, the worker thread's database connection is released
(``pos.data.common.release_thread_connection``), then exactly one outcome is
delivered through ``post``, the dispatcher the caller injects: ``on_done(result)``,
``on_error(exc)`` or ``on_cancelled()``.  The Kivy screens post to the UI thread
(``Clock.schedule_once``); the CLI and the tests call directly (:func:`direct`, on
the worker thread) or put the calls on a queue.  An error is never swallowed: with
no ``on_error``, a refusal is logged as a warning and anything else with its
traceback.  :func:`pos.core.errors.explain` says what to show for an error.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from pos.core.errors import Cancelled, Refusal

log = logging.getLogger(__name__)

T = TypeVar("T")
Post = Callable[[Callable[[], None]], None]

PENDING, RUNNING, DONE, FAILED, CANCELLED = "pending", "running", "done", "failed", "cancelled"


def direct(fn: Callable[[], None]) -> None:
    """The dispatcher that calls at once, on the worker thread (the CLI, the tests)."""
    fn()


def _release_connection() -> None:
    """Close the worker thread's database connection, if a database is open at all."""
    from pos.data import common  # the data layer imports the core: not at import time

    if getattr(common.database, "obj", None) is None:
        return
    try:
        common.release_thread_connection()
    except Exception:  # the outcome is still delivered
        log.exception("could not release the database connection of a job")


class Job(Generic[T]):
    """``work(job)`` on a worker thread; its outcome delivered through ``post``."""

    def __init__(self, work: Callable[[Job[T]], T], *, name: str = "pos-job", post: Post = direct,
                 on_done: Callable[[T], None] | None = None,
                 on_error: Callable[[Exception], None] | None = None,
                 on_cancelled: Callable[[], None] | None = None,
                 cancellable: bool = True) -> None:
        self.name = name
        self.cancellable = cancellable
        self.state = PENDING
        self.result: T | None = None
        self.error: Exception | None = None
        self.done = 0
        self.total: int | None = None
        self.message = ""
        self._work = work
        self._post = post
        self._on_done, self._on_error, self._on_cancelled = on_done, on_error, on_cancelled
        self._cancel = threading.Event()
        self._ended = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ for the caller
    def start(self) -> Job[T]:
        if self._thread is not None:
            raise RuntimeError(f"job {self.name} already started")
        self.state = RUNNING
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()
        return self

    def cancel(self) -> bool:
        """Ask the work to stop (it stops at its next check); False if it cannot be cancelled."""
        if not self.cancellable or self.state != RUNNING:
            return False
        self._cancel.set()
        return True

    @property
    def running(self) -> bool:
        return self.state == RUNNING

    @property
    def fraction(self) -> float | None:
        """How far the work is, 0 to 1; None while the total is unknown."""
        if not self.total:
            return None
        return min(1.0, max(0.0, self.done / self.total))

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the outcome has been posted; False on timeout."""
        return self._ended.wait(timeout)

    # ------------------------------------------------------------ for the work (worker thread)
    def progress(self, done: int | None = None, total: int | None = None, message: str | None = None) -> None:
        if done is not None:
            self.done = done
        if total is not None:
            self.total = total
        if message is not None:
            self.message = message

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` if a cancel was asked."""
        if self._cancel.is_set():
            raise Cancelled()

    def step(self, done: int, total: int | None) -> None:
        """Report the progress, then stop here if a cancel was asked."""
        self.progress(done, total)
        self.check()

    # ------------------------------------------------------------ the thread
    def _run(self) -> None:
        deliver: Callable[[], None]
        try:
            result = self._work(self)
        except Cancelled:
            self.state = CANCELLED
            deliver = self._deliver_cancelled
        except Exception as exc:  # delivered to on_error (or logged): never swallowed
            self.state, self.error = FAILED, exc
            deliver = self._deliver_error
        else:
            self.state, self.result = DONE, result
            deliver = self._deliver_done
        finally:
            _release_connection()
        try:
            self._post(deliver)
        finally:
            self._ended.set()

    def _deliver_done(self) -> None:
        if self._on_done is not None:
            self._on_done(self.result)  # type: ignore[arg-type]

    def _deliver_cancelled(self) -> None:
        if self._on_cancelled is not None:
            self._on_cancelled()

    def _deliver_error(self) -> None:
        exc = self.error
        assert exc is not None
        if self._on_error is not None:
            self._on_error(exc)
        elif isinstance(exc, Refusal):
            log.warning("%s refused: %s", self.name, exc)
        else:
            log.error("%s failed", self.name, exc_info=exc)

    def __repr__(self) -> str:
        return f"<Job {self.name} {self.state} {self.done}/{self.total}>"

