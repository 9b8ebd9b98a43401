"""PIN hashing and login throttling.  PINs are never stored or logged in clear.

Hashes are PBKDF2-HMAC-SHA256 with ``ITERATIONS`` rounds (OWASP's 2023 recommendation); a hash made
with fewer rounds by an older version is replaced by a new one at the user's next successful login
(``needs_rehash``).  A 4-digit PIN has only 10,000 values: the hashes are protected first by the
database file's mode (0600, ``pos/data/files.py``), the rounds only slow down whoever copies it.

Throttling: three wrong PINs lock the user, for 30 s, then 2 min, 10 min, 30 min and 1 h for
each lock in a row (``LOCK_STEPS``; forgotten after a day without one, or at a successful login).
An attempt is counted *before* its PIN is checked, in one transaction (``ThrottleStore.admit``),
so that processes trying PINs in parallel get no more than three tries per lock between them.
The lock set when the third attempt is admitted is *pending* until that PIN is checked: a right
PIN lifts it, a wrong one confirms it.  An attempt refused by a pending lock waits for it
(``Throttle.attempt_waiting``), so that parallel logins with the right PIN all get in.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from pos.core.errors import InvalidValue
from pos.core.i18n import _

ITERATIONS = 600_000  # OWASP 2023 for PBKDF2-HMAC-SHA256: about 0.2 s on a till (README, Security)
MAX_FAILURES = 3
LOCK_STEPS = (30, 120, 600, 1800, 3600)  # seconds: the first lock, then each next one in a row
LOCK_SECONDS = LOCK_STEPS[0]
FORGET_AFTER = 24 * 3600  # a day without a lock: the next one is short again
PENDING_MAX = 5.0  # s: a pending lock older than this is held (its checking process died)


def hash_pin(pin: str, *, iterations: int = ITERATIONS) -> str:
    if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 8):
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


def needs_rehash(stored: str) -> bool:
    """True for a hash made with fewer rounds than ``ITERATIONS`` (replace it after a good login)."""
    try:
        algo, iterations, _salt, _digest = stored.split("$")
        return algo != "pbkdf2_sha256" or int(iterations) < ITERATIONS
    except ValueError:
        return True


def duration(seconds: int) -> str:
    """``30`` → "30 s", ``120`` → "2 min", ``3600`` → "1 h" (a lock's length, rounded up)."""
    if seconds < 60:
        return _("{n} s").format(n=seconds)
    if seconds < 3600:
        return _("{n} min").format(n=math.ceil(seconds / 60))
    return _("{n} h").format(n=math.ceil(seconds / 3600))


class State(NamedTuple):
    """A user's throttle: failures since the last lock, the end of the current lock (wall time),
    and how many locks in a row (the next lock's step)."""

    failures: int = 0
    locked_until: float = 0.0
    level: int = 0
    pending: float = 0.0  # when the lock was set, while it waits for its PIN's check (0: confirmed)


@dataclass(frozen=True)
class Attempt:
    """The answer to "may this PIN be tried?".  ``wait``: seconds left when refused; ``lock``: the
    seconds of the lock that starts if this PIN is wrong (then ``level`` is that lock's rank)."""

    admitted: bool
    wait: int = 0
    lock: int = 0
    level: int = 0
    pending: bool = False  # refused by a lock whose PIN is still being checked: it may lift


def admit(state: State, now: float) -> tuple[State, Attempt]:
    """Count one attempt (pure: the store runs it inside one write transaction)."""
    if state.locked_until > now:
        pending = state.pending > 0 and now - state.pending < PENDING_MAX
        return state, Attempt(False, wait=max(1, math.ceil(state.locked_until - now)), pending=pending)
    level = state.level if now - state.locked_until < FORGET_AFTER else 0
    failures = state.failures + 1
    if failures < MAX_FAILURES:
        return State(failures, state.locked_until, level), Attempt(True)
    lock = LOCK_STEPS[min(level, len(LOCK_STEPS) - 1)]
    # the lock starts now: the attempts after this one wait, and this one locks if it is wrong
    return State(0, now + lock, level + 1, pending=now), Attempt(True, lock=lock, level=level + 1)


class ThrottleStore(Protocol):
    """Where a throttle keeps its counters so that a restart does not reset them."""

    def admit(self, key: int, now: float) -> Attempt: ...
    def load(self, key: int) -> State: ...
    def reset(self, key: int) -> None: ...
    def confirm(self, key: int) -> None: ...


@dataclass
class Throttle:
    """Counts PIN attempts per user (or per slot) and locks after three wrong ones.

    With a ``store`` the counters survive a restart of the till and are shared by the CLI and
    other processes, atomically; the clock is then wall time.
    """

    clock: Callable[[], float] = time.time
    store: ThrottleStore | None = None
    states: dict[int, State] = field(default_factory=dict)

    def attempt(self, key: int) -> Attempt:
        """Count an attempt before checking its PIN; refused while the user is locked."""
        if self.store is not None:
            return self.store.admit(key, self.clock())
        self.states[key], answer = admit(self.states.get(key, State()), self.clock())
        return answer

    def remaining_lock(self, key: int) -> int:
        state = self.store.load(key) if self.store is not None else self.states.get(key, State())
        return max(0, math.ceil(state.locked_until - self.clock()))

    def attempt_waiting(self, key: int, patience: float = 5.0, step: float = 0.1,
                        sleep: Callable[[float], None] = time.sleep) -> Attempt:
        """:meth:`attempt`, waiting up to ``patience`` seconds while a pending lock may lift
        (another process is checking the PIN that set it)."""
        answer = self.attempt(key)
        for _try in range(round(patience / step)):
            if answer.admitted or not answer.pending:
                break
            sleep(step)
            answer = self.attempt(key)
        return answer

    def failed(self, key: int) -> None:
        """The wrong PIN of the attempt that set a lock: the lock holds."""
        if self.store is not None:
            self.store.confirm(key)
        elif key in self.states:
            self.states[key] = self.states[key]._replace(pending=0.0)

    def succeeded(self, key: int) -> None:
        """The right PIN: the counters and the escalation start again."""
        if self.store is not None:
            self.store.reset(key)
        self.states.pop(key, None)
