"""Closures and reports: a Z over a day of 5,000 tickets, a monthly report over 150,000 tickets.

    python bench/bench_closure.py DB [--day-tickets N] [--month-tickets N] [--runs N]

DB is a throw-away copy of the demo database.  The day's tickets are recorded
through ``tickets_db.record_ticket`` (journaled, as the till does); each run records a
day, times X reports over it, then the Z.  The month's tickets are written in
bulk (SQL) into a fresh database, then ``reports.sales_report`` is timed for each
grouping, and once with its PDF.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Report, sale_draft  # noqa: E402


def record_day(count: int, rng: random.Random) -> None:
    from pos.data import catalog, users
    from pos.data import tickets as tickets_db

    user = users.find_user("Marie")
    articles = [catalog.find_article_by_code(f"D0{d}00{i:02d}") for d in (1, 2, 3) for i in range(1, 6)]
    articles = [a for a in articles if a]
    for _ in range(count):
        tickets_db.record_ticket(sale_draft(user, rng.sample(articles, 3), cash=rng.random() < 0.4))


def bulk_month(path: Path, count: int, rng: random.Random) -> None:
    """``count`` tickets of 2026-10 (4 lines each), written in bulk into a fresh database."""
    from pos.data.db import close_database, open_database
    from pos.data.models import database
    from pos.demo import load_demo_shop

    open_database(path)
    load_demo_shop()
    user_id = database.execute_sql("SELECT id FROM user WHERE name = 'Marie'").fetchone()[0]
    arts = database.execute_sql("SELECT a.id, a.reference, a.name, a.price, v.rate_bp, d.name FROM article a "
                                "JOIN vat_rate v ON v.id = a.vat_id LEFT JOIN department d ON d.id = a.department_id"
                                ).fetchall()
    methods = dict(database.execute_sql("SELECT code, id FROM payment_method").fetchall())
    with database.atomic():
        cur = database.cursor()
        for n in range(1, count + 1):
            day, second = rng.randint(1, 31), rng.randint(8 * 3600, 20 * 3600)
            at = f"2026-10-{day:02d}T{second // 3600:02d}:{second % 3600 // 60:02d}:{second % 60:02d}+02:00"
            chosen = rng.sample(arts, 4)
            total = sum(a[3] for a in chosen)
            cash = rng.random() < 0.4
            paid = ((total // 500) + 1) * 500 if cash else total
            cur.execute("INSERT INTO ticket (number, kind, status, channel, created_at, user_id, user_name, subtotal, "
                        "discount_amount, total, paid, change) VALUES (?, 'sale', 'paid', 'pos', ?, ?, ?, ?, 0, ?, "
                        "?, ?)", (n, at, user_id, rng.choice(["Marie", "Claire"]), total, total, paid, paid - total))
            tid = cur.lastrowid
            cur.executemany("INSERT INTO ticket_line (ticket_id, position, article_id, reference, barcode, name, "
                            "department, qty, unit_price, list_price, vat_bp, discount_amount, ticket_discount, total)"
                            " VALUES (?, ?, ?, ?, '', ?, ?, 1000, ?, ?, ?, 0, 0, ?)",
                            [(tid, k, a[0], a[1], a[2], a[5] or "", a[3], a[3], a[4], a[3])
                             for k, a in enumerate(chosen, 1)])
            vat: dict[int, int] = {}
            for a in chosen:
                vat[a[4]] = vat.get(a[4], 0) + a[3]
            cur.executemany("INSERT INTO ticket_vat (ticket_id, vat_bp, total, excl, vat) VALUES (?, ?, ?, ?, ?)",
                            [(tid, bp, t, round(t * 10000 / (10000 + bp)), t - round(t * 10000 / (10000 + bp)))
                             for bp, t in vat.items()])
            code = "cash" if cash else "card"
            cur.execute("INSERT INTO ticket_payment (ticket_id, method_id, method_code, method_name, amount) "
                        "VALUES (?, ?, ?, ?, ?)", (tid, methods[code], code, code, paid))
    close_database()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("--day-tickets", type=int, default=5000)
    parser.add_argument("--month-tickets", type=int, default=150_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    report = Report()
    rng = random.Random(6)

    from pos.core.permissions import Actor
    from pos.data.db import close_database, open_database
    from pos.fiscal import closures, reports

    open_database(args.db)
    z_times, x_times = [], []
    for _ in range(args.runs):
        record_day(args.day_tickets, rng)
        for _ in range(5):
            t0 = time.perf_counter()
            x = closures.x_report(Actor(None, "bench", "manager"))
            x_times.append(time.perf_counter() - t0)
        assert x["ticket_count"] == args.day_tickets, x["ticket_count"]
        t0 = time.perf_counter()
        z = closures.close(Actor(None, "bench", "manager"), "day", counted=x["data"]["cash"]["expected"])
        z_times.append(time.perf_counter() - t0)
        assert z["ticket_count"] == args.day_tickets and z["data"]["cash"]["difference"] == 0
    report.line("closure_day_tickets", args.day_tickets)
    report.stats("closure_x_report", x_times)
    med, p95 = report.stats("closure_z", z_times)
    report.target("closure_z_target_1s", med <= 1000, f"median {med:.0f} ms for {args.day_tickets:,} tickets")
    close_database()

    tmp = Path(tempfile.mkdtemp(prefix="pos-month-"))
    try:
        t0 = time.perf_counter()
        bulk_month(tmp / "month.sqlite3", args.month_tickets, rng)
        report.line("report_month_build_time", time.perf_counter() - t0, "s")
        open_database(tmp / "month.sqlite3")
        start, end = reports.month_period("2026-10")
        boss = Actor(None, "bench", "manager")  # the sales reports are a manager's
        worst = []
        for by in ("day", "article", "department", "vat", "payment", "cashier", "hour"):
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                data = reports.sales_report(boss, start, end, by)
                times.append(time.perf_counter() - t0)
            assert data["summary"]["sales"]["count"] == args.month_tickets if "summary" in data else True
            med, _p95 = report.stats(f"report_month_by_{by}", times)
            worst.append(med)
        pdf_times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            reports.sales_pdf(reports.sales_report(boss, start, end, "article"), tmp / "month.pdf")
            pdf_times.append(time.perf_counter() - t0)
        med, _p95 = report.stats("report_month_by_article_with_pdf", pdf_times)
        report.line("report_month_tickets", args.month_tickets)
        report.target("report_month_target_5s", max(worst + [med]) <= 5000,
                      f"slowest median {max(worst + [med]) / 1000:.2f} s for {args.month_tickets:,} tickets")
        close_database()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
