"""Users and their PIN hashes; the PIN throttle's counters."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from peewee import fn

from pos.core import auth
from pos.data.config import get_setting, set_setting
from pos.data.models import (
    Setting,
    User,
    database,
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
    """PIN-attempt counters kept in the settings table (hidden keys ``auth.throttle.N``:
    ``failures;locked_until;level;pending``), read and written in one ``BEGIN IMMEDIATE`` transaction so
    that processes trying PINs at the same time count every attempt."""

    @staticmethod
    def _key(key: int) -> str:
        return f"auth.throttle.{key}"

    def load(self, key: int) -> auth.State:
        value = get_setting(self._key(key))
        if not value:
            return auth.State()
        parts = value.split(";")
        return auth.State(int(parts[0]), float(parts[1]), int(parts[2]) if len(parts) > 2 else 0,
                          float(parts[3]) if len(parts) > 3 else 0.0)

    def _save(self, key: int, state: auth.State) -> None:
        set_setting(self._key(key), f"{state.failures};{state.locked_until};{state.level};{state.pending}")

    def admit(self, key: int, now: float) -> auth.Attempt:
        with database.atomic("IMMEDIATE"):  # the read and the write under the one write lock
            state = self.load(key)
            new, attempt = auth.admit(state, now)
            if new != state:
                self._save(key, new)
        return attempt

    def confirm(self, key: int) -> None:
        with database.atomic("IMMEDIATE"):
            state = self.load(key)
            if state.pending:
                self._save(key, state._replace(pending=0.0))

    def reset(self, key: int) -> None:
        with database.atomic("IMMEDIATE"):  # a write waits for the lock like the others (PosDatabase.begin)
            Setting.delete().where(Setting.key == self._key(key)).execute()


def locked_users(now: float | None = None) -> list[tuple[UserInfo, int, int]]:
    """The users locked out now by wrong PINs: (user, seconds left, locks in a row), for a manager."""
    now = time.time() if now is None else now
    store = SettingsThrottleStore()
    out = []
    for user in users(include_inactive=True):
        state = store.load(user.id)
        if state.locked_until > now:
            out.append((user, math.ceil(state.locked_until - now), state.level))
    return out
