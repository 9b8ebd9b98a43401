"""The Hardware page, driven offscreen with simulated touches: pickers fed by a fake discovery
(no device here), saving through the core, and a test page printed on the TCP virtual printer."""

from __future__ import annotations

import pytest
from helpers.ui_helpers import find_button, frames, popup, tap, wait_for
from helpers.virtual_printer import VirtualNetworkPrinter
from test_catalog_ui import open_page
from test_ui import login, make_app, window  # noqa: F401  (fixtures)

from pos.hardware import discovery

pytestmark = pytest.mark.slow

PORTS = [discovery.SerialPort("/dev/ttyS0"), discovery.SerialPort("/dev/ttyUSB0", "FTDI FT232R")]
USB = [discovery.UsbPrinter(0x04B8, 0x0E15, "EPSON TM-T20II")]


@pytest.fixture
def plugged(monkeypatch):
    """What discovery finds: two serial ports, an Epson on USB, a usblp device file."""
    monkeypatch.setattr(discovery, "serial_ports", lambda: list(PORTS))
    monkeypatch.setattr(discovery, "usb_printers", lambda: list(USB))
    monkeypatch.setattr(discovery, "device_files", lambda: ["/dev/usb/lp0"])


def hardware_page(app):
    _config, page = open_page(app, "hardware")
    assert wait_for(lambda: not page.busy and page.found.usb == USB), page.status
    assert "serial ports 2 · USB printers 1 · printer device files 1" in page.status
    return page


def press(page, widget) -> None:
    """Touch a widget of the page, scrolled into view first."""
    frames(2)
    scroll = page.ids.scroll
    _x, bottom = scroll.to_window(scroll.x, scroll.y)
    _x, y = widget.to_window(*widget.center)
    if not bottom < y < bottom + scroll.height:
        scroll.scroll_to(widget, padding=10, animate=False)
        frames(2)
    tap(widget)


def choose(window, text: str, cls: str = "ChoicePopup") -> None:  # noqa: F811
    assert wait_for(lambda: any(type(c).__name__ == cls for c in window.children))
    tap(find_button(popup(window, cls), text))
    frames(2)


def test_pickers_build_the_urls_and_save_through_the_core(make_app, window, plugged):  # noqa: F811
    from pos.core import settings
    from pos.data import events

    app = make_app()
    page = hardware_page(app)
    printer = page.cards["printer"]

    # the printer: USB, picked from what is plugged in; its model from python-escpos, searched
    press(page, find_button(printer, "USB"))
    press(page, find_button(page.cards["printer"], "Choose"))
    choose(window, "EPSON TM-T20II (04b8:0e15)")
    assert page.values["printer.url"] == "usb://04b8:0e15"
    assert find_button(page.cards["printer"], "EPSON TM-T20II (04b8:0e15)")
    press(page, find_button(page.cards["printer"], "TM-T20II · Epson"))
    assert wait_for(lambda: any(type(c).__name__ == "ModelPopup" for c in window.children))
    models = popup(window, "ModelPopup")
    models.ids.query.text = "netum 58"
    frames(2)
    assert [b.text for b in models.ids.models.children] == ["NT-5890K · Netum"]
    choose(window, "NT-5890K", "ModelPopup")
    assert (page.values["printer.profile"], page.values["printer.paper"]) == ("NT-5890K", "58")
    press(page, find_button(page.cards["printer"], "Always"))
    assert page.values["receipt.print"] == "always"

    # the drawer: pin 5, a longer pulse
    press(page, find_button(page.cards["drawer"], "Pin 5"))
    page.inputs["drawer", "pulse"].text = "200"
    assert page.values["drawer.url"] == "printer?pin=5&pulse=200"

    # the display: a serial port and its baud rate
    press(page, find_button(page.cards["display"], "Serial"))
    press(page, find_button(page.cards["display"], "Choose"))
    choose(window, "/dev/ttyUSB0 · FTDI FT232R")
    press(page, find_button(page.cards["display"], "9600"))
    choose(window, "19200")
    assert page.values["display.url"] == "serial:///dev/ttyUSB0?baudrate=19200"

    # the URLs only under Advanced, where they follow the pickers
    assert page.advanced_box.parent is None
    press(page, page.advanced_toggle)
    assert page.advanced_box.parent is page.form
    assert page.fields["printer.url"].text == "usb://04b8:0e15"
    assert page.fields["display.url"].text == "serial:///dev/ttyUSB0?baudrate=19200"

    assert settings.get("printer.url") == "none"  # nothing saved yet
    press(page, page.ids.save)
    assert app.toast_text == "Saved"
    saved = settings.all_values()
    assert (saved["printer.url"], saved["printer.profile"], saved["printer.paper"], saved["receipt.print"]) == (
        "usb://04b8:0e15", "NT-5890K", "58", "always")
    assert (saved["drawer.url"], saved["display.url"]) == (
        "printer?pin=5&pulse=200", "serial:///dev/ttyUSB0?baudrate=19200")
    changed = {e["data"]["key"]: e["user_name"] for e in events.events("setting_changed")}
    assert {k: changed[k] for k in ("printer.url", "drawer.url", "display.url", "receipt.print")} == dict.fromkeys(
        ("printer.url", "drawer.url", "display.url", "receipt.print"), "Claire")

    # a URL typed under Advanced sets the pickers
    page.fields["printer.url"].text = "serial:///dev/ttyS0?baudrate=38400"
    frames(2)
    assert find_button(page.cards["printer"], "/dev/ttyS0") and find_button(page.cards["printer"], "38400")


def test_a_network_printer_is_tested_before_saving_and_a_bad_address_is_refused(make_app, window, plugged):  # noqa: F811
    from helpers.escpos_decoder import decode

    from pos.core import settings

    app = make_app()
    page = hardware_page(app)
    press(page, find_button(page.cards["printer"], "USB"))  # not chosen yet: said, and not saved
    assert page.form_error == "Receipt printer: choose the USB printer"
    press(page, find_button(page.cards["drawer"], "Serial"))
    press(page, find_button(page.cards["printer"], "Network"))
    assert page.form_error == "Receipt printer: type the printer's address"
    press(page, find_button(page.cards["drawer"], "On the printer"))  # the pin and pulse it had
    assert page.values["drawer.url"] == "printer?pin=2&pulse=100"
    page.inputs["printer", "host"].text = "10.0.0.7/x"
    assert "not a valid address" in page.form_error
    press(page, page.ids.save)
    assert settings.get("printer.url") == "none" and "Not saved" in app.toast_text

    with VirtualNetworkPrinter() as vp:
        page.inputs["printer", "host"].text = "127.0.0.1"
        page.inputs["printer", "port"].text = str(vp.port)
        assert page.form_error == ""
        assert page.values["printer.url"] == vp.url
        press(page, page.tests["printer"])
        assert wait_for(lambda: page.statuses["printer"].text == "Test page printed", timeout=10), \
            page.statuses["printer"].text
        assert any("€" in line for line in decode(vp.wait_job()).lines)
    assert settings.get("printer.url") == "none"  # tested, not saved

    # a printer that does not answer: the status says so, in red, next to the printer
    page.inputs["printer", "port"].text = "1"
    press(page, page.tests["printer"])
    assert wait_for(lambda: "cannot be reached" in page.statuses["printer"].text, timeout=10), \
        page.statuses["printer"].text
    assert page.statuses["printer"].colour[0] > 0.8


def test_the_drawer_is_opened_on_the_saved_settings_and_logged(make_app, window, plugged):  # noqa: F811
    from pos.data import events

    app = make_app()
    page = hardware_page(app)
    press(page, find_button(page.cards["drawer"], "Pin 5"))
    press(page, page.tests["drawer"])
    assert app.toast_text == "Save first, then test"
    assert app.till.drawer.opened == 0
    press(page, page.ids.save)
    press(page, page.tests["drawer"])
    assert wait_for(lambda: page.statuses["drawer"].text == "Drawer opened (logged)")
    assert app.till.drawer.opened == 1
    assert [(e["user_name"], e["data"]["reason"]) for e in events.events("drawer_opened")] == [("Claire", "manual")]


def test_the_keyboard_scanner_card_sets_its_suffix_and_prefix(make_app, window, plugged):  # noqa: F811
    """No "codes must end with Enter": the card offers the key the scanner sends and its prefix."""
    from pos.core import settings

    app = make_app()
    page = hardware_page(app)
    card = page.cards["scanner"]
    assert find_button(card, "USB (keyboard)").state == "down"
    assert find_button(card, "Enter").state == "down"
    press(page, find_button(card, "Tab"))
    prefix = next(w for w in card.walk() if type(w).__name__ == "HwField")
    prefix.text = "]C 1"  # a space: refused as typed, the form cannot be saved
    frames(2)
    assert prefix.error and "Prefix" not in page.form_error and "8 printable" in page.form_error
    press(page, page.ids.save)
    assert settings.get("scanner.suffix") == "enter"  # nothing saved
    prefix.text = "]C1"
    frames(2)
    assert not prefix.error and page.form_error == ""
    press(page, page.ids.save)
    assert app.toast_text == "Saved"
    assert (settings.get("scanner.suffix"), settings.get("scanner.prefix")) == ("tab", "]C1")
    assert "scanner.prefix" not in page.fields and "scanner.gap_ms" in page.fields  # one widget per setting
