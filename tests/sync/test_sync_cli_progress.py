"""``pos sync ...`` shows a progress bar on a terminal (rich, on stderr) and nothing extra otherwise:
the same ``key: value`` lines either way."""

from __future__ import annotations

import subprocess
import sys

import pytest
from cli.test_cli_progress import on_a_terminal
from helpers.cli import cli_env, set_secret
from helpers.prestashop.emulator import PrestaShopEmulator

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("job", ["articles", "orders", "stock", "push", "all"])
def test_every_sync_job_draws_a_bar_on_a_terminal_only(shop, job):
    db = shop.database
    with PrestaShopEmulator() as ps:
        ps.inject("latency", count=None, seconds=0.05)  # long enough for the bar to be drawn
        cmd = [sys.executable, "-m", "pos", "--db", db]
        assert subprocess.run([*cmd, "config", "set", "prestashop.url", ps.url], env=cli_env(),
                              capture_output=True).returncode == 0
        assert set_secret(db, "prestashop.key", ps.key).returncode == 0
        assert subprocess.run([*cmd, "sync", "web", "D050103"], env=cli_env(), capture_output=True).returncode == 0
        code, stdout, screen = on_a_terminal(db, "sync", job, "--dry-run")
        assert code == 0, screen
        assert "Synchronising" in screen
        piped = subprocess.run([*cmd, "sync", job, "--dry-run"], capture_output=True, text=True, env=cli_env(),
                               stdin=subprocess.DEVNULL, timeout=120)
        assert piped.returncode == 0 and piped.stderr == ""  # nothing extra without a terminal
        assert piped.stdout.splitlines()[0] == stdout.splitlines()[0]
