"""Run every benchmark (``make bench``).

    python bench/run_all.py [--quick] [--strict]

Builds (once) and caches the 100- and 1,000,000-article databases under bench/cache/,
runs each benchmark in a fresh process on throw-away copies, prints ``name: value unit``
lines and a summary of the targets, and keeps the output in bench/results/latest.txt.
``--strict`` exits with status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BENCH, RESULTS, ROOT, Report, cached_db, kivy_env, working_copy  # noqa: E402

FULL = {"scans": 1000, "ui_searches": 300, "queries": 400, "rounds": 3, "start_runs": 11,
        "memory_runs": 3, "sales": 2000, "serial_scans": 500,
        "csv_runs": 5, "journal_sales": 2000, "journal_runs": 5, "journal_all_runs": 2, "stock_articles": 500}
QUICK = {"scans": 300, "ui_searches": 100, "queries": 200, "rounds": 2, "start_runs": 7,
         "memory_runs": 1, "sales": 1000, "serial_scans": 300,
         "csv_runs": 2, "journal_sales": 500, "journal_runs": 2, "journal_all_runs": 1, "stock_articles": 100}


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        return out + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def run(report: Report, title: str, script: str, *args: object) -> None:
    """Run one benchmark in a fresh interpreter; its lines go to the report."""
    print(f"# {title}", flush=True)
    report.lines.append(f"# {title}")
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(BENCH / script), *map(str, args)], stdout=subprocess.PIPE,
                            env=kivy_env(), text=True, cwd=ROOT)
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.rstrip("\n")
        print(line, flush=True)
        report.lines.append(line)
        name, _, value = line.partition(": ")
        if "_target_" in name:
            report.targets.append((name, value.startswith("ok")))
    if proc.wait() != 0:
        raise SystemExit(f"{script} failed with status {proc.returncode}")
    report.line(f"{Path(script).stem}_run_time", time.perf_counter() - t0, "s")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller counts (every target is still measured)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    n = QUICK if args.quick else FULL
    started = time.perf_counter()
    report = Report()
    report.line("bench_date", time.strftime("%Y-%m-%d %H:%M:%S"))
    report.line("bench_commit", git_commit())
    report.line("bench_mode", "quick" if args.quick else "full")
    report.line("bench_machine", f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    report.line("bench_load_average_start", load())

    print("# databases (pos --db PATH demo --articles N, cached by schema version)", flush=True)
    small = cached_db(100, report)
    big = cached_db(1_000_000, report)
    report.line("db_1000000_size", round(big.stat().st_size / 2**20), "MB")
    t = time.perf_counter()
    small_work = working_copy(small, "small.sqlite3")
    big_work = working_copy(big, "big.sqlite3")
    report.line("db_working_copies_time", time.perf_counter() - t, "s")

    run(report, "2. search_articles, 1,000,000 articles", "bench_search.py", big_work,
        "--queries", n["queries"], "--rounds", n["rounds"])
    run(report, "1-2. scan and search on the sale screen (Kivy offscreen), 1,000,000 articles", "bench_ui.py",
        big_work, "--scans", n["scans"], "--searches", n["ui_searches"])
    run(report, "3-4. cold start to the sale screen and peak memory", "bench_start.py", small_work, big_work,
        "--runs", n["start_runs"], "--memory-runs", n["memory_runs"])
    run(report, "5. a paid 5-line sale, durable commit", "bench_sale.py", big_work, "--sales", n["sales"])
    run(report, "6. serial scan (pty) to the line on the sale screen, 1,000,000 articles", "bench_serial_scan.py",
        big_work, "--scans", n["serial_scans"])
    run(report, "6b. scan to the line through real X events (Xvfb, xdotool), 1,000,000 articles", "bench_x11_scan.py", big_work, "--scans", 40 if args.quick else 100)  # noqa: E501
    run(report, "7. ESC/POS bytes of a 40-line receipt", "bench_receipt.py")
    run(report, "8. CSV export and import (preview + apply), 1,000,000 articles", "bench_csv.py", big_work,
        "--runs", n["csv_runs"])
    run(report, "8b. xlsx, JSON Lines against CSV in the same run (export; import preview + apply), 1,000,000 articles",
        "bench_sheets.py", big_work, "--runs", n["csv_runs"])
    run(report, "9. fiscal journal: cost per sale, verifying 1,000,000 signed records (default, --all-signatures)",
        "bench_journal.py", small_work, "--sales", n["journal_sales"], "--runs", n["journal_runs"],
        "--all-runs", n["journal_all_runs"])
    run(report, "10. a Z over 5,000 tickets, a monthly report over 150,000 tickets", "bench_closure.py",
        working_copy(small, "closure.sqlite3"), "--runs", n["journal_runs"])
    run(report, "11. PrestaShop article pull: 10,000 products, 30,000 combinations, 20 ms per request (emulator)",
        "bench_sync.py", *(() if not args.quick else ("--products", 2000, "--combinations", 6000)))
    run(report, "12. PrestaShop stock push, changed articles, 20 ms per request (emulator)", "bench_sync_stock.py",
        "--articles", n["stock_articles"])
    sales_work = working_copy(big, "import_sales.sqlite3")
    run(report, "13. sales during a 1,000,000-row import apply (0 refused, p95 wait <= 1 s)", "bench_import_sales.py",
        sales_work)
    run(report, "14. checked backups (online copy, integrity, journal verify) while a till sells beside them",
        "bench_backup.py", working_copy(small, "backup.sqlite3"), "--sales", 5000 if args.quick else 20000)

    stock_work = working_copy(big, "stock.sqlite3")
    run(report, "15. stock: one indexed read on 1,000,000 articles, a 1,000-line goods receipt (<= 1 s), "
        "1,000 shelf labels (<= 5 s)", "bench_stock.py", stock_work, "--runs", 3 if args.quick else 5)
    for suffix in ("", "-wal", "-shm"):
        for path in (small_work, big_work, sales_work, stock_work):
            Path(str(path) + suffix).unlink(missing_ok=True)
    report.line("bench_load_average_end", load())
    report.line("bench_total_time", time.perf_counter() - started, "s")
    missed = [name for name, ok in report.targets if not ok]
    print("# summary", flush=True)
    report.lines.append("# summary")
    report.line("targets_met", f"{len(report.targets) - len(missed)} of {len(report.targets)}")
    for name in missed:
        report.line("target_missed", name)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.txt").write_text("\n".join(report.lines) + "\n")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
