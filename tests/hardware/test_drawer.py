"""The cash drawer: the ESC p kick, through the receipt printer (virtual TCP printer)
and on its own serial port (a real pseudo-terminal pair)."""

from __future__ import annotations

import pytest
from helpers.escpos_decoder import decode
from helpers.virtual_printer import VirtualNetworkPrinter, VirtualSerialPrinter, closed_port

from pos.core import settings
from pos.data import users
from pos.hardware.drawer import PrinterDrawer, SerialDrawer, make_drawer
from pos.hardware.escpos_render import drawer_kick
from pos.hardware.printer import EscposPrinter, PrinterError
from pos.sale.till import Till


@pytest.mark.parametrize(("pin", "pulse", "expected"), [
    (2, 100, b"\x1bp\x00\x32\x64"),  # 50 x 2 ms on, 100 x 2 ms off
    (5, 100, b"\x1bp\x01\x32\x64"),
    (2, 200, b"\x1bp\x00\x64\xc8"),
    (5, 10, b"\x1bp\x01\x05\x0a"),
    (2, 510, b"\x1bp\x00\xff\xff"),  # the longest pulse; the off time is capped
])
def test_kick_bytes(pin, pulse, expected):
    data = drawer_kick(pin, pulse)
    assert data == expected
    assert decode(data).lines == [f"[drawer pin={pin} pulse={pulse}]"]
    assert data[4] >= data[3]  # ESC/POS: the off time is not shorter than the on time


@pytest.mark.parametrize(("pin", "pulse"), [(1, 100), (3, 100), (2, 0), (2, 8), (2, 512)])
def test_bad_pin_or_pulse_is_refused(pin, pulse):
    with pytest.raises(ValueError):
        drawer_kick(pin, pulse)


@pytest.mark.parametrize(("pin", "pulse"), [(2, 100), (5, 60), (2, 250)])
def test_drawer_through_the_printer(pin, pulse):
    with VirtualNetworkPrinter() as vp:
        PrinterDrawer(EscposPrinter(vp.url), pin, pulse).open()
        d = decode(vp.wait_job())
    assert d.lines == [f"[drawer pin={pin} pulse={pulse}]"]
    assert d.status_queries == []  # no status round trip before opening the drawer


def test_drawer_opens_even_when_the_printer_is_out_of_paper():
    with VirtualNetworkPrinter() as vp:
        vp.paper_out()
        PrinterDrawer(EscposPrinter(vp.url)).open()
        assert decode(vp.wait_job()).lines == ["[drawer pin=2 pulse=100]"]


def test_drawer_behind_an_unreachable_printer_reports_it():
    drawer = PrinterDrawer(EscposPrinter(f"tcp://127.0.0.1:{closed_port()}", timeout=1))
    with pytest.raises(PrinterError) as err:
        drawer.open()
    assert err.value.status == "offline"


def test_serial_drawer_on_a_pseudo_terminal():
    with VirtualSerialPrinter() as port:
        url = f"serial://{port.port}?baudrate=9600"
        SerialDrawer(url).open()
        assert port.wait_for(lambda data: len(data) >= 5) == drawer_kick(2, 100)
        SerialDrawer(url, pin=5, pulse_ms=150).open()
        port.wait_for(lambda data: len(data) >= 10)
        assert decode(port.take()).lines == ["[drawer pin=2 pulse=100]", "[drawer pin=5 pulse=150]"]


def test_serial_drawer_port_missing():
    with pytest.raises(PrinterError) as err:
        SerialDrawer("serial:///dev/pos-no-such-drawer").open()
    assert "/dev/pos-no-such-drawer" in str(err.value)


def test_make_drawer_from_settings():
    printer = EscposPrinter("tcp://127.0.0.1:9100")
    drawer = make_drawer({"drawer.url": "printer?pin=5&pulse=60"}, printer)
    assert isinstance(drawer, PrinterDrawer)
    assert (drawer.printer, drawer.pin, drawer.pulse_ms) == (printer, 5, 60)
    default = make_drawer({"drawer.url": "printer?pin=2&pulse=100"}, printer)
    assert isinstance(default, PrinterDrawer) and (default.pin, default.pulse_ms) == (2, 100)
    assert make_drawer({"drawer.url": "printer?pin=2&pulse=100"}, None) is None  # no printer, no drawer behind it
    assert make_drawer({"drawer.url": "none"}, printer) is None
    serial_drawer = make_drawer({"drawer.url": "serial:///dev/ttyS1?baudrate=9600"}, printer)
    assert isinstance(serial_drawer, SerialDrawer) and serial_drawer.url.baudrate == 9600


def test_cash_sale_kicks_the_drawer_through_the_printer(shop):
    """The till opens the drawer for cash, on its device worker; a card sale does not."""
    with VirtualNetworkPrinter() as vp:
        printer = EscposPrinter(vp.url)
        drawer = make_drawer(settings.all_values(), printer)  # the default: printer?pin=2&pulse=100
        till = Till(printer=printer, drawer=drawer)
        try:
            till.login(users.find_user("Marie").id, "1234")
            till.scan("D010003")
            till.add_payment("card")
            till.validate()
            till.scan("D010003")
            till.add_payment("cash", 500)
            ticket = till.validate()
            job = till.print_receipt(ticket)  # queued after the kick: once done, both are
            assert job is not None and job.finished.wait(5) and job.error is None
            kick, receipt = (decode(j) for j in vp.wait_jobs(2))
        finally:
            till.close()
    assert kick.lines == ["[drawer pin=2 pulse=100]"]
    assert receipt.events[-1] == "[cut]" and till.device_status["drawer"][0] == "ok"
