"""PIN hashing and login throttling.  PINs are never stored or logged in clear."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from pos.core.errors import InvalidValue
from pos.core.i18n import _

ITERATIONS = 60_000
MAX_FAILURES = 3
LOCK_SECONDS = 30


def hash_pin(pin: str, *, iterations: int = ITERATIONS) -> str:
    if not (pin.isdigit() and 4 <= len(pin) <= 8):
        raise InvalidValue(_("a PIN has 4 to 8 digits"))
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def check_pin(pin: str, stored: str) -> bool:
    try:
        algo, iterations, salt, digest = stored.split("$")
    except ValueError:
        return False
    if algo != "pbkdf2_sha256":
        return False
    test = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt), int(iterations))
    return hmac.compare_digest(test.hex(), digest)


class ThrottleStore(Protocol):
    """Where a throttle keeps its counters so that a restart does not reset them."""

    def load(self, key: int) -> tuple[int, float]: ...
    def save(self, key: int, failures: int, locked_until: float) -> None: ...


@dataclass
class Throttle:
    """Three wrong PINs lock a user for 30 seconds.

    With a ``store`` the counters survive a restart of the till (and are shared by
    the CLI); the clock is then wall time.
    """

    failures: dict[int, int] = field(default_factory=dict)
    locked_until: dict[int, float] = field(default_factory=dict)
    clock: Callable[[], float] = time.time
    store: ThrottleStore | None = None

    def _load(self, key: int) -> None:
        if self.store is not None:
            self.failures[key], self.locked_until[key] = self.store.load(key)

    def _save(self, key: int) -> None:
        if self.store is not None:
            self.store.save(key, self.failures.get(key, 0), self.locked_until.get(key, 0.0))

    def remaining_lock(self, user_id: int) -> int:
        self._load(user_id)
        left = self.locked_until.get(user_id, 0) - self.clock()
        return max(0, int(left + 0.999))

    def failed(self, user_id: int) -> bool:
        """Record a failure; True when the user is now locked."""
        self._load(user_id)
        n = self.failures.get(user_id, 0) + 1
        self.failures[user_id] = n
        locked = n >= MAX_FAILURES
        if locked:
            self.failures[user_id] = 0
            self.locked_until[user_id] = self.clock() + LOCK_SECONDS
        self._save(user_id)
        return locked

    def succeeded(self, user_id: int) -> None:
        self.failures.pop(user_id, None)
        self.locked_until.pop(user_id, None)
        self._save(user_id)
