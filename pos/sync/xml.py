"""The Webservice XML envelope: parsing (with defusedxml) and building request bodies.

A resource is a plain dict (a ``Record``):

- scalar fields are ``str`` (CDATA unwrapped, an empty element is ``""``);
- multi-language fields are ``{id_lang: text}`` (``dict[int, str]``);
- ``"associations"`` is ``{name: [ {field: str, ...}, ... ]}``.

The xlink:href and notFilterable attributes are dropped on parsing (they carry
nothing the sync needs) and never sent: PrestaShop accepts bodies without
namespace or CDATA.  Bodies are compact (PrestaShop keeps whitespace inside tags
as part of the value).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

from pos.sync.errors import ErrorEntry, NotXmlError

XLINK_NS = "http://www.w3.org/1999/xlink"
XLINK_HREF = f"{{{XLINK_NS}}}href"

Record = dict[str, Any]
LangText = dict[int, str]

# Plural resource / association names whose singular element is irregular.
_SINGULAR = {
    "accessories": "product",
    "product_bundle": "product",
    "addresses": "address",
    "taxes": "tax",
    "order_slip": "order_slip",
    "content_management_system": "content",
    "search": "search",
}


def singular(name: str) -> str:
    """The element name of one item of ``name`` (``products`` → ``product``)."""
    if name in _SINGULAR:
        return _SINGULAR[name]
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith("sses") or name.endswith("xes"):
        return name[:-2]
    if name.endswith("s"):
        return name[:-1]
    return name


def parse(data: bytes | str) -> Element:
    """Parse a Webservice body; DTDs and entities are refused (XML bombs, XXE)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        root = DET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise NotXmlError(f"refused unsafe XML ({type(exc).__name__})") from None
    except Exception as exc:  # ParseError and friends
        raise NotXmlError(f"invalid XML: {exc}") from None
    if root.tag != "prestashop":
        raise NotXmlError(f"unexpected root element <{root.tag}>")
    return root


def _text(el: Element) -> str:
    return el.text or ""


def _is_lang_field(el: Element) -> bool:
    children = list(el)
    return bool(children) and all(c.tag == "language" and "id" in c.attrib for c in children)


def parse_field(el: Element) -> str | LangText:
    if _is_lang_field(el):
        return {int(c.attrib["id"]): _text(c) for c in el}
    return _text(el)


def parse_associations(el: Element) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {}
    for assoc in el:
        items: list[dict[str, str]] = []
        for item in assoc:
            row = {field.tag: _text(field) for field in item}
            if not row and "id" in item.attrib:
                row = {"id": item.attrib["id"]}
            items.append(row)
        out[assoc.tag] = items
    return out


def parse_record_element(el: Element) -> Record:
    record: Record = {}
    for field in el:
        if field.tag == "associations":
            record["associations"] = parse_associations(field)
        else:
            record[field.tag] = parse_field(field)
    if "id" not in record and "id" in el.attrib:
        record["id"] = el.attrib["id"]
    return record


def envelope_child(root: Element) -> Element:
    children = list(root)
    if len(children) != 1:
        raise NotXmlError(f"expected one element in <prestashop>, found {len(children)}")
    return children[0]


def parse_record(data: bytes | str | Element) -> Record:
    """A single resource (``GET /api/products/1``, a POST/PUT/PATCH echo)."""
    root = data if isinstance(data, Element) else parse(data)
    return parse_record_element(envelope_child(root))


def parse_list(data: bytes | str | Element) -> list[Record]:
    """A list (``GET /api/products``): ``[{"id": "1"}, ...]`` or full records with ``display``."""
    root = data if isinstance(data, Element) else parse(data)
    return [parse_record_element(item) for item in envelope_child(root)]


def parse_errors(root: Element) -> list[ErrorEntry]:
    """The entries of an ``<errors>`` envelope (empty if the body is not one)."""
    errors = root.find("errors")
    if errors is None:
        return []
    out = []
    for err in errors.findall("error"):
        code_text = (err.findtext("code") or "").strip()
        out.append(ErrorEntry(int(code_text) if code_text.isdigit() else None, err.findtext("message") or ""))
    return out


def _json_value(value: Any) -> Any:
    """A JSON list field as ``parse_field`` gives it: text, or {language id: text} for an i18n field."""
    if isinstance(value, list):
        if all(isinstance(v, dict) and "id" in v and "value" in v for v in value):
            return {int(v["id"]): "" if v["value"] is None else str(v["value"]) for v in value}
        return [_json_row(v) for v in value if isinstance(v, dict)]
    return "" if value is None else str(value)


def _json_row(value: dict[str, Any]) -> dict[str, str]:
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def parse_json_rows(data: bytes) -> list[dict[str, Any]]:
    """The items of a list read with ``output_format=JSON`` (``[]`` or ``{"products": [{...}, ...]}``)
    as ``json`` decodes them: the shape is checked (a body that is not such a list is ``NotXmlError``),
    the values are not converted (an id is a number, a missing value may be ``null``).  For the large
    catalogue pages, read by code that takes any of these types."""
    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise NotXmlError(f"invalid JSON: {exc}") from None
    if doc == [] or doc == {}:
        return []
    if not isinstance(doc, dict) or len(doc) != 1:
        raise NotXmlError("unexpected JSON list")
    (items,) = doc.values()
    if not isinstance(items, list):
        raise NotXmlError("unexpected JSON list")
    for item in items:
        if not isinstance(item, dict):
            raise NotXmlError("unexpected JSON list item")
    return items


def parse_json_list(data: bytes) -> list[Record]:
    """A list read with ``output_format=JSON`` (lists keep their falsy fields, unlike details), in the
    shapes of ``parse_list``: ``[]`` or ``{"products": [{...}, ...]}``.  Parsing JSON is several times
    faster than XML for the large catalogue pages; a body that is not such a list is ``NotXmlError``."""
    out: list[Record] = []
    for item in parse_json_rows(data):
        record: Record = {}
        for name, value in item.items():
            if name == "associations" and isinstance(value, dict):
                record["associations"] = {str(k): [_json_row(r) for r in v if isinstance(r, dict)]
                                          for k, v in value.items() if isinstance(v, list)}
            else:
                record[str(name)] = _json_value(value)
        out.append(record)
    return out


def parse_json_errors(data: bytes) -> list[ErrorEntry]:
    try:
        doc = json.loads(data)
    except ValueError:
        return []
    if not isinstance(doc, dict) or not isinstance(doc.get("errors"), list):
        return []
    out = []
    for err in doc["errors"]:
        if isinstance(err, dict):
            code = err.get("code")
            try:
                code = int(code) if code is not None else None
            except (TypeError, ValueError):
                code = None
            out.append(ErrorEntry(code, str(err.get("message", ""))))
    return out


def parse_api_root(data: bytes | str | Element) -> tuple[str, dict[str, set[str]]]:
    """``GET /api/``: the shop name and, per resource, the methods the key may use."""
    root = data if isinstance(data, Element) else parse(data)
    api = root.find("api")
    if api is None:
        raise NotXmlError("no <api> element in the API root")
    perms: dict[str, set[str]] = {}
    for res in api:
        perms[res.tag] = {m.upper() for m in ("get", "put", "post", "patch", "delete", "head")
                          if res.attrib.get(m) == "true"}
    return api.attrib.get("shopName", ""), perms


def parse_synopsis(data: bytes | str | Element) -> dict[str, dict[str, str]]:
    """``?schema=synopsis``: each field with its attributes (required, readOnly, format...)."""
    el = envelope_child(data if isinstance(data, Element) else parse(data))
    return {field.tag: dict(field.attrib) for field in el if field.tag != "associations"}


def read_only_in_synopsis(synopsis: Mapping[str, Mapping[str, str]]) -> set[str]:
    return {name for name, attrs in synopsis.items()
            if attrs.get("readOnly") == "true" or attrs.get("read_only") == "true"}


def _set_value(el: Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for lang_id, text in value.items():
            child = SubElement(el, "language", {"id": str(lang_id)})
            child.text = "" if text is None else str(text)
    elif value is None:
        el.text = ""
    elif isinstance(value, bool):
        el.text = "1" if value else "0"
    else:
        el.text = str(value)


def build_body(resource: str, record: Mapping[str, Any], *, exclude: Iterable[str] = ()) -> bytes:
    """The XML body for POST/PUT/PATCH: ``<prestashop><product>...</product></prestashop>``.

    ``resource`` is the plural resource name (``products``).  Fields in
    ``exclude`` (read-only ones) are left out, as are association names in it.
    """
    tag = singular(resource)
    skip = set(exclude)
    root = Element("prestashop", {"xmlns:xlink": XLINK_NS})
    item = SubElement(root, tag)
    associations = record.get("associations")
    for name, value in record.items():
        if name == "associations" or name in skip:
            continue
        _set_value(SubElement(item, name), value)
    if associations:
        assoc_el = SubElement(item, "associations")
        for name, rows in associations.items():
            if name in skip:
                continue
            group = SubElement(assoc_el, name)
            for row in rows:
                row_el = SubElement(group, singular(name))
                for field, value in row.items():
                    _set_value(SubElement(row_el, field), value)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="utf-8", xml_declaration=False)
