"""A PrestaShop Webservice emulator for tests and benchmarks: a real HTTP server on 127.0.0.1.

    with PrestaShopEmulator() as shop:           # 8.2.1, the demo data of the recorded fixtures
        client = PrestaShopClient(shop.url, shop.key)
        shop.generate_products(1000, combinations=2)
        shop.inject("reset", count=1, path="/api/products")
        shop.count("GET", "/api/products")

Its schema (field order, xlink:href targets, notFilterable, i18n fields,
association shapes) is learned from the recorded fixtures in
``tests/fixtures/prestashop/ps8.2.1-local`` and its data is seeded from them, so
its XML looks like PrestaShop 8.2.1's.  ``version="1.7.8.11"`` emulates 1.7 (no
PATCH, no 304).  ``debug_errors=True`` answers malformed queries with 400 instead
of production's 500 + PHP warnings.  Unsorted lists are shuffled (PrestaShop
guarantees no order) unless ``shuffle=False``.

Faults (``inject``): ``latency`` (``seconds`` then the normal answer), ``timeout``
(sleep ``seconds``, meant to exceed the client's timeout, then drop the
connection), ``empty_500``, ``die`` (500 text/html, ``text``), ``maintenance``
(503 text/html), ``reset`` (send the headers and half the body, then close),
``unauthorized`` (401 XML, codes 20+21), ``order_fatal`` (``POST orders`` leaves a
half-created order, state 0, and answers an empty HTTP/1.0 500).  Each for the next
``count`` matching requests (``None``: until ``clear_faults``), optionally only for a
``method`` and a ``path`` substring.
"""

from __future__ import annotations

import base64
import copy
import difflib
import hashlib
import json
import random
import re
import socket
import string
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "prestashop" / "ps8.2.1-local"
XLINK = "{http://www.w3.org/1999/xlink}href"
RECORDED_BASE = "http://127.0.0.1:8080/api/"
DEFAULT_KEY = "POSTESTKEY0123456789ABCDEFGHIJKL"  # 32 characters, like a real key
METHODS = ("GET", "PUT", "POST", "PATCH", "DELETE", "HEAD")
REALM = ('Basic realm="Welcome to PrestaShop Webservice, please enter the authentication key as the login. '
         'No password required."')
PHP_WARNINGS = [(3, "[PHP Warning #2] Trying to access array offset on value of type bool "
                    f"(/var/www/shop/classes/webservice/WebserviceRequest.php, line {n})") for n in range(1333, 1337)]
DIE_CART = "Cart cannot be loaded or an order has already been placed using this cart"
PAYMENT_MODULES = {"ps_checkpayment", "ps_wirepayment", "ps_cashondelivery"}
NOW = "2026-11-22 13:43:29"

Record = dict[str, Any]


def singular(name: str) -> str:
    special = {"addresses": "address", "taxes": "tax", "accessories": "product", "product_bundle": "product"}
    if name in special:
        return special[name]
    if name.endswith("ies"):
        return name[:-3] + "y"
    return name[:-1] if name.endswith("s") else name


# ---------------------------------------------------------------------------------- schema


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


# ---------------------------------------------------------------------------------- faults & requests


@dataclass
class Fault:
    kind: str
    count: int | None
    method: str | None
    path: str | None
    seconds: float
    text: str

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (self.path is None or self.path in path)


@dataclass
class SeenRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


class QueryError(Exception):
    """A malformed query parameter: an envelope error (500 + PHP warnings in production)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class WsError(Exception):
    def __init__(self, status: int, errors: list[tuple[int, str]]) -> None:
        super().__init__(errors)
        self.status = status
        self.errors = errors


class RawAnswer(Exception):
    """Answer with this exact status / body (empty 500 of a PHP fatal, die() pages, 404...)."""

    def __init__(self, status: int, body: bytes = b"", content_type: str | None = None, http10: bool = False,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.content_type = content_type
        self.http10 = http10
        self.headers = headers or {}


def cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


# ---------------------------------------------------------------------------------- the engine

XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">\n'
XML_TAIL = "</prestashop>\n"
XML_TYPE = "text/xml;charset=utf-8"
JSON_TYPE = "application/json"
RANGE_SIDE = re.compile(r"[\d.:\- ]+")


def _num(value: str) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _compare(a: str, b: str) -> int:
    na, nb = _num(a), _num(b)
    if na is not None and nb is not None:
        return (na > nb) - (na < nb)
    ca, cb = a.casefold(), b.casefold()
    return (ca > cb) - (ca < cb)


def filter_predicate(spec: str):  # noqa: C901 - one branch per PrestaShop operator
    """The test a filter value means (SQLUtils::getSQLRetrieveFilter, case-insensitive)."""
    if m := re.fullmatch(r"!\[(.*)\]", spec, re.S):
        values = m.group(1).split("|")
        return lambda v: all(_compare(v, x) != 0 for x in values)
    if m := re.fullmatch(r">\[(.*)\]", spec, re.S):
        return lambda v, x=m.group(1): _compare(v, x) > 0
    if m := re.fullmatch(r"<\[(.*)\]", spec, re.S):
        return lambda v, x=m.group(1): _compare(v, x) < 0
    if m := re.fullmatch(r"%\[(.*)\]%", spec, re.S):
        return lambda v, x=m.group(1).casefold(): x in v.casefold()
    if m := re.fullmatch(r"\[(.*)\]%", spec, re.S):
        return lambda v, x=m.group(1).casefold(): v.casefold().startswith(x)
    if m := re.fullmatch(r"%\[(.*)\]", spec, re.S):
        return lambda v, x=m.group(1).casefold(): v.casefold().endswith(x)
    if m := re.fullmatch(r"\[(.*)\]", spec, re.S):
        inner = m.group(1)
        sides = inner.split(",")
        if len(sides) == 2 and all(RANGE_SIDE.fullmatch(x) for x in sides):
            low, high = sides
            return lambda v: _compare(v, low) >= 0 and _compare(v, high) <= 0
        values = inner.split("|")
        return lambda v: any(_compare(v, x) == 0 for x in values)
    return lambda v: _compare(v, spec) == 0


class _Engine:
    """Query semantics, rendering and writes (mixed into PrestaShopEmulator)."""

    # attributes provided by PrestaShopEmulator
    schemas: dict[str, Schema]
    data: dict[str, dict[int, Record]]
    combos_by_product: dict[int, list[int]]
    stock_by_product: dict[int, list[int]]
    reductions: dict[int, float]
    used_carts: set[int]
    resource_names: list[str]
    version: str
    debug_errors: bool
    shuffle: bool
    rng: random.Random
    lock: threading.RLock
    seen: list[SeenRequest]

    # ---- entry point -----------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, str], headers: Any, body: bytes
               ) -> tuple[int, dict[str, str], bytes, bool]:
        started = time.time()
        json_out = "JSON" in (query.get("output_format", "") + query.get("io_format", "")
                              + headers.get("Output-Format", "") + headers.get("Io-Format", "")).upper()
        version = self.version
        http10 = False
        extra: dict[str, str] = {}
        try:
            status, payload, ctype = self.route(method, path, query, headers, body, json_out)
        except WsError as err:
            status, payload, ctype = err.status, self.render_errors(err.errors, json_out), (
                JSON_TYPE if json_out else XML_TYPE)
            if status == 401:
                version = "0"
                extra["WWW-Authenticate"] = REALM
        except QueryError as err:
            errors = [(err.code, err.message)]
            status = 400
            if not self.debug_errors:
                status, errors = 500, errors + PHP_WARNINGS
            payload, ctype = self.render_errors(errors, json_out), JSON_TYPE if json_out else XML_TYPE
        except RawAnswer as raw:
            status, payload, ctype, http10 = raw.status, raw.body, raw.content_type, raw.http10
            extra.update(raw.headers)
            if "PSWS-Version" in raw.headers:
                version = raw.headers["PSWS-Version"]
        out = {"X-Powered-By": "PrestaShop Webservice", "Access-Time": str(int(time.time())),
               "Set-Cookie": "PrestaShop-0123456789abcdef=def50200noise; path=/; HttpOnly; SameSite=Lax"}
        if version:
            out["PSWS-Version"] = version
        out["Execution-Time"] = f"{time.time() - started:.3f}"
        if payload:
            sha1 = hashlib.sha1(payload).hexdigest()
            out["Content-Sha1"] = sha1
            if (status == 200 and method in ("GET", "HEAD") and not self.is_17
                    and headers.get("Local-Content-Sha1") == sha1):
                status, payload, ctype = 304, b"", None
        if ctype:
            out["Content-Type"] = ctype
        out.update({k: v for k, v in extra.items() if k != "PSWS-Version"})
        return status, out, payload, http10

    @property
    def is_17(self) -> bool:
        return self.version.startswith("1.")

    def route(self, method: str, path: str, query: dict[str, str], headers: Any, body: bytes, json_out: bool
              ) -> tuple[int, bytes, str | None]:
        if not path.startswith("/api"):
            raise RawAnswer(404, b"Not Found", "text/html; charset=utf-8", headers={"PSWS-Version": ""})
        key = self.authenticate(headers, query)  # type: ignore[attr-defined]
        if method == "POST" and query.get("ps_method"):
            method = query["ps_method"].upper()
        if query.get("id_shop") not in (None, "", "1", "all"):
            raise RawAnswer(302, b"", "text/html; charset=utf-8", http10=True,
                            headers={"Location": f"{self.base}../?url={path[5:]}", "PSWS-Version": ""})  # type: ignore[attr-defined]
        parts = [unquote(p) for p in path[len("/api"):].strip("/").split("/") if p]
        if not parts:
            if method not in ("GET", "HEAD"):
                raise WsError(405, [(23, f"Method {method} is not valid")])
            return 200, self.render_api_root(key), XML_TYPE
        resource = parts[0]
        if resource not in self.resource_names:
            close = difflib.get_close_matches(resource, self.resource_names, n=1)
            hint = f' Did you mean: "{close[0]}"?' if close else ""
            full = ", ".join(f'"{r}"' for r in self.resource_names)
            raise WsError(400, [(27, f'Resource of type "{resource}" does not exists.{hint} The full list is: {full}')])
        if method not in METHODS:
            raise WsError(405, [(23, f"Method {method} is not valid")])
        if method == "PATCH" and self.is_17:
            raise WsError(405, [(23, "Method PATCH is not valid")])
        allowed = self.allowed(key, resource)  # type: ignore[attr-defined]
        if not allowed:
            raise WsError(401, [(26, f'Resource of type "{resource}" is not allowed with this authentication key')])
        if method not in allowed:
            raise WsError(405, [(25, f"Method {method} is not allowed with this authentication key")])
        if resource in ("stock_availables", "stock_movements", "stocks") and method in ("POST", "DELETE") or (
                resource in ("stock_movements", "stocks", "search") and method in ("PUT", "PATCH")):
            raise WsError(405, [(101, f"Method {method} is not allowed for the resource {resource}")])
        id_ = parts[1] if len(parts) > 1 else query.get("id") if method == "DELETE" else None
        with self.lock:
            if method in ("GET", "HEAD"):
                if resource not in self.schemas:
                    if id_ is not None:
                        raise RawAnswer(404)
                    return 200, self.wrap_list(resource, [], json_out), JSON_TYPE if json_out else XML_TYPE
                if query.get("schema") is not None:
                    return 200, self.render_schema(resource, query["schema"]), XML_TYPE
                if id_ is not None:
                    return 200, self.get_one(resource, id_, query, json_out), JSON_TYPE if json_out else XML_TYPE
                return 200, self.get_list(resource, query, json_out), JSON_TYPE if json_out else XML_TYPE
            if resource not in self.schemas:
                raise WsError(501, [(124, f"Specific management not implemented for {resource} in this emulator")])
            if method == "DELETE":
                return self.delete(resource, id_)
            return self.write(method, resource, body, query)

    # ---- reads -----------------------------------------------------------------------------

    def render_api_root(self, key: str) -> bytes:
        text = (FIXTURES / "api_root.xml").read_text(encoding="utf-8").replace(RECORDED_BASE, self.base)  # type: ignore[attr-defined]

        def fix(m: re.Match[str]) -> str:
            methods = self.allowed(key, m.group(1))  # type: ignore[attr-defined]
            if not methods:
                return ""
            block = m.group(0)
            for meth in ("get", "put", "post", "patch", "delete", "head"):
                value = "true" if meth.upper() in methods else "false"
                block = block.replace(f'{meth}="true"', f'{meth}="{value}"')
            if self.is_17:
                block = re.sub(r' patch="(true|false)"', "", block)
            return block

        text = re.sub(r'(?s)<(\w+) xlink:href="[^"]*/api/\1" get=.*?</\1>\n', fix, text)
        return text.encode("utf-8")

    def render_schema(self, resource: str, kind: str) -> bytes:
        if kind not in ("blank", "synopsis"):
            raise WsError(400, [(28, "Please select a schema of type 'synopsis' to get the whole schema "
                                     "informations (which fields are required, which kind of content...) or "
                                     "'blank' to get an empty schema to fill before using POST request")])
        path = FIXTURES / f"schema_{kind}_{resource}.xml"
        if path.exists():
            return path.read_text(encoding="utf-8").replace(RECORDED_BASE, self.base).encode("utf-8")  # type: ignore[attr-defined]
        sch = self.schemas[resource]
        lines = [f"<{singular(resource)}>"]
        for fd in sch.fields:
            if fd.name == "id":
                continue
            attrs = ' required="true"' if fd.name in sch.required else ""
            if fd.name in sch.read_only:
                attrs += ' read_only="true" readOnly="true"'
            if fd.i18n:
                inner = "".join(f'<language id="{lang}" xlink:href="{self.base}languages/{lang}">'  # type: ignore[attr-defined]
                                f"{cdata('')}</language>" for lang in self.languages())  # type: ignore[attr-defined]
            else:
                inner = cdata("")
            lines.append(f"\t<{fd.name}{attrs}>{inner}</{fd.name}>")
        lines.append(f"</{singular(resource)}>")
        return (XML_HEAD + "\n".join(lines) + "\n" + XML_TAIL).encode("utf-8")

    def parse_languages(self, query: dict[str, str]) -> list[int]:
        installed = self.languages()  # type: ignore[attr-defined]
        spec = query.get("language")
        if spec is None:
            return installed
        if re.fullmatch(r"\d+", spec):
            wanted = [int(spec)]
        elif m := re.fullmatch(r"\[(\d+),(\d+)\]", spec):
            wanted = list(range(int(m.group(1)), int(m.group(2)) + 1))
        elif m := re.fullmatch(r"\[(\d+(?:\|\d+)*)\]", spec):
            wanted = [int(x) for x in m.group(1).split("|")]
        else:
            raise QueryError(78, 'The "language" value has to be formed as this example: "[1|2]" or "1"')
        missing = [lang for lang in wanted if lang not in installed]
        if missing:
            raise QueryError(79, f'Language with id "{missing[0]}" does not exist')
        return [lang for lang in installed if lang in wanted]

    def price_fields(self, query: dict[str, str]) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for k, v in query.items():
            if m := re.fullmatch(r"price\[(\w+)\]\[(\w+)\]", k):
                out.setdefault(m.group(1), {})[m.group(2)] = v
        return out

    def parse_display(self, resource: str, spec: str | None, virtual: Iterable[str]
                      ) -> tuple[list[FieldDef], list[str]] | None:
        """None: ids only; else (fields, association names)."""
        sch = self.schemas[resource]
        if spec is None:
            return None
        if spec == "full":
            return sch.fields + [FieldDef(v) for v in virtual], [a.name for a in sch.associations]
        if not (spec.startswith("[") and spec.endswith("]")):
            raise QueryError(36, "The \"display\" syntax is wrong. You can set 'full' or "
                                 "'[field_1,field_2,field_3,...]'. These are available: " + ", ".join(sch.names))
        tokens, depth, cur = [], 0, ""
        for ch in spec[1:-1]:
            if ch == "," and depth == 0:
                tokens.append(cur)
                cur = ""
                continue
            depth += ch == "["
            depth -= ch == "]"
            cur += ch
        tokens.append(cur)
        names, assocs = [], []
        virtual = list(virtual)
        for tok in (t.strip() for t in tokens):
            base = tok.split("[", 1)[0]
            if base in sch.names or base in virtual:
                names.append(base)
            elif base in {a.name for a in sch.associations}:
                assocs.append(base)
            else:
                raise QueryError(35, f'Unable to display this field "{base}". However, these are available: '
                                     + ", ".join(sch.names))
        fields = [f for f in sch.fields if f.name in names] + [FieldDef(v) for v in virtual if v in names]
        return fields, assocs

    def filterable(self, sch: Schema, date: bool) -> list[str]:
        return [f.name for f in sch.fields if not f.i18n and (date or not f.name.startswith("date_"))]

    def field_text(self, resource: str, rec: Record, name: str, prices: dict[str, dict[str, str]]) -> Any:
        if resource == "products":
            if name == "quantity":
                return "0"
            if name in prices:
                return self.virtual_price(rec, prices[name])
            if name == "id_default_combination":
                combos = self.combos_by_product.get(int(rec["id"]), [])
                default = [c for c in combos if self.data["combinations"][c].get("default_on") == "1"]
                return str(default[0]) if default else "0"
        return rec.get(name, "")

    def virtual_price(self, rec: Record, opts: dict[str, str]) -> str:
        price = _num(rec.get("price", "")) or 0.0
        attr_id = opts.get("product_attribute")
        if attr_id and int(attr_id) in self.data.get("combinations", {}):
            price += _num(self.data["combinations"][int(attr_id)].get("price", "")) or 0.0
        price *= 1 - self.reductions.get(int(rec["id"]), 0.0)
        if opts.get("use_tax", "1") == "1":
            price *= 1 + self.tax_rate(rec.get("id_tax_rules_group", "")) / 100
        return f"{round(price + 1e-9, 2):.6f}"

    def tax_rate(self, group: str) -> float:
        country = self.config("PS_COUNTRY_DEFAULT", "8")  # type: ignore[attr-defined]
        for rule in self.data.get("tax_rules", {}).values():
            if rule.get("id_tax_rules_group") == str(group) and rule.get("id_country") == country:
                tax = self.data.get("taxes", {}).get(int(rule.get("id_tax") or 0))
                return _num(tax.get("rate", "")) or 0.0 if tax else 0.0
        return 0.0

    def assoc_rows(self, resource: str, rec: Record, name: str) -> list[dict[str, str]]:
        if resource == "products" and name == "combinations":
            return [{"id": str(c)} for c in sorted(self.combos_by_product.get(int(rec["id"]), []))]
        if resource == "products" and name == "stock_availables":
            rows = self.data.get("stock_availables", {})
            return [{"id": str(s), "id_product_attribute": rows[s]["id_product_attribute"]}
                    for s in sorted(self.stock_by_product.get(int(rec["id"]), []))]
        return list(rec.get("associations", {}).get(name, []))

    def select(self, resource: str, query: dict[str, str]) -> list[Record]:
        sch = self.schemas[resource]
        date = query.get("date") == "1"
        has_dates = sch.field("date_upd") is not None
        date_keys = [k for k in query if k.startswith("filter[date_")] + (
            ["sort"] if "date_" in query.get("sort", "") else [])
        if date and date_keys and not has_dates:
            raise RawAnswer(500, b"", "text/html; charset=utf-8", http10=True, headers={"PSWS-Version": ""})
        langs = self.parse_languages(query)
        rows = list(self.data.get(resource, {}).values())
        for key, spec in query.items():
            m = re.fullmatch(r"filter\[(\w+)\]", key)
            if not m:
                continue
            fd = sch.field(m.group(1))
            if fd is None or (fd.name.startswith("date_") and not date):
                allowed = self.filterable(sch, date)
                close = difflib.get_close_matches(m.group(1), allowed, n=1, cutoff=0.3)
                hint = f' Did you mean: "{close[0]}"?' if close else ""
                raise QueryError(32, f"This filter does not exist.{hint} The full list is: "
                                 + ", ".join(f'"{n}"' for n in allowed))
            pred = filter_predicate(spec)
            if fd.i18n:
                rows = [r for r in rows if any(pred(str(r.get(fd.name, {}).get(lang, ""))) for lang in langs)]
            else:
                rows = [r for r in rows if pred(str(self.field_text(resource, r, fd.name, {})))]
        sort = query.get("sort")
        if sort is not None:
            spec = sort[1:-1] if sort.startswith("[") and sort.endswith("]") else sort
            keys = []
            for tok in spec.split(","):
                m = re.fullmatch(r"(\w+)_(ASC|DESC)", tok.strip())
                fd = sch.field(m.group(1)) if m else None
                if fd is None or fd.i18n or (fd.name.startswith("date_") and not date):
                    raise QueryError(37, 'The "sort" value has to be formed as this example: "field_ASC" or '
                                         "'[field_1_DESC,field_2_ASC,field_3_ASC,...]' (\"field\" has to be an "
                                         "available field)")
                if fd.not_filterable:
                    raise QueryError(38, f'Unable to sort on field "{fd.name}"')
                keys.append((fd.name, m.group(2) == "DESC"))
            for name, desc in reversed(keys):
                values = [str(r.get(name, "")) for r in rows]
                numeric = all(_num(v) is not None for v in values)
                rows.sort(key=lambda r, n=name: (_num(str(r.get(n, ""))) if numeric else str(r.get(n, "")).casefold()),
                          reverse=desc)
        elif self.shuffle:
            self.rng.shuffle(rows)
        else:
            rows.sort(key=lambda r: int(r["id"]))
        limit = query.get("limit")
        if limit is not None:
            if m := re.fullmatch(r"(\d+)", limit):
                rows = rows[: int(m.group(1))]
            elif m := re.fullmatch(r"(\d+),(\d+)", limit):
                start = int(m.group(1))
                rows = rows[start:start + int(m.group(2))]
            else:
                raise QueryError(39, 'The "limit" value has to be formed as this example: "5,25" or "10"')
        return rows

    def get_list(self, resource: str, query: dict[str, str], json_out: bool) -> bytes:
        prices = self.price_fields(query) if resource == "products" else {}
        display = self.parse_display(resource, query.get("display"), prices)
        rows = self.select(resource, query)
        langs = self.parse_languages(query)
        if json_out:
            if not rows:
                return b"[]"
            if display is None:
                items = [{"id": int(r["id"])} for r in rows]
            else:
                items = [self.json_record(resource, r, display[0], display[1], langs, prices, detail=False)
                         for r in rows]
            return json.dumps({resource: items}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        tag = singular(resource)
        parts = [f"<{resource}>\n"]
        for r in rows:
            if display is None:
                parts.append(f'<{tag} id="{r["id"]}" xlink:href="{self.base}{resource}/{r["id"]}"/>\n')  # type: ignore[attr-defined]
            else:
                parts.append(self.xml_record(resource, r, display[0], display[1], langs, prices))
        parts.append(f"</{resource}>\n")
        return (XML_HEAD + "".join(parts) + XML_TAIL).encode("utf-8")

    def wrap_list(self, resource: str, rows: list[str], json_out: bool) -> bytes:
        if json_out:
            return b"[]"
        return (XML_HEAD + f"<{resource}>\n" + "".join(rows) + f"</{resource}>\n" + XML_TAIL).encode("utf-8")

    def get_one(self, resource: str, id_: str, query: dict[str, str], json_out: bool) -> bytes:
        rec = self.data.get(resource, {}).get(int(id_)) if id_.isdigit() else None
        langs = self.parse_languages(query)
        prices = self.price_fields(query) if resource == "products" else {}
        display = self.parse_display(resource, query.get("display"), prices)
        if rec is None:
            raise RawAnswer(404)
        sch = self.schemas[resource]
        fields, assocs = display if display else (sch.fields, [a.name for a in sch.associations])
        if resource == "carts" and not rec.get("secure_key"):
            customer = self.data.get("customers", {}).get(int(rec.get("id_customer") or 0))
            if customer:
                rec["secure_key"] = customer.get("secure_key", "")
        if json_out:
            item = self.json_record(resource, rec, fields, assocs, langs, prices, detail=True)
            return json.dumps({singular(resource): item}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return (XML_HEAD + self.xml_record(resource, rec, fields, assocs, langs, prices) + XML_TAIL).encode("utf-8")

    def xml_record(self, resource: str, rec: Record, fields: list[FieldDef], assocs: list[str], langs: list[int],
                   prices: dict[str, dict[str, str]], echo: bool = False) -> str:
        base = self.base  # type: ignore[attr-defined]
        ctx = {"id": rec.get("id", ""), "id_product": rec.get("id_product", "")}
        tag = singular(resource)
        out = [f"<{tag}>\n"]
        for fd in fields:
            value = rec.get(fd.name, "") if echo else self.field_text(resource, rec, fd.name, prices)
            out.append("\t" + self.xml_field(fd, value, langs, base, ctx) + "\n")
        sch = self.schemas[resource]
        chosen = [a for a in sch.associations if a.name in assocs]
        if chosen:
            out.append("<associations>\n")
            for ad in chosen:
                attrs = " ".join(f'{k}="{attr(v)}"' for k, v in ad.attrs.items())
                rows = self.assoc_rows(resource, rec, ad.name)
                if not rows:
                    out.append(f"<{ad.name} {attrs}/>\n")
                    continue
                out.append(f"<{ad.name} {attrs}>\n")
                for row in rows:
                    href = (f' xlink:href="{base}{ad.item_href.format(**ctx)}{row.get("id", "")}"'
                            if ad.item_href is not None else "")
                    out.append(f"\t<{ad.item_tag}{href}>\n")
                    known = {f.name for f in ad.fields}
                    for fd in ad.fields + [FieldDef(n) for n in row if n not in known]:
                        if fd.name in row:
                            out.append("\t" + self.xml_field(fd, row[fd.name], langs, base, ctx) + "\n")
                    out.append(f"\t</{ad.item_tag}>\n")
                out.append(f"</{ad.name}>\n")
            out.append("</associations>\n")
        out.append(f"</{tag}>\n")
        return "".join(out)

    @staticmethod
    def xml_field(fd: FieldDef, value: Any, langs: list[int], base: str, ctx: dict[str, str]) -> str:
        attrs = ""
        if fd.href is not None and not isinstance(value, dict) and (value != "0" or fd.href_zero):
            attrs += f' xlink:href="{base}{fd.href.format(**ctx)}{attr(str(value))}"'
        if fd.not_filterable:
            attrs += ' notFilterable="true"'
        if fd.i18n or isinstance(value, dict):
            values = value if isinstance(value, dict) else {}
            inner = "".join(f'<language id="{lang}" xlink:href="{base}languages/{lang}">'
                            f"{cdata(str(values.get(lang, '')))}</language>" for lang in langs)
        else:
            inner = cdata(str(value))
        return f"<{fd.name}{attrs}>{inner}</{fd.name}>"

    def json_record(self, resource: str, rec: Record, fields: list[FieldDef], assocs: list[str], langs: list[int],
                    prices: dict[str, dict[str, str]], detail: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for fd in fields:
            value = self.field_text(resource, rec, fd.name, prices)
            if fd.name == "id" or (fd.name == "id_default_combination" and value not in ("", "0")):
                out[fd.name] = int(value)  # both are JSON numbers in 8.2.1's output
            elif fd.i18n:
                values = value if isinstance(value, dict) else {}
                out[fd.name] = (str(values.get(langs[0], "")) if len(langs) == 1 else
                                [{"id": str(lang), "value": str(values.get(lang, ""))} for lang in langs])
            else:
                out[fd.name] = str(value)
        if assocs:
            out["associations"] = {a: self.assoc_rows(resource, rec, a) for a in assocs}
            out["associations"] = {k: v for k, v in out["associations"].items() if v or not detail}
        if detail:  # WebserviceOutputJSON::overrideContent runs array_filter on the item
            out = {k: v for k, v in out.items() if v not in ("", "0", 0, [], {}, None)}
        return out

    def render_errors(self, errors: list[tuple[int, str]], json_out: bool) -> bytes:
        if json_out:
            return json.dumps({"errors": [{"code": c, "message": m} for c, m in errors]},
                              ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        body = "".join(f"<error>\n<code>{cdata(str(c))}</code>\n<message>{cdata(m)}</message>\n</error>\n"
                       for c, m in errors)
        return (XML_HEAD + "<errors>\n" + body + "</errors>\n" + XML_TAIL).encode("utf-8")

    # ---- writes ----------------------------------------------------------------------------

    def parse_body(self, resource: str, body: bytes) -> Record:
        text = body.decode("utf-8", "replace")
        if text.startswith("xml="):
            text = unquote(text[4:].replace("+", " "))
        try:
            root = ET.fromstring(text)
            item = root[0]
        except (ET.ParseError, IndexError):
            where = "(/var/www/shop/classes/webservice/WebserviceRequest.php, line 1544)"
            raise WsError(500, [(3, f"[PHP Warning #2] SimpleXMLElement::__construct(): Entity: line 1: parser error "
                                    f": Premature end of data {where}"),
                                (3, f"[PHP Warning #2] SimpleXMLElement::__construct(): {text[:80]} {where}"),
                                (3, f"[PHP Warning #2] SimpleXMLElement::__construct(): ^ {where}"),
                                (127, f"XML error : String could not be parsed as XML\nXML length : {len(text)}\n"
                                      f"Original XML : {text}")]) from None
        return parse_record(item)

    def check_fields(self, resource: str, given: Record) -> None:
        sch = self.schemas[resource]
        for name in given:
            if name in sch.read_only:
                raise WsError(400, [(93, f'parameter "{name}" not writable. Please remove this attribute of this XML')])
        for name, value in given.items():
            if name == "link_rewrite" and isinstance(value, dict):
                for text in value.values():
                    if text and not re.fullmatch(r"[\w\-]+", text):
                        raise WsError(400, [(85, f"Property {singular(resource).title().replace('_', '')}"
                                                 f"->link_rewrite is not valid")])

    def check_required(self, resource: str, rec: Record) -> None:
        for name in sorted(self.schemas[resource].required, key=self.schemas[resource].names.index):
            value = rec.get(name)
            if value in (None, "") or (isinstance(value, dict) and not any(value.values())):
                raise WsError(400, [(41, f'parameter "{name}" required')])

    def blank(self, resource: str) -> Record:
        return {f.name: ({lang: "" for lang in self.languages()} if f.i18n else "")  # type: ignore[attr-defined]
                for f in self.schemas[resource].fields}

    def write(self, method: str, resource: str, body: bytes, query: dict[str, str]) -> tuple[int, bytes, str]:
        given = self.parse_body(resource, body)
        sch = self.schemas[resource]
        has_id = given.get("id") not in (None, "")
        if method == "POST" and has_id:
            raise WsError(400, [(91, "id is forbidden when adding a new resource")])
        if method in ("PUT", "PATCH") and not has_id:
            raise WsError(400, [(90, "id is required when modifying a resource")])
        self.check_fields(resource, given)
        langs = self.languages()  # type: ignore[attr-defined]
        assoc_given = {k: v for k, v in given.pop("associations", {}).items() if k not in sch.read_only_assoc}
        for ad in sch.associations:  # rows get every field of the association (id_customization 0...)
            for row in assoc_given.get(ad.name, []):
                for fd in ad.fields:
                    row.setdefault(fd.name, "0" if fd.name.startswith("id_") else "")
        if method == "POST":
            rec = self.blank(resource)
            for name, value in given.items():
                if name in rec:
                    rec[name] = {**rec[name], **value} if isinstance(rec[name], dict) and isinstance(value, dict) \
                        else value
            self.check_required(resource, rec)
            if resource == "orders":
                return self.create_order(rec, assoc_given, langs)
            rec["id"] = str(self._next_id(resource))  # type: ignore[attr-defined]
            rec["associations"] = assoc_given
            self.on_create(resource, rec)
            self._put_record(resource, rec)  # type: ignore[attr-defined]
            if resource == "order_histories":
                order = self.data["orders"].get(int(rec["id_order"] or 0))
                if order:
                    order["current_state"] = rec["id_order_state"]
                    order["date_upd"] = self.now()  # type: ignore[attr-defined]
            echo = self.xml_record(resource, rec, sch.fields, [a.name for a in sch.associations], langs, {},
                                   echo=True)
            if resource == "carts":
                echo = re.sub(r"<secure_key><!\[CDATA\[[^\]]*\]\]></secure_key>",
                              "<secure_key><![CDATA[]]></secure_key>", echo)
            return 201, (XML_HEAD + echo + XML_TAIL).encode("utf-8"), XML_TYPE
        rid = int(given["id"])
        current = self.data.get(resource, {}).get(rid)
        if current is None:
            raise WsError(404, [(87, f"Id(s) not exists: {rid}")])
        if method == "PUT":  # a full replacement: what is not in the XML is blanked
            new = self.blank(resource)
            new["id"] = str(rid)
            for name, value in given.items():
                if name in new:
                    new[name] = {**new[name], **value} if isinstance(new[name], dict) and isinstance(value, dict) \
                        else value
            for name in sch.read_only:  # not writable, kept as computed by the shop
                if name in current:
                    new[name] = current[name]
            self.check_required(resource, new)
            new["associations"] = {**current.get("associations", {}), **assoc_given}
        else:
            new = copy.deepcopy(current)
            for name, value in given.items():
                if name in new or sch.field(name):
                    new[name] = {**new.get(name, {}), **value} if isinstance(value, dict) else value
            new.setdefault("associations", {}).update(assoc_given)
        for keep in ("date_add",):
            if keep in current:
                new[keep] = current[keep]
        if resource == "stock_availables":
            self.write_stock(current, new)
        if "date_upd" in new:
            new["date_upd"] = self.now()  # type: ignore[attr-defined]
        if resource == "orders" and new.get("current_state") != current.get("current_state"):
            self.add_history(rid, new["current_state"])
        self._put_record(resource, new)  # type: ignore[attr-defined]
        if resource == "stock_availables":
            self.recompute_parent(int(new["id_product"] or 0))
        return 200, (XML_HEAD + self.xml_record(resource, new, sch.fields, [a.name for a in sch.associations], langs,
                                                {}) + XML_TAIL).encode("utf-8"), XML_TYPE

    def on_create(self, resource: str, rec: Record) -> None:
        stamp = self.now()  # type: ignore[attr-defined]
        for name in ("date_add", "date_upd"):
            if name in rec:
                rec[name] = stamp
        if resource == "customers":
            rec["secure_key"] = hashlib.md5(f"{rec['email']}{time.time()}".encode()).hexdigest()
            rec["last_passwd_gen"] = stamp
            rec["passwd"] = "$2y$10$" + hashlib.sha256(str(rec.get("passwd", "")).encode()).hexdigest()[:53]
            rec["id_default_group"] = rec.get("id_default_group") or "3"
            rec["id_shop"], rec["id_shop_group"] = "1", "1"
        if resource == "carts":
            rec["id_shop"], rec["id_shop_group"] = "1", "1"
        if resource == "products":
            self._put_record("stock_availables", self._stock_row(  # type: ignore[attr-defined]
                self._next_id("stock_availables"), int(rec["id"]), 0, 0))  # type: ignore[attr-defined]
            rec["date_add"] = rec["date_upd"] = stamp
        if resource == "combinations":
            self._put_record("stock_availables", self._stock_row(  # type: ignore[attr-defined]
                self._next_id("stock_availables"), int(rec["id_product"]), int(rec["id"]), 0))  # type: ignore[attr-defined]

    def write_stock(self, current: Record, new: Record) -> None:
        if str(new.get("depends_on_stock")) == "1":
            raise WsError(500, [(133, "Cannot update stock quantity: it depends on the advanced stock management")])
        if not new.get("id_shop"):
            new["id_shop"] = "0"  # a full PUT without id_shop resets it (PrestaShop#18953)

    def recompute_parent(self, pid: int) -> None:
        rows = [self.data["stock_availables"][s] for s in self.stock_by_product.get(pid, [])]
        combos = [r for r in rows if r["id_product_attribute"] != "0"]
        if combos:
            for parent in (r for r in rows if r["id_product_attribute"] == "0"):
                parent["quantity"] = str(sum(int(r["quantity"] or 0) for r in combos
                                             if r.get("id_shop") == parent.get("id_shop")))

    def delete(self, resource: str, id_: str | None) -> tuple[int, bytes, str | None]:
        ids = re.findall(r"\d+", id_ or "")
        rows = self.data.get(resource, {})
        missing = [i for i in ids if int(i) not in rows]
        if not ids or missing:
            raise WsError(404, [(87, f"Id(s) not exists: {', '.join(missing or ['?'])}")])
        for i in ids:
            del rows[int(i)]
        return 200, b"", None

    # ---- orders ----------------------------------------------------------------------------

    def cart_lines(self, cart: Record) -> list[tuple[Record, dict[str, str], float, float]]:
        """(product, cart row, unit price tax excl., tax rate) for each cart row."""
        lines = []
        for row in cart.get("associations", {}).get("cart_rows", []):
            product = self.data["products"].get(int(row.get("id_product") or 0))
            if product is None:
                raise RawAnswer(500, b"", "text/html; charset=utf-8", http10=True, headers={"PSWS-Version": ""})
            unit = float(self.virtual_price(product, {"use_tax": "0",
                                                      "product_attribute": row.get("id_product_attribute", "0")}))
            lines.append((product, row, unit, self.tax_rate(product.get("id_tax_rules_group", ""))))
        return lines

    def create_order(self, rec: Record, assoc: dict[str, Any], langs: list[int]) -> tuple[int, bytes, str]:
        cart_id = int(rec.get("id_cart") or 0)
        cart = self.data.get("carts", {}).get(cart_id)
        if cart is None or cart_id in self.used_carts:
            raise RawAnswer(500, DIE_CART.encode(), "text/html; charset=utf-8", headers={"PSWS-Version": ""})
        if rec.get("module") not in PAYMENT_MODULES:
            raise WsError(400, [(85, "Property Order->module is not valid")])
        lines = self.cart_lines(cart)
        total_te = round(sum(unit * int(row.get("quantity") or 0) for _, row, unit, _ in lines), 2)
        total_ti = round(sum(round(unit * (1 + rate / 100), 2) * int(row.get("quantity") or 0)
                             for _, row, unit, rate in lines), 2)
        oid = self._next_id("orders")  # type: ignore[attr-defined]
        echo_rec = dict(rec, id=str(oid))
        self.used_carts.add(cart_id)
        fault = self._take_fault("POST", "/api/orders", order_fatal=True)  # type: ignore[attr-defined]
        stamp = self.now()  # type: ignore[attr-defined]
        order = dict(rec, id=str(oid), reference="".join(self.rng.choices(string.ascii_uppercase, k=9)),
                     date_add=stamp, date_upd=stamp, id_shop="1", id_shop_group="1",
                     secure_key=self.data["customers"].get(int(rec["id_customer"] or 0), {}).get("secure_key", ""),
                     total_paid_tax_incl=f"{total_ti:.6f}", total_paid_tax_excl=f"{total_te:.6f}",
                     total_products=f"{total_te:.6f}", total_products_wt=f"{total_ti:.6f}",
                     total_paid=f"{float(rec['total_paid']):.6f}", round_mode="2", round_type="2")
        rows = []
        for n, (product, row, unit, rate) in enumerate(lines):
            did = self._next_id("order_details")  # type: ignore[attr-defined]
            qty = int(row.get("quantity") or 0)
            name = product["name"].get(int(rec.get("id_lang") or 1), "") if isinstance(product["name"], dict) else ""
            detail = {"id": str(did), "id_order": str(oid), "product_id": product["id"],
                      "product_attribute_id": row.get("id_product_attribute", "0"), "product_name": name,
                      "product_quantity": str(qty), "product_price": f"{unit:.6f}",
                      "product_reference": product.get("reference", ""), "product_ean13": product.get("ean13", ""),
                      "unit_price_tax_incl": f"{unit * (1 + rate / 100):.6f}", "unit_price_tax_excl": f"{unit:.6f}",
                      "total_price_tax_incl": f"{unit * (1 + rate / 100) * qty:.6f}",
                      "total_price_tax_excl": f"{unit * qty:.6f}", "id_shop": "1", "id_customization": "0"}
            self._put_record("order_details", {**self.blank("order_details"), **detail})  # type: ignore[attr-defined]
            rows.append({"id": str(did), "product_id": product["id"],
                         "product_attribute_id": row.get("id_product_attribute", "0"), "product_quantity": str(qty),
                         "product_name": name, "product_reference": product.get("reference", ""),
                         "product_ean13": product.get("ean13", ""), "product_isbn": "", "product_upc": "",
                         "product_price": f"{unit:.6f}", "id_customization": "0",
                         "unit_price_tax_incl": f"{unit * (1 + rate / 100):.6f}", "unit_price_tax_excl": f"{unit:.6f}"})
            if fault is not None and fault.kind == "order_fatal" and n == 0:
                order.update(current_state="0", valid="0", total_paid_real="0.000000")
                order["associations"] = {"order_rows": rows}
                self._put_record("orders", order)  # type: ignore[attr-defined]
                raise RawAnswer(500, b"", "text/html; charset=utf-8", http10=True, headers={"PSWS-Version": ""})
        order["associations"] = {"order_rows": rows}
        paid = round(float(rec.get("total_paid") or 0), 2)
        if abs(paid - total_ti) > 0.000001:
            state = self.config("PS_OS_ERROR", "8")  # type: ignore[attr-defined]
            order.update(current_state=state, valid="0")
        else:
            state = self.config("PS_OS_WS_PAYMENT", "11")  # type: ignore[attr-defined]
            order.update(current_state=state, valid="1", invoice_number=str(oid), invoice_date=stamp)
            for product, row, _, _ in lines:
                self.decrement_stock(int(product["id"]), int(row.get("id_product_attribute") or 0),
                                     int(row.get("quantity") or 0))
            self._put_record("order_payments", {  # type: ignore[attr-defined]
                **self.blank("order_payments"), "id": str(self._next_id("order_payments")),  # type: ignore[attr-defined]
                "order_reference": order["reference"], "id_currency": rec.get("id_currency", "1"),
                "amount": f"{paid:.6f}", "payment_method": rec.get("payment", ""), "conversion_rate": "1.000000",
                "date_add": stamp})
        self._put_record("orders", order)  # type: ignore[attr-defined]
        self.add_history(oid, state)
        echo_rec["associations"] = {"order_rows": rows}
        sch = self.schemas["orders"]
        for name in ("current_state", "reference", "date_add", "date_upd", "valid", "invoice_number",
                     "invoice_date", "delivery_number", "delivery_date", "secure_key", "id_shop", "id_shop_group"):
            echo_rec[name] = ""
        echo = self.xml_record("orders", echo_rec, sch.fields, ["order_rows"], langs, {}, echo=True)
        return 201, (XML_HEAD + echo + XML_TAIL).encode("utf-8"), XML_TYPE

    def add_history(self, oid: int, state: str) -> None:
        self._put_record("order_histories", {  # type: ignore[attr-defined]
            "id": str(self._next_id("order_histories")), "id_employee": "0",  # type: ignore[attr-defined]
            "id_order_state": str(state), "id_order": str(oid), "date_add": self.now()})  # type: ignore[attr-defined]

    def decrement_stock(self, pid: int, attr_id: int, qty: int) -> None:
        for sid in self.stock_by_product.get(pid, []):
            row = self.data["stock_availables"][sid]
            if int(row["id_product_attribute"]) == attr_id:
                row["quantity"] = str(int(row["quantity"] or 0) - qty)
        self.recompute_parent(pid)



# ---------------------------------------------------------------------------------- the shop


class PrestaShopEmulator(_Engine):
    def __init__(self, *, version: str = "8.2.1", key: str = DEFAULT_KEY, seed: bool = True, shuffle: bool = True,
                 debug_errors: bool = False, random_seed: int = 1) -> None:
        self.version = version
        self.key = key
        self.keys: dict[str, dict[str, set[str]] | None] = {key: None}  # None: every permission
        self.inactive_keys: set[str] = set()
        self.shuffle = shuffle
        self.debug_errors = debug_errors
        self.rng = random.Random(random_seed)
        self.lock = threading.RLock()
        self.faults: list[Fault] = []
        self.seen: list[SeenRequest] = []
        self.schemas: dict[str, Schema] = {}
        self.data: dict[str, dict[int, Record]] = {}
        self.combos_by_product: dict[int, list[int]] = {}
        self.stock_by_product: dict[int, list[int]] = {}
        self.reductions: dict[int, float] = {}  # id_product -> specific-price reduction (0.2 = 20 %)
        self.used_carts: set[int] = set()
        self.clock = 0
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None
        self.port = 0
        self.resource_names = self._recorded_resource_names()
        self._load_schemas()
        if seed:
            self._seed()

    # ---- life cycle ------------------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    @property
    def url(self) -> str:
        return self.base

    def start(self) -> PrestaShopEmulator:
        emulator = self

        class Handler(_Handler):
            shop = emulator

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True, name="prestashop-emulator")
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self) -> PrestaShopEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def is_17(self) -> bool:
        return self.version.startswith("1.")

    # ---- test hooks --------------------------------------------------------------------------

    def inject(self, kind: str, *, count: int | None = 1, method: str | None = None, path: str | None = None,
               seconds: float = 0.5, text: str = DIE_CART) -> None:
        kinds = {"latency", "timeout", "empty_500", "die", "maintenance", "reset", "unauthorized", "order_fatal"}
        if kind not in kinds:
            raise ValueError(f"unknown fault {kind!r}; one of {sorted(kinds)}")
        with self.lock:
            self.faults.append(Fault(kind, count, method, path, seconds, text))

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def count(self, method: str | None = None, path: str | None = None) -> int:
        with self.lock:
            return sum(1 for r in self.seen if (method is None or r.method == method)
                       and (path is None or path in r.path))

    def reset_log(self) -> None:
        with self.lock:
            self.seen.clear()

    def add_key(self, key: str, permissions: dict[str, Iterable[str]] | None = None) -> None:
        """Another key; ``permissions``: resource -> methods (None: everything)."""
        with self.lock:
            self.keys[key] = None if permissions is None else {r: {m.upper() for m in ms}
                                                               for r, ms in permissions.items()}

    def _take_fault(self, method: str, path: str, order_fatal: bool = False) -> Fault | None:
        """The next fault for this request (``order_fatal`` ones are taken by the order creation only)."""
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, path) and (fault.kind == "order_fatal") == order_fatal:
                    if fault.count is not None:
                        fault.count -= 1
                        if fault.count <= 0:
                            self.faults.remove(fault)
                    return fault
        return None

    # ---- seeding ---------------------------------------------------------------------------------

    @staticmethod
    def _recorded_resource_names() -> list[str]:
        text = (FIXTURES / "error_400_unknown_resource.json").read_text(encoding="utf-8")
        message = json.loads(text)["errors"][0]["message"]
        return re.findall(r'"([a-z_]+)"', message.split("The full list is:", 1)[1])

    def _fixture_records(self, name: str) -> list[ET.Element]:
        root = ET.parse(FIXTURES / name).getroot()
        top = root[0]
        if top.find("id") is not None:  # a single record
            return [top]
        return list(top)

    def _load_schemas(self) -> None:
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
            self.schemas[resource] = learn_schema(resource, self._fixture_records(name))
        pov = ET.parse(FIXTURES.parent / "ps1.6-oca-cassettes" / "product_option_value_1.xml").getroot()[0]
        self.schemas["product_option_values"] = learn_schema("product_option_values", [pov])
        po = ET.parse(FIXTURES.parent / "ps1.6-oca-cassettes" / "product_option_1.xml").getroot()[0]
        self.schemas["product_options"] = learn_schema("product_options", [po])
        self.schemas["configurations"] = manual_schema(
            "configurations", ["id", "value", "name", "id_shop_group", "id_shop", "date_add", "date_upd"])
        self.schemas["order_states"] = manual_schema(
            "order_states", ["id", "unremovable", "delivery", "hidden", "send_email", "module_name", "invoice",
                             "color", "logable", "shipped", "paid", "pdf_delivery", "pdf_invoice", "deleted",
                             "name", "template"], i18n=["name", "template"])
        # Synopses: required and read-only fields (setter false).
        for resource in ("products", "stock_availables", "customers", "addresses"):
            syn = ET.parse(FIXTURES / f"schema_synopsis_{resource}.xml").getroot()[0]
            sch = self.schemas[resource]
            sch.required = {c.tag for c in syn if c.get("required") == "true"}
            sch.read_only = {c.tag for c in syn if c.get("readOnly") == "true"}
        self.schemas["customers"].read_only |= {"secure_key", "last_passwd_gen"}
        self.schemas["products"].read_only_assoc = {"stock_availables"}
        self.schemas["orders"].read_only_assoc = {"order_rows"}
        self.schemas["orders"].required = {
            "id_address_delivery", "id_address_invoice", "id_cart", "id_currency", "id_lang", "id_customer",
            "id_carrier", "module", "payment", "total_paid", "total_paid_real", "total_products",
            "total_products_wt", "conversion_rate"}
        self.schemas["order_histories"].required = {"id_order_state", "id_order"}

    def _put_record(self, resource: str, rec: Record) -> None:
        self.data.setdefault(resource, {})[int(rec["id"])] = rec
        if resource == "combinations":
            ids = self.combos_by_product.setdefault(int(rec["id_product"]), [])
            if int(rec["id"]) not in ids:
                ids.append(int(rec["id"]))
        elif resource == "stock_availables":
            ids = self.stock_by_product.setdefault(int(rec["id_product"]), [])
            if int(rec["id"]) not in ids:
                ids.append(int(rec["id"]))

    def _seed_file(self, resource: str, name: str) -> list[Record]:
        out = []
        for el in self._fixture_records(name):
            rec = parse_record(el)
            self._put_record(resource, rec)
            out.append(rec)
        return out

    def _seed(self) -> None:
        for resource, name in [("languages", "languages.xml"), ("currencies", "currencies.xml"),
                               ("shops", "shops.xml"), ("taxes", "taxes.xml"),
                               ("tax_rule_groups", "tax_rule_groups.xml"), ("tax_rules", "tax_rules_group_1.xml"),
                               ("categories", "category_2.xml"), ("orders", "order_1_demo.xml"),
                               ("orders", "order_7_created_via_ws.xml"),
                               ("order_details", "order_details_order_1.xml"),
                               ("order_histories", "order_histories_order_7.xml"),
                               ("order_payments", "order_payments_order_7.xml"), ("carts", "cart_post_response.xml"),
                               ("customers", "customer_post_response.xml"),
                               ("addresses", "address_post_response.xml")]:
            self._seed_file(resource, name)
        self.used_carts.add(7)
        # Categories 3..9 under Home.
        home = self.data["categories"][2]
        names = {3: "Clothes", 4: "Men", 5: "Women", 6: "Accessories", 7: "Stationery", 8: "Home Accessories",
                 9: "Art"}
        for cid, name in names.items():
            cat = copy.deepcopy(home)
            cat.update(id=str(cid), id_parent="2" if cid in (3, 6, 9) else ("3" if cid in (4, 5) else "6"),
                       level_depth="2", is_root_category="0", position=str(cid),
                       name={1: name, 2: name}, link_rewrite={1: slug(name), 2: slug(name)},
                       associations={"categories": []})
            self._put_record("categories", cat)
        # Tax rules for France (country 8): group N -> tax N.
        rule = self.data["tax_rules"][1]
        for gid in range(1, 5):
            extra = dict(rule, id=str(100 + gid), id_tax_rules_group=str(gid), id_country="8", id_tax=str(gid))
            self._put_record("tax_rules", extra)
        # Configuration.
        conf = json.loads((FIXTURES / "configurations_selected.json").read_text(encoding="utf-8"))["configurations"]
        conf.append({"name": "PS_COUNTRY_DEFAULT", "value": "8"})
        for i, row in enumerate(conf, start=1):
            self._put_record("configurations", {"id": str(i), "value": row["value"], "name": row["name"],
                                                "id_shop_group": "", "id_shop": "", "date_add": NOW,
                                                "date_upd": NOW})
        for row in json.loads((FIXTURES / "order_states.json").read_text(encoding="utf-8"))["order_states"]:
            self._put_record("order_states", {
                "id": str(row["id"]), "unremovable": "1", "delivery": "0", "hidden": "0", "send_email": "0",
                "module_name": row["module_name"], "invoice": row["paid"], "color": "#34209E",
                "logable": row["logable"], "shipped": "0", "paid": row["paid"], "pdf_delivery": "0",
                "pdf_invoice": "0", "deleted": "0", "name": {1: row["name"], 2: row["name"]},
                "template": {1: "", 2: ""}})
        # Product option values (sizes and colours of the demo).
        for pid, (group, name) in {1: (1, "S"), 2: (1, "M"), 3: (1, "L"), 4: (1, "XL"), 8: (2, "White"),
                                   11: (2, "Black")}.items():
            self._put_record("product_option_values", {"id": str(pid), "id_attribute_group": str(group),
                                                       "color": "", "position": "0", "name": {1: name, 2: name}})
        # Their groups (attribute groups): Size and Colour.
        for gid, (name, colour) in {1: ("Size", "0"), 2: ("Colour", "1")}.items():
            self._put_record("product_options", {
                "id": str(gid), "is_color_group": colour, "group_type": "color" if colour == "1" else "select",
                "position": str(gid - 1), "name": {1: name, 2: name}, "public_name": {1: name, 2: name},
                "associations": {"product_option_values": [{"id": str(v)} for v in ((1, 2, 3, 4) if gid == 1
                                                                                    else (8, 11))]}})
        # Products: 1 from the fixture (8 combinations), 2..19 cloned from it without combinations.
        product = self._seed_file("products", "product_1.xml")[0]
        self.reductions[1] = 0.2
        combo = parse_record(self._fixture_records("combination_1.xml")[0])
        values = [(1, 8), (1, 11), (2, 8), (2, 11), (3, 8), (3, 11), (4, 8), (4, 11)]
        for cid in range(1, 9):
            c = copy.deepcopy(combo)
            c.update(id=str(cid), default_on="1" if cid == 1 else "0")
            c["associations"]["product_option_values"] = [{"id": str(v)} for v in values[cid - 1]]
            self._put_record("combinations", c)
        self._seed_file("stock_availables", "stock_availables_product_1.xml")
        refs = {1: "demo_1", 2: "demo_3", 3: "demo_6", 4: "demo_5", 5: "demo_7", 6: "demo_11", 7: "demo_12",
                8: "demo_13", 9: "demo_15", 10: "demo_16", 11: "demo_17", 12: "demo_18", 13: "demo_19",
                14: "demo_2", 15: "demo_4", 16: "demo_8", 17: "demo_9", 18: "demo_10", 19: "demo_14"}
        names2 = {2: ("Hummingbird printed sweater", "Pull imprimé colibri"),
                  11: ("Hummingbird cushion", "Coussin colibri"),
                  14: ("Hummingbird - Vector graphics", "Illustration vectorielle Colibri"),
                  18: ("Hummingbird notebook", "Carnet de notes Colibri"),
                  19: ("Customizable mug", "Mug personnalisable")}
        stock_qty = {2: 2100, 3: 1500}
        for pid in range(2, 20):
            en, fr = names2.get(pid, (f"Demo product {pid}", f"Produit démo {pid}"))
            p = copy.deepcopy(product)
            p.update(id=str(pid), reference=refs[pid], name={1: en, 2: fr},
                     link_rewrite={1: slug(en), 2: slug(fr)}, price=f"{10 + pid:.6f}",
                     cache_default_attribute="0", id_default_combination="0", product_type="standard")
            p["associations"] = {k: ([] if k != "categories" else [{"id": "2"}])
                                 for k in product["associations"]}
            self._put_record("products", p)
            self._put_record("stock_availables", self._stock_row(pid, pid, 0, stock_qty.get(pid, 300)))
        self.data["stock_availables"][1]["quantity"] = "2400"
        # Orders 6 (half-created after a PHP fatal) and 8 (payment error), as recorded.
        o7 = self.data["orders"][7]
        for oid, state, paid_real in ((6, "0", "0.000000"), (8, "8", "62.800000")):
            o = copy.deepcopy(o7)
            o.update(id=str(oid), current_state=state, valid="0", total_paid_real=paid_real,
                     id_cart=str(oid), reference="".join(self.rng.choices(string.ascii_uppercase, k=9)))
            self._put_record("orders", o)
            self.used_carts.add(oid)

    def _stock_row(self, sid: int, pid: int, attr_id: int, qty: int) -> Record:
        return {"id": str(sid), "id_product": str(pid), "id_product_attribute": str(attr_id), "id_shop": "1",
                "id_shop_group": "0", "quantity": str(qty), "depends_on_stock": "0", "out_of_stock": "2",
                "location": ""}

    def _next_id(self, resource: str) -> int:
        rows = self.data.setdefault(resource, {})
        used = self.used_carts if resource == "carts" else ()
        return max([*rows, *used], default=0) + 1

    def now(self) -> str:
        """A strictly increasing timestamp, so that date_upd changes on every write."""
        with self.lock:
            self.clock += 1
            return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(time.time() + self.clock))

    def generate_products(self, n: int, *, combinations: int = 0, start_id: int | None = None,
                          date_upd: str | None = None) -> list[int]:
        """Add ``n`` synthetic products (each with ``combinations`` combinations and stock rows)."""
        with self.lock:
            template = self.data["products"][1]
            pid = start_id or self._next_id("products")
            cid = self._next_id("combinations")
            sid = self._next_id("stock_availables")
            stamp = date_upd or NOW
            created = []
            for _ in range(n):
                p = {k: (dict(v) if isinstance(v, dict) else v) for k, v in template.items()}
                name = f"Article {pid:06d}"
                p.update(id=str(pid), reference=f"SYN{pid:06d}", ean13=ean13(pid), name={1: name, 2: name},
                         link_rewrite={1: f"article-{pid}", 2: f"article-{pid}"}, price=f"{(pid % 97) + 0.5:.6f}",
                         date_add=stamp, date_upd=stamp, cache_default_attribute=str(cid if combinations else 0),
                         id_default_combination=str(cid if combinations else 0),
                         product_type="combinations" if combinations else "standard")
                p["associations"] = {"categories": [{"id": "2"}], "images": [], "product_option_values": [],
                                     "product_features": [], "tags": [], "attachments": [], "accessories": [],
                                     "product_bundle": []}
                self.data["products"][pid] = p
                self._put_record("stock_availables", self._stock_row(sid, pid, 0, 10 * combinations or 10))
                sid += 1
                for k in range(combinations):
                    self._put_record("combinations", {
                        "id": str(cid), "id_product": str(pid), "ean13": "", "isbn": "", "upc": "", "mpn": "",
                        "reference": f"SYN{pid:06d}-{k + 1}", "supplier_reference": "", "wholesale_price": "0.000000",
                        "price": f"{k:.6f}", "ecotax": "0.000000", "weight": "0.000000",
                        "unit_price_impact": "0.000000", "minimal_quantity": "1", "low_stock_threshold": "0",
                        "low_stock_alert": "0", "default_on": "1" if k == 0 else "0", "available_date": "0000-00-00",
                        "available_now": {1: "", 2: ""}, "available_later": {1: "", 2: ""},
                        "associations": {"product_option_values": [{"id": str(1 + k % 4)}], "images": []}})
                    self._put_record("stock_availables", self._stock_row(sid, pid, cid, 10))
                    sid += 1
                    cid += 1
                created.append(pid)
                pid += 1
            return created

    # ---- request handling ---------------------------------------------------------------------

    def languages(self) -> list[int]:
        return sorted(self.data.get("languages", {1: {}}))

    def config(self, name: str, default: str = "") -> str:
        for row in self.data.get("configurations", {}).values():
            if row.get("name") == name:
                return str(row.get("value", default))
        return default

    def authenticate(self, headers: Any, query: dict[str, str]) -> str:
        key = None
        auth = headers.get("Authorization", "")
        if auth.lower().startswith("basic "):
            try:
                key = base64.b64decode(auth[6:].strip()).decode("utf-8").split(":", 1)[0]
            except (ValueError, UnicodeDecodeError):
                key = ""
        if not key and query.get("ws_key"):
            key = query["ws_key"]
        if not key:
            raise RawAnswer(401, b"401 Unauthorized", "text/html; charset=utf-8",
                            headers={"WWW-Authenticate": REALM, "PSWS-Version": ""})
        if len(key) != 32 or not key.isalnum():
            raise WsError(401, [(18, "Invalid authentication key format")])
        if key not in self.keys or key in self.inactive_keys:
            raise WsError(401, [(20, "Authentification key is not active"),
                                (21, "No permission for this authentication key")])
        return key

    def allowed(self, key: str, resource: str) -> set[str]:
        perms = self.keys.get(key)
        methods = set(METHODS) if perms is None else perms.get(resource, set())
        if self.is_17:
            methods.discard("PATCH")
        return methods


def slug(text: str) -> str:
    import unicodedata
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


def ean13(n: int) -> str:
    body = f"200{n:09d}"[-12:]
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


class _Handler(BaseHTTPRequestHandler):
    shop: Any = None
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall between them

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet server
        pass

    def _serve(self) -> None:
        shop: PrestaShopEmulator = self.shop
        split = urlsplit(self.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        method = self.command
        with shop.lock:
            shop.seen.append(SeenRequest(method, split.path, dict(query), dict(self.headers.items()), body))
        fault = shop._take_fault(method, split.path)
        if fault is not None:
            if fault.kind in ("latency", "timeout"):
                time.sleep(fault.seconds)
                if fault.kind == "timeout":
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
            elif fault.kind == "empty_500":
                return self._send(500, {"Content-Type": "text/html; charset=utf-8"}, b"", http10=True)
            elif fault.kind == "die":
                return self._send(500, {"Content-Type": "text/html; charset=utf-8"}, fault.text.encode())
            elif fault.kind == "maintenance":
                page = b"<!doctype html><html><body><h1>We are currently updating our shop</h1></body></html>"
                return self._send(503, {"Content-Type": "text/html; charset=utf-8", "Retry-After": "1"}, page)
            elif fault.kind == "unauthorized":
                errors = shop.render_errors([(20, "Authentification key is not active"),
                                             (21, "No permission for this authentication key")], False)
                return self._send(401, {"Content-Type": XML_TYPE, "PSWS-Version": "0", "WWW-Authenticate": REALM},
                                  errors)
        status, headers, payload, http10 = shop.handle(method, split.path, query, self.headers, body)
        if fault is not None and fault.kind == "reset":
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload[: max(1, len(payload) // 2)])
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self._send(status, headers, b"" if method == "HEAD" else payload, http10=http10,
                   length=len(payload))

    def _send(self, status: int, headers: dict[str, str], payload: bytes, *, http10: bool = False,
              length: int | None = None) -> None:
        try:
            if http10:
                self.protocol_version = "HTTP/1.0"
                self.close_connection = True
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(payload) if length is None else length))
            self.end_headers()
            if payload:
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve
