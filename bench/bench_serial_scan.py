"""Serial scan → line visible on the sale screen, over a pseudo-terminal (target: p95 ≤ 30 ms).

    python bench/bench_serial_scan.py [DB] [--scans N] [--seed S]

The real app offscreen (as bench_ui.py), a pty pair, and a ``SerialScanner`` reading the
slave side on its own thread, wired as the app wires it: ``on_scan`` hands the code to
the UI thread with ``Clock.schedule_once``.  Each scan writes ``code + "\\r"`` on the master
side (as the scanner would), then runs ``EventLoop.idle()`` until the article's line is in
the basket's RecycleView data; the time is from the write to that frame.  As in
bench_ui.py, the frames of the previous scan are finished (and ``glFinish``-ed, untimed)
before each scan, as they are between two scans at a cashier's pace.

Without DB: the cached benchmark database of bench/common.py for the current schema (a
throw-away copy) if there is one, else a demo shop with 2,000 synthetic articles in a
temporary directory.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
import tty
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import CACHE, Report, open_sale_screen, schema_version, setup_kivy_env, working_copy  # noqa: E402

TARGET_MS = 30.0
FRAME_LIMIT_S = 5.0  # a scan that does not show within this is a failure, not a slow sample


def pick_database(report: Report) -> tuple[Path, Path | None]:
    """(database path, temporary directory to remove or None)."""
    for articles in (1_000_000, 100):
        cached = CACHE / f"pos-schema{schema_version()}-{articles}.sqlite3"
        if cached.exists():
            report.line("serial_scan_db", f"cached {articles} articles (copy)")
            return working_copy(cached, "serial_scan.sqlite3"), None
    tmp = Path(tempfile.mkdtemp(prefix="pos-bench-serial-"))
    path = tmp / "pos.sqlite3"
    from pos.data.db import close_database, open_database
    from pos.demo import add_synthetic_articles, load_demo_shop

    t0 = time.perf_counter()
    open_database(path)
    load_demo_shop()
    add_synthetic_articles(2000)
    close_database()
    report.line("serial_scan_db", "demo shop + 2000 synthetic articles (temporary)")
    report.line("serial_scan_db_build_time", time.perf_counter() - t0, "s")
    return path, tmp


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("db", nargs="?")
    parser.add_argument("--scans", type=int, default=300)
    parser.add_argument("--seed", type=int, default=20240602)
    args = parser.parse_args(argv)
    setup_kivy_env()
    report = Report()
    tmp_dir = None
    if args.db:
        db_path = Path(args.db)
    else:
        db_path, tmp_dir = pick_database(report)


    app, sale = open_sale_screen(db_path)
    from kivy.base import EventLoop
    from kivy.clock import Clock
    from kivy.graphics.opengl import glFinish
    from queries import synthetic_name

    from pos.data import catalog
    from pos.demo import synthetic_barcode
    from pos.hardware.scanner import SerialScanner
    from pos.hardware.urls import parse
    from pos.sale.basket import Basket

    count = catalog.count_synthetic()
    report.line("serial_scan_db_articles", catalog.count_articles())
    if count < 40:
        print("the database has too few synthetic articles (pos demo --articles N)", file=sys.stderr)
        return 1

    master, slave = os.openpty()
    tty.setraw(slave)
    url = parse(f"serial://{os.ttyname(slave)}?baudrate=9600&suffix=CR", "scanner")
    statuses: list[str] = []
    scanner = SerialScanner(url, on_scan=lambda code: Clock.schedule_once(lambda dt: sale.scan(code)),
                            on_status=statuses.append)
    scanner.start()
    deadline = time.monotonic() + FRAME_LIMIT_S
    while scanner.status != "connected":
        if time.monotonic() > deadline:
            print(f"the scanner did not connect to {url}", file=sys.stderr)
            return 1
        time.sleep(0.001)

    rng = random.Random(args.seed)
    in_basket: set[int] = set()

    def clear_basket() -> None:
        app.till.basket = Basket()
        sale.refresh()
        in_basket.clear()
        EventLoop.idle()

    def one_scan() -> float:
        i = rng.randint(1, count)
        while i in in_basket:  # a new line each time (the same article again only adds to its quantity)
            i = rng.randint(1, count)
        in_basket.add(i)
        code, name = synthetic_barcode(i), synthetic_name(i)
        rows = len(sale.ids.basket.data)
        # between two scans at a cashier's pace the previous scan's frames are done and on screen
        for _ in range(2):
            EventLoop.idle()
        glFinish()
        t0 = time.perf_counter()
        os.write(master, code.encode() + b"\r")
        limit = t0 + FRAME_LIMIT_S
        while True:
            # yield the GIL between frames, as Kivy's own loop does when it waits for its next
            # frame: a pure-Python busy loop would starve the reader thread (up to the 5 ms
            # switch interval per hand-over), which no real app does
            time.sleep(0)
            EventLoop.idle()
            data = sale.ids.basket.data
            if len(data) > rows and data[-1].get("name") == name:
                return time.perf_counter() - t0
            if time.perf_counter() > limit:
                raise AssertionError(f"scan {code} ({name}) not in the basket after {FRAME_LIMIT_S} s")

    try:
        for _k in range(20):  # warm-up, not counted
            one_scan()
        clear_basket()
        times = []
        for k in range(args.scans):
            times.append(one_scan())
            if k % 20 == 19:
                clear_basket()
        _, p95 = report.stats("serial_scan_to_line", times)
        report.line("serial_scan_scanner_reconnects", statuses.count("connected") - 1)
        report.target(f"serial_scan_to_line_p95_target_{TARGET_MS:g}ms", p95 <= TARGET_MS, f"{p95:.1f} ms")
    finally:
        scanner.stop()
        os.close(slave)
        os.close(master)
        if tmp_dir is not None:
            shutil.rmtree(tmp_dir, ignore_errors=True)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    rc = main(sys.argv[1:])
    os._exit(rc)
