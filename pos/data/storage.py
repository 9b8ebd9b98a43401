"""The SQLite database class of the till: storage failures said clearly, never hidden by a rollback.

When the disk is full, the file is read-only or an I/O error occurs, SQLite may roll the
transaction back by itself.  peewee then tried its own ``ROLLBACK`` and raised "cannot rollback -
no transaction is active", which hid the real error (and named no file).  ``PosDatabase``:

- skips a rollback when SQLite has none to do, so the original error goes up;
- turns the storage errors (full, read-only, damaged, I/O, cannot open) into a ``StorageError``
  whose message says what happened to which file, in the user's language; it is a peewee
  ``OperationalError``, shown by the screens and the CLI like any database trouble.

Nothing was committed when one is raised: the basket stays on the screen, and the database can
still be read (the till keeps searching articles and showing tickets).
"""

from __future__ import annotations

import os
import sqlite3
import time
from typing import Any

from peewee import OperationalError, SqliteDatabase

from pos.core.i18n import _

POLL_SECONDS = 0.002  # how often a write waiting for the lock tries again


class _Clear:
    """First base of ``StorageError``: peewee's exception wrapper re-wraps an error whose first base
    is one of its DB-API names (losing the class); this one it lets through."""


class StorageError(_Clear, OperationalError):
    """The database file cannot be written or read (``kind``: full, readonly, corrupt, io, cantopen)."""

    def __init__(self, message: str, kind: str, path: str) -> None:
        super().__init__(message)
        self.kind, self.path = kind, path


def _sqlite_error(exc: BaseException) -> sqlite3.Error | None:
    """The sqlite3 error behind ``exc`` (peewee wraps it as its first argument)."""
    for candidate in (exc, *getattr(exc, "args", ())[:1], exc.__cause__, exc.__context__):
        if isinstance(candidate, sqlite3.Error):
            return candidate
    return None


def _kind(exc: BaseException) -> str | None:
    error = _sqlite_error(exc)
    if error is None:
        return None
    name = getattr(error, "sqlite_errorname", "") or ""
    text = str(error).lower()
    if name.startswith("SQLITE_FULL") or "database or disk is full" in text:
        return "full"
    if name.startswith("SQLITE_READONLY") or "readonly database" in text:
        return "readonly"
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text or "not a database" in text:
        return "corrupt"
    if name.startswith("SQLITE_IOERR") or "disk i/o error" in text:
        return "io"
    if name.startswith("SQLITE_CANTOPEN") or "unable to open database" in text:
        return "cantopen"
    return None


def _almost_full(path: str) -> bool:
    try:
        stats = os.statvfs(os.path.dirname(os.path.abspath(path)))
    except (OSError, AttributeError):
        return False
    return stats.f_bavail * stats.f_frsize < 1 << 20


def storage_error(exc: BaseException, path: str) -> StorageError | None:
    """A clear ``StorageError`` for a storage failure of ``path``, else None."""
    if isinstance(exc, StorageError):
        return exc
    kind = _kind(exc)
    if kind is None:
        return None
    if kind == "io" and _almost_full(path):  # SQLite says "I/O error" when it cannot grow its WAL or -shm file
        kind = "full"
    messages = {
        "full": _("The disk is full: {path} cannot be written. Nothing was recorded; free some space "
                  "and try again."),
        "readonly": _("{path} is read-only (file or folder permissions, or a read-only disk): "
                      "nothing was recorded."),
        "corrupt": _("{path} is damaged (not a valid database): restore a backup."),
        "io": _("{path} cannot be written or read (input/output error: a failing disk or a removed "
                "drive): nothing was recorded."),
        "cantopen": _("{path} cannot be opened (a missing folder, or permissions)."),
    }
    return StorageError(messages[kind].format(path=path), kind, path)


class _Cursor(sqlite3.Cursor):
    """Every statement of the shop's connections (peewee's and the raw ones of ``record_ticket``):
    a storage failure becomes a ``StorageError`` naming the file."""

    def execute(self, sql: str, parameters: Any = ()) -> _Cursor:  # type: ignore[override]
        try:
            return super().execute(sql, parameters)
        except sqlite3.Error as exc:
            _raise_clear(exc, self.connection)
            raise

    def executemany(self, sql: str, seq_of_parameters: Any) -> _Cursor:  # type: ignore[override]
        try:
            return super().executemany(sql, seq_of_parameters)
        except sqlite3.Error as exc:
            _raise_clear(exc, self.connection)
            raise

    def executescript(self, sql_script: str) -> _Cursor:  # type: ignore[override]
        try:
            return super().executescript(sql_script)
        except sqlite3.Error as exc:
            _raise_clear(exc, self.connection)
            raise


class _Connection(sqlite3.Connection):
    """A connection that knows its file and makes ``_Cursor``s."""

    def __init__(self, database: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self.path = str(database)

    def cursor(self, factory: Any = None) -> _Cursor:  # type: ignore[override]
        return super().cursor(factory or _Cursor)


def _raise_clear(exc: sqlite3.Error, connection: Any) -> None:
    """Raise the ``StorageError`` of ``exc`` if it is a storage failure (else return: the caller re-raises)."""
    clear = storage_error(exc, getattr(connection, "path", "?"))
    if clear is not None:
        raise clear from exc


class PosDatabase(SqliteDatabase):
    """The shop's database (``open_database`` makes one)."""

    def __init__(self, database: str, **kwargs: Any) -> None:
        super().__init__(database, factory=_Connection, **kwargs)

    def begin(self, lock_type: str | None = None) -> None:
        """``BEGIN IMMEDIATE`` (every write of the till) waits for the write lock by trying again every
        2 ms, up to the connection's ``busy_timeout``.  SQLite's own wait sleeps up to 100 ms between
        tries, and so missed the short gaps an import leaves between its transactions
        (``pos/data/import_apply.py``): a sale would wait for the whole import.  Polling, it gets
        the lock in the next gap."""
        if (lock_type or "").upper() not in ("IMMEDIATE", "EXCLUSIVE"):
            super().begin(lock_type)
            return
        conn = self.connection()
        timeout_ms = conn.execute("PRAGMA busy_timeout").fetchone()[0]
        deadline = time.monotonic() + timeout_ms / 1000
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            while True:
                try:
                    super().begin(lock_type)
                    return
                except OperationalError as exc:
                    if "locked" not in str(exc) or time.monotonic() >= deadline:
                        raise
                time.sleep(POLL_SECONDS)
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(timeout_ms)}")

    def rollback(self) -> None:
        if not self.is_closed() and not self.connection().in_transaction:
            return  # SQLite rolled back by itself (disk full, I/O error): keep the error that caused it
        super().rollback()

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        if sql.startswith("ROLLBACK TO SAVEPOINT") and not self.connection().in_transaction:
            return None  # the transaction of the savepoint is already undone: keep the real error
        return super().execute_sql(sql, params)

    def _connect(self) -> Any:
        try:
            return super()._connect()
        except sqlite3.Error as exc:
            clear = storage_error(exc, self.database)
            if clear is None:
                raise
            raise clear from exc
