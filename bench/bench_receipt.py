"""Rendering the ESC/POS bytes of a 40-line receipt (target: 20 ms).

    python bench/bench_receipt.py [--runs N] [--columns C] [--profile P]

A throw-away demo shop (in a temporary folder) sells 40 different articles through the
Till (a few by weight, a line discount, a ticket discount, cash with change, three VAT
rates); ``render_receipt`` of that ticket is then timed alone, as the printer job does
it before sending: the text layout, the code page, the barcode, the cut.  Also timed:
the first call (profile and code page tables loading), a DUPLICATA and a receipt with
a logo (cached after its first use).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import Report  # noqa: E402

TARGET_MS = 20.0
LINES = 40


def make_ticket(folder: Path):
    from pos.core import i18n, settings
    from pos.data import catalog, users
    from pos.data.db import open_database
    from pos.demo import load_demo_shop
    from pos.hardware import VirtualDrawer, VirtualPrinter
    from pos.sale.basket import Discount
    from pos.sale.till import Till

    open_database(folder / "pos.sqlite3")
    i18n.set_language("fr")
    load_demo_shop()
    settings.set_value("receipt.header", "« Fait maison » — cœur de Lyon")
    till = Till(printer=VirtualPrinter(), drawer=VirtualDrawer())
    till.login(users.find_user("Claire").id, "9999")  # a manager: the ticket discount needs no PIN
    # articles spread over the whole demo catalogue: all departments, so 5.5 %, 10 % and 20 % VAT
    step = max(1, catalog.count_articles() // (LINES + 2))
    candidates = (catalog.get_article(i) for i in range(1, catalog.count_articles() + 1, step))
    articles = [a for a in candidates if a is not None and not a.free_price][:LINES]
    for k, article in enumerate(articles):
        if article.by_weight:
            till.set_pending_qty(250 + 37 * k)
        elif k % 7 == 3:
            till.set_pending_qty(2000)
        till.add_article(article)
    till.set_line_discount(1, Discount("percent", 1000))
    till.set_ticket_discount(Discount("percent", 500))
    total = till.basket.total
    till.add_payment("cash", (total // 1000 + 1) * 1000)
    ticket = till.validate()
    till.close()
    assert len(ticket.lines) == LINES, len(ticket.lines)
    return ticket, settings.all_values()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--columns", type=int, default=48)
    parser.add_argument("--profile", default="TM-T20II")
    args = parser.parse_args(argv)
    report = Report()

    from PIL import Image

    from pos.data.db import close_database

    with tempfile.TemporaryDirectory(prefix="bench-receipt-") as tmp:
        folder = Path(tmp)
        ticket, values = make_ticket(folder)
        logo = folder / "logo.png"
        Image.new("RGB", (400, 160), (40, 40, 40)).save(logo)

        t0 = time.perf_counter()
        from pos.hardware.escpos_render import choose_codepage, render_receipt

        data = render_receipt(ticket, values, columns=args.columns, profile=args.profile)
        first = time.perf_counter() - t0
        if not data.endswith(b"\x1dV\x00") or f"T{ticket.number:09d}".encode() not in data:
            print("the receipt does not end with its barcode and a cut", file=sys.stderr)
            return 1

        def timed(**kw: object) -> list[float]:
            out = []
            for _ in range(args.runs):
                t = time.perf_counter()
                render_receipt(ticket, values, columns=args.columns, profile=args.profile, **kw)
                out.append(time.perf_counter() - t)
            return out

        for _ in range(20):  # warm-up, not counted
            render_receipt(ticket, values, columns=args.columns, profile=args.profile)
        plain = timed()
        duplicate = timed(copy=1)
        with_logo = timed(logo=str(logo))
        close_database()

    report.line("receipt_render_profile", args.profile)
    report.line("receipt_render_columns", args.columns)
    report.line("receipt_render_codepage", choose_codepage(args.profile)[0])
    report.line("receipt_render_40_lines_bytes", len(data))
    report.line("receipt_render_first_call", first * 1000, "ms")
    _, p95 = report.stats("receipt_render_40_lines", plain)
    report.stats("receipt_render_40_lines_duplicata", duplicate)
    report.stats("receipt_render_40_lines_with_logo", with_logo)
    report.target(f"receipt_render_40_lines_target_{TARGET_MS:g}ms", p95 <= TARGET_MS, f"p95 {p95:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
