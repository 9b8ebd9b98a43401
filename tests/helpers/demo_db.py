"""A demo-shop database built once, then copied for each test (loading the demo
shop through the store takes about half a second; copying the file, a millisecond)."""

from __future__ import annotations

import shutil
from pathlib import Path

SUFFIXES = ("", "-wal", "-shm", ".head", ".journal-key")  # the journal's head and signing key go with it


def build_demo_template(path: Path) -> Path:
    """Create ``path`` with all migrations and the demo shop, and close it."""
    from pos.data.db import close_database, open_database
    from pos.demo import load_demo_shop

    open_database(path)
    try:
        load_demo_shop()
    finally:
        close_database()
    return path


def copy_database(src: Path, dst: Path) -> Path:
    """Copy a closed SQLite database, with its WAL if one was left behind."""
    for suffix in SUFFIXES:
        side = Path(f"{src}{suffix}")
        if side.exists():
            shutil.copy(side, f"{dst}{suffix}")  # with its mode (the key file is 0600)
    return dst


def sell_one(code: str = "D010001", user: str = "Marie", pin: str = "1234") -> int:
    """One sale paid by card through the till, as a cashier would ring it up; returns its number."""
    from pos.data import users
    from pos.sale.till import Till

    till = Till()
    try:
        till.login(users.find_user(user).id, pin, log=False)
        till.scan(code)
        till.add_payment("card")
        return till.validate().number
    finally:
        till.close()
