"""The real till on a real X display: Xvfb, ``pos run`` on a copy of the demo shop, xdotool.

Skipped, with the reason, on a developer machine without Xvfb or xdotool; on CI (``CI`` set)
a missing tool is an error: .ci/run installs them.
"""

from __future__ import annotations

import os

import pytest
from helpers.xtill import XServer, XTill, missing_tools


@pytest.fixture(scope="session")
def xserver():
    missing = missing_tools()
    if missing:
        reason = f"the real-display tests need {' and '.join(missing)} (apt-get install xvfb xdotool)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    server = XServer()
    yield server
    server.stop()


def configure(db, values: dict[str, str]) -> None:
    """Settings written into the till's database before it starts."""
    from pos.core import settings
    from pos.data.db import close_database, open_database

    open_database(db)
    try:
        settings.set_many(values)
    finally:
        close_database()


@pytest.fixture
def xtill(xserver, demo_template, tmp_path):
    """``pos run --demo`` on a fresh copy of the demo shop, on the login screen; its receipt
    printer is a file (tmp_path/receipts.bin), so that the receipt question is asked."""
    from helpers.demo_db import copy_database

    db = copy_database(demo_template, tmp_path / "pos.sqlite3")
    configure(db, {"printer.url": f"file://{tmp_path / 'receipts.bin'}"})
    till = XTill(xserver, db, tmp_path)
    try:
        till.wait_screen("login", timeout=60)
        yield till
    finally:
        till.stop()
        if os.environ.get("POS_X11_KEEP"):
            print(f"\n{till.log_path}:\n{till.log_tail()}")
