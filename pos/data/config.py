"""The settings table (validation lives in ``pos.core.settings``)."""

from __future__ import annotations

from pos.data.models import (
    Setting,
)


def get_setting(key: str, default: str | None = None) -> str | None:
    row = Setting.get_or_none(Setting.key == key)
    return row.value if row else default


def all_settings() -> dict[str, str]:
    return {s.key: s.value for s in Setting.select()}


def set_setting(key: str, value: str) -> None:
    Setting.insert(key=key, value=value).on_conflict_replace().execute()
