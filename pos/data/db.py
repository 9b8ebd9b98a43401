"""Opening the SQLite database: pragmas, the proxy, migrations."""

from __future__ import annotations

import os
from pathlib import Path

from pos.data.files import prepare_database_file
from pos.data.migrations import migrate
from pos.data.models import database
from pos.data.storage import PosDatabase

PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    # FULL: in WAL mode every commit is fsync'ed, so a paid sale survives a power cut
    "synchronous": 2,
    "busy_timeout": 5000,
    "cache_size": -16000,
}


def default_db_path() -> Path:
    """``$POS_DB`` or ``<user data dir>/pos/pos.sqlite3``."""
    env = os.environ.get("POS_DB")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("pos", appauthor=False)) / "pos.sqlite3"


def open_database(path: str | os.PathLike | None = None, *, upgrade: bool = True,
                  target: int | None = None) -> PosDatabase:
    """Open (creating if needed) the database, bind the models to it and migrate it."""
    path = Path(path) if path is not None else default_db_path()
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
        prepare_database_file(path)  # 0600 (PIN hashes, customers); stale temporary files removed
    db = PosDatabase(str(path), pragmas=PRAGMAS, check_same_thread=False)  # clear storage errors
    database.initialize(db)
    db.connect(reuse_if_open=True)
    if upgrade:
        applied = migrate(db, target=target)
        if 9 in applied:  # the fiscal journal starts: the tickets already there are sealed into it
            import datetime as dt

            from pos.data import journal

            journal.adopt_existing_tickets(dt.datetime.now().astimezone().isoformat(timespec="seconds"))
        from pos.data.import_apply import recover

        recover()  # an import that a killed process left half applied is undone
    return db


def close_database() -> None:
    db = database.obj
    if db is not None and not db.is_closed():
        db.close()


def pragma(name: str):
    """Read one pragma (tests and diagnostics)."""
    return database.execute_sql(f"PRAGMA {name}").fetchone()[0]


def integrity_check() -> str:
    return database.execute_sql("PRAGMA integrity_check").fetchone()[0]
