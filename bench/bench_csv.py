"""CSV export and import of 1,000,000 articles (issue: articles CSV).

    python bench/bench_csv.py DB [--runs N]

DB is a throw-away copy of the 1,000,000-article database.  Each measured run is
a fresh process (its peak RSS is read with ``os.wait4``), on a fresh copy of DB
for imports:

- ``csv_export``: ``pos.catalog.transfer.export`` of every article (target ≤ 10 s);
- ``csv_import``: preview then apply (add + update + delete) of a file of
  1,000,000 rows against the 1,000,000 articles: 10 % changed (price), 1 % new,
  1 % missing (issue 18's targets: ≤ 12 s and ≤ 4 × the executemany below; peak memory ≤ 500 MB);
- ``csv_baseline_executemany``: a raw ``sqlite3`` ``executemany`` insert of the
  same rows into an empty table of the same columns, in the same run: the ratio
  is the import's time over it.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import CACHE, ROOT, Report, copy_to_disk  # noqa: E402

WORK = CACHE / "csv"


def child(mode: str, db: str, path: str) -> None:
    """One measured operation, in its own process; prints one JSON line."""
    sys.path.insert(0, str(ROOT))  # this checkout's pos, whatever is installed
    from pos.catalog.transfer import Import, export
    from pos.core.permissions import Actor
    from pos.data.db import open_database

    open_database(db)
    out: dict[str, float | int] = {}
    t0 = time.perf_counter()
    if mode == "export":
        out["rows"] = export(Actor(None, "bench", "manager"), "articles", path)
        out["export_s"] = time.perf_counter() - t0
    else:
        with Import("articles", path) as job:
            p = job.prepare()
            out["prepare_s"] = time.perf_counter() - t0
            out.update({f"count_{k}": v for k, v in p.counts.items()})
            t1 = time.perf_counter()
            done = job.apply(Actor(None, "bench", "manager"), add=True, update=True, delete=True)
            out["apply_s"] = time.perf_counter() - t1
            out.update({f"done_{k}": v for k, v in done.items()})
        out["total_s"] = time.perf_counter() - t0
    print(json.dumps(out), flush=True)


def measured(*args: str) -> tuple[dict, float]:
    """Run ``child`` in a fresh interpreter; returns its JSON and its peak RSS in MB."""
    proc = subprocess.Popen([sys.executable, __file__, "--child", *args], stdout=subprocess.PIPE, text=True,
                            cwd=ROOT)
    assert proc.stdout is not None
    text = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"child {args[0]} failed ({proc.returncode})")
    return json.loads(text.strip().splitlines()[-1]), usage.ru_maxrss / 1024


def make_import_file(exported: Path, target: Path) -> tuple[int, int, int, int]:
    """From the export: every 10th row's price changed, every 100th (offset 5) dropped, 1 % new rows.

    Returns the counts (rows, changed, new, missing)."""
    changed = dropped = added = rows = 0
    with open(exported, encoding="utf-8-sig", newline="") as src, \
            open(target, "w", encoding="utf-8-sig", newline="") as dst:
        reader = csv.reader(src, delimiter=";")
        writer = csv.writer(dst, delimiter=";", lineterminator="\r\n")
        writer.writerow(next(reader))
        total = 0
        for i, row in enumerate(reader):
            total += 1
            if i % 100 == 5:
                dropped += 1
                continue
            if i % 10 == 0:
                cents = int(row[4].replace(",", "")) + 10
                row[4] = f"{cents // 100},{cents % 100:02d}"
                changed += 1
            writer.writerow(row)
            rows += 1
        for k in range(total // 100):
            row = [f"N{k:07d}", "", f"Nouveau produit {k}", row[3], "2,50", "20", "", "0", "1"]
            writer.writerow(row)
            rows += 1
            added += 1
    return rows, changed, added, dropped


def baseline(import_file: Path) -> float:
    """A raw sqlite3 executemany insert of the same rows (strings converted to integers as pos does):
    the file is read first (not timed), the conversion and the insert are timed."""
    with open(import_file, encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f, delimiter=";")
        next(reader)
        rows = list(reader)
    path = WORK / "baseline.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    t0 = time.perf_counter()
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("CREATE TABLE article (id INTEGER PRIMARY KEY, reference TEXT NOT NULL UNIQUE, barcode TEXT, "
                "name TEXT NOT NULL, department TEXT, price INTEGER NOT NULL, vat INTEGER NOT NULL, cost INTEGER, "
                "stock INTEGER NOT NULL, active INTEGER NOT NULL)")

    def cents(text: str) -> int | None:
        if not text:
            return None
        units, _, frac = text.partition(",")
        return int(units) * 100 + int(frac.ljust(2, "0")[:2])

    con.executemany("INSERT INTO article (reference, barcode, name, department, price, vat, cost, stock, active) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    ((r[0], r[1], r[2], r[3], cents(r[4]), cents(r[5]), cents(r[6]), int(r[7]) * 1000, int(r[8]))
                     for r in rows))
    con.commit()
    con.close()
    return time.perf_counter() - t0


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--child":
        child(*argv[1:])
        return 0
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    report = Report()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    exported = WORK / "articles.csv"

    times, mems = [], []
    for _ in range(args.runs):
        out, mb = measured("export", args.db, str(exported))
        times.append(out["export_s"])
        mems.append(mb)
    report.line("csv_export_rows", out["rows"])
    report.line("csv_export_size", round(exported.stat().st_size / 2**20), "MB")
    med, p95 = report.stats("csv_export", times, "s")
    report.line("csv_export_peak_rss_max", max(mems), "MB")
    report.target("csv_export_target_10s", med <= 10, f"median {med:.1f} s, p95 {p95:.1f} s")

    import_file = WORK / "import.csv"
    n_rows, changed, added, dropped = make_import_file(exported, import_file)
    report.line("csv_import_file_rows", n_rows)
    report.line("csv_import_file_changed", changed)
    report.line("csv_import_file_new", added)
    report.line("csv_import_file_missing", dropped)

    totals, prepares, applies, mems = [], [], [], []
    for _ in range(args.runs):
        work = WORK / "import.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{work}{suffix}").unlink(missing_ok=True)
        copy_to_disk(args.db, work)
        out, mb = measured("import", str(work), str(import_file))
        assert out["count_changed"] == changed and out["count_new"] == added, out
        assert out["count_missing"] == dropped and out["count_invalid"] == 0, out
        assert out["done_added"] == added and out["done_updated"] == changed, out
        assert out["done_deleted"] + out["done_deactivated"] == dropped, out
        totals.append(out["total_s"])
        prepares.append(out["prepare_s"])
        applies.append(out["apply_s"])
        mems.append(mb)
    # after the measured imports: a forked child would count the baseline's rows in its peak memory
    bases = [baseline(import_file) for _ in range(args.runs)]
    report.stats("csv_import_prepare", prepares, "s")
    report.stats("csv_import_apply", applies, "s")
    med, p95 = report.stats("csv_import_total", totals, "s")
    report.line("csv_import_peak_rss_max", max(mems), "MB")
    base_med, _ = report.stats("csv_baseline_executemany", bases, "s")
    report.line("csv_import_vs_executemany_ratio", med / base_med, "x (median over median)")
    report.target("csv_import_target_12s", med <= 12, f"median {med:.1f} s, p95 {p95:.1f} s")
    report.target("csv_import_target_4x_executemany", med <= 4 * base_med, f"{med / base_med:.2f} x")
    report.target("csv_import_target_500MB", max(mems) <= 500, f"max {max(mems):.0f} MB")
    shutil.rmtree(WORK, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
