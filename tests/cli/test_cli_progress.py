"""Progress bars on a terminal for long CLI work (``pos.cli.common.progress``, rich); nothing
extra when stderr is not a terminal: the output of scripts and pipes is byte for byte as before."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from helpers.cli import cli_env, pos
from helpers.demo_db import copy_database

from pos.cli.common import progress

pytestmark = pytest.mark.slow


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_silent_without_a_terminal(capsys):
    with progress("Working", 10) as update:
        update(5)
        update(10, 10, "Almost")
        print("result: 1")
    assert capsys.readouterr() == ("result: 1\n", "")


def test_progress_draws_a_bar_on_a_terminal_and_leaves_a_redirected_stdout_alone(monkeypatch, capsys):
    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    with progress("Exporting", 200) as update:
        update(100)
        print("a line of the work's output")
        update(150, what="Exporting 2")
    monkeypatch.undo()
    assert capsys.readouterr().out == "a line of the work's output\n"  # stdout is not the terminal: untouched
    drawn = screen.getvalue()
    assert "Exporting" in drawn and "━" in drawn
    assert sys.stderr is not screen  # rich gave stderr back


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli_progress") / "demo.sqlite3"
    assert pos(path, "demo").returncode == 0
    assert pos(path, "config", "set", "ui.language", "en").returncode == 0
    return path


@pytest.fixture
def db(template, tmp_path) -> Path:
    return copy_database(template, tmp_path / "pos.sqlite3")


def on_a_terminal(db: Path, *args: str) -> tuple[int, str, str]:
    """``pos`` with stderr on a pseudo-terminal (stdout a pipe): (exit code, stdout, what the terminal got)."""
    master, slave = pty.openpty()
    env = dict(cli_env(), TERM="xterm-256color", COLUMNS="100")
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen([sys.executable, "-m", "pos", "--db", str(db), *args], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    chunks: list[bytes] = []

    def read() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    out, _ = proc.communicate(timeout=120)
    reader.join(10)
    os.close(master)
    return proc.returncode, out.decode(), b"".join(chunks).decode("utf-8", "replace")


def test_export_import_and_demo_print_exactly_the_same_without_a_terminal(db, tmp_path):
    out = tmp_path / "articles.csv"
    proc = pos(db, "articles", "export", str(out))
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == f"{proc.stdout.split()[0]} rows written to {out}\n"
    proc = pos(db, "articles", "import", str(out), "--update")
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.startswith(f"file: {out.name}\n") and proc.stdout.endswith("departments_created: 0\n")
    proc = pos(db, "demo", "--no-shop", "--articles", "1500")
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.splitlines()[0] == "1500 synthetic articles added"


def test_on_a_terminal_the_bar_shows_and_stdout_is_unchanged(db, tmp_path):
    out = tmp_path / "articles.csv"
    plain = pos(db, "articles", "export", str(out))
    code, stdout, screen = on_a_terminal(db, "articles", "export", str(out))
    assert code == 0
    assert stdout == plain.stdout  # the results, byte for byte
    assert "Exporting" in screen and "━" in screen

    code, stdout, screen = on_a_terminal(db, "articles", "import", str(out), "--update")
    assert code == 0, screen
    assert "Reading" in screen and "Applying" in screen
    assert stdout.endswith("departments_created: 0\n")

    code, stdout, screen = on_a_terminal(db, "demo", "--no-shop", "--articles", "1500")
    assert code == 0
    assert "Adding synthetic articles" in screen
    assert stdout.splitlines()[0] == "1500 synthetic articles added"

    code, stdout, screen = on_a_terminal(db, "journal", "verify")
    assert "Verifying the journal" in screen
    assert stdout.startswith("journal intact")


def test_a_sync_job_that_reports_progress_gets_a_bar(monkeypatch, tmp_path):
    """``pos sync JOB`` gives the job's ``cli`` a ``progress(stage, done, total)`` when it takes one."""
    from types import ModuleType, SimpleNamespace

    from pos.cli import sync as cli_sync
    from pos.core import i18n

    before = i18n.language()
    i18n.set_language("en")

    seen = []

    def job_cli(client, args, actor, progress):
        progress("products", 1, 2)
        progress("articles", "products", 2, 2)  # the end of day's (step, stage, done, total)
        seen.append("ran")

    fake = ModuleType("fake_sync_job")
    fake.cli = job_cli
    monkeypatch.setitem(sys.modules, "fake_sync_job", fake)
    monkeypatch.setitem(cli_sync.JOBS, "stock", "fake_sync_job")
    monkeypatch.setattr(cli_sync, "client_from_settings", lambda: object())
    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    try:
        assert cli_sync.run_job(SimpleNamespace(action="stock"), actor=None) == 0
    finally:
        monkeypatch.undo()
        i18n.set_language(before)
    assert seen == ["ran"]
    assert "Synchronising" in screen.getvalue()
