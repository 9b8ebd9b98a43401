"""End to end with real devices: a scan arrives on a serial pty, the line shows in the
basket, the sale is paid in cash, the receipt reaches a network printer (a TCP server
on 127.0.0.1 that decodes the ESC/POS bytes) and the drawer kick comes with it."""

from __future__ import annotations

import os
import time

import pytest
from helpers.escpos_decoder import decode
from helpers.ui_helpers import frames, keypad_type, tap, wait_for
from helpers.virtual_printer import VirtualNetworkPrinter


@pytest.fixture(scope="module")
def window():
    from kivy.core.window import Window

    import pos.screens.app  # noqa: F401

    frames(2)
    yield Window


@pytest.fixture
def pty_scanner(tmp_path):
    """A serial scanner: the test writes on the master side of a pseudo-terminal."""
    master, slave = os.openpty()
    link = tmp_path / "ttyScanner"
    link.symlink_to(os.ttyname(slave))
    yield master, str(link)
    os.close(master)
    os.close(slave)


def start_app(window):
    from pos.screens.app import PosApp

    app = PosApp()  # devices built from the settings, as in the shop
    root = app.build()
    app.root = root
    window.add_widget(root)
    frames(3)
    return app, root


def test_serial_scan_to_printed_receipt_with_drawer_kick(window, shop, pty_scanner):
    from pos.core import settings
    from pos.data import events, tickets
    from pos.demo import demo_ean
    from pos.screens.app import STATUS_COLOURS

    master, device = pty_scanner
    with VirtualNetworkPrinter() as printer:
        settings.set_many({"ui.language": "en", "printer.url": printer.url, "drawer.url": "printer?pin=2&pulse=100",
                           "scanner.url": f"serial://{device}?baudrate=9600", "receipt.print": "ask",
                           "printer.columns": "48"})
        app, root = start_app(window)
        try:
            assert wait_for(lambda: app.serial_scanner is not None and app.serial_scanner.status == "connected")
            login = app.screen("login")
            tap(login.user_buttons["Marie"])
            keypad_type(login.ids.pad, "1234")
            tap(login.ids.enter)
            sale = app.screen("sale")
            assert app.sm.current == "sale"

            os.write(master, (demo_ean(3) + "\r").encode())  # Croissant
            os.write(master, (demo_ean(3) + "\r\n").encode())
            assert wait_for(lambda: sale.ids.basket.data and sale.ids.basket.data[0]["qty"] == "2 ×", 5)
            assert sale.ids.basket.data[0]["name"] == "Croissant"

            tap(sale.ids.pay)
            pay = app.screen("payment")
            tap(pay.ids.exact)
            tap(pay.ids.validate)
            assert app.sm.current == "sale" and sale.receipt_banner is not None
            # the drawer opens for cash: its kick goes through the printer, before the receipt is asked
            kick = decode(printer.wait_job(5))
            assert [e for e in kick.events if "drawer" in e] == ["[drawer pin=2 pulse=100]"], kick.events
            tap(sale.receipt_banner.ids.yes)
            receipt = decode(printer.wait_job(5))
            text = receipt.text
            assert "Épicerie du Marché" in text
            assert "Croissant" in text and "2.40" in text
            assert any("T000000001" in e for e in receipt.events)  # the ticket barcode, for refunds
            assert any("cut" in e for e in receipt.events)
            assert wait_for(lambda: app.printer_colour == STATUS_COLOURS["ok"])  # green: printed
            ticket = tickets.get_ticket(1)
            assert ticket.total == 240 and [p["method_code"] for p in ticket.payments] == ["cash"]
            assert [e["data"]["reason"] for e in events.events("drawer_opened")] == ["cash"]
        finally:
            app.on_stop()
            window.remove_widget(root)


def test_a_dead_printer_never_blocks_the_sale(window, shop):
    """Nothing listens on the printer's port: the sale is committed, the status turns red,
    the receipt can be retried once the printer is back."""
    from pos.core import settings
    from pos.data import tickets, users
    from pos.demo import demo_ean

    with VirtualNetworkPrinter() as printer:
        port_url = printer.url
    settings.set_many({"ui.language": "en", "printer.url": port_url, "drawer.url": "none", "scanner.url": "keyboard",
                       "receipt.print": "always", "printer.timeout": "2"})
    app, root = start_app(window)
    try:
        app.till.login(users.find_user("Marie").id, "1234")
        sale = app.show("sale")
        sale.scan(demo_ean(1))
        app.till.add_payment("card")
        started = time.monotonic()
        ticket = app.till.validate()
        sale.after_sale(ticket)
        assert time.monotonic() - started < 0.5  # the UI thread did not wait for the printer
        assert tickets.get_ticket(ticket.number) is not None
        assert wait_for(lambda: sale.receipt_banner is not None and "not printed" in sale.receipt_banner.text, 10)
        assert app.printer_colour[0] > 0.8  # red
        # the printer comes back on the same port: Retry prints the original (not a duplicate)
        with VirtualNetworkPrinter() as back:
            settings.set_value("printer.url", back.url)
            app.start_devices()
            tap(sale.receipt_banner.ids.yes)
            text = decode(back.wait_job(5)).text
            assert "Baguette tradition" in text and "DUPLICATA" not in text
    finally:
        app.on_stop()
        window.remove_widget(root)
