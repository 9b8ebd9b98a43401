"""What is plugged in: serial ports, USB printers, printer device files, and the printer
models python-escpos knows (the Hardware page's pickers).

No Kivy here.  USB enumeration and the serial port scan may take a moment (and USB may
hang on a misbehaving hub): the page runs :func:`discover` as a background job.  A
missing back-end (pyusb without libusb) is a problem in the result, not an error: the
other lists are still shown.
"""

from __future__ import annotations

import glob
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pos.core.i18n import _
from pos.hardware.urls import build_url

log = logging.getLogger(__name__)

USB_PRINTER_CLASS = 7
#: vendors of receipt printers whose USB interface is vendor-specific (class 0xff), not "printer"
RECEIPT_VENDORS = {
    0x04B8: "Epson", 0x0519: "Star Micronics", 0x1D90: "Citizen", 0x1504: "Bixolon", 0x0DD4: "Custom",
    0x0416: "Winbond (Zjiang, Xprinter, Netum)", 0x0FE6: "ICS (generic receipt printers)",
}
DEVICE_FILES = "/dev/usb/lp*"


@dataclass(frozen=True)
class SerialPort:
    path: str
    description: str = ""

    @property
    def label(self) -> str:
        return f"{self.path} · {self.description}" if self.description else self.path


@dataclass(frozen=True)
class UsbPrinter:
    vendor: int
    product: int
    name: str = ""

    @property
    def ids(self) -> str:
        return f"{self.vendor:04x}:{self.product:04x}"

    @property
    def label(self) -> str:
        return f"{self.name} ({self.ids})" if self.name else self.ids

    @property
    def url(self) -> str:
        return build_url("printer", "usb", vendor=self.vendor, product=self.product)


@dataclass(frozen=True)
class PrinterModel:
    profile: str  # the python-escpos profile name (``printer.profile``)
    vendor: str
    name: str
    paper_mm: float | None

    @property
    def label(self) -> str:
        name = self.name if self.name != self.profile else ""
        return " · ".join(part for part in (self.profile, self.vendor, name) if part)

    @property
    def paper(self) -> str | None:
        """The ``printer.paper`` setting its paper calls for: "58" or "80" (None: unknown)."""
        if self.paper_mm is None:
            return None
        return "58" if self.paper_mm < 64 else "80"


@dataclass
class Discovery:
    ports: list[SerialPort] = field(default_factory=list)
    usb: list[UsbPrinter] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- serial ports
def serial_ports(comports: Callable[[], Iterable[Any]] | None = None) -> list[SerialPort]:
    """The serial ports (``/dev/ttyS*``, ``/dev/ttyUSB*``, ``/dev/ttyACM*``...) with what they are."""
    if comports is None:
        from serial.tools.list_ports import comports
    ports = []
    for info in comports():
        parts = [p for p in (getattr(info, "manufacturer", None), getattr(info, "product", None)) if p]
        description = " ".join(parts) or getattr(info, "description", "") or ""
        if description in ("n/a", info.device):
            description = ""
        ports.append(SerialPort(info.device, description))
    return sorted(ports, key=lambda p: _natural(p.path))


def _natural(text: str) -> list[Any]:
    """``/dev/ttyS10`` after ``/dev/ttyS9``."""
    import re

    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


# ---------------------------------------------------------------- USB printers
def _is_printer(device: Any) -> bool:
    if device.idVendor in RECEIPT_VENDORS or getattr(device, "bDeviceClass", 0) == USB_PRINTER_CLASS:
        return True
    try:
        return any(interface.bInterfaceClass == USB_PRINTER_CLASS
                   for configuration in device for interface in configuration)
    except Exception:  # descriptors unreadable: not ours to judge
        return False


def _usb_name(device: Any) -> str:
    """The maker and model the printer reports; reading them needs access to the device
    (the udev rule of the README): without it, the vendor's name."""
    try:
        parts = [device.manufacturer, device.product]
    except Exception:  # no permission (ValueError: no langid), or a USB error
        parts = []
    name = " ".join(str(p).strip() for p in parts if p and str(p).strip())
    return name or RECEIPT_VENDORS.get(device.idVendor, "")


def usb_printers(find: Callable[..., Iterable[Any]] | None = None) -> list[UsbPrinter]:
    """The USB devices that look like receipt printers (class "printer", or a receipt printer
    maker's vendor id).  Raises OSError when USB cannot be read (pyusb without libusb)."""
    if find is None:
        try:
            import usb.core
        except ImportError as exc:
            raise OSError(_("USB printers cannot be listed: pyusb is not installed")) from exc
        find = usb.core.find
    try:
        devices = list(find(find_all=True))
    except Exception as exc:
        if type(exc).__name__ == "NoBackendError":
            raise OSError(_("USB printers cannot be listed: libusb is missing "
                            "(apt-get install libusb-1.0-0)")) from exc
        raise OSError(_("USB printers cannot be listed: {error}").format(error=exc)) from exc
    found = {}
    for device in devices:
        if _is_printer(device):
            printer = UsbPrinter(device.idVendor, device.idProduct, _usb_name(device))
            found.setdefault(printer.ids, printer)
    return sorted(found.values(), key=lambda p: (p.vendor, p.product))


def device_files(pattern: str = DEVICE_FILES) -> list[str]:
    """Printers the kernel's usblp driver owns (``/dev/usb/lp0``...)."""
    return sorted(glob.glob(pattern), key=_natural)


# ---------------------------------------------------------------- printer models
def printer_models(query: str = "") -> list[PrinterModel]:
    """The ESC/POS printer models python-escpos knows, whose profile, maker or name contain
    every word of ``query`` (case-insensitive).  Star models (not ESC/POS) are left out:
    a Star printer in ESC/POS emulation uses an Epson model."""
    from pos.hardware.escpos_render import CAPABILITIES, profile_names

    words = query.lower().split()
    models = []
    for profile in profile_names():
        data = CAPABILITIES["profiles"][profile]
        vendor = str(data.get("vendor") or "")
        if "star" in vendor.lower():
            continue
        mm = (data.get("media") or {}).get("width", {}).get("mm")
        model = PrinterModel(profile, vendor, str(data.get("name") or profile),
                             float(mm) if isinstance(mm, (int, float)) else None)
        haystack = f"{profile} {vendor} {model.name}".lower()
        if all(word in haystack for word in words):
            models.append(model)
    return models


def model(profile: str) -> PrinterModel | None:
    return next((m for m in printer_models() if m.profile == profile), None)


# ---------------------------------------------------------------- everything
def discover() -> Discovery:
    """Every list at once (run it off the UI thread); what cannot be read is in ``problems``."""
    found = Discovery()
    for attribute, lister in (("ports", serial_ports), ("usb", usb_printers), ("files", device_files)):
        try:
            setattr(found, attribute, lister())
        except OSError as exc:
            found.problems.append(str(exc))
        except Exception as exc:  # a driver's surprise: shown, logged, never fatal
            log.warning("device discovery (%s) failed", attribute, exc_info=True)
            found.problems.append(str(exc))
    return found


# ---------------------------------------------------------------- trying a device before saving it
def try_printer(values: dict[str, str]) -> str:
    """Print the test page on the printer ``values`` describe (the Hardware page's form, not yet
    saved): "ok" when the printer confirmed it, "unknown" when it cannot tell (USB, device file).
    Raises :class:`pos.hardware.DeviceError` (a ``PrinterError``) when it was not printed."""
    from pos.hardware import DeviceError
    from pos.hardware.printer import make_printer

    printer = make_printer(values)
    if printer is None:
        raise DeviceError(_("No receipt printer configured"), "none")
    return printer.print_test_page(values)


def try_display(url: str) -> None:
    """Show a test text on the customer display of ``url``; raises ``DeviceError`` on failure."""
    from pos.hardware import DeviceError
    from pos.hardware.display import CustomerDisplay
    from pos.hardware.urls import parse

    device = parse(url, "display")
    if device.scheme == "none":
        raise DeviceError(_("No customer display configured"), "none")
    CustomerDisplay(device).show(_("Display test"), "0123456789 €éèàç")
