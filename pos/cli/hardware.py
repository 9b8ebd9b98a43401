"""``pos printer test``, ``pos drawer open`` and ``pos scanner test``."""

from __future__ import annotations

import argparse
import sys

from pos.cli.common import CliError, add_who, devices, login, open_db, wait_job
from pos.core import settings
from pos.core.i18n import _


def cmd_printer(args: argparse.Namespace) -> int:
    from pos.sale.till import Till

    open_db(args)
    built = devices()
    till = Till(printer=built.printer, drawer=built.drawer)
    try:
        wait_job(till.print_test_page(), _("test page"))
    finally:
        till.close()
    print(_("test page sent to {url}").format(url=settings.get("printer.url")))
    return 0


def cmd_drawer(args: argparse.Namespace) -> int:
    """Open the drawer by hand: a manager's PIN, and the opening is logged."""
    from pos.sale.till import Till

    open_db(args)
    built = devices()
    till = Till(printer=built.printer, drawer=built.drawer)
    try:
        login(args, till)
        wait_job(till.open_drawer_manually(), _("drawer"))  # the core checks the permission
    finally:
        till.close()
    print(_("drawer opened"))
    return 0


def cmd_scanner(args: argparse.Namespace) -> int:
    from pos.hardware.diagnostics import scanner_test
    from pos.hardware.urls import parse

    open_db(args)
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


def register(sub, common: argparse.ArgumentParser) -> None:
    pr = sub.add_parser("printer", parents=[common], help="receipt printer")
    pr.add_argument("action", choices=["test"])
    pr.set_defaults(func=cmd_printer)

    dr = sub.add_parser("drawer", parents=[common], help="open the cash drawer (manager)")
    dr.add_argument("action", choices=["open"])
    add_who(dr)
    dr.set_defaults(func=cmd_drawer)

    sc = sub.add_parser("scanner", parents=[common], help="scanner diagnostics")
    sc.add_argument("action", choices=["test"])
    sc.add_argument("--device", help="serial:///dev/ttyACM0?baudrate=9600 (default: scanner.url)")
    sc.add_argument("--count", type=int, default=10, help="stop after K scans")
    sc.add_argument("--timeout", type=float, default=None, help="stop after this many seconds")
    sc.set_defaults(func=cmd_scanner)
