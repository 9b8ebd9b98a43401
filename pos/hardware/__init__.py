"""Devices: small interfaces, a virtual implementation of each, and a worker
thread so that device I/O never runs on the UI thread.

The till only calls ``print_receipt(ticket)`` and ``open_drawer()``; the
hardware issue plugs python-escpos and pyserial drivers in behind these
interfaces, chosen from the ``printer.url`` / ``drawer.url`` settings.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger(__name__)


class DeviceError(Exception):
    """A device failed; the sale it belongs to is already committed.

    ``status`` is what the till's status bar shows: offline, paper_out, cover_open,
    none (not configured) or error.
    """

    def __init__(self, message: str, status: str = "error") -> None:
        super().__init__(message)
        self.status = status


class Printer(Protocol):
    def print_ticket(self, ticket: Any, settings: dict[str, str], copy: int = 0) -> None: ...
    def print_test_page(self, settings: dict[str, str]) -> None: ...
    def print_lines(self, lines: list[str], settings: dict[str, str] | None = None) -> None: ...


class Drawer(Protocol):
    def open(self) -> None: ...


class NoPrinter:
    """``printer.url = none``: asking for a receipt says so."""

    def print_ticket(self, ticket: Any, settings: dict[str, str], copy: int = 0) -> None:
        from pos.core.i18n import _

        raise DeviceError(_("No receipt printer is configured (Configuration, Hardware)"), "none")

    print_test_page = print_ticket  # type: ignore[assignment]

    def print_lines(self, lines: list[str], settings: dict[str, str] | None = None) -> None:
        self.print_ticket(None, settings or {})


class NoDrawer:
    def open(self) -> None:
        pass


def _text_receipt(ticket: Any, settings: dict[str, str], copy: int) -> list[str]:
    from pos.sale.receipt import render

    return render(ticket, settings, width=int(settings.get("printer.columns") or 42), copy=copy)


@dataclass
class VirtualPrinter:
    """Keeps the text of what it printed in memory (tests, demos)."""

    printed: list[list[str]] = field(default_factory=list)
    fail: Exception | None = None

    def print_ticket(self, ticket: Any, settings: dict[str, str], copy: int = 0) -> None:
        if self.fail:
            raise self.fail
        self.printed.append(_text_receipt(ticket, settings, copy))

    def print_test_page(self, settings: dict[str, str]) -> None:
        if self.fail:
            raise self.fail
        self.printed.append([settings.get("shop.name", ""), "TEST"])

    def print_lines(self, lines: list[str], settings: dict[str, str] | None = None) -> None:
        if self.fail:
            raise self.fail
        self.printed.append(list(lines))


@dataclass
class TextPrinter:
    """Writes receipts as text to a stream (``pos sell --receipt`` without a printer)."""

    stream: Any

    def print_ticket(self, ticket: Any, settings: dict[str, str], copy: int = 0) -> None:
        self.stream.write("\n".join(_text_receipt(ticket, settings, copy)) + "\n\n")
        self.stream.flush()

    def print_test_page(self, settings: dict[str, str]) -> None:
        self.stream.write(f"{settings.get('shop.name', '')}\nTEST\n")

    def print_lines(self, lines: list[str], settings: dict[str, str] | None = None) -> None:
        self.stream.write("\n".join(lines) + "\n\n")
        self.stream.flush()


@dataclass
class VirtualDrawer:
    opened: int = 0

    def open(self) -> None:
        self.opened += 1


@dataclass
class Job:
    name: str
    run: Callable[[], Any]
    done: Callable[[Job], None] | None = None
    error: Exception | None = None
    finished: threading.Event = field(default_factory=threading.Event)
    result: Any = None  # what ``run`` returned (a printer: "ok", or "unknown" when it could not confirm)


class DeviceWorker:
    """One background thread that runs device jobs in order.

    ``done`` callbacks run on the worker thread: a UI hands them to its own
    thread (Kivy's ``Clock.schedule_once``).
    """

    def __init__(self) -> None:
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="pos-devices", daemon=True)
        self._thread.start()

    def submit(self, name: str, run: Callable[[], Any], done: Callable[[Job], None] | None = None) -> Job:
        job = Job(name, run, done)
        self._queue.put(job)
        return job

    def _loop(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                job.result = job.run()
            except Exception as exc:  # a device failure never reaches the sale
                job.error = exc
                log.warning("device job %s failed: %s", job.name, exc)
            job.finished.set()
            if job.done:
                try:
                    job.done(job)
                except Exception:  # pragma: no cover - a UI callback bug
                    log.exception("device job callback failed")

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the queued jobs, waiting ``timeout`` s at most (the thread is a daemon: a job
        stuck on a dead device does not keep the program alive)."""
        self._queue.put(None)
        self._thread.join(timeout=timeout)
