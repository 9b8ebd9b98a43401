"""``pos journal verify`` and ``pos archive export`` (registered by ``pos.cli.commands.build_parser``)."""

from __future__ import annotations

import argparse
import getpass

from pos.core.i18n import _


def cmd_journal(args: argparse.Namespace) -> int:
    from pos.cli.commands import CliError, _open
    from pos.data import journal
    from pos.fiscal import archive

    if args.archive:
        verdict = archive.verify(args.archive)  # the archive alone; the database too when it exists
    else:
        _open(args)
        verdict = journal.verify()
    if not verdict.ok:
        first = _(" (first bad record: {seq})").format(seq=verdict.first_bad) if verdict.first_bad else ""
        raise CliError(_("journal NOT intact{first}: {message}").format(first=first, message=verdict.message))
    print(_("journal intact: {message}").format(message=verdict.message))
    return 0


def cmd_archive(args: argparse.Namespace) -> int:
    from pos.cli.commands import CliError, _open
    from pos.core import settings
    from pos.fiscal import archive

    _open(args)
    try:
        summary = archive.export(args.period, args.folder, user_name=f"cli:{getpass.getuser()}",
                                 shop=settings.get("shop.name"), till=settings.get("till.name"))
    except (archive.ArchiveError, OSError) as exc:
        raise CliError(str(exc)) from exc
    print(f"archive: {args.period}")
    print(f"folder: {args.folder}")
    print(f"records: {summary['first_seq']}-{summary['last_seq']}")
    print(f"manifest_sha256: {summary['manifest_sha256']}")
    return 0


def register(sub, common: argparse.ArgumentParser) -> None:
    j = sub.add_parser("journal", parents=[common], help="verify the fiscal journal")
    j.add_argument("action", choices=["verify"])
    j.add_argument("--archive", metavar="DIR", help="verify an archive folder instead of the database")
    j.set_defaults(func=cmd_journal)
    a = sub.add_parser("archive", parents=[common], help="export a fiscal archive")
    a.add_argument("action", choices=["export"])
    a.add_argument("--period", required=True, metavar="YYYY-MM")
    a.add_argument("folder", metavar="DIR")
    a.set_defaults(func=cmd_archive)
