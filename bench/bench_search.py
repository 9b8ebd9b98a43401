"""Target 2 (data path): ``catalog.search_articles`` on the 1,000,000-article database.

    python bench/bench_search.py DB [--queries N] [--rounds R] [--seed S]

Every query is run ``rounds`` times, in a shuffled order, so one slow query is seen
as such rather than as noise; the slowest queries are listed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Report  # noqa: E402
from queries import make_queries  # noqa: E402

TARGET_MS = 50.0
LIMIT = 100  # what the sale screen asks for


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    report = Report()

    from pos.data import catalog
    from pos.data.db import open_database

    open_database(args.db)
    count = catalog.count_synthetic()
    queries = make_queries(args.queries, seed=args.seed, count=count or 1_000_000)
    for q in queries[:20]:  # warm-up (page cache), not counted
        catalog.search_articles(q, limit=LIMIT)

    order = [q for _ in range(args.rounds) for q in queries]
    random.Random(args.seed).shuffle(order)
    times: list[float] = []
    per_query: dict[str, list[float]] = {}
    hits: dict[str, int] = {}
    for q in order:
        t0 = time.perf_counter()
        found = catalog.search_articles(q, limit=LIMIT)
        dt = time.perf_counter() - t0
        times.append(dt)
        per_query.setdefault(q, []).append(dt)
        hits[q] = len(found)
    report.line("search_store_distinct_queries", len(per_query))
    report.line("search_store_limit", LIMIT)
    report.line("search_store_queries_without_result", sum(1 for n in hits.values() if n == 0))
    _, p95 = report.stats("search_store", times)
    slow = sorted(per_query.items(), key=lambda kv: -statistics.median(kv[1]))[:5]
    for rank, (q, ts) in enumerate(slow, 1):
        report.line(f"search_store_slowest_{rank}", statistics.median(ts) * 1000, f"ms  ({q!r}, {hits[q]} found)")
    report.target(f"search_store_p95_target_{TARGET_MS:g}ms", p95 <= TARGET_MS, f"{p95:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
