"""``pos refund`` (with and without a ticket), ``pos sell --pay voucher:NUMBER[=AMOUNT]`` and
``pos vouchers list|show|cancel``, run as the user runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers.cli import cli_env, pos, run
from helpers.demo_db import copy_database

from pos.data import journal
from pos.data import vouchers as vouchers_db
from pos.data.db import close_database, open_database
from pos.data.tickets import get_ticket


@pytest.fixture
def shop_db(demo_template, tmp_path) -> Path:
    path = copy_database(demo_template, tmp_path / "pos.sqlite3")
    assert pos(path, "config", "set", "ui.language", "en").returncode == 0
    return path


def read(path: Path, fn):
    open_database(path)
    try:
        return fn()
    finally:
        close_database()


def test_refund_by_credit_note_then_spend_it_partly(shop_db, capsys):
    code, out, err = run(capsys, shop_db, "sell", "D010001*20", "--pay", "card")
    assert (code, err) == (0, ""), err
    code, out, err = run(capsys, shop_db, "refund", "1", "D010001*10", "--pay", "credit_note")
    assert (code, err) == (0, ""), err
    lines = out.splitlines()
    assert lines[0] == "refund ticket 2: total -€12.00"
    assert lines[1].startswith("credit note AV00000001: €12.00, valid until ")
    code, out, err = run(capsys, shop_db, "sell", "D010001*5", "--pay", "voucher:AV00000001=5", "--pay", "cash")
    assert (code, err) == (0, ""), err
    assert out.splitlines() == ["ticket 3: total €6.00, change €0.00", "AV00000001: €5.00 used, €7.00 left"]
    code, out, err = run(capsys, shop_db, "vouchers", "list", "--open")
    assert code == 0
    assert "AV00000001" in out and "€7.00" in out and out.splitlines()[-1] == "outstanding: €7.00"
    code, out, err = run(capsys, shop_db, "vouchers", "show", "1")
    assert code == 0 and "balance: €7.00" in out and "ticket 3" in out and "ticket 2" in out
    # more than the balance, or a note that does not exist: refused, nothing recorded
    code, out, err = run(capsys, shop_db, "sell", "D010001*10", "--pay", "voucher:AV00000001=8", "--pay", "cash")
    assert (code, out) == (1, "") and err.strip() == "pos: Only €7.00 is left on AV00000001"
    code, out, err = run(capsys, shop_db, "sell", "D010001", "--pay", "voucher:AV00000009")
    assert code == 1 and "No credit note or voucher AV00000009" in err
    code, out, err = run(capsys, shop_db, "sell", "D010001", "--pay", "cash:12")
    assert code == 1 and "bad payment" in err
    assert read(shop_db, lambda: (vouchers_db.get(1).balance, journal.verify().ok)) == (700, True)


def test_refund_part_of_a_ticket_by_card_needs_a_manager(shop_db, capsys):
    assert run(capsys, shop_db, "sell", "D010001*3", "--pay", "cash")[0] == 0
    code, out, err = run(capsys, shop_db, "refund", "1", "D010001", "--pay", "card", "--user", "Marie")
    assert (code, out) == (1, "") and "A manager must authorise this: refund" in err
    code, out, err = run(capsys, shop_db, "refund", "1", "D010001", "--pay", "card")
    assert (code, err) == (0, "")
    assert out == "refund ticket 2: total -€1.20\n"
    code, out, err = run(capsys, shop_db, "refund", "1", "D010001*3", "--pay", "cash")
    assert code == 1 and "Only 2 of Baguette tradition can still be refunded" in err
    code, out, err = run(capsys, shop_db, "refund", "1", "NOPE", "--pay", "cash")
    assert code == 1 and "NOPE is not on ticket 1" in err
    code, out, err = run(capsys, shop_db, "refund", "1", "--pay", "cash")  # what is left: 2
    assert (code, out) == (0, "refund ticket 3: total -€2.40\n")
    ticket = read(shop_db, lambda: get_ticket(3))
    assert (ticket.refund_of, [p["method_code"] for p in ticket.payments]) == (1, ["cash"])


def test_a_return_without_a_ticket(shop_db, capsys):
    code, out, err = run(capsys, shop_db, "refund", "--no-ticket", "D010001*2", "--pay", "cash")
    assert code == 1 and "needs --reason" in err
    code, out, err = run(capsys, shop_db, "refund", "--no-ticket", "D010001*2", "--reason", "lost receipt",
                         "--pay", "cash", "--user", "Marie")
    assert code == 1 and "take back an article without its ticket" in err
    code, out, err = run(capsys, shop_db, "refund", "--no-ticket", "D010001*2", "--reason", "lost receipt",
                         "--pay", "credit_note")
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == "refund ticket 1: total -€2.40"
    assert out.splitlines()[1].startswith("credit note AV00000001: €2.40")
    ticket = read(shop_db, lambda: get_ticket(1))
    assert (ticket.kind, ticket.refund_of, ticket.return_reason) == ("refund", None, "lost receipt")
    code, out, err = run(capsys, shop_db, "ticket", "1")
    assert "Return without a ticket: lost receipt" in out
    assert [line.strip() for line in out.splitlines()][-6:-4] == ["CREDIT NOTE", "AV00000001"]
    assert run(capsys, shop_db, "journal", "verify")[0] == 0


def test_cancel_a_note(shop_db, capsys):
    assert run(capsys, shop_db, "refund", "--no-ticket", "D010001", "--reason", "x", "--pay", "credit_note")[0] == 0
    code, out, err = run(capsys, shop_db, "vouchers", "cancel", "AV00000001", "--reason", "lost", "--user", "Marie")
    assert code == 1 and "A manager must authorise this" in err
    code, out, err = run(capsys, shop_db, "vouchers", "cancel", "AV00000001", "--reason", "lost")
    assert (code, out) == (0, "AV00000001 cancelled (€1.20 was left)\n")
    code, out, err = run(capsys, shop_db, "sell", "D010001", "--pay", "voucher:1")
    assert code == 1 and "AV00000001 was cancelled" in err


def test_two_pos_sell_processes_spend_the_same_20_euro_note(shop_db):
    """The issue's proof: two ``pos sell`` at once, 15 € each from a 20 € note: one is refused, 5 € left."""
    assert pos(shop_db, "sell", "D090162*8", "--pay", "card").returncode == 0  # 8 roses x 2.50
    proc = pos(shop_db, "refund", "1", "--pay", "credit_note")
    assert proc.returncode == 0, proc.stderr
    assert "credit note AV00000001: €20.00" in proc.stdout
    args = [sys.executable, "-m", "pos", "--db", str(shop_db), "sell", "D090162*6", "--pay",
            "voucher:AV00000001=15"]
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env())
             for _ in range(2)]
    results = [(*p.communicate(timeout=60), p.returncode) for p in procs]
    assert sorted(r[2] for r in results) == [0, 1], results
    ok = next(r for r in results if r[2] == 0)
    refused = next(r for r in results if r[2] == 1)
    assert ok[0].splitlines()[-1] == "AV00000001: €15.00 used, €5.00 left"
    # refused by the check at the till (the other had committed) or by the one inside the ticket's transaction
    assert refused[1].strip() == "pos: Only €5.00 is left on AV00000001", refused
    assert read(shop_db, lambda: (vouchers_db.get(1).balance, [m["amount"] for m in vouchers_db.moves(1)])) == (
        500, [2000, -1500])


@pytest.mark.parametrize("args, message", [
    (("vouchers", "show", "nonsense"), "No credit note or voucher nonsense"),
    (("vouchers", "show", "AV00000042"), "No credit note or voucher AV00000042"),
    (("sell", "D010001", "--pay", "voucher:AV1=abc"), "bad payment"),
    (("sell", "D010001", "--pay", "voucher:AV1=-2"), "the amount must be positive"),
    (("sell", "D010001", "--pay", "voucher:AV 1"), "bad payment"),
    (("refund", "999", "--pay", "cash"), "Ticket 999 does not exist"),
    (("refund", "--pay", "cash"), "which ticket?"),
    (("refund", "--no-ticket", "NOPE*2", "--reason", "x", "--pay", "cash"), "Unknown code: NOPE"),
    (("refund", "--no-ticket", "--reason", "x", "--pay", "cash"), "name the articles taken back"),
    (("refund", "--no-ticket", "D010001*0", "--reason", "x", "--pay", "cash"), "must be positive"),
    (("refund", "--no-ticket", "D010001*1.5", "--reason", "x", "--pay", "cash"), "whole quantities only"),
    (("refund", "1", "--reason", "x", "--pay", "cash"), "--reason is for a return without a ticket"),
    (("vouchers", "cancel", "AV1", "--reason", " "), "Give the reason for cancelling"),
    (("vouchers", "cancel", "AV1", "--reason", "lost"), "No credit note or voucher AV1"),
])
def test_bad_input_is_one_line_and_changes_nothing(shop_db, capsys, args, message):
    before = read(shop_db, lambda: (journal.count(), vouchers_db.list_vouchers()))
    code, out, err = run(capsys, shop_db, *args)
    assert (code, out) == (1, ""), err
    assert len(err.splitlines()) == 1 and message in err, err
    assert read(shop_db, lambda: (journal.count(), vouchers_db.list_vouchers())) == before
