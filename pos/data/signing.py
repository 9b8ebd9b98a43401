"""The till's Ed25519 key and the journal's signatures.

The private key lives in ``<database>.journal-key`` (PEM, PKCS#8, mode 0600), next to
the database and never in it, in a log or in the journal.  It is created the first
time the journal is written (the till's first start, or the first start after an
upgrade).  Its public key is recorded in the journal: in the genesis record of a new
database, else in a ``key`` record from which signing starts.

Every record's chain hash is signed, in the transaction that appends the record
(table ``journal_signature``).  Because each hash covers every record before it, a
change anywhere followed by a re-hash breaks the signature of every later record.
The messages are domain-separated, so that a record's signature can never be passed
off as a head file's or an archive's::

    record:  "pos-journal-v1 <seq> <hash>"
    head:    "pos-head-v1 <seq> <hash> <genesis hash> <last ticket>"
    archive: "pos-archive-v1 <SHA-256 of MANIFEST.sha256>"
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from pos.data.models import database

log = logging.getLogger(__name__)
KEY_FILE = "journal-key"  # <database>.journal-key
ALG = "ed25519"
_keys: dict[str, Ed25519PrivateKey] = {}  # database path -> its key, once read


def key_path() -> Path | None:
    """``<database>.journal-key``, or None for an in-memory database (nothing is signed then)."""
    name = database.obj.database if database.obj is not None else ":memory:"
    return None if name in ("", ":memory:") else Path(f"{name}.{KEY_FILE}")


def _write_new(path: Path) -> None:
    """Create a key file, 0600, atomically: a second process racing us keeps the first key."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", dir=path.parent)  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)  # fails if it exists: never overwrite a key
        except FileExistsError:
            pass
    finally:
        os.unlink(tmp)
    log.info("journal signing key created next to the database")


def _read(path: Path) -> Ed25519PrivateKey:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        os.chmod(path, 0o600)
        log.warning("the journal key file was readable by others: its mode is now 0600")
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the journal key file does not hold an Ed25519 key")
    return key


def private_key(create: bool = True) -> Ed25519PrivateKey | None:
    """This till's key (created on first use when ``create``); None for an in-memory database, or
    when the file cannot be read (the records are then written unsigned, which verify reports)."""
    path = key_path()
    if path is None:
        return None
    cached = _keys.get(str(path))
    if cached is not None:
        return cached
    try:
        if create and not path.exists():
            _write_new(path)
        key = _read(path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("journal key file unusable, records are not signed: %s", type(exc).__name__)
        return None
    _keys[str(path)] = key
    return key


def file_public_key() -> str | None:
    """The public key of the key file as it is on disk now (verify reads it afresh), or None."""
    path = key_path()
    try:
        return public_hex(_read(path)) if path is not None else None
    except (OSError, ValueError):
        return None


def forget() -> None:
    """Drop the keys read so far (a test that deletes or replaces a key file)."""
    _keys.clear()


@functools.lru_cache(maxsize=8)
def public_hex(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def fingerprint(public: str) -> str:
    """A public key's fingerprint: the first 128 bits of the SHA-256 of its 32 raw bytes, in hex."""
    return hashlib.sha256(bytes.fromhex(public)).hexdigest()[:32]


def pretty(fp: str) -> str:
    """``0123 4567 89ab ...``: a fingerprint as printed and read aloud."""
    return " ".join(fp[i:i + 4] for i in range(0, len(fp), 4))


# ---------------------------------------------------------------- messages
def record_message(seq: int, digest: str) -> bytes:
    return f"pos-journal-v1 {seq} {digest}".encode("ascii")


def head_message(seq: int, digest: str, genesis: str, ticket: int) -> bytes:
    return f"pos-head-v1 {seq} {digest} {genesis} {ticket}".encode("ascii")


def archive_message(manifest_sha256: str) -> bytes:
    return f"pos-archive-v1 {manifest_sha256}".encode("ascii")


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    return key.sign(message).hex()


def check(public: str, message: bytes, signature: str | None) -> bool:
    """Whether ``signature`` (hex) is ``public``'s signature of ``message``."""
    if not signature:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public)).verify(bytes.fromhex(signature), message)
        return True
    except (InvalidSignature, ValueError):
        return False


# ---------------------------------------------------------------- the signatures table
def insert_signature(seq: int, signature: str) -> None:
    """Store a record's signature (inside the transaction that appends the record).  A signature left
    behind by a cut-off end is replaced: the new record notes the cut (``journal.append``)."""
    database.execute_sql("INSERT OR REPLACE INTO journal_signature (seq, signature) VALUES (?, ?)", (seq, signature))


def signature_of(seq: int) -> str | None:
    row = database.execute_sql("SELECT signature FROM journal_signature WHERE seq = ?", (seq,)).fetchone()
    return row[0] if row else None


def signatures(first: int = 1) -> Iterator[tuple[int, str, str]]:
    """(seq, hash, signature or None) of every record from ``first``, in order."""
    cur = database.execute_sql("SELECT j.seq, j.hash, s.signature FROM journal j LEFT JOIN journal_signature s "
                               "ON s.seq = j.seq WHERE j.seq >= ? ORDER BY j.seq", (first,))
    while True:
        batch = cur.fetchmany(5000)
        if not batch:
            return
        yield from batch
