"""Storage failures are said clearly (issue 13, item 6): a full disk, a read-only database and a
damaged file each give a message naming the file, never "cannot rollback - no transaction is
active"; nothing is recorded, the basket is kept and the till can still read."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers.cli import cli_env, pos

from pos.data import catalog, journal
from pos.data import tickets as tickets_db
from pos.data.db import close_database, open_database
from pos.data.models import database
from pos.data.storage import StorageError


def fill_the_disk() -> None:
    """From now on the database file cannot grow (SQLITE_FULL), as on a full disk."""
    pages = database.execute_sql("PRAGMA page_count").fetchone()[0]
    database.execute_sql(f"PRAGMA max_page_count = {pages}")


def test_a_sale_on_a_full_disk_says_so_and_keeps_the_basket(shop, till):
    fill_the_disk()
    numbers = []
    with pytest.raises(StorageError) as err:
        for _ in range(500):  # the free room inside the file's pages runs out after a few sales
            till.scan("D010001")
            till.add_payment("card")
            numbers.append(till.validate().number)
    message = str(err.value)
    assert "disk is full" in message and shop.database in message
    assert "rollback" not in message and err.value.kind == "full"
    assert len(till.basket.lines) == 1 and till.basket.payments  # the basket is kept
    assert catalog.find_article_by_code("D010001") is not None  # the till can still read
    last = tickets_db.list_tickets(limit=1)
    assert (last[0].number if last else None) == (numbers[-1] if numbers else None)  # nothing recorded
    database.execute_sql("PRAGMA max_page_count = 1073741823")  # space freed: the same basket goes through
    number = till.validate().number
    assert number == (numbers[-1] + 1 if numbers else 1)
    assert journal.verify().ok


def test_a_failed_rollback_no_longer_hides_the_error(shop):
    fill_the_disk()
    with pytest.raises(StorageError, match="disk is full"), database.atomic("IMMEDIATE"):
        for _ in range(5000):
            database.execute_sql("INSERT INTO event (at, kind, user_name, data) VALUES ('x', 'y', 'z', ?)",
                                 ("x" * 2000,))
    assert database.execute_sql("SELECT count(*) FROM event WHERE kind = 'y'").fetchone()[0] == 0
    # a savepoint inside, too
    with pytest.raises(StorageError, match="disk is full"), database.atomic("IMMEDIATE"), database.atomic():
        for _ in range(5000):
            database.execute_sql("INSERT INTO event (at, kind, user_name, data) VALUES ('x', 'y', 'z', ?)",
                                 ("x" * 2000,))


def test_a_read_only_database_says_so(shop, till):
    database.execute_sql("PRAGMA query_only = 1")
    till.scan("D010001")
    till.add_payment("card")
    with pytest.raises(StorageError) as err:
        till.validate()
    assert err.value.kind == "readonly" and shop.database in str(err.value) and "read-only" in str(err.value)
    assert len(till.basket.lines) == 1
    database.execute_sql("PRAGMA query_only = 0")
    assert till.validate().number


def test_a_damaged_database_names_the_file(demo_template, tmp_path):
    path = tmp_path / "pos.sqlite3"
    shutil.copyfile(demo_template, path)
    with open(path, "r+b") as f:
        f.write(b"this is no database at all" * 4)
    with pytest.raises(StorageError) as err:
        open_database(path)
    close_database()
    assert err.value.kind == "corrupt" and str(path) in str(err.value)
    result = pos(path, "tickets")
    assert result.returncode == 1 and str(path) in result.stderr and "damaged" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def _mount_small_disk(where: Path, size_kb: int) -> bool:
    where.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(where)],
                          capture_output=True)
    return done.returncode == 0


def test_pos_sell_on_a_really_full_disk(demo_template, tmp_path):
    disk = tmp_path / "disk"
    size = os.path.getsize(demo_template) // 1024 + 512
    if not _mount_small_disk(disk, size):
        pytest.skip("cannot mount a small file system here (needs root): the injected full disk is tested above")
    try:
        db = disk / "pos.sqlite3"
        for suffix in ("", ".head", ".journal-key"):
            if Path(f"{demo_template}{suffix}").exists():
                shutil.copyfile(f"{demo_template}{suffix}", f"{db}{suffix}")
        filler = disk / "filler"
        with open(filler, "wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 4096)
            except OSError:
                pass
        results = [pos(db, "sell", "D010001", "--pay", "card", env=cli_env()) for _ in range(3)]
        failed = [r for r in results if r.returncode != 0]
        assert failed, [r.stdout for r in results]
        for r in failed:
            assert "cannot rollback" not in r.stderr and "Traceback" not in r.stderr, r.stderr
            assert "disk is full" in r.stderr and str(db) in r.stderr, r.stderr
        filler.unlink()
        ok = pos(db, "sell", "D010001", "--pay", "card", env=cli_env())
        assert ok.returncode == 0, ok.stderr
        assert pos(db, "journal", "verify").returncode == 0
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)
