"""Sales made while a 1,000,000-row import is applied (issue 13: an import never blocks sales).

    python bench/bench_import_sales.py DB

DB is a throw-away copy of the 1,000,000-article database.  The import file is bench_csv's (every
article, 10 % of the prices changed, 1 % new, 1 % missing).  A seller process rings up a sale
every 50 ms through ``Till.validate`` with the till's own lock timeout, from before the apply
starts until after it ends; the applying process prints when the apply starts and ends.  Lines:

- ``import_sales_apply``: the apply's duration;
- ``import_sales_during_apply_n``, ``_refused``: the sales started during the apply, and those refused;
- ``import_sales_wait_median``, ``_p95``, ``_max``: how long each of them took (waiting for the lock
  included).  Targets: 0 refused, p95 ≤ 1 s.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import CACHE, ROOT, Report, percentile  # noqa: E402

WORK = CACHE / "import_sales"
PAUSE = 0.05


def seller(db: str, stop: str) -> None:
    """Sell until ``stop`` exists; one JSON line per sale: start (wall time), seconds, refused."""
    sys.path.insert(0, str(ROOT))
    from pos.core import i18n
    from pos.data import users
    from pos.data.db import open_database
    from pos.hardware import VirtualDrawer, VirtualPrinter
    from pos.sale.basket import Basket
    from pos.sale.till import Till

    open_database(db)
    i18n.set_language("en")
    till = Till(printer=VirtualPrinter(), drawer=VirtualDrawer())
    till.login(users.find_user("Marie").id, "1234", log=False)
    codes = ["D010001", "A0000001", "D010002", "A0000002"]
    print(json.dumps({"ready": True}), flush=True)
    k = 0
    while not Path(stop).exists():
        till.scan(codes[k % len(codes)])
        till.add_payment("card")
        start, t0 = time.time(), time.perf_counter()
        try:
            till.validate(keep_saved_basket=True)
            refused = ""
        except Exception as exc:  # noqa: BLE001 - counted by the benchmark
            refused = f"{type(exc).__name__}: {exc}"
            till.basket = Basket()
        print(json.dumps({"start": start, "s": time.perf_counter() - t0, "refused": refused}), flush=True)
        k += 1
        time.sleep(PAUSE)
    till.close()


def applier(db: str, path: str) -> None:
    sys.path.insert(0, str(ROOT))
    from pos.catalog.transfer import Import
    from pos.core.permissions import Actor
    from pos.data.db import open_database

    open_database(db)
    with Import("articles", path) as job:
        p = job.prepare()
        start = time.time()
        done = job.apply(Actor(None, "bench", "manager"), add=True, update=True, delete=True)
        end = time.time()
    print(json.dumps({"start": start, "end": end, "changed": p.counts["changed"], **done}), flush=True)


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--seller":
        seller(*argv[1:])
        return 0
    if argv and argv[0] == "--applier":
        applier(*argv[1:])
        return 0
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    args = ap.parse_args(argv)
    report = Report()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    from bench_csv import make_import_file

    sys.path.insert(0, str(ROOT))
    from pos.catalog.transfer import export
    from pos.core.permissions import Actor
    from pos.data.db import close_database, open_database

    open_database(args.db)
    exported, import_file = WORK / "articles.csv", WORK / "import.csv"
    export(Actor(None, "bench", "manager"), "articles", exported)
    close_database()
    make_import_file(exported, import_file)
    stop = WORK / "stop"
    sell = subprocess.Popen([sys.executable, __file__, "--seller", args.db, str(stop)], stdout=subprocess.PIPE,
                            text=True, cwd=ROOT)
    assert sell.stdout is not None and json.loads(sell.stdout.readline()).get("ready")
    apply = subprocess.run([sys.executable, __file__, "--applier", args.db, str(import_file)], capture_output=True,
                           text=True, cwd=ROOT)
    time.sleep(0.5)
    stop.write_text("")
    out, _err = sell.communicate(timeout=120)
    if apply.returncode != 0:
        raise SystemExit(f"applier failed: {apply.stderr[-2000:]}")
    result = json.loads(apply.stdout.strip().splitlines()[-1])
    sales = [json.loads(line) for line in out.splitlines() if line.strip()]
    during = [s for s in sales if result["start"] <= s["start"] <= result["end"]]
    refused = [s for s in during if s["refused"]]
    waits = [s["s"] for s in during if not s["refused"]] or [float("nan")]
    report.line("import_sales_rows_changed", result["changed"])
    report.line("import_sales_apply", result["end"] - result["start"], "s")
    report.line("import_sales_during_apply_n", len(during))
    report.line("import_sales_during_apply_refused", len(refused))
    p95 = percentile(waits, 95)
    report.line("import_sales_wait_median", percentile(waits, 50) * 1000, "ms")
    report.line("import_sales_wait_p95", p95 * 1000, "ms")
    report.line("import_sales_wait_max", max(waits) * 1000, "ms")
    report.target("import_sales_refused_0", not refused and len(during) > 0,
                  f"{len(refused)} of {len(during)}" + (f": {refused[0]['refused']}" if refused else ""))
    report.target("import_sales_p95_1s", p95 <= 1.0, f"p95 {p95 * 1000:.0f} ms")
    shutil.rmtree(WORK, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
