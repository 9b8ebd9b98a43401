"""Targets 3 and 4: cold start to a usable sale screen, and peak memory.

    python bench/bench_start.py SMALL_DB BIG_DB [--runs N] [--memory-runs M]

Each run spawns a fresh interpreter on bench/start_probe.py; the wall clock is taken by
this process from the spawn until the probe prints ``ready`` (the sale screen with its
first page of article buttons drawn, a cashier logged in).  Runs alternate between the
small and the big database so that machine noise hits both alike.  The OS page cache is
warm (a till restarts on a database it has just used); the first run of each is a
warm-up and is not counted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BENCH, Report, kivy_env  # noqa: E402

START_TARGET_S = 1.5
RATIO_TARGET = 1.2
MEMORY_TARGET_MB = 300.0
PROBE = BENCH / "start_probe.py"


def spawn(cmd: list[str], until: str | None = "ready") -> tuple[float, dict[str, str], float]:
    """Run ``cmd``; returns (seconds until the ``until`` line or the exit, the probe's
    ``key value`` lines, the peak RSS in MB from wait4)."""
    env = kivy_env()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    elapsed = None
    values: dict[str, str] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        key, _, value = line.strip().partition(" ")
        if key == "phase":
            name, _, value = value.partition(" ")
            key = f"phase_{name}"
        values[key] = value
        if until and key == until and elapsed is None:
            elapsed = time.perf_counter() - t0
    _pid, status, usage = os.wait4(proc.pid, 0)
    if elapsed is None:
        elapsed = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read() if proc.stderr else ""
    if proc.returncode != 0 or (until and until not in values):
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err[-3000:]}")
    return elapsed, values, usage.ru_maxrss / 1024


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("small_db")
    parser.add_argument("big_db")
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--memory-runs", type=int, default=3)
    args = parser.parse_args(argv)
    report = Report()
    py = sys.executable

    # the interpreter alone, for reference
    bare = [spawn([py, "-c", "pass"], until=None)[0] for _ in range(args.runs)]
    report.stats("python_bare_start", bare)

    small: list[float] = []
    big: list[float] = []
    detail: dict[str, dict[str, list[float]]] = {"small": {}, "big": {}}
    for run in range(args.runs + 1):
        for label, db, out in (("small", args.small_db, small), ("big", args.big_db, big)):
            elapsed, values, _rss = spawn([py, str(PROBE), db])
            if run == 0:
                continue  # warm-up
            out.append(elapsed)
            for key, value in values.items():
                if key.startswith("phase_") or key in ("login_seconds", "ready"):
                    detail[label].setdefault(key, []).append(float(value))
            if int(values.get("article_buttons", "0")) == 0:
                raise RuntimeError("the sale screen shows no article button")
    med_small, _ = report.stats("start_small_db", small, "s")
    med_big, p95_big = report.stats("start_1m_db", big, "s")
    for label, name in (("small", "start_small_db"), ("big", "start_1m_db")):
        # inside the probe, seconds since its first line (the interpreter's start is not in these)
        for key, values in detail[label].items():
            report.line(f"{name}_{key}_median", statistics.median(values), "s")
    ratio = med_big / med_small
    report.line("start_ratio_1m_over_small_medians", round(ratio, 3))
    report.target(f"start_1m_p95_target_{START_TARGET_S:g}s", p95_big <= START_TARGET_S, f"p95 {p95_big:.2f} s")
    report.target(f"start_1m_median_target_{START_TARGET_S:g}s", med_big <= START_TARGET_S,
                  f"median {med_big:.2f} s")
    report.target(f"start_ratio_target_{RATIO_TARGET:g}", ratio <= RATIO_TARGET, f"{ratio:.3f}")

    # peak memory after 100 scans and 20 searches
    peaks_big, hwm_big, peaks_small = [], [], []
    for _ in range(args.memory_runs):
        _t, values, rss = spawn([py, str(PROBE), args.big_db, "--scans", "100", "--searches", "20"], until=None)
        peaks_big.append(rss)
        hwm_big.append(int(values["vmhwm_kb"]) / 1024)
        _t, values, rss = spawn([py, str(PROBE), args.small_db, "--scans", "100", "--searches", "20"], until=None)
        peaks_small.append(rss)
    report.line("memory_runs", args.memory_runs)
    report.line("memory_peak_rss_1m_db_median", statistics.median(peaks_big), "MB")
    report.line("memory_peak_rss_1m_db_max", max(peaks_big), "MB")
    report.line("memory_vmhwm_1m_db_max", max(hwm_big), "MB")
    report.line("memory_peak_rss_small_db_median", statistics.median(peaks_small), "MB")
    report.target(f"memory_peak_target_{MEMORY_TARGET_MB:g}MB", max(peaks_big) <= MEMORY_TARGET_MB,
                  f"max {max(peaks_big):.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
