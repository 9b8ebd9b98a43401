"""A till killed with SIGKILL in the middle of selling loses no committed ticket."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from helpers.demo_db import build_demo_template

from pos.data import catalog, users
from pos.data import tickets as tickets_db
from pos.data.db import close_database, integrity_check, open_database
from pos.data.models import database

HELPER = Path(__file__).parent.parent / "helpers" / "sell_loop.py"
WANTED = 40
TIMEOUT = 45  # seconds for the child to report WANTED sales


def read_lines(stream, out: queue.Queue) -> None:
    for line in stream:
        out.put(line)
    out.put(None)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_mid_stream_loses_no_committed_ticket(tmp_path):
    path = build_demo_template(tmp_path / "pos.sqlite3")
    with open(tmp_path / "child.err", "w") as err:
        child = subprocess.Popen([sys.executable, str(HELPER), str(path)], stdout=subprocess.PIPE, stderr=err,
                                 stdin=subprocess.DEVNULL, text=True)
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=read_lines, args=(child.stdout, lines), daemon=True)
    reader.start()
    reported: list[int] = []
    try:
        deadline = time.monotonic() + TIMEOUT
        while len(reported) < WANTED:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            assert line is not None, f"the child died: {(tmp_path / 'child.err').read_text()}"
            word, number = line.split()
            assert word == "committed"
            reported.append(int(number))
        assert child.poll() is None  # still selling: the kill lands mid-stream
        os.kill(child.pid, signal.SIGKILL)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(10)
    assert child.returncode == -signal.SIGKILL
    reader.join(10)
    while (line := lines.get_nowait()) is not None:  # lines printed before the kill but not read yet
        if line.endswith("\n"):  # (one write per line, so a line is never cut, but be safe)
            reported.append(int(line.split()[1]))
    assert Path(f"{path}-wal").exists()  # the file was not closed cleanly

    open_database(path)
    try:
        assert integrity_check() == "ok"
        assert database.execute_sql("PRAGMA foreign_key_check").fetchall() == []
        numbers = list(tickets_db.iter_ticket_numbers())
        assert reported == list(range(1, len(reported) + 1))
        assert numbers == list(range(1, len(numbers) + 1))  # no gap
        # at most one ticket committed after its line was printed... and not one reported is missing
        assert len(reported) <= len(numbers) <= len(reported) + 1
        sold: dict[int, int] = {}
        for number in numbers:
            t = tickets_db.get_ticket(number)
            assert t.lines and t.payments and t.vat, number
            assert sum(ln["total"] for ln in t.lines) == t.total
            assert sum(v["total"] for v in t.vat) == t.total
            assert sum(p["amount"] for p in t.payments) == t.paid
            assert t.paid - t.change == t.total > 0
            for ln in t.lines:
                sold[ln["article"]] = sold.get(ln["article"], 0) + ln["qty"]
        for table in ("ticket_line", "ticket_vat", "ticket_payment"):
            orphans = database.execute_sql(
                f"SELECT COUNT(*) FROM {table} WHERE ticket_id NOT IN (SELECT id FROM ticket)").fetchone()[0]
            assert orphans == 0, table
        # the stock moved in the same transactions as the tickets
        for article_id, qty in sold.items():
            assert catalog.article_stock(article_id) == 50_000 - qty
        # and the shop can go on selling
        from pos.sale.till import Till

        till = Till()
        till.login(users.find_user("Marie").id, "1234")
        till.scan(tickets_db.get_ticket(1).lines[0]["reference"])
        till.add_payment("card")
        assert till.validate().number == len(numbers) + 1
        till.close()
    finally:
        close_database()
