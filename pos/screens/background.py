"""Background work shown on a page: a :class:`pos.core.jobs.Job` seen through Kivy properties.

``Background.start(what, work, done)`` runs ``work(job)`` on a worker thread (one job at a
time); ``busy``, ``cancellable``, ``progress`` (0-1000), ``status`` and ``status_error`` are
properties a page binds to its progress bar, status line and Cancel button (directly, or
through :func:`mirror` when the ``Background`` outlives the page, as the sync's does).
The outcome comes back on the UI thread (:func:`post`): ``done(result)``, or ``failed(message)``
after a cancel or an error.  An error's message comes from ``pos.core.errors.explain``: a
refusal (or an ``expected`` failure) is shown as it is, anything else is logged with its
traceback and shown as an internal error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from pos.core.errors import explain
from pos.core.i18n import _
from pos.core.jobs import Job

STATE = ("busy", "cancellable", "progress", "status", "status_error")


def post(fn: Callable[[], None]) -> None:
    """The jobs' dispatcher on the touch screens: ``fn`` runs on the UI thread, at the next frame."""
    Clock.schedule_once(lambda _dt: fn())


def mirror(source: EventDispatcher, target: EventDispatcher, names: tuple[str, ...] = STATE) -> Callable[[], None]:
    """Keep ``target``'s properties ``names`` equal to ``source``'s; returns the function that stops it."""
    bindings = {name: target.setter(name) for name in names}
    for name in names:
        setattr(target, name, getattr(source, name))
    source.bind(**bindings)
    return lambda: source.unbind(**bindings)


class JobState(EventDispatcher):
    """What a page shows of its background work (mixed into the pages, kept by ``Background``)."""

    busy = BooleanProperty(False)
    cancellable = BooleanProperty(False)
    progress = NumericProperty(0)  # 0-1000
    status = StringProperty("")
    status_error = BooleanProperty(False)


class Background(JobState):
    """One background job at a time, with its progress and status for a page."""

    changed = NumericProperty(0)  # bumped when an outcome arrives: a page may redraw

    def __init__(self, name: str = "pos-job", expected: tuple[type[BaseException], ...] = (OSError,),
                 one_line: bool = False, **kw: Any) -> None:
        super().__init__(**kw)
        self.name = name
        self.expected = expected  # shown as their message, like a refusal (a disk or network failure)
        self.one_line = one_line
        self.job: Job[Any] | None = None
        self.what = ""
        self._ticker = None

    def set_status(self, text: str, error: bool = False) -> None:
        self.status, self.status_error = text, error

    def start(self, what: str, work: Callable[[Job[Any]], Any], done: Callable[[Any], None], *,
              cancellable: bool = True, failed: Callable[[str], None] | None = None) -> bool:
        """Run ``work(job)``; False (and nothing runs) while another job runs."""
        if self.busy:
            return False
        self.busy, self.cancellable = True, cancellable
        self.progress = 0
        self.what = what
        self.set_status(what)

        def finished() -> None:
            if self._ticker is not None:
                self._ticker.cancel()
                self._ticker = None
            self.busy = self.cancellable = False

        def on_done(result: Any) -> None:
            finished()
            self.progress = 1000
            done(result)
            self.changed += 1

        def on_cancelled() -> None:
            finished()
            self.progress = 0
            message = _("Cancelled: nothing was changed")
            self.set_status(message)
            if failed:
                failed(message)
            self.changed += 1

        def on_error(exc: Exception) -> None:
            finished()
            self.progress = 0
            message = explain(exc, self.expected)
            if self.one_line:
                message = " ".join(message.split())
            self.set_status(message, error=True)
            App.get_running_app().toast(message, error=True)
            if failed:
                failed(message)
            self.changed += 1

        self.job = Job(work, name=self.name, post=post, on_done=on_done, on_error=on_error,
                       on_cancelled=on_cancelled, cancellable=cancellable)
        self._ticker = Clock.schedule_interval(lambda _dt: self._tick(), 0.1)
        self.job.start()
        return True

    def _tick(self) -> None:
        job = self.job
        if job is None or not self.busy:
            return
        fraction = job.fraction
        if fraction is not None:
            self.progress = int(fraction * 1000)
        if not job.cancelled():
            self.status = " · ".join(part for part in (self.what, job.message) if part)

    def cancel(self) -> None:
        if self.busy and self.job is not None and self.job.cancel():
            self.set_status(_("Cancelling…"))
