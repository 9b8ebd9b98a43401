"""Saved export templates: a name plus the list, format, fields, filters, separator, encoding and
decimal mark of an export (no Kivy).

Saving and deleting a template changes the shop: a manager's action (the ``import`` permission),
checked, written and journaled in one transaction.  Using one (``spec``) only reads it: the CLI's
``--template NAME`` and the export page build the same ``ExportSpec`` from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pos.catalog.csvio import CsvError, WriteOptions
from pos.catalog.exporting import EXPORT_FORMATS, ExportSpec, parse_fields, parse_where, stored_filters
from pos.catalog.transfer import TransferError, entity
from pos.core.actions import change
from pos.core.i18n import _
from pos.core.permissions import Actor
from pos.data import export_meta

MAX_NAME = 60


@dataclass(frozen=True)
class Template:
    name: str
    entity: str
    format: str = "csv"
    fields: tuple[str, ...] = ()
    filters: tuple[tuple[str, str], ...] = ()  # as typed: (name, value)
    separator: str = ";"
    encoding: str = "utf-8-sig"
    decimal: str = ","

    def spec(self) -> ExportSpec:
        """The export this template describes (checked again: a field may have gone since)."""
        try:
            fields = tuple(parse_fields(self.entity, list(self.fields)))
            filters = parse_where(self.entity, dict(self.filters))
        except CsvError as exc:
            raise TransferError(_("template {name}: {error}").format(name=self.name, error=exc.message)) from None
        return ExportSpec(self.entity, self.format, fields, filters,
                          WriteOptions(self.separator, self.encoding, self.decimal), self.name)


def _from_row(row: dict[str, Any]) -> Template:
    return Template(row["name"], row["entity"], row["format"], tuple(row["fields"]),
                    tuple(sorted((k, str(v)) for k, v in row["filters"].items())),
                    row["separator"], row["encoding"], row["decimal"])


def templates(entity_name: str | None = None) -> list[Template]:
    return [t for t in map(_from_row, export_meta.templates()) if entity_name in (None, t.entity)]


def get(name: str) -> Template:
    row = export_meta.template(name.strip())
    if row is None:
        known = ", ".join(t.name for t in templates()) or _("none yet")
        raise TransferError(_("no export template {name} (saved: {known})").format(name=name, known=known))
    return _from_row(row)


def save(actor: Actor, template: Template) -> Template:
    """Save (or replace) a template after checking every option; returns it as stored."""
    name = template.name.strip()
    if not name or len(name) > MAX_NAME or any(ord(c) < 32 for c in name):
        raise TransferError(_("a template name is 1 to {n} characters on one line").format(n=MAX_NAME))
    ent = entity(template.entity).name
    if template.format not in EXPORT_FORMATS:
        raise TransferError(_("unknown format {format}: {allowed}").format(format=template.format,
                                                                            allowed=", ".join(EXPORT_FORMATS)))
    try:
        fields = parse_fields(ent, list(template.fields))
        filters = stored_filters(parse_where(ent, dict(template.filters)))
        options = WriteOptions(template.separator, template.encoding, template.decimal).checked()
    except CsvError as exc:
        raise TransferError(exc.message) from None
    row = {"name": name, "entity": ent, "format": template.format, "fields": fields, "filters": filters,
           "separator": options.separator, "encoding": template.encoding, "decimal": options.decimal}
    with change(actor, "import", "export_template_saved", name=name, entity=ent, format=template.format) as data:
        data["created"] = export_meta.save_template(row)
    return _from_row(row)


def delete(actor: Actor, name: str) -> None:
    get(name)
    with change(actor, "import", "export_template_deleted", name=name.strip()):
        export_meta.delete_template(name.strip())
