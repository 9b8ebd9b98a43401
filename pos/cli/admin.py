"""``pos run``, ``pos demo``, ``pos config``, ``pos users`` and ``pos vat``."""

from __future__ import annotations

import argparse
import getpass
import sys

from pos.cli.common import CliError, add_who, open_db, progress, read_secret, who
from pos.core import i18n, settings
from pos.core.i18n import _
from pos.core.money import format_rate
from pos.data import catalog
from pos.data import shop as shop_db
from pos.data import users as users_db


def cmd_run(args: argparse.Namespace) -> int:
    open_db(args, create=True)
    if args.demo and users_db.is_empty_shop():
        from pos.demo import load_demo_shop

        load_demo_shop()
    from pos.screens import startup

    startup.prepare()  # before Kivy: a clean start-up log
    from pos.screens.app import run_app  # Kivy is imported only here

    run_app()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from pos.demo import add_synthetic_articles, load_demo_shop

    open_db(args, create=True)
    if not args.no_shop:
        load_demo_shop()
    if args.articles:
        with progress(_("Adding synthetic articles"), args.articles) as update:
            added = add_synthetic_articles(args.articles, update)
        print(_("{n} synthetic articles added").format(n=added))
    print(_("{n} articles in the database").format(n=catalog.count_articles()))
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    """``pos config list|get KEY|set KEY VALUE``; ``set KEY -`` reads the value on standard input
    (a secret is never taken from the command line: ``-``, or a prompt on a terminal)."""
    from pos.core import admin

    open_db(args)
    try:
        if args.action == "list":
            for key, value in settings.all_values().items():
                print(f"{key}={value!r}" if "\n" in value else f"{key}={value}")
        elif args.action == "get":
            print(settings.get(args.key))
        else:
            value = _setting_value(args)
            admin.set_setting(who(args, "settings"), args.key, value)
    except settings.SettingError as exc:
        raise CliError(f"{args.key}: {exc}") from exc
    return 0


def _setting_value(args: argparse.Namespace) -> str:
    spec = settings.BY_KEY.get(args.key)
    if spec is None:
        raise CliError(_("unknown setting {key}").format(key=args.key))
    if args.value == "-":
        return sys.stdin.read().rstrip("\r\n")
    if spec.secret:
        if args.value is not None:
            raise CliError(_("{key} is a secret: it is never taken from the command line; "
                             "give - and type it on standard input").format(key=args.key))
        if not sys.stdin.isatty():
            raise CliError(_("usage: pos config set {key} - (the value on standard input)").format(key=args.key))
        return getpass.getpass(_("{key}: ").format(key=args.key))
    if args.value is None:
        raise CliError(_("usage: pos config set KEY VALUE"))
    return args.value.replace("\\n", "\n")


def cmd_users(args: argparse.Namespace) -> int:
    """``pos users list`` and ``pos users add NAME --role cashier|manager`` (a manager's PIN; the new
    user's PIN from ``$POS_NEW_PIN`` or a prompt).  The first user of an empty shop is a manager
    created without a PIN: nobody could give one yet."""
    from pos.core import admin

    open_db(args, create=args.action == "add")  # a shop can be set up from the command line
    if args.action == "list":
        from pos.core import auth

        locked = {u.id: left for u, left, _level in users_db.locked_users()}  # wrong PINs: a manager sees it
        for u in users_db.users(include_inactive=True):
            state = _("locked for {time} (wrong PINs)").format(time=auth.duration(locked[u.id])) if u.id in locked \
                else ""
            print(f"{u.name:<20} {u.role:<8} {'' if u.active else _('inactive')} {state}".rstrip())
        return 0
    if not args.name:
        raise CliError(_("usage: pos users add NAME --role cashier|manager"))
    if users_db.is_empty_shop():
        if args.role != "manager":
            raise CliError(_("the first user of a shop is a manager: add --role manager"))
        admin.first_manager(args.name, read_secret(_("PIN of the new user: "), "POS_NEW_PIN"))
    else:
        actor = who(args, "users")
        admin.add_user(actor, args.name, read_secret(_("PIN of the new user: "), "POS_NEW_PIN"), args.role)
    print(_("user {name} created").format(name=args.name))
    return 0


def cmd_vat(args: argparse.Namespace) -> int:
    open_db(args)
    for v in shop_db.vat_rates(include_inactive=True):
        print(f"{format_rate(v.rate_bp, i18n.language()):>8}  {v.label}")
    return 0


def register(sub, common: argparse.ArgumentParser) -> None:
    r = sub.add_parser("run", parents=[common], help="start the till")
    r.add_argument("--demo", action="store_true", help="load the demo shop into an empty database")
    r.set_defaults(func=cmd_run)

    d = sub.add_parser("demo", parents=[common], help="load the demo shop and/or synthetic articles")
    d.add_argument("--articles", type=int, default=0, help="synthetic articles A0000001... up to N")
    d.add_argument("--no-shop", action="store_true", help="only the synthetic articles")
    d.set_defaults(func=cmd_demo)

    c = sub.add_parser("config", parents=[common], help="read and write settings (set: a manager)")
    c.add_argument("action", choices=["get", "set", "list"])
    c.add_argument("key", nargs="?", default="")
    c.add_argument("value", nargs="?", help="the value; - reads it on standard input (secrets: always)")
    add_who(c)
    c.set_defaults(func=cmd_config)

    u = sub.add_parser("users", parents=[common], help="list or add users (add: a manager)")
    u.add_argument("action", choices=["list", "add"])
    u.add_argument("name", nargs="?")
    u.add_argument("--role", choices=["cashier", "manager"], default="cashier")
    add_who(u)
    u.set_defaults(func=cmd_users)

    v = sub.add_parser("vat", parents=[common], help="list VAT rates")
    v.set_defaults(func=cmd_vat)
