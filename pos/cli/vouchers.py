"""``pos vouchers list|show|cancel|gift-article``: credit notes (avoirs) and gift vouchers."""

from __future__ import annotations

import argparse

from pos.cli.common import add_who, money, open_db, who
from pos.core.i18n import _, ngettext
from pos.data import vouchers as vouchers_db


def _state(v: vouchers_db.VoucherInfo, today: str) -> str:
    return {"open": _("open"), "used": _("used"), "cancelled": _("cancelled"),
            "expired": _("expired")}[v.state(today)]


def _kind(kind: str) -> str:
    return _("credit note") if kind == "credit_note" else _("gift voucher")


def cmd_list(args: argparse.Namespace) -> int:
    from pos.sale.vouchers import today

    open_db(args)
    rows = vouchers_db.list_vouchers(open_only=args.open, search=args.search or "", limit=args.limit)
    now = today()
    for v in reversed(rows):
        print(f"{v.code}  {v.issued_at[:10]}  {_kind(v.kind):<13} {money(v.amount):>12} "
              f"{money(v.balance):>12}  {_state(v, now):<9} {v.expires_on or '-'}")
    print(ngettext("{n} note", "{n} notes", len(rows)).format(n=len(rows)))
    if args.open:
        print(_("outstanding: {amount}").format(amount=money(sum(v.balance for v in rows))))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from pos.sale.vouchers import find, today

    open_db(args)
    v = find(args.number)
    print(f"{v.code}: {_kind(v.kind)}")
    print(_("amount: {amount}").format(amount=money(v.amount)))
    print(_("balance: {amount}").format(amount=money(v.balance)))
    print(_("state: {state}").format(state=_state(v, today())))
    print(_("issued: {at} by {user}").format(at=v.issued_at[:16].replace("T", " "), user=v.user_name)
          + (" " + _("(ticket {number})").format(number=v.ticket_number) if v.ticket_number else ""))
    print(_("valid until: {date}").format(date=v.expires_on or _("no expiry")))
    for m in vouchers_db.moves(v.number):
        ticket = _("ticket {number}").format(number=m["ticket_number"]) if m["ticket_number"] else m["reason"]
        print(f"  {m['at'][:16].replace('T', ' ')}  {m['kind']:<7} {money(m['amount']):>12} "
              f"{money(m['balance']):>12}  {m['user_name']}  {ticket}")
    return 0


def cmd_cancel(args: argparse.Namespace) -> int:
    from pos.sale.vouchers import cancel_voucher

    open_db(args)
    v = cancel_voucher(who(args, "vouchers"), args.number, args.reason or "")
    print(_("{code} cancelled ({amount} was left)").format(code=v.code, amount=money(v.balance)))
    return 0


def cmd_gift_article(args: argparse.Namespace) -> int:
    from pos.sale.vouchers import set_gift_article

    open_db(args)
    reference = set_gift_article(who(args, "catalog"), args.code, not args.off)
    print(_("{reference} is a gift voucher").format(reference=reference) if not args.off
          else _("{reference} is an ordinary article").format(reference=reference))
    return 0


def register(sub, common: argparse.ArgumentParser) -> None:
    v = sub.add_parser("vouchers", parents=[common], help="credit notes and gift vouchers")
    vs = v.add_subparsers(dest="action", required=True)
    lst = vs.add_parser("list", parents=[common], help="list the notes, newest last")
    lst.add_argument("--open", action="store_true", help="only the notes with a balance")
    lst.add_argument("--search", metavar="TEXT", help="a note's code or number, a ticket number or an amount")
    lst.add_argument("--limit", type=int, default=1000)
    lst.set_defaults(func=cmd_list)
    sh = vs.add_parser("show", parents=[common], help="one note and its moves")
    sh.add_argument("number", metavar="NUMBER")
    sh.set_defaults(func=cmd_show)
    ca = vs.add_parser("cancel", parents=[common], help="cancel what is left on a note (manager)")
    ca.add_argument("number", metavar="NUMBER")
    ca.add_argument("--reason", required=True)
    add_who(ca)
    ca.set_defaults(func=cmd_cancel)
    ga = vs.add_parser("gift-article", parents=[common], help="make an article a gift voucher (0 %% VAT)")
    ga.add_argument("code", metavar="CODE")
    ga.add_argument("--off", action="store_true", help="an ordinary article again")
    add_who(ga)
    ga.set_defaults(func=cmd_gift_article)


def issued_lines(ticket_number: int) -> list[str]:
    """What a ticket did to notes, for the CLI's output after a sale or a refund."""
    out = []
    for n in vouchers_db.for_ticket(ticket_number):
        if n["move"] == "issue":
            until = _("valid until {date}").format(date=n["expires_on"]) if n["expires_on"] else _("no expiry")
            out.append(_("{kind} {code}: {amount}, {until}").format(kind=_kind(n["kind"]), code=n["code"],
                                                                    amount=money(n["amount"]), until=until))
        elif n["move"] == "use":
            out.append(_("{code}: {amount} used, {balance} left").format(
                code=n["code"], amount=money(-n["amount"]), balance=money(n["balance"])))
    return out

