"""``pos backup [FILE] [--to DIR]``, ``pos backups`` and ``pos restore FILE [--force]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from pos.cli.common import CliError, add_who, open_db, progress, who
from pos.core.i18n import _


def cmd_backup(args: argparse.Namespace) -> int:
    from pos.fiscal import backup

    open_db(args)
    if args.file and args.to:
        raise CliError(_("give FILE or --to DIR, not both"))
    actor = who(args, "archive")
    with progress(_("Backing up")):
        info = (backup.write_backup(actor, Path(args.file)) if args.file
                else backup.make_backup(actor, args.to))
    print(f"backup: {info.path}")
    print(f"anchor: {info.path}.head")
    print(f"head: {info.head}")
    print(f"last_ticket: {info.last_ticket}")
    print(f"check: {info.message}")
    return 0


def cmd_backups(args: argparse.Namespace) -> int:
    from pos.fiscal import backup

    open_db(args)
    where = Path(args.folder) if args.folder else backup.folder()
    if where is None:
        raise CliError(_("no backup folder: set backup.folder or give --folder DIR"))
    for b in backup.list_backups(where):
        state = _("good") if b.ok else _("BAD")
        print(f"{b.path.name}  {b.created_at[:16].replace('T', ' ')}  {state:<5} {b.last_ticket:>8}  {b.size:>12}")
    level, message = backup.status()
    print(message)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from pos.fiscal import backup

    open_db(args)
    actor = who(args, "restore")
    with progress(_("Verifying and restoring")):
        done = backup.restore(actor, args.file, force=args.force)
    print(_("restored: {file}").format(file=done["file"]))
    print(_("previous database kept in {folder}").format(folder=done["aside"]))
    print(_("next ticket number: {number}").format(number=done["next_ticket"]))
    if done["skipped_tickets"]:
        first, last = done["skipped_tickets"]
        print(_("tickets {first} to {last} were after the backup: their numbers are not given again").format(
            first=first, last=last))
    return 0


def register(sub, common: argparse.ArgumentParser) -> None:
    b = sub.add_parser("backup", parents=[common],
                       help="back up the database (checked, with its signed head and manifest beside it)")
    b.add_argument("file", nargs="?", metavar="FILE", help="this file (default: a new file in the backup folder)")
    b.add_argument("--to", metavar="DIR", help="into this folder (default: the setting backup.folder)")
    add_who(b)
    b.set_defaults(func=cmd_backup)
    ls = sub.add_parser("backups", parents=[common], help="list the backups and say how recent the last good one is")
    ls.add_argument("--folder", metavar="DIR")
    ls.set_defaults(func=cmd_backups)
    r = sub.add_parser("restore", parents=[common], help="restore a backup (manager; the current database is kept)")
    r.add_argument("file", metavar="FILE")
    r.add_argument("--force", action="store_true", help="restore a backup of another till")
    add_who(r)
    r.set_defaults(func=cmd_restore)
