"""Articles from PrestaShop (pos/sync/articles.py) against the emulator with network latency.

    python bench/bench_sync.py [--products 10000] [--combinations 30000] [--latency 0.02] [--changed 50]

The emulator holds ``products`` synthetic products (plus the 19 demo ones) with
``combinations`` combinations in all, and sleeps ``latency`` seconds before every answer.
Measured: the first full pull (fetch + compare, then the apply; the pages are read
``PAGES_IN_FLIGHT`` requests at once, pos/sync/pages.py), its HTTP requests against the pages
it read, a delta pull after ``changed`` products changed, and the requests per product against
a naive client (one GET per product and per combination).
"""

from __future__ import annotations

import argparse
import gc
import math
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from common import Report  # noqa: E402

FULL_TARGET_S = 60.0
FAST_TARGET_S = 3.0  # issue 15: a full pull of 10,000 products / 30,000 combinations, pull + apply
DELTA_TARGET_S = 5.0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--combinations", type=int, default=30_000)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--changed", type=int, default=50)
    parser.add_argument("--no-freeze", action="store_true",
                        help="leave the emulator's records to the garbage collector (its walks then cost the pull)")
    args = parser.parse_args(argv)
    report = Report()

    from helpers.prestashop.emulator import PrestaShopEmulator

    from pos.core import i18n
    from pos.data.db import close_database, open_database
    from pos.sync import articles
    from pos.sync.client import PrestaShopClient
    from pos.sync.pages import PAGES_IN_FLIGHT

    per_product = max(0, round(args.combinations / args.products)) if args.products else 0
    with tempfile.TemporaryDirectory() as tmp, PrestaShopEmulator(shuffle=False) as ps:
        open_database(Path(tmp) / "bench.sqlite3")
        i18n.set_language("en")
        ps.generate_products(args.products, combinations=per_product)
        # The emulator's records (about 240,000 objects) live in this process, not in the till's: frozen,
        # the garbage collector stops walking them at each full collection (0.5 s over a pull); a shop's
        # own data is in another process.  The till's objects are collected as usual.
        if not args.no_freeze:
            gc.collect()
            gc.freeze()
        n_products = len(ps.data["products"])
        n_combinations = len(ps.data["combinations"])
        client = PrestaShopClient(ps.url, ps.key, timeout=(5.0, 120.0))
        ps.inject("latency", count=None, seconds=args.latency)
        report.line("sync_products", n_products)
        report.line("sync_combinations", n_combinations)
        report.line("sync_latency", args.latency * 1000, "ms")
        report.line("sync_pages_in_flight", PAGES_IN_FLIGHT)

        ps.reset_log()
        t0 = time.perf_counter()
        preview = articles.pull_preview(client, full=True)
        t1 = time.perf_counter()
        done = articles.apply(preview, add=True, update=True, delete=True, user_name="bench")
        t2 = time.perf_counter()
        requests = ps.count()
        product_pages = ps.count("GET", "/api/products")
        page_size = 500
        report.line("sync_full_new", len(preview.new))
        report.line("sync_full_errors", len(preview.errors))
        report.line("sync_full_added", done["added"])
        report.line("sync_full_pull", t1 - t0, "s")
        report.line("sync_full_apply", t2 - t1, "s")
        report.line("sync_full_total", t2 - t0, "s")
        report.line("sync_full_requests", requests)
        report.line("sync_full_product_pages", product_pages)
        pages_needed = math.ceil((n_products + 1) / page_size)  # not counting the pages asked ahead past the end
        report.line("sync_full_product_pages_expected", pages_needed)
        report.target("sync_full_target_60s", t2 - t0 <= FULL_TARGET_S, f"{t2 - t0:.1f} s")
        report.target("sync_full_target_3s", t2 - t0 <= FAST_TARGET_S, f"{t2 - t0:.2f} s")
        limit = 2 * pages_needed + 20
        report.target("sync_full_requests_target", requests <= limit, f"{requests} <= 2 x {pages_needed} + 20")
        naive = 1 + n_products + n_combinations
        report.line("sync_naive_requests", naive)
        report.line("sync_requests_per_product", requests / n_products, "req")
        report.line("sync_naive_requests_per_product", naive / n_products, "req")
        report.line("sync_requests_ratio_naive", naive / requests, "x")

        ids = sorted(ps.data["products"])
        step = max(1, len(ids) // max(1, args.changed))
        changed_ids = ids[::step][: args.changed]
        with ps.lock:
            for pid in changed_ids:
                rec = ps.data["products"][pid]
                rec["price"] = f"{float(rec['price']) + 1:.6f}"
                rec["date_upd"] = ps.now()
        ps.reset_log()
        t0 = time.perf_counter()
        delta = articles.pull_preview(client)
        t1 = time.perf_counter()
        done = articles.apply(delta, add=True, update=True, delete=True, user_name="bench")
        t2 = time.perf_counter()
        report.line("sync_delta_products_fetched", delta.products)
        report.line("sync_delta_changed", len(delta.changed))
        report.line("sync_delta_updated", done["updated"])
        report.line("sync_delta_requests", ps.count())
        report.line("sync_delta_pull", t1 - t0, "s")
        report.line("sync_delta_total", t2 - t0, "s")
        report.target("sync_delta_target_5s", t2 - t0 <= DELTA_TARGET_S, f"{t2 - t0:.2f} s")

        ps.reset_log()
        t0 = time.perf_counter()
        again = articles.pull_preview(client)
        report.line("sync_idle_delta_changed", len(again.changed) + len(again.new))
        report.line("sync_idle_delta_pull", time.perf_counter() - t0, "s")
        report.line("sync_idle_delta_requests", ps.count())
        close_database()
    return 0 if all(ok for _name, ok in report.targets) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
