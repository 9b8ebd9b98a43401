"""The one shape of a change to the shop: check, validate, write and journal in ONE transaction.

    with change(actor, "vat", "vat_rate_added", rate_bp=rate) as event:
        ...write...                       # validation raises a Refusal: nothing is written
        event["id"] = new_id              # more data for the journal event

The permission is checked first; the write and its journal event are one SQLite
transaction (``BEGIN IMMEDIATE``), so a crash between them leaves both or neither.
``fault_point`` lets tests inject a failure between the write and the event.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from pos.core.permissions import Actor, check
from pos.data import common, events

_fault: Callable[[str], None] | None = None


def fault_point(name: str) -> None:
    """A named point inside a transaction where a test may make the change fail."""
    if _fault is not None:
        _fault(name)


@contextlib.contextmanager
def inject_fault(hook: Callable[[str], None]) -> Iterator[None]:
    """For tests: call ``hook(name)`` at every fault point while inside the ``with``."""
    global _fault
    previous, _fault = _fault, hook
    try:
        yield
    finally:
        _fault = previous


@contextlib.contextmanager
def change(actor: Actor, permission: str, event: str, **data: Any) -> Iterator[dict[str, Any]]:
    """Check ``permission`` for ``actor``, then run the body and journal ``event`` in one transaction.

    The body may add to the yielded dict, which becomes the event's data."""
    check(actor, permission)
    with common.atomic():
        yield data
        fault_point("before_event")
        events.log_event(event, actor.name, **data)
