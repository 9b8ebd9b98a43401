"""``pos close day|month|year|x`` and ``pos cash float|in|out|list``."""

from __future__ import annotations

import argparse

from pos.cli.common import CliError, add_who, open_db, plain, who
from pos.core.i18n import _
from pos.core.money import format_rate, parse_amount


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
             f"sales.count: {d['sales']['count']}", f"sales.total: {plain(d['sales']['total'])}",
             f"refunds.count: {d['refunds']['count']}", f"refunds.total: {plain(d['refunds']['total'])}",
             f"discounts: {plain(d['discounts'])}",
             f"training.count: {d['training']['count']}", f"training.total: {plain(d['training']['total'])}",
             f"total: {plain(c['total'])}", f"perpetual_total: {plain(c['perpetual_total'])}"]
    for v in d["vat"]:
        rate = format_rate(v["vat_bp"], "en").rstrip("%")
        lines.append(f"vat.{rate}: excl {plain(v['excl'])} vat {plain(v['vat'])} total {plain(v['total'])}")
    for p in d["payments"]:
        code = p["method_code"]
        lines += [f"payment.{code}: {plain(p['amount'])}", f"payment.{code}.count: {p['count']}"]
    lines += [f"cash.float: {plain(cash['float'])}", f"cash.in: {plain(cash['cash_in'])}",
              f"cash.out: {plain(cash['cash_out'])}", f"cash.taken: {plain(cash['cash_taken'])}",
              f"cash.change: {plain(cash['change_given'])}", f"cash.expected: {plain(cash['expected'])}",
              f"cash.counted: {none if cash['counted'] is None else plain(cash['counted'])}",
              f"cash.difference: {none if cash['difference'] is None else plain(cash['difference'])}"]
    lines += [f"cash.count.{plain(int(k))}: {n}" for k, n in cash["counted_detail"].items()]
    lines.append(f"cash.movements: {len(cash['movements'])}")
    if c["kind"] in ("month", "year"):
        lines.append("closures: " + ("|".join(str(n) for n in d["closures"]) or none))
    lines += [f"journal_seq: {c['journal_seq']}", f"last_hash: {c['last_hash']}"]
    return "\n".join(lines)


def cmd_close(args: argparse.Namespace) -> int:
    """``pos close day|month|year|x [--counted AMOUNT] [--pdf FILE]``."""
    from pos.fiscal import closures

    open_db(args)
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
    try:
        if args.kind == "x":
            closure = closures.x_report(who(args, "reports"), counted=counted)
        else:
            closure = closures.close(who(args, "closure"), args.kind, counted=counted)
    except closures.ClosureError as exc:
        raise CliError(str(exc)) from exc
    print(format_closure(closure), flush=True)
    if args.kind == "day":  # a backup after each Z, into the backup folder when one is set
        from pos.fiscal.backup import auto_backup

        made = auto_backup("z")
        if made is not None:
            print(f"backup: {made.path}", flush=True)
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

    open_db(args)
    if args.action == "list":
        for m in closures.pending_movements(who(args, "reports")):
            print(f"{m['id']:>6}  {m['at'][:19].replace('T', ' ')}  {m['kind']:<5} {plain(m['amount']):>10}  "
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
    actor = who(args, "cash_out" if args.action == "out" else "cash_in")
    try:
        m = closures.cash_movement(actor, args.action, amount, args.reason or "")
    except closures.ClosureError as exc:
        raise CliError(str(exc)) from exc
    print(f"movement: {m['id']}\nkind: {m['kind']}\namount: {plain(m['amount'])}\nreason: {m['reason']}")
    return 0


def register(sub, common: argparse.ArgumentParser) -> None:
    cl = sub.add_parser("close", parents=[common], help="run a closure: daily Z, monthly, yearly; x: the X report")
    cl.add_argument("kind", choices=["day", "month", "year", "x"])
    cl.add_argument("--counted", metavar="AMOUNT", help="day, x: the cash counted in the drawer")
    cl.add_argument("--pdf", metavar="FILE", help="also write the closure as a PDF")
    add_who(cl)
    cl.set_defaults(func=cmd_close)

    ca = sub.add_parser("cash", parents=[common], help="cash movements: opening float, cash in, cash out")
    ca.add_argument("action", choices=["float", "in", "out", "list"])
    ca.add_argument("amount", nargs="?", metavar="AMOUNT")
    ca.add_argument("--reason", help="why (required for in and out)")
    add_who(ca)
    ca.set_defaults(func=cmd_cash)
