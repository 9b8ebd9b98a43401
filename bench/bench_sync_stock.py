"""The stock push: 500 changed articles against the PrestaShop emulator, 20 ms of latency per request.

    python bench/bench_sync_stock.py [--articles N] [--latency S]

A fresh demo database gets N synthetic articles, each linked to a synthetic product of the emulator
(tests/helpers/prestashop/emulator.py, on 127.0.0.1), and sales of every one of them (tickets of 50 lines).
The push is timed with ``latency`` seconds added to every request; the emulator counts the requests.
The writes go ``WRITES_IN_FLIGHT`` at a time (pos/sync/stock.py).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import Report, sale_draft  # noqa: E402


def sell_all(articles: list, lines_per_ticket: int = 50) -> int:
    from pos.data import tickets as tickets_db
    from pos.data import users

    user = users.find_user("Marie")
    tickets = 0
    for start in range(0, len(articles), lines_per_ticket):
        tickets_db.record_ticket(sale_draft(user, articles[start:start + lines_per_ticket], vat_bp=2000))
        tickets += 1
    return tickets


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.02, help="seconds added to every request")
    args = parser.parse_args(argv)

    from pos.core import i18n
    from pos.data import catalog
    from pos.data import sync as data_sync
    from pos.data.db import close_database, open_database
    from pos.demo import add_synthetic_articles, load_demo_shop, synthetic_reference
    from pos.sync.client import PrestaShopClient
    from pos.sync.stock import CHUNK, WRITES_IN_FLIGHT, push_stock
    from tests.helpers.prestashop.emulator import PrestaShopEmulator

    report = Report()
    n = args.articles
    with tempfile.TemporaryDirectory(prefix="bench-stock-") as tmp, PrestaShopEmulator(shuffle=False) as ps:
        open_database(Path(tmp) / "pos.sqlite3")
        i18n.set_language("en")
        load_demo_shop()
        add_synthetic_articles(n)
        articles = [catalog.find_article_by_code(synthetic_reference(i)) for i in range(1, n + 1)]
        products = ps.generate_products(n)
        for article, pid in zip(articles, products):
            data_sync.set_link(article.id, pid, 0, "2026-01-01 00:00:00")
        report.line("stock_tickets", sell_all(articles))
        report.line("stock_articles_changed", n)
        client = PrestaShopClient(ps.url, ps.key, timeout=(5, 30), backoff=0)
        client.supports_patch  # noqa: B018 - the version (one HEAD), as any earlier call would have
        ps.reset_log()
        ps.inject("latency", count=None, seconds=args.latency)
        report.line("stock_latency_per_request", args.latency * 1000, "ms")
        report.line("stock_push_writes_in_flight", WRITES_IN_FLIGHT)
        t0 = time.perf_counter()
        result = push_stock(client)
        elapsed = time.perf_counter() - t0
        ps.clear_faults()
        assert result["status"] == "done" and result["pushed"] == n, result
        requests = ps.count()
        report.line("stock_push_total_time", elapsed, "s")
        report.line("stock_push_per_article", elapsed / n * 1000, "ms")
        report.line("stock_push_requests", requests)
        report.line("stock_push_requests_per_article", requests / n)
        pages = math.ceil(n / CHUNK)  # the reads: one page of stock rows per chunk of articles
        report.target("stock_push_requests_target", requests <= 1.05 * n + pages + 2,
                      f"{requests} <= 1.05 x {n} + {pages} pages + 2 (version, schema)")
        report.target("stock_push_target_12s", elapsed <= 12.0, f"{elapsed:.1f} s")
        report.line("stock_push_latency_sum", requests * args.latency, "s")  # paid once per request if sequential
        t0 = time.perf_counter()
        again = push_stock(client)
        report.line("stock_push_nothing_to_do_time", (time.perf_counter() - t0) * 1000, "ms")
        assert again["pushed"] == 0
        close_database()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
