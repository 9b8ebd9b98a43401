"""One synchronisation at a time per till database, across processes: the automatic sync, the
end-of-day button and ``pos sync ...`` hold ``<db>.sync-lock`` (an OS lock, released if the process
dies; a second holder in the same process is refused too).  Without ``fcntl`` (Windows) the lock is
held inside this process only."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

_LOCAL = threading.Lock()  # this process (Windows; and quick refusals between our own threads)


def lock_path() -> str:
    from pos.data.models import database

    path = database.obj.database if database.obj is not None else ""
    return "" if not path or path == ":memory:" else path + ".sync-lock"


@contextlib.contextmanager
def sync_lock() -> Iterator[bool]:
    """Yields True while this caller holds the sync lock, False (at once) when someone else does."""
    if not _LOCAL.acquire(blocking=False):
        yield False
        return
    try:
        path = lock_path()
        if fcntl is None or not path:
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
    finally:
        _LOCAL.release()
