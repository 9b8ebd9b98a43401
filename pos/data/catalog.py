"""Articles, their barcodes and custom fields, and the barcode rules: reads, pages and validated writes."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import peewee
from peewee import JOIN, fn

from pos.core.i18n import _
from pos.data.common import CatalogError, now_iso, sort_key
from pos.data.models import (
    Article,
    Barcode,
    BarcodeRule,
    CustomField,
    Department,
    TicketLine,
    VatRate,
    database,
)
from pos.data.shop import vat_id_for
from pos.data.stock import check_stock_fields
from pos.sale.barcode import gtin_check_digit, looks_like_gtin


@dataclass(frozen=True)
class ArticleInfo:
    id: int
    reference: str
    name: str
    price: int
    vat_bp: int
    department_id: int | None = None
    department: str = ""
    colour: str = ""
    by_weight: bool = False
    free_price: bool = False
    active: bool = True
    stock: int = 0
    barcode: str = ""


_ARTICLE_FIELDS = (
    Article.id, Article.reference, Article.name, Article.price, VatRate.rate_bp,
    Article.department, Department.name, Department.colour, Article.by_weight,
    Article.free_price, Article.active, Article.stock,
)


def _article_query():
    return (Article.select(*_ARTICLE_FIELDS)
            .join(VatRate, on=(Article.vat == VatRate.id))
            .switch(Article)
            .join(Department, JOIN.LEFT_OUTER, on=(Article.department == Department.id)))


def _article_info(row: tuple, barcode: str = "") -> ArticleInfo:
    (aid, ref, name, price, vat_bp, dep_id, dep_name, colour, by_weight, free_price, active, stock) = row
    return ArticleInfo(aid, ref, name, price, vat_bp, dep_id, dep_name or "", colour or "",
                       bool(by_weight), bool(free_price), bool(active), stock, barcode)


_CODE = "\x00code\x00"  # where the code goes when a lookup query is compiled
_COMPILED: dict[str, tuple[str, list[Any]]] = {}


def _run_compiled(key: str, build: Callable[[str], Any], code: str):
    """Run a query built once by peewee: building it costs ~0.5 ms of Python, running it
    ~0.03 ms, and a scan (or each line of a sale) pays it (bench/bench_sale.py)."""
    compiled = _COMPILED.get(key)
    if compiled is None:
        compiled = _COMPILED[key] = build(_CODE).sql()
    sql, params = compiled
    return database.execute_sql(sql, [code if p == _CODE else p for p in params])


def find_article_by_code(code: str) -> ArticleInfo | None:
    """A barcode first, then a reference."""
    row = _run_compiled("article_by_barcode", lambda c: (
        _article_query().join(Barcode, on=(Barcode.article == Article.id), src=Article)
        .where(Barcode.code == c).limit(1)), code).fetchone()
    if row:
        return _article_info(row, code)
    row = _run_compiled("article_by_reference", lambda c: (
        _article_query().where(Article.reference == c).limit(1)), code).fetchone()
    return _article_info(row) if row else None


def get_article(article_id: int) -> ArticleInfo | None:
    row = _article_query().where(Article.id == article_id).tuples().first()
    return _article_info(row) if row else None


_WORD = re.compile(r"\w+", re.UNICODE)


def search_articles(text: str, limit: int = 50, include_inactive: bool = False) -> list[ArticleInfo]:
    """Word-prefix search on name and reference ("pain camp" finds "Pain de campagne")."""
    words = _WORD.findall(text)
    if not words:
        return []
    match = " ".join(f'"{w}"*' for w in words)
    ids = [r[0] for r in database.execute_sql(
        "SELECT rowid FROM article_search WHERE article_search MATCH ? LIMIT ?", (match, limit * 4)
    )]
    if not ids:
        return []
    query = _article_query().where(Article.id.in_(ids))
    if not include_inactive:
        query = query.where(Article.active == True)  # noqa: E712 - peewee expression
    rows = [_article_info(r) for r in query.tuples()]
    rows.sort(key=lambda a: (sort_key(a.name), a.reference))
    return rows[:limit]


FAVOURITES = -1


def page_articles(department_id: int, page: int, size: int) -> tuple[list[ArticleInfo], bool]:
    """One page of active articles of a department (or ``FAVOURITES``), and whether more follow."""
    query = _article_query().where(Article.active == True)  # noqa: E712
    if department_id == FAVOURITES:
        query = query.where(Article.favourite == True)  # noqa: E712
    else:
        query = query.where(Article.department == department_id)
    rows = list(query.order_by(Article.name, Article.id).limit(size + 1).offset(page * size).tuples())
    return [_article_info(r) for r in rows[:size]], len(rows) > size


def count_articles() -> int:
    return Article.select().count()


def has_favourites() -> bool:
    return Article.select().where(Article.favourite == True, Article.active == True).exists()  # noqa: E712


def bulk_insert_articles(rows: list[dict[str, Any]], barcodes_for: Callable[[int], str] | None = None,
                         batch: int = 2000) -> None:
    """The trusted bulk loader of the demo's synthetic catalogue (``pos.demo.add_synthetic_articles``, up
    to a million articles) and of the benchmarks: rows (``Article`` columns, ``vat`` as an id) are written
    as given, WITHOUT the checks of :func:`save_article`.  Never for what a person typed or a file
    brought: those go through ``save_article`` (or the import's own checks).

    ``barcodes_for(i)`` gives the barcode of the synthetic article ``A{i:07d}``.
    """
    with database.atomic():
        for k in range(0, len(rows), batch):
            part = rows[k:k + batch]
            Article.insert_many(part).execute()
            if barcodes_for is None:
                continue
            refs = (Article.select(Article.id, Article.reference)
                    .where(Article.reference.between(part[0]["reference"], part[-1]["reference"])).tuples())
            Barcode.insert_many([(barcodes_for(int(ref[1:])), aid) for aid, ref in refs],
                                fields=[Barcode.code, Barcode.article]).execute()


def count_synthetic() -> int:
    """Number of the last synthetic article (``A0000042`` → 42), 0 if none."""
    ref = (Article.select(fn.MAX(Article.reference))
           .where(Article.reference.between("A0000000", "A9999999")).scalar())
    return int(ref[1:]) if ref and re.fullmatch(r"A\d{7}", ref) else 0


def custom_fields() -> list[dict[str, Any]]:
    return list(CustomField.select().order_by(CustomField.position).dicts())


def article_stock(article_id: int) -> int:
    return Article.select(Article.stock).where(Article.id == article_id).scalar()


@dataclass(frozen=True)
class BarcodeRuleInfo:
    id: int
    prefix: str
    kind: str  # price | weight
    article_digits: int
    value_digits: int
    position: int
    active: bool


def barcode_rules(include_inactive: bool = False) -> list[BarcodeRuleInfo]:
    query = BarcodeRule.select().order_by(BarcodeRule.position, BarcodeRule.prefix)
    if not include_inactive:
        query = query.where(BarcodeRule.active == True)  # noqa: E712
    return [BarcodeRuleInfo(r.id, r.prefix, r.kind, r.article_digits, r.value_digits, r.position, r.active)
            for r in query]


def save_barcode_rule(prefix: str, kind: str, article_digits: int, value_digits: int,
                      active: bool = True, rule_id: int | None = None) -> int:
    values = dict(prefix=prefix, kind=kind, article_digits=article_digits, value_digits=value_digits,
                  active=active)
    if rule_id is None:
        return BarcodeRule.create(position=BarcodeRule.select().count() + 1, **values).id
    BarcodeRule.update(**values).where(BarcodeRule.id == rule_id).execute()
    return rule_id


def delete_barcode_rule(rule_id: int) -> None:
    BarcodeRule.delete().where(BarcodeRule.id == rule_id).execute()




@dataclass(frozen=True)
class ArticlePage:
    rows: list[ArticleInfo]
    next_offset: int | None  # where the next page starts, None when this is the last one
    exact_id: int | None = None  # the article whose barcode or reference is exactly the text


@dataclass
class ArticleDetail:
    """Every editable field of an article (``id`` None for a new one)."""

    reference: str
    name: str
    price: int  # cents, VAT included
    vat_bp: int
    id: int | None = None
    department_id: int | None = None
    cost: int | None = None  # cents, excl. VAT
    stock: int = 0  # thousandths
    by_weight: bool = False
    free_price: bool = False
    favourite: bool = False
    active: bool = True
    barcodes: list[str] = field(default_factory=list)
    custom: dict[str, Any] = field(default_factory=dict)
    updated_at: str = ""  # read only: every save sets it
    net_qty: int | None = None  # thousandths of net_unit in one package (shelf labels' unit price)
    net_unit: str = ""  # kg | l | piece | "" (pos/data/stock.py NET_UNITS)
    low_stock: int | None = None  # low-stock threshold (thousandths); None: the shop's default


def _fts_match(text: str) -> str | None:
    words = _WORD.findall(text)
    return " ".join(f'"{w}"*' for w in words) if words else None


def article_page(text: str = "", offset: int = 0, limit: int = 50,
                 include_inactive: bool = False) -> ArticlePage:
    """One page of the articles list: ``limit`` rows from ``offset``, never the whole table.

    An empty ``text`` lists the articles by name; otherwise the word prefixes of the
    full-text index (name, reference) are searched, and an article whose barcode or
    reference is exactly ``text`` comes first (on the first page).
    """
    text = text.strip()
    query = _article_query()
    if not include_inactive:
        query = query.where(Article.active == True)  # noqa: E712
    exact = None
    if text:
        exact = find_article_by_code(text)
        if exact is not None and not include_inactive and not exact.active:
            exact = None
        match = _fts_match(text)
        if match is None:
            rows = [] if exact is None else [exact]
            return ArticlePage(rows, None, exact.id if exact else None)
        query = query.where(Article.id.in_(
            peewee.SQL("(SELECT rowid FROM article_search WHERE article_search MATCH ?)", [match])))
    found = list(query.order_by(Article.name, Article.id).limit(limit + 1).offset(offset).tuples())
    rows = [_article_info(r) for r in found[:limit]]
    next_offset = offset + limit if len(found) > limit else None
    if exact is not None:
        rows = [a for a in rows if a.id != exact.id]
        if offset == 0:
            rows.insert(0, exact)
    return ArticlePage(rows, next_offset, exact.id if exact else None)


def article_detail(article_id: int) -> ArticleDetail | None:
    a = Article.get_or_none(Article.id == article_id)
    if a is None:
        return None
    codes = [c for (c,) in Barcode.select(Barcode.code).where(Barcode.article == article_id)
             .order_by(Barcode.id).tuples()]
    vat_bp = VatRate.select(VatRate.rate_bp).where(VatRate.id == a.vat_id).scalar()
    return ArticleDetail(reference=a.reference, name=a.name, price=a.price, vat_bp=vat_bp, id=a.id,
                         department_id=a.department_id, cost=a.cost, stock=a.stock, by_weight=a.by_weight,
                         free_price=a.free_price, favourite=a.favourite, active=a.active, barcodes=codes,
                         custom=json.loads(a.custom or "{}"), updated_at=a.updated_at, net_qty=a.net_qty,
                         net_unit=a.net_unit or "", low_stock=a.low_stock)


def check_barcode(code: str, article_id: int | None = None) -> str:
    """A barcode an article may take: cleaned, its GTIN check digit right, not another article's."""
    code = code.strip()
    if not code:
        raise CatalogError(_("Type or scan a barcode"))
    if any(c.isspace() for c in code) or len(code) > 64:
        raise CatalogError(_("A barcode has no spaces: {code}").format(code=code))
    if looks_like_gtin(code) and gtin_check_digit(code[:-1]) != int(code[-1]):
        raise CatalogError(_("Bad check digit in {code}: the last digit should be {digit}").format(
            code=code, digit=gtin_check_digit(code[:-1])))
    other = (Article.select(Article.id, Article.reference, Article.name)
             .join(Barcode, on=(Barcode.article == Article.id)).where(Barcode.code == code).first())
    if other is not None and other.id != article_id:
        raise CatalogError(_("The barcode {code} is already used by {reference} {name}").format(
            code=code, reference=other.reference, name=other.name))
    return code


def _check_custom(values: dict[str, Any]) -> dict[str, Any]:
    kinds = {f["key"]: (f["kind"], f["label"]) for f in custom_fields()}
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in kinds:
            raise CatalogError(_("Unknown custom field: {key}").format(key=key))
        kind, label = kinds[key]
        if kind == "bool":
            out[key] = bool(value)
        elif kind == "number":
            if value is None or str(value).strip() == "":
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise CatalogError(_("{field}: not a number").format(field=label))
            text = str(value).strip().replace(" ", "").replace(",", ".")
            try:
                number = Decimal(text)
            except InvalidOperation:
                raise CatalogError(_("{field}: not a number").format(field=label)) from None
            if not number.is_finite():
                raise CatalogError(_("{field}: not a number").format(field=label))
            out[key] = int(number) if number == number.to_integral_value() else float(number)
        else:
            text = "" if value is None else str(value).strip()
            if text:
                out[key] = text
    return out


def save_article(detail: ArticleDetail) -> int:
    """Create (``detail.id`` None) or update an article, its barcodes and custom fields, all or
    nothing.  Raises :class:`CatalogError` with a clear message for refused values."""
    reference, name = detail.reference.strip(), detail.name.strip()
    if not reference:
        raise CatalogError(_("An article needs a reference"))
    if not name:
        raise CatalogError(_("An article needs a name"))
    if not isinstance(detail.price, int) or detail.price < 0:
        raise CatalogError(_("The price must be zero or more"))
    if detail.cost is not None and (not isinstance(detail.cost, int) or detail.cost < 0):
        raise CatalogError(_("The cost price must be zero or more"))
    if not isinstance(detail.stock, int):
        raise CatalogError(_("The stock is a quantity"))
    check_stock_fields(detail.net_qty, detail.net_unit, detail.low_stock)
    vat_id = vat_id_for(detail.vat_bp)
    if vat_id is None:
        raise CatalogError(_("Unknown VAT rate"))
    if detail.department_id is not None and Department.get_or_none(Department.id == detail.department_id) is None:
        raise CatalogError(_("Unknown department"))
    custom = _check_custom(detail.custom)
    codes: list[str] = []
    with database.atomic():
        other = Article.select(Article.id, Article.name).where(Article.reference == reference).first()
        if other is not None and other.id != detail.id:
            raise CatalogError(_("The reference {reference} is already used by {name}").format(
                reference=reference, name=other.name))
        for code in detail.barcodes:
            code = check_barcode(code, detail.id)
            if code in codes:
                raise CatalogError(_("The barcode {code} is listed twice").format(code=code))
            codes.append(code)
        values = dict(reference=reference, name=name, price=detail.price, vat=vat_id,
                      department=detail.department_id, cost=detail.cost, stock=detail.stock,
                      by_weight=bool(detail.by_weight), free_price=bool(detail.free_price),
                      favourite=bool(detail.favourite), active=bool(detail.active), updated_at=now_iso())
        stock_fields = dict(net_qty=detail.net_qty, net_unit=detail.net_unit, low_stock=detail.low_stock)
        if detail.id is not None or any(v not in (None, "") for v in stock_fields.values()):
            values.update(stock_fields)  # (a new article without them: as a shop before migration 13 had)
        try:
            if detail.id is None:
                article_id = Article.create(custom=json.dumps(custom, ensure_ascii=False), **values).id
            else:
                current = Article.get_or_none(Article.id == detail.id)
                if current is None:
                    raise CatalogError(_("This article no longer exists"))
                kept = {k: v for k, v in json.loads(current.custom or "{}").items()
                        if k not in {f["key"] for f in custom_fields()}}  # keys no longer defined
                kept.update(custom)
                Article.update(custom=json.dumps(kept, ensure_ascii=False), **values).where(
                    Article.id == detail.id).execute()
                article_id = detail.id
                Barcode.delete().where(Barcode.article == article_id, Barcode.code.not_in(codes)).execute()
            present = {c for (c,) in Barcode.select(Barcode.code).where(Barcode.article == article_id).tuples()}
            for code in codes:
                if code not in present:
                    Barcode.create(code=code, article=article_id)
        except peewee.IntegrityError as exc:  # another till took the reference or a barcode meanwhile
            raise CatalogError(_("Not saved: the reference or a barcode is already used ({error})").format(
                error=exc)) from None
    return article_id


def set_article_active(article_id: int, active: bool) -> None:
    Article.update(active=active, updated_at=now_iso()).where(Article.id == article_id).execute()


def article_was_sold(article_id: int) -> bool:
    return TicketLine.select().where(TicketLine.article == article_id).exists()


def delete_article(article_id: int) -> None:
    """Delete an article that no ticket mentions (one that was sold is deactivated instead)."""
    with database.atomic():
        if article_was_sold(article_id):
            raise CatalogError(_("This article appears on tickets: deactivate it instead"))
        Barcode.delete().where(Barcode.article == article_id).execute()
        Article.delete().where(Article.id == article_id).execute()


def define_custom_field(key: str, label: str, kind: str = "text") -> None:
    """A new custom field for every article, with clear messages."""
    key, label = key.strip().lower(), label.strip()
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,30}", key):
        raise CatalogError(_("A field key is lower-case letters, digits and _, starting with a letter"))
    if not label:
        raise CatalogError(_("A field needs a label"))
    if kind not in ("text", "number", "bool"):
        raise CatalogError(_("A field is text, number or yes/no"))
    if CustomField.select().where(CustomField.key == key).exists():
        raise CatalogError(_("The field {key} already exists").format(key=key))
    CustomField.create(key=key, label=label, kind=kind, position=CustomField.select().count() + 1)
