"""Device discovery with fake back-ends: pyserial's port list and pyusb's devices (no USB here)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from pos.hardware import discovery


def port(device, description="n/a", manufacturer=None, product=None):
    return SimpleNamespace(device=device, description=description, manufacturer=manufacturer, product=product)


def test_serial_ports_are_listed_with_what_they_are_in_natural_order():
    ports = discovery.serial_ports(lambda: [
        port("/dev/ttyS10"), port("/dev/ttyUSB0", "FT232R USB UART", "FTDI", "FT232R USB UART"),
        port("/dev/ttyS9"), port("/dev/ttyACM0", "Honeywell scanner")])
    assert [p.path for p in ports] == ["/dev/ttyACM0", "/dev/ttyS9", "/dev/ttyS10", "/dev/ttyUSB0"]
    assert ports[0].label == "/dev/ttyACM0 · Honeywell scanner"
    assert ports[1].label == "/dev/ttyS9"  # "n/a" says nothing
    assert ports[3].label == "/dev/ttyUSB0 · FTDI FT232R USB UART"


def test_serial_ports_read_pyserial_by_default(monkeypatch):
    import serial.tools.list_ports

    monkeypatch.setattr(serial.tools.list_ports, "comports", lambda: [port("/dev/ttyUSB3", "CP2102")])
    assert discovery.serial_ports() == [discovery.SerialPort("/dev/ttyUSB3", "CP2102")]


class FakeUsb(SimpleNamespace):
    """A pyusb device: ids, class, configurations of interfaces, and strings that may need access."""

    def __init__(self, vendor, product, interfaces=(), device_class=0, strings=None):
        super().__init__(idVendor=vendor, idProduct=product, bDeviceClass=device_class,
                         configurations=[[SimpleNamespace(bInterfaceClass=c) for c in interfaces]])
        self._strings = strings

    def __iter__(self):
        return iter(self.configurations)

    @property
    def manufacturer(self):
        if self._strings is None:
            raise ValueError("The device has no langid (permission?)")
        return self._strings[0]

    @property
    def product(self):
        return self._strings[1] if self._strings else None


def test_usb_printers_by_class_or_receipt_vendor_with_their_names():
    devices = [
        FakeUsb(0x04B8, 0x0E15, interfaces=[0xFF], strings=("EPSON", "TM-T20II")),  # vendor-specific class
        FakeUsb(0x04B8, 0x0E15, interfaces=[0xFF], strings=("EPSON", "TM-T20II")),  # the same model twice
        FakeUsb(0x1234, 0x5678, interfaces=[7], strings=None),  # a class-7 printer we may not open
        FakeUsb(0x0416, 0x5011, interfaces=[7], strings=None),  # no access: the vendor's name
        FakeUsb(0x046D, 0xC52B, interfaces=[3], strings=("Logitech", "Receiver")),  # a keyboard receiver
        FakeUsb(0x1D6B, 0x0002, device_class=9),  # a hub
    ]
    found = discovery.usb_printers(lambda find_all: iter(devices))
    assert [(p.ids, p.name) for p in found] == [
        ("0416:5011", "Winbond (Zjiang, Xprinter, Netum)"), ("04b8:0e15", "EPSON TM-T20II"), ("1234:5678", "")]
    assert found[1].label == "EPSON TM-T20II (04b8:0e15)"
    assert found[1].url == "usb://04b8:0e15"
    assert found[2].label == "1234:5678"


def test_usb_without_libusb_is_a_clear_problem_not_a_crash(monkeypatch):
    import usb.core

    def no_backend(**_kw):
        raise usb.core.NoBackendError("No backend available")

    monkeypatch.setattr(usb.core, "find", no_backend)
    with pytest.raises(OSError, match="libusb"):
        discovery.usb_printers()
    monkeypatch.setattr(discovery, "serial_ports", lambda: [discovery.SerialPort("/dev/ttyS0")])
    monkeypatch.setattr(discovery, "device_files", lambda: ["/dev/usb/lp0"])
    found = discovery.discover()
    assert found.ports == [discovery.SerialPort("/dev/ttyS0")]
    assert found.files == ["/dev/usb/lp0"]
    assert found.usb == [] and "libusb" in found.problems[0]


def test_device_files(tmp_path):
    for name in ("lp10", "lp1", "lp0"):
        (tmp_path / name).touch()
    assert [p.rsplit("/", 1)[1] for p in discovery.device_files(str(tmp_path / "lp*"))] == ["lp0", "lp1", "lp10"]


def test_printer_models_from_python_escpos_with_a_search():
    models = discovery.printer_models()
    profiles = [m.profile for m in models]
    assert "TM-T20II" in profiles and "CT-S651" in profiles
    assert not any("star" in m.vendor.lower() for m in models)  # not ESC/POS: refused by the setting
    assert [m.profile for m in discovery.printer_models("epson t88")] == [
        "TM-T88II", "TM-T88III", "TM-T88IV", "TM-T88IV-SA", "TM-T88V"]
    assert [m.profile for m in discovery.printer_models("NETUM")] == ["NT-5890K", "NT-80-V-UL"]
    assert discovery.printer_models("no such printer") == []
    assert discovery.model("NT-5890K").paper == "58"
    assert discovery.model("TM-T20II").paper == "80"
    assert discovery.model("default").paper is None
    assert discovery.model("TM-T20II").label == "TM-T20II · Epson"
    from pos.core import settings

    for m in models:  # every model offered is one the setting accepts
        settings.check_profile(m.profile)
