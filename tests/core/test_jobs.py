"""The one background job mechanism (pos.core.jobs): progress, cancel, the outcome, the connection."""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading

import pytest

from pos.core import errors
from pos.core.errors import Cancelled, Refusal
from pos.core.jobs import CANCELLED, DONE, FAILED, Job


class Outcome:
    """Collects what a job delivers, through a queue (as a UI thread would)."""

    def __init__(self) -> None:
        self.calls: queue.Queue = queue.Queue()
        self.seen: list[tuple[str, object]] = []

    def post(self, fn) -> None:
        self.calls.put(fn)

    def callbacks(self) -> dict:
        return {"post": self.post, "on_done": lambda r: self.seen.append(("done", r)),
                "on_error": lambda e: self.seen.append(("error", e)),
                "on_cancelled": lambda: self.seen.append(("cancelled", None))}

    def deliver(self, timeout: float = 10) -> tuple[str, object]:
        self.calls.get(timeout=timeout)()  # run on this (the "UI") thread
        assert len(self.seen) == 1
        return self.seen[0]


def test_the_result_is_delivered_through_the_dispatcher():
    out = Outcome()
    worker_names = []

    def work(job):
        worker_names.append(threading.current_thread().name)
        return 42

    job = Job(work, name="pos-test-job", **out.callbacks()).start()
    assert out.deliver() == ("done", 42)
    assert job.state == DONE and job.result == 42 and job.wait(1)
    assert worker_names == ["pos-test-job"]
    with pytest.raises(RuntimeError):
        job.start()  # once


def test_progress_is_read_while_the_work_runs():
    out = Outcome()
    reached, go = threading.Event(), threading.Event()

    def work(job):
        job.progress(0, None, "counting")
        assert job.fraction is None  # no total yet
        job.progress(25, 100, "step 1")
        reached.set()
        go.wait(5)
        job.progress(100)
        return "ok"

    job = Job(work, **out.callbacks()).start()
    assert reached.wait(5)
    assert job.running and job.fraction == 0.25 and job.message == "step 1" and (job.done, job.total) == (25, 100)
    go.set()
    assert out.deliver() == ("done", "ok")
    assert job.fraction == 1.0


def test_cancel_is_cooperative_and_delivered_as_cancelled():
    out = Outcome()
    started = threading.Event()
    steps = []

    def work(job):
        started.set()
        for i in range(1000):
            steps.append(i)
            job.step(i, 1000)  # raises Cancelled once cancel() was called
            job.cancelled() or threading.Event().wait(0.005)
        return "finished"

    job = Job(work, **out.callbacks()).start()
    assert started.wait(5)
    assert job.cancel()
    assert out.deliver() == ("cancelled", None)
    assert job.state == CANCELLED and job.result is None and len(steps) < 1000
    assert not job.cancel()  # over


def test_a_job_that_cannot_be_cancelled_runs_to_its_end():
    out = Outcome()
    go = threading.Event()

    def work(job):
        go.wait(5)
        job.check()
        return "all"

    job = Job(work, cancellable=False, **out.callbacks()).start()
    assert not job.cancel() and not job.cancelled()
    go.set()
    assert out.deliver() == ("done", "all")


def test_the_error_is_delivered_with_its_traceback():
    out = Outcome()

    def work(job):
        return 1 / 0

    job = Job(work, **out.callbacks()).start()
    kind, exc = out.deliver()
    assert kind == "error" and isinstance(exc, ZeroDivisionError) and exc is job.error
    assert job.state == FAILED and exc.__traceback__ is not None


def test_an_error_nobody_listens_to_is_logged_not_swallowed(caplog):
    def work(job):
        raise KeyError("oops")

    with caplog.at_level(logging.ERROR, logger="pos.core.jobs"):
        job = Job(work, name="pos-orphan").start()  # direct dispatch, no on_error
        assert job.wait(5)
    record = next(r for r in caplog.records if "pos-orphan" in r.getMessage())
    assert record.exc_info and record.exc_info[0] is KeyError


def test_the_worker_connection_is_released(shop):
    """The work opens the thread's own connection to the shop; it is closed when the job ends."""
    from pos.data import common

    out = Outcome()
    connections = []

    def work(job):
        connections.append(common.database.connection())
        return common.database.execute_sql("SELECT count(*) FROM article").fetchone()[0]

    Job(work, **out.callbacks()).start()
    kind, count = out.deliver()
    assert kind == "done" and count > 0
    (conn,) = connections
    assert conn is not common.database.connection()  # the worker had its own
    with pytest.raises(sqlite3.ProgrammingError):  # and it is closed
        conn.execute("SELECT 1")
    common.database.execute_sql("SELECT 1")  # this thread's connection is untouched


def test_the_connection_is_released_after_an_error_too(shop):
    from pos.data import common

    out = Outcome()
    connections = []

    def work(job):
        connections.append(common.database.connection())
        common.database.execute_sql("SELECT no_such_column FROM article")

    Job(work, **out.callbacks()).start()
    kind, exc = out.deliver()
    assert kind == "error"
    with pytest.raises(sqlite3.ProgrammingError):
        connections[0].execute("SELECT 1")


def test_explain_tells_a_refusal_from_a_defect(caplog):
    assert errors.explain(Refusal("no way")) == "no way"
    assert errors.explain(OSError("disk"), expected=(OSError,)) == "disk"
    assert "locked" in errors.explain(sqlite3.OperationalError("database is locked"))
    with caplog.at_level(logging.ERROR, logger="pos.core.errors"):
        text = errors.explain(ZeroDivisionError("division by zero"))
    assert text.startswith("Internal error: ZeroDivisionError: division by zero")
    assert caplog.records[-1].exc_info[0] is ZeroDivisionError
    assert isinstance(errors.InvalidValue("x"), ValueError) and isinstance(errors.InvalidValue("x"), Refusal)
    assert not issubclass(Cancelled, Refusal)
