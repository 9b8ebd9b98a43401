"""Backups on screen: the config page (status, back up now, the list, restore one) and the watch
that takes the daily backup and warns when the last good one is too old or the folder is missing."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from pos.core.i18n import _
from pos.core.jobs import Job
from pos.screens.background import post
from pos.screens.widgets import ChoicePopup, SelectableRow

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

log = logging.getLogger(__name__)

CHECK_EVERY = 600  # s: the daily backup and the warning are checked this often
FIRST_CHECK = 60  # s after the start
WARN_EVERY = 3600  # s: a warning is shown again at most this often


class BackupRow(SelectableRow):
    name = StringProperty("")
    created = StringProperty("")
    state = StringProperty("")
    ticket = StringProperty("")


class BackupsPage(BoxLayout):
    """Built with the ConfigScreen."""

    status = StringProperty("")
    warning = BooleanProperty(False)
    busy = BooleanProperty(False)

    def __init__(self, config_screen, **kw) -> None:
        super().__init__(**kw)
        self.config_screen = config_screen
        self.app = App.get_running_app()
        self.backups: list[Any] = []
        self.load()

    def load(self, *_a) -> None:
        from pos.fiscal import backup

        self.backups = self.app.guard(backup.list_backups) or []
        self.ids.list.data = [{
            "name": b.path.name, "created": b.created_at[:16].replace("T", " "),
            "state": _("good") if b.ok else _("BAD"), "ticket": str(b.last_ticket), "on_select": self.select,
        } for b in self.backups]
        level, message = self.app.guard(backup.status) or ("warning", "")
        folder = backup.folder()
        self.ids.folder.text = str(folder) if folder else ""
        self.status = message
        self.warning = level != "ok"

    def save_folder(self) -> None:
        from pos.core import admin

        text = self.ids.folder.text

        def run():
            return admin.set_setting(self.config_screen.acting("settings"), "backup.folder", text)

        self.app.guard(run, on_done=lambda _v: self.load())

    def back_up_now(self) -> None:
        from pos.fiscal import backup

        actor = self.app.guard(lambda: self.config_screen.acting("archive"))
        if actor is None:
            return
        self.busy = True

        def done(info) -> None:
            self.busy = False
            self.app.toast(_("Backup made: {name}").format(name=info.path.name))
            self.load()

        def failed(exc: Exception) -> None:
            from pos.core.errors import explain

            self.busy = False
            self.app.toast(explain(exc, (OSError,)), error=True)
            self.load()

        Job(lambda _job: backup.make_backup(actor), name="pos-backup", post=post, on_done=done,
            on_error=failed, cancellable=False).start()

    def select(self, index: int) -> None:
        chosen = self.backups[index]
        self.app.open_popup(ChoicePopup(
            _("Restore {name}? The current database is kept aside.").format(name=chosen.path.name),
            [(_("Yes, restore it"), True)], lambda ok: ok and self.restore(chosen.path)))

    def restore(self, path: Path, force: bool = False) -> None:
        """On the UI thread: the database is closed and reopened under the screens' feet."""
        from pos.fiscal import backup

        def run():
            try:
                return backup.restore(self.config_screen.acting("restore"), path, force=force)
            except backup.OtherTill:  # asked once more, plainly
                self.app.open_popup(ChoicePopup(
                    _("{name} is another till's backup (another journal). Restore it anyway?").format(
                        name=path.name), [(_("Yes, restore it anyway"), True)],
                    lambda ok: ok and self.restore(path, force=True)))
                return None

        def done(result) -> None:
            if result is None:
                return
            self.app.toast(_("Restored: the next ticket is {number}").format(number=result["next_ticket"]))
            till = self.app.till
            till.user = None  # the restored shop may have other users: log in again
            till.basket = type(till.basket)()
            till.reload_methods()
            self.config_screen.actor = None
            self.app.show("login")

        self.app.guard(run, on_done=done)


class BackupWatch:
    """Takes the daily backup in the background and warns when backups are missing, failed or too old.

    A failed daily backup is recorded by the core (``backup.status`` then says it); a failure of the
    check itself is logged with its traceback and said the same way, never swallowed."""

    def __init__(self, app) -> None:
        self.app = app
        self.job: Job[Any] | None = None
        self.warned_at = -WARN_EVERY
        self.warned = ""  # the warning shown last: a new one is shown at once
        self.events = [Clock.schedule_once(self.check, FIRST_CHECK), Clock.schedule_interval(self.check, CHECK_EVERY)]

    def check(self, *_a) -> None:
        if self.job is not None and self.job.running:
            return
        from pos.fiscal import backup

        def work(_job):
            if backup.daily_due():
                backup.auto_backup("daily")
            return backup.status()

        self.job = Job(work, name="pos-backup-watch", post=post, on_done=self.show, on_error=self.failed,
                       cancellable=False).start()

    def failed(self, exc: Exception) -> None:
        from pos.core.errors import explain

        log.error("the daily backup failed: %s", exc)  # the error (a path): no PIN or key is in it
        # (explain logs a defect's traceback too)
        self.show(("warning", _("The daily backup failed: {error}").format(error=explain(exc, (OSError,)))))

    def show(self, result: tuple[str, str]) -> None:
        level, message = result
        from pos.fiscal import backup

        now = Clock.get_time()
        if level == "ok":
            self.warned = ""
        elif backup.folder() is not None and (message != self.warned or now - self.warned_at >= WARN_EVERY):
            self.warned_at, self.warned = now, message
            self.app.toast(message, error=True, seconds=8)

    def stop(self) -> None:
        for event in self.events:
            event.cancel()


def backup_after_z(app) -> Job[Any]:
    """The backup taken after each Z, in the background (a failure is journaled and shown)."""
    from pos.fiscal import backup

    def done(info) -> None:
        if info is not None:
            app.toast(_("Backup made: {name}").format(name=info.path.name))
        elif backup.folder() is not None:
            app.toast(backup.status()[1], error=True)

    return Job(lambda _job: backup.auto_backup("z"), name="pos-backup-z", post=post, on_done=done,
               on_error=lambda exc: app.toast(str(exc), error=True), cancellable=False).start()


def start_watch(app) -> BackupWatch:
    return BackupWatch(app)
