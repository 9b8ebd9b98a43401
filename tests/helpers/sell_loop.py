"""Child process of tests/test_crash.py: record sales in a loop through
``Till.validate`` and print ``committed N`` (flushed) after each commit, until
killed.  Usage: ``python sell_loop.py DB_PATH [MAX_SALES]``."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pos.core import i18n  # noqa: E402
from pos.data import catalog, shop, users  # noqa: E402
from pos.data.db import open_database  # noqa: E402
from pos.hardware import VirtualDrawer, VirtualPrinter  # noqa: E402
from pos.sale.till import Till  # noqa: E402


def main(path: str, max_sales: int) -> None:
    open_database(path)
    i18n.set_language("en")
    till = Till(printer=VirtualPrinter(), drawer=VirtualDrawer())
    till.login(users.find_user("Marie").id, "1234")
    codes = []
    for dep in shop.departments():
        rows, _ = catalog.page_articles(dep.id, 0, 5)
        codes += [a.reference for a in rows if not a.by_weight and not a.free_price]
    weighed = next(a.reference for dep in shop.departments()
                   for a in catalog.page_articles(dep.id, 0, 50)[0] if a.by_weight)
    for k in range(1, max_sales + 1):
        till.set_pending_qty(1000 * (k % 3 + 1))
        till.scan(codes[k % len(codes)])
        till.scan(codes[(7 * k) % len(codes)])
        if k % 4 == 0:
            till.set_pending_qty(100 + k % 900)
            till.scan(weighed)
        if k % 2:
            till.add_payment("cash", till.totals().total + 1000)  # change, and the drawer opens
        else:
            till.add_payment("card")
        ticket = till.validate()
        print(f"committed {ticket.number}", flush=True)
    till.close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100_000)
