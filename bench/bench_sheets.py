"""Spreadsheet and JSON exports and imports of 1,000,000 articles (issue 18), against CSV in the same run.

    python bench/bench_sheets.py DB [--runs N]

DB is a throw-away copy of the 1,000,000-article database.  Each measured operation is a fresh
process (peak RSS from ``os.wait4``); CSV and the other format alternate, so that both see the
same machine:

- ``xlsx_export``: every article to .xlsx (target <= 30 s, <= 300 MB peak);
- ``jsonl_export`` over ``csv_export``: target <= 1.2 x (median over median);
- ``xlsx_import`` over ``csv_import``: preview then apply (add + update + delete) of the same rows
  (10 % changed, 1 % new, 1 % missing; bench_csv.py's file), the .xlsx written from the CSV with
  codes as text cells and prices, rates and stocks as numbers; target <= 1.5 x.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_csv import make_import_file  # noqa: E402
from common import CACHE, ROOT, Report, copy_to_disk  # noqa: E402

WORK = CACHE / "sheets"


def child(mode: str, db: str, path: str) -> None:
    sys.path.insert(0, str(ROOT))
    from pos.catalog.transfer import Import, export
    from pos.core.permissions import Actor
    from pos.data.db import open_database

    open_database(db)
    out: dict[str, float | int] = {}
    t0 = time.perf_counter()
    if mode == "export":
        out["rows"] = export(Actor(None, "bench", "manager"), "articles", path)
    else:
        with Import("articles", path) as job:
            p = job.prepare()
            out["prepare_s"] = time.perf_counter() - t0
            out.update({f"count_{k}": v for k, v in p.counts.items()})
            done = job.apply(Actor(None, "bench", "manager"), add=True, update=True, delete=True)
            out.update({f"done_{k}": v for k, v in done.items()})
    out["total_s"] = time.perf_counter() - t0
    print(json.dumps(out), flush=True)


def measured(*args: str) -> tuple[dict, float]:
    proc = subprocess.Popen([sys.executable, __file__, "--child", *args], stdout=subprocess.PIPE, text=True,
                            cwd=ROOT)
    assert proc.stdout is not None
    text = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"child {args[0]} {args[2]} failed")
    return json.loads(text.strip().splitlines()[-1]), usage.ru_maxrss / 1024


def csv_to_xlsx(source: Path, target: Path) -> None:
    """The import file as a user's workbook: codes and names as text, prices, rates and stocks as numbers."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(target), {"constant_memory": True})
    ws = book.add_worksheet("articles")
    with open(source, encoding="utf-8-sig", newline="") as f:
        for r, row in enumerate(csv.reader(f, delimiter=";")):
            for c, text in enumerate(row):
                if not text:
                    continue
                if r and c in (4, 5, 6, 7):
                    ws.write_number(r, c, float(text.replace(",", ".")))
                else:
                    ws.write_string(r, c, text)
    book.close()


def fresh_copy(db: str) -> str:
    work = WORK / "import.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    copy_to_disk(db, work)
    return str(work)


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--child":
        child(*argv[1:])
        return 0
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip-import", action="store_true")
    args = ap.parse_args(argv)
    report = Report()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)

    times: dict[str, list[float]] = {"csv": [], "jsonl": [], "xlsx": []}
    mems: dict[str, list[float]] = {"csv": [], "jsonl": [], "xlsx": []}
    for _ in range(args.runs):
        for fmt in times:
            out, mb = measured("export", args.db, str(WORK / f"articles.{fmt}"))
            times[fmt].append(out["total_s"])
            mems[fmt].append(mb)
    report.line("sheets_export_rows", out["rows"])
    med = {}
    for fmt in times:
        med[fmt], _p95 = report.stats(f"{fmt}_export", times[fmt], "s")
        report.line(f"{fmt}_export_peak_rss_max", max(mems[fmt]), "MB")
        report.line(f"{fmt}_export_size", round((WORK / f"articles.{fmt}").stat().st_size / 2**20), "MB")
    report.line("jsonl_vs_csv_export_ratio", med["jsonl"] / med["csv"], "x (median over median)")
    report.target("xlsx_export_target_30s", med["xlsx"] <= 30, f"median {med['xlsx']:.1f} s")
    report.target("xlsx_export_target_300MB", max(mems["xlsx"]) <= 300, f"max {max(mems['xlsx']):.0f} MB")
    report.target("jsonl_export_target_1.2x_csv", med["jsonl"] <= 1.2 * med["csv"],
                  f"{med['jsonl'] / med['csv']:.2f} x")
    if args.skip_import:
        return 0

    csv_file = WORK / "import.csv"
    _rows, changed, added, dropped = make_import_file(WORK / "articles.csv", csv_file)
    xlsx_file = WORK / "import.xlsx"
    csv_to_xlsx(csv_file, xlsx_file)
    imports: dict[str, list[float]] = {"csv": [], "xlsx": []}
    prepares: dict[str, list[float]] = {"csv": [], "xlsx": []}
    peaks: dict[str, list[float]] = {"csv": [], "xlsx": []}
    for _ in range(args.runs):
        for fmt, path in (("csv", csv_file), ("xlsx", xlsx_file)):
            out, mb = measured("import", fresh_copy(args.db), str(path))
            assert out["count_changed"] == changed and out["count_new"] == added, out
            assert out["count_missing"] == dropped and out["count_invalid"] == 0, out
            imports[fmt].append(out["total_s"])
            prepares[fmt].append(out["prepare_s"])
            peaks[fmt].append(mb)
    imed = {}
    for fmt in imports:
        report.stats(f"{fmt}_import_prepare", prepares[fmt], "s")
        imed[fmt], _p95 = report.stats(f"{fmt}_import_total", imports[fmt], "s")
        report.line(f"{fmt}_import_peak_rss_max", max(peaks[fmt]), "MB")
    report.line("xlsx_vs_csv_import_ratio", imed["xlsx"] / imed["csv"], "x (median over median)")
    report.target("xlsx_import_target_1.5x_csv", imed["xlsx"] <= 1.5 * imed["csv"],
                  f"{imed['xlsx'] / imed['csv']:.2f} x")
    shutil.rmtree(WORK, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
