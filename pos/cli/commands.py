"""The ``pos`` command.  It drives the same engine as the touch screens.

Every refusal prints one line on stderr and exits with status 1.
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from peewee import DatabaseError

from pos.core import auth, i18n, settings
from pos.core.errors import Refusal
from pos.core.i18n import _, ngettext
from pos.core.money import format_amount, format_rate, parse_amount, parse_qty
from pos.data import catalog, events
from pos.data import shop as shop_db
from pos.data import tickets as tickets_db
from pos.data import users as users_db
from pos.data.db import default_db_path, open_database


class CliError(Exception):
    pass


def _open(args: argparse.Namespace, create: bool = False) -> None:
    """Open the database; only ``run`` and ``demo`` may create it."""
    path = Path(args.db) if args.db else default_db_path()
    if not create and not path.exists():
        raise CliError(_("no database at {path}: start the till (`pos run`) or load the demo (`pos demo`)")
                       .format(path=path))
    try:
        open_database(path)
    except Exception as exc:  # an unreadable file, a newer schema...
        raise CliError(_("cannot open the database {path}: {error}").format(path=path, error=exc)) from exc
    i18n.set_language(settings.get("ui.language"))


def _money(cents: int) -> str:
    return format_amount(cents, i18n.language())


# ---------------------------------------------------------------- commands
def cmd_run(args: argparse.Namespace) -> int:
    _open(args, create=True)
    if args.demo and users_db.is_empty_shop():
        from pos.demo import load_demo_shop

        load_demo_shop()
    from pos.screens.app import run_app  # Kivy is imported only here

    run_app()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from pos.demo import add_synthetic_articles, load_demo_shop

    _open(args, create=True)
    if not args.no_shop:
        load_demo_shop()
    if args.articles:
        def progress(n: int) -> None:
            print(f"\r{n:,} / {args.articles:,}", end="", file=sys.stderr, flush=True)
        added = add_synthetic_articles(args.articles, progress if sys.stderr.isatty() else None)
        if sys.stderr.isatty():
            print(file=sys.stderr)
        print(_("{n} synthetic articles added").format(n=added))
    print(_("{n} articles in the database").format(n=catalog.count_articles()))
    return 0


_ITEM = re.compile(r"^(?P<code>[^*]+?)(?:\*(?P<qty>[0-9]+(?:[.,][0-9]{1,3})?))?$")
_PAY = re.compile(r"^(?P<method>[a-z_][a-z0-9_]*)(?:=(?P<amount>.+))?$")


def _pick_user(name: str | None) -> users_db.UserInfo:
    if name:
        user = users_db.find_user(name)
        if user is None or not user.active:
            raise CliError(_("unknown user {name}").format(name=name))
        return user
    users = users_db.users()
    if not users:
        raise CliError(_("no user: run `pos demo` or `pos users add` first"))
    return users[0]


def _pin(args: argparse.Namespace) -> str:
    pin = args.pin or os.environ.get("POS_PIN")
    if pin:
        return pin
    if sys.stdin.isatty():
        return getpass.getpass(_("PIN: "))
    raise CliError(_("a PIN is required (--pin or POS_PIN)"))


def cmd_sell(args: argparse.Namespace) -> int:
    from pos.sale.basket import Basket
    from pos.sale.till import Till, TillError

    _open(args)
    items = []
    for raw in args.items:
        m = _ITEM.match(raw)
        if not m:
            raise CliError(_("bad item {item!r}: expected CODE or CODE*QTY").format(item=raw))
        items.append((m["code"], parse_qty(m["qty"]) if m["qty"] else None))
    pays = []
    for raw in args.pay or []:
        m = _PAY.match(raw)
        if not m:
            raise CliError(_("bad payment {pay!r}: expected METHOD or METHOD=AMOUNT").format(pay=raw))
        try:
            pays.append((m["method"], parse_amount(m["amount"]) if m["amount"] else None))
        except ValueError as exc:
            raise CliError(_("bad payment {pay!r}: {error}").format(pay=raw, error=exc)) from exc
    if not pays:
        raise CliError(_("no payment: add --pay METHOD[=AMOUNT]"))
    user = _pick_user(args.user)
    built = _devices(strict=False)  # the shop's printer and drawer; no printer: --receipt writes on stdout
    till = Till(printer=built.printer, drawer=built.drawer)
    try:
        till.login(user.id, _pin(args), log=False)
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
        for method, amount in pays:
            till.add_payment(method, amount)
        ticket = till.validate(keep_saved_basket=True)
        if args.receipt:
            try:
                _wait(till.print_receipt(ticket), _("receipt"))
            except CliError as exc:  # the sale is committed: say so, and that the receipt is missing
                print(_("ticket {number}: total {total}, change {change}").format(
                    number=ticket.number, total=_money(ticket.total), change=_money(ticket.change)))
                raise CliError(_("the receipt was not printed: {error}").format(error=exc)) from exc
    except TillError as exc:
        raise CliError(str(exc)) from exc
    finally:
        till.close()
    print(_("ticket {number}: total {total}, change {change}").format(
        number=ticket.number, total=_money(ticket.total), change=_money(ticket.change)))
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    _open(args)
    try:
        if args.action == "list":
            for key, value in settings.all_values().items():
                print(f"{key}={value!r}" if "\n" in value else f"{key}={value}")
        elif args.action == "get":
            print(settings.get(args.key))
        else:
            if args.value is None:
                raise CliError(_("usage: pos config set KEY VALUE"))
            settings.set_value(args.key, args.value.replace("\\n", "\n"), user_name="cli")
    except settings.SettingError as exc:
        raise CliError(f"{args.key}: {exc}") from exc
    return 0


def cmd_tickets(args: argparse.Namespace) -> int:
    _open(args)
    if args.date and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", args.date):
        raise CliError(_("bad date {date!r}: expected YYYY-MM-DD").format(date=args.date))
    rows = tickets_db.list_tickets(date=args.date, limit=args.limit)
    for t in reversed(rows):
        kind = _("refund") if t.kind == "refund" else _("sale")
        print(f"{t.number:>7}  {t.created_at[:19].replace('T', ' ')}  {kind:<9} {t.user_name:<12} "
              f"{_money(t.total):>14}")
    print(ngettext("{n} ticket", "{n} tickets", len(rows)).format(n=len(rows)))
    return 0


def cmd_ticket(args: argparse.Namespace) -> int:
    from pos.sale.receipt import render

    _open(args)
    ticket = tickets_db.get_ticket(args.number)
    if ticket is None:
        raise CliError(_("ticket {number} does not exist").format(number=args.number))
    for line in render(ticket, settings.all_values(), width=48):
        print(line)
    return 0


def _devices(strict: bool = True):
    """The till's devices from the settings; --receipt without a printer writes on stdout.

    A device that cannot be built is an error for the hardware commands, and only a
    warning on stderr for a sale (a device never stops a sale)."""
    from pos.hardware import NoPrinter, TextPrinter, devices

    built = devices.build(settings.all_values())
    for kind, message in built.problems.items():
        if strict:
            raise CliError(f"{kind}: {message}")
        print(f"pos: {kind}: {message}", file=sys.stderr)
    if isinstance(built.printer, NoPrinter):
        built.printer = TextPrinter(sys.stdout)
    return built


def _wait(job, what: str) -> None:
    """Wait for a device job; a failure is one line and exit 1."""
    if job is None:
        return
    if not job.finished.wait(3 * float(settings.get("printer.timeout")) + 5):  # connect, status, write
        raise CliError(_("{what}: no answer from the device").format(what=what))
    if job.error:
        raise CliError(f"{what}: {job.error}")


def cmd_printer(args: argparse.Namespace) -> int:
    from pos.sale.till import Till

    _open(args)
    built = _devices()
    till = Till(printer=built.printer, drawer=built.drawer)
    try:
        _wait(till.print_test_page(), _("test page"))
    finally:
        till.close()
    print(_("test page sent to {url}").format(url=settings.get("printer.url")))
    return 0


def _session(args: argparse.Namespace, built):
    """A one-shot session of the user given by --user/--pin (no login event)."""
    from pos.sale.till import Till

    till = Till(printer=built.printer, drawer=built.drawer)
    user = _pick_user(args.user)
    try:
        till.login(user.id, _pin(args), log=False)
    except Exception:
        till.close()
        raise
    return till


def cmd_receipt(args: argparse.Namespace) -> int:
    """Reprint a ticket: always a numbered DUPLICATA."""
    from pos.sale.till import TillError

    _open(args)
    ticket = tickets_db.get_ticket(args.number)
    if ticket is None:
        raise CliError(_("ticket {number} does not exist").format(number=args.number))
    built = _devices()
    try:
        till = _session(args, built)
    except TillError as exc:
        raise CliError(str(exc)) from exc
    try:
        job = till.print_receipt(ticket, duplicate=True)
        _wait(job, _("receipt"))
    finally:
        till.close()
    print(_("ticket {number} reprinted (DUPLICATA n° {copy})").format(number=ticket.number, copy=job.copy))
    return 0


def cmd_drawer(args: argparse.Namespace) -> int:
    """Open the drawer by hand: a manager's PIN, and the opening is logged."""
    from pos.sale.till import TillError

    _open(args)
    built = _devices()
    try:
        till = _session(args, built)
        try:
            if not till.user.is_manager:
                raise CliError(_("only a manager can open the drawer by hand"))
            _wait(till.open_drawer_manually(), _("drawer"))
        finally:
            till.close()
    except TillError as exc:
        raise CliError(str(exc)) from exc
    print(_("drawer opened"))
    return 0


def cmd_scanner(args: argparse.Namespace) -> int:
    from pos.hardware.diagnostics import scanner_test
    from pos.hardware.urls import parse

    _open(args)
    url = args.device or settings.get("scanner.url")
    try:
        parsed = parse(url, "scanner")
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    if parsed.scheme == "none":
        raise CliError(_("No scanner is configured: give its URL (--device)"))
    from pos.sale.till import describe_code

    def status(state: str) -> None:
        print(f"# {parsed}: {state}", file=sys.stderr, flush=True)

    scanner_test(str(parsed), args.count, sys.stdout, describe_code, timeout=args.timeout, on_status=status)
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    _open(args, create=args.action == "add")  # a shop can be set up from the command line
    if args.action == "list":
        for u in users_db.users(include_inactive=True):
            print(f"{u.name:<20} {u.role:<8} {'' if u.active else _('inactive')}")
        return 0
    if not args.name:
        raise CliError(_("usage: pos users add NAME --role cashier|manager --pin PIN"))
    if users_db.find_user(args.name):
        raise CliError(_("user {name} already exists").format(name=args.name))
    try:
        pin_hash = auth.hash_pin(_pin(args))
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    users_db.create_user(args.name, pin_hash, args.role)
    events.log_event("user_created", "cli", name=args.name, role=args.role)
    print(_("user {name} created").format(name=args.name))
    return 0


def cmd_vat(args: argparse.Namespace) -> int:
    _open(args)
    for v in shop_db.vat_rates(include_inactive=True):
        print(f"{format_rate(v.rate_bp, i18n.language()):>8}  {v.label}")
    return 0


def cmd_transfer(args: argparse.Namespace) -> int:
    """``pos articles|departments|customers export|import FILE``."""
    from pos.catalog.csvio import CsvError, WriteOptions
    from pos.catalog.transfer import Import, export

    _open(args)
    try:
        if args.action == "export":
            options = WriteOptions(args.sep, args.encoding, args.decimal)
            n = export(args.command, args.file, options)
            print(_("{n} rows written to {file}").format(n=n, file=args.file))
            return 0
        with Import(args.command, args.file, create_departments=args.create_departments) as job:
            preview = job.prepare()
            print(format_preview(preview))
            errors = job.errors(limit=200)
            for line in errors:
                print(line, file=sys.stderr)
            if preview.invalid:
                more = preview.counts["errors"] - len(errors)
                if more > 0:
                    print(_("... and {n} more errors").format(n=more), file=sys.stderr)
                raise CliError(_("{n} invalid rows: nothing was changed").format(n=preview.invalid))
            if not (args.add or args.update or args.delete):
                print(_("preview only: choose --add, --update and/or --delete to apply"))
                return 0
            if args.dry_run:
                print(_("dry run: nothing was changed"))
                return 0
            done = job.apply(add=args.add, update=args.update, delete=args.delete,
                             user_name=f"cli:{getpass.getuser()}")
            for key in ("added", "updated", "deleted", "deactivated", "departments_created"):
                print(f"{key}: {done.get(key, 0)}")
            return 0
    except CsvError as exc:
        raise CliError(str(exc)) from exc


def format_preview(p) -> str:
    """The preview in a stable form: one ``key: value`` per line (documented in the README)."""
    c = p.counts
    lines = [f"file: {p.file_name}", f"encoding: {p.encoding}",
             "separator: " + {"\t": "tab"}.get(p.separator, p.separator), f"rows: {p.rows}",
             f"new: {c['new']}", f"changed: {c['changed']}"]
    lines += [f"changed.{k}: {n}" for k, n in sorted(p.fields.items())]
    lines += [f"unchanged: {c['same']}", f"missing: {c['missing']}",
              f"missing.deactivate: {c['missing_deactivate']}", f"missing.delete: {c['missing_delete']}",
              f"invalid: {c['invalid']}", f"errors: {c['errors']}"]
    if p.new_departments:
        lines.append("new_departments: " + "|".join(p.new_departments))
    if p.unknown_columns:
        lines.append("unknown_columns: " + ", ".join(p.unknown_columns))
    return "\n".join(lines)


# ---------------------------------------------------------------- closures and cash (pos close, pos cash)
def _plain(cents: int) -> str:
    """An amount in the stable output: euros with a decimal point, no thousands separator (``-1234.56``)."""
    return format_amount(cents, "en", currency=False).replace(",", "")


def _operator(args: argparse.Namespace) -> str:
    """Who runs a closure or a cash movement: --user (PIN checked), else ``cli:<login>``."""
    from pos.sale.till import Till, TillError

    if not args.user:
        return f"cli:{getpass.getuser()}"
    user = _pick_user(args.user)
    till = Till()
    try:
        till.login(user.id, _pin(args), log=False)
    except TillError as exc:
        raise CliError(str(exc)) from exc
    finally:
        till.close()
    return user.name


def format_closure(c: dict) -> str:
    """A closure (or the X report) in a stable form: one ``key: value`` per line, amounts as ``1234.56``."""
    d, cash = c["data"], c["data"]["cash"]
    none = "-"
    lines = [f"closure: {c['kind']}" + (f" {c['number']}" if c["kind"] != "x" else ""),
             f"till: {c['till']}", f"user: {c['user_name']}", f"created_at: {c['created_at']}",
             f"period_start: {c['period_start']}", f"period_end: {c['period_end']}",
             f"tickets: {c['ticket_count']}",
             f"first_ticket: {none if c['first_ticket'] is None else c['first_ticket']}",
             f"last_ticket: {none if c['last_ticket'] is None else c['last_ticket']}",
             f"sales.count: {d['sales']['count']}", f"sales.total: {_plain(d['sales']['total'])}",
             f"refunds.count: {d['refunds']['count']}", f"refunds.total: {_plain(d['refunds']['total'])}",
             f"discounts: {_plain(d['discounts'])}",
             f"training.count: {d['training']['count']}", f"training.total: {_plain(d['training']['total'])}",
             f"total: {_plain(c['total'])}", f"perpetual_total: {_plain(c['perpetual_total'])}"]
    for v in d["vat"]:
        rate = format_rate(v["vat_bp"], "en").rstrip("%")
        lines.append(f"vat.{rate}: excl {_plain(v['excl'])} vat {_plain(v['vat'])} total {_plain(v['total'])}")
    for p in d["payments"]:
        code = p["method_code"]
        lines += [f"payment.{code}: {_plain(p['amount'])}", f"payment.{code}.count: {p['count']}"]
    lines += [f"cash.float: {_plain(cash['float'])}", f"cash.in: {_plain(cash['cash_in'])}",
              f"cash.out: {_plain(cash['cash_out'])}", f"cash.taken: {_plain(cash['cash_taken'])}",
              f"cash.change: {_plain(cash['change_given'])}", f"cash.expected: {_plain(cash['expected'])}",
              f"cash.counted: {none if cash['counted'] is None else _plain(cash['counted'])}",
              f"cash.difference: {none if cash['difference'] is None else _plain(cash['difference'])}"]
    lines += [f"cash.count.{_plain(int(k))}: {n}" for k, n in cash["counted_detail"].items()]
    lines.append(f"cash.movements: {len(cash['movements'])}")
    if c["kind"] in ("month", "year"):
        lines.append("closures: " + ("|".join(str(n) for n in d["closures"]) or none))
    lines += [f"journal_seq: {c['journal_seq']}", f"last_hash: {c['last_hash']}"]
    return "\n".join(lines)


def cmd_close(args: argparse.Namespace) -> int:
    """``pos close day|month|year|x [--counted AMOUNT] [--pdf FILE]``."""
    from pos.fiscal import closures

    _open(args)
    closure_pdf = None
    if args.pdf:
        try:
            from pos.fiscal.reports import closure_pdf
        except ImportError as exc:
            raise CliError(_("--pdf: PDF reports are not available in this version ({error})")
                           .format(error=exc)) from exc
    try:
        counted = parse_amount(args.counted) if args.counted is not None else None
    except ValueError as exc:
        raise CliError(_("bad --counted: {error}").format(error=exc)) from exc
    user_name = _operator(args)
    try:
        if args.kind == "x":
            closure = closures.x_report(counted=counted, user_name=user_name)
        else:
            closure = closures.close(args.kind, user_name, counted=counted)
    except closures.ClosureError as exc:
        raise CliError(str(exc)) from exc
    print(format_closure(closure), flush=True)
    if closure_pdf is not None:
        try:
            closure_pdf(closure, args.pdf)
        except OSError as exc:  # the closure is stored: only the file is missing
            raise CliError(_("the PDF was not written: {error}").format(error=exc)) from exc
        print(f"pdf: {args.pdf}")
    return 0


def cmd_cash(args: argparse.Namespace) -> int:
    """``pos cash float|in|out AMOUNT [--reason TEXT]`` and ``pos cash list`` (what the next Z holds)."""
    from pos.fiscal import closures

    _open(args)
    if args.action == "list":
        for m in closures.pending_movements():
            print(f"{m['id']:>6}  {m['at'][:19].replace('T', ' ')}  {m['kind']:<5} {_plain(m['amount']):>10}  "
                  f"{m['user_name']}  {m['reason']}")
        return 0
    if args.amount is None:
        raise CliError(_("usage: pos cash float|in|out AMOUNT [--reason TEXT]"))
    try:
        amount = parse_amount(args.amount)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    if args.action != "float" and not (args.reason or "").strip():
        raise CliError(_("a reason is required: --reason TEXT"))
    user_name = _operator(args)
    try:
        m = closures.cash_movement(args.action, amount, args.reason or "", user_name)
    except closures.ClosureError as exc:
        raise CliError(str(exc)) from exc
    print(f"movement: {m['id']}\nkind: {m['kind']}\namount: {_plain(m['amount'])}\nreason: {m['reason']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pos", description="Point-of-sale till for small shops.")
    p.add_argument("--db", help="database file (default: $POS_DB or the user data folder)")
    common = argparse.ArgumentParser(add_help=False)  # --db is accepted after the command too
    common.add_argument("--db", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    sub = p.add_subparsers(dest="command")

    r = sub.add_parser("run", parents=[common], help="start the till")
    r.add_argument("--demo", action="store_true", help="load the demo shop into an empty database")
    r.set_defaults(func=cmd_run)

    d = sub.add_parser("demo", parents=[common], help="load the demo shop and/or synthetic articles")
    d.add_argument("--articles", type=int, default=0, help="synthetic articles A0000001... up to N")
    d.add_argument("--no-shop", action="store_true", help="only the synthetic articles")
    d.set_defaults(func=cmd_demo)

    s = sub.add_parser("sell", parents=[common], help="record one sale")
    s.add_argument("--user", help="user name (default: the first user)")
    s.add_argument("--pin", help="the user's PIN (or $POS_PIN)")
    s.add_argument("items", nargs="+", metavar="CODE[*QTY]")
    s.add_argument("--pay", action="append", metavar="METHOD[=AMOUNT]",
                   help="cash, card, cheque, voucher...; without an amount: the rest")
    s.add_argument("--customer", type=int, help="customer id (optional)")
    s.add_argument("--receipt", action="store_true", help="print the receipt")
    s.set_defaults(func=cmd_sell)

    c = sub.add_parser("config", parents=[common], help="read and write settings")
    c.add_argument("action", choices=["get", "set", "list"])
    c.add_argument("key", nargs="?", default="")
    c.add_argument("value", nargs="?")
    c.set_defaults(func=cmd_config)

    t = sub.add_parser("tickets", parents=[common], help="list tickets")
    t.add_argument("--date", help="YYYY-MM-DD")
    t.add_argument("--limit", type=int, default=1000)
    t.set_defaults(func=cmd_tickets)

    n = sub.add_parser("ticket", parents=[common], help="show one ticket")
    n.add_argument("number", type=int)
    n.set_defaults(func=cmd_ticket)

    u = sub.add_parser("users", parents=[common], help="list or add users")
    u.add_argument("action", choices=["list", "add"])
    u.add_argument("name", nargs="?")
    u.add_argument("--role", choices=["cashier", "manager"], default="cashier")
    u.add_argument("--pin")
    u.set_defaults(func=cmd_users)

    v = sub.add_parser("vat", parents=[common], help="list VAT rates")
    v.set_defaults(func=cmd_vat)

    for name, what in (("articles", "articles"), ("departments", "departments"), ("customers", "customers")):
        x = sub.add_parser(name, parents=[common], help=f"export or import the {what} (CSV)")
        x.add_argument("action", choices=["export", "import"])
        x.add_argument("file")
        x.add_argument("--sep", default=";", help="export: ; , or tab (default ;)")
        x.add_argument("--encoding", default="utf-8-sig", help="export: utf-8-sig (default), utf-8, cp1252...")
        x.add_argument("--decimal", default=",", choices=[",", "."], help="export: decimal mark (default ,)")
        x.add_argument("--add", action="store_true", help="import: add the new rows")
        x.add_argument("--update", action="store_true", help="import: update the changed rows")
        x.add_argument("--delete", action="store_true",
                       help="import: delete what the file lacks (deactivate what tickets use)")
        x.add_argument("--create-departments", action="store_true", help="import: create unknown departments")
        x.add_argument("--dry-run", action="store_true", help="import: show what would change, change nothing")
        x.set_defaults(func=cmd_transfer)

    pr = sub.add_parser("printer", parents=[common], help="receipt printer")
    pr.add_argument("action", choices=["test"])
    pr.set_defaults(func=cmd_printer)

    rc = sub.add_parser("receipt", parents=[common], help="reprint a ticket (DUPLICATA)")
    rc.add_argument("number", type=int)
    rc.add_argument("--user", help="user name (default: the first user)")
    rc.add_argument("--pin", help="the user's PIN (or $POS_PIN)")
    rc.set_defaults(func=cmd_receipt)

    dr = sub.add_parser("drawer", parents=[common], help="open the cash drawer (manager)")
    dr.add_argument("action", choices=["open"])
    dr.add_argument("--user", help="a manager's name (default: the first user)")
    dr.add_argument("--pin", help="the manager's PIN (or $POS_PIN)")
    dr.set_defaults(func=cmd_drawer)

    sc = sub.add_parser("scanner", parents=[common], help="scanner diagnostics")
    sc.add_argument("action", choices=["test"])
    sc.add_argument("--device", help="serial:///dev/ttyACM0?baudrate=9600 (default: scanner.url)")
    sc.add_argument("--count", type=int, default=10, help="stop after K scans")
    sc.add_argument("--timeout", type=float, default=None, help="stop after this many seconds")
    sc.set_defaults(func=cmd_scanner)

    cl = sub.add_parser("close", parents=[common], help="run a closure: daily Z, monthly, yearly; x: the X report")
    cl.add_argument("kind", choices=["day", "month", "year", "x"])
    cl.add_argument("--counted", metavar="AMOUNT", help="day, x: the cash counted in the drawer")
    cl.add_argument("--pdf", metavar="FILE", help="also write the closure as a PDF")
    cl.add_argument("--user", help="who closes (PIN checked; default: cli:<login>)")
    cl.add_argument("--pin", help="the user's PIN (or $POS_PIN)")
    cl.set_defaults(func=cmd_close)

    ca = sub.add_parser("cash", parents=[common], help="cash movements: opening float, cash in, cash out")
    ca.add_argument("action", choices=["float", "in", "out", "list"])
    ca.add_argument("amount", nargs="?", metavar="AMOUNT")
    ca.add_argument("--reason", help="why (required for in and out)")
    ca.add_argument("--user", help="who (PIN checked; default: cli:<login>)")
    ca.add_argument("--pin", help="the user's PIN (or $POS_PIN)")
    ca.set_defaults(func=cmd_cash)
    from pos.cli import journal as cli_journal
    from pos.cli import reports as cli_reports
    from pos.cli import sync as cli_sync

    cli_journal.register(sub, common)
    cli_reports.register(sub, common)
    cli_sync.register(sub, common)
    return p


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line; no command (``pos``, ``pos --db FILE``) means ``run``."""
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args([*argv, "run"])
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return args.func(args)
    except (CliError, Refusal) as exc:  # one line; any other exception is a defect: its traceback is shown
        print(f"pos: {exc}", file=sys.stderr)
        return 1
    except (DatabaseError, sqlite3.Error) as exc:  # locked, read-only, corrupt...: nothing was committed
        print(f"pos: {_('database error')}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        from pos.data.db import close_database

        close_database()


if __name__ == "__main__":
    sys.exit(main())
