"""Exports in every format: CSV, .xlsx, JSON and JSON Lines, of chosen fields, filtered (no Kivy).

``export(actor, ExportSpec(...), path)`` (the ``export`` permission) streams one list from a
cursor to a file written atomically (a temporary file renamed at the end; a cancelled or failed
export leaves no file) and records it in the export history (when, who, what, how many rows).
``export_workbook`` writes several lists into one .xlsx, one sheet per list.

- **Formats**: from ``spec.format`` or the file's extension (``.csv``/``.txt``: CSV, ``.xlsx``,
  ``.json``, ``.jsonl``/``.ndjson``); CSV as ``pos/catalog/csvio.py`` writes it, .xlsx as
  ``pos/catalog/sheets.py``, JSON as ``pos/catalog/jsonio.py``.
- **Fields**: the columns of the import header (``reference,name,price``), in the order given;
  every column by default.  A file of chosen fields imports again: an import changes only the
  columns a file has.
- **Filters** (``parse_where``): ``department=NAME`` (case ignored), ``active=1|0``,
  ``changed_since=YYYY-MM-DD`` (articles changed that day or later), ``stock_below=N`` (articles
  whose stock is below N); departments and customers filter on ``active`` only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pos.catalog.csvio import CsvError, WriteOptions, format_decimal, parse_bool, write_csv
from pos.catalog.numbers import parse_decimal
from pos.core.errors import InvalidValue
from pos.core.i18n import _
from pos.core.permissions import Actor, check
from pos.data import export_meta
from pos.data import transfer as sql

EXPORT_FORMATS = ("csv", "xlsx", "json", "jsonl")
IMPORT_FORMATS = ("csv", "xlsx", "ods", "xls", "jsonl")
EXTENSIONS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".ods": "ods",
              ".xls": "xls", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}
FILTER_NAMES = {"articles": ("department", "active", "changed_since", "stock_below"),
                "departments": ("active",), "customers": ("active",)}
SHEET_TITLES = {"articles": "articles", "departments": "departments", "customers": "customers"}

# the columns of each list as exported: (name, kind); kinds: text, money, rate, qty, int, bool, number
COLUMNS = {
    "articles": (("reference", "text"), ("barcode", "text"), ("name", "text"), ("department", "text"),
                 ("price", "money"), ("vat_rate", "rate"), ("cost_price", "money"), ("stock", "qty"),
                 ("active", "bool"), ("web", "bool")),
    "departments": (("name", "text"), ("colour", "text"), ("vat_rate", "rate"), ("position", "int"),
                    ("active", "bool")),
    "customers": (("id", "text"), ("name", "text"), ("email", "text"), ("phone", "text"), ("address", "text"),
                  ("postcode", "text"), ("city", "text"), ("vat_number", "text"), ("notes", "text"),
                  ("active", "bool")),
}


def format_of(path: str | os.PathLike, given: str | None = None, *, exporting: bool) -> str:
    """The format of a file: ``given`` (``--format``) or its extension; an export without a known
    extension is CSV."""
    allowed = EXPORT_FORMATS if exporting else IMPORT_FORMATS
    if given:
        fmt = given.strip().lower().lstrip(".")
        if fmt not in allowed:
            raise CsvError(_("unknown format {format}: {allowed}").format(format=given, allowed=", ".join(allowed)))
        return fmt
    fmt = EXTENSIONS.get(Path(path).suffix.lower())
    if fmt is None or fmt not in allowed:
        if exporting and fmt is None:
            return "csv"
        raise CsvError(_("the till cannot {what} a {ext} file: {allowed}").format(
            what=_("write") if exporting else _("read"), ext=Path(path).suffix or _("nameless"),
            allowed=", ".join(allowed)), path)
    return fmt


def custom_fields(entity: str) -> list[dict[str, Any]]:
    return sql.lookups()["custom_fields"] if entity == "articles" else []


def columns(entity: str) -> list[tuple[str, str]]:
    """Every exportable column of a list, custom fields of articles last."""
    kinds = {"number": "number", "bool": "bool"}
    return [*COLUMNS[entity], *((f["key"], kinds.get(f["kind"], "text")) for f in custom_fields(entity))]


def parse_fields(entity: str, fields: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """``"reference,name,price"`` → the checked list (every column when empty)."""
    if not fields:
        return []
    names = [f.strip() for f in fields.split(",")] if isinstance(fields, str) else [f.strip() for f in fields]
    names = [n for n in names if n]
    known = [c for c, _k in columns(entity)]
    for n in names:
        if n not in known:
            raise CsvError(_("unknown field {name}: the {entity} have {known}").format(
                name=n, entity=_(entity), known=",".join(known)))
    if len(set(names)) != len(names):
        raise CsvError(_("a field is named twice: {fields}").format(fields=",".join(names)))
    return names


def parse_where(entity: str, items: list[str] | Mapping[str, Any] | None) -> dict[str, Any]:
    """``["department=Boulangerie", "stock_below=5"]`` → the filters in the shop's units.

    A mapping (a saved template's) is checked the same way."""
    if not items:
        return {}
    pairs: list[tuple[str, str]] = []
    if isinstance(items, Mapping):
        pairs = [(k, str(v)) for k, v in items.items()]
    else:
        for item in items:
            name, sep, value = item.partition("=")
            if not sep:
                raise CsvError(_("a filter is name=value: {text}").format(text=item))
            pairs.append((name.strip(), value.strip()))
    out: dict[str, Any] = {}
    allowed = FILTER_NAMES[entity]
    for name, value in pairs:
        if name not in allowed:
            raise CsvError(_("unknown filter {name}: the {entity} filter on {allowed}").format(
                name=name, entity=_(entity), allowed=", ".join(allowed)))
        try:
            if name == "active":
                out[name] = 1 if parse_bool(value, default=True) else 0
            elif name == "changed_since":
                out[name] = dt.date.fromisoformat(value).isoformat()
            elif name == "stock_below":
                out[name] = parse_decimal(value, 3)
            else:
                if not value:
                    raise InvalidValue(_("a department name is needed"))
                out[name] = value
        except ValueError as exc:
            raise CsvError(_("filter {name}: {error}").format(name=name, error=exc)) from None
    return out


def where_text(filters: Mapping[str, Any]) -> str:
    """The filters as ``parse_where`` reads them (for messages, the history and templates)."""
    parts = []
    for k in sorted(filters):
        v = filters[k]
        if k == "stock_below":
            v = format_decimal(v, 3, ".", trim=True)
        parts.append(f"{k}={v}")
    return " ".join(parts)


def stored_filters(filters: Mapping[str, Any]) -> dict[str, Any]:
    """Filters as a template stores them: what ``parse_where`` reads back."""
    out = dict(filters)
    if "stock_below" in out:
        out["stock_below"] = format_decimal(out["stock_below"], 3, ".", trim=True)
    return out


# ---------------------------------------------------------------- the rows
def typed_rows(entity: str, filters: Mapping[str, Any] | None = None) -> Iterator[list[Any]]:
    """Every row of a list as typed values, in the order of ``columns(entity)``:
    texts, cents, basis points, thousandths, booleans, custom values (None when empty)."""
    if entity == "articles":
        keys = [f["key"] for f in custom_fields(entity)]
        for ref, codes, name, dept, price, vat_bp, cost, stock, active, web, custom in sql.export_rows(
                "articles", dict(filters or {})):
            row = [ref, codes or "", name, dept or "", price, vat_bp, cost, stock, bool(active), bool(web)]
            if keys:
                values = json.loads(custom or "{}")
                row.extend(values.get(k) for k in keys)
            yield row
    elif entity == "departments":
        for name, colour, vat_bp, position, active in sql.export_rows("departments", dict(filters or {})):
            yield [name, colour, vat_bp, position, bool(active)]
    else:
        for cid, *text, active in sql.export_rows("customers", dict(filters or {})):
            yield [str(cid), *(t or "" for t in text), bool(active)]


def _csv_formatters(kinds: list[str], mark: str) -> list[Callable[[Any], str]]:
    """One function per column turning a typed value into its CSV text (numbers remembered: a
    catalogue repeats few prices, rates and stocks)."""
    def text(v: Any) -> str:
        return v if type(v) is str else "" if v is None else str(v)

    def number(places: int, trim: bool) -> Callable[[Any], str]:
        cache: dict[int, str] = {}

        def run(v: Any) -> str:
            if v is None:
                return ""
            out = cache.get(v)
            if out is None:
                out = format_decimal(v, places, mark, trim=trim)
                if len(cache) < 100_000:
                    cache[v] = out
            return out
        return run

    def boolean(v: Any) -> str:
        return "" if v is None else "1" if v else "0"

    def other(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, bool):
            return "1" if v else "0"
        if isinstance(v, float):
            return repr(v).replace(".", mark)
        return str(v)

    table = {"text": lambda: text, "money": lambda: number(2, False), "rate": lambda: number(2, True),
             "qty": lambda: number(3, True), "bool": lambda: boolean}
    return [table.get(k, lambda: other)() for k in kinds]


# ---------------------------------------------------------------- the export
@dataclass(frozen=True)
class ExportSpec:
    """What to export: a list, the format (None: from the file's extension), the fields (empty: all),
    the filters (``parse_where``'s), the CSV options, and the template it comes from."""

    entity: str
    format: str | None = None
    fields: tuple[str, ...] = ()
    filters: Mapping[str, Any] = field(default_factory=dict)
    options: WriteOptions = WriteOptions()
    template: str = ""


def _selection(spec: ExportSpec) -> tuple[list[str], list[str], list[int] | None]:
    cols = columns(spec.entity)
    if not spec.fields:
        return [c for c, _k in cols], [k for _c, k in cols], None
    index = {c: i for i, (c, _k) in enumerate(cols)}
    picked = [index[f] for f in parse_fields(spec.entity, list(spec.fields))]
    return [cols[i][0] for i in picked], [cols[i][1] for i in picked], picked


def _rows(spec: ExportSpec, picked: list[int] | None) -> Iterator[list[Any]]:
    rows = typed_rows(spec.entity, spec.filters)
    if picked is None:
        return rows
    return ([row[i] for i in picked] for row in rows)


@dataclass
class _Target:
    """A temporary file next to ``path``, renamed onto it by ``commit``, removed otherwise."""

    path: Path
    tmp: str = ""

    def __enter__(self) -> _Target:
        fd, self.tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent or ".")
        os.close(fd)
        return self

    def commit(self) -> None:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.tmp, 0o666 & ~umask)  # a normal file, as the spreadsheet would save it
        os.replace(self.tmp, self.path)
        self.tmp = ""

    def __exit__(self, *exc: object) -> None:
        if self.tmp:
            Path(self.tmp).unlink(missing_ok=True)


def export(actor: Actor, spec: ExportSpec, path: str | os.PathLike,
           progress: Callable[[int, int], None] | None = None) -> int:
    """Write one list to ``path`` in its format; returns the number of rows and logs the export
    (``actor`` needs the ``export`` permission: a list holds cost prices and customers' details).

    ``progress(done, total)`` is called every few thousand rows; raising ``Cancelled`` from it stops
    the export and leaves no file."""
    check(actor, "export")
    path = Path(path)
    fmt = format_of(path, spec.format, exporting=True)
    header, kinds, picked = _selection(spec)
    total = sql.export_count(spec.entity, dict(spec.filters))
    step = (lambda n: progress(n, total)) if progress else None
    if fmt == "csv":
        fmts = _csv_formatters(kinds, spec.options.checked().decimal)
        rows = ([f(v) for f, v in zip(fmts, row)] for row in _rows(spec, picked))
        count = write_csv(path, header, rows, spec.options, progress=step)
    else:
        with _Target(path) as target:
            if fmt == "xlsx":
                from pos.catalog.xlsxout import XlsxWriter as SheetWriter

                book = SheetWriter(target.tmp)
                try:
                    count = book.sheet(SHEET_TITLES[spec.entity], header, kinds, _rows(spec, picked), progress=step)
                except BaseException:
                    book.abort()
                    raise
                book.close()
            else:
                from pos.catalog.jsonio import write_json

                count = write_json(target.tmp, header, kinds, _rows(spec, picked), lines=fmt == "jsonl",
                                   progress=step)
                if step:
                    step(count)
            target.commit()
    export_meta.log_export(user_name=actor.name, entity=spec.entity, format=fmt, file_name=path.name,
                           fields=header if picked is not None else [], filters=stored_filters(spec.filters),
                           template=spec.template, rows=count)
    return count


def export_workbook(actor: Actor, path: str | os.PathLike, specs: list[ExportSpec],
                    progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Write several lists into one .xlsx workbook, one sheet each; returns the rows per list
    (``actor`` needs the ``export`` permission)."""
    check(actor, "export")
    path = Path(path)
    if format_of(path, "xlsx", exporting=True) != "xlsx" or not specs:
        raise CsvError(_("a workbook holds at least one list"))
    totals = [sql.export_count(s.entity, dict(s.filters)) for s in specs]
    grand = sum(totals)
    counts: dict[str, int] = {}
    from pos.catalog.xlsxout import XlsxWriter as SheetWriter

    with _Target(path) as target:
        book = SheetWriter(target.tmp)
        before = 0
        try:
            for spec in specs:
                header, kinds, picked = _selection(spec)
                step = (lambda n, b=before: progress(b + n, grand)) if progress else None
                counts[spec.entity] = book.sheet(SHEET_TITLES[spec.entity], header, kinds, _rows(spec, picked),
                                                 progress=step)
                before += counts[spec.entity]
        except BaseException:
            book.abort()
            raise
        book.close()
        target.commit()
    for spec in specs:
        header, _kinds, picked = _selection(spec)
        export_meta.log_export(user_name=actor.name, entity=spec.entity, format="xlsx", file_name=path.name,
                               fields=header if picked is not None else [], filters=stored_filters(spec.filters),
                               template=spec.template, rows=counts[spec.entity])
    return counts


def export_log(entity: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    return export_meta.export_log(entity, limit)
