"""The fiscal journal: what it adds to a sale, and verifying 1,000,000 records.

    python bench/bench_journal.py DB [--sales N] [--records N]

DB is a throw-away copy of a demo database (it gets sales).  Then a fresh database
is filled with N chained records (one in five a real ticket with three lines, the
others events), through the journal's own hash function, and ``journal.verify()``
(chain replay, head file, tickets against their records) is timed.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Report, sale_draft  # noqa: E402


def sale_overhead(report: Report, db: str, sales: int) -> None:
    """record_ticket with and without the journal, interleaved in one process (same disk, same load)."""
    from pos.data import catalog, journal, users
    from pos.data import common as common_db
    from pos.data import tickets as tickets_db
    from pos.data.db import close_database, open_database

    open_database(db)
    user = users.find_user("Marie")
    article = catalog.find_article_by_code("D010001")
    draft = sale_draft(user, [article] * 5)
    real_append, real_head = journal.append, journal.write_head
    with_j, without_j = [], []
    for i in range(sales * 2):
        on = i % 2 == 0
        journal.append = real_append if on else (lambda *a, **k: 0)
        journal.write_head = real_head if on else (lambda: None)
        t0 = time.perf_counter()
        tickets_db.record_ticket(dataclasses.replace(draft, created_at=common_db.now_iso()))
        (with_j if on else without_j).append(time.perf_counter() - t0)
    journal.append, journal.write_head = real_append, real_head
    report.stats("sale_commit_with_journal", with_j)
    report.stats("sale_commit_without_journal", without_j)
    added = (statistics.median(with_j) - statistics.median(without_j)) * 1000
    report.line("journal_added_per_sale_median", added, "ms")
    # the journal's own work (payload, hash, insert, head file) timed alone, inside a transaction each
    alone = []
    for _ in range(sales):
        t0 = time.perf_counter()
        with common_db.atomic():
            journal.append("event", "bench", {"kind": "bench"}, common_db.now_iso())
        journal.write_head()
        alone.append(time.perf_counter() - t0)
    report.stats("journal_append_event_commit", alone)
    report.target("journal_sale_overhead_target_1ms", added <= 1.0, f"median {added:.3f} ms")
    close_database()


def build_chain(path: Path, records: int) -> int:
    """A database with ``records`` chained records, one in five a ticket (with its rows)."""
    from pos.data import journal
    from pos.data.db import open_database
    from pos.data.models import database

    open_database(path)
    database.execute_sql("INSERT INTO user (name, pin_hash, role, active, position) VALUES ('Bench', 'x', "
                         "'manager', 1, 1)")
    tickets = records // 5
    with database.atomic():
        for n in range(1, tickets + 1):
            at = f"2026-11-{1 + n % 28:02d}T{8 + n % 10:02d}:00:00+01:00"
            cur = database.execute_sql(
                "INSERT INTO ticket (number, kind, status, channel, created_at, user_id, user_name, subtotal, "
                "discount_amount, total, paid, change) VALUES (?, 'sale', 'paid', 'pos', ?, 1, 'Bench', 360, 0, "
                "360, 360, 0)", (n, at))
            tid = cur.lastrowid
            for pos_ in (1, 2, 3):
                database.execute_sql(
                    "INSERT INTO ticket_line (ticket_id, position, reference, barcode, name, department, qty, "
                    "unit_price, list_price, vat_bp, discount_amount, ticket_discount, total) VALUES "
                    "(?, ?, 'A1', '', 'Article', 'Rayon', 1000, 120, 120, 550, 0, 0, 120)", (tid, pos_))
            database.execute_sql("INSERT INTO ticket_vat (ticket_id, vat_bp, total, excl, vat) "
                                 "VALUES (?, 550, 360, 341, 19)", (tid,))
            database.execute_sql("INSERT INTO ticket_payment (ticket_id, method_id, method_code, method_name, "
                                 "amount) VALUES (?, 1, 'cash', 'Espèces', 360)", (tid,))
    payloads = journal.ticket_payloads()
    prev, seq, batch = journal.ZERO, 0, []
    genesis = journal.canonical({"fingerprint": "0" * 64, "alg": journal.ALG})
    items = [("genesis", "", genesis, "2026-11-01T07:00:00+01:00")]
    for i in range(records - 1):
        if i % 5 == 0:
            number, payload = next(payloads)
            items.append(("ticket", str(number), payload, "2026-11-01T08:00:00+01:00"))
        else:
            items.append(("event", "login", journal.canonical({"kind": "login", "user": "Bench", "data": {}}),
                          "2026-11-01T08:00:00+01:00"))
        if len(items) >= 20000 or i == records - 2:
            for kind, ref, payload, at in items:
                seq += 1
                digest = journal.record_hash(prev, journal.ALG, seq, at, kind, ref, payload)
                batch.append((seq, at, kind, ref, payload, prev, digest, journal.ALG))
                prev = digest
            items = []
            with database.atomic():
                database.cursor().executemany("INSERT INTO journal VALUES (?, ?, ?, ?, ?, ?, ?, ?)", batch)
            batch = []
    journal.write_head()
    return seq


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("--sales", type=int, default=1000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    report = Report()
    sale_overhead(report, args.db, args.sales)

    from pos.data import journal
    from pos.data.db import close_database

    tmp = Path(tempfile.mkdtemp(prefix="pos-journal-"))
    try:
        t0 = time.perf_counter()
        n = build_chain(tmp / "chain.sqlite3", args.records)
        report.line("journal_bench_build_time", time.perf_counter() - t0, "s")
        report.line("journal_records", n)
        report.line("journal_ticket_records", args.records // 5)
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            verdict = journal.verify()
            times.append(time.perf_counter() - t0)
            assert verdict.ok and verdict.records == n, verdict.message
        med, p95 = report.stats("journal_verify", times, "s")
        report.target("journal_verify_target_10s", med <= 10, f"median {med:.1f} s for {n:,} records")
        close_database()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
