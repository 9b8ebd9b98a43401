"""The database side of backups and restores: an online copy (SQLite's backup API), what a copy
holds (integrity, journal head, till identity, last numbers), and swapping the database file.

No policy here (``pos/fiscal/backup.py`` decides when, where, what is kept and what is refused).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from pos.data.files import create_private
from pos.data.models import database


@dataclass
class CopyFacts:
    """What a database file holds, read from the file itself."""

    integrity: str  # "ok", or SQLite's first complaint
    seq: int  # the journal's last record
    hash: str
    genesis: str  # the hash of record 1: which till (which database) this is
    last_ticket: int
    last_voucher: int
    schema: int
    ticket_floor: int = 0  # the last ticket number given, a restore's skipped ones included


def database_path() -> Path:
    return Path(database.obj.database)


def snapshot(dest: Path) -> None:
    """Copy the open database into ``dest`` (0600) with SQLite's online backup API, in one step: one
    consistent snapshot of everything committed when it starts, while other connections keep writing
    (WAL).  The copy is left in rollback-journal mode, so that it can be read without writing beside it."""
    create_private(dest)
    target = sqlite3.connect(dest)
    try:
        database.connection().backup(target)
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()


def facts(path: Path) -> CopyFacts:
    """Read a database file (never written: opened immutable, read-only).  Raises sqlite3.Error."""
    con = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
        last = con.execute("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone() or (0, "")
        first = con.execute("SELECT hash FROM journal WHERE seq = 1").fetchone()
        ticket = con.execute('SELECT MAX("number") FROM "ticket"').fetchone()[0] or 0
        has_vouchers = con.execute("SELECT 1 FROM sqlite_master WHERE name = 'voucher'").fetchone()
        voucher = (con.execute('SELECT MAX("number") FROM "voucher"').fetchone()[0] or 0) if has_vouchers else 0
        schema = con.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0] or 0
        skipped = con.execute("SELECT MAX(json_extract(payload, '$.data.next_ticket')) FROM journal "
                              "WHERE kind = 'event' AND ref = 'restored'").fetchone()[0] or 0
    finally:
        con.close()
    return CopyFacts(integrity, last[0], last[1], first[0] if first else "", ticket, voucher, schema,
                     max(ticket, skipped - 1))


def current_facts() -> tuple[str, int, int]:
    """The open database's genesis hash, last ticket and last voucher number."""
    genesis = database.execute_sql("SELECT hash FROM journal WHERE seq = 1").fetchone()
    ticket = database.execute_sql('SELECT MAX("number") FROM "ticket"').fetchone()[0] or 0
    voucher = database.execute_sql('SELECT MAX("number") FROM "voucher"').fetchone()[0] or 0
    return (genesis[0] if genesis else ""), ticket, voucher


SIDE_FILES = ("-wal", "-shm", ".head")


def swap_in(source: Path, aside: Path) -> Path:
    """Close the database, move its file (and WAL, shared memory, head file) into the folder ``aside``,
    and put a private copy of ``source`` in its place.  Returns the database path (to reopen)."""
    path = database_path()
    staged = path.with_name(path.name + ".restoring")
    create_private(staged)
    shutil.copyfile(source, staged)
    os.chmod(staged, 0o600)
    database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.close()
    aside.mkdir(parents=True, exist_ok=True)
    for suffix in ("", *SIDE_FILES):
        side = Path(f"{path}{suffix}")
        if side.exists():
            os.replace(side, aside / side.name)
    os.replace(staged, path)
    return path
