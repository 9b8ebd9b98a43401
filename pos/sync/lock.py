"""One synchronisation at a time per till database, across processes: the automatic sync, the
end-of-day button and ``pos sync ...`` hold ``<db>.sync-lock`` (an OS lock, released if the process
dies; a second holder in the same process is refused too).  Without ``fcntl`` (Windows) the lock is
held inside this process only."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from pos.data.files import os_lock

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
        if not path:
            yield True
            return
        with os_lock(path) as held:
            yield held
    finally:
        _LOCAL.release()
