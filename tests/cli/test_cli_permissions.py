"""The command line enforces the role table: every command that changes data needs who acts and
their PIN (``--user``/``$POS_USER``, the PIN in ``$POS_PIN`` or typed at a prompt), through the
till's throttled check.  A cashier, a wrong PIN or no PIN: one line, exit 1, nothing changed."""

from __future__ import annotations

import pytest
from helpers.cli import cli_env, pos, run
from helpers.demo_db import copy_database

from pos.data import journal, users
from pos.data.db import close_database, open_database


@pytest.fixture
def shop_db(demo_template, tmp_path):
    path = copy_database(demo_template, tmp_path / "pos.sqlite3")
    open_database(path)
    from pos.core import admin
    from pos.core.permissions import Actor

    admin.set_setting(Actor(None, "setup", "manager"), "ui.language", "en")
    close_database()
    return path


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory):
    from helpers.demo_db import build_demo_template

    return build_demo_template(tmp_path_factory.mktemp("perm") / "demo.sqlite3")


def articles_csv(tmp_path) -> str:
    path = tmp_path / "new.csv"
    path.write_text("reference;name;price;vat\nIMP001;Miel de lavande;8,90;5,5\n", encoding="utf-8")
    return str(path)


# command -> (arguments, the refusal a manager may still get after the permission check, or None)
COMMANDS = {
    "users add": (lambda tmp: ["users", "add", "Paul", "--role", "manager"], None),
    "config set": (lambda tmp: ["config", "set", "till.cashier_max_discount", "100"], None),
    "close day": (lambda tmp: ["close", "day"], "nothing to close"),
    "close x": (lambda tmp: ["close", "x"], None),
    "cash out": (lambda tmp: ["cash", "out", "5", "--reason", "bank"], None),
    "articles import": (lambda tmp: ["articles", "import", articles_csv(tmp), "--add"], None),
    "sync test": (lambda tmp: ["sync", "test"], "PrestaShop is not configured"),
    "sync stock": (lambda tmp: ["sync", "stock"], "PrestaShop is not configured"),
    "archive export": (lambda tmp: ["archive", "export", "--period", "2030-01", str(tmp / "arch")],
                       "nothing was recorded"),
    "drawer open": (lambda tmp: ["drawer", "open"], None),
}


def state(db) -> tuple[int, list[str]]:
    open_database(db)
    try:
        return journal.count(), [u.name for u in users.users(True)]
    finally:
        close_database()


def env_of(user: str | None, pin: str | None) -> dict[str, str]:
    env = cli_env(None)  # (in-process runs keep the process's language: only the identity variables apply)
    env["POS_NEW_PIN"] = "4321"
    if user:
        env["POS_USER"] = user
    if pin:
        env["POS_PIN"] = pin
    return env


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize(("who", "pin", "message"), [
    ("Marie", "1234", "A manager must authorise this"),
    ("Claire", "0000", "Wrong PIN"),
    ("Claire", None, "a PIN is required"),
    (None, None, "who acts?"),
    ("Nobody", "9999", "unknown user Nobody"),
])
def test_refused_without_a_valid_managers_pin(shop_db, capsys, tmp_path, command, who, pin, message):
    args = COMMANDS[command][0](tmp_path)
    before = state(shop_db)
    code, out, err = run(capsys, shop_db, *args, env=env_of(who, pin))
    assert code == 1 and out == "" and len(err.splitlines()) == 1 and message in err, err
    assert state(shop_db)[1] == before[1]
    if pin != "0000":  # (a wrong PIN is journaled once the user is locked out, not before)
        assert state(shop_db) == before


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_manager_is_accepted(shop_db, capsys, tmp_path, command):
    args, refusal = COMMANDS[command][0](tmp_path), COMMANDS[command][1]
    code, out, err = run(capsys, shop_db, *args, env=env_of("Claire", "9999"))
    if refusal is None:
        assert code == 0, err
    else:  # past the permission check: refused for what the shop lacks
        assert code == 1 and refusal in err and "manager" not in err


def test_a_cashier_sells_and_puts_cash_in(shop_db, capsys):
    marie = env_of("Marie", "1234")
    assert run(capsys, shop_db, "sell", "D010001", "--pay", "card", env=marie)[0] == 0
    assert run(capsys, shop_db, "cash", "in", "10", "--reason", "coins", env=marie)[0] == 0
    assert run(capsys, shop_db, "sell", "D010001", "--pay", "card", env=env_of("Marie", "0000"))[0] == 1


def test_the_first_manager_needs_no_pin_and_only_the_first(tmp_path, capsys):
    db = tmp_path / "new.sqlite3"
    nobody = env_of(None, None)
    code, out, err = run(capsys, db, "users", "add", "Alice", "--role", "cashier", env=nobody)
    assert code == 1 and "--role manager" in err  # (a new database speaks the system's language)
    code, out, _err = run(capsys, db, "users", "add", "Alice", "--role", "manager", env=nobody)
    assert code == 0 and "Alice" in out
    code, _out, err = run(capsys, db, "users", "add", "Bob", "--role", "manager", env=nobody)
    assert code == 1 and "--user" in err
    assert run(capsys, db, "users", "add", "Bob", env=env_of("Alice", "4321"))[0] == 0  # POS_NEW_PIN 4321


def test_a_pin_or_key_is_never_taken_from_the_command_line(shop_db):
    proc = pos(shop_db, "sell", "--user", "Marie", "--pin", "1234", "D010001", "--pay", "card")
    assert proc.returncode == 2 and "unrecognized arguments: --pin" in proc.stderr
    proc = pos(shop_db, "config", "set", "prestashop.key", "A" * 32)
    assert proc.returncode == 1 and "A" * 32 not in proc.stderr and "standard input" in proc.stderr


def test_a_subprocess_cashier_gets_exit_1_and_one_line(shop_db):
    proc = pos(shop_db, "close", "x", env=env_of("Marie", "1234"))
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr == "pos: A manager must authorise this: view the sales reports\n"
