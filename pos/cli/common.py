"""What every command shares: the database, who acts (user and PIN), devices, amounts.

Who acts: ``--user NAME`` (or ``$POS_USER``) and the PIN from ``$POS_PIN`` or, on a
terminal, a prompt.  A PIN is never taken from the command line.  The PIN goes through
the same throttled check as the till's login, and the permission is checked by the
core (``pos.core.permissions``), like on the touch screens.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from pos.core import i18n, settings
from pos.core.errors import Refusal
from pos.core.i18n import _
from pos.core.money import format_amount
from pos.core.permissions import Actor
from pos.data import users as users_db
from pos.data.db import default_db_path, open_database


class CliError(Refusal):
    """A command refused: one line on stderr, exit status 1, nothing changed."""


def open_db(args: argparse.Namespace, create: bool = False) -> None:
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


def money(cents: int) -> str:
    return format_amount(cents, i18n.language())


def devices(strict: bool = True):
    """The till's devices from the settings; --receipt without a printer writes on stdout.

    A device that cannot be built is an error for the hardware commands, and only a
    warning on stderr for a sale (a device never stops a sale)."""
    from pos.hardware import NoPrinter, TextPrinter
    from pos.hardware import devices as hardware_devices

    built = hardware_devices.build(settings.all_values())
    for kind, message in built.problems.items():
        if strict:
            raise CliError(f"{kind}: {message}")
        print(f"pos: {kind}: {message}", file=sys.stderr)
    if isinstance(built.printer, NoPrinter):
        built.printer = TextPrinter(sys.stdout)
    return built


def wait_job(job, what: str) -> None:
    """Wait for a device job; a failure is one line and exit 1."""
    if job is None:
        return
    if not job.finished.wait(3 * float(settings.get("printer.timeout")) + 5):  # connect, status, write
        raise CliError(_("{what}: no answer from the device").format(what=what))
    if job.error:
        raise CliError(f"{what}: {job.error}")


def plain(cents: int) -> str:
    """An amount in the stable output: euros with a decimal point, no thousands separator (``-1234.56``)."""
    return format_amount(cents, "en", currency=False).replace(",", "")


def read_secret(prompt: str, env: str) -> str:
    """A PIN or key: from the environment variable ``env``, else a prompt on a terminal."""
    value = os.environ.get(env)
    if value:
        return value
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    raise CliError(_("a PIN is required: set {env} or run the command on a terminal").format(env=env))


def acting_user(args: argparse.Namespace) -> users_db.UserInfo:
    name = getattr(args, "user", None) or os.environ.get("POS_USER")
    if not name:
        raise CliError(_("who acts? give --user NAME (the PIN in POS_PIN, or typed at the prompt)"))
    user = users_db.find_user(name)
    if user is None or not user.active:
        raise CliError(_("unknown user {name}").format(name=name))
    return user


def login(args: argparse.Namespace, till) -> None:
    """Open a one-shot session of the acting user on ``till`` (throttled PIN check, no login event)."""
    user = acting_user(args)
    till.login(user.id, read_secret(_("PIN of {name}: ").format(name=user.name), "POS_PIN"), log=False)


def who(args: argparse.Namespace, permission: str) -> Actor:
    """The acting user, authenticated by their PIN and allowed ``permission``; else a refusal."""
    from pos.sale.till import Till

    till = Till()
    try:
        login(args, till)
        return till.require(permission)
    finally:
        till.close()


def add_who(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", help="who acts (or $POS_USER); the PIN comes from $POS_PIN or a prompt")


Update = Callable[..., None]  # update(done, total=None, what=None)


@contextlib.contextmanager
def progress(what: str, total: int | None = None, *, unit: str = "") -> Iterator[Update]:
    """A progress bar on stderr for long work, when stderr is a terminal (``rich``); yields
    ``update(done, total=None, what=None)``, the callback the work reports to.

    Without a total the bar pulses and the elapsed time counts; ``unit="bytes"`` shows sizes.
    The bar is gone when the work ends, so the results printed after it read as before.
    When stderr is not a terminal nothing is shown and the output is unchanged (a script, a
    pipe, a log).  On a terminal, what the work prints meanwhile goes above the bar (stdout
    too when it is that terminal; a redirected stdout is never touched).
    """
    if not sys.stderr.isatty():
        yield lambda *_a, **_kw: None
        return
    from rich import progress as rp
    from rich.console import Console

    counts = rp.DownloadColumn() if unit == "bytes" else rp.MofNCompleteColumn()
    bar = rp.Progress(rp.TextColumn("{task.description}"), rp.BarColumn(), rp.TaskProgressColumn(), counts,
                      rp.TimeElapsedColumn(), rp.TimeRemainingColumn(), console=Console(file=sys.stderr),
                      transient=True, redirect_stdout=sys.stdout.isatty(), redirect_stderr=True)
    with bar:
        task = bar.add_task(what, total=total)

        def update(done: int, total: int | None = None, what: str | None = None) -> None:
            fields = {"completed": done}
            if total is not None:
                fields["total"] = total
            if what:
                fields["description"] = what
            bar.update(task, **fields)

        yield update
