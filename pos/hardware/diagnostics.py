"""Device diagnostics for the CLI (``pos scanner test``) and the config pages."""

from __future__ import annotations

import queue
import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

from pos.core.i18n import _
from pos.hardware.scanner import SerialScanner
from pos.hardware.urls import DeviceURLError, parse


def scanner_test(url: str, count: int, out: TextIO, describe: Callable[[str], str], timeout: float | None = None,
                 *, on_status: Callable[[str], None] | None = None, stdin: TextIO | None = None) -> int:
    """Print each scan as ``"{code}  {describe(code)}"`` until ``count`` scans (``count`` ≤ 0: no
    limit) or ``timeout`` seconds; returns the number of lines printed.

    A serial URL is read with :class:`SerialScanner` (``on_status`` hears connected /
    disconnected); ``keyboard`` reads the lines a keyboard-wedge scanner types on ``stdin``
    (default ``sys.stdin``).  Raises :class:`DeviceURLError` for a bad or ``none`` URL.
    """
    device = parse(url, "scanner")
    if device.scheme == "none":
        raise DeviceURLError(_("No scanner is configured: give its URL (--device)"))
    codes: queue.Queue[str | None] = queue.Queue()
    scanner: SerialScanner | None = None
    if device.scheme == "serial":
        scanner = SerialScanner(device, codes.put, on_status, reconnect_delay=0.5)
        scanner.start()
    else:  # keyboard: the scanner types each code then Enter
        source = stdin if stdin is not None else sys.stdin

        def read_lines() -> None:
            for line in source:
                if line.strip():
                    codes.put(line.strip())
            codes.put(None)  # end of input

        threading.Thread(target=read_lines, name="pos-scanner-stdin", daemon=True).start()
    deadline = None if timeout is None else time.monotonic() + timeout
    printed = 0
    try:
        while count <= 0 or printed < count:
            wait = None if deadline is None else deadline - time.monotonic()
            if wait is not None and wait <= 0:
                break
            try:
                code = codes.get(timeout=wait)
            except queue.Empty:
                break
            if code is None:
                break
            try:
                text = describe(code)
            except Exception as exc:  # a lookup failure is part of the diagnosis
                text = str(exc)
            out.write(f"{code}  {text}\n")
            out.flush()
            printed += 1
    finally:
        if scanner is not None:
            scanner.stop()
    return printed
