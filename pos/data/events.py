"""Technical events, journaled in the transaction that writes them."""

from __future__ import annotations

import json
from typing import Any

from peewee import fn

from pos.data import journal
from pos.data.common import now_iso
from pos.data.models import (
    Event,
    database,
)


def log_event(kind: str, user_name: str = "", **data: Any) -> None:
    """A technical event, in the event log and in the fiscal journal, in one transaction (IMMEDIATE:
    the journal's last record is read under the write lock, so two processes never take the same seq)."""
    at = now_iso()
    with database.atomic("IMMEDIATE"):
        Event.create(at=at, kind=kind, user_name=user_name, data=json.dumps(data, ensure_ascii=False, sort_keys=True))
        journal.append("event", kind, {"kind": kind, "user": user_name, "data": data}, at)
    if not database.in_transaction():
        journal.write_head()


def last_event(kind: str, having: str | None = None) -> dict[str, Any] | None:
    """The newest event of ``kind`` (whose data has the key ``having``, when given), or None."""
    query = Event.select().where(Event.kind == kind)
    if having is not None:
        if not having.isidentifier():
            raise ValueError(f"not a data key: {having!r}")
        query = query.where(fn.json_extract(Event.data, f"$.{having}").is_null(False))
    row = query.order_by(Event.id.desc()).limit(1).dicts().first()
    return dict(row, data=json.loads(row["data"])) if row else None


def events(kind: str | None = None) -> list[dict[str, Any]]:
    query = Event.select().order_by(Event.id)
    if kind:
        query = query.where(Event.kind == kind)
    return [dict(e, data=json.loads(e["data"])) for e in query.dicts()]
