"""Test set-up.  Kivy runs for real, offscreen (SDL offscreen + EGL/llvmpipe):
the environment below must be set before anything imports kivy."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_FILELOG", "1")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivyhome-"))
os.environ.setdefault("KIVY_CLIPBOARD", "dummy")
os.environ.setdefault("KCFG_GRAPHICS_MAXFPS", "0")
os.environ.setdefault("KCFG_INPUT_MOUSE", "")
os.environ.setdefault("KCFG_GRAPHICS_WIDTH", "1024")
os.environ.setdefault("KCFG_GRAPHICS_HEIGHT", "768")
os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.pop("DISPLAY", None)
os.environ["LANG"] = "fr_FR.UTF-8"

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT, ROOT / "tests"):  # the project, and the tests' ``helpers`` package
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))


@pytest.fixture
def db(tmp_path):
    """A fresh, migrated database file with the French defaults."""
    from pos.core import i18n
    from pos.data.db import close_database, open_database

    database = open_database(tmp_path / "pos.sqlite3")
    i18n.set_language("en")
    yield database
    assert_stock_clean()
    close_database()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """The demo shop, built once per session (loading it costs half a second; copying it, a millisecond)."""
    from helpers.demo_db import build_demo_template

    return build_demo_template(tmp_path_factory.mktemp("demo") / "demo.sqlite3")


@pytest.fixture
def shop(demo_template, tmp_path):
    """A fresh copy of the demo shop (Claire manager 9999, Marie cashier 1234)."""
    from helpers.demo_db import copy_database

    from pos.core import i18n
    from pos.data.db import close_database, open_database

    database = open_database(copy_database(demo_template, tmp_path / "pos.sqlite3"))
    i18n.set_language("en")
    yield database
    assert_stock_clean()
    close_database()


def assert_stock_clean() -> None:
    """After every scenario on a test database, ``pos stock check`` is clean: each article's stock is
    the sum of its movements (a test that closed, damaged or replaced the database is not checked)."""
    from pos.data.models import database
    from pos.data.stock import check

    try:
        if database.obj is None or database.is_closed() or database.execute_sql(
                "SELECT 1 FROM sqlite_master WHERE name = 'stock_move'").fetchone() is None:
            return
        wrong = check()
    except Exception:  # noqa: BLE001 - a database the test broke on purpose
        return
    assert wrong == [], f"stock differs from the sum of its movements: {wrong}"


@pytest.fixture
def till(shop):
    from pos.data import users
    from pos.hardware import VirtualDrawer, VirtualPrinter
    from pos.sale.till import Till

    t = Till(printer=VirtualPrinter(), drawer=VirtualDrawer())
    marie = users.find_user("Marie")
    t.login(marie.id, "1234")
    yield t
    t.close()
