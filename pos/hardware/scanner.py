"""Barcode scanners: serial / USB-CDC scanners read by a background thread.

No Kivy here: :class:`SerialScanner` calls ``on_scan(code)`` on its own thread and the UI
hands the code to its thread with ``Clock.schedule_once``.  Keyboard-wedge scanners are
told from a person typing by :class:`pos.hardware.wedge.WedgeBuffer` (re-exported here).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import serial

from pos.hardware.urls import DeviceURL
from pos.hardware.wedge import WedgeBuffer  # noqa: F401  (re-exported)

log = logging.getLogger(__name__)

SUFFIXES = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n"}
MAX_CODE_LENGTH = 128  # longer lines are noise (a 2D code for this till is far shorter)
READ_TIMEOUT = 0.05  # s: how often the reader looks at stop(), and the idle gap that ends a garbage burst
STALE_AFTER = 2.0  # s: a code still without its terminator after this is dropped (unplugged mid-scan...)

CONNECTED = "connected"
DISCONNECTED = "disconnected"
STOPPED = "stopped"


def _printable(byte: int) -> bool:
    return 0x20 <= byte <= 0x7E


class SerialScanner:
    """A scanner on a serial port (``serial:///dev/ttyACM0?baudrate=9600&suffix=CR``).

    A daemon thread reads the port with pyserial and calls ``on_scan(code)`` (on that
    thread) for each complete code.  A code ends at CR, LF or CRLF whatever the ``suffix``
    setting says, so a scanner set to another terminator still works.  Lines with
    non-printable bytes or longer than :data:`MAX_CODE_LENGTH` are dropped with a warning
    (a garbage burst without terminator ends at the first pause in the input), and so is a
    code left without terminator for :data:`STALE_AFTER` seconds.  Nothing is lost between
    reads: bytes are kept until their terminator arrives.

    When the port fails or disappears (unplugged), the scanner reports ``disconnected``
    through ``on_status``, drops the partial code, tries to open the port again every
    ``reconnect_delay`` seconds and reports ``connected`` when it is back.  ``on_status``
    runs on the reader thread, except ``stopped``, which runs on the thread calling
    :meth:`stop`; each change is reported once.
    """

    def __init__(self, url: DeviceURL, on_scan: Callable[[str], None],
                 on_status: Callable[[str], None] | None = None, reconnect_delay: float = 1.0) -> None:
        if url.scheme != "serial":
            raise ValueError(f"not a serial scanner URL: {url}")
        self.url = url
        self.on_scan = on_scan
        self.on_status = on_status
        self.reconnect_delay = reconnect_delay
        self.suffix = SUFFIXES.get(url.params.get("suffix", "CR").upper(), b"\r")
        self.scans = 0  # codes handed to on_scan
        self.dropped = 0  # lines dropped as garbage, too long or without terminator
        self._status = STOPPED
        self._reported: str | None = None  # the last status given to on_status
        self._stop = threading.Event()
        self._lock = threading.Lock()  # guards self._port against close / cancel_read races
        self._port: serial.Serial | None = None
        self._thread: threading.Thread | None = None
        self._buffer = bytearray()
        self._bad = ""  # why the line being read will be dropped ("" = it is fine so far)
        self._last_data = 0.0

    # ---------------------------------------------------------------- control
    @property
    def status(self) -> str:
        return self._status

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._status, self._reported = DISCONNECTED, None  # the first attempt reports connected or not
        self._thread = threading.Thread(target=self._run, name=f"pos-scanner {self.url.path}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop reading and close the port; returns once the thread has ended (or after ``timeout``)."""
        self._stop.set()
        if self._thread is None:  # never started
            self._status = STOPPED
            return
        with self._lock:
            if self._port is not None and self._port.is_open:
                try:
                    self._port.cancel_read()  # wakes the reader's select() at once
                except OSError:  # pragma: no cover - closing at the same moment
                    pass
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._set_status(STOPPED)

    def _set_status(self, status: str) -> None:
        if self._stop.is_set() and status != STOPPED:
            return  # a late report from a reader thread being stopped
        self._status = status
        if status == self._reported:
            return
        self._reported = status
        log.info("scanner %s: %s", self.url.path, status)
        if self.on_status is not None:
            try:
                self.on_status(status)
            except Exception:  # pragma: no cover - a UI callback bug must not kill the reader
                log.exception("scanner status callback failed")

    # ---------------------------------------------------------------- reader thread
    def _open(self) -> serial.Serial | None:
        try:
            port = serial.Serial(self.url.path, self.url.baudrate, timeout=READ_TIMEOUT, exclusive=True)
        except (serial.SerialException, OSError, ValueError) as exc:
            log.debug("scanner %s: cannot open: %s", self.url.path, exc)
            return None
        with self._lock:
            self._port = port
        return port

    def _close(self) -> None:
        with self._lock:
            port, self._port = self._port, None
            if port is not None:
                try:
                    port.close()
                except (serial.SerialException, OSError):
                    pass

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                port = self._open()
                if port is None:
                    self._set_status(DISCONNECTED)
                    self._stop.wait(self.reconnect_delay)
                    continue
                if self._stop.is_set():
                    break
                self._set_status(CONNECTED)
                self._reset()
                try:
                    self._read_loop(port)
                except (serial.SerialException, OSError) as exc:
                    if self._stop.is_set():
                        break
                    log.warning("scanner %s: disconnected (%s)", self.url.path, exc)
                    if self._buffer:
                        log.warning("scanner %s: partial code %r dropped", self.url.path, bytes(self._buffer))
                        self.dropped += 1
                    self._reset()
                    self._close()
                    self._set_status(DISCONNECTED)
                    self._stop.wait(self.reconnect_delay)
        finally:
            self._close()

    def _read_loop(self, port: serial.Serial) -> None:
        while not self._stop.is_set():
            try:
                data = port.read(max(1, port.in_waiting))
            except TypeError as exc:  # pyserial's in_waiting on a port closed under it
                raise serial.SerialException(str(exc)) from exc
            now = time.monotonic()
            if data:
                self._last_data = now
                self._feed(data)
            elif self._buffer or self._bad:
                # a pause in the input: it ends a garbage burst; a code waits a while for its terminator
                if self._bad:
                    self._drop(self._bad)
                elif now - self._last_data >= STALE_AFTER:
                    self._drop("no CR/LF terminator (check the scanner's suffix setting)")

    def _reset(self) -> None:
        self._buffer.clear()
        self._bad = ""

    def _drop(self, why: str) -> None:
        self.dropped += 1
        log.warning("scanner %s: dropped %r: %s", self.url.path, bytes(self._buffer[:MAX_CODE_LENGTH]), why)
        self._reset()

    def _feed(self, data: bytes) -> None:
        for byte in data:
            if byte in (0x0D, 0x0A):  # CR or LF ends a code; the LF of a CRLF ends an empty line
                if self._bad:
                    self._drop(self._bad)
                elif self._buffer:
                    code = self._buffer.decode("ascii").strip()
                    self._reset()
                    if code:
                        self._deliver(code)
                continue
            if self._bad:
                if len(self._buffer) < MAX_CODE_LENGTH:
                    self._buffer.append(byte)  # only for the log
                continue
            if not _printable(byte):
                self._bad = f"non-printable byte 0x{byte:02x}"
                self._buffer.append(byte)
            elif len(self._buffer) >= MAX_CODE_LENGTH:
                self._bad = f"longer than {MAX_CODE_LENGTH} characters"
            else:
                self._buffer.append(byte)

    def _deliver(self, code: str) -> None:
        self.scans += 1
        try:
            self.on_scan(code)
        except Exception:  # a UI callback bug must not stop the scanner
            log.exception("scanner %s: on_scan failed for %r", self.url.path, code)
