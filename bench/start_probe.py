"""Start-up probe: one fresh process from nothing to a usable sale screen.

    python bench/start_probe.py DB [--scans N] [--searches N] [--seed S]

Prints ``phase <name> <seconds since the first line of this script>`` lines, then
``ready <seconds>`` once the sale screen with its first page of article buttons has
been drawn (one frame).  With ``--scans``/``--searches`` it then scans and searches
on the sale screen (as the cashier would) and prints ``vmhwm_kb <peak RSS>``.

The parent (bench_start.py) times the wall clock from spawning to ``ready``, so
the interpreter's own start is counted too.
"""

import time

T0 = time.perf_counter()

import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402


def phase(name: str) -> None:
    print(f"phase {name} {time.perf_counter() - T0:.6f}", flush=True)


def vm_hwm_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("--scans", type=int, default=0)
    parser.add_argument("--searches", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    # the same environment the benchmarks give every Kivy process (set before kivy)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import setup_kivy_env

    setup_kivy_env()

    from pos.data.db import open_database

    open_database(args.db)
    phase("db_open")

    # the app module first: it sets the window size before the window is created
    from pos.screens.app import PosApp

    phase("app_import")
    from kivy.base import EventLoop
    from kivy.core.window import Window

    app = PosApp()
    root = app.build()
    app.root = root
    Window.add_widget(root)
    EventLoop.idle()  # the login screen is drawn
    phase("login_screen")

    from pos.data import catalog, users

    user = users.find_user("Marie")
    t = time.perf_counter()
    app.till.login(user.id, "1234")
    print(f"login_seconds {time.perf_counter() - t:.6f}", flush=True)
    phase("logged_in")
    sale = app.show("sale")
    EventLoop.idle()  # the sale screen and its first page of article buttons are drawn
    shown = sum(1 for b in sale.article_buttons if b.article is not None)
    print(f"article_buttons {shown}", flush=True)
    print(f"ready {time.perf_counter() - T0:.6f}", flush=True)

    if args.scans or args.searches:
        import random

        from pos.demo import synthetic_barcode
        from pos.sale.basket import Basket

        rng = random.Random(args.seed)
        count = catalog.count_synthetic()
        for k in range(args.scans):
            if count:
                sale.scan(synthetic_barcode(rng.randint(1, count)))
            EventLoop.idle()
            if k % 20 == 19:
                app.till.basket = Basket()
                sale.refresh()
        words = ["caf", "pain bio", "fromage", "thé vert", "vin rouge", "A00123", "choc", "biscuit doux",
                 "savon", "jus", "miel", "bière", "tarte maison", "riz", "sauce", "confiture abr"]
        for k in range(args.searches):
            sale.ids.search.text = words[k % len(words)]
            sale._search.cancel()
            sale.run_search()
            EventLoop.idle()
        sale.clear_search()
        EventLoop.idle()
    print(f"vmhwm_kb {vm_hwm_kb()}", flush=True)
    sys.stdout.flush()
    # skip Kivy's and peewee's teardown: nothing here needs it (every commit is durable)
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
