"""ESC/POS receipt printers (``printer.url``): network, serial, USB and device files.

A connection is opened for each job and closed after it, so a printer switched off,
unplugged or replaced between two jobs never wedges the till.  Every step has a time
limit (``printer.timeout``): the connection, each write and each status read; USB and
device-file writes, which have no portable time limit, run on a helper thread that
is abandoned when it overruns.

Status.  Where the transport reads back (tcp, serial) a job is framed by real-time
status queries (DLE EOT 1, 2 and 4):

* before the job, a short query (at most 1 s): a printer that is offline, out of
  paper or has its cover open refuses the job, which can be retried once fixed.
  A printer that does not answer is printed to blind (status "unknown");
* after the job, the same query doubles as an acknowledgement: the answer comes
  once the printer has read the whole job, so a printer that closed the connection
  or stalled in the middle is reported instead of losing the receipt silently.
"""

from __future__ import annotations

import importlib.util
import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import serial

from pos.core.i18n import _
from pos.data.tickets import TicketRecord
from pos.hardware import DeviceError
from pos.hardware.escpos_render import (
    DEFAULT_PROFILE,
    choose_codepage,
    drawer_kick,
    render_document,
    render_receipt,
    render_test_page,
    render_text,
)
from pos.hardware.urls import DeviceURL, parse
from pos.sale.receipt import receipt_columns
from pos.sale.receipt_doc import Document

log = logging.getLogger(__name__)

OK = "ok"
UNKNOWN = "unknown"
OFFLINE = "offline"
PAPER_OUT = "paper_out"
COVER_OPEN = "cover_open"
ERROR = "error"
BAD_STATUSES = (OFFLINE, PAPER_OUT, COVER_OPEN, ERROR)

DLE_EOT = b"\x10\x04"
STATUS_QUERY = DLE_EOT + b"\x01" + DLE_EOT + b"\x02" + DLE_EOT + b"\x04"  # printer, offline cause, paper
STATUS_TIMEOUT = 1.0  # seconds to wait for the answer before a job (an idle printer answers at once)


class PrinterError(DeviceError):
    """A job was not printed (or not completely).  ``status`` is one of offline,
    paper_out, cover_open or error."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message, status)
        self.status = status


class _Closed(ConnectionError):
    """The printer closed the connection."""


def parse_status(reply: bytes) -> str:
    """Interpret the answers to DLE EOT 1, 2 and 4 (one byte each, in that order).

    Each answer has the fixed bits 0xx1xx10; anything else (no answer, an automatic
    status message) gives "unknown".  A printer that answers only the first queries
    is judged on those.
    """
    if not reply or any(b & 0x93 != 0x12 for b in reply[:3]):
        return UNKNOWN
    printer, cause, paper = (list(reply[:3]) + [0x12, 0x12])[:3]
    if cause & 0x04:  # cover open
        return COVER_OPEN
    if cause & 0x20 or paper & 0x60:  # printing stopped at paper end / roll sensor: no paper
        return PAPER_OUT
    if cause & 0x40:  # error (cutter, head temperature, ...)
        return ERROR
    if printer & 0x08:
        return OFFLINE
    return OK


def status_message(status: str) -> str:
    return {
        OFFLINE: _("The printer is offline"),
        PAPER_OUT: _("The printer is out of paper"),
        COVER_OPEN: _("The printer cover is open"),
        ERROR: _("The printer reports an error (paper jam, cutter or overheating)"),
    }.get(status, status)


# ---------------------------------------------------------------- transports
class _Link:
    """One open connection to a printer, for one job."""

    readable = False

    def write(self, data: bytes, deadline: float) -> None:
        raise NotImplementedError

    def read(self, n: int, deadline: float) -> bytes:
        """Up to ``n`` bytes; fewer when the deadline passes.  Raises _Closed at end of stream."""
        return b""

    def discard_input(self) -> None:
        pass

    def transfer_time(self, size: int) -> float:
        """Seconds the line itself needs to carry ``size`` bytes (added to the timeout)."""
        return 0.0

    def close(self) -> None:
        pass


def _left(deadline: float) -> float:
    return max(0.001, deadline - time.monotonic())


class _TcpLink(_Link):
    readable = True

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def write(self, data: bytes, deadline: float) -> None:
        self.sock.settimeout(_left(deadline))
        self.sock.sendall(data)  # the timeout bounds the whole sendall (Python >= 3.5)

    def read(self, n: int, deadline: float) -> bytes:
        buf = b""
        while len(buf) < n and time.monotonic() < deadline:
            self.sock.settimeout(_left(deadline))
            try:
                chunk = self.sock.recv(n - len(buf))
            except TimeoutError:
                break
            if not chunk:
                raise _Closed("end of stream")
            buf += chunk
        return buf

    def discard_input(self) -> None:
        self.sock.setblocking(False)
        try:
            while self.sock.recv(4096):
                pass
        except OSError:  # nothing waiting (BlockingIOError), or the connection is gone
            pass

    def close(self) -> None:
        # read what the printer sent unasked first: closing with unread data would reset
        # the connection, and the printer could drop the end of the job
        self.discard_input()
        self.sock.close()


class _SerialLink(_Link):
    readable = True

    def __init__(self, path: str, baudrate: int, timeout: float) -> None:
        self.ser = serial.Serial(path, baudrate, timeout=timeout, write_timeout=timeout)
        self.baudrate = baudrate
        self.stall = timeout

    def transfer_time(self, size: int) -> float:
        return size * 10 / self.baudrate  # 8N1: 10 bits a byte (a 20 kB logo takes 21 s at 9600 baud)

    def write(self, data: bytes, deadline: float) -> None:
        """Write in blocks: the job may take its transfer time, but a port where nothing
        moves for ``timeout`` seconds fails then (SerialTimeoutException)."""
        for start in range(0, len(data), 1024):  # write_timeout (= timeout, set at open) bounds each block
            if time.monotonic() > deadline:
                raise serial.SerialTimeoutException("Write timeout")
            self.ser.write(data[start:start + 1024])
        waiting, moved = self.ser.out_waiting, time.monotonic()
        while waiting:  # a real UART still sending (about 1 ms per byte at 9600 baud)
            now = time.monotonic()
            if now > deadline or now - moved > self.stall:
                self.ser.reset_output_buffer()  # or close() would wait for it (30 s)
                raise serial.SerialTimeoutException("Write timeout")
            time.sleep(0.005)
            left = self.ser.out_waiting
            if left < waiting:  # still moving
                moved = time.monotonic()
            waiting = left

    def read(self, n: int, deadline: float) -> bytes:
        self.ser.timeout = _left(deadline)
        return self.ser.read(n)

    def discard_input(self) -> None:
        self.ser.reset_input_buffer()

    def close(self) -> None:
        self.ser.close()


def run_with_timeout(fn: Callable[[], Any], timeout: float, name: str) -> Any:
    """Run ``fn`` on a helper thread; raise TimeoutError when it overruns (the thread is
    abandoned: a USB or parallel write stuck in the kernel cannot be interrupted)."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = fn()
        except BaseException as exc:  # handed to the caller
            result["error"] = exc

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"{name}: no answer in {timeout:g} s")
    if "error" in result:
        raise result["error"]
    return result.get("value")


class _DeviceLink(_Link):
    """A device file (the kernel's usblp or parallel driver) or USB through pyusb
    (python-escpos's Usb): write only, so the status is unknown."""

    def __init__(self, url: DeviceURL, timeout: float) -> None:
        self.url = url
        self.timeout = timeout
        if url.scheme == "usb" and importlib.util.find_spec("usb") is None:
            raise PrinterError(ERROR, _usb_missing())

    def _write_file(self, data: bytes) -> None:
        with open(self.url.path, "wb", buffering=0) as device:
            device.write(data)

    def _write_usb(self, data: bytes) -> None:
        from escpos.exceptions import DeviceNotFoundError, USBNotFoundError
        from escpos.printer import Usb

        # python-escpos claims interface 0 itself; an "interface" option is not used
        params = {k: int(v, 0) for k, v in self.url.params.items() if k in ("in_ep", "out_ep")}
        device = Usb(self.url.vendor, self.url.product, timeout=int(self.timeout * 1000), **params)
        try:
            device.open()
            device._raw(data)
        except (DeviceNotFoundError, USBNotFoundError) as exc:
            raise OSError(str(exc).replace("\n", " ")) from exc
        except Exception as exc:
            if type(exc).__name__ == "NoBackendError":  # pyusb without libusb
                raise PrinterError(ERROR, _usb_missing()) from exc
            raise
        finally:
            device.close()

    def write(self, data: bytes, deadline: float) -> None:
        job = self._write_file if self.url.scheme == "file" else self._write_usb
        run_with_timeout(lambda: job(data), _left(deadline), f"printer {self.url}")


def _usb_missing() -> str:
    return _("USB printing needs pyusb and libusb (pip install pyusb; apt install libusb-1.0-0); "
             "or print to the device file, file:///dev/usb/lp0")


# ---------------------------------------------------------------- the printer
class EscposPrinter:
    """A receipt printer speaking ESC/POS.  Implements the till's ``Printer`` interface."""

    def __init__(self, url: DeviceURL | str, *, profile: str = DEFAULT_PROFILE, columns: int = 48,
                 timeout: float = 10.0, logo: str | None = None, status_timeout: float | None = None) -> None:
        self.url = parse(url, "printer") if isinstance(url, str) else url
        if self.url.scheme not in ("tcp", "serial", "usb", "file"):
            raise PrinterError(ERROR, _("{url}: not a {kind} URL (see the README, Hardware)").format(
                url=self.url, kind="printer"))
        try:
            self.codepage = choose_codepage(profile)[0]
        except ValueError as exc:
            raise PrinterError(ERROR, str(exc)) from None
        self.profile = profile
        self.columns = columns
        self.timeout = float(timeout)
        self.logo = logo or None
        self.status_timeout = min(self.timeout, STATUS_TIMEOUT) if status_timeout is None else status_timeout
        self._lock = threading.Lock()  # one job at a time (a status check from another thread waits)

    def __repr__(self) -> str:
        return f"EscposPrinter({str(self.url)!r}, profile={self.profile!r}, columns={self.columns})"

    @property
    def reads_status(self) -> bool:
        return self.url.scheme in ("tcp", "serial")

    # connections
    def _connect(self) -> _Link:
        url = self.url
        try:
            if url.scheme == "tcp":
                return _TcpLink(url.host, url.port, self.timeout)
            if url.scheme == "serial":
                return _SerialLink(url.path, url.baudrate, self.timeout)
            return _DeviceLink(url, self.timeout)
        except TimeoutError:
            raise self._timeout_error() from None
        except serial.SerialException as exc:
            raise PrinterError(OFFLINE, _("The printer port {port} cannot be opened: {error}").format(
                port=url.path, error=_reason(exc))) from exc
        except OSError as exc:
            raise PrinterError(OFFLINE, _("The printer {printer} cannot be reached: {error}").format(
                printer=url, error=_reason(exc))) from exc

    def _timeout_error(self) -> PrinterError:
        return PrinterError(OFFLINE, _("The printer {printer} did not answer within {seconds} s").format(
            printer=self.url, seconds=f"{self.timeout:g}"))

    def _query(self, link: _Link, deadline: float) -> str:
        link.discard_input()
        link.write(STATUS_QUERY, deadline)
        return parse_status(link.read(3, deadline))

    # the Printer interface
    def send(self, data: bytes, *, check_status: bool = True) -> str:
        """Send one job.  Raises PrinterError when it was not (completely) printed.

        Returns "ok" when the printer confirmed the job, "unknown" when it could not tell
        (USB, device file, a printer that does not answer status queries)."""
        with self._lock:
            link = self._connect()
            try:
                acknowledged = False
                if check_status and link.readable:
                    state = self._query(link, time.monotonic() + self.status_timeout)
                    if state in BAD_STATUSES:
                        raise PrinterError(state, status_message(state))
                    acknowledged = state != UNKNOWN  # it answers: its answer after the job confirms it
                link.write(data, time.monotonic() + self.timeout + link.transfer_time(len(data)))
                if acknowledged:
                    state = self._query(link, time.monotonic() + self.timeout)
                    if state == UNKNOWN:
                        raise PrinterError(OFFLINE, _("The printer {printer} did not confirm the job within "
                                                      "{seconds} s").format(printer=self.url,
                                                                            seconds=f"{self.timeout:g}"))
                    if state in BAD_STATUSES:
                        raise PrinterError(state, status_message(state))
                return OK if acknowledged else UNKNOWN
            except PrinterError:
                raise
            except (TimeoutError, serial.SerialTimeoutException):
                raise self._timeout_error() from None
            except (_Closed, ConnectionError) as exc:
                raise PrinterError(OFFLINE, _("The printer {printer} closed the connection during the job").format(
                    printer=self.url)) from exc
            except (OSError, serial.SerialException) as exc:
                raise PrinterError(OFFLINE, _("The printer {printer} cannot be reached: {error}").format(
                    printer=self.url, error=_reason(exc))) from exc
            except Exception as exc:  # USB back-end errors and the like
                raise PrinterError(ERROR, _("The printer {printer} failed: {error}").format(
                    printer=self.url, error=_reason(exc))) from exc
            finally:
                try:
                    link.close()
                except Exception:  # pragma: no cover - closing a broken connection
                    log.debug("closing %s", self.url, exc_info=True)

    def status(self) -> str:
        """ok, offline, paper_out, cover_open, error; unknown when the transport or the
        printer cannot tell."""
        if not self.reads_status:
            return UNKNOWN
        with self._lock:
            try:
                link = self._connect()
            except PrinterError as exc:
                return exc.status
            try:
                return self._query(link, time.monotonic() + self.status_timeout)
            except (TimeoutError, serial.SerialTimeoutException):
                return UNKNOWN
            except (OSError, serial.SerialException):
                return OFFLINE
            finally:
                try:
                    link.close()
                except Exception:  # pragma: no cover
                    log.debug("closing %s", self.url, exc_info=True)

    def print_ticket(self, ticket: TicketRecord, settings: dict[str, str], copy: int = 0) -> str:
        return self.send(render_receipt(ticket, settings, columns=self.columns, profile=self.profile, copy=copy,
                                        logo=self.logo))

    def print_test_page(self, settings: dict[str, str]) -> str:
        return self.send(render_test_page(settings, columns=self.columns, profile=self.profile))

    def print_lines(self, lines: list[str], settings: dict[str, str] | None = None) -> str:
        """Print text lines (a report), as wide as ``columns``."""
        return self.send(render_text(lines, settings, columns=self.columns, profile=self.profile))

    def print_document(self, doc: Document) -> str:
        """Print a document (a closure with its QR code), as wide as ``columns``."""
        return self.send(render_document(doc, columns=self.columns, profile=self.profile))

    def kick(self, pin: int = 2, pulse_ms: int = 100) -> None:
        """Open the cash drawer wired to the printer.  No status check: the drawer must
        open for a cash sale even when the paper has run out."""
        self.send(drawer_kick(pin, pulse_ms), check_status=False)  # (no confirmation asked)


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def make_printer(settings: dict[str, str]) -> EscposPrinter | None:
    """The printer of ``printer.url`` (None for "none"), with ``printer.profile``,
    ``printer.columns``, ``printer.timeout`` and ``printer.logo``."""
    url = parse(settings.get("printer.url") or "none", "printer")
    if url.scheme == "none":
        return None
    return EscposPrinter(
        url, profile=settings.get("printer.profile") or DEFAULT_PROFILE,
        columns=receipt_columns(settings), timeout=float(settings.get("printer.timeout") or 10),
        logo=settings.get("printer.logo") or None)
