"""Stock: reading an article's stock on 1,000,000 articles, a goods receipt of 1,000 lines, 1,000 shelf labels.

    python bench/bench_stock.py DB [--reads N] [--runs N]

DB is a throw-away copy of the 1,000,000-article database (``make bench`` passes one).

- the stock read: its query plan (one search of ``article`` by its primary key, whatever the number of
  movements) and the time of ``N`` reads of random articles;
- a goods receipt of 1,000 lines through the core (``pos.catalog.stock.receive``: resolve every code,
  check, write 1,000 stock changes and their movements and the journaled event, one durable commit),
  ``runs`` times: target <= 1 s;
- a PDF of 1,000 labels (3x8, barcodes, unit prices), ``runs`` times: target <= 5 s;
- ``pos stock check`` (every article's stock against the sum of its movements) on the whole shop;
- what the movements add to a sale's durable commit: ``record_ticket`` of a 5-line sale with the stock
  triggers, against the same with the triggers dropped (baseline), in alternating blocks in one process.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import Report, sale_draft  # noqa: E402


def sale_cost(report: Report, blocks: int = 8, per_block: int = 50) -> None:
    """``record_ticket`` with the movement triggers against without them (dropped), alternating blocks."""
    from pos.data import catalog, users
    from pos.data import tickets as tickets_db
    from pos.data.models import database

    user = users.find_user("Marie")
    articles = [catalog.find_article_by_code(f"D0{i}") for i in ("10001", "10002", "10003", "20027", "20028")]
    saved = {name: sql for name, sql in database.execute_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ('article_stock_update')")}
    times: dict[bool, list[float]] = {True: [], False: []}
    for block in range(blocks * 2):
        on = block % 2 == 0
        for name, sql in saved.items():
            database.execute_sql(f"DROP TRIGGER IF EXISTS {name}")
            if on:
                database.execute_sql(sql)
        for _ in range(per_block):
            draft = sale_draft(user, articles, vat_bp=2000)
            t = time.perf_counter()
            tickets_db.record_ticket(draft)
            times[on].append(time.perf_counter() - t)
    for name, sql in saved.items():  # as it was
        database.execute_sql(f"DROP TRIGGER IF EXISTS {name}")
        database.execute_sql(sql)
    with_med, _p = report.stats("stock_sale_commit_with_movements", times[True], "ms")
    without_med, _p = report.stats("stock_sale_commit_without_movements_baseline", times[False], "ms")
    report.line("stock_sale_commit_movements_added", with_med - without_med, "ms")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("db")
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)

    from pos.catalog import labels, stock
    from pos.core import i18n
    from pos.core.permissions import Actor
    from pos.data import catalog
    from pos.data import stock as stock_db
    from pos.data.db import close_database, open_database
    from pos.data.models import database

    report = Report()
    open_database(Path(args.db))
    i18n.set_language("fr")
    count, max_id = database.execute_sql("SELECT COUNT(*), MAX(id) FROM article").fetchone()
    report.line("stock_articles", count)
    report.line("stock_movements", database.execute_sql("SELECT COUNT(*) FROM stock_move").fetchone()[0])

    plan = database.execute_sql('EXPLAIN QUERY PLAN SELECT "t1"."stock" FROM "article" AS "t1" '
                                'WHERE ("t1"."id" = ?)', (1,)).fetchall()
    detail = "; ".join(r[-1] for r in plan)
    report.line("stock_read_plan", detail)
    report.target("stock_read_target_one_indexed_query", len(plan) == 1 and "PRIMARY KEY" in detail, detail)
    plan = database.execute_sql("EXPLAIN QUERY PLAN SELECT id FROM stock_move m WHERE m.article_id = ? "
                                "ORDER BY m.id DESC LIMIT 50", (1,)).fetchall()
    report.line("stock_moves_plan", "; ".join(r[-1] for r in plan))

    rng = random.Random(17)
    ids = [rng.randint(1, max_id) for _ in range(args.reads)]
    times = []
    for aid in ids:
        t = time.perf_counter()
        catalog.article_stock(aid)
        times.append(time.perf_counter() - t)
    report.stats("stock_read", times, "us")

    codes = [r[0] for r in database.execute_sql(
        "SELECT reference FROM article WHERE by_weight = 0 AND active = 1 ORDER BY random() LIMIT 1000")]
    manager = Actor(None, "Claire", "manager")
    times = []
    for run in range(args.runs):
        t = time.perf_counter()
        stock.receive(manager, [(c, 2000) for c in codes], costs={codes[0]: 100 + run}, reference=f"bench {run}")
        times.append(time.perf_counter() - t)
    _med, p95 = report.stats("stock_receive_1000_lines", times, "s")
    report.target("stock_receive_target_1s", p95 <= 1.0, f"p95 {p95:.3f} s")

    rows = stock_db.labels(codes=codes)
    database.execute_sql("UPDATE article SET net_qty = 500, net_unit = 'kg' WHERE id IN (SELECT value FROM "
                         "json_each(?))", ("[" + ",".join(str(r["id"]) for r in rows[::2]) + "]",))
    times = []
    with tempfile.TemporaryDirectory(prefix="bench-labels-") as tmp:
        for run in range(args.runs):
            t = time.perf_counter()
            pages = labels.write_pdf(Path(tmp) / f"labels{run}.pdf", rows, "3x8")
            times.append(time.perf_counter() - t)
        report.line("stock_labels_pages", pages)
        report.line("stock_labels_pdf_size", round((Path(tmp) / "labels0.pdf").stat().st_size / 1024), "KB")
    _med, p95 = report.stats("stock_labels_1000", times, "s")
    report.target("stock_labels_target_5s", p95 <= 5.0, f"p95 {p95:.2f} s")

    t = time.perf_counter()
    wrong = stock_db.check()
    report.line("stock_check_time", time.perf_counter() - t, "s")
    report.target("stock_check_clean", not wrong, f"{len(wrong)} articles differ")
    sale_cost(report)  # last: the baseline's sales move stock without movements (a throw-away copy)
    close_database()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
