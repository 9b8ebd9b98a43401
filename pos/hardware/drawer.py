"""Cash drawers (``drawer.url``): wired to the receipt printer, or on a serial port.

    printer?pin=2&pulse=100   the printer's drawer connector (RJ11/RJ12), ESC p on pin 2 or 5
    serial:///dev/ttyS1?baudrate=9600   a serial drawer (or a serial drawer interface)
    none

A serial drawer is sent the same ESC p bytes: drawers that understand ESC/POS read
them, and the many simple ones that open on any byte open too.
"""

from __future__ import annotations

import logging
import time

import serial

from pos.core.i18n import _
from pos.hardware.escpos_render import drawer_kick
from pos.hardware.printer import OFFLINE, EscposPrinter, PrinterError
from pos.hardware.urls import DeviceURL, parse

log = logging.getLogger(__name__)


class PrinterDrawer:
    """The drawer plugged into the receipt printer."""

    def __init__(self, printer: EscposPrinter, pin: int = 2, pulse_ms: int = 100) -> None:
        drawer_kick(pin, pulse_ms)  # refuse a bad pin or pulse now, not at the first cash sale
        self.printer = printer
        self.pin = pin
        self.pulse_ms = pulse_ms

    def __repr__(self) -> str:
        return f"PrinterDrawer({self.printer!r}, pin={self.pin}, pulse_ms={self.pulse_ms})"

    def open(self) -> None:
        self.printer.kick(self.pin, self.pulse_ms)


class SerialDrawer:
    """A drawer on its own serial port; the port is opened for each opening."""

    def __init__(self, url: DeviceURL | str, *, timeout: float = 5.0, pin: int = 2, pulse_ms: int = 100) -> None:
        self.url = parse(url, "drawer") if isinstance(url, str) else url
        if self.url.scheme != "serial":
            raise ValueError(f"not a serial drawer URL: {self.url}")
        self.data = drawer_kick(pin, pulse_ms)
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"SerialDrawer({str(self.url)!r})"

    def open(self) -> None:
        try:
            port = serial.Serial(self.url.path, self.url.baudrate, timeout=self.timeout, write_timeout=self.timeout)
        except serial.SerialException as exc:
            raise PrinterError(OFFLINE, _("The drawer port {port} cannot be opened: {error}").format(
                port=self.url.path, error=exc)) from exc
        try:
            port.write(self.data)
            deadline = time.monotonic() + self.timeout
            while port.out_waiting and time.monotonic() < deadline:  # let the UART send it before closing
                time.sleep(0.005)
            if port.out_waiting:
                port.reset_output_buffer()
                raise serial.SerialTimeoutException("Write timeout")
        except serial.SerialTimeoutException:
            raise PrinterError(OFFLINE, _("The drawer on {port} did not take the command within {seconds} s").format(
                port=self.url.path, seconds=f"{self.timeout:g}")) from None
        except serial.SerialException as exc:
            raise PrinterError(OFFLINE, _("The drawer port {port} failed: {error}").format(
                port=self.url.path, error=exc)) from exc
        finally:
            port.close()


def make_drawer(settings: dict[str, str], printer: EscposPrinter | None) -> PrinterDrawer | SerialDrawer | None:
    """The drawer of ``drawer.url``: None for "none", and for a drawer wired to a printer
    when there is no printer (the default settings of a till without hardware)."""
    url = parse(settings.get("drawer.url") or "none", "drawer")
    if url.scheme == "printer":
        if printer is None:
            return None
        return PrinterDrawer(printer, int(url.params.get("pin", "2")), int(url.params.get("pulse", "100")))
    if url.scheme == "serial":
        return SerialDrawer(url, timeout=float(settings.get("printer.timeout") or 5))
    return None
