"""``pos journal verify`` and ``pos archive export`` (registered by ``pos.cli.build_parser``).

``pos journal verify`` exits 0 when the journal is intact, 1 when it is not, 3 when the
head file is missing or belongs to another journal (a cut-off end cannot be ruled out
without an anchor), 4 when the signing key cannot be vouched for (no key file, or the
key changed).
"""

from __future__ import annotations

import argparse
import sys

from pos.cli.common import CliError, add_who, open_db, progress, who
from pos.core.i18n import _


def _anchors(args: argparse.Namespace) -> list:
    from pos.data.journal_check import Anchor

    anchors = []
    try:
        for text in args.anchor or []:
            anchors.append(Anchor.parse(text))
        for name in args.anchor_file or []:
            with open(name, encoding="ascii") as f:
                anchors.append(Anchor.parse(f.read(), source=name))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise CliError(_("unusable anchor: {error}").format(error=exc)) from exc
    return anchors


def cmd_journal(args: argparse.Namespace) -> int:
    from pos.fiscal import archive, verify

    anchors = _anchors(args)
    if args.archive:
        with progress(_("Verifying the archive {folder}").format(folder=args.archive)):
            verdict = archive.verify(args.archive)  # the archive alone; the database too when it exists
    else:
        open_db(args)
        with progress(_("Verifying the journal")):
            verdict = verify.verify(anchors, all_signatures=args.all_signatures)
    if not verdict.ok:
        first = _(" (first bad record: {seq})").format(seq=verdict.first_bad) if verdict.first_bad else ""
        raise CliError(_("journal NOT intact{first}: {message}").format(first=first, message=verdict.message))
    print(_("journal intact: {message}").format(message=verdict.message))
    for warning in verdict.warnings:
        print(f"pos: {_('warning')}: {warning}", file=sys.stderr)
    return verdict.code


def cmd_archive(args: argparse.Namespace) -> int:
    from pos.core import settings
    from pos.fiscal import archive

    open_db(args)
    actor = who(args, "archive")  # the PIN prompt before the bar
    try:
        with progress(_("Archiving {period}").format(period=args.period)):
            summary = archive.export(actor, args.period, args.folder,
                                     shop=settings.get("shop.name"), till=settings.get("till.name"))
    except (archive.ArchiveError, OSError) as exc:
        raise CliError(str(exc)) from exc
    print(f"archive: {args.period}")
    print(f"folder: {args.folder}")
    print(f"records: {summary['first_seq']}-{summary['last_seq']}")
    print(f"manifest_sha256: {summary['manifest_sha256']}")
    print(f"key: {summary['key_fingerprint']}")
    return 0


def register(sub, common: argparse.ArgumentParser) -> None:
    j = sub.add_parser("journal", parents=[common], help="verify the fiscal journal")
    j.add_argument("action", choices=["verify"])
    j.add_argument("--archive", metavar="DIR", help="verify an archive folder instead of the database")
    j.add_argument("--anchor", action="append", metavar="SEQ:HASH",
                   help="a record number and hash printed on a Z (or its QR code's text); repeatable")
    j.add_argument("--anchor-file", action="append", metavar="FILE",
                   help="the head of a backup (FILE.head) or an archive (HEAD); repeatable")
    j.add_argument("--all-signatures", action="store_true",
                   help="check every record's signature (default: the last record's and the closures')")
    j.set_defaults(func=cmd_journal)
    a = sub.add_parser("archive", parents=[common], help="export a fiscal archive")
    a.add_argument("action", choices=["export"])
    a.add_argument("--period", required=True, metavar="YYYY-MM")
    a.add_argument("folder", metavar="DIR")
    add_who(a)
    a.set_defaults(func=cmd_archive)
