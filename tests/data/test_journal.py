"""The fiscal journal: a hash chain that plain SQL on the database file cannot change unnoticed."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest
from helpers.actors import MANAGER, manager
from helpers.cli import cli_env

from pos.data import catalog, common, journal, users
from pos.data import events as events_db
from pos.data import tickets as tickets_db
from pos.data.models import ImmutableError, Journal
from pos.fiscal import archive


def sell(till, *codes: str) -> int:
    for code in codes:
        till.scan(code)
    till.add_payment("cash")
    return till.validate().number


@pytest.fixture
def sales(till):
    """Five paid tickets, a refund and some events."""
    numbers = [sell(till, "3760123000017", "3760123000024"), sell(till, "3760123000031")]
    numbers += [sell(till, "3760123000017") for _ in range(3)]
    till.logout()
    return numbers


def tamper(db, *statements: str) -> None:
    """Plain SQL on the database file, the way a database editor would do it (triggers dropped first)."""
    conn = sqlite3.connect(db.database)
    for table in ("journal", "ticket", "ticket_line", "ticket_payment", "ticket_vat"):
        for op in ("update", "delete"):
            conn.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op}")
    for sql in statements:
        conn.execute(sql)
    conn.commit()
    conn.close()


def seq_of_ticket(number: int) -> int:
    return next(r[0] for r in journal.journal_rows() if r[2] == "ticket" and r[3] == str(number))


def test_every_ticket_and_event_is_chained(shop, sales):
    rows = list(journal.journal_rows())
    kinds = [r[2] for r in rows]
    assert kinds[0] == "genesis" and kinds.count("ticket") == len(sales)
    assert {"login", "logout", "demo_loaded"} <= {r[3] for r in rows if r[2] == "event"}
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    for prev, row in zip(rows, rows[1:]):
        assert row[5] == prev[6]  # prev_hash
    ticket = json.loads(rows[seq_of_ticket(sales[0]) - 1][4])
    assert ticket["number"] == sales[0] and len(ticket["lines"]) == 2 and ticket["payments"][0]["method_code"] == "cash"
    verdict = journal.verify()
    assert verdict.ok, verdict.message
    assert journal.read_head()[:2] == journal.last_record()


def test_the_journal_refuses_changes(shop, sales):
    record = Journal.get_by_id(2)
    record.payload = "{}"
    with pytest.raises(ImmutableError):
        record.save()
    with pytest.raises(ImmutableError):
        record.delete_instance()
    with pytest.raises(Exception, match="immutable"):
        shop.execute_sql("UPDATE journal SET payload = '{}' WHERE seq = 2")
    with pytest.raises(Exception, match="immutable"):
        shop.execute_sql("DELETE FROM journal WHERE seq = 2")


def test_a_changed_record_is_detected(shop, sales):
    seq = seq_of_ticket(sales[1])
    tamper(shop, f"UPDATE journal SET payload = replace(payload, '\"total\":120', '\"total\":12') WHERE seq = {seq}")
    verdict = journal.verify()
    assert not verdict.ok and verdict.first_bad == seq and "was changed" in verdict.message


def test_a_changed_ticket_row_is_detected(shop, sales):
    tamper(shop, f"UPDATE ticket SET total = total - 100 WHERE number = {sales[2]}")
    verdict = journal.verify()
    assert not verdict.ok and f"ticket {sales[2]} differs" in verdict.message
    assert verdict.first_bad == seq_of_ticket(sales[2])


def test_a_deleted_record_is_detected(shop, sales):
    seq = seq_of_ticket(sales[1])
    tamper(shop, f"DELETE FROM journal WHERE seq = {seq}")
    verdict = journal.verify()
    assert not verdict.ok and verdict.first_bad == seq and "missing" in verdict.message


def test_a_deleted_ticket_and_its_record_renumbered_is_detected(shop, sales):
    """Delete a ticket and its record, then shift the later records down: the chain breaks there."""
    seq = seq_of_ticket(sales[1])
    tamper(shop, f"DELETE FROM ticket_line WHERE ticket_id = (SELECT id FROM ticket WHERE number = {sales[1]})",
           f"DELETE FROM ticket_payment WHERE ticket_id = (SELECT id FROM ticket WHERE number = {sales[1]})",
           f"DELETE FROM ticket_vat WHERE ticket_id = (SELECT id FROM ticket WHERE number = {sales[1]})",
           f"DELETE FROM ticket WHERE number = {sales[1]}",
           f"DELETE FROM journal WHERE seq = {seq}",
           f"UPDATE journal SET seq = seq - 1 WHERE seq > {seq}")
    verdict = journal.verify()
    assert not verdict.ok and verdict.first_bad == seq


def test_an_inserted_forged_record_is_detected(shop, sales):
    """A forged record in the middle, with a correct-looking hash chained on its predecessor."""
    seq = seq_of_ticket(sales[2])
    prev = journal._hash_at(seq - 1)
    payload = journal.canonical({"number": 999, "total": 1})
    digest = journal.record_hash(prev, journal.ALG, seq, "2026-01-01T00:00:00+01:00", "ticket", "999", payload)
    tamper(shop, f"UPDATE journal SET seq = seq + 100000 WHERE seq >= {seq}",
           "UPDATE journal SET seq = seq - 100000 + 1 WHERE seq >= 100000",
           f"INSERT INTO journal VALUES ({seq}, '2026-01-01T00:00:00+01:00', 'ticket', '999', '{payload}', "
           f"'{prev}', '{digest}', '{journal.ALG}')")
    verdict = journal.verify()
    assert not verdict.ok and verdict.first_bad == seq and "not gap-free" in verdict.message  # ticket 999


def test_a_forged_ticket_without_record_is_detected(shop, sales):
    tamper(shop, "INSERT INTO ticket (number, kind, status, channel, created_at, user_id, user_name, subtotal, "
                 "discount_amount, total, paid, change) VALUES (900, 'sale', 'paid', 'pos', "
                 "'2026-01-01T10:00:00+01:00', 1, 'Claire', 100, 0, 100, 100, 0)")
    verdict = journal.verify()
    assert not verdict.ok and "ticket 900 has no journal record" in verdict.message


def test_records_in_a_different_order_are_detected(shop, sales):
    a, b = seq_of_ticket(sales[2]), seq_of_ticket(sales[3])
    tamper(shop, f"UPDATE journal SET seq = -1 WHERE seq = {a}", f"UPDATE journal SET seq = {a} WHERE seq = {b}",
           f"UPDATE journal SET seq = {b} WHERE seq = -1")
    verdict = journal.verify()
    assert not verdict.ok and verdict.first_bad == a


def test_a_cut_off_tail_is_detected(shop, sales):
    last = journal.last_record()[0]
    tamper(shop, f"DELETE FROM journal WHERE seq > {last - 2}")
    verdict = journal.verify()
    assert not verdict.ok and "cut off" in verdict.message and verdict.first_bad == last - 1


def test_a_cut_tail_is_noted_by_the_next_record_too(shop, sales, till):
    """Cutting the tail then selling again: the new record notes the deletion, and verify still fails."""
    last = journal.last_record()[0]
    tamper(shop, f"DELETE FROM journal WHERE seq > {last - 2}")
    marie = users.find_user("Marie")
    till.login(marie.id, "1234")
    verdict = journal.verify()
    assert not verdict.ok and "end of chain deletion detected" in verdict.message


def test_training_tickets_are_journaled_and_marked(shop, till):
    from pos.sale.receipt import render

    till.training = True
    stock = catalog.find_article_by_code("3760123000017").stock
    number = sell(till, "3760123000017")
    assert catalog.find_article_by_code("3760123000017").stock == stock  # no real stock moves in training
    payload = json.loads(next(r[4] for r in journal.journal_rows() if r[2] == "ticket" and r[3] == str(number)))
    assert payload["training"] is True
    assert journal.verify().ok
    lines = render(tickets_db.get_ticket(number), {}, width=42)
    assert lines.count("TRAINING - NOT A VALID RECEIPT".center(42)) == 2


# ---------------------------------------------------------------- archives
def test_archive_export_and_verify(shop, sales, tmp_path):
    period = common.now_iso()[:7]
    folder = tmp_path / "archive"
    summary = archive.export(MANAGER, period, folder, shop="Épicerie")
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted([*archive.FILES, archive.MANIFEST, archive.SIGNATURE])
    check = subprocess.run(["sha256sum", "-c", archive.MANIFEST], cwd=folder, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    tickets = (folder / "tickets.csv").read_text("utf-8").splitlines()
    assert len(tickets) == len(sales) + 1 and tickets[0].startswith("number,kind,channel,created_at")
    verdict = archive.verify(folder)
    assert verdict.ok, verdict.message
    # the export is itself in the journal, with the manifest's hash
    record = json.loads(list(journal.journal_rows())[-1][4])
    assert record["kind"] == "archive" and record["data"]["manifest_sha256"] == summary["manifest_sha256"]
    assert journal.verify().ok


@pytest.mark.parametrize("damage", ["file", "record", "manifest"])
def test_a_damaged_archive_is_detected(shop, sales, tmp_path, damage):
    folder = tmp_path / "a"
    archive.export(MANAGER, common.now_iso()[:7], folder)
    if damage == "file":
        path = folder / "ticket_lines.csv"
        path.write_text(path.read_text("utf-8").replace(",120,", ",12,"), "utf-8")
        expected = "ticket_lines.csv was changed"
    else:
        lines = (folder / "journal.jsonl").read_text("utf-8").splitlines()
        record = json.loads(lines[3])
        record["payload"] = record["payload"].replace("Marie", "Mallory")
        lines[3] = json.dumps(record, ensure_ascii=False, sort_keys=True)
        (folder / "journal.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
        expected = "journal.jsonl was changed"
        if damage == "record":  # the manifest updated too: the chain still tells
            import hashlib

            manifest = (folder / archive.MANIFEST).read_text("ascii").splitlines()
            digest = hashlib.sha256((folder / "journal.jsonl").read_bytes()).hexdigest()
            manifest = [f"{digest}  journal.jsonl" if m.endswith("  journal.jsonl") else m for m in manifest]
            (folder / archive.MANIFEST).write_text("\n".join(manifest) + "\n", "ascii")
            expected = "the archive's signature does not match its manifest"  # the signature tells first
    verdict = archive.verify(folder)
    assert not verdict.ok and expected in verdict.message


def test_cli_verify_and_archive(shop, sales, tmp_path):
    db = shop.database
    env_cmd = [sys.executable, "-m", "pos", "--db", db]
    proc = subprocess.run([*env_cmd, "journal", "verify"], capture_output=True, text=True, env=cli_env())
    assert proc.returncode == 0 and proc.stdout.startswith("journal intact:"), proc.stderr
    period = common.now_iso()[:7]
    proc = subprocess.run([*env_cmd, "archive", "export", "--period", period, str(tmp_path / "ar")],
                          capture_output=True, text=True, env=cli_env())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == f"archive: {period}"
    proc = subprocess.run([*env_cmd, "journal", "verify", "--archive", str(tmp_path / "ar")],
                          capture_output=True, text=True, env=cli_env())
    assert proc.returncode == 0 and "archive intact" in proc.stdout, proc.stderr
    proc = subprocess.run([*env_cmd, "archive", "export", "--period", "2026-13", str(tmp_path / "b")],
                          capture_output=True, text=True, env=cli_env())
    assert (proc.returncode, proc.stderr) == (1, "pos: a period is YYYY-MM, not '2026-13'\n")
    seq = seq_of_ticket(sales[0])
    tamper(shop, f"UPDATE journal SET at = '2020-01-01T00:00:00+01:00' WHERE seq = {seq}")
    proc = subprocess.run([*env_cmd, "journal", "verify"], capture_output=True, text=True, env=cli_env())
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.startswith(f"pos: journal NOT intact (first bad record: {seq}): record {seq}")


def test_concurrent_writers_keep_the_head_file_and_the_chain(shop):
    """Threads (each with its own connection) journaling at once: no error after a commit, chain intact."""
    import threading

    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for i in range(40):
                events_db.log_event("bench", f"t{k}", i=i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            common.release_thread_connection()

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    verdict = journal.verify()
    assert verdict.ok, verdict.message
    assert journal.read_head()[:2] == journal.last_record()


def test_a_head_file_left_by_another_database_is_not_a_cut(tmp_path):
    from pos.data.db import close_database, open_database

    path = tmp_path / "shop.sqlite3"
    open_database(path)
    for i in range(5):
        events_db.log_event("x", i=i)
    close_database()
    for suffix in ("", "-wal", "-shm"):  # the database is recreated; its old head file stays
        (tmp_path / f"shop.sqlite3{suffix}").unlink(missing_ok=True)
    open_database(path)
    try:
        events_db.log_event("y")
        verdict = journal.verify()
        assert verdict.ok, verdict.message
    finally:
        close_database()


def test_deleted_closure_and_cash_movement_rows_are_detected(shop, till):
    from pos.fiscal import closures

    sell(till, "3760123000017")
    closures.cash_movement(manager("Claire"), "out", 500, "banque")
    closures.close(manager("Claire"), "day")
    assert journal.verify().ok
    conn = sqlite3.connect(shop.database)
    conn.execute("DROP TRIGGER cash_movement_no_delete")
    conn.execute("DELETE FROM cash_movement")
    conn.commit()
    verdict = journal.verify()
    assert not verdict.ok and "cash movement 1 of journal record" in verdict.message
    conn.execute("DROP TRIGGER closure_no_delete")
    conn.execute("DELETE FROM closure")
    conn.commit()
    conn.close()
    verdict = journal.verify()
    assert not verdict.ok and "closure day-1 of journal record" in verdict.message
