"""The one family of refusals, and the one ``Cancelled``.

A :class:`Refusal` is an expected "no" with a message for the user, in their
language: nothing was changed.  The touch screens show it as a toast and the CLI
prints it on one line (exit 1).  Any other exception is a defect: it is logged with
its traceback and shown as an internal error, never swallowed.
"""

from __future__ import annotations


class Refusal(Exception):
    """An action refused; ``str(refusal)`` is the message shown to the user."""


class Cancelled(Exception):
    """Long work stopped at the user's request (a background job's cancel)."""
