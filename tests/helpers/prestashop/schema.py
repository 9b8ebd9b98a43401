"""The resources' schemas (field order, xlink:href targets, notFilterable, i18n fields,
association shapes, required and read-only fields), learned from the recorded fixtures."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field

from .common import FIXTURES, XLINK, Record, singular


@dataclass
class FieldDef:
    name: str
    href: str | None = None  # template relative to /api/: "categories/", "images/products/{id}/"
    href_zero: bool = True  # emit the href when the value is "0"
    not_filterable: bool = False
    i18n: bool = False


@dataclass
class AssocDef:
    name: str
    attrs: dict[str, str]
    item_tag: str
    item_href: str | None
    fields: list[FieldDef]


@dataclass
class Schema:
    resource: str
    fields: list[FieldDef] = field(default_factory=list)
    associations: list[AssocDef] = field(default_factory=list)
    required: set[str] = field(default_factory=set)
    read_only: set[str] = field(default_factory=set)  # refused with code 93
    read_only_assoc: set[str] = field(default_factory=set)  # silently ignored

    def field(self, name: str) -> FieldDef | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]


def _href_template(resource: str, rel: str, value: str) -> str:
    prefix = rel[: len(rel) - len(value)] if value and rel.endswith(value) else rel
    if re.fullmatch(r"images/products/\d+/", prefix):
        return "images/products/{id}/" if resource == "products" else "images/products/{id_product}/"
    return prefix


def _learn_fields(resource: str, elements: Iterable[ET.Element], defs: dict[str, FieldDef]) -> None:
    for el in elements:
        value = el.text or ""
        fd = defs.setdefault(el.tag, FieldDef(el.tag))
        if el.get("notFilterable") == "true":
            fd.not_filterable = True
        if len(el) and all(c.tag == "language" for c in el):
            fd.i18n = True
        href = el.get(XLINK)
        if href:
            fd.href = _href_template(resource, href.split("/api/", 1)[1], value)
        elif value == "0":
            fd.href_zero = False


def learn_schema(resource: str, records: list[ET.Element]) -> Schema:
    schema = Schema(resource)
    defs: dict[str, FieldDef] = {}
    assocs: dict[str, AssocDef] = {}
    for rec in records:
        _learn_fields(resource, [c for c in rec if c.tag != "associations"], defs)
        for assoc_root in rec.findall("associations"):
            for assoc in assoc_root:
                ad = assocs.get(assoc.tag)
                if ad is None:
                    ad = assocs[assoc.tag] = AssocDef(assoc.tag, dict(assoc.attrib), singular(assoc.tag), None, [])
                item_defs = {f.name: f for f in ad.fields}
                for item in assoc:
                    ad.item_tag = item.tag
                    href = item.get(XLINK)
                    if href:
                        ad.item_href = _href_template(resource, href.split("/api/", 1)[1], item.findtext("id") or "")
                    _learn_fields(resource, list(item), item_defs)
                ad.fields = list(item_defs.values())
    order: list[str] = []
    for rec in records:
        for c in rec:
            if c.tag != "associations" and c.tag not in order:
                order.append(c.tag)
    schema.fields = [defs[n] for n in order]
    schema.associations = list(assocs.values())
    return schema


def parse_record(el: ET.Element) -> Record:
    rec: Record = {}
    for c in el:
        if c.tag == "associations":
            rec["associations"] = {a.tag: [{f.tag: (f.text or "") for f in item} for item in a] for a in c}
        elif len(c) and all(x.tag == "language" for x in c):
            rec[c.tag] = {int(x.get("id", "0")): (x.text or "") for x in c}
        else:
            rec[c.tag] = c.text or ""
    return rec


def manual_schema(resource: str, names: list[str], i18n: Iterable[str] = (), hrefs: dict[str, str] | None = None
                  ) -> Schema:
    i18n = set(i18n)
    hrefs = hrefs or {}
    return Schema(resource, [FieldDef(n, href=hrefs.get(n), i18n=n in i18n) for n in names])


# ---------------------------------------------------------------------------------- the recorded fixtures


def recorded_resource_names() -> list[str]:
    text = (FIXTURES / "error_400_unknown_resource.json").read_text(encoding="utf-8")
    message = json.loads(text)["errors"][0]["message"]
    return re.findall(r'"([a-z_]+)"', message.split("The full list is:", 1)[1])


def fixture_records(name: str) -> list[ET.Element]:
    root = ET.parse(FIXTURES / name).getroot()
    top = root[0]
    if top.find("id") is not None:  # a single record
        return [top]
    return list(top)


def load_schemas() -> dict[str, Schema]:
    """The schema of each resource the emulator stores."""
    schemas: dict[str, Schema] = {}
    files = {
        "products": "product_1.xml", "combinations": "combination_1.xml",
        "stock_availables": "stock_availables_product_1.xml", "categories": "category_2.xml",
        "taxes": "taxes.xml", "tax_rule_groups": "tax_rule_groups.xml", "tax_rules": "tax_rules_group_1.xml",
        "languages": "languages.xml", "currencies": "currencies.xml", "shops": "shops.xml",
        "orders": "order_7_created_via_ws.xml", "order_details": "order_details_order_1.xml",
        "order_histories": "order_histories_order_7.xml", "order_payments": "order_payments_order_7.xml",
        "carts": "cart_post_response.xml", "customers": "customer_post_response.xml",
        "addresses": "address_post_response.xml",
    }
    for resource, name in files.items():
        schemas[resource] = learn_schema(resource, fixture_records(name))
    pov = ET.parse(FIXTURES.parent / "ps1.6-oca-cassettes" / "product_option_value_1.xml").getroot()[0]
    schemas["product_option_values"] = learn_schema("product_option_values", [pov])
    po = ET.parse(FIXTURES.parent / "ps1.6-oca-cassettes" / "product_option_1.xml").getroot()[0]
    schemas["product_options"] = learn_schema("product_options", [po])
    schemas["configurations"] = manual_schema(
        "configurations", ["id", "value", "name", "id_shop_group", "id_shop", "date_add", "date_upd"])
    schemas["order_states"] = manual_schema(
        "order_states", ["id", "unremovable", "delivery", "hidden", "send_email", "module_name", "invoice",
                         "color", "logable", "shipped", "paid", "pdf_delivery", "pdf_invoice", "deleted",
                         "name", "template"], i18n=["name", "template"])
    # Synopses: required and read-only fields (setter false).
    for resource in ("products", "stock_availables", "customers", "addresses"):
        syn = ET.parse(FIXTURES / f"schema_synopsis_{resource}.xml").getroot()[0]
        sch = schemas[resource]
        sch.required = {c.tag for c in syn if c.get("required") == "true"}
        sch.read_only = {c.tag for c in syn if c.get("readOnly") == "true"}
    schemas["customers"].read_only |= {"secure_key", "last_passwd_gen"}
    schemas["products"].read_only_assoc = {"stock_availables"}
    schemas["orders"].read_only_assoc = {"order_rows"}
    schemas["orders"].required = {
        "id_address_delivery", "id_address_invoice", "id_cart", "id_currency", "id_lang", "id_customer",
        "id_carrier", "module", "payment", "total_paid", "total_paid_real", "total_products",
        "total_products_wt", "conversion_rate"}
    schemas["order_histories"].required = {"id_order_state", "id_order"}
    return schemas
