"""``pos refund``: refund a ticket (or part of it), or take a return without a ticket (manager)."""

from __future__ import annotations

import argparse
import sys

from pos.cli.aftersale import EXIT_DEVICE, device_problems
from pos.cli.common import CliError, add_who, devices, login, money, open_db
from pos.cli.sale import parse_items
from pos.cli.vouchers import issued_lines
from pos.core.i18n import _

PAY = {"cash": "cash", "card": "card", "cheque": "cheque", "credit_note": "voucher"}


def _quantities(ticket, items: list[tuple[str, int | None]]) -> dict[int, int]:
    """Line id -> quantity returned, from CODE*QTY items matched to the ticket's lines."""
    out: dict[int, int] = {}
    for code, qty in items:
        code = code.strip()
        line = next((ln for ln in ticket.lines if code in (ln["reference"], ln["barcode"])), None)
        if line is None:
            raise CliError(_("{code} is not on ticket {number}").format(code=code, number=ticket.number))
        out[line["id"]] = out.get(line["id"], 0) + (qty if qty is not None else 1000)
    return out


def cmd_refund(args: argparse.Namespace) -> int:
    from pos.sale.basket import Basket
    from pos.sale.till import Till
    from pos.sale.vouchers import start_return

    open_db(args)
    words = list(args.items)
    if args.no_ticket:
        if not args.reason or not args.reason.strip():
            raise CliError(_("a return without a ticket needs --reason TEXT"))
        number = None
    else:
        if args.reason:
            raise CliError(_("--reason is for a return without a ticket (--no-ticket)"))
        if not words or not words[0].isdigit():
            raise CliError(_("which ticket? pos refund TICKET [CODE*QTY ...] (or --no-ticket)"))
        number = int(words.pop(0))
    items = parse_items(words)
    if args.no_ticket and not items:
        raise CliError(_("name the articles taken back: CODE*QTY ..."))
    built = devices(strict=False)
    till = Till(printer=built.printer, drawer=built.drawer)
    try:
        login(args, till)
        till.basket = Basket()  # never the basket left open on the screen
        if number is None:
            start_return(till, items, args.reason)
        else:
            ticket = till.find_ticket(number)
            till.start_refund(number, _quantities(ticket, items) if items else None)
        till.add_payment(PAY[args.pay])
        ticket = till.validate(keep_saved_basket=True)
        problems = device_problems(till, till.print_receipt(ticket) if args.receipt else None)
    finally:
        till.close(wait=0)
    print(_("refund ticket {number}: total {total}").format(number=ticket.number, total=money(ticket.total)))
    for line in issued_lines(ticket.number):
        print(line)
    for problem in problems:
        print(f"pos: {problem}", file=sys.stderr)
    return EXIT_DEVICE if problems else 0


def register(sub, common: argparse.ArgumentParser) -> None:
    r = sub.add_parser("refund", parents=[common], help="refund a ticket, or a return without a ticket (manager)")
    add_who(r)
    r.add_argument("items", nargs="*", metavar="TICKET [CODE[*QTY] ...]",
                   help="the ticket's number then the articles returned (default: all that is left)")
    r.add_argument("--no-ticket", action="store_true", help="a return without a ticket: CODE*QTY ... --reason")
    r.add_argument("--reason", help="why a return is taken without a ticket (required with --no-ticket)")
    r.add_argument("--pay", required=True, choices=sorted(PAY), help="how the money is given back")
    r.add_argument("--receipt", action="store_true", help="print the refund's receipt")
    r.set_defaults(func=cmd_refund)
