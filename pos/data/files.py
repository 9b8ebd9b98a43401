"""The files of a till next to its database: private modes, and stale temporary files cleaned at start.

The database holds the PIN hashes, the customers and the fiscal journal; the files beside it hold
the journal head and the keys.  All are created mode 0600 (owner only), whatever the umask:

- the database file is created empty, 0600, before SQLite opens it; SQLite gives its ``-wal``,
  ``-shm`` and ``-journal`` files the database file's mode;
- a database, WAL or head file found readable by others (made by an older version) is made
  private when the till opens it;
- the head file, the key files and backups are written 0600 by their writers
  (``journal.write_head``, ``signing``, ``secrets``, ``archive.backup``) through ``create_private``.

A process killed between creating a temporary file and renaming it leaves the temporary file
behind; ``clean_stale`` removes, at start, those older than a minute (``<db>.head.XXXX``,
``<db>.<secret>.tmp``) and the import staging folders older than a day.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

PRIVATE = 0o600
SIDE_FILES = ("", "-wal", "-shm", "-journal", ".head")
STALE_SECONDS = 60
STALE_IMPORT_SECONDS = 24 * 3600
IMPORT_PREFIX = "pos-import-"


def create_private(path: str | os.PathLike) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist (an existing file is left as it is)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    except FileExistsError:
        return
    os.close(fd)


def make_private(path: str | os.PathLike) -> None:
    """Remove the group and other permissions of ``path`` if it has any (and we own it)."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode & 0o077:
            os.chmod(path, mode & 0o700)
            log.info("%s was readable by other users: its mode is now %o", path, mode & 0o700)
    except FileNotFoundError:
        pass
    except PermissionError as exc:  # another user's file: say so, do not fail the start
        log.warning("cannot make %s private: %s", path, exc)


def prepare_database_file(path: str | os.PathLike) -> None:
    """Before SQLite opens ``path``: clean what a killed process left, create it 0600 if new,
    and make the database and its side files private."""
    path = Path(path)
    clean_stale(path)
    create_private(path)
    for suffix in SIDE_FILES:
        make_private(f"{path}{suffix}")


def clean_stale(path: Path, now: float | None = None) -> list[Path]:
    """Remove the temporary files that killed processes left next to the database ``path``
    (and old import staging folders); returns what was removed."""
    now = time.time() if now is None else now
    removed: list[Path] = []
    folder = path.parent if str(path.parent) else Path(".")
    patterns = (f"{path.name}.head.*", f"{path.name}.*.tmp", f"{path.name}.journal-key.*")
    for pattern in patterns:
        for stale in folder.glob(pattern):
            if _older(stale, now, STALE_SECONDS) and stale.is_file():
                stale.unlink(missing_ok=True)
                removed.append(stale)
    for stage in Path(tempfile.gettempdir()).glob(IMPORT_PREFIX + "*"):
        if stage.is_dir() and _older(stage, now, STALE_IMPORT_SECONDS) and _mine(stage):
            shutil.rmtree(stage, ignore_errors=True)
            removed.append(stage)
    if removed:
        log.info("removed %d stale temporary files: %s", len(removed), ", ".join(p.name for p in removed))
    return removed


def _older(path: Path, now: float, seconds: float) -> bool:
    try:
        return now - path.stat().st_mtime > seconds
    except OSError:
        return False


def _mine(path: Path) -> bool:
    try:
        return path.stat().st_uid == os.getuid()
    except (OSError, AttributeError):
        return False


@contextlib.contextmanager
def os_lock(path: str) -> Iterator[bool]:
    """Hold the OS lock on ``path`` (a 0600 file, released if the process dies): yields True
    while held, False at once when another holder has it.  Without ``fcntl`` (Windows): True."""
    if fcntl is None:
        yield True
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
