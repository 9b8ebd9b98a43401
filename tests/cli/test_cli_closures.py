"""``pos close`` and ``pos cash``, run for real (``python -m pos`` in a subprocess), and in-process
where a module has to be faked (``--pdf``)."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
from helpers.actors import MANAGER
from helpers.cli import pos, run
from helpers.demo_db import copy_database

from pos.core import i18n
from pos.data import journal
from pos.data.db import close_database, open_database


def cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANGUAGE", "POS_PIN")}
    env.update(LANG="en_US.UTF-8", PYTHONIOENCODING="utf-8", PYTHONUTF8="1")
    return env


def ok(db: Path, *args: str) -> dict[str, str]:
    """Run a command that must succeed; its ``key: value`` output as a dict."""
    proc = pos(db, *args)
    assert proc.returncode == 0 and proc.stderr == "", proc
    return dict(line.split(": ", 1) if ": " in line else (line.rstrip(":"), "") for line in proc.stdout.splitlines())


def one_error_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 1, proc
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("pos: ")
    return lines[0]


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "demo.sqlite3"
    assert pos(path, "demo").returncode == 0
    assert pos(path, "config", "set", "ui.language", "en").returncode == 0
    return path


@pytest.fixture
def shop_db(demo_template, tmp_path) -> Path:
    return copy_database(demo_template, tmp_path / "pos.sqlite3")


@pytest.fixture(autouse=True)
def english_afterwards():
    yield
    i18n.set_language("en")


def sell(db: Path, *args: str) -> None:
    proc = pos(db, "sell", "--user", "Marie", *args)
    assert proc.returncode == 0, proc.stderr


def test_a_day_with_the_command_line(shop_db):
    assert ok(shop_db, "cash", "float", "150") == {"movement": "1", "kind": "float", "amount": "150.00", "reason": ""}
    sell(shop_db, "D010001*3", "--pay", "cash=20")  # 3.60, change 16.40
    sell(shop_db, "D010001", "--pay", "card")  # 1.20
    out = ok(shop_db, "cash", "out", "5,50", "--reason", "window cleaner", "--user", "Claire")
    assert (out["kind"], out["amount"], out["reason"]) == ("out", "5.50", "window cleaner")
    proc = pos(shop_db, "cash", "list")
    assert proc.returncode == 0 and len(proc.stdout.splitlines()) == 2 and "window cleaner" in proc.stdout
    x = ok(shop_db, "close", "x")
    assert x["closure"] == "x" and x["total"] == "4.80" and x["cash.expected"] == "148.10"
    z = ok(shop_db, "close", "day", "--counted", "150,00")
    assert list(z) == [
        "closure", "till", "user", "created_at", "period_start", "period_end", "tickets", "first_ticket",
        "last_ticket", "sales.count", "sales.total", "refunds.count", "refunds.total", "discounts", "training.count",
        "training.total", "total", "perpetual_total", "vat.5.5", "payment.cash", "payment.cash.count",
        "payment.card", "payment.card.count", "cash.float", "cash.in", "cash.out", "cash.taken", "cash.change",
        "cash.expected", "cash.counted", "cash.difference", "cash.movements", "journal_seq", "last_hash"]
    assert z["closure"] == "day 1" and z["till"] == "Caisse 1" and z["user"] == "Claire"
    assert (z["tickets"], z["first_ticket"], z["last_ticket"]) == ("2", "1", "2")
    assert (z["total"], z["perpetual_total"], z["payment.cash"], z["payment.card"]) == ("4.80", "4.80", "3.60", "1.20")
    assert z["vat.5.5"] == "excl 4.55 vat 0.25 total 4.80"
    assert (z["cash.float"], z["cash.out"], z["cash.taken"], z["cash.change"]) == ("150.00", "5.50", "20.00", "16.40")
    assert (z["cash.expected"], z["cash.counted"], z["cash.difference"]) == ("148.10", "150.00", "1.90")
    assert z["cash.movements"] == "2" and len(z["last_hash"]) == 64
    assert pos(shop_db, "cash", "list").stdout == ""
    m = ok(shop_db, "close", "month")
    assert m["closure"] == "month 1" and m["closures"] == "1" and m["total"] == "4.80"
    assert "cash.counted" in m
    open_database(shop_db)
    try:
        assert journal.verify().ok
        assert int(z["journal_seq"]) < int(m["journal_seq"]) == journal.last_record()[0]
    finally:
        close_database()


@pytest.mark.parametrize(("args", "message"), [
    (("close", "day"), "nothing to close"),
    (("close", "day", "--counted", "abc"), "bad --counted: not an amount: abc"),
    (("close", "day", "--counted", "-5"), "negative"),
    (("close", "month"), "nothing to close"),
    (("cash", "in", "10"), "a reason is required"),
    (("cash", "out", "10", "--reason", " "), "a reason is required"),
    (("cash", "out", "0", "--reason", "x"), "positive"),
    (("cash", "in", "dix", "--reason", "x"), "not an amount: dix"),
    (("cash", "in"), "usage: pos cash"),
    (("cash", "in", "10", "--reason", "x", "--user", "Nobody"), "unknown user Nobody"),
    # who moved cash, and why: a manager's report
    (("cash", "list", "--user", "Marie"), "A manager must authorise this: view the sales reports"),
])
def test_refusals_are_one_line(shop_db, args, message):
    line = one_error_line(pos(shop_db, *args))
    assert message in line
    open_database(shop_db)
    try:
        from pos.fiscal import closures

        assert closures.closures() == [] and closures.pending_movements(MANAGER) == []
    finally:
        close_database()


def test_month_refused_while_tickets_are_not_in_a_z(shop_db):
    sell(shop_db, "D010001", "--pay", "card")
    line = one_error_line(pos(shop_db, "close", "month"))
    assert "1 ticket is not in a daily closure yet" in line
    ok(shop_db, "close", "day")
    line = one_error_line(pos(shop_db, "close", "year"))
    assert "1 daily closure is not in a monthly closure yet" in line
    assert "cash is counted on the daily closure" in one_error_line(pos(shop_db, "close", "month", "--counted", "1"))
    ok(shop_db, "close", "month")
    y = ok(shop_db, "close", "year")
    assert y["closure"] == "year 1" and y["closures"] == "1" and y["perpetual_total"] == "1.20"



def test_pdf_is_refused_without_the_reports_module(shop_db, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "pos.fiscal.reports", None)  # import pos.fiscal.reports raises ImportError
    sell(shop_db, "D010001", "--pay", "card")
    code, out, err = run(capsys, shop_db, "close", "day", "--pdf", str(shop_db.parent / "z.pdf"))
    assert (code, out) == (1, "") and len(err.splitlines()) == 1 and "--pdf" in err
    open_database(shop_db)
    try:
        from pos.fiscal import closures

        assert closures.closures() == []  # refused before anything was stored
    finally:
        close_database()


def test_pdf_goes_to_the_reports_module(shop_db, capsys, monkeypatch):
    written = []
    fake = types.ModuleType("pos.fiscal.reports")
    fake.closure_pdf = lambda closure, path: written.append((closure["kind"], closure["number"], str(path)))
    monkeypatch.setitem(sys.modules, "pos.fiscal.reports", fake)
    sell(shop_db, "D010001", "--pay", "card")
    target = str(shop_db.parent / "z.pdf")
    code, out, err = run(capsys, shop_db, "close", "day", "--pdf", target)
    assert (code, err) == (0, "")
    assert written == [("day", 1, target)]
    assert out.splitlines()[0] == "closure: day 1" and out.splitlines()[-1] == f"pdf: {target}"
