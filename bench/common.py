"""Shared helpers for the benchmarks: environment, statistics, the cached databases."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CACHE = BENCH / "cache"
RESULTS = BENCH / "results"

KIVY_ENV = {
    "KIVY_NO_ARGS": "1",
    "KIVY_NO_FILELOG": "1",
    "KIVY_NO_CONSOLELOG": "1",
    "KIVY_CLIPBOARD": "dummy",
    "KCFG_GRAPHICS_MAXFPS": "0",
    "KCFG_INPUT_MOUSE": "",
    "SDL_VIDEODRIVER": "offscreen",
    "POS_NO_SOUND": "1",
}


def kivy_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for an offscreen Kivy (a private KIVY_HOME, no DISPLAY)."""
    env = dict(os.environ if base is None else base)
    env.update(KIVY_ENV)
    env.pop("DISPLAY", None)
    env.setdefault("KIVY_HOME", str(CACHE / "kivy_home"))
    return env


def setup_kivy_env() -> None:
    """Call before anything imports kivy."""
    os.environ.update(kivy_env())
    os.environ.pop("DISPLAY", None)
    Path(os.environ["KIVY_HOME"]).mkdir(parents=True, exist_ok=True)


def open_sale_screen(db_path, user_name: str = "Marie", pin: str = "1234"):
    """The real app, offscreen, on ``db_path``: logged in, the sale screen shown.  Returns (app, sale)."""
    from pos.data.db import open_database

    open_database(db_path)
    from pos.screens.app import PosApp  # first: it sets the window size before the window exists

    # isort: split
    from kivy.base import EventLoop
    from kivy.core.window import Window

    from pos.data import users

    app = PosApp()
    root = app.build()
    app.root = root
    Window.add_widget(root)
    for _ in range(3):
        EventLoop.idle()
    app.till.login(users.find_user(user_name).id, pin)
    sale = app.show("sale")
    EventLoop.idle()
    return app, sale


# ---------------------------------------------------------------- tickets
def sale_draft(user, articles: list, *, vat_bp: int | None = None, cash: bool = False):
    """The draft of a sale of one of each of ``articles`` (``ArticleInfo``; all at ``vat_bp`` if given),
    paid by card, or in cash rounded up to 5 € (with change), made as the till makes it."""
    from pos.data import common as common_db
    from pos.sale.basket import Basket, Line, Payment
    from pos.sale.draft import ticket_draft

    basket = Basket(lines=[Line(a.name, a.price, 1000, a.vat_bp if vat_bp is None else vat_bp, article_id=a.id,
                                reference=a.reference, department=a.department) for a in articles])
    total = basket.total
    basket.payments.append(Payment("cash", "Espèces", (total // 500 + 1) * 500, True) if cash
                           else Payment("card", "Carte bancaire", total))
    return ticket_draft(basket, basket.totals(), user_id=user.id, user_name=user.name,
                        created_at=common_db.now_iso())


# ---------------------------------------------------------------- statistics
def percentile(values: list[float], p: float) -> float:
    """Nearest-rank-with-interpolation percentile (p in 0..100)."""
    data = sorted(values)
    if not data:
        return float("nan")
    k = (len(data) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (k - lo)


class Report:
    """Prints ``name: value unit`` lines and keeps them for bench/results/latest.txt."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.targets: list[tuple[str, bool]] = []

    def line(self, name: str, value: object, unit: str = "") -> None:
        if isinstance(value, float):
            text = f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"
            if abs(value) >= 10_000:
                text = f"{value:.0f}"
        else:
            text = str(value)
        out = f"{name}: {text}{(' ' + unit) if unit else ''}"
        print(out, flush=True)
        self.lines.append(out)

    def stats(self, name: str, values_s: list[float], unit: str = "ms") -> tuple[float, float]:
        """median, p95 (and max) of durations given in seconds; returns (median, p95) in ``unit``."""
        scale = {"ms": 1000.0, "s": 1.0, "us": 1e6}[unit]
        med = statistics.median(values_s) * scale
        p95 = percentile(values_s, 95) * scale
        self.line(f"{name}_n", len(values_s))
        self.line(f"{name}_median", med, unit)
        self.line(f"{name}_p95", p95, unit)
        self.line(f"{name}_max", max(values_s) * scale, unit)
        return med, p95

    def target(self, name: str, ok: bool, detail: str = "") -> None:
        self.targets.append((name, ok))
        self.line(name, ("ok" if ok else "MISSED") + (f" ({detail})" if detail else ""))


# ---------------------------------------------------------------- databases
def schema_version() -> int:
    from pos.data.migrations import LATEST

    return LATEST


def _pos_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("pos")
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-c", "import sys; from pos.cli.commands import main; sys.exit(main())"]


def cached_db(articles: int, report: Report | None = None) -> Path:
    """The demo shop plus ``articles`` synthetic articles, built once with
    ``pos --db PATH demo --articles N`` and kept in bench/cache/ (keyed by schema version)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    key = f"pos-schema{schema_version()}-{articles}"
    path = CACHE / f"{key}.sqlite3"
    meta = CACHE / f"{key}.json"
    label = f"db_{articles}"
    if path.exists() and meta.exists():
        info = json.loads(meta.read_text())
        if report:
            report.line(f"{label}_cached", "yes")
            report.line(f"{label}_build_time", float(info["build_seconds"]), "s")
        return path
    for stale in CACHE.glob(f"pos-schema*-{articles}.*"):  # built for another schema version
        stale.unlink()
    for stale in CACHE.glob("build-*"):  # an interrupted build
        shutil.rmtree(stale, ignore_errors=True)
    tmp_dir = Path(tempfile.mkdtemp(prefix="build-", dir=CACHE))
    tmp = tmp_dir / path.name
    cmd = _pos_cmd() + ["--db", str(tmp), "demo", "--articles", str(articles)]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=dict(os.environ, LANG="C.UTF-8"))
    # fold the WAL back into the file so every run starts from the same state
    import sqlite3

    con = sqlite3.connect(tmp)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("PRAGMA optimize")
    con.close()
    seconds = time.perf_counter() - t0
    for suffix in ("-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    tmp.replace(path)
    shutil.rmtree(tmp_dir, ignore_errors=True)
    meta.write_text(json.dumps({"articles": articles, "schema": schema_version(), "build_seconds": seconds,
                                "built_at": time.strftime("%Y-%m-%d %H:%M:%S")}))
    if report:
        report.line(f"{label}_cached", "no")
        report.line(f"{label}_build_time", seconds, "s")
    return path


def working_copy(src: Path, name: str) -> Path:
    """A throw-away copy of a cached database (benchmarks that write never touch the cache)."""
    dst_dir = CACHE / "work"
    dst_dir.mkdir(parents=True, exist_ok=True)
    dst = dst_dir / name
    for suffix in ("", "-wal", "-shm"):
        Path(str(dst) + suffix).unlink(missing_ok=True)
    copy_to_disk(src, dst)
    return dst


def copy_to_disk(src: Path | str, dst: Path | str) -> None:
    """Copy a database and wait until the copy is on disk: the kernel writing half a gigabyte back
    meanwhile would slow the commits of the operation measured next."""
    shutil.copyfile(src, dst)
    with open(dst, "rb+") as f:
        os.fsync(f.fileno())
