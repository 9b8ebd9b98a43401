"""CSV export and import of articles, departments and customers (no Kivy).

Export writes exactly what import expects: a header of stable column names
(``ENTITIES[...].columns``, then one column per custom field for articles) and
one row per record, streamed from a cursor.

Import is in two steps:

1. ``Import(entity, path).prepare()`` reads the file (``pos/catalog/csvio.py``: encoding,
   separator, quoting), maps its header (French aliases), converts every value
   to the shop's units and stages it on disk (``pos/data/transfer.py``), then
   compares it with the shop: new, changed (which fields), unchanged, missing
   from the file, invalid (every error with its line and column).  Nothing in
   the shop changes, and memory stays flat whatever the size of the file.
2. ``Import.apply(add=, update=, delete=)`` applies the chosen actions in one
   transaction and logs the import (who, when, the file's SHA-256, the choices,
   the counts).  A file with invalid rows is never applied: fix it and import
   it again.  A missing record that appears on a ticket (articles, customers)
   or holds articles (departments) is deactivated, not deleted.

Matching: an article by its reference, or by a barcode when the row has no
reference; a department by its name (case ignored); a customer by its ``id``,
or by its e-mail when the row has no id.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from peewee import IntegrityError

from pos.catalog.cells import NumberText
from pos.catalog.csvio import (
    CsvError,
    WriteOptions,
    column_letter,
    format_decimal,
    looks_scientific,
    normalise_header,
    parse_bool,
    parse_decimal,
)
from pos.catalog.numbers import MAX_UNITS
from pos.catalog.sources import Source, open_source
from pos.core.errors import InvalidValue, Refusal
from pos.core.i18n import N_, _
from pos.core.permissions import Actor, check
from pos.data import transfer as sql
from pos.data.import_apply import Busy
from pos.sale.barcode import is_valid_gtin

GROUPS = ("new", "changed", "same", "missing", "invalid")


class TransferError(Refusal):
    """A refused import: the message says why; nothing was changed."""


# ---------------------------------------------------------------- what each list holds
@dataclass(frozen=True)
class Column:
    name: str  # the canonical CSV header
    kind: str  # key | text | money | qty | rate | bool | int | dept | vat | barcodes | colour
    stage: str | None  # the shop column it fills (None: the key, barcodes)
    label: str  # for messages and the preview (translated at use)
    aliases: tuple[str, ...] = ()
    required: bool = False  # a new record needs it


@dataclass(frozen=True)
class Entity:
    name: str
    table: sql.Table
    columns: tuple[Column, ...]

    @property
    def headers(self) -> list[str]:
        return [c.name for c in self.columns]


ARTICLES = Entity("articles", sql.TABLES["articles"], (
    Column("reference", "key", None, N_("reference"),
           ("ref", "référence", "code", "code article", "code produit", "ref article", "sku", "réf")),
    Column("barcode", "barcodes", None, N_("barcode"),
           ("code barre", "code-barre", "codes barres", "code barres", "ean", "ean13", "ean 13", "gtin", "upc")),
    Column("name", "text", "name", N_("name"),
           ("nom", "désignation", "designation", "libellé", "libelle", "intitulé", "article", "produit",
            "nom article", "nom du produit"), required=True),
    Column("department", "dept", "department_id", N_("department"),
           ("rayon", "famille", "catégorie", "categorie", "category", "département", "departement")),
    Column("price", "money", "price", N_("price"),
           ("prix", "prix ttc", "prix de vente", "prix de vente ttc", "prix vente", "pv", "pv ttc",
            "prix unitaire", "price incl vat", "tarif"), required=True),
    Column("vat_rate", "vat", "vat_id", N_("VAT rate"),
           ("tva", "taux tva", "taux de tva", "tva %", "vat", "vat %", "taux"), required=True),
    Column("cost_price", "money_or_none", "cost", N_("cost price"),
           ("prix d'achat", "prix achat", "prix d'achat ht", "prix achat ht", "pa", "pa ht", "cost",
            "coût", "cout")),
    Column("stock", "qty", "stock", N_("stock"), ("quantité", "quantite", "qté", "qte", "quantity", "qty")),
    Column("active", "bool", "active", N_("active"), ("actif", "en vente", "activé", "enabled")),
    Column("web", "bool", "web", N_("web shop"),
           ("publier sur le web", "publié sur le web", "site web", "boutique en ligne", "en ligne", "e-shop")),
))

DEPARTMENTS = Entity("departments", sql.TABLES["departments"], (
    Column("name", "key", None, N_("name"), ("nom", "rayon", "department", "libellé", "libelle", "famille")),
    Column("colour", "colour", "colour", N_("colour"), ("couleur", "color")),
    Column("vat_rate", "vat_or_none", "vat_id", N_("VAT rate"), ("tva", "taux tva", "taux de tva", "vat", "tva %")),
    Column("position", "int", "position", N_("position"), ("ordre", "rang", "order")),
    Column("active", "bool", "active", N_("active"), ("actif", "activé", "enabled")),
))

CUSTOMERS = Entity("customers", sql.TABLES["customers"], (
    Column("id", "key", None, N_("customer number"), ("n° client", "numéro client", "numero client",
                                                       "code client", "no client", "num client")),
    Column("name", "text", "name", N_("name"), ("nom", "raison sociale", "client", "nom client", "société",
                                                "societe"), required=True),
    Column("email", "text", "email", N_("e-mail"), ("e-mail", "mail", "courriel", "adresse e-mail")),
    Column("phone", "text", "phone", N_("phone"), ("téléphone", "telephone", "tél", "tel", "portable", "mobile")),
    Column("address", "text", "address", N_("address"), ("adresse", "rue")),
    Column("postcode", "text", "postcode", N_("postcode"), ("code postal", "cp", "zip", "postal code")),
    Column("city", "text", "city", N_("city"), ("ville", "commune")),
    Column("vat_number", "text", "vat_number", N_("VAT number"),
           ("n° tva", "numéro tva", "numero tva", "tva intracommunautaire", "n° tva intracommunautaire")),
    Column("notes", "text", "notes", N_("notes"), ("remarques", "commentaire", "commentaires", "note")),
    Column("active", "bool", "active", N_("active"), ("actif", "activé", "enabled")),
))

ENTITIES = {e.name: e for e in (ARTICLES, DEPARTMENTS, CUSTOMERS)}


def entity(name: str) -> Entity:
    try:
        return ENTITIES[name]
    except KeyError:
        raise TransferError(_("unknown list {name}: articles, departments or customers").format(name=name)) from None


def column_label(entity_name: str, column: str) -> str:
    """The translated label of a CSV column (``cost_price`` → "prix d'achat"); a custom field keeps its key."""
    col = next((c for c in entity(entity_name).columns if c.name == column), None)
    return _(col.label) if col else column


# ---------------------------------------------------------------- export
def export(actor: Actor, entity_name: str, path: str | os.PathLike, options: WriteOptions = WriteOptions(),
           progress: Callable[[int, int], None] | None = None, *, format: str | None = None,
           fields: list[str] | tuple[str, ...] = (), filters: dict[str, Any] | None = None,
           template: str = "") -> int:
    """Write a list to ``path`` (CSV, .xlsx, JSON or JSON Lines: ``pos/catalog/exporting.py``);
    returns the number of rows.  ``actor`` needs the ``export`` permission.

    ``progress(done, total)`` is called every few thousand rows; raising ``Cancelled`` from it stops
    the export and leaves no file."""
    from pos.catalog.exporting import ExportSpec
    from pos.catalog.exporting import export as run

    ent = entity(entity_name)
    spec = ExportSpec(ent.name, format, tuple(fields), dict(filters or {}), options, template)
    return run(actor, spec, path, progress)


# ---------------------------------------------------------------- import: the header
@dataclass
class Header:
    """Where each known column is in the file (0-based), and what is unknown."""

    positions: dict[str, int]  # canonical name (or custom key) -> index
    unknown: list[tuple[int, str]]  # (index, text)
    custom: dict[str, int]  # custom field key -> index


def _alias_map(ent: Entity, custom_fields: list[dict[str, Any]]) -> dict[str, str]:
    names: dict[str, str] = {}
    for col in ent.columns:
        for text in (col.name, *col.aliases):
            names.setdefault(normalise_header(text), col.name)
    for f in custom_fields:
        for text in (f["key"], f["label"]):
            names.setdefault(normalise_header(text), "custom:" + f["key"])
    return names


def map_header(ent: Entity, fields: list[str], path: str | os.PathLike, line: int,
               custom_fields: list[dict[str, Any]]) -> Header:
    names = _alias_map(ent, custom_fields)
    positions: dict[str, int] = {}
    custom: dict[str, int] = {}
    unknown: list[tuple[int, str]] = []
    for i, text in enumerate(fields):
        canon = names.get(normalise_header(text))
        if canon is None:
            if text.strip():
                unknown.append((i, text.strip()))
            continue
        target = custom if canon.startswith("custom:") else positions
        key = canon.removeprefix("custom:")
        if key in target:
            raise CsvError(_("the column {name} appears twice (columns {a} and {b})").format(
                name=key, a=column_letter(target[key] + 1), b=column_letter(i + 1)), path, line=line)
        target[key] = i
    if not positions and not custom:
        expected = ";".join(ent.headers)
        raise CsvError(_("no header row: the first line must name the columns ({expected})").format(
            expected=expected), path, line=line)
    key_cols = {"articles": ("reference", "barcode"), "departments": ("name",), "customers": ("id", "name")}
    if not any(k in positions for k in key_cols[ent.name]):
        raise CsvError(_("the file has no {names} column").format(
            names=_(" or ").join(key_cols[ent.name])), path, line=line)
    return Header(positions, unknown, custom)


# ---------------------------------------------------------------- import: the values
class _RowError(Exception):
    pass


def _money(text: str) -> int:
    value = parse_decimal(text, 2)
    if value < 0:
        raise InvalidValue(_("a price cannot be negative: {text}").format(text=text))
    return value


def _make_converters(ent: Entity, header: Header,
                     look: dict[str, Any]) -> list[tuple[int, Column, Callable, dict | None]]:
    vat_ids: dict[int, int] = look["vat"]
    out = []

    def vat(text: str) -> int:
        bp = parse_decimal(text, 2)
        if bp not in vat_ids and 0 < bp <= 100:  # 0,2 for 20 %, 0,055 for 5,5 % (a cell formatted in %)
            fraction = parse_decimal(text, 4)
            if fraction in vat_ids:
                bp = fraction
        if bp not in vat_ids:
            known = ", ".join(format_decimal(b, 2, ",", trim=True) + " %" for b in sorted(vat_ids))
            raise InvalidValue(_("unknown VAT rate {text} % (the shop has {known})").format(text=text, known=known))
        return vat_ids[bp]

    def colour(text: str) -> str:
        t = text.strip()
        if not (len(t) == 7 and t.startswith("#") and all(c in "0123456789abcdefABCDEF" for c in t[1:])):
            raise InvalidValue(_("a colour is #RRGGBB: {text}").format(text=text))
        return t.upper()

    simple: dict[str, Callable[[str], Any]] = {
        "money": _money, "money_or_none": _money, "qty": lambda t: parse_decimal(t, 3),
        "bool": lambda t: 1 if parse_bool(t) else 0, "int": lambda t: parse_decimal(t, 0),
        "vat": vat, "vat_or_none": vat,
        "colour": colour, "text": str.strip,
    }
    for col in ent.columns:
        if col.name not in header.positions or col.kind in ("key", "barcodes", "dept"):
            continue
        conv = simple[col.kind]
        # a number's results are remembered (a cache per column): a catalogue repeats few prices, rates and
        # stocks, and parsing a number costs more than a dict lookup (errors are not remembered)
        out.append((header.positions[col.name], col, conv, None if col.kind == "text" else {}))
    return out  # keys, barcodes and departments are read in ``Import._stage_file``


MEMO = 100_000  # values remembered per column


def _check_number_barcode(code: str) -> str | None:
    """An error message for a barcode that a spreadsheet stored as a number, or None: it is kept
    when it has 13 digits and a valid check digit (a shorter one may have lost leading zeros)."""
    if code.isascii() and code.isdigit() and len(code) == 13:
        return None  # a wrong check digit is said as for a text cell
    return _("the spreadsheet stored this barcode as a number ({code}), which may have lost digits: "
             "format the column as text and type it again").format(code=code)


def _check_barcode(code: str) -> str | None:
    """An error message for a barcode, or None."""
    if code.isascii() and code.isdigit():
        if len(code) in (8, 12, 13) and not is_valid_gtin(code):
            return _("wrong check digit in barcode {code}").format(code=code)
        return None
    if looks_scientific(code):
        return _("the spreadsheet turned this barcode into a number ({code}): format the column as text") \
            .format(code=code)
    if code.isdigit() and len(code) in (8, 12, 13) and not is_valid_gtin(code):
        return _("wrong check digit in barcode {code}").format(code=code)
    if code.isdigit() and len(code) in (9, 10, 11) and code[0] != "0":
        return None
    if any(c.isspace() for c in code):
        return _("a barcode has no spaces: {code}").format(code=code)
    return None


# ---------------------------------------------------------------- import: the preview
@dataclass
class Preview:
    """What an import would do (counts by group, changed fields, errors)."""

    entity: str
    file_name: str
    encoding: str
    separator: str
    rows: int
    counts: dict[str, int]
    fields: dict[str, int]  # changed field -> number of rows
    unknown_columns: list[str]
    new_departments: list[str]
    sha256: str
    created: dict[str, int] = field(default_factory=dict)
    format: str = "csv"  # csv | xlsx | ods | xls | jsonl
    sheet: str = ""  # the sheet read, for a workbook

    @property
    def invalid(self) -> int:
        return self.counts["invalid"]


MESSAGES = {
    "no_key": N_("no reference and no barcode: the row cannot be matched"),
    "duplicate_key": N_("{key} is already on line {line} of the file"),
    "duplicate_barcode": N_("barcode {code} is already on line {line} of the file"),
    "barcode_taken": N_("barcode {code} belongs to article {ref}"),
    "unknown_department": N_("unknown department {name} (choose to create the missing departments)"),
    "required": N_("{field} is required"),
    "missing_column": N_("a new record needs a {field} column"),
}


class Import:
    """One import file being previewed, then applied (or discarded with ``close``)."""

    BATCH = 5000

    def __init__(self, entity_name: str, path: str | os.PathLike, *, create_departments: bool = False,
                 encoding: str | None = None, separator: str | None = None, format: str | None = None,
                 sheet: str | None = None) -> None:
        self.entity = entity(entity_name)
        self.path = Path(path)
        self.create_departments = create_departments
        self._encoding, self._separator = encoding, separator
        self._format, self._sheet = format, sheet
        self._name = self.path.name  # in messages: the file, and its sheet
        self.stage: sql.Stage | None = None
        self._dir: str | None = None
        self.preview: Preview | None = None
        self.header: Header | None = None
        self._fingerprint: tuple = ()
        self._header_text: list[str] = []

    # ------------------------------------------------------------ step 1
    def prepare(self, progress: Callable[[int, int], None] | None = None) -> Preview:
        """Read, check and compare the file.  ``progress(done, total)`` (bytes, or rows of a sheet);
        it may raise ``Cancelled``."""
        if not self.path.is_file():
            raise CsvError(_("no such file"), self.path)
        if self.path.stat().st_size == 0:
            raise CsvError(_("the file is empty"), self.path)
        source = open_source(self.path, self.entity.name, format=self._format, sheet=self._sheet,
                             encoding=self._encoding, separator=self._separator)
        try:
            self._name = source.name
            look = sql.lookups()
            self.close()
            self._dir = tempfile.mkdtemp(prefix="pos-import-")
            try:
                sha = self._stage_file(source, look, progress)
                return self._classify(source, sha)
            except BaseException:
                self.close()
                raise
        finally:
            source.close()

    def _stage_file(self, source: Source, look: dict[str, Any],
                    progress: Callable[[int, int], None] | None) -> str:
        ent = self.entity
        stage_cols = list(ent.table.stage_columns)
        stage_index = {c: i for i, c in enumerate(stage_cols)}
        assert self._dir is not None
        stage = self.stage = sql.Stage(sql.shop_path(), os.path.join(self._dir, "stage.sqlite3"), ent.table,
                                       stage_cols)
        # the shop as the rows are compared with it: any change from now on makes the apply refuse
        # (read while a workbook's sheet is still loading in the background)
        self._fingerprint = stage.fingerprint()
        records = source.records
        try:
            line, first = next(records)
        except StopIteration:
            raise CsvError(_("the file is empty"), self._name) from None
        where, size = source.where, source.total()  # how far the reading is, for the progress bar
        header = self.header = map_header(ent, first, self._name, line, look["custom_fields"])
        self._header_text = [h.strip().lstrip("\ufeff") for h in first]
        converters = _make_converters(ent, header, look)
        depts = {name.casefold(): (i, name) for name, i in look["departments"].items()}
        depts.update({name: (i, name) for name, i in look["departments"].items()})  # exact names: no casefold
        new_depts: dict[str, str] = {}
        kinds = {f["key"]: f["kind"] for f in look["custom_fields"]}
        pos = header.positions
        key_i = pos.get(ent.columns[0].name)
        bc_i = pos.get("barcode")
        dept_i = pos.get("department")
        custom = list(header.custom.items())
        width = len(stage_cols)
        rows: list[tuple] = []
        barcodes: list[tuple[int, str]] = []
        errors: list[tuple] = []
        hasher = hashlib.sha256()

        def digest() -> None:  # hashlib releases the GIL: the hash is computed while the rows are read
            with open(self.path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    hasher.update(chunk)

        hashing = threading.Thread(target=digest, name="import-sha256", daemon=True)
        hashing.start()
        self._present = [c.stage for c in ent.columns if c.stage and c.name in header.positions]
        writer = stage.loader(present=self._present, has_barcodes=bc_i is not None, custom_keys=list(header.custom),
                              ean_error=None if bc_i is None else (bc_i + 1, _("wrong check digit in barcode {code}")))
        # (file column, stage column, converter, its cache, name, value of a blank cell): an optional text is ""
        # and, for a column a record needs, the error of a blank cell: (field, message)
        plan = [(i, stage_index[col.stage], conv, cache, col.name, "" if col.kind == "text" and not col.required
                 else None, (_(col.label), _(MESSAGES["required"]).replace("{field}", _(col.label)))
                 if col.required else None) for i, col, conv, cache in converters]
        count = 0
        try:
            for line, fields in records:
                bad = 0
                n = len(fields)
                values: list[Any] = [None] * width
                for i, at, conv, cache, name, blank, needed in plan:
                    text = fields[i] if i < n else ""
                    if cache is not None:
                        value = cache.get(text)
                        if value is not None:
                            values[at] = value
                            continue
                    if not text or text.isspace():
                        values[at] = blank
                        if needed is not None:
                            bad = 1
                            errors.append((line, i + 1, *needed))
                        continue
                    try:
                        value = values[at] = conv(text)
                    except ValueError as exc:
                        bad = 1
                        errors.append((line, i + 1, name, str(exc)))
                        continue
                    if cache is not None and len(cache) < MEMO:
                        cache[text] = value
                key = fields[key_i].strip() if key_i is not None and key_i < n else ""
                if ent is CUSTOMERS and key and not (key.isascii() and key.isdigit() and len(key) <= 18):
                    bad = 1
                    errors.append((line, key_i + 1, "id", _("a customer number is a whole number: {text}")
                                   .format(text=key)))
                dept_new = None
                if dept_i is not None:
                    name = fields[dept_i].strip() if dept_i < n else ""
                    if name:
                        hit = depts.get(name) or depts.get(name.casefold())
                        if hit:
                            values[stage_index["department_id"]] = hit[0]
                        else:  # a new department: one per name, case ignored, spelt as first written
                            dept_new = new_depts.setdefault(name.casefold(), name)
                codes_text = None
                if bc_i is not None:
                    raw = fields[bc_i] if bc_i < n else ""
                    if type(raw) is NumberText:  # a spreadsheet's number: an EAN-13 only when it is one
                        msg = _check_number_barcode(raw)
                        if msg:
                            bad = 1
                            errors.append((line, bc_i + 1, "barcode", msg))
                    raw = raw.strip()
                    if len(raw) == 13 and raw.isdigit() and raw.isascii():
                        codes_text = raw  # the common case: one EAN-13 (its check digit: in the staging process)
                    else:
                        if "|" in raw:
                            codes = sorted({c.strip() for c in raw.split("|") if c.strip()})
                        else:
                            codes = [raw] if raw else []
                        for code in codes:
                            msg = _check_barcode(code)
                            if msg:
                                bad = 1
                                errors.append((line, bc_i + 1, "barcode", msg))
                        if len(codes) > 1:  # a single code goes to stage.bc in SQL when it can conflict
                            barcodes.extend((line, code) for code in codes)
                        codes_text = "|".join(codes) or None
                custom_json = None
                if custom:
                    obj: dict[str, Any] = {}
                    for k, i in custom:
                        text = fields[i].strip() if i < n else ""
                        try:
                            obj[k] = _custom_value(text, kinds[k])
                        except ValueError as exc:
                            bad = 1
                            errors.append((line, i + 1, k, str(exc)))
                    custom_json = json.dumps(obj, ensure_ascii=False, sort_keys=True)
                rows.append((line, key, bad, dept_new, codes_text, custom_json, *values))
                count += 1
                if len(rows) >= self.BATCH:
                    writer.put(rows, barcodes, errors)
                    rows, barcodes, errors = [], [], []
                    if progress:
                        progress(where[0], size)
            writer.put(rows, barcodes, errors)
            writer.finish()
        except sql.StageError as exc:  # the staging process failed or was killed: nothing was changed
            writer.abort()
            raise CsvError(_("the file could not be staged: {error}").format(error=exc), self._name) from None
        except BaseException:
            writer.abort()
            raise
        hashing.join()
        if count == 0:  # applying nothing would only "delete the missing": the whole list
            raise CsvError(_("no rows: the file has only its header, nothing to import"), self._name)
        self._rows = count
        return hasher.hexdigest()

    def _classify(self, source: Source, sha: str) -> Preview:
        ent, stage, header = self.entity, self.stage, self.header
        assert stage is not None and header is not None
        present = self._present
        required = [(c.stage, header.positions[c.name] + 1 if c.name in header.positions else None, _(c.label))
                    for c in ent.columns if c.required and c.stage]
        self._custom_keys = list(header.custom)
        messages = {k: _(v) for k, v in MESSAGES.items()}
        stage.classify(present=present, required=required, custom_keys=self._custom_keys,
                       has_barcodes="barcode" in header.positions, create_departments=self.create_departments,
                       messages=messages)
        fields = [c.stage for c in ent.columns if c.stage in present] + (
            ["barcodes"] if "barcode" in header.positions else []) + self._custom_keys
        counts, by_field = stage.counts(fields)
        self.preview = Preview(
            entity=ent.name, file_name=self.path.name, encoding=source.encoding, separator=source.separator,
            rows=self._rows, counts=counts,
            fields={self._column_name(k): v for k, v in by_field.items() if v},
            unknown_columns=_listed(header.unknown),
            new_departments=stage.new_departments() if ent is ARTICLES else [], sha256=sha,
            format=source.format, sheet=source.sheet)
        self._source = source
        return self.preview

    def _column_name(self, stage_field: str) -> str:
        """The CSV name of a compared field (``vat_id`` → ``vat_rate``, ``barcodes`` → ``barcode``)."""
        if stage_field == "barcodes":
            return "barcode"
        return next((c.name for c in self.entity.columns if c.stage == stage_field), stage_field)

    def set_create_departments(self, create: bool) -> Preview:
        """Change the option and compare again (the file is not read again)."""
        if self.preview is None:
            raise RuntimeError("prepare() first")
        self.create_departments = create
        return self._classify(self._source, self.preview.sha256)

    # ------------------------------------------------------------ browsing the preview
    def rows(self, group: str, offset: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        """One page of a group: ``new``, ``changed``, ``same``, ``invalid`` or ``missing``."""
        if group not in GROUPS or self.stage is None:
            raise ValueError(group)
        label = "name"
        return self.stage.rows(group, offset, limit, label)

    def compare(self, line: int) -> dict[str, tuple[str, str]]:
        """The changed fields of one line of the file: CSV column name → (shop value, file value), as text."""
        assert self.stage is not None
        look = sql.lookups()
        names = {i: n for n, i in look["departments"].items()}
        out = {}
        for fld, (old, new) in self.stage.compare(line, self._present).items():
            if fld == "department_id":
                old, new = names.get(old, ""), names.get(new, "") or self.stage.new_department_of(line) or ""
            elif fld == "vat_id":
                old, new = (format_decimal(look["vat_by_id"][v], 2, ",", trim=True) if v in look["vat_by_id"]
                            else "" for v in (old, new))
            elif fld in ("price", "cost"):
                old, new = ("" if v is None else format_decimal(v, 2, ",") for v in (old, new))
            elif fld == "stock":
                old, new = ("" if v is None else format_decimal(v, 3, ",", trim=True) for v in (old, new))
            out[self._column_name(fld)] = ("" if old is None else str(old), "" if new is None else str(new))
        return out

    def errors(self, limit: int | None = None) -> list[str]:
        """Every error as one line: ``file.csv:12: column C (Prix TTC): not a number: abc``
        (the column as the file names it)."""
        assert self.stage is not None
        out = []
        for line, col, fld, msg in self.stage.errors(limit):
            where = f"{self._name}:{line}: "
            if col:
                name = self._header_text[col - 1] if col <= len(self._header_text) else fld
                where += _("column {letter}").format(letter=column_letter(col)) + f" ({name}): "
            elif fld:
                where += f"{fld}: "
            out.append(where + msg)
        return out

    # ------------------------------------------------------------ step 2
    def apply(self, actor: Actor, *, add: bool, update: bool, delete: bool, fail_after: str = "") -> dict[str, int]:
        """Apply the chosen actions atomically (``actor`` needs the ``import`` permission); returns the counts."""
        check(actor, "import")
        user_name = actor.name
        if self.preview is None or self.stage is None:
            raise RuntimeError("prepare() first")
        if self.preview.invalid:
            raise TransferError(_("{n} invalid rows: correct the file and import it again (nothing was changed)")
                                .format(n=self.preview.invalid))
        if not (add or update or delete):
            return {}
        choices = {"add": add, "update": update, "delete": delete, "create_departments": self.create_departments}
        log = {"user_name": user_name, "file_name": self.path.name,
               "file_sha256": self.preview.sha256, "choices": choices,
               "counts": {k: v for k, v in self.preview.counts.items()}}
        try:
            done = sql.apply_stage(
                self.stage, present=self._present, custom_keys=self._custom_keys,
                has_barcodes=self.header is not None and "barcode" in self.header.positions,
                add=add, update=update, delete=delete, create_departments=self.create_departments,
                fingerprint=self._fingerprint, log=log, fail_after=fail_after)
        except sql.StaleError:
            raise TransferError(_("the list changed since the preview: preview the file again")) from None
        except Busy:
            raise TransferError(_("another import is being applied: wait until it is done, then preview the "
                                  "file again")) from None
        except IntegrityError as exc:
            if "barcode.code" in str(exc):  # a barcode moved to a new article without updating the old one
                raise TransferError(_("these choices conflict with the shop's data, nothing was changed ({error}): "
                                      "choose to update the existing ones too").format(error=exc)) from None
            raise TransferError(_("the file conflicts with the shop's data, nothing was changed: {error}")
                                .format(error=exc)) from None
        self.preview.created = done
        return done

    def close(self) -> None:
        if self.stage is not None:
            self.stage.close()
            self.stage = None
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> Import:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _listed(unknown: list[tuple[int, str]], shown: int = 20) -> list[str]:
    """The unknown columns as the preview lists them: the first ``shown``, then "and N more"."""
    out = [f"{column_letter(i + 1)} ({text if len(text) <= 40 else text[:39] + '…'})" for i, text in unknown[:shown]]
    if len(unknown) > shown:
        out.append(_("and {n} more").format(n=len(unknown) - shown))
    return out


def _custom_value(text: str, kind: str) -> Any:
    if not text:
        return None
    if kind == "bool":
        return parse_bool(text)
    if kind == "number":
        places = len(text.replace(",", ".").rpartition(".")[2]) if ("," in text or "." in text) else 0
        places = min(places, 6)  # a float keeps no more; the magnitude stays within MAX_UNITS
        value = parse_decimal(text, places, limit=MAX_UNITS * 10 ** places)
        return value / 10 ** places if places else value
    return text


def import_log(entity_name: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    return sql.import_log(entity_name, limit)
