"""The fiscal journal: what it adds to a sale, and verifying 1,000,000 records.

    python bench/bench_journal.py DB [--sales N] [--records N]

DB is a throw-away copy of a demo database (it gets sales).  Then a fresh database
is filled with N chained records signed with its Ed25519 key (one in five a real
ticket with three lines, the others events; a daily Z every 1,000 tickets, made by
``closures.close``), through the journal's own hash and signing functions, and
``pos journal verify``'s default (``pos.fiscal.verify.verify()``: chain replay, rows,
head file, the signatures of the last record and of every closure, every Z
recomputed) is timed, then ``--all-signatures`` beside it.
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


def _insert_tickets(first: int, count: int) -> None:
    from pos.data.models import database

    for n in range(first, first + count):
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


def build_chain(path: Path, records: int, per_z: int = 1000) -> tuple[int, int]:
    """A database with about ``records`` chained and signed records, one in five a ticket (with its rows),
    and a daily Z (``closures.close``) after every ``per_z`` tickets.  Returns (records, Zs)."""
    from pos.core.permissions import Actor
    from pos.data import journal, signing
    from pos.data.db import open_database
    from pos.data.models import database
    from pos.fiscal import closures

    open_database(path)
    database.execute_sql("INSERT INTO user (name, pin_hash, role, active, position) VALUES ('Bench', 'x', "
                         "'manager', 1, 1)")
    key = signing.private_key()
    public = signing.public_hex(key)
    genesis = journal.canonical({"fingerprint": "0" * 64, "alg": journal.ALG, "public_key": public,
                                 "signature_alg": signing.ALG})
    at = "2026-11-01T08:00:00+01:00"
    login = journal.canonical({"kind": "login", "user": "Bench", "data": {}})
    prev, seq, zs, number = journal.ZERO, 0, 0, 0
    pending = [("genesis", "", genesis)]
    while seq + len(pending) < records:
        count = min(per_z, (records - seq) // 5 or 1)
        with database.atomic():
            _insert_tickets(number + 1, count)
        payloads = journal.ticket_payloads("WHERE t.number > ?", (number,))
        number += count
        for _ in range(count):
            pending.append(("ticket", *next(payloads)))
            pending += [("event", "login", login)] * 4
        rows, sigs = [], []
        for kind, ref, payload in pending:
            seq += 1
            digest = journal.record_hash(prev, journal.ALG, seq, at, kind, str(ref), payload)
            rows.append((seq, at, kind, str(ref), payload, prev, digest, journal.ALG))
            sigs.append((seq, signing.sign(key, signing.record_message(seq, digest))))
            prev = digest
        pending = []
        with database.atomic():
            database.cursor().executemany("INSERT INTO journal VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            database.cursor().executemany("INSERT INTO journal_signature VALUES (?, ?)", sigs)
        if seq < records:
            closures.close(Actor(None, "Bench", "manager"), "day")
            zs += 1
            seq, prev = journal.last_record()
    journal.write_head()
    return seq, zs


def verify_runs(report: Report, runs: int, all_runs: int, n: int, zs: int) -> None:
    from pos.fiscal import verify

    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        verdict = verify.verify()
        times.append(time.perf_counter() - t0)
        assert verdict.ok and verdict.code == 0 and verdict.records == n, (verdict.message, verdict.warnings)
    med, _p95 = report.stats("journal_verify", times, "s")
    report.target("journal_verify_target_10s", med <= 10,
                  f"median {med:.1f} s for {n:,} records, {zs} Zs recomputed, {zs + 1} signatures")
    times = []
    for _ in range(all_runs):
        t0 = time.perf_counter()
        verdict = verify.verify(all_signatures=True)
        times.append(time.perf_counter() - t0)
        assert verdict.ok and verdict.code == 0, (verdict.message, verdict.warnings)
    report.stats("journal_verify_all_signatures", times, "s")
    report.line("journal_verify_all_signatures_per_record", statistics.median(times) / n * 1e6, "us")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("--sales", type=int, default=1000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--all-runs", type=int, default=2, help="runs of verify --all-signatures (slow)")
    args = parser.parse_args(argv)
    report = Report()
    sale_overhead(report, args.db, args.sales)

    from pos.data import journal
    from pos.data.db import close_database

    tmp = Path(tempfile.mkdtemp(prefix="pos-journal-"))
    try:
        t0 = time.perf_counter()
        n, zs = build_chain(tmp / "chain.sqlite3", args.records)
        report.line("journal_bench_build_time", time.perf_counter() - t0, "s")
        report.line("journal_records", n)
        report.line("journal_ticket_records", journal.last_ticket_number())
        report.line("journal_daily_closures", zs)
        verify_runs(report, args.runs, args.all_runs, n, zs)
        close_database()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
