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
    """A device failed; the sale it belongs to is already committed."""


class Printer(Protocol):
    def print_lines(self, lines: list[str]) -> None: ...


class Drawer(Protocol):
    def open(self) -> None: ...


@dataclass
class VirtualPrinter:
    """Keeps what it printed in memory (tests, demo, a till without a printer)."""

    printed: list[list[str]] = field(default_factory=list)
    fail: Exception | None = None

    def print_lines(self, lines: list[str]) -> None:
        if self.fail:
            raise self.fail
        self.printed.append(list(lines))


@dataclass
class TextPrinter:
    """Writes receipts as text to a stream (the CLI's stdout while no printer is configured)."""

    stream: Any

    def print_lines(self, lines: list[str]) -> None:
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
                job.run()
            except Exception as exc:  # a device failure never reaches the sale
                job.error = exc
                log.warning("device job %s failed: %s", job.name, exc)
            job.finished.set()
            if job.done:
                try:
                    job.done(job)
                except Exception:  # pragma: no cover - a UI callback bug
                    log.exception("device job callback failed")

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)
