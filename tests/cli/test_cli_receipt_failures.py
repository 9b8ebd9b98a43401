"""``pos sell --receipt`` when the printer fails (issue 13, item 8): the sale is kept, the missing
receipt is said on stderr, the exit status is 3, and the command waits at most 3 s for devices."""

from __future__ import annotations

import socket
import time

import pytest
from helpers.cli import run
from helpers.virtual_printer import VirtualNetworkPrinter

from pos.cli.aftersale import DEVICE_WAIT, EXIT_DEVICE
from pos.core import settings
from pos.data import common
from pos.data import tickets as tickets_db


@pytest.fixture
def shop_file(shop):
    from pos.data.db import close_database

    settings.set_value("ui.language", "en")
    path = common.database.database
    close_database()
    return path


def sell(capsys, shop_file, *pay: str) -> tuple[int, str, str, float]:
    t0 = time.monotonic()
    code, out, err = run(capsys, shop_file, "sell", "--user", "Marie", "D010003", "--pay", *(pay or ("card",)),
                         "--receipt")
    return code, out, err, time.monotonic() - t0


def last_ticket(shop_file) -> int | None:
    from pos.data.db import close_database, open_database

    open_database(shop_file)
    try:
        found = tickets_db.list_tickets(limit=1)
        return found[0].number if found else None
    finally:
        close_database()


def test_a_printer_that_accepts_but_never_reads_is_reported(shop_file, capsys):
    with VirtualNetworkPrinter(stall=True) as printer:
        assert run(capsys, shop_file, "config", "set", "printer.url", printer.url)[0] == 0
        code, out, err, took = sell(capsys, shop_file)
    assert code == EXIT_DEVICE, (out, err)
    assert out.startswith("ticket 1: total") and last_ticket(shop_file) == 1  # the sale is kept
    assert err.startswith("pos: ") and "receipt" in err and ("confirm" in err or "not printed" in err), err
    assert took < DEVICE_WAIT + 3


def test_a_printer_that_ignores_status_queries_is_not_taken_for_a_printed_receipt(shop_file, capsys):
    with VirtualNetworkPrinter(answer_status=False) as printer:
        run(capsys, shop_file, "config", "set", "printer.url", printer.url)
        code, out, err, _took = sell(capsys, shop_file)
    assert code == EXIT_DEVICE and "did not confirm the receipt" in err and out.startswith("ticket 1")


def test_a_blackholed_printer_port_costs_three_seconds_at_most(shop_file, capsys):
    # a port whose accept queue is full: the connection attempts hang, as on a blackholed address
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    fillers = []
    for _ in range(4):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(server.getsockname())
        fillers.append(s)
    try:
        host, port = server.getsockname()
        run(capsys, shop_file, "config", "set", "printer.url", f"tcp://{host}:{port}")
        run(capsys, shop_file, "config", "set", "printer.timeout", "20")
        code, out, err, took = sell(capsys, shop_file, "cash=5")  # cash: the drawer (through the printer) too
    finally:
        for s in fillers:
            s.close()
        server.close()
    assert code == EXIT_DEVICE and out.startswith("ticket 1: total")
    assert "no answer from the printer within 3 s" in err, err
    assert took < DEVICE_WAIT + 3, took
    assert last_ticket(shop_file) == 1


def test_a_working_printer_still_exits_0(shop_file, capsys):
    with VirtualNetworkPrinter() as printer:
        run(capsys, shop_file, "config", "set", "printer.url", printer.url)
        code, out, err, _took = sell(capsys, shop_file, "cash=5")
    assert (code, err) == (0, ""), err
