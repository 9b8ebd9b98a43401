"""``pos articles|departments|customers export|import FILE``."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from pos.cli.common import CliError, add_who, open_db, progress, who
from pos.core.i18n import _


def cmd_transfer(args: argparse.Namespace) -> int:
    """``pos articles|departments|customers export|import FILE``."""
    from pos.catalog.csvio import CsvError

    open_db(args)
    try:
        if args.action == "export":
            return _export(args)
        return _import(args)
    except CsvError as exc:
        raise CliError(str(exc)) from exc


def _export(args: argparse.Namespace) -> int:
    from pos.catalog import templates
    from pos.catalog.csvio import WriteOptions
    from pos.catalog.exporting import ExportSpec, export, parse_fields, parse_where

    actor = who(args, "export")  # a list holds cost prices and customers' details
    if args.template:
        spec = templates.get(args.template).spec()
        if spec.entity != args.command:
            raise CliError(_("template {name} exports the {entity}, not the {asked}").format(
                name=args.template, entity=spec.entity, asked=args.command))
        if args.format or args.fields or args.where:
            spec = dataclasses.replace(spec, format=args.format or spec.format,
                                       fields=tuple(parse_fields(spec.entity, args.fields)) or spec.fields,
                                       filters=parse_where(spec.entity, args.where) or spec.filters)
    else:
        spec = ExportSpec(args.command, args.format, tuple(parse_fields(args.command, args.fields)),
                          parse_where(args.command, args.where), WriteOptions(args.sep, args.encoding, args.decimal))
    with progress(_("Exporting {file}").format(file=Path(args.file).name)) as update:
        n = export(actor, spec, args.file, progress=update)
    print(_("{n} rows written to {file}").format(n=n, file=args.file))
    return 0


def _import(args: argparse.Namespace) -> int:
    from pos.catalog.transfer import Import

    actor = who(args, "import")  # before reading the file: an import needs a manager
    with Import(args.command, args.file, create_departments=args.create_departments, format=args.format,
                sheet=args.sheet) as job:
        unit = "bytes" if Path(args.file).suffix.lower() not in (".xlsx", ".xlsm", ".ods", ".xls") else ""
        with progress(_("Reading {file}").format(file=Path(args.file).name), unit=unit) as update:
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


def cmd_exports(args: argparse.Namespace) -> int:
    """``pos exports history|templates|workbook|template-save|template-delete``."""
    from pos.catalog import templates
    from pos.catalog.csvio import CsvError
    from pos.catalog.exporting import ExportSpec, export_log, export_workbook, where_text

    open_db(args)
    try:
        if args.action == "history":
            for e in export_log(args.list, args.limit):
                what = ",".join(e["fields"]) or "*"
                extra = " ".join(x for x in (where_text(e["filters"]), e["template"] and "template=" + e["template"])
                                 if x)
                print(f"{e['at']}\t{e['user_name'] or '-'}\t{e['entity']}\t{e['format']}\t{e['file_name']}\t"
                      f"{e['rows']}\t{what}" + (f"\t{extra}" if extra else ""))
            return 0
        if args.action == "templates":
            for t in templates.templates(args.list):
                filters = " ".join(f"{k}={v}" for k, v in t.filters)
                print(f"{t.name}\t{t.entity}\t{t.format}\t{','.join(t.fields) or '*'}\t{filters or '-'}")
            return 0
        if args.action == "workbook":
            if not args.name:
                raise CliError(_("name the .xlsx file to write"))
            actor = who(args, "export")
            lists = [x.strip() for x in (args.list or "articles,departments,customers").split(",") if x.strip()]
            specs = [templates.get(x).spec() if x not in ("articles", "departments", "customers") else ExportSpec(x)
                     for x in lists]
            with progress(_("Exporting {file}").format(file=Path(args.name).name)) as update:
                counts = export_workbook(actor, args.name, specs, progress=update)
            for entity, n in counts.items():
                print(f"{entity}: {n}")
            return 0
        if not args.name:
            raise CliError(_("name the template"))
        actor = who(args, "import")
        if args.action == "template-save":
            if not args.list:
                raise CliError(_("--list articles, departments or customers"))
            t = templates.save(actor, templates.Template(
                args.name, args.list, args.format or "csv", tuple(x for x in (args.fields or "").split(",") if x),
                tuple(tuple(w.partition("=")[::2]) for w in args.where or []), args.sep, args.encoding,
                args.decimal))
            print(_("template {name} saved").format(name=t.name))
            return 0
        templates.delete(actor, args.name)
        print(_("template {name} deleted").format(name=args.name))
        return 0
    except CsvError as exc:
        raise CliError(str(exc)) from exc


def format_preview(p) -> str:
    """The preview in a stable form: one ``key: value`` per line (documented in the README)."""
    c = p.counts
    if p.format == "csv":
        lines = [f"file: {p.file_name}", f"encoding: {p.encoding}",
                 "separator: " + {"\t": "tab"}.get(p.separator, p.separator)]
    else:
        lines = [f"file: {p.file_name}", f"format: {p.format}"] + ([f"sheet: {p.sheet}"] if p.sheet else [])
    lines += [f"rows: {p.rows}", f"new: {c['new']}", f"changed: {c['changed']}"]
    lines += [f"changed.{k}: {n}" for k, n in sorted(p.fields.items())]
    lines += [f"unchanged: {c['same']}", f"missing: {c['missing']}",
              f"missing.deactivate: {c['missing_deactivate']}", f"missing.delete: {c['missing_delete']}",
              f"invalid: {c['invalid']}", f"errors: {c['errors']}"]
    if p.new_departments:
        lines.append("new_departments: " + "|".join(p.new_departments))
    if p.unknown_columns:
        lines.append("unknown_columns: " + ", ".join(p.unknown_columns))
    return "\n".join(lines)


def _export_options(x: argparse.ArgumentParser) -> None:
    x.add_argument("--format", help="csv, xlsx, json, jsonl (export); csv, xlsx, ods, xls, jsonl (import); "
                                    "default: from the file's extension")
    x.add_argument("--fields", help="export: the columns, e.g. reference,name,price (default: all)")
    x.add_argument("--where", action="append", metavar="NAME=VALUE",
                   help="export: department=NAME, active=1|0, changed_since=YYYY-MM-DD, stock_below=N (repeatable)")
    x.add_argument("--sep", default=";", help="export: ; , or tab (default ;)")
    x.add_argument("--encoding", default="utf-8-sig", help="export: utf-8-sig (default), utf-8, cp1252...")
    x.add_argument("--decimal", default=",", choices=[",", "."], help="export: decimal mark (default ,)")


def register(sub, common: argparse.ArgumentParser) -> None:
    for name, what in (("articles", "articles"), ("departments", "departments"), ("customers", "customers")):
        x = sub.add_parser(name, parents=[common],
                           help=f"export or import the {what} (CSV, xlsx, ods, xls, JSON; import: a manager)")
        x.add_argument("action", choices=["export", "import"])
        x.add_argument("file")
        _export_options(x)
        x.add_argument("--template", help="export: a saved template (pos exports templates)")
        x.add_argument("--sheet", help="import: the sheet of a workbook (default: the one named after the list)")
        x.add_argument("--add", action="store_true", help="import: add the new rows")
        x.add_argument("--update", action="store_true", help="import: update the changed rows")
        x.add_argument("--delete", action="store_true",
                       help="import: delete what the file lacks (deactivate what tickets use)")
        x.add_argument("--create-departments", action="store_true", help="import: create unknown departments")
        x.add_argument("--dry-run", action="store_true", help="import: show what would change, change nothing")
        add_who(x)
        x.set_defaults(func=cmd_transfer)
    x = sub.add_parser("exports", parents=[common],
                       help="the export history, saved templates, and one workbook of several lists")
    x.add_argument("action", choices=["history", "templates", "workbook", "template-save", "template-delete"])
    x.add_argument("name", nargs="?", default="", help="workbook: the .xlsx file; template-*: the template's name")
    x.add_argument("--list", help="history, templates, template-save: articles, departments or customers; "
                                  "workbook: lists or templates, comma-separated (default: all three lists)")
    x.add_argument("--limit", type=int, default=50, help="history: how many (default 50)")
    _export_options(x)
    add_who(x)
    x.set_defaults(func=cmd_exports)
