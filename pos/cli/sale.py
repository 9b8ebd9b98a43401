"""``pos sell``, ``pos tickets``, ``pos ticket`` and ``pos receipt``."""

from __future__ import annotations

import argparse
import re
import sys

from pos.cli.aftersale import EXIT_DEVICE, device_problems
from pos.cli.common import CliError, add_who, devices, login, money, open_db, wait_job
from pos.core import settings
from pos.core.i18n import _, ngettext
from pos.core.money import parse_amount, parse_qty
from pos.data import catalog
from pos.data import tickets as tickets_db

_ITEM = re.compile(r"^(?P<code>[^*]+?)(?:\*(?P<qty>[0-9]+(?:[.,][0-9]{1,3})?))?$")


_PAY = re.compile(r"^(?P<method>[a-z_][a-z0-9_]*)(?::(?P<note>[A-Za-z0-9]{1,20}))?(?:=(?P<amount>.+))?$")


def parse_items(raw_items: list[str]) -> list[tuple[str, int | None]]:
    """``CODE`` or ``CODE*QTY`` words: (code, quantity in thousandths or None)."""
    items = []
    for raw in raw_items:
        m = _ITEM.match(raw)
        if not m:
            raise CliError(_("bad item {item!r}: expected CODE or CODE*QTY").format(item=raw))
        items.append((m["code"], parse_qty(m["qty"]) if m["qty"] else None))
    return items


def cmd_sell(args: argparse.Namespace) -> int:
    from pos.cli.vouchers import issued_lines
    from pos.sale.basket import Basket
    from pos.sale.till import Till, TillError
    from pos.sale.vouchers import add_voucher_payment

    open_db(args)
    items = parse_items(args.items)
    pays = []
    for raw in args.pay or []:
        m = _PAY.match(raw)
        if not m or (m["note"] and m["method"] != "voucher"):
            raise CliError(_("bad payment {pay!r}: expected METHOD, METHOD=AMOUNT or voucher:NUMBER[=AMOUNT]")
                           .format(pay=raw))
        try:
            pays.append((m["method"], m["note"], parse_amount(m["amount"]) if m["amount"] else None))
        except ValueError as exc:
            raise CliError(_("bad payment {pay!r}: {error}").format(pay=raw, error=exc)) from exc
    if not pays:
        raise CliError(_("no payment: add --pay METHOD[=AMOUNT]"))
    built = devices(strict=False)  # the shop's printer and drawer; no printer: --receipt writes on stdout
    till = Till(printer=built.printer, drawer=built.drawer)
    try:
        login(args, till)
        till.basket = Basket()  # the CLI never touches a basket left open on the screen
        for code, qty in items:
            article = catalog.find_article_by_code(code.strip())
            if article is None:
                raise CliError(_("unknown code {code}").format(code=code))
            if qty is not None:
                till.set_pending_qty(qty)
            till.add_article(article)
        if args.customer is not None:
            till.set_customer(args.customer)
        for method, note, amount in pays:
            if note:
                add_voucher_payment(till, note, amount)
            else:
                till.add_payment(method, amount)
        ticket = till.validate(keep_saved_basket=True)
        # the sale is committed: the devices get DEVICE_WAIT s, and a failure is reported, never silent
        problems = device_problems(till, till.print_receipt(ticket) if args.receipt else None)
    except TillError as exc:
        raise CliError(str(exc)) from exc
    finally:
        till.close(wait=0)  # a device job still running is abandoned (its thread is a daemon)
    print(_("ticket {number}: total {total}, change {change}").format(
        number=ticket.number, total=money(ticket.total), change=money(ticket.change)))
    for line in issued_lines(ticket.number):
        print(line)
    for problem in problems:
        print(f"pos: {problem}", file=sys.stderr)
    return EXIT_DEVICE if problems else 0


def cmd_tickets(args: argparse.Namespace) -> int:
    open_db(args)
    if args.date and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", args.date):
        raise CliError(_("bad date {date!r}: expected YYYY-MM-DD").format(date=args.date))
    rows = tickets_db.list_tickets(date=args.date, limit=args.limit)
    for t in reversed(rows):
        kind = _("refund") if t.kind == "refund" else _("sale")
        print(f"{t.number:>7}  {t.created_at[:19].replace('T', ' ')}  {kind:<9} {t.user_name:<12} "
              f"{money(t.total):>14}")
    print(ngettext("{n} ticket", "{n} tickets", len(rows)).format(n=len(rows)))
    return 0


def _ticket(number: int):
    ticket = tickets_db.get_ticket(number)
    if ticket is None:
        raise CliError(_("ticket {number} does not exist").format(number=number))
    return ticket


def cmd_ticket(args: argparse.Namespace) -> int:
    from pos.sale.receipt import render

    open_db(args)
    ticket = _ticket(args.number)
    for line in render(ticket, settings.all_values(), width=48):
        print(line)
    return 0


def cmd_receipt(args: argparse.Namespace) -> int:
    """Reprint a ticket: always a numbered DUPLICATA."""
    from pos.sale.till import Till

    open_db(args)
    ticket = _ticket(args.number)
    built = devices()
    till = Till(printer=built.printer, drawer=built.drawer)
    try:
        login(args, till)
        job = till.print_receipt(ticket, duplicate=True)
        wait_job(job, _("receipt"))
    finally:
        till.close()
    print(_("ticket {number} reprinted (DUPLICATA n° {copy})").format(number=ticket.number, copy=job.copy))
    return 0


def register(sub, common: argparse.ArgumentParser) -> None:
    s = sub.add_parser("sell", parents=[common], help="record one sale")
    add_who(s)
    s.add_argument("items", nargs="+", metavar="CODE[*QTY]")
    s.add_argument("--pay", action="append", metavar="METHOD[=AMOUNT]",
                   help="cash, card, cheque, voucher:NUMBER (a credit note or gift voucher)...; "
                   "without an amount: the rest")
    s.add_argument("--customer", type=int, help="customer id (optional)")
    s.add_argument("--receipt", action="store_true", help="print the receipt")
    s.set_defaults(func=cmd_sell)

    t = sub.add_parser("tickets", parents=[common], help="list tickets")
    t.add_argument("--date", help="YYYY-MM-DD")
    t.add_argument("--limit", type=int, default=1000)
    t.set_defaults(func=cmd_tickets)

    n = sub.add_parser("ticket", parents=[common], help="show one ticket")
    n.add_argument("number", type=int)
    n.set_defaults(func=cmd_ticket)

    rc = sub.add_parser("receipt", parents=[common], help="reprint a ticket (DUPLICATA)")
    rc.add_argument("number", type=int)
    add_who(rc)
    rc.set_defaults(func=cmd_receipt)
