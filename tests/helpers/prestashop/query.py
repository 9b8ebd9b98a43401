"""Reading records as the Webservice does: the ``filter``, ``sort``, ``limit``,
``display``, ``language`` and ``price`` query parameters, and the computed fields
(product prices with tax and reductions, default combination, stock associations)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

from .common import QueryError, RawAnswer, Record
from .schema import FieldDef, Schema
from .state import ShopState

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
        return _one_of(inner.split("|"))
    return lambda v: _compare(v, spec) == 0


def _one_of(values: list[str]):
    """``any(_compare(v, x) == 0 for x in values)`` with set look-ups (a long ``[a|b|...]`` list is
    one test a row, not one a value): two numbers are equal as numbers, anything else case-insensitively."""
    numbers = {n for n in map(_num, values) if n is not None}
    texts = {x.casefold() for x in values if _num(x) is None}
    if any(n != n for n in numbers):  # NaN compares "equal" to every number in _compare: keep the slow test
        return lambda v: any(_compare(v, x) == 0 for x in values)

    def test(v: str) -> bool:
        n = _num(v)
        if n is None:
            return v.casefold() in texts
        return n in numbers or n != n and bool(numbers)
    return test


class Query(ShopState):
    def parse_languages(self, query: dict[str, str]) -> list[int]:
        installed = self.languages()
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
        country = self.config("PS_COUNTRY_DEFAULT", "8")
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
        by_id = query.get("sort") == "[id_ASC]"  # the usual paging order: the records' int keys are their ids
        records = self.data.get(resource, {})
        rows = list(records.values())
        if by_id and list(records) != sorted(records):  # records are usually added in id order
            rows = [records[k] for k in sorted(records)]
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
            if by_id:  # already in that order
                keys = []
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
        if limit is not None:  # as PHP: explode(","), more than 2 parts is code 39, each part cast to int
            parts = limit.split(",")
            if len(parts) > 2:
                raise QueryError(39, 'The "limit" value has to be formed as this example: "5,25" or "10"')
            numbers = [_php_int(p) for p in parts]
            if any(n < 0 for n in numbers):
                raise RawAnswer(500)  # a negative LIMIT is an SQL error: a PHP fatal, empty body
            start, count = (0, numbers[0]) if len(numbers) == 1 else numbers
            rows = rows[start:start + count]
        return rows


def _php_int(text: str) -> int:
    """PHP's ``(int)`` of a string: its leading integer, 0 when there is none ("2x" -> 2, "a" -> 0)."""
    m = re.match(r"\s*([+-]?\d+)", text)
    return int(m.group(1)) if m else 0
