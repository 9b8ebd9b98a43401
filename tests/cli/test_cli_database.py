"""The ``pos`` command and its database: a database error is one line on stderr, and
no database is ever created by mistake."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from pos.data import common
from pos.data import tickets as tickets_db


def _pos(db, *args):
    return subprocess.run([sys.executable, "-m", "pos", *args], capture_output=True, text=True,
                          env={"LANG": "en_US.UTF-8", "PATH": "/usr/bin:/bin", "POS_PIN": "1234"}, timeout=60)


@pytest.mark.slow
def test_cli_database_errors_are_one_line(shop, tmp_path):
    path = common.database.database
    other = sqlite3.connect(path, timeout=0)
    other.execute("BEGIN IMMEDIATE")  # another till holds the write lock
    try:
        common.database.execute_sql("PRAGMA busy_timeout = 1")
        proc = _pos(path, "--db", path, "sell", "--user", "Marie", "D010003", "--pay", "cash")
    finally:
        other.rollback()
        other.close()
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "database error" in proc.stderr and "locked" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert tickets_db.last_ticket_number() == 0


def test_cli_never_creates_a_database_by_mistake(tmp_path):
    missing = tmp_path / "nope.sqlite3"
    proc = _pos(missing, "tickets", "--db", str(missing))  # --db after the command is accepted too
    assert proc.returncode == 1 and "no database at" in proc.stderr
    assert not missing.exists()
