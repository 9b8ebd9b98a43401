"""The one family of refusals, the one ``Cancelled``, and what to tell the user about an error.

A :class:`Refusal` is an expected "no" with a message for the user, in their
language: nothing was changed.  The touch screens show it as a toast and the CLI
prints it on one line (exit 1).  Any other exception is a defect: it is logged with
its traceback and shown as an internal error, never swallowed (:func:`explain`).
"""

from __future__ import annotations

import logging
import sqlite3

from peewee import OperationalError

from pos.core.i18n import _

log = logging.getLogger(__name__)


class Refusal(Exception):
    """An action refused; ``str(refusal)`` is the message shown to the user."""


class InvalidValue(Refusal, ValueError):
    """A typed or read value that is not valid (an amount, a quantity, a PIN, a shop address).

    Also a ``ValueError``, as ``int("x")`` raises one, so that the parsers that catch
    ``ValueError`` around a conversion keep working."""


class Cancelled(Exception):
    """Long work stopped at the user's request (a background job's cancel)."""


def is_database_trouble(exc: BaseException) -> bool:
    """The database is locked, read-only or full (an ``OperationalError``): no defect, a message."""
    return isinstance(exc, (OperationalError, sqlite3.OperationalError))


def explain(exc: BaseException, expected: tuple[type[BaseException], ...] = ()) -> str:
    """The message to show for ``exc``.

    A refusal, or an ``expected`` failure (a network error for a sync, a disk error for
    a file), is its own message; a database in trouble says so; anything else is a
    defect: logged here with its traceback, shown as an internal error."""
    if isinstance(exc, Refusal) or (expected and isinstance(exc, expected)):
        return str(exc)
    if is_database_trouble(exc):
        log.warning("database error: %s", exc)
        return _("Database error: {error}").format(error=exc)
    log.error("internal error", exc_info=exc)
    return internal_error(exc)


def internal_error(exc: BaseException) -> str:
    return _("Internal error: {error} (see the log)").format(error=f"{type(exc).__name__}: {exc}")
