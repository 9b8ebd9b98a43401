"""The process that writes an import's stage while the file is being read.

An import reads its file in Python (``pos/catalog/transfer.py``) and stores every row in the stage
(``pos/data/transfer.py``), matching it with the shop's record as it goes.  In one process the two
shared the interpreter's lock and ran one after the other; in two, both cores of a till work: the
reading process sends batches of converted rows down a pipe (``marshal``) and this process inserts
them with the statements it was given, then runs the statements that finish the stage.

    python -m pos.data.stage_worker

stdin: messages, each its length (8 bytes, little-endian) then its ``marshal`` bytes: first the plan
(a dict: ``shop``, ``stage``, ``rows``, ``barcodes``, ``errors`` and ``finish``: SQL texts;
``compare``: how to find and compare a row's record, or None), then one ``(rows, barcodes, errors)``
per batch, then ``None``.  stdout: one ``("ok", "")`` or ``("error", message)`` when it is done.
It only reads the shop's database; it writes the stage file, which no one else writes meanwhile.
"""

from __future__ import annotations

import json
import marshal
import operator
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from pos.sale.barcode import is_valid_gtin


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def connect(shop: str, stage: str) -> sqlite3.Connection:
    """A private connection on the shop's database with the stage attached (also ``Stage``'s own)."""
    conn = sqlite3.connect(shop, check_same_thread=False, isolation_level=None)
    # case ignored the way people expect it, accented capitals too (SQLite's NOCASE folds ASCII only)
    conn.create_function("fold", 1, _fold, deterministic=True)
    conn.execute("ATTACH DATABASE ? AS stage", (stage,))
    for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -65536"):
        conn.execute(f"PRAGMA stage.{pragma}")
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("PRAGMA main.cache_size = -65536")  # the comparison reads the whole list
    return conn


def _receive(inp: BinaryIO) -> Any:
    """One message: its length (8 bytes), then its ``marshal`` bytes (``marshal.load`` on a pipe would
    read it a field at a time)."""
    head = inp.read(8)
    if len(head) != 8:
        raise EOFError("the reading process stopped")
    size = int.from_bytes(head, "little")
    data = inp.read(size)
    if len(data) != size:
        raise EOFError("the reading process stopped")
    return marshal.loads(data)


def _message(value: Any) -> bytes:
    data = marshal.dumps(value)
    return len(data).to_bytes(8, "little") + data


def serve(inp: BinaryIO, out: BinaryIO) -> None:
    try:
        plan = _receive(inp)
        conn = connect(plan["shop"], plan["stage"])
        store = _compare(conn, plan) if plan["compare"] else None
        while True:
            batch = _receive(inp)
            if batch is None:
                break
            rows, barcodes, errors = batch
            conn.execute("BEGIN")
            if store is None:
                conn.executemany(plan["rows"], [(*row, None, None) for row in rows])
            else:
                store(rows)
            if barcodes:
                conn.executemany(plan["barcodes"], barcodes)
            if errors:
                conn.executemany(plan["errors"], errors)
            conn.execute("COMMIT")
        for sql in plan["finish"]:
            conn.execute(sql)
        conn.close()
        reply: tuple[str, str] = ("ok", "")
    except BaseException as exc:  # said to the reading process, which raises it
        reply = ("error", f"{type(exc).__name__}: {exc}")
    marshal.dump(reply, out)
    out.flush()


def _compare(conn: sqlite3.Connection, plan: dict[str, Any]) -> Callable[[list[tuple]], None]:
    """What stores a batch of rows: each found by its key and compared with its record, field by
    field as ``Stage.changes_sql`` does in SQL (``IS NOT``: ``None`` equals ``None`` only)."""
    spec = plan["compare"]
    fields = [(i, name, mode, at) for at, (i, name, mode) in enumerate(spec["fields"], 2)]
    with_codes, custom, ean = spec["barcodes"], spec["custom"], spec["ean"]
    find = _Finder(conn, spec)
    places = [i for i, _name, _mode, _at in fields]
    # the row's compared values as a tuple, like the record's after its key and id (most rows: equal)
    pick = (operator.itemgetter(*places) if len(places) > 1 else (lambda row: (row[places[0]],)) if places
            else (lambda row: ()))

    def store(rows: list[tuple]) -> None:
        found, codes = find([row[1] for row in rows if row[1]])
        full: list[tuple] = []
        lean: list[tuple[int, str, int]] = []
        errors: list[tuple[int, int, str, str]] = []
        for row in rows:
            shop = found.get(row[1]) if row[1] else None
            target = None if shop is None else shop[1]
            if (target is not None and not custom and not row[2] and row[3] is None and pick(row) == shop[2:]
                    and (not with_codes or row[4] == codes.get(target))):
                lean.append((row[0], row[1], target))  # the same as the record: the common case
                continue
            code = row[4]
            if (ean and code is not None and len(code) == 13 and code.isascii() and code.isdigit()
                    and (target is None or code != codes.get(target)) and not is_valid_gtin(code)):
                row = (row[0], row[1], 1, *row[3:])
                errors.append((row[0], ean[0], "barcode", ean[1].replace("{code}", code)))
            if shop is None:
                full.append((*row, None, None))
                continue
            diffs = []
            for i, name, mode, k in fields:
                value = row[i]
                if mode == "keep" and value is None:
                    continue
                if value != shop[k] or (mode == "dept" and row[3] is not None):
                    diffs.append(name)
            if with_codes and row[4] != codes.get(target):
                diffs.append("barcodes")
            if custom:  # custom fields are compared in SQL
                full.append((*row, target, None))
            elif diffs or row[2]:
                full.append((*row, target, ",".join(diffs)))
            else:
                lean.append((row[0], row[1], target))
        if full:
            conn.executemany(plan["rows"], full)
        if lean:
            conn.executemany(spec["lean"], lean)
        if errors:
            conn.executemany(plan["errors"], errors)

    return store


class StageError(RuntimeError):
    """The staging process failed (its message says why) or stopped."""


class _Finder:
    """The shop's records of a batch of keys, and their barcodes.

    A file exported by pos lists its rows in key order, and people edit it without sorting it again:
    the records of a batch are then one range of the key's index, read in one pass (a third of the
    time of finding each key).  When the range holds many more records than the batch (a file in
    another order), the keys are looked up one by one, for this batch and the next few."""

    RETRY = 16  # batches looked up key by key before a range is tried again

    def __init__(self, conn: sqlite3.Connection, spec: dict[str, Any]) -> None:
        self.conn, self.spec = conn, spec
        self.keyed = 0  # batches left to look up key by key

    def __call__(self, keys: list[str]) -> tuple[dict[str, tuple], dict[int, str]]:
        conn, spec = self.conn, self.spec
        found: dict[str, tuple] = {}
        rest = keys
        if keys and not self.keyed:
            low, high = min(keys), max(keys)
            limit = 2 * len(keys) + 64
            records = conn.execute(spec["range"], (low, high, limit)).fetchall()
            found = {r[0]: r for r in records}
            rest = []
            if len(records) == limit:  # not one range: the rest of the keys one by one
                last = records[-1][0]
                rest = [k for k in keys if k > last]
                self.keyed = self.RETRY
        elif self.keyed:
            self.keyed -= 1
        if rest:
            found.update((r[0], r) for r in conn.execute(spec["find"], (json.dumps(rest),)))
        codes: dict[int, str] = {}  # an article's codes as the file writes them: sorted, joined by |
        if spec["barcodes"] and found:
            ids = [r[1] for r in found.values()]
            low, high = min(ids), max(ids)
            if high - low < 2 * len(ids) + 64:  # records made together: one range of the barcodes' index
                cursor = conn.execute(spec["code_range"], (low, high))
            else:
                cursor = conn.execute(spec["codes"], (json.dumps(ids),))
            for owner, code in cursor:
                mine = codes.get(owner)
                codes[owner] = code if mine is None else "|".join(sorted([*mine.split("|"), code]))
        return found, codes


class StageProcess:
    """The reading side: ``put`` batches, then ``finish`` (raises what went wrong) or ``abort``.

    Batches are serialised on the calling thread and written to the pipe by a thread of this object
    (a full pipe blocks it, not the reading)."""

    def __init__(self, plan: dict[str, Any]) -> None:
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])  # the directory that holds the pos package
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        self.proc = subprocess.Popen([sys.executable, "-m", "pos.data.stage_worker"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=env)
        self.chunks: list[bytes | None] = []
        self.ready = threading.Condition()
        self.broken = False
        self.thread = threading.Thread(target=self._pump, name="import-stage", daemon=True)
        self.thread.start()
        self._send(_message(plan))

    def _send(self, data: bytes | None) -> None:
        with self.ready:
            while len(self.chunks) >= 2 and not self.broken:  # two batches ahead at most: memory stays flat
                self.ready.wait()
            if self.broken:
                raise self._failure()
            self.chunks.append(data)
            self.ready.notify_all()

    def _pump(self) -> None:
        assert self.proc.stdin is not None
        while True:
            with self.ready:
                while not self.chunks:
                    self.ready.wait()
                data = self.chunks[0]
            try:
                if data is None:
                    self.proc.stdin.close()
                    return
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                with self.ready:
                    self.broken = True
                    self.ready.notify_all()
                return
            with self.ready:
                self.chunks.pop(0)
                self.ready.notify_all()

    def put(self, rows: list[tuple], barcodes: list[tuple[int, str]], errors: list[tuple]) -> None:
        self._send(_message((rows, barcodes, errors)))

    def _reply(self) -> tuple[str, str]:
        assert self.proc.stdout is not None
        try:
            return marshal.load(self.proc.stdout)
        except (EOFError, ValueError, OSError):
            return ("error", f"the staging process stopped (status {self.proc.wait()})")

    def _failure(self) -> StageError:
        self.thread.join()
        status, message = self._reply()
        self.proc.wait()
        return StageError(message or status)

    def finish(self) -> None:
        with self.ready:
            if not self.broken:
                self.chunks += [_message(None), None]  # the end, then the pipe is closed
                self.ready.notify_all()
        self.thread.join()
        status, message = self._reply()
        self.proc.wait()
        if status != "ok":
            raise StageError(message)

    def abort(self) -> None:
        self.proc.kill()
        with self.ready:
            self.broken = True
            self.chunks.append(None)
            self.ready.notify_all()
        self.thread.join()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                if pipe is not None:
                    pipe.close()
            except OSError:
                pass


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
