"""A failed daily backup is never silent: the till's watch shows it as it shows the other backup
warnings (a toast over the sale screen), the Backups page says it, the core journals and logs it.
Offscreen, the watch's checks run as they do every ten minutes."""

from __future__ import annotations

import logging

from helpers.ui_helpers import frames, wait_for
from test_catalog_ui import open_page
from test_ui import login, make_app, window  # noqa: F401  (fixtures)

UNWRITABLE = "/proc/self"  # a folder nobody may create a file in, root included


def test_a_daily_backup_into_an_unwritable_folder_is_said_on_the_sale_screen(make_app, tmp_path, caplog):  # noqa: F811
    from pos.core import settings
    from pos.data import events

    app = make_app()
    login(app)
    watch = app._backup_watch
    settings.set_value("backup.folder", UNWRITABLE)
    with caplog.at_level(logging.WARNING):
        watch.check()
        assert wait_for(lambda: "The daily backup failed" in app.toast_text, timeout=30), app.toast_text
    assert UNWRITABLE in app.toast_text and app._toast.error
    failed = events.events("backup_failed")[-1]["data"]
    assert failed["reason"] == "daily" and failed["error"] in app.toast_text
    assert any(r.name == "pos.fiscal.backup" and "the automatic backup (daily) failed" in r.getMessage()
               for r in caplog.records)
    assert not list(tmp_path.glob("**/*.part"))
    # the manager sees it on the Backups page too
    app.hide_toast()
    app.till.logout()
    app.show("login")
    _config, page = open_page(app, "backups")
    assert page.warning and page.status.startswith("The daily backup failed")


def test_a_failure_of_the_watch_itself_is_logged_and_shown(make_app, monkeypatch, tmp_path, caplog):  # noqa: F811
    from pos.core import settings
    from pos.fiscal import backup

    app = make_app()
    login(app)
    watch = app._backup_watch
    stick = tmp_path / "stick"
    stick.mkdir()
    settings.set_value("backup.folder", str(stick))

    def unplugged(*_a, **_kw):
        raise OSError(5, "Input/output error", str(stick))

    daily_due = backup.daily_due
    monkeypatch.setattr(backup, "daily_due", unplugged)  # the share dropped while the folder was listed
    with caplog.at_level(logging.ERROR, logger="pos.screens.backups"):
        watch.check()
        assert wait_for(lambda: "The daily backup failed" in app.toast_text, timeout=30), app.toast_text
    assert "Input/output error" in app.toast_text and str(stick) in app.toast_text
    assert [r.getMessage() for r in caplog.records if r.name == "pos.screens.backups"] == [
        f"the daily backup failed: [Errno 5] Input/output error: '{stick}'"]
    # the same warning is not repeated at each check (every ten minutes), a new one is shown at once
    app.hide_toast()
    watch.check()
    assert wait_for(lambda: not watch.job.running)
    frames(2)
    assert app.toast_text == ""
    monkeypatch.setattr(backup, "daily_due", daily_due)
    watch.check()  # the share is back: the daily backup is taken, no warning
    assert wait_for(lambda: list(stick.glob("pos-*-daily.sqlite3")), timeout=60)
    assert wait_for(lambda: not watch.job.running)
    frames(2)
    assert app.toast_text == ""
