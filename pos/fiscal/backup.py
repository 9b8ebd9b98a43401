"""Backups and restores of the till's database (no Kivy, no SQL).

**Taking one** (``make_backup``): SQLite's online backup API copies the database in one step while
the till keeps selling (WAL: the copy is one snapshot of everything committed when it starts).
The copy is then checked before it counts: ``PRAGMA integrity_check`` and the whole journal
verification (``pos journal verify``, in a separate process, on a scratch copy).  Beside it go its
signed journal head (``FILE.head``, an anchor for ``pos journal verify --anchor-file``) and a
manifest (``FILE.json``: when, which till, the head, the last ticket and note numbers, the checks,
the SHA-256).  Backups go to the folder of the setting ``backup.folder`` (a USB stick, a network
share) or to ``--to DIR``; automatic ones are taken after each Z and once a day.

**Which are kept** (``rotate``): every backup of the last ``backup.keep_days`` days, plus the last
one of each month for ``backup.keep_months`` months; only files named like ours are removed.

**Warnings** (``status``): no folder set, the folder missing (the stick is out) or unreadable, the
last automatic backup failed (``auto_backup`` records each failure in the journal, a
``backup_failed`` event with its reason, and logs it), or the last good backup older than
``backup.warn_hours``.  After a failure the daily backup is tried again an hour later at the soonest.

**Restoring** (``restore``, manager): the backup is verified first; a backup of another till (another
journal genesis) is refused unless forced; the current database, its WAL and head file are moved
aside (``<db>.before-restore-<time>/``); the restored journal gets a signed ``restored`` record naming
the next ticket and note numbers: the numbers printed after the backup was taken are never given
again (``journal_check`` accepts exactly that documented gap).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pos.core import settings
from pos.core.errors import Refusal
from pos.core.i18n import _, language
from pos.core.permissions import Actor, check
from pos.data import backups as db
from pos.data import events, journal, signing
from pos.data.common import now_iso
from pos.data.files import create_private

log = logging.getLogger(__name__)

NAME = re.compile(r"^pos-(?P<stamp>\d{8}-\d{6})-(?P<reason>[a-z]+)\.sqlite3$")
VERIFY_TIMEOUT = 600  # s: a six-year journal is verified in well under this
RETRY_AFTER = dt.timedelta(hours=1)  # a failed daily backup is tried again after this


class BackupError(Refusal):
    journaled = False  # True when ``make_backup`` already recorded the failure (``backup_failed``)


class OtherTill(BackupError):
    """The backup is another till's (another journal): restored only when forced."""


@dataclass
class BackupInfo:
    path: Path
    created_at: str
    reason: str  # manual, z, daily, file
    ok: bool
    message: str
    head: str  # seq:hash
    last_ticket: int
    last_voucher: int
    genesis: str
    size: int


def folder() -> Path | None:
    value = settings.get("backup.folder").strip()
    return Path(value).expanduser() if value else None


# ---------------------------------------------------------------- checking a copy
def check_copy(path: Path, head_file: Path | None = None) -> tuple[bool, str, db.CopyFacts | None]:
    """Integrity check, then the journal's verification in another process on a scratch copy (with the
    head file ``head_file`` beside it): (ok, message, facts)."""
    try:
        facts = db.facts(path)
    except sqlite3.Error as exc:
        return False, _("not a readable database: {error}").format(error=exc), None
    if facts.integrity != "ok":
        return False, _("integrity check failed: {error}").format(error=facts.integrity), facts
    if not facts.genesis:
        return False, _("this database has no fiscal journal"), facts
    with tempfile.TemporaryDirectory(prefix="pos-verify-") as scratch:
        copy = Path(scratch) / "check.sqlite3"
        shutil.copyfile(path, copy)
        if head_file is not None and head_file.exists():
            shutil.copyfile(head_file, f"{copy}.head")
        try:
            proc = subprocess.run([sys.executable, "-m", "pos.fiscal.backup_verify", str(copy), language()],
                                  capture_output=True, text=True, timeout=VERIFY_TIMEOUT)
            verdict = json.loads(proc.stdout.strip().splitlines()[-1])
        except (subprocess.TimeoutExpired, ValueError, IndexError):
            return False, _("the journal of the copy could not be verified"), facts
    return bool(verdict["ok"]), verdict["message"], facts


# ---------------------------------------------------------------- taking one
def write_backup(actor: Actor | None, dest: Path, reason: str = "file") -> BackupInfo:
    """Copy the database into ``dest`` (which must not exist), check the copy, write its signed head
    and its manifest beside it; journaled.  ``actor`` None: an automatic backup (after a Z, daily)."""
    if actor is not None:
        check(actor, "archive")
    dest = Path(dest)
    if dest.exists():
        raise BackupError(_("{file} already exists").format(file=dest))
    key = signing.private_key()
    if key is None:
        raise BackupError(_("the till has no signing key: a backup cannot be sealed"))
    part = dest.with_name(dest.name + ".part")
    created = now_iso()
    try:
        db.snapshot(part)
        facts = db.facts(part)
        # the copy's own numbers: the head file beside the live database may already be further on
        head = journal.Head(facts.seq, facts.hash, facts.genesis, facts.ticket_floor)
        head = head._replace(signature=signing.sign(key, head.signed_message()))
        head_file = Path(f"{dest}.head")
        create_private(head_file)
        head_file.write_text(head.text(), encoding="ascii")
        ok, message, _facts = check_copy(part, head_file)
        os.replace(part, dest)
        info = BackupInfo(dest, created, reason, ok, message, f"{head.seq}:{head.hash}", facts.last_ticket,
                          facts.last_voucher, facts.genesis, dest.stat().st_size)
        from pos.fiscal.archive import _sha256

        _write_manifest(info, _sha256(dest))
    except (OSError, sqlite3.Error) as exc:
        for leftover in (part,):
            leftover.unlink(missing_ok=True)
        failure = BackupError(_("backup failed: {error}").format(error=exc))
        events.log_event("backup_failed", actor.name if actor else "", reason=reason, file=str(dest),
                         error=str(failure))
        failure.journaled = True
        raise failure from exc
    events.log_event("backup", actor.name if actor else "", file=dest.name, reason=reason, ok=ok,
                     head=info.head, ticket=head.ticket)
    if not ok:
        raise BackupError(_("the backup {file} failed its checks: {error}").format(file=dest, error=message))
    return info


def _write_manifest(info: BackupInfo, sha: str) -> None:
    data = {"created_at": info.created_at, "reason": info.reason, "ok": info.ok, "message": info.message,
            "head": info.head, "last_ticket": info.last_ticket, "last_voucher": info.last_voucher,
            "genesis": info.genesis, "sha256": sha, "till": settings.get("till.name"),
            "shop": settings.get("shop.name")}
    path = Path(f"{info.path}.json")
    create_private(path)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True), encoding="utf-8")


def make_backup(actor: Actor | None, to: str | os.PathLike | None = None, reason: str = "manual",
                now: dt.datetime | None = None) -> BackupInfo:
    """A backup into ``to`` or the configured folder, named by its time, then the rotation."""
    target = Path(to).expanduser() if to else folder()
    if target is None:
        raise BackupError(_("no backup folder: set backup.folder or give --to DIR"))
    if not target.is_dir():
        raise BackupError(_("the backup folder {folder} is missing (is the USB stick or the share there?)")
                          .format(folder=target))
    now = now or dt.datetime.now()
    dest = target / f"pos-{now:%Y%m%d-%H%M%S}-{reason}.sqlite3"
    info = write_backup(actor, dest, reason)
    rotate(target, int(settings.get("backup.keep_days")), int(settings.get("backup.keep_months")), now)
    return info


def list_backups(where: Path | None = None) -> list[BackupInfo]:
    """The backups of a folder (default: the configured one), newest first."""
    where = where or folder()
    if where is None or not where.is_dir():
        return []
    out = []
    for path in where.iterdir():
        m = NAME.match(path.name)
        if not m:
            continue
        try:
            data = json.loads(Path(f"{path}.json").read_text("utf-8"))
        except (OSError, ValueError):
            data = {}
        out.append(BackupInfo(path, data.get("created_at", ""), m["reason"], bool(data.get("ok")),
                              data.get("message", _("no manifest")), data.get("head", ""),
                              int(data.get("last_ticket", 0)), int(data.get("last_voucher", 0)),
                              data.get("genesis", ""), path.stat().st_size))
    return sorted(out, key=lambda b: b.path.name, reverse=True)


def rotate(where: Path, keep_days: int, keep_months: int, now: dt.datetime) -> list[Path]:
    """Keep every backup of the last ``keep_days`` days and the newest of each of the last
    ``keep_months`` months; remove the others (with their head and manifest).  Returns the removed."""
    stamps = []
    for path in where.iterdir():
        m = NAME.match(path.name)
        if m:
            stamps.append((dt.datetime.strptime(m["stamp"], "%Y%m%d-%H%M%S"), path))
    stamps.sort(reverse=True)
    keep: set[Path] = set()
    recent = now - dt.timedelta(days=keep_days)
    months: list[tuple[int, int]] = []
    for when, path in stamps:
        if when >= recent:
            keep.add(path)
        month = (when.year, when.month)
        if month not in months:  # the newest of its month
            months.append(month)
            if len(months) <= keep_months:
                keep.add(path)
    removed = []
    for _when, path in stamps:
        if path not in keep:
            for side in (path, Path(f"{path}.head"), Path(f"{path}.json")):
                side.unlink(missing_ok=True)
            removed.append(path)
    return removed


# ---------------------------------------------------------------- when, and warnings
def last_good(where: Path | None = None) -> BackupInfo | None:
    genesis = db.current_facts()[0]
    return next((b for b in list_backups(where) if b.ok and b.genesis == genesis), None)


def status(now: dt.datetime | None = None) -> tuple[str, str]:
    """("ok" | "warning", message): what the till says about its backups."""
    now = now or dt.datetime.now().astimezone()
    where = folder()
    if where is None:
        return "warning", _("No backup folder is set (Configuration > Backups)")
    if not where.is_dir():
        return "warning", _("The backup folder {folder} is missing: plug in the USB stick or check the share").format(
            folder=where)
    try:
        last = last_good(where)
    except OSError as exc:
        return "warning", _("The backup folder {folder} cannot be read: {error}").format(
            folder=where, error=exc.strerror or exc)
    failed = last_failure()
    if failed is not None and (last is None or _when(failed["at"]) >= _when(last.created_at)):  # (to the second)
        return "warning", (_("The backup after the Z failed: {error}") if failed["reason"] == "z"
                           else _("The daily backup failed: {error}")).format(error=failed["error"])
    if last is None:
        return "warning", _("No good backup yet")
    age = now - dt.datetime.fromisoformat(last.created_at)
    hours = int(age.total_seconds() // 3600)
    if hours >= int(settings.get("backup.warn_hours")):
        return "warning", _("The last good backup is {hours} hours old").format(hours=hours)
    return "ok", _("Last good backup: {at}").format(at=last.created_at[:16].replace("T", " "))


def daily_due(now: dt.datetime | None = None) -> bool:
    """No backup of today in the configured folder (which is there)."""
    now = now or dt.datetime.now()
    where = folder()
    if where is None or not where.is_dir():
        return False
    failed = last_failure()
    if failed is not None and now.astimezone() - _when(failed["at"]) < RETRY_AFTER:
        return False  # said by status(); tried again later, not every few minutes
    today = f"pos-{now:%Y%m%d}-"
    try:
        return not any(b.path.name.startswith(today) for b in list_backups(where))
    except OSError:
        return True  # a folder that cannot be read: the attempt fails, and its failure is recorded


def auto_backup(reason: str) -> BackupInfo | None:
    """An automatic backup (after a Z, daily) when a folder is set; a failure is journaled and logged,
    never raised (the Z or the sale it follows is committed whatever happens to the stick)."""
    if folder() is None:
        return None
    try:
        return make_backup(None, reason=reason)
    except (BackupError, OSError, sqlite3.Error) as exc:
        error = str(exc)
        log.warning("the automatic backup (%s) failed: %s", reason, error)  # a path and a reason: no secret
        if not getattr(exc, "journaled", False):  # one event per failure
            events.log_event("backup_failed", "", reason=reason, error=error)
        return None


def last_failure() -> dict[str, str] | None:
    """The last automatic backup's failure, as recorded by ``auto_backup``: ``at``, ``reason``, ``error``."""
    event = events.last_event("backup_failed", having="reason")
    if event is None:
        return None
    return {"at": event["at"], "reason": str(event["data"]["reason"]), "error": str(event["data"].get("error", ""))}


def _when(iso: str) -> dt.datetime:
    """A stored time (``now_iso``) as an aware datetime (a naive one is local time)."""
    when = dt.datetime.fromisoformat(iso)
    return when if when.tzinfo else when.astimezone()


# ---------------------------------------------------------------- restoring
def restore(actor: Actor, file: str | os.PathLike, force: bool = False) -> dict[str, Any]:
    """Replace the database by a verified backup (see the module's docstring).  Returns what was done."""
    check(actor, "restore")
    source = Path(file).expanduser()
    if not source.is_file():
        raise BackupError(_("no backup at {file}").format(file=source))
    ok, message, facts = check_copy(source, Path(f"{source}.head"))
    if not ok or facts is None:
        raise BackupError(_("the backup {file} does not verify: {error}").format(file=source, error=message))
    from pos.data.migrations import LATEST

    if facts.schema > LATEST:
        raise BackupError(_("this backup was made by a newer version of pos (schema {version}): upgrade pos first")
                          .format(version=facts.schema))
    genesis, last_ticket, last_voucher = db.current_facts()
    if genesis and facts.genesis != genesis and not force:
        raise OtherTill(_("this backup is of another till (another journal): add --force to restore it anyway"))
    before = journal.last_record()
    next_ticket = max(last_ticket, journal.ticket_floor(), facts.ticket_floor) + 1
    next_voucher = max(last_voucher, facts.last_voucher) + 1
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = db.database_path()
    aside = path.with_name(f"{path.name}.before-restore-{stamp}")
    from pos.data.db import open_database

    db.swap_in(source, aside)
    open_database(path)
    head = journal.current_head()
    key = signing.private_key()
    if head is not None:  # the next numbers, above anything printed before the restore
        head = head._replace(ticket=next_ticket - 1)
        head = head._replace(signature=signing.sign(key, head.signed_message()) if key else "")
        head_file = journal.head_path()
        if head_file is not None:
            create_private(head_file)
            head_file.write_text(head.text(), encoding="ascii")
    done = {"file": str(source), "backup_head": f"{facts.seq}:{facts.hash}", "aside": str(aside),
            "replaced_head": f"{before[0]}:{before[1]}" if before else "", "forced": bool(force and genesis and
                                                                                       facts.genesis != genesis),
            "next_ticket": next_ticket, "next_voucher": next_voucher,
            "skipped_tickets": [facts.ticket_floor + 1, next_ticket - 1] if next_ticket - 1 > facts.ticket_floor
            else None}
    events.log_event("restored", actor.name, **done)
    return done
