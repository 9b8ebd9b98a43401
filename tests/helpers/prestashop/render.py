"""The answers' bodies: PrestaShop's XML (CDATA values, xlink:href links, language
blocks, associations) and JSON, for the API root, schemas, lists, records and errors."""

from __future__ import annotations

import json
import re
from typing import Any

from .common import FIXTURES, RECORDED_BASE, XML_HEAD, XML_TAIL, RawAnswer, Record, WsError, attr, cdata, singular
from .query import Query
from .schema import FieldDef


def _text(value: Any) -> str:
    return value if type(value) is str else str(value)


class Render(Query):
    def render_api_root(self, key: str) -> bytes:
        text = (FIXTURES / "api_root.xml").read_text(encoding="utf-8").replace(RECORDED_BASE, self.base)

        def fix(m: re.Match[str]) -> str:
            methods = self.allowed(key, m.group(1))
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
            return path.read_text(encoding="utf-8").replace(RECORDED_BASE, self.base).encode("utf-8")
        sch = self.schemas[resource]
        lines = [f"<{singular(resource)}>"]
        for fd in sch.fields:
            if fd.name == "id":
                continue
            attrs = ' required="true"' if fd.name in sch.required else ""
            if fd.name in sch.read_only:
                attrs += ' read_only="true" readOnly="true"'
            if fd.i18n:
                inner = "".join(f'<language id="{lang}" xlink:href="{self.base}languages/{lang}">'
                                f"{cdata('')}</language>" for lang in self.languages())
            else:
                inner = cdata("")
            lines.append(f"\t<{fd.name}{attrs}>{inner}</{fd.name}>")
        lines.append(f"</{singular(resource)}>")
        return (XML_HEAD + "\n".join(lines) + "\n" + XML_TAIL).encode("utf-8")

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
            elif resource != "products" and all(not fd.i18n for fd in display[0]):
                # plain text fields (and the id) and stored associations: as json_record makes them, faster
                names, assocs = [fd.name for fd in display[0]], display[1]
                items = [{n: int(r["id"]) if n == "id" else _text(r.get(n, "")) for n in names} for r in rows]
                if assocs:
                    for item, r in zip(items, rows, strict=True):
                        item["associations"] = {a: list(r.get("associations", {}).get(a, [])) for a in assocs}
            else:
                items = [self.json_record(resource, r, display[0], display[1], langs, prices, detail=False)
                         for r in rows]
            return json.dumps({resource: items}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        tag = singular(resource)
        parts = [f"<{resource}>\n"]
        for r in rows:
            if display is None:
                parts.append(f'<{tag} id="{r["id"]}" xlink:href="{self.base}{resource}/{r["id"]}"/>\n')
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
        if not display and prices:  # without display, the price virtual fields follow the fields (as 8.2.1)
            fields = fields + [FieldDef(name) for name in prices]
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
        base = self.base
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
        computed = resource == "products"  # the only resource with computed fields (field_text)
        for fd in fields:
            name = fd.name
            value = self.field_text(resource, rec, name, prices) if computed else rec.get(name, "")
            if name == "id" or (name == "id_default_combination" and value not in ("", "0")):
                out[name] = int(value)  # both are JSON numbers in 8.2.1's output
            elif fd.i18n:
                values = value if isinstance(value, dict) else {}
                out[name] = (str(values.get(langs[0], "")) if len(langs) == 1 else
                             [{"id": str(lang), "value": str(values.get(lang, ""))} for lang in langs])
            else:
                out[name] = value if type(value) is str else str(value)
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
