"""Secrets that must not sit in the database (which is copied, archived and exported):
the PrestaShop webservice key lives in a file next to the database, mode 0600."""

from __future__ import annotations

import os
from pathlib import Path

from pos.data.models import database


def secret_path(name: str) -> Path:
    """``<database folder>/<database name>.<name>`` (e.g. ``pos.sqlite3.prestashop-key``)."""
    db = database.obj.database if database.obj is not None else ""
    if not db or db == ":memory:":
        raise RuntimeError("no database file: secrets are kept next to it")
    return Path(f"{db}.{name}")


def read_secret(name: str) -> str:
    try:
        return secret_path(name).read_text("utf-8").strip()
    except FileNotFoundError:
        return ""


def write_secret(name: str, value: str) -> None:
    """Write (or, for an empty value, delete) a secret, readable by its owner only."""
    path = secret_path(name)
    if not value:
        path.unlink(missing_ok=True)
        return
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(value + "\n")
    os.chmod(tmp, 0o600)  # whatever the umask
    os.replace(tmp, path)
