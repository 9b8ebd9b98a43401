"""``pos report`` and ``pos invoice``.

    pos report x|z|month|year|sales [--date D | --period YYYY-MM|YYYY | --from D --to D]
               [--number N] [--by day|article|department|vat|payment|cashier|hour] --pdf FILE [--print]
               [--user NAME]  (a manager: the reports are checked by the core, ``reports``)
    pos invoice N --customer ID --pdf FILE

``report x`` is the interim X report (``pos.fiscal.closures.x_report()``); ``report z`` the
stored daily Z closures made on ``--date`` (default: the last Z), or Z ``--number N``;
``report month`` / ``report year`` the stored monthly and yearly closures
(``--period``: those with at least half of their period in it; ``--number``; default:
the last).  ``report sales`` sums the
tickets of a day (``--date``, default today), a month or a year (``--period``) or
``--from``/``--to`` (both included), grouped ``--by`` (default: day).

The report's text (48 columns, as on the receipt printer) is printed on stdout and
the PDF is written to ``--pdf``; ``--print`` also prints it on the receipt printer.
Bad input is one line on stderr and exit status 1.

Registered by ``pos.cli.build_parser`` (``register(sub, common)``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pos.cli.common import CliError, add_who, open_db, who
from pos.core.i18n import _

KINDS = ("x", "z", "month", "year", "sales", "margin")
COLUMNS = 48


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``report`` and ``invoice`` commands to ``pos``'s subparsers."""
    r = sub.add_parser("report", parents=[common], help="X, Z, monthly and yearly closures, sales reports (PDF)")
    r.add_argument("kind", metavar="x|z|month|year|sales")
    r.add_argument("--date", help="YYYY-MM-DD: one day (z, sales)")
    r.add_argument("--period", help="YYYY-MM (a month) or YYYY (a year) (month, year, sales)")
    r.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="sales: first day")
    r.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="sales: last day (included)")
    r.add_argument("--number", help="z, month, year: the closure with that number")
    r.add_argument("--by", help="sales: day (default), article, department, vat, payment, cashier or hour")
    r.add_argument("--pdf", metavar="FILE", help="write the report as a PDF (required)")
    r.add_argument("--print", dest="to_printer", action="store_true", help="also print it on the receipt printer")
    add_who(r)  # the reports are a manager's (``reports``)
    r.set_defaults(func=cmd_report)

    i = sub.add_parser("invoice", parents=[common], help="an A4 invoice (PDF) of a ticket for a customer")
    i.add_argument("number", metavar="N", help="ticket number")
    i.add_argument("--customer", metavar="ID", help="customer id (required)")
    i.add_argument("--pdf", metavar="FILE", help="the PDF to write (required)")
    add_who(i)  # a cashier may (``invoice``)
    i.set_defaults(func=cmd_invoice)


def _int(value: str | None, what: str) -> int | None:

    if value is None:
        return None
    text = value.strip()
    if not text.isdigit() or int(text) <= 0:
        raise CliError(_("bad {what} {value!r}: expected a positive whole number").format(what=what, value=value))
    return int(text)


def _output(path: str | None) -> Path:
    """The PDF path, checked before any work: given, not a folder, in a writable folder."""

    if not path:
        raise CliError(_("no output file: add --pdf FILE"))
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise CliError(_("cannot write {path}: it is a folder").format(path=path))
    if not folder.is_dir():
        raise CliError(_("cannot write {path}: no folder {folder}").format(path=path, folder=folder))
    if not os.access(folder, os.W_OK | os.X_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise CliError(_("cannot write {path}: permission denied").format(path=path))
    return target


def _write(make: Any, target: Path) -> None:

    try:
        make(target)
    except OSError as exc:
        raise CliError(_("cannot write {path}: {error}").format(
            path=target, error=getattr(exc, "strerror", None) or exc)) from exc
    print(_("PDF written to {path}").format(path=target))


def _closures_module() -> Any:

    try:
        from pos.fiscal import closures
    except ImportError:
        raise CliError(_("closures are not available in this version of pos")) from None
    return closures


def _stored_closures(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The stored closures asked for by ``report z|month|year`` (the options checked before the PIN)."""
    from pos.fiscal import reports

    kind = {"z": "day", "month": "month", "year": "year"}[args.kind]
    number = _int(args.number, _("closure number"))
    if args.date_from or args.date_to or args.by:
        raise CliError(_("--from, --to and --by are for sales reports"))
    if number is not None:
        if args.date or args.period:
            raise CliError(_("give --number or a date, not both"))
        found = reports.stored_closures(who(args, "reports"), kind, number=number)
        if not found:
            raise CliError(_("no {kind} closure number {number}").format(kind=args.kind, number=number))
        return found
    if args.date and args.period:
        raise CliError(_("give --date or --period, not both"))
    if kind == "day" and args.period:
        raise CliError(_("a Z is chosen by --date or --number"))
    if kind != "day" and args.date:
        raise CliError(_("a monthly or yearly closure is chosen by --period or --number"))
    if args.date:
        day = reports.parse_date(args.date)
        found = reports.closures_made_on(who(args, "reports"), day)
    elif args.period:
        start, end = reports.month_period(args.period)
        found = reports.closures_of_period(who(args, "reports"), kind, start, end)
    else:
        found = reports.stored_closures(who(args, "reports"), kind, last=True)
        if not found:
            raise CliError(_("no {kind} closure yet").format(kind=args.kind))
        return found
    if not found:
        raise CliError(_("no {kind} closure for {when}").format(kind=args.kind, when=args.date or args.period))
    return found


def _sales(args: argparse.Namespace) -> dict[str, Any]:
    from pos.fiscal import reports

    by = (args.by or reports.DEFAULT_BY).strip()
    if by not in reports.GROUPINGS:
        raise CliError(_("unknown --by {by!r}: expected one of {choices}").format(
            by=by, choices=", ".join(reports.GROUPINGS)))
    if args.number:
        raise CliError(_("--number is for closures"))
    start, end = _period(args)
    return reports.sales_report(who(args, "reports"), start, end, by)


def _period(args: argparse.Namespace) -> tuple[dt.date, dt.date]:
    """The days of --date, --period or --from/--to (default: today), the end excluded."""
    from pos.fiscal import reports

    chosen = [x for x in (args.date, args.period, args.date_from or args.date_to) if x]
    if len(chosen) > 1:
        raise CliError(_("give one of --date, --period or --from/--to"))
    if args.period:
        start, end = reports.month_period(args.period)
    elif args.date_from or args.date_to:
        if not (args.date_from and args.date_to):
            raise CliError(_("give both --from and --to"))
        start = reports.parse_date(args.date_from)
        end = reports.parse_date(args.date_to) + dt.timedelta(days=1)
        if end <= start:
            raise CliError(_("--to is before --from"))
    else:
        start, end = reports.day_period(reports.parse_date(args.date) if args.date else dt.date.today())
    return start, end


def cmd_report(args: argparse.Namespace) -> int:
    from pos.fiscal import reports

    open_db(args)
    kind = (args.kind or "").strip().lower()
    if kind not in KINDS:
        raise CliError(_("unknown report {kind!r}: expected one of {choices}").format(
            kind=args.kind, choices=", ".join(KINDS)))
    args.kind = kind
    if kind == "margin":  # by article, department, day or month; --pdf optional (pos/cli/stock.py)
        from pos.cli.stock import cmd_margin

        return cmd_margin(args, _period(args))
    try:
        target = _output(args.pdf)
        if kind == "sales":
            report = _sales(args)
            lines = reports.sales_lines(report, COLUMNS)
            make = lambda path: reports.sales_pdf(report, path)  # noqa: E731
            printable: list[dict[str, Any]] = [report]
        else:
            if kind == "x":
                if args.date or args.period or args.number or args.by or args.date_from or args.date_to:
                    raise CliError(_("the X report takes no date, period, number or grouping"))
                items = [_closures_module().x_report(who(args, "reports"))]
            else:
                items = _stored_closures(args)
            lines = []
            for n, closure in enumerate(items):
                if n:
                    lines.append("")
                lines.extend(reports.closure_lines(closure, COLUMNS))
            make = lambda path: reports.closure_pdf(items, path)  # noqa: E731
            printable = items
    except reports.ReportError as exc:
        raise CliError(str(exc)) from exc
    for line in lines:
        print(line)
    _write(make, target)
    if args.to_printer:
        _print(printable)
    return 0


def _print(items: list[dict[str, Any]]) -> None:
    from pos.core import settings as settings_mod
    from pos.fiscal import reports
    from pos.hardware import DeviceError, devices

    built = devices.build(settings_mod.all_values())
    for device, message in built.problems.items():
        raise CliError(f"{device}: {message}")
    try:
        for item in items:
            reports.print_report(built.printer, item)
    except DeviceError as exc:
        raise CliError(_("the report was not printed: {error}").format(error=exc)) from exc
    print(_("report printed"))


def cmd_invoice(args: argparse.Namespace) -> int:
    from pos.fiscal import reports

    open_db(args)
    number = _int(args.number, _("ticket number"))
    if args.customer is None:
        raise CliError(_("no customer: add --customer ID"))
    customer = _int(args.customer, _("customer id"))
    target = _output(args.pdf)
    assert number is not None and customer is not None
    actor = who(args, "invoice")  # an invoice bears a customer's details and is journaled with who made it
    try:
        # checked before the file is touched: an unknown ticket or customer writes nothing
        _write(lambda path: reports.invoice_pdf(actor, number, customer, path), target)
    except reports.ReportError as exc:
        raise CliError(str(exc)) from exc
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``pos`` itself (``python -m pos.cli.reports`` is ``python -m pos``)."""
    from pos.cli import main as pos_main

    return pos_main(argv)


if __name__ == "__main__":
    sys.exit(main())
