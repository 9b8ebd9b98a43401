"""Helpers shared by the data modules: the clock, sort keys, the write transaction."""

from __future__ import annotations

import contextlib
import datetime as dt
import unicodedata

from pos.core.errors import Refusal
from pos.data import journal
from pos.data.models import (
    database,
)


def sort_key(text: str) -> str:
    """Alphabetical order as people expect it: accents and case ignored ("Éclair" near "Eau")."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


def now_iso() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


@contextlib.contextmanager
def atomic():
    """A write transaction (IMMEDIATE); once the outermost one is committed, the journal's head file
    is brought up to date (the events journaled inside it are then protected too)."""
    outermost = not database.in_transaction()
    with database.atomic("IMMEDIATE"):
        yield
    if outermost:
        journal.write_head()


def release_thread_connection() -> None:
    """Close this thread's connection (device threads open one only to record a print)."""
    if not database.is_closed():
        database.close()


class CatalogError(Refusal):
    """A refused catalogue change; the message says why, in the user's language."""


__all__ = ["CatalogError", "atomic", "database", "now_iso", "release_thread_connection", "sort_key"]
