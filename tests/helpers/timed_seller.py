"""A seller in its own process, for the tests and the benchmark of an import applied while the till
sells (issue 13, item 4).  It rings up one sale every ``PAUSE`` seconds through ``Till.validate``
and prints, for each, ``ok SECONDS`` (how long ``validate`` took, waiting for the lock included)
or ``refused MESSAGE``, until the file STOP exists.

    python timed_seller.py DB_PATH STOP [BUSY_TIMEOUT_MS] [CODES]

``BUSY_TIMEOUT_MS`` (default: the till's) is how long a sale may wait for the write lock before
it is refused; ``CODES`` (comma-separated) the articles it sells (default: the demo's first).
It prints ``ready`` once logged in.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pos.core import i18n  # noqa: E402
from pos.data import users  # noqa: E402
from pos.data.db import open_database  # noqa: E402
from pos.data.models import database  # noqa: E402
from pos.hardware import VirtualDrawer, VirtualPrinter  # noqa: E402
from pos.sale.basket import Basket  # noqa: E402
from pos.sale.till import Till  # noqa: E402

PAUSE = 0.05


def main(path: str, stop: str, busy_ms: int | None, codes: list[str]) -> None:
    open_database(path)
    if busy_ms is not None:
        database.execute_sql(f"PRAGMA busy_timeout = {busy_ms}")
    i18n.set_language("en")
    till = Till(printer=VirtualPrinter(), drawer=VirtualDrawer())
    till.login(users.find_user("Marie").id, "1234", log=False)
    print("ready", flush=True)
    k = 0
    while not os.path.exists(stop):
        till.scan(codes[k % len(codes)])
        till.add_payment("card")
        t0 = time.perf_counter()
        try:
            till.validate(keep_saved_basket=True)
            print(f"ok {time.perf_counter() - t0:.4f}", flush=True)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            print(f"refused {type(exc).__name__}: {exc}".replace("\n", " "), flush=True)
            till.basket = Basket()  # the next sale starts afresh
        k += 1
        time.sleep(PAUSE)
    till.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] else None,
         sys.argv[4].split(",") if len(sys.argv) > 4 else ["D010001", "D010002", "D010003"])
