"""What the touch screens show for an exception: a refusal is a toast, a defect is logged with its
traceback and shown as an internal error (``PosApp.guard`` and the background jobs)."""

from __future__ import annotations

import logging
import sqlite3
import time

from helpers.ui_helpers import popup, wait_for
from test_ui import login, make_app, window  # noqa: F401  (the fixtures: the real app on the demo shop)

from pos.core.errors import Refusal


def raising(exc: Exception):
    def action():
        raise exc
    return action


def errors_logged(caplog, logger: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == logger and r.levelno >= logging.ERROR]


def test_guard_shows_a_refusal_and_logs_a_defect(make_app, caplog):  # noqa: F811
    app = make_app()
    login(app)
    caplog.set_level(logging.INFO)

    assert app.guard(raising(Refusal("not today"))) is None
    assert app.toast_text == "not today"
    assert not errors_logged(caplog, "pos.screens.app")

    done = []
    assert app.guard(raising(KeyError("missing")), on_done=done.append) is None and done == []
    assert app.toast_text.startswith("Internal error: KeyError: 'missing'") and "(see the log)" in app.toast_text
    (record,) = errors_logged(caplog, "pos.screens.app")
    assert record.exc_info and record.exc_info[0] is KeyError  # the traceback is in the log

    caplog.clear()
    assert app.guard(raising(sqlite3.OperationalError("database is locked"))) is None
    assert app.toast_text == "Database error: database is locked. The basket is kept."

    assert app.guard(lambda: 42, on_done=done.append) == 42 and done == [42]


def test_guard_asks_a_manager_for_a_cashier(make_app, window):  # noqa: F811
    app = make_app()
    login(app)  # Marie, a cashier
    assert app.guard(lambda: app.till.require("cash_out")) is None
    assert "manager" in app.toast_text
    pad = popup(window, "PinPopup")
    assert pad is not None
    pad.dismiss(animation=False)


def test_a_background_job_reports_its_outcome(make_app, caplog):  # noqa: F811
    from pos.screens.background import Background

    app = make_app()
    login(app)
    caplog.set_level(logging.INFO)
    background = Background("pos-test")
    results, failures = [], []

    def run(work, cancellable=True):
        results.clear()
        failures.clear()
        assert background.start("Working", work, results.append, cancellable=cancellable, failed=failures.append)
        assert not background.start("Again", work, results.append)  # one at a time
        assert wait_for(lambda: not background.busy, 10)

    run(lambda job: (job.progress(1, 2, "half"), "ok")[1])
    assert results == ["ok"] and background.progress == 1000 and background.status.startswith("Working")

    def refused(job):
        raise Refusal("the list changed")

    run(refused)
    assert failures == ["the list changed"] and background.status_error and app.toast_text == "the list changed"
    assert not errors_logged(caplog, "pos.core.errors")

    def defect(job):
        return 1 / 0

    run(defect)
    assert failures[0].startswith("Internal error: ZeroDivisionError") and background.status_error
    (record,) = errors_logged(caplog, "pos.core.errors")
    assert record.exc_info[0] is ZeroDivisionError

    def endless(job):
        while True:
            job.step(1, 10)
            time.sleep(0.01)

    assert background.start("Endless", endless, results.append, failed=failures.append)
    assert wait_for(lambda: background.progress > 0, 10)
    background.cancel()
    assert wait_for(lambda: not background.busy, 10)
    assert background.status == "Cancelled: nothing was changed" and not background.status_error


def test_a_refusal_after_a_slow_step_stays_on_screen_its_full_time(make_app):  # noqa: F811
    """Kivy counts a timeout from the last frame: a toast shown at the end of a step slower than
    the toast's time (a stalled disk or printer) used to vanish at the very next frame."""
    from helpers.ui_helpers import frames

    app = make_app()
    login(app)
    frames(1)

    def slow_refusal():
        time.sleep(0.5)  # the UI thread is busy longer than the toast lasts
        app.toast("not today", error=True, seconds=0.3)

    slow_refusal()
    frames(2)
    assert app.toast_text == "not today"  # still shown after the next frames
    assert wait_for(lambda: app.toast_text == "", timeout=2.0)  # and gone after its own 0.3 s
