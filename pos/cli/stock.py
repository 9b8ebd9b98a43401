"""``pos stock`` and ``pos labels``.

    pos stock check                      articles whose stock differs from the sum of their movements
    pos stock moves [CODE] [--limit N] [--csv FILE [--since DATE]]
    pos stock low [--department NAME]    articles at or below their threshold
    pos stock value                      the stock's value at cost, per department
    pos stock receive CODE*QTY ... [--cost CODE=PRICE ...] [--ref TEXT]
    pos stock count CODE=QTY ... [--apply] [--ref TEXT]
    pos stock set CODE [--net QTY UNIT] [--no-net] [--low QTY | --low default]
    pos labels OUT.pdf [--layout 3x8] [--department NAME] [--changed-since DATE] [--new-since DATE] [CODE ...]

Reads need no login; receipts, counts and thresholds are done by ``--user`` (``stock`` permission).
Quantities are typed like at the till (``3``, ``0,452``, ``1.5``); a bad line names itself and
changes nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pos.cli.common import CliError, add_who, money, open_db, progress, who
from pos.core import i18n
from pos.core.errors import InvalidValue
from pos.core.i18n import _
from pos.core.money import format_qty, parse_amount, parse_qty


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    s = sub.add_parser("stock", parents=[common], help="stock movements, goods receipts, counts, low stock")
    ss = s.add_subparsers(dest="stock_command", required=True)
    c = ss.add_parser("check", parents=[common], help="articles whose stock differs from their movements")
    c.set_defaults(func=cmd_check)
    m = ss.add_parser("moves", parents=[common], help="the movements, newest first (one article's with CODE)")
    m.add_argument("code", nargs="?", metavar="CODE")
    m.add_argument("--limit", type=int, default=50)
    m.add_argument("--csv", metavar="FILE", help="export them (oldest first) to a CSV file")
    m.add_argument("--since", metavar="YYYY-MM-DD", help="with --csv: from this day")
    m.set_defaults(func=cmd_moves)
    low = ss.add_parser("low", parents=[common], help="articles at or below their low-stock threshold")
    low.add_argument("--department", metavar="NAME")
    low.set_defaults(func=cmd_low)
    v = ss.add_parser("value", parents=[common], help="the stock's value at cost, per department (manager)")
    add_who(v)
    v.set_defaults(func=cmd_value)
    r = ss.add_parser("receive", parents=[common], help="a goods receipt: CODE*QTY ...")
    r.add_argument("lines", nargs="+", metavar="CODE*QTY")
    r.add_argument("--cost", action="append", default=[], metavar="CODE=PRICE", help="new cost price (excl. VAT)")
    r.add_argument("--ref", default="", metavar="TEXT", help="the supplier's reference (delivery note)")
    add_who(r)
    r.set_defaults(func=cmd_receive)
    n = ss.add_parser("count", parents=[common], help="a stock count: CODE=QTY ... (preview; --apply)")
    n.add_argument("lines", nargs="*", metavar="CODE=QTY")
    n.add_argument("--apply", action="store_true", help="turn the differences into movements")
    n.add_argument("--department", metavar="NAME", help="the count of one department: says what was not counted")
    n.add_argument("--missing-zero", action="store_true",
                   help="with --department: its articles not counted are counted as 0 (a full count)")
    n.add_argument("--ref", default="", metavar="TEXT")
    add_who(n)
    n.set_defaults(func=cmd_count)
    t = ss.add_parser("set", parents=[common], help="an article's net quantity and low-stock threshold")
    t.add_argument("code", metavar="CODE")
    t.add_argument("--net", nargs=2, metavar=("QTY", "UNIT"), help="content of one package: 0,25 kg, 75 l...")
    t.add_argument("--no-net", action="store_true", help="remove the net quantity")
    t.add_argument("--low", metavar="QTY|default", help="low-stock threshold (default: the shop's)")
    add_who(t)
    t.set_defaults(func=cmd_set)

    lb = sub.add_parser("labels", parents=[common], help="shelf labels (A4 PDF)", usage=argparse.SUPPRESS,
                        description=_labels_parser().format_help(),
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    lb.add_argument("items", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)  # codes may follow options
    lb.set_defaults(func=cmd_labels)


def _labels_parser() -> argparse.ArgumentParser:
    lb = argparse.ArgumentParser(prog="pos labels", add_help=False)
    lb.add_argument("out", metavar="OUT.pdf")
    lb.add_argument("codes", nargs="*", metavar="CODE")
    lb.add_argument("--layout", default="3x8", help="columns x rows on A4: 3x8 (default), 2x7, 4x10, 3x7, 2x8")
    lb.add_argument("--department", metavar="NAME")
    lb.add_argument("--changed-since", metavar="YYYY-MM-DD", help="articles created or changed since this day")
    lb.add_argument("--new-since", metavar="YYYY-MM-DD", help="articles created since this day")
    lb.add_argument("--db", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return lb


def _refuse(message: str) -> None:
    raise CliError(message)


def _qty(text: str, where: str) -> int:
    try:
        return parse_qty(text)
    except InvalidValue:
        raise CliError(_("{where}: not a quantity: {text}").format(where=where, text=text)) from None


def parse_lines(items: Sequence[str], sep: str) -> list[tuple[str, int]]:
    """``CODE*QTY`` (or ``CODE=QTY``) arguments; a bare ``CODE`` is one unit (receipts only)."""
    out = []
    for item in items:
        code, found, qty = item.rpartition(sep)
        if not found:
            if sep == "=":
                raise CliError(_("{item}: expected CODE=QTY").format(item=item))
            code, qty = item, "1"
        if not code.strip():
            raise CliError(_("{item}: no article code").format(item=item))
        out.append((code.strip(), _qty(qty, item)))
    return out


def _date(text: str | None, what: str) -> str | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise CliError(_("bad {what} {value!r}: expected YYYY-MM-DD").format(what=what, value=text)) from None


def _q(milli: int) -> str:
    return format_qty(milli, i18n.language())


def cmd_check(args: argparse.Namespace) -> int:
    from pos.catalog import stock

    open_db(args)
    wrong = stock.check()
    for _aid, reference, name, current, total in wrong:
        print(_("{reference} {name}: stock {stock}, movements {total}").format(
            reference=reference, name=name, stock=_q(current), total=_q(total)))
    if wrong:
        raise CliError(_("{n} articles whose stock differs from their movements").format(n=len(wrong)))
    print(_("stock check: every article's stock equals the sum of its movements"))
    return 0


def cmd_moves(args: argparse.Namespace) -> int:
    from pos.catalog import stock

    open_db(args)
    if args.csv:
        n = stock.export_moves(args.csv, code=args.code, since=_date(args.since, "--since") or "")
        print(_("{n} movements written to {file}").format(n=n, file=args.csv))
        return 0
    if args.limit <= 0:
        raise CliError(_("--limit must be a positive whole number"))
    for m in stock.moves(args.code, limit=args.limit):
        print(f"{m.at}  {m.reference:<12} {m.name[:28]:<28} {stock.kind_label(m.kind):<18} "
              f"{_q(m.qty):>10}  {m.user_name:<12} {m.about}".rstrip())
    return 0


def cmd_low(args: argparse.Namespace) -> int:
    from pos.catalog import stock

    open_db(args)
    rows = stock.low(args.department)
    for a in rows:
        print(_("{reference} {name} ({department}): stock {stock}, threshold {threshold}").format(
            reference=a.reference, name=a.name, department=a.department or "-", stock=_q(a.stock),
            threshold=_q(stock.threshold(a))))
    print(_("{n} articles low in stock").format(n=len(rows)))
    return 0


def cmd_value(args: argparse.Namespace) -> int:
    from pos.catalog import stock

    open_db(args)
    total = 0
    for department, cents, missing in stock.value(who(args, "reports")):
        total += cents
        extra = _(" ({n} without a cost price)").format(n=missing) if missing else ""
        print(f"{department or '-'}: {money(cents)}{extra}")
    print(_("Stock value at cost: {total}").format(total=money(total)))
    return 0


def cmd_receive(args: argparse.Namespace) -> int:
    from pos.catalog import stock

    open_db(args)
    lines = parse_lines(args.lines, "*")
    costs: dict[str, int] = {}
    for item in args.cost:
        code, found, price = item.rpartition("=")
        if not found or not code.strip():
            raise CliError(_("{item}: expected CODE=PRICE").format(item=item))
        try:
            costs[code.strip()] = parse_amount(price)
        except InvalidValue:
            raise CliError(_("{item}: not an amount: {text}").format(item=item, text=price)) from None
    n = stock.receive(who(args, "stock"), lines, costs=costs, reference=args.ref)
    print(_("goods receipt: {n} articles received").format(n=n))
    return 0


def cmd_count(args: argparse.Namespace) -> int:
    from pos.catalog import stock

    open_db(args)
    actor = who(args, "stock") if args.apply else None
    if args.missing_zero and args.department is None:
        raise CliError(_("--missing-zero needs --department"))
    lines = stock.count_lines(parse_lines(args.lines, "="), department=args.department,
                              missing_zero=args.missing_zero)
    for ln in lines:
        a = ln.article
        print(_("{reference} {name}: expected {expected}, counted {counted}, difference {difference}").format(
            reference=a.reference, name=a.name, expected=_q(ln.expected), counted=_q(ln.counted),
            difference=("+" if ln.difference > 0 else "") + _q(ln.difference)))
    if args.department is not None and not args.missing_zero:
        print(_("{n} articles of {department} not counted: their stock is kept (--missing-zero counts them as 0)")
              .format(n=stock.not_counted(args.department, lines), department=args.department))
    if actor is None:
        print(_("preview only: add --apply to turn the differences into movements"))
        return 0
    n = stock.apply_count(actor, lines, reference=args.ref)
    print(_("count applied: {n} articles adjusted").format(n=n))
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    from pos.catalog import stock

    open_db(args)
    article = stock.find(args.code)
    net_qty, net_unit = article.net_qty, article.net_unit
    if args.no_net:
        net_qty, net_unit = None, ""
    elif args.net:
        net_qty, net_unit = stock.parse_net(f"{args.net[0]} {args.net[1]}")
    low = article.low_stock
    if args.low is not None:
        low = None if args.low.strip().lower() in ("default", "défaut") else _qty(args.low, "--low")
    stock.set_fields(who(args, "stock"), args.code, net_qty=net_qty, net_unit=net_unit, low_stock=low)
    print(_("{reference}: saved").format(reference=article.reference))
    return 0


def cmd_labels(args: argparse.Namespace) -> int:
    from pos.catalog import labels

    parser = _labels_parser()
    parser.error = _refuse  # type: ignore[method-assign]
    args = parser.parse_intermixed_args(args.items, namespace=args)
    open_db(args)
    target = Path(args.out)
    if target.is_dir() or not (target.parent if str(target.parent) else Path(".")).is_dir():
        raise CliError(_("cannot write {path}").format(path=args.out))
    if args.layout not in labels.LAYOUTS:
        raise CliError(_("Unknown layout {layout}: {known}").format(layout=args.layout,
                                                                    known=", ".join(labels.LAYOUTS)))
    rows = labels.select(department=args.department, changed_since=_date(args.changed_since, "--changed-since"),
                         new_since=_date(args.new_since, "--new-since"), codes=args.codes)
    with progress(_("Labels"), len(rows)) as update:
        pages = labels.write_pdf(target, rows, args.layout, progress=lambda done, total: update(done, total))
    print(_("{n} labels on {pages} pages written to {file}").format(n=len(rows), pages=pages, file=args.out))
    return 0



def cmd_margin(args: argparse.Namespace, period: tuple[dt.date, dt.date]) -> int:
    """``pos report margin [--date D | --period P | --from D --to D] [--by article|department|day|month]
    [--pdf FILE]`` (called by ``pos report``)."""
    from pos.catalog import margins

    if args.number:
        raise CliError(_("--number is for closures"))
    report = margins.margin_report(who(args, "reports"), *period, by=(args.by or "article").strip())
    for line in margins.report_lines(report):
        print(line)
    if args.pdf:
        target = Path(args.pdf)
        if target.is_dir() or not (target.parent if str(target.parent) else Path(".")).is_dir():
            raise CliError(_("cannot write {path}").format(path=args.pdf))
        margins.write_pdf(report, target)
    return 0
