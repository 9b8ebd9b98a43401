"""The basket in progress and the parked baskets."""

from __future__ import annotations

import json
from typing import Any

from peewee import JOIN

from pos.data.common import now_iso
from pos.data.models import (
    SavedBasket,
    User,
    database,
)


def save_current_basket(user_id: int | None, data: dict[str, Any] | None) -> None:
    """Keep the basket in progress so it survives a restart (``None`` clears it)."""
    with database.atomic():
        SavedBasket.delete().where(SavedBasket.kind == "current", SavedBasket.user == user_id).execute()
        if data is not None:
            SavedBasket.create(kind="current", user=user_id, data=json.dumps(data), created_at=now_iso())


def load_current_basket(user_id: int | None) -> dict[str, Any] | None:
    row = SavedBasket.get_or_none(SavedBasket.kind == "current", SavedBasket.user == user_id)
    return json.loads(row.data) if row else None


def park_basket(user_id: int | None, label: str, data: dict[str, Any]) -> int:
    return SavedBasket.create(kind="parked", user=user_id, label=label, data=json.dumps(data),
                              created_at=now_iso()).id


def parked_baskets() -> list[dict[str, Any]]:
    rows = (SavedBasket.select(SavedBasket, User.name.alias("user_name"))
            .join(User, JOIN.LEFT_OUTER, on=(SavedBasket.user == User.id))
            .where(SavedBasket.kind == "parked").order_by(SavedBasket.id).dicts())
    out = []
    for r in rows:
        data = json.loads(r["data"])
        out.append({"id": r["id"], "label": r["label"], "created_at": r["created_at"],
                    "user_name": r["user_name"] or "", "data": data})
    return out


def take_parked_basket(basket_id: int) -> dict[str, Any] | None:
    with database.atomic():
        row = SavedBasket.get_or_none(SavedBasket.id == basket_id, SavedBasket.kind == "parked")
        if row is None:
            return None
        row.delete_instance()
        return json.loads(row.data)
