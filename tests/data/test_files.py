"""The till's files are private and a killed process's temporary files are cleaned (issue 13, items 5 and 9)."""

from __future__ import annotations

import os
import stat
import time

import pytest
from helpers.actors import MANAGER
from helpers.demo_db import sell_one

from pos.data import events, files, journal, secrets
from pos.data.db import close_database, open_database


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_database_its_wal_and_its_head_are_private(tmp_path, umask022):
    path = tmp_path / "pos.sqlite3"
    open_database(path)
    try:
        from pos.demo import load_demo_shop

        load_demo_shop()
        sell_one()
        secrets.write_secret("prestashop-key", "K" * 32)
        for suffix in ("", "-wal", "-shm", ".head", ".prestashop-key", ".journal-key"):
            side = f"{path}{suffix}"
            assert os.path.exists(side), suffix
            assert mode(side) == 0o600, (suffix, oct(mode(side)))
    finally:
        close_database()


def test_an_existing_database_readable_by_others_is_made_private(tmp_path, umask022):
    path = tmp_path / "pos.sqlite3"
    open_database(path)
    events.log_event("test")  # a journal record: a head file
    close_database()
    for suffix in ("", ".head"):
        os.chmod(f"{path}{suffix}", 0o644)  # as an older version left them
    open_database(path)
    try:
        assert mode(path) == mode(f"{path}.head") == 0o600
        events.log_event("test")
        journal.write_head()
        assert mode(f"{path}.head") == 0o600
    finally:
        close_database()


def test_a_backup_is_private(shop, tmp_path, umask022):
    from pos.fiscal import archive

    sell_one()
    archive.backup(MANAGER, tmp_path / "copy.sqlite3")
    assert mode(tmp_path / "copy.sqlite3") == 0o600


def test_stale_temporary_files_are_removed_at_start(tmp_path):
    path = tmp_path / "pos.sqlite3"
    old = time.time() - 3600
    stale = [tmp_path / "pos.sqlite3.head.k3j2h1", tmp_path / "pos.sqlite3.prestashop-key.tmp",
             tmp_path / "pos.sqlite3.journal-key.abcd"]
    fresh = tmp_path / "pos.sqlite3.head.zzzzzz"  # a head being written by a running till right now
    other = tmp_path / "pos.sqlite3.head.bak.csv"
    for p in [*stale, fresh, other]:
        p.write_text("")
    for p in [*stale, other]:
        os.utime(p, (old, old))
    other.rename(tmp_path / "notes.head.txt")  # not ours: kept
    open_database(path)
    close_database()
    assert [p.exists() for p in stale] == [False, False, False]
    assert fresh.exists() and (tmp_path / "notes.head.txt").exists()


def test_old_import_folders_of_a_killed_process_are_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(files.tempfile, "gettempdir", lambda: str(tmp_path))
    old_stage = tmp_path / "pos-import-abc"
    old_stage.mkdir()
    (old_stage / "stage.sqlite3").write_text("x")
    new_stage = tmp_path / "pos-import-new"
    new_stage.mkdir()
    two_days = time.time() - 2 * 24 * 3600
    os.utime(old_stage, (two_days, two_days))
    removed = files.clean_stale(tmp_path / "pos.sqlite3")
    assert removed == [old_stage] and new_stage.exists()
