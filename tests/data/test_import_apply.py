"""A large import never blocks sales, and stays all or nothing (issue 13, item 4).

A real seller process rings up sales while an import is applied; a sale may wait for the write
lock at most 1 s here (the till waits 5 s: a tighter bound, so that a machine under load cannot
hide a long lock).  The apply was one transaction: 40,000 rows held the lock long enough to
refuse sales.  Now it is a series of short ones, undone if anything fails or the process dies."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.actors import manager

from pos.catalog.transfer import Import, TransferError, export
from pos.data import catalog as catalog_db
from pos.data.db import close_database, open_database
from pos.data.models import database
from pos.demo import add_synthetic_articles

HELPERS = Path(__file__).resolve().parents[1] / "helpers"
ROOT = Path(__file__).resolve().parents[2]
ROWS = 40_000


def snapshot(path) -> list:
    conn = sqlite3.connect(path)
    try:
        return [conn.execute(f"SELECT * FROM {t} ORDER BY id").fetchall()
                for t in ("article", "barcode", "department", "customer", "import_log", "ps_link")] + [
            conn.execute("SELECT key, value FROM setting WHERE key LIKE 'import.%'").fetchall()]
    finally:
        conn.close()


@pytest.fixture
def big_shop(shop, tmp_path):
    """The demo shop with ROWS synthetic articles, closed (the test opens it where it needs it)."""
    add_synthetic_articles(ROWS)
    path = shop.database
    close_database()
    return path


def import_file(db: str, tmp_path: Path, *, new: int = 2000) -> Path:
    """Every article's price and stock changed, ``new`` new articles, the demo's first ones missing."""
    open_database(db)
    try:
        export(manager(), "articles", tmp_path / "export.csv")
    finally:
        close_database()
    rows = list(csv.reader(io.StringIO((tmp_path / "export.csv").read_text("utf-8-sig")), delimiter=";"))
    header, body = rows[0], rows[1:]
    out = [header]
    for i, row in enumerate(body):
        if i % 500 == 7:
            continue  # missing from the file: deleted (or deactivated if sold)
        row[4], row[7] = "9,99", "500"
        out.append(row)
    out += [[f"N{i:06}", "", f"Nouveau {i}", "", "2,50", "20", "", "10", "1"] for i in range(new)]
    text = io.StringIO()
    csv.writer(text, delimiter=";", lineterminator="\r\n").writerows(out)
    path = tmp_path / "import.csv"
    path.write_text(text.getvalue(), "utf-8-sig")
    return path


def start_seller(db: str, tmp_path: Path, busy_ms: int = 1000) -> tuple[subprocess.Popen, Path]:
    stop = tmp_path / "stop-seller"
    proc = subprocess.Popen([sys.executable, str(HELPERS / "timed_seller.py"), db, str(stop), str(busy_ms),
                             "D010001,A0000001,A0020000,D010003"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    return proc, stop


def stop_seller(proc: subprocess.Popen, stop: Path) -> list[str]:
    stop.write_text("")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return out.split("\n")


def test_sales_go_through_while_a_large_import_is_applied(big_shop, tmp_path):
    path = import_file(big_shop, tmp_path)
    open_database(big_shop)
    try:
        with Import("articles", path) as job:
            preview = job.prepare()
            assert preview.counts["changed"] > ROWS * 0.9 and preview.counts["new"] == 2000
            seller, stop = start_seller(big_shop, tmp_path)
            time.sleep(0.5)
            t0 = time.monotonic()
            done = job.apply(manager(), add=True, update=True, delete=True)
            took = time.monotonic() - t0
            time.sleep(0.3)
            lines = stop_seller(seller, stop)
    finally:
        close_database()
    refused = [x for x in lines if x.startswith("refused")]
    waits = [float(x.split()[1]) for x in lines if x.startswith("ok")]
    assert refused == [], refused[:3]
    assert done["added"] == 2000 and done["updated"] > ROWS * 0.9
    assert len(waits) >= 10, (len(waits), took)
    p95 = statistics.quantiles(waits, n=20)[-1]
    print(f"apply {took:.1f} s, {len(waits)} sales, p95 {p95 * 1000:.0f} ms, max {max(waits) * 1000:.0f} ms")
    assert p95 <= 1.0
    open_database(big_shop)
    try:
        assert catalog_db.find_article_by_code("N000001").price == 250
        assert catalog_db.find_article_by_code("A0030000").price == 999
    finally:
        close_database()


def test_a_failure_undoes_the_import_and_keeps_the_sales_made_meanwhile(big_shop, tmp_path):
    path = import_file(big_shop, tmp_path, new=500)
    open_database(big_shop)
    try:
        stock_before = dict(database.execute_sql("SELECT reference, stock FROM article").fetchall())
        tickets_before = database.execute_sql("SELECT count(*) FROM ticket").fetchone()[0]
        with Import("articles", path) as job:
            job.prepare()
            seller, stop = start_seller(big_shop, tmp_path, busy_ms=5000)
            with pytest.raises(RuntimeError, match="injected"):
                job.apply(manager(), add=True, update=True, delete=True, fail_after="update")
            stop_seller(seller, stop)
        sold = dict(database.execute_sql(
            "SELECT l.reference, sum(l.qty) FROM ticket_line l JOIN ticket t ON t.id = l.ticket_id "
            "WHERE t.id > ? GROUP BY l.reference", (tickets_before,)).fetchall())
        assert sold, "the seller sold nothing during the apply"
        stock_after = dict(database.execute_sql("SELECT reference, stock FROM article").fetchall())
        # the import is gone (prices, new and deleted articles), the sales made meanwhile are kept
        assert set(stock_after) == set(stock_before)
        assert stock_after == {ref: stock - sold.get(ref, 0) for ref, stock in stock_before.items()}
        assert catalog_db.find_article_by_code("A0000002").price != 999
        assert database.execute_sql("SELECT count(*) FROM import_log").fetchone()[0] == 0
        assert not Path(big_shop + ".import-undo").exists()
    finally:
        close_database()


def automerge(db: str) -> int | None:
    conn = sqlite3.connect(db)
    try:
        row = conn.execute("SELECT v FROM article_search_config WHERE k = 'automerge'").fetchone()
        return None if row is None else row[0]
    finally:
        conn.close()


CHILD = """
import sys
sys.path.insert(0, {root!r}); sys.path.insert(0, {tests!r})
from helpers.actors import manager
from pos.catalog.transfer import Import
from pos.data.db import open_database
open_database({db!r})
with Import("articles", {file!r}) as job:
    job.prepare()
    print("applying", flush=True)
    job.apply(manager(), add=True, update=True, delete=True)
print("done", flush=True)
"""


def test_an_import_killed_half_way_is_undone_at_the_next_start(big_shop, tmp_path):
    path = import_file(big_shop, tmp_path)
    before = snapshot(big_shop)
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(root=str(ROOT), tests=str(ROOT / "tests"), db=big_shop, file=str(path)))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "applying"
    conn = sqlite3.connect(big_shop)
    deadline = time.monotonic() + 120
    chunk = 0
    while chunk < 4 and time.monotonic() < deadline:  # a few chunks are committed: half applied
        row = conn.execute("SELECT value FROM setting WHERE key = 'import.applying'").fetchone()
        chunk = json.loads(row[0])["chunk"] if row else 0
        time.sleep(0.01)
    conn.close()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert chunk >= 4 and snapshot(big_shop) != before  # the kill left it half applied
    assert automerge(big_shop) == 0  # the search index is not merged while an import is applied
    open_database(big_shop)  # the next start undoes it
    close_database()
    assert snapshot(big_shop) == before
    assert automerge(big_shop) == 4  # and merges again
    assert not Path(big_shop + ".import-undo").exists()


def test_a_second_import_waits_for_the_first(big_shop, tmp_path):
    from pos.data.import_apply import import_lock

    path = import_file(big_shop, tmp_path, new=10)
    open_database(big_shop)
    try:
        with Import("articles", path) as job, import_lock(big_shop) as mine:
            job.prepare()
            assert mine
            with pytest.raises(TransferError, match="another import"):
                job.apply(manager(), add=True, update=True, delete=False)
    finally:
        close_database()
