"""PrestaShop settings: the shop's address is normalised, the webservice key lives in a 0600 file
and never appears in the database, the logs, the journal or the command's output."""

from __future__ import annotations

import stat
import subprocess
import sys

import pytest
from helpers.cli import cli_env, set_secret

from pos.core import settings
from pos.data import config as config_db
from pos.data import journal

KEY = "ABCDEFGHIJKLMNOPQRSTUVWXYZ123456"


@pytest.mark.parametrize("typed,stored", [("shop.fr", "https://shop.fr/api/"),
                                          ("https://shop.fr/", "https://shop.fr/api/"),
                                          ("http://127.0.0.1:8080/boutique", "http://127.0.0.1:8080/boutique/api/"),
                                          ("https://shop.fr/api", "https://shop.fr/api/"), ("", "")])
def test_the_shop_address_is_normalised(shop, typed, stored):
    assert settings.set_value("prestashop.url", typed) == stored
    assert settings.get("prestashop.url") == stored


def test_the_key_is_a_private_file_and_never_shown(shop):
    settings.set_value("prestashop.key", KEY, "Claire")
    path = shop.database + ".prestashop-key"
    assert stat.S_IMODE(__import__("os").stat(path).st_mode) == 0o600
    assert settings.secret("prestashop.key") == KEY
    assert settings.get("prestashop.key") == settings.all_values()["prestashop.key"] == "********"
    assert config_db.get_setting("prestashop.key") is None
    dump = "\n".join(str(r) for r in shop.execute_sql("SELECT * FROM event").fetchall())
    dump += "\n".join(r[4] for r in journal.journal_rows())
    assert KEY not in dump and "prestashop.key" in dump
    with pytest.raises(settings.SettingError, match="32 letters"):
        settings.set_value("prestashop.key", "short")
    settings.set_many({"prestashop.key": "********", "shop.name": "Chez Claire"}, "Claire")
    assert settings.secret("prestashop.key") == KEY  # shown value left as is: unchanged


def test_cli_config_and_sync_test_without_a_shop(shop, tmp_path):
    cmd = [sys.executable, "-m", "pos", "--db", shop.database]
    proc = subprocess.run([*cmd, "config", "set", "prestashop.key", KEY], capture_output=True, text=True,
                          env=cli_env())
    assert proc.returncode == 1 and "never taken from the command line" in proc.stderr  # not from argv
    assert KEY not in proc.stdout + proc.stderr
    proc = set_secret(shop.database, "prestashop.key", KEY)
    assert proc.returncode == 0 and KEY not in proc.stdout + proc.stderr
    proc = subprocess.run([*cmd, "config", "list"], capture_output=True, text=True, env=cli_env())
    assert "prestashop.key=********" in proc.stdout and KEY not in proc.stdout
    proc = subprocess.run([*cmd, "sync", "test"], capture_output=True, text=True, env=cli_env())
    assert proc.returncode == 1 and proc.stderr.startswith("pos: PrestaShop is not configured")


def test_cli_sync_test_against_the_emulator(shop):
    from helpers.prestashop.emulator import DEFAULT_KEY, PrestaShopEmulator

    cmd = [sys.executable, "-m", "pos", "--db", shop.database]
    with PrestaShopEmulator() as ps:
        settings.set_value("prestashop.url", ps.url)
        settings.set_value("prestashop.key", DEFAULT_KEY)
        proc = subprocess.run([*cmd, "sync", "test"], capture_output=True, text=True, env=cli_env())
        assert proc.returncode == 0, proc.stderr
        out = dict(line.split(": ", 1) for line in proc.stdout.splitlines())
        assert out["version"] == "8.2.1" and out["url"] == ps.url and out["patch"] == "yes"
        assert "GET" in out["permission.products"].split() and out["currency"] == "EUR"
        assert out["default_country"] == "8" and out["language.1"].startswith("en")
        assert DEFAULT_KEY not in proc.stdout + proc.stderr
        from pos.data import events

        assert [(e["user_name"], e["data"]["ok"]) for e in events.events("sync_test")] == [("Claire", True)]
        # a key without the rights the sync needs
        limited = "LIMITEDKEY0123456789ABCDEFGHIJKL"
        ps.add_key(limited, {"products": {"GET"}, "languages": {"GET"}, "configurations": {"GET"}})
        settings.set_value("prestashop.key", limited)
        proc = subprocess.run([*cmd, "sync", "test"], capture_output=True, text=True, env=cli_env())
        assert proc.returncode == 1 and "missing.orders" in proc.stdout
        assert proc.stderr.startswith("pos: the webservice key lacks permissions the sync needs")
        # a wrong key: one line, the key never printed
        wrong = "WRONGKEY00123456789ABCDEFGHIJKLM"
        settings.set_value("prestashop.key", wrong)
        proc = subprocess.run([*cmd, "sync", "test"], capture_output=True, text=True, env=cli_env())
        assert proc.returncode == 1 and proc.stdout == "" and len(proc.stderr.splitlines()) == 1
        assert wrong not in proc.stderr


def test_sync_test_checks_the_rights_of_the_orders_mode(shop):
    from helpers.prestashop.emulator import DEFAULT_KEY, PrestaShopEmulator

    cmd = [sys.executable, "-m", "pos", "--db", shop.database]
    with PrestaShopEmulator() as ps:
        limited = "STOCKONLYKEY3456789ABCDEFGHIJKLM"
        rights = {r: {"GET"} for r in ("products", "combinations", "product_options", "product_option_values",
                                       "categories", "taxes", "tax_rule_groups", "tax_rules", "languages",
                                       "currencies", "configurations", "orders", "order_details", "order_states",
                                       "customers", "addresses")}
        rights["stock_availables"] = {"GET", "PATCH"}
        ps.add_key(limited, rights)
        settings.set_value("prestashop.url", ps.url)
        settings.set_value("prestashop.key", limited)
        proc = subprocess.run([*cmd, "sync", "test"], capture_output=True, text=True, env=cli_env())
        assert proc.returncode == 0, proc.stdout + proc.stderr
        settings.set_value("prestashop.mode", "orders")
        proc = subprocess.run([*cmd, "sync", "test"], capture_output=True, text=True, env=cli_env())
        assert proc.returncode == 1 and "missing.carts: POST" in proc.stdout
        assert "job.push_orders: missing addresses (POST), carts (POST), customers (POST), orders (POST)" \
            in proc.stdout.splitlines()
        assert DEFAULT_KEY not in proc.stdout
