"""The ``pos`` command.  It drives the same core as the touch screens.

Each command lives in the module of its domain and registers itself with
``register(sub, common)``; the modules import ``pos.cli.common`` and the core, never
this package, so there is no import circle.  Every refusal prints one line on stderr
and exits with status 1; any other exception is a defect and shows its traceback.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from collections.abc import Sequence

from peewee import DatabaseError

from pos.cli import admin, backups, closing, hardware, journal, refund, reports, sale, sync, transfer, vouchers
from pos.cli import stock as stock_cli
from pos.core.errors import Refusal
from pos.core.i18n import _

MODULES = (admin, sale, transfer, hardware, closing, journal, reports, sync, vouchers, refund, backups, stock_cli)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pos", description="Point-of-sale till for small shops.")
    p.add_argument("--db", help="database file (default: $POS_DB or the user data folder)")
    common = argparse.ArgumentParser(add_help=False)  # --db is accepted after the command too
    common.add_argument("--db", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    sub = p.add_subparsers(dest="command")
    for module in MODULES:
        module.register(sub, common)
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
    except Refusal as exc:  # one line; any other exception is a defect: its traceback is shown
        print(f"pos: {exc}", file=sys.stderr)
        return 1
    except (DatabaseError, sqlite3.Error) as exc:  # locked, read-only, corrupt...: nothing was committed
        print(f"pos: {_('database error')}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `pos ... | head`: the reader left; say nothing more (Python's docs, signal)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    finally:
        from pos.data.db import close_database

        close_database()
