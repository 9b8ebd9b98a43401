"""The hardware commands of the CLI, against a virtual network printer on 127.0.0.1."""

from __future__ import annotations

import pytest
from helpers.cli import run
from helpers.escpos_decoder import decode
from helpers.virtual_printer import VirtualNetworkPrinter

from pos.core import settings
from pos.data import common


@pytest.fixture
def shop_file(shop):
    """The demo shop's database file, closed so the CLI opens it as a shop would."""
    from pos.data.db import close_database

    settings.set_value("ui.language", "en")
    path = common.database.database
    close_database()
    return path



def test_printer_test_page_and_sell_with_receipt_and_drawer(shop_file, capsys):
    with VirtualNetworkPrinter() as printer:
        assert run(capsys, shop_file, "config", "set", "printer.url", printer.url)[0] == 0
        code, out, err = run(capsys, shop_file, "printer", "test")
        assert (code, err) == (0, "") and "test page sent" in out
        page = decode(printer.wait_job(5)).text
        assert "Épicerie du Marché" in page and "€" in page and "œ" in page and "«" in page

        code, out, err = run(capsys, shop_file, "sell", "--user", "Marie", "D010003",
                             "--pay", "cash=5", "--receipt")
        assert (code, err) == (0, ""), err
        kick = decode(printer.wait_job(5))  # cash: the drawer (pin 2 by default) opens through the printer
        assert any("drawer" in e for e in kick.events)
        receipt = decode(printer.wait_job(5)).text
        assert "Croissant" in receipt and "DUPLICATA" not in receipt

        code, out, err = run(capsys, shop_file, "receipt", "1", "--user", "Marie")
        assert (code, err) == (0, "") and "DUPLICATA n° 1" in out
        assert "DUPLICATA" in decode(printer.wait_job(5)).text

        code, out, err = run(capsys, shop_file, "drawer", "open", "--user", "Marie")
        assert code == 1 and "manager" in err
        code, out, err = run(capsys, shop_file, "drawer", "open", "--user", "Claire")
        assert (code, out.strip()) == (0, "drawer opened")
        assert any("drawer" in e for e in decode(printer.wait_job(5)).events)


def test_printer_errors_are_one_line(shop_file, capsys):
    with VirtualNetworkPrinter() as printer:
        url = printer.url
    run(capsys, shop_file, "config", "set", "printer.url", url)  # nothing listens there any more
    settings_timeout = run(capsys, shop_file, "config", "set", "printer.timeout", "2")
    assert settings_timeout[0] == 0
    code, out, err = run(capsys, shop_file, "printer", "test")
    assert code == 1 and err.count("\n") == 1 and "cannot be reached" in err
    code, _, err = run(capsys, shop_file, "config", "set", "printer.url", "lpt1")
    assert code == 1 and "not a printer URL" in err
