"""Run the ``pos`` command for real, in a subprocess or in-process, with English messages.

Who acts: the CLI takes ``--user`` (or ``$POS_USER``) and the PIN from ``$POS_PIN``.  These
helpers act as the demo shop's manager (Claire) unless the arguments name another demo user
with ``--user`` (their demo PIN is then given in ``POS_PIN``, as a person would type it) or
the test passes its own ``env``.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from pos.demo import DEMO_USERS

DEMO_PINS = {name.casefold(): pin for name, pin, _role in DEMO_USERS}
IDENTITY = ("POS_USER", "POS_PIN", "POS_NEW_PIN")


def cli_env(user: str | None = "Claire") -> dict[str, str]:
    """The environment of a CLI run acting as ``user`` (a demo user), or as nobody (``None``)."""
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANGUAGE", *IDENTITY)}
    # English messages (ui.language is "auto" until set); the French test sets it explicitly
    env.update(LANG="en_US.UTF-8", PYTHONIOENCODING="utf-8", PYTHONUTF8="1")
    if user is not None:
        env.update(POS_USER=user, POS_PIN=DEMO_PINS[user.casefold()])
    return env


def identity(args: Sequence[str], env: dict[str, str]) -> dict[str, str]:
    """``--user NAME`` of a demo user in ``args``: their PIN in ``POS_PIN`` (unless one is set for them)."""
    args = list(args)
    if "--user" in args:
        name = args[args.index("--user") + 1]
        if name.casefold() in DEMO_PINS and env.get("POS_USER", "").casefold() != name.casefold():
            env = dict(env, POS_USER=name, POS_PIN=DEMO_PINS[name.casefold()])
    return env


def pos(db: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = identity(args, cli_env()) if env is None else env
    return subprocess.run([sys.executable, "-m", "pos", "--db", str(db), *args], capture_output=True, text=True,
                          encoding="utf-8", env=env, stdin=subprocess.DEVNULL, timeout=60)


@contextlib.contextmanager
def acting(args: Sequence[str], env: dict[str, str] | None = None) -> Iterator[None]:
    """For in-process runs: ``os.environ`` holds the identity of ``args`` (see ``identity``)."""
    saved = {k: os.environ.get(k) for k in IDENTITY}
    base = cli_env() if env is None else env
    chosen = identity(args, base) if env is None else env
    try:
        for k in IDENTITY:
            os.environ.pop(k, None)
            if k in chosen:
                os.environ[k] = chosen[k]
        yield
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None)
            if v is not None:
                os.environ[k] = v


def run(capsys, db: Path | str, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """``pos`` in-process: (exit code, stdout, stderr)."""
    from pos import cli

    with acting(args, env):
        code = cli.main(["--db", str(db), *args])
    out, err = capsys.readouterr()
    return code, out, err


def set_secret(db: Path | str, key: str, value: str) -> subprocess.CompletedProcess:
    """``pos config set KEY -`` with the value on standard input, as the demo manager."""
    return subprocess.run([sys.executable, "-m", "pos", "--db", str(db), "config", "set", key, "-"], input=value,
                          capture_output=True, text=True, encoding="utf-8", env=cli_env(), timeout=60)
