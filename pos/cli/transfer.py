"""``pos articles|departments|customers export|import FILE``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pos.cli.common import CliError, add_who, open_db, progress, who
from pos.core.i18n import _


def cmd_transfer(args: argparse.Namespace) -> int:
    """``pos articles|departments|customers export|import FILE``."""
    from pos.catalog.csvio import CsvError, WriteOptions
    from pos.catalog.transfer import Import, export

    open_db(args)
    try:
        if args.action == "export":
            options = WriteOptions(args.sep, args.encoding, args.decimal)
            with progress(_("Exporting {file}").format(file=Path(args.file).name)) as update:
                n = export(args.command, args.file, options, progress=update)
            print(_("{n} rows written to {file}").format(n=n, file=args.file))
            return 0
        actor = who(args, "import")  # before reading the file: an import needs a manager
        with Import(args.command, args.file, create_departments=args.create_departments) as job:
            with progress(_("Reading {file}").format(file=Path(args.file).name), unit="bytes") as update:
                preview = job.prepare(progress=update)
            print(format_preview(preview))
            errors = job.errors(limit=200)
            for line in errors:
                print(line, file=sys.stderr)
            if preview.invalid:
                more = preview.counts["errors"] - len(errors)
                if more > 0:
                    print(_("... and {n} more errors").format(n=more), file=sys.stderr)
                raise CliError(_("{n} invalid rows: nothing was changed").format(n=preview.invalid))
            if not (args.add or args.update or args.delete):
                print(_("preview only: choose --add, --update and/or --delete to apply"))
                return 0
            if args.dry_run:
                print(_("dry run: nothing was changed"))
                return 0
            with progress(_("Applying {file}").format(file=Path(args.file).name)):
                done = job.apply(actor, add=args.add, update=args.update, delete=args.delete)
            for key in ("added", "updated", "deleted", "deactivated", "departments_created"):
                print(f"{key}: {done.get(key, 0)}")
            return 0
    except CsvError as exc:
        raise CliError(str(exc)) from exc


def format_preview(p) -> str:
    """The preview in a stable form: one ``key: value`` per line (documented in the README)."""
    c = p.counts
    lines = [f"file: {p.file_name}", f"encoding: {p.encoding}",
             "separator: " + {"\t": "tab"}.get(p.separator, p.separator), f"rows: {p.rows}",
             f"new: {c['new']}", f"changed: {c['changed']}"]
    lines += [f"changed.{k}: {n}" for k, n in sorted(p.fields.items())]
    lines += [f"unchanged: {c['same']}", f"missing: {c['missing']}",
              f"missing.deactivate: {c['missing_deactivate']}", f"missing.delete: {c['missing_delete']}",
              f"invalid: {c['invalid']}", f"errors: {c['errors']}"]
    if p.new_departments:
        lines.append("new_departments: " + "|".join(p.new_departments))
    if p.unknown_columns:
        lines.append("unknown_columns: " + ", ".join(p.unknown_columns))
    return "\n".join(lines)


def register(sub, common: argparse.ArgumentParser) -> None:
    for name, what in (("articles", "articles"), ("departments", "departments"), ("customers", "customers")):
        x = sub.add_parser(name, parents=[common], help=f"export or import the {what} (CSV; import: a manager)")
        x.add_argument("action", choices=["export", "import"])
        x.add_argument("file")
        x.add_argument("--sep", default=";", help="export: ; , or tab (default ;)")
        x.add_argument("--encoding", default="utf-8-sig", help="export: utf-8-sig (default), utf-8, cp1252...")
        x.add_argument("--decimal", default=",", choices=[",", "."], help="export: decimal mark (default ,)")
        x.add_argument("--add", action="store_true", help="import: add the new rows")
        x.add_argument("--update", action="store_true", help="import: update the changed rows")
        x.add_argument("--delete", action="store_true",
                       help="import: delete what the file lacks (deactivate what tickets use)")
        x.add_argument("--create-departments", action="store_true", help="import: create unknown departments")
        x.add_argument("--dry-run", action="store_true", help="import: show what would change, change nothing")
        add_who(x)
        x.set_defaults(func=cmd_transfer)
