"""Backups: how long a checked backup takes, and what it costs the sales rung up meanwhile.

    python bench/bench_backup.py DB [--sales N] [--runs R]

DB must be a throw-away copy of the demo shop.  ``--sales`` tickets are recorded first (through the
Till), then: ``R`` backups (the online copy, then the integrity check and the whole journal's
verification in a separate process), and a child process that sells without a pause while the
backups run, its commit latencies compared with a run of the same child without a backup.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from common import Report  # noqa: E402

SELLER = """
import sys, time
from pos.core import i18n
from pos.data import users
from pos.data.db import open_database
from pos.sale.till import Till
open_database(sys.argv[1]); i18n.set_language("en")
till = Till(); till.login(users.find_user("Marie").id, "1234", log=False)
end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    till.scan("D010001"); till.scan("D010002"); till.add_payment("card")
    a = time.perf_counter(); till.validate(); print((time.perf_counter() - a) * 1000, flush=True)
"""


def fill(n: int) -> None:
    from pos.data import users
    from pos.sale.till import Till

    till = Till()
    till.login(users.find_user("Marie").id, "1234", log=False)
    for k in range(n):
        till.scan("D010001")
        if k % 3:
            till.scan("D010002")
        till.add_payment("cash" if k % 2 else "card")
        till.validate()


def seller(db: str, seconds: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", SELLER, db, str(seconds)], stdout=subprocess.PIPE, text=True,
                            cwd=ROOT)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("--sales", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    from pos.core import i18n
    from pos.data.db import open_database
    from pos.fiscal import backup

    open_database(args.db)
    i18n.set_language("en")
    report = Report()
    t0 = time.perf_counter()
    fill(args.sales)
    report.line("backup_fill_sales", args.sales, "tickets")
    report.line("backup_fill_time", round(time.perf_counter() - t0, 1), "s")
    report.line("backup_db_size", round(Path(args.db).stat().st_size / 1e6, 1), "MB")
    # the sales alone, then with backups running beside them
    alone = seller(args.db, 8)
    quiet = [float(x) for x in alone.communicate()[0].split()]
    with tempfile.TemporaryDirectory() as folder:
        busy_seller = seller(args.db, 3600)
        time.sleep(1.0)
        walls, copies = [], []
        for _ in range(args.runs):
            a = time.perf_counter()
            info = backup.make_backup(None, folder, reason="bench")
            walls.append(time.perf_counter() - a)
            assert info.ok, info.message
            a = time.perf_counter()
            from pos.data import backups as backups_db

            backups_db.snapshot(Path(folder) / f"copy-{len(copies)}.sqlite3")
            copies.append(time.perf_counter() - a)
        busy_seller.kill()
        busy = [float(x) for x in busy_seller.communicate()[0].split()]
    report.stats("backup_checked", walls, "s")
    report.stats("backup_copy_only", copies, "ms")
    qm, qp = report.stats("backup_sales_alone", [x / 1000 for x in quiet], "ms")
    bm, bp = report.stats("backup_sales_during", [x / 1000 for x in busy], "ms")
    report.line("backup_sales_p95_ratio", round(bp / qp, 2), "x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
