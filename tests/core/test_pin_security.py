"""PINs (issue 13, item 5): current PBKDF2 rounds with a transparent re-hash, a lockout that is
atomic across processes, escalates, is journaled and is visible to a manager."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.cli import cli_env, run

from pos.core import auth
from pos.data import events, users
from pos.sale.till import AuthError, Till

ROOT = Path(__file__).resolve().parents[2]
# one seller process: waits at the gate, then runs ``pos sell`` like the command line does
SELLER = """
import os, sys, time
sys.path.insert(0, {root!r})
gate = sys.argv[1]
while not os.path.exists(gate):
    time.sleep(0.005)
from pos.cli import main
sys.exit(main(sys.argv[2:]))
"""


def test_pins_are_hashed_with_current_rounds_and_old_hashes_are_upgraded_at_login(shop):
    assert auth.ITERATIONS >= 600_000
    marie = users.find_user("Marie")
    users.update_user(marie.id, pin_hash=auth.hash_pin("1234", iterations=60_000))  # an older version's hash
    till = Till()
    try:
        with pytest.raises(AuthError):
            till.login(marie.id, "0000")
        assert users.user_pin_hash(marie.id).split("$")[1] == "60000"  # a wrong PIN changes nothing
        t0 = time.perf_counter()
        till.login(marie.id, "1234")
        upgraded = users.user_pin_hash(marie.id)
        assert upgraded.split("$")[1] == str(auth.ITERATIONS) and auth.check_pin("1234", upgraded)
        t1 = time.perf_counter()
        till.login(marie.id, "1234")  # the next login checks the new hash
        print(f"login with re-hash {t1 - t0:.3f} s, login {time.perf_counter() - t1:.3f} s")
    finally:
        till.close()
    assert not auth.needs_rehash(upgraded) and auth.needs_rehash("pbkdf2_sha256$60000$00$00")


def test_a_pin_of_non_ascii_digits_is_refused():
    with pytest.raises(ValueError):
        auth.hash_pin("١٢٣٤")


def test_the_lockout_escalates_and_is_journaled(shop):
    now = [1_000_000.0]
    till = Till(throttle=auth.Throttle(clock=lambda: now[0]))
    marie = users.find_user("Marie")
    try:
        for lock, shown in ((30, "30 s"), (120, "2 min"), (600, "10 min"), (1800, "30 min"), (3600, "1 h"),
                            (3600, "1 h")):
            for pin in ("0000", "1111"):
                with pytest.raises(AuthError, match="Wrong PIN"):
                    till.login(marie.id, pin)
            with pytest.raises(AuthError, match=f"locked for {shown}"):
                till.login(marie.id, "2222")
            with pytest.raises(AuthError, match="try again"):
                till.login(marie.id, "1234")
            now[0] += lock - 1
            with pytest.raises(AuthError, match="try again in 1 s"):
                till.login(marie.id, "1234")
            now[0] += 1
        till.login(marie.id, "1234")  # the right PIN: the next lock is short again
        for pin in ("0000", "1111"):
            with pytest.raises(AuthError, match="Wrong PIN"):
                till.login(marie.id, pin)
        with pytest.raises(AuthError, match="locked for 30 s"):
            till.login(marie.id, "2222")
    finally:
        till.close()
    locks = [(e["data"]["seconds"], e["data"]["level"]) for e in events.events("login_locked")]
    assert locks == [(30, 1), (120, 2), (600, 3), (1800, 4), (3600, 5), (3600, 6), (30, 1)]


def test_the_escalation_is_forgotten_after_a_day_without_a_lock():
    now = [0.0]
    throttle = auth.Throttle(clock=lambda: now[0])
    for _ in range(3):
        attempt = throttle.attempt(7)
    assert attempt.lock == 30
    now[0] += 31
    for _ in range(3):
        attempt = throttle.attempt(7)
    assert attempt.lock == 120
    now[0] += auth.FORGET_AFTER + 121
    for _ in range(3):
        attempt = throttle.attempt(7)
    assert attempt.lock == 30


def test_a_manager_sees_who_is_locked(shop_db, capsys):
    env = dict(cli_env(None), POS_USER="Marie", POS_PIN="0000")
    for _ in range(3):
        assert run(capsys, shop_db, "sell", "D010001", "--pay", "card", env=env)[0] == 1
    code, out, _err = run(capsys, shop_db, "users", "list")
    line = next(x for x in out.splitlines() if x.startswith("Marie"))
    assert code == 0 and "locked for 30 s (wrong PINs)" in line
    assert "locked" not in next(x for x in out.splitlines() if x.startswith("Claire"))


@pytest.fixture
def shop_db(shop):
    from pos.core import settings

    settings.set_value("ui.language", "en")  # (ui.language "auto" follows $LANG, French in the tests)
    return Path(shop.database)


def test_sixteen_parallel_sellers_with_wrong_pins_get_three_tries(shop, tmp_path):
    db = shop.database
    gate = tmp_path / "gate"
    script = tmp_path / "seller.py"
    script.write_text(SELLER.format(root=str(ROOT)))
    env = dict(cli_env(None), POS_USER="Marie")
    procs = []
    for i in range(16):
        procs.append(subprocess.Popen(
            [sys.executable, str(script), str(gate), "--db", db, "sell", "D010001", "--pay", "card"],
            env=dict(env, POS_PIN=f"{9000 + i}"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    time.sleep(3)  # every process has imported the till and waits at the gate
    gate.write_text("go")
    results = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 1 for p in procs), results
    errors = [err.strip() for _out, err in results]
    tried = [e for e in errors if "Wrong PIN" in e or "locked for" in e]  # the PIN was checked
    assert len(tried) <= 3, errors
    assert sum("locked for" in e for e in errors) <= 1
    assert len(events.events("login_locked")) <= 1


def test_parallel_logins_with_the_right_pin_all_get_in(shop, tmp_path):
    """A lock set when the third attempt is admitted is pending until its PIN is checked: the
    right PIN lifts it, and the attempts it held back wait instead of being refused."""
    db = shop.database
    gate = tmp_path / "gate"
    script = tmp_path / "seller.py"
    script.write_text(SELLER.format(root=str(ROOT)))
    env = dict(cli_env(None), POS_USER="Marie", POS_PIN="1234")
    procs = [subprocess.Popen([sys.executable, str(script), str(gate), "--db", db, "sell", "D010001", "--pay", "card"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(8)]
    time.sleep(3)
    gate.write_text("go")
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, results
    assert events.events("login_locked") == []


def test_a_pending_lock_left_by_a_dead_process_holds(shop):
    """The process that set a lock died before checking its PIN: after PENDING_MAX the lock
    is held like a confirmed one, and nobody waits for it."""
    from pos.data import users

    now = [1_000_000.0]
    throttle = auth.Throttle(clock=lambda: now[0], store=users.SettingsThrottleStore())
    marie = users.find_user("Marie")
    for _ in range(3):
        assert throttle.attempt(marie.id).admitted  # the third sets a pending lock, then "dies"
    slept = []
    refused = throttle.attempt_waiting(marie.id, patience=1.0, sleep=slept.append)
    assert not refused.admitted and refused.pending and len(slept) == 10  # waited for it, in vain
    now[0] += auth.PENDING_MAX
    slept.clear()
    refused = throttle.attempt_waiting(marie.id, sleep=slept.append)
    assert not refused.admitted and not refused.pending and slept == [] and refused.wait == 25
