"""Users and their PIN hashes; the PIN throttle's counters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from peewee import fn

from pos.data.config import get_setting, set_setting
from pos.data.models import (
    Setting,
    User,
)


@dataclass(frozen=True)
class UserInfo:
    id: int
    name: str
    role: str
    active: bool = True

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"


def users(include_inactive: bool = False) -> list[UserInfo]:
    query = User.select().order_by(User.position, User.name)
    if not include_inactive:
        query = query.where(User.active == True)  # noqa: E712
    return [UserInfo(u.id, u.name, u.role, u.active) for u in query]


def user_pin_hash(user_id: int) -> str | None:
    row = User.select(User.pin_hash).where(User.id == user_id, User.active == True).first()  # noqa: E712
    return row.pin_hash if row else None


def find_user(name: str) -> UserInfo | None:
    u = User.get_or_none(fn.lower(User.name) == name.lower())
    return UserInfo(u.id, u.name, u.role, u.active) if u else None


def is_empty_shop() -> bool:
    return not User.select().exists()


def create_user(name: str, pin_hash: str, role: str = "cashier") -> UserInfo:
    if role not in ("cashier", "manager"):
        raise ValueError("a role is cashier or manager")
    u = User.create(name=name, pin_hash=pin_hash, role=role, position=User.select().count() + 1)
    return UserInfo(u.id, u.name, u.role)


def update_user(user_id: int, **values: Any) -> None:
    User.update(**values).where(User.id == user_id).execute()


def count_active_managers() -> int:
    return User.select().where(User.role == "manager", User.active == True).count()  # noqa: E712


class SettingsThrottleStore:
    """PIN-failure counters kept in the settings table (hidden keys ``auth.throttle.N``)."""

    def load(self, key: int) -> tuple[int, float]:
        value = get_setting(f"auth.throttle.{key}")
        if not value:
            return 0, 0.0
        failures, locked_until = value.split(";")
        return int(failures), float(locked_until)

    def save(self, key: int, failures: int, locked_until: float) -> None:
        if failures == 0 and locked_until == 0:
            Setting.delete().where(Setting.key == f"auth.throttle.{key}").execute()
        else:
            set_setting(f"auth.throttle.{key}", f"{failures};{locked_until}")
