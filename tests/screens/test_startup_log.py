"""``pos run`` starts with a clean log: no CRITICAL line from Kivy for the clipboard's cut buffer
(no xsel or xclip) or the audio mixer (no sound card), on a display-less machine like CI."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from pos.screens import startup

pytestmark = pytest.mark.slow


def test_pos_run_logs_no_critical_line(tmp_path):
    from pos.core import settings
    from pos.data.db import close_database, open_database

    db = tmp_path / "pos.sqlite3"
    open_database(db)  # an empty shop: the first screen has text fields (the clipboard)
    settings.set_value("printer.url", "serial:///dev/pos-no-such-port")  # a failing printer: a toast, a beep
    close_database()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIVY_", "KCFG_", "SDL_AUDIO"))}
    env.update(KIVY_HOME=str(tmp_path / "kivy"), SDL_VIDEODRIVER="offscreen", LANG="en_US.UTF-8")
    proc = subprocess.Popen([sys.executable, "-m", "pos", "--db", str(db), "run"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True, errors="replace")
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        # the beep of the printer's error toast loads the audio: Kivy logs its providers
        while time.monotonic() < deadline and not any("[Audio" in line for line in lines):
            assert proc.poll() is None, "".join(lines)
            time.sleep(0.2)
        time.sleep(1.5)  # the mixer opens at the first sound
    finally:
        proc.terminate()
        proc.wait(10)
        reader.join(10)
    log = "".join(lines)
    assert "Start application main loop" in log, log
    assert any("[Audio" in line for line in lines), log
    assert "CRITICAL" not in log, log


def test_no_sound_device_means_the_silent_audio_driver(monkeypatch):
    monkeypatch.setattr(startup, "has_audio_output", lambda: False)
    monkeypatch.delenv("SDL_AUDIODRIVER", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    startup.prepare()
    assert os.environ["SDL_AUDIODRIVER"] == "dummy"
    monkeypatch.setenv("SDL_AUDIODRIVER", "alsa")  # the environment's choice wins
    startup.prepare()
    assert os.environ["SDL_AUDIODRIVER"] == "alsa"


def test_audio_output_detection(monkeypatch, tmp_path):
    monkeypatch.setattr(startup.glob, "glob", lambda pattern: [])
    monkeypatch.delenv("PULSE_SERVER", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    assert not startup.has_audio_output()
    (tmp_path / "pipewire-0").touch()
    assert startup.has_audio_output()
    monkeypatch.setattr(startup.glob, "glob", lambda pattern: ["/dev/snd/pcmC0D0p"])
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    assert startup.has_audio_output()
