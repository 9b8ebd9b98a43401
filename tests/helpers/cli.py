"""Run the ``pos`` command for real, in a subprocess, with English messages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANGUAGE", "POS_PIN")}
    # English messages (ui.language is "auto" until set); the French test sets it explicitly
    env.update(LANG="en_US.UTF-8", PYTHONIOENCODING="utf-8", PYTHONUTF8="1")
    return env


def pos(db: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pos", "--db", str(db), *args], capture_output=True, text=True,
                          encoding="utf-8", env=env or cli_env(), stdin=subprocess.DEVNULL, timeout=60)
