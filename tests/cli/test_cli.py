"""The ``pos`` command, run for real: ``python -m pos`` in a subprocess, or
``pos.cli.commands`` in-process with capsys when only stdout matters."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from helpers.cli import cli_env, pos, run
from helpers.data import every_query
from helpers.demo_db import copy_database

from pos import cli
from pos.core import i18n
from pos.core.money import format_amount
from pos.data.db import close_database, open_database
from pos.data.migrations import LATEST
from pos.data.models import Article, Barcode
from pos.demo import demo_article_count, demo_ean
from pos.sale.barcode import is_valid_gtin

NNBSP = "\u202f"



def one_error_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 1, proc
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("pos: ")
    return lines[0]


class Db:
    """Read the database the CLI wrote (opened only for the duration of a ``with``)."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        open_database(self.path)
        return every_query()

    def __exit__(self, *exc):
        close_database()


@pytest.fixture(autouse=True)
def english_afterwards():
    yield
    i18n.set_language("en")


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory) -> Path:
    """``pos demo`` on a fresh file, then English pinned so that in-process runs (under the
    French LANG of conftest) print stable messages too."""
    path = tmp_path_factory.mktemp("cli") / "demo.sqlite3"
    proc = pos(path, "demo")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"{demo_article_count()} articles in the database\n"
    assert proc.stderr == ""
    assert pos(path, "config", "set", "ui.language", "en").returncode == 0
    return path


@pytest.fixture
def shop_db(demo_template, tmp_path) -> Path:
    return copy_database(demo_template, tmp_path / "pos.sqlite3")


def reference(db: Path, name: str) -> str:
    with Db(db):
        return Article.get(Article.name == name).reference


# ---------------------------------------------------------------- sell
def test_sell(shop_db):
    proc = pos(shop_db, "sell", "--user", "Marie", demo_ean(1), "D010001*2",
               "--pay", "card=2", "--pay", "cash=20")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    # 3 x 1.20 = 3.60; card 2.00 + cash 20.00: change 18.40
    assert proc.stdout == "ticket 1: total €3.60, change €18.40\n"
    with Db(shop_db) as s:
        t = s.get_ticket(1)
        assert (t.user_name, t.total, t.paid, t.change) == ("Marie", 360, 2200, 1840)
        assert [(ln["name"], ln["qty"], ln["total"]) for ln in t.lines] == [("Baguette tradition", 3000, 360)]
        assert [(p["method_code"], p["amount"]) for p in t.payments] == [("card", 200), ("cash", 2000)]
        assert s.last_ticket_number() == 1


def test_sell_in_french_with_a_weight(shop_db, capsys):
    tomatoes = reference(shop_db, "Tomates")
    assert run(capsys, shop_db, "config", "set", "ui.language", "fr")[0] == 0
    code, out, err = run(capsys, shop_db, "sell", "--user", "marie", f"{tomatoes}*0,452",
                         "D010001", "--pay", "cash=10", "--receipt")
    assert (code, err) == (0, "")
    # --receipt: no printer is configured yet, so the receipt is written on stdout
    assert "Épicerie du Marché" in out and "0,452 kg x 3,49" in out and "DUPLICATA" not in out
    # 0.452 kg x 3.49 = 1.58, + 1.20 = 2.78; change 7.22
    assert format_amount(278, "fr") == f"2,78{NNBSP}€"
    assert f"total {format_amount(278, 'fr')}" in out
    assert format_amount(722, "fr") in out
    with Db(shop_db) as s:
        assert [ln["qty"] for ln in s.get_ticket(1).lines] == [452, 1000]


def test_sell_with_pos_pin_and_default_payment(shop_db):
    env = dict(cli_env(), POS_PIN="9999")
    proc = pos(shop_db, "sell", "--user", "Claire", "D010001*3", "--pay", "cheque", env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "ticket 1: total €3.60, change €0.00\n"
    with Db(shop_db) as s:
        t = s.get_ticket(1)
        assert t.user_name == "Claire"
        assert [(p["method_code"], p["amount"]) for p in t.payments] == [("cheque", 360)]


@pytest.mark.parametrize(("args", "message"), [
    (["D010001", "0000000000000", "--pay", "cash"], "unknown code 0000000000000"),
    (["D010001*3", "--pay", "card=1"], "not fully paid"),
    (["D010001", "--pay", "bitcoin=5"], "Unknown payment method: bitcoin"),
    (["D010001", "--pay", "card=5"], "only cash gives change"),
    (["D010001*1,5", "--pay", "cash=5"], "whole quantities only"),
    (["D010001*x", "--pay", "cash=5"], "bad item"),
    (["D010001", "--pay", "cash=abc"], "bad payment"),
    (["D010001"], "no payment"),
])
def test_sell_refusals_write_nothing(shop_db, args, message):
    with Db(shop_db) as s:
        events_before = s.events()
    line = one_error_line(pos(shop_db, "sell", "--user", "Marie", *args))
    assert message in line
    with Db(shop_db) as s:
        assert s.last_ticket_number() == 0
        assert s.list_tickets() == []
        assert s.events() == events_before  # not even a login event


def test_sell_unknown_user(shop_db, capsys):
    code, out, err = run(capsys, shop_db, "sell", "--user", "Nobody", "D010001", "--pay", "cash")
    assert (code, out) == (1, "")
    assert err == "pos: unknown user Nobody\n"


def test_cli_sale_leaves_the_screen_basket_alone(shop_db, capsys):
    from pos.sale.till import Till

    with Db(shop_db) as s:
        till = Till()
        marie = s.find_user("Marie")
        till.login(marie.id, "1234")
        till.scan("D010003")  # a croissant, on the screen, not paid yet
        till.persist()
        till.close()
    code, out, _ = run(capsys, shop_db, "sell", "--user", "Marie", "D010001", "--pay", "card")
    assert code == 0 and out.startswith("ticket 1:")
    with Db(shop_db) as s:
        assert [ln["name"] for ln in s.get_ticket(1).lines] == ["Baguette tradition"]
        saved = s.load_current_basket(marie.id)
        assert saved is not None and [ln["name"] for ln in saved["lines"]] == ["Croissant"]


# ---------------------------------------------------------------- tickets
def test_tickets_and_ticket(shop_db, capsys):
    for args in (["D010001*2", "--pay", "cash=5"], ["D010003", "--pay", "card"]):
        assert run(capsys, shop_db, "sell", "--user", "Marie", *args)[0] == 0
    today = dt.date.today().isoformat()

    code, out, err = run(capsys, shop_db, "tickets")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[-1] == "2 tickets"
    assert [ln.split()[0] for ln in lines[:-1]] == ["1", "2"]  # oldest first
    assert "Marie" in lines[0] and lines[0].endswith("€2.40") and lines[1].endswith("€1.20")
    assert lines[0].split()[1] == today

    assert run(capsys, shop_db, "tickets", "--date", today)[1].splitlines()[-1] == "2 tickets"
    assert run(capsys, shop_db, "tickets", "--date", "2000-01-01")[1] == "0 tickets\n"
    code, out, err = run(capsys, shop_db, "tickets", "--date", "15/03/2024")
    assert (code, out) == (1, "") and len(err.splitlines()) == 1

    code, out, err = run(capsys, shop_db, "ticket", "1")
    assert (code, err) == (0, "")
    receipt = out.splitlines()
    assert receipt[0].strip() == "Épicerie du Marché"
    assert all(len(line) <= 48 for line in receipt)
    assert any(line.startswith("Ticket 1 ") for line in receipt)
    assert any(line.startswith("Baguette tradition") and line.endswith("2.40") for line in receipt)
    assert any(line.startswith("TOTAL") and line.endswith("€2.40") for line in receipt)
    assert any(line.startswith("Change") and line.endswith("2.60") for line in receipt)
    code, out, err = run(capsys, shop_db, "ticket", "9")
    assert (code, out, err) == (1, "", "pos: ticket 9 does not exist\n")


# ---------------------------------------------------------------- config
def test_config_get_set_list(shop_db, capsys):
    assert run(capsys, shop_db, "config", "get", "shop.name") == (0, "Épicerie du Marché\n", "")
    assert run(capsys, shop_db, "config", "set", "shop.name", "Chez Paul") == (0, "", "")
    assert run(capsys, shop_db, "config", "get", "shop.name") == (0, "Chez Paul\n", "")
    assert run(capsys, shop_db, "config", "set", "shop.address", r"1 rue Neuve\n75001 Paris")[0] == 0
    code, out, _ = run(capsys, shop_db, "config", "list")
    assert code == 0
    assert "shop.name=Chez Paul" in out.splitlines()
    assert "shop.address='1 rue Neuve\\n75001 Paris'" in out.splitlines()
    assert "shop.siret=81234567600017" in out.splitlines()
    with Db(shop_db) as s:
        assert [e["data"]["key"] for e in s.events("setting_changed")][-2:] == ["shop.name", "shop.address"]


def test_config_set_bad_siret(shop_db):
    line = one_error_line(pos(shop_db, "config", "set", "shop.siret", "81234567600018"))
    assert line.startswith("pos: shop.siret: ")
    assert pos(shop_db, "config", "get", "shop.siret").stdout == "81234567600017\n"


def test_config_refusals(shop_db, capsys):
    code, out, err = run(capsys, shop_db, "config", "get", "shop.colour")
    assert (code, out) == (1, "") and err.startswith("pos: shop.colour: ") and len(err.splitlines()) == 1
    code, out, err = run(capsys, shop_db, "config", "set", "shop.name")
    assert (code, out) == (1, "") and len(err.splitlines()) == 1
    assert run(capsys, shop_db, "config", "get", "shop.name")[1] == "Épicerie du Marché\n"


# ---------------------------------------------------------------- users and VAT
def test_users_and_vat(shop_db, capsys):
    new_pin = dict(cli_env(), POS_NEW_PIN="4321")
    assert run(capsys, shop_db, "users", "add", "Paul", "--role", "manager", env=new_pin) == (
        0, "user Paul created\n", "")
    code, out, _ = run(capsys, shop_db, "users", "list")
    assert [line.split()[:2] for line in out.splitlines()] == [
        ["Claire", "manager"], ["Marie", "cashier"], ["Paul", "manager"]]
    assert run(capsys, shop_db, "users", "add", "paul", env=new_pin) == (1, "", "pos: This user already exists\n")
    code, _, err = run(capsys, shop_db, "users", "add", "Léa", env=dict(cli_env(), POS_NEW_PIN="12"))
    assert code == 1 and "4 to 8 digits" in err
    paul = dict(cli_env(None), POS_USER="Paul", POS_PIN="4321")
    code, out, _ = run(capsys, shop_db, "sell", "D010001", "--pay", "cash", env=paul)
    assert code == 0 and out.startswith("ticket 1:")
    code, out, _ = run(capsys, shop_db, "vat")
    assert [line.split()[0] for line in out.splitlines()] == ["20%", "10%", "5.5%", "2.1%", "0%"]


# ---------------------------------------------------------------- demo and database
def ean13(body: str) -> str:
    """Check digit computed here, independently of pos.sale.barcode."""
    odd = sum(int(c) for c in body[::2])
    even = sum(int(c) for c in body[1::2])
    return body + str((10 - (odd + 3 * even) % 10) % 10)


def test_synthetic_articles(tmp_path):
    path = tmp_path / "big.sqlite3"
    proc = pos(path, "demo", "--articles", "500", "--no-shop")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "500 synthetic articles added\n500 articles in the database\n"
    with Db(path) as s:
        assert s.users() == []  # --no-shop: no demo users
        rows = list(Article.select(Article.reference, Barcode.code)
                    .join(Barcode, on=(Barcode.article == Article.id)).order_by(Article.reference).tuples())
        assert len(rows) == 500
        for i, (ref, code) in enumerate(rows, start=1):
            assert ref == f"A{i:07d}"
            assert code == ean13(f"376{i:09d}")
            assert len(code) == 13 and is_valid_gtin(code)
        for i in (1, 2, 57, 499, 500):
            by_code = s.find_article_by_code(ean13(f"376{i:09d}"))
            assert by_code.reference == f"A{i:07d}"
            assert s.find_article_by_code(f"A{i:07d}").id == by_code.id
        assert s.find_article_by_code(ean13("376000000501")) is None
        assert len(s.departments()) == 10
    proc = pos(path, "demo", "--articles", "600", "--no-shop")  # tops up
    assert proc.stdout == "100 synthetic articles added\n600 articles in the database\n"
    with Db(path) as s:
        assert s.find_article_by_code(ean13("376000000600")).reference == "A0000600"


def test_a_newer_database_is_refused(shop_db):
    with Db(shop_db) as s:
        s.database.execute_sql("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'x', '')",
                               (LATEST + 1,))
    line = one_error_line(pos(shop_db, "tickets"))
    assert "cannot open the database" in line and "newer" in line


def test_no_command_means_run():
    args = cli.parse_args(["--db", "shop.sqlite3"])
    assert (args.command, args.db, args.demo) == ("run", "shop.sqlite3", False)
    assert cli.parse_args([]).command == "run"
    args = cli.parse_args(["--db", "shop.sqlite3", "tickets", "--date", "2024-03-15"])
    assert (args.command, args.date) == ("tickets", "2024-03-15")


def test_a_reader_that_leaves_early_gets_no_traceback(shop_db):
    """``pos config list | head -1``: the pipe closes under the CLI; it stops quietly."""
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "pos", "--db", str(shop_db), "config", "list"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env(), stdin=subprocess.DEVNULL)
    proc.stdout.close()  # the reader is gone before the first line
    _out, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err
    assert proc.returncode == 141
