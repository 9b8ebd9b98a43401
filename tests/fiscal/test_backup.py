"""Backups while the till sells, their checks, rotation and warnings; restores (verified first, the
current database kept aside, another till's backup refused unless forced, numbers never reused)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.actors import CASHIER, MANAGER
from helpers.cli import pos
from helpers.demo_db import copy_database, sell_one

from pos.core import settings
from pos.core.permissions import NeedsManager
from pos.data import backups as backups_db
from pos.data import journal
from pos.data import vouchers as vouchers_db
from pos.data.db import close_database, open_database
from pos.data.tickets import last_ticket_number
from pos.fiscal import backup
from pos.fiscal.backup import BackupError

ROOT = Path(__file__).resolve().parents[2]


def refund_by_note(number: int) -> None:
    from pos.data import users
    from pos.sale.till import Till

    till = Till()
    till.login(users.find_user("Claire").id, "9999", log=False)
    till.start_refund(number)
    till.add_payment("voucher")
    till.validate()


@pytest.mark.slow
def test_a_backup_taken_while_selling_holds_every_sale_committed_before_it_and_restores(shop, tmp_path):
    sell_one()
    folder = tmp_path / "stick"
    folder.mkdir()
    settings.set_value("backup.folder", str(folder))
    path = Path(shop.database)
    seller = subprocess.Popen([sys.executable, str(ROOT / "tests/helpers/sell_loop.py"), str(path), "400"],
                              stdout=subprocess.PIPE, text=True)
    try:
        for _ in range(5):  # the seller is well under way
            seller.stdout.readline()
        before = last_ticket_number()  # committed before the backup starts
        info = backup.make_backup(MANAGER)
        after_seen = seller.stdout.readline()  # the seller went on selling meanwhile
    finally:
        seller.kill()
        seller.wait()
    assert after_seen.startswith("committed")
    assert info.ok, info.message
    assert "chain intact" in info.message
    facts = backups_db.facts(info.path)
    assert facts.integrity == "ok" and facts.last_ticket >= before
    # the head beside it is an anchor of the journal of the till
    head = journal.parse_head(Path(f"{info.path}.head").read_text("ascii"))
    assert (head.seq, head.hash) == (facts.seq, facts.hash)
    assert journal.hash_at(head.seq) == head.hash
    # restore it: it verifies, holds those sales, and the numbers sold since are never given again
    sold = last_ticket_number()
    done = backup.restore(MANAGER, info.path)
    assert Path(done["aside"], path.name).exists()  # the database replaced is kept
    assert last_ticket_number() == facts.last_ticket
    verdict = journal.verify()
    assert verdict.ok, verdict.message
    number = sell_one()
    assert number == max(sold, facts.last_ticket) + 1
    from pos.fiscal import verify

    verdict = verify.verify()
    assert verdict.ok, verdict.message


def test_restore_never_reuses_ticket_or_note_numbers_and_verifies(shop, tmp_path):
    first = sell_one()
    refund_by_note(first)
    info = backup.write_backup(MANAGER, tmp_path / "b.sqlite3")
    assert info.ok and info.last_voucher == 1
    second = sell_one()
    refund_by_note(second)  # ticket 4, note AV00000002: printed, then lost by the restore
    assert vouchers_db.get(2) is not None
    done = backup.restore(MANAGER, info.path)
    assert done["skipped_tickets"] == [3, 4] and done["next_voucher"] == 3
    assert vouchers_db.get(2) is None and last_ticket_number() == 2
    assert sell_one() == 5
    refund_by_note(5)
    assert [v.number for v in vouchers_db.list_vouchers()] == [3, 1]
    verdict = journal.verify()
    assert verdict.ok, verdict.message
    [restored] = journal.restores()
    assert restored["next_ticket"] == 5 and restored["backup_head"] == info.head


def test_restore_refusals_change_nothing(shop, tmp_path):
    sell_one()
    with pytest.raises(NeedsManager):
        backup.restore(CASHIER, tmp_path / "nothing.sqlite3")
    with pytest.raises(BackupError, match="no backup at"):
        backup.restore(MANAGER, tmp_path / "nothing.sqlite3")
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"not a database" * 100)
    with pytest.raises(BackupError, match="does not verify"):
        backup.restore(MANAGER, garbage)
    # a backup whose journal was tampered with
    info = backup.write_backup(MANAGER, tmp_path / "b.sqlite3")
    bad = tmp_path / "bad.sqlite3"
    shutil.copy(info.path, bad)
    shutil.copy(f"{info.path}.head", f"{bad}.head")
    import sqlite3

    con = sqlite3.connect(bad)
    con.execute("DROP TRIGGER ticket_no_update")
    con.execute("UPDATE ticket SET total = total + 1")
    con.commit()
    con.close()
    with pytest.raises(BackupError, match="does not verify"):
        backup.restore(MANAGER, bad)
    # a backup of a newer version of pos: refused before anything is replaced
    newer = tmp_path / "newer.sqlite3"
    shutil.copy(info.path, newer)
    con = sqlite3.connect(newer)
    con.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', '')")
    con.commit()
    con.close()
    with pytest.raises(BackupError, match="newer version of pos"):
        backup.restore(MANAGER, newer)
    # another till's backup (another journal): refused unless forced
    other = tmp_path / "other"
    other.mkdir()
    assert pos(other / "pos.sqlite3", "demo").returncode == 0  # another till: its own journal
    assert pos(other / "pos.sqlite3", "backup", str(other / "theirs.sqlite3")).returncode == 0
    with pytest.raises(BackupError, match="another till"):
        backup.restore(MANAGER, other / "theirs.sqlite3")
    assert last_ticket_number() == 1 and journal.verify().ok and not journal.restores()
    done = backup.restore(MANAGER, other / "theirs.sqlite3", force=True)
    assert done["forced"] and done["next_ticket"] == 2
    assert sell_one() == 2  # ticket 1 was given by this till before: never again
    verdict = journal.verify()
    assert verdict.ok, verdict.message


def test_rotation_keeps_recent_days_and_one_a_month(tmp_path):
    now = dt.datetime(2026, 12, 5, 12, 0)
    names = []
    for days in range(0, 200, 3):
        when = now - dt.timedelta(days=days)
        name = tmp_path / f"pos-{when:%Y%m%d-%H%M%S}-daily.sqlite3"
        for path in (name, Path(f"{name}.head"), Path(f"{name}.json")):
            path.write_text("x")
        names.append((when, name))
    (tmp_path / "notes.txt").write_text("mine")  # never touched
    removed = backup.rotate(tmp_path, keep_days=14, keep_months=3, now=now)
    kept = sorted(p.name for p in tmp_path.glob("pos-*.sqlite3"))
    recent = [n.name for w, n in names if w >= now - dt.timedelta(days=14)]
    assert set(recent) <= set(kept)
    months = {n[4:10] for n in kept}
    assert months == {"202612", "202611", "202610"}  # this month and the two before (the newest of each)
    newest_of_month = {}
    for when, name in names:  # newest first
        newest_of_month.setdefault((when.year, when.month), name.name)
    assert kept == sorted(set(recent) | {newest_of_month[m] for m in [(2026, 12), (2026, 11), (2026, 10)]})
    assert "pos-20261030-120000-daily.sqlite3" in kept  # the month of October: its last one
    assert all(not Path(f"{p}.head").exists() and not Path(f"{p}.json").exists() for p in removed)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_warnings_folder_unset_missing_or_backup_too_old(shop, tmp_path):
    assert backup.status()[0] == "warning" and "No backup folder" in backup.status()[1]
    settings.set_value("backup.folder", str(tmp_path / "stick"))
    assert "missing" in backup.status()[1]
    assert not backup.daily_due()  # nothing to do without the stick
    with pytest.raises(BackupError, match="missing"):
        backup.make_backup(MANAGER)
    (tmp_path / "stick").mkdir()
    assert backup.status()[1] == "No good backup yet" and backup.daily_due()
    info = backup.make_backup(MANAGER, reason="daily")
    assert backup.status() == ("ok", f"Last good backup: {info.created_at[:16].replace('T', ' ')}")
    assert not backup.daily_due()
    later = dt.datetime.fromisoformat(info.created_at) + dt.timedelta(hours=30)
    assert backup.status(later) == ("warning", "The last good backup is 30 hours old")


def test_an_automatic_backup_failure_is_journaled_never_raised(shop, tmp_path):
    from pos.data import events

    settings.set_value("backup.folder", str(tmp_path / "gone"))
    assert backup.auto_backup("z") is None
    assert [e["data"]["reason"] for e in events.events("backup_failed")] == ["z"]  # journaled once
    (tmp_path / "gone").mkdir()
    (tmp_path / "gone" / "file").write_text("")
    settings.set_value("backup.folder", str(tmp_path / "gone" / "file"))  # a file where a folder should be
    assert backup.auto_backup("daily") is None
    assert [e["data"]["reason"] for e in events.events("backup_failed")] == ["z", "daily"]


def test_cli_backup_and_restore_round_trip(demo_template, tmp_path):
    db = copy_database(demo_template, tmp_path / "pos.sqlite3")
    stick = tmp_path / "stick"
    stick.mkdir()
    assert pos(db, "config", "set", "ui.language", "en").returncode == 0
    assert pos(db, "sell", "D010001", "--pay", "cash").returncode == 0
    proc = pos(db, "backup", "--to", str(stick))
    assert proc.returncode == 0, proc.stderr
    made = Path(proc.stdout.splitlines()[0].split(": ", 1)[1])
    assert made.parent == stick and "chain intact" in proc.stdout
    # the backup's head is an anchor of the till's journal
    proc = pos(db, "journal", "verify", "--anchor-file", f"{made}.head")
    assert proc.returncode == 0 and "anchor" in proc.stdout, proc.stdout + proc.stderr
    assert pos(db, "sell", "D010001", "--pay", "cash").returncode == 0
    proc = pos(db, "restore", str(made), "--user", "Marie")
    assert proc.returncode == 1 and "restore a backup" in proc.stderr
    proc = pos(db, "restore", str(made))
    assert proc.returncode == 0, proc.stderr
    assert "next ticket number: 3" in proc.stdout and "tickets 2 to 2 were after the backup" in proc.stdout
    proc = pos(db, "sell", "D010001", "--pay", "cash")
    assert proc.stdout.startswith("ticket 3:")
    proc = pos(db, "journal", "verify")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = pos(db, "backups", "--folder", str(stick))
    assert made.name in proc.stdout and "good" in proc.stdout
    close_database()
    open_database(db)
    try:
        assert journal.restores()[0]["skipped_tickets"] == [2, 2]
    finally:
        close_database()


def test_pos_close_day_is_followed_by_a_backup(demo_template, tmp_path):
    db = copy_database(demo_template, tmp_path / "pos.sqlite3")
    stick = tmp_path / "stick"
    stick.mkdir()
    assert pos(db, "config", "set", "backup.folder", str(stick)).returncode == 0
    assert pos(db, "sell", "D010001", "--pay", "cash").returncode == 0
    proc = pos(db, "close", "day")
    assert proc.returncode == 0, proc.stderr
    [made] = stick.glob("pos-*-z.sqlite3")
    assert f"backup: {made}" in proc.stdout.splitlines()
    assert backups_db.facts(made).last_ticket == 1 and Path(f"{made}.json").exists()


UNWRITABLE = "/proc/self"  # a folder nobody may create a file in, root included


def test_a_failed_daily_backup_is_recorded_logged_and_said_by_the_status(shop, tmp_path, caplog):
    from pos.data import events

    stick = tmp_path / "stick"
    stick.mkdir()
    settings.set_value("backup.folder", str(stick))
    good = backup.make_backup(MANAGER, reason="daily")
    assert backup.status()[0] == "ok" and backup.last_failure() is None
    settings.set_value("backup.folder", UNWRITABLE)  # the stick went read-only, the share refuses writes
    assert backup.daily_due()
    with caplog.at_level("WARNING", logger="pos.fiscal.backup"):
        assert backup.auto_backup("daily") is None  # never raised: the till goes on selling
    failure = backup.last_failure()
    assert failure is not None and failure["reason"] == "daily" and UNWRITABLE in failure["error"]
    assert [(e["data"]["reason"], e["data"]["error"]) for e in events.events("backup_failed")] == [
        ("daily", failure["error"])]  # journaled once
    assert [r.getMessage() for r in caplog.records if r.name == "pos.fiscal.backup"] == [
        f"the automatic backup (daily) failed: {failure['error']}"]
    level, message = backup.status()
    assert level == "warning" and message == f"The daily backup failed: {failure['error']}"
    # tried again an hour later, not at each check of the watch (every failure is journaled)
    assert not backup.daily_due()
    assert backup.daily_due(dt.datetime.now() + dt.timedelta(minutes=61))
    # back on the stick that holds a good backup older than the failure: the failure is still said
    settings.set_value("backup.folder", str(stick))
    assert backup.status() == ("warning", f"The daily backup failed: {failure['error']}")
    assert backup.last_good().path == good.path
    # a good backup after it: all is well again
    while dt.datetime.now().astimezone() < dt.datetime.fromisoformat(failure["at"]) + dt.timedelta(seconds=1):
        time.sleep(0.05)  # (the times are to the second)
    backup.make_backup(MANAGER, reason="manual")
    assert backup.status()[0] == "ok", backup.status()


def test_a_failed_backup_after_the_z_says_so(shop, tmp_path):
    settings.set_value("backup.folder", UNWRITABLE)
    assert backup.auto_backup("z") is None
    assert backup.status()[1].startswith("The backup after the Z failed: ")
