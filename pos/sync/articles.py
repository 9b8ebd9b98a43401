"""Articles from PrestaShop: products and their combinations become till articles.

``pull_preview(client)`` fetches what changed in the shop and compares it with the till
(nothing changes); ``apply(preview, add=, update=, delete=)`` applies the chosen actions
in one transaction (``pos/data/sync_articles.py``); ``cli(client, args)`` is
``pos sync articles``.

- Each combination is one article (its own reference and EAN-13), named
  ``Product – Size: M, Colour: red``; a product without combinations is one article.
- Price incl. VAT = (product price + the combination's impact, both tax excluded) ×
  (1 + the rate of the product's tax rule group for the shop's country,
  ``PS_COUNTRY_DEFAULT``), rounded half up to the cent (``pos.core.money.round_div``).
  Specific prices (discounts) are not the catalogue price and are ignored.
- The rate must be one of the till's active VAT rates, else the row is an error.
- The default category is the department (created at apply time if unknown), unless the
  setting ``prestashop.department`` names the department of all new articles.
- Active flag and stock (``stock_availables``, units → thousandths) come from the shop.
- Matching: the link (``ps_link``) first, else the reference, else the EAN-13.  A linked
  article follows its product's renames and reference changes.
- After a first full pull, only products whose ``date_upd`` is after the newest one seen
  by the last applied run are fetched, plus those at that very second the run did not
  see (an ids-only request) and the products it left over (errors, not applied by choice).
  Deleted products are found by a scan of the product ids and their articles deactivated
  (never deleted).
- A network loss during the pull changes nothing: everything is fetched before the
  single apply transaction, and the state (last ``date_upd``) moves only with it.

No SQL and no Kivy here.
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from pos.core.errors import Cancelled, InvalidValue, Refusal
from pos.core.i18n import _
from pos.core.money import BP_ONE, round_div
from pos.core.permissions import Actor, check
from pos.sale.barcode import gtin_check_digit
from pos.sync.client import PrestaShopClient, filter_gt, filter_in
from pos.sync.errors import PrestaShopError
from pos.sync.pages import Listing, Pages, collector_paused
from pos.sync.xml import Record

KIND = "articles"
STATE_DATE = "articles.date_upd"  # the newest product date_upd of the last applied run (the shop's clock)
STATE_RETRY = "articles.retry"  # product ids to fetch again at the next delta run
STATE_BOUNDARY = "articles.boundary"  # ids of the products fetched whose date_upd is STATE_DATE
BOUNDARY_MAX = 20_000
RETRY_MAX = 2000  # beyond that, the date does not move (the next run fetches the same products again)
FIELDS = ("reference", "name", "price", "vat", "department", "barcode", "active", "stock", "link")
PRODUCT_FIELDS = ["id", "reference", "ean13", "price", "id_tax_rules_group", "id_category_default", "active",
                  "name", "date_upd"]
COMBINATION_FIELDS = "[id,id_product,reference,ean13,price,product_option_values[id]]"
STOCK_FIELDS = ["id", "id_product", "id_product_attribute", "id_shop", "quantity"]
DASH = " \u2013 "  # "Product – Size: M"
NAME_MAX = 255

Progress = Callable[[str, int, "int | None"], None]


@dataclass
class ShopArticle:
    """One article as the shop says it should be."""

    id_product: int
    id_product_attribute: int
    reference: str
    name: str
    price: int  # cents incl. VAT
    vat_bp: int
    department: str
    barcode: str
    active: bool
    stock: int  # thousandths
    date_upd: str

    @property
    def key(self) -> tuple[int, int]:
        return (self.id_product, self.id_product_attribute)

    def values(self) -> dict[str, Any]:
        return {"reference": self.reference, "name": self.name, "price": self.price, "vat": self.vat_bp,
                "department": self.department, "barcode": self.barcode, "active": self.active, "stock": self.stock}


@dataclass
class ArticleChange:
    """A linked or matched article whose fields differ: ``fields`` is name → (old, new)."""

    article_id: int
    shop: ShopArticle
    fields: dict[str, tuple[Any, Any]]


@dataclass
class Deactivation:
    article_id: int
    reference: str
    name: str
    id_product: int
    id_product_attribute: int


@dataclass
class ArticlePreview:
    full: bool
    language: int
    products: int = 0  # products fetched
    new: list[ShopArticle] = field(default_factory=list)
    changed: list[ArticleChange] = field(default_factory=list)
    unchanged: int = 0
    to_deactivate: list[Deactivation] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    error_products: set[int] = field(default_factory=set)
    new_departments: list[str] = field(default_factory=list)
    date_upd: str = ""  # newest date_upd seen ("" if no product was fetched)
    boundary: set[int] = field(default_factory=set)  # the products fetched whose date_upd is date_upd
    since: str = ""  # the delta's lower bound ("" for a full pull)

    @property
    def fields(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for change in self.changed:
            for name in change.fields:
                out[name] = out.get(name, 0) + 1
        return dict(sorted(out.items()))

    @property
    def counts(self) -> dict[str, int]:
        return {"products": self.products, "new": len(self.new), "changed": len(self.changed),
                "unchanged": self.unchanged, "to_deactivate": len(self.to_deactivate), "errors": len(self.errors)}

    def summary(self) -> dict[str, Any]:
        """The counts in the stable ``key: value`` order of the CLI."""
        out: dict[str, Any] = {"mode": "full" if self.full else "delta", "products": self.products,
                               "new": len(self.new), "changed": len(self.changed)}
        out.update({f"changed.{k}": n for k, n in self.fields.items()})
        out.update(unchanged=self.unchanged, to_deactivate=len(self.to_deactivate), errors=len(self.errors))
        return out


# ---------------------------------------------------------------- helpers
def _check(cancel: threading.Event | Callable[[], bool] | None) -> Callable[[], None]:
    def check() -> None:
        if cancel is None:
            return
        stop = cancel.is_set() if isinstance(cancel, threading.Event) else cancel()
        if stop:
            raise Cancelled(_("Synchronisation cancelled: nothing was changed."))
    return check


def _int(value: Any, default: int = 0) -> int:
    """An integer field: a JSON number (ids) or text; anything else (a decimal, null...) is ``default``."""
    kind = type(value)
    if kind is int:
        return value
    if kind is str:
        try:
            return int(value)  # int() ignores surrounding white space itself
        except ValueError:
            return default
    return default


def _str(value: Any) -> str:
    """A scalar field as text (``None`` is ``""``): JSON rows give strings, numbers or null."""
    if type(value) is str:
        return value
    return "" if value is None or isinstance(value, dict | list) else str(value)


def _micro(text: Any) -> int:
    """A PrestaShop decimal (``"23.900000"``) in millionths, exactly."""
    text = str(text or "0").strip() or "0"
    sign, body = (-1, text[1:]) if text[:1] == "-" else (1, text)
    whole, dot, fraction = body.partition(".")
    if whole.isascii() and whole.isdigit() and (not dot or (fraction.isascii() and fraction.isdigit()
                                                            and len(fraction) <= 6)):
        return sign * (int(whole) * 1_000_000 + (int(fraction.ljust(6, "0")) if dot else 0))
    return _exact(text)  # another form (exponent, more decimals...), or not a number


def _exact(text: str) -> int:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidValue(_("not a number: {text}").format(text=text)) from None
    return int((value * 1_000_000).to_integral_value())


def price_incl(price_excl: str, impact: str, rate_bp: int) -> int:
    """Cents incl. VAT from PrestaShop's tax-excluded price and impact: one rounding, half up."""
    micro = _micro(price_excl) + _micro(impact)
    return round_div(micro * (BP_ONE + rate_bp), BP_ONE * 10_000)


def rate_bp(rate: Any) -> int:
    """``"20.000"`` → 2000 (basis points); a rate finer than 0.01 % is rounded half up."""
    return round_div(_micro(rate), 10_000)


def _text(value: Any, language: int) -> str:
    """A field in ``language``: text, ``{language: text}``, or JSON's ``[{"id": .., "value": ..}]``."""
    if isinstance(value, list):
        value = {_int(v.get("id")): v.get("value") for v in value if isinstance(v, dict)}
    if isinstance(value, dict):
        return _str(value.get(language) or next((v for v in value.values() if v), "")).strip()
    return _str(value).strip()


def valid_ean13(code: str) -> bool:
    return len(code) == 13 and code.isdigit() and gtin_check_digit(code[:-1]) == int(code[-1])


def _chunks(values: list[int], size: int) -> Iterator[list[int]]:
    for k in range(0, len(values), size):
        yield values[k:k + size]


def _format_rate(bp: int) -> str:
    return f"{bp / 100:g}"


# ---------------------------------------------------------------- fetch
@dataclass
class _Catalogue:
    """What was fetched from the shop."""

    language: int
    products: dict[int, Record] = field(default_factory=dict)
    combinations: dict[int, list[Record]] = field(default_factory=dict)
    stock: dict[tuple[int, int], int] = field(default_factory=dict)
    shop_ids: set[int] = field(default_factory=set)  # every product id in the shop
    rates: dict[int, int] = field(default_factory=dict)  # id_tax_rules_group → bp
    categories: dict[int, str] = field(default_factory=dict)
    groups: dict[int, tuple[int, str]] = field(default_factory=dict)  # id_attribute_group → (position, name)
    values: dict[int, tuple[int, str]] = field(default_factory=dict)  # option value → (group, name)


class _Fetcher:
    """The pull's requests: every listing is read through ``pages`` (pages asked ahead, a few requests
    at once, ``pos/sync/pages.py``); the rows are JSON as decoded (``raw``), read with ``_int``/``_str``."""

    def __init__(self, client: PrestaShopClient, pages: Pages, *, page_size: int, scan_page_size: int,
                 progress: Progress | None, check: Callable[[], None]) -> None:
        self.client = client
        self.pages = pages
        self.page_size = page_size
        self.scan_page_size = scan_page_size
        self.progress = progress
        self.check = check
        shop = _setting("prestashop.id_shop")
        self.params = {"id_shop": shop} if shop else None
        self.id_shop = shop

    def report(self, stage: str, done: int, total: int | None = None) -> None:
        if self.progress is not None:
            self.progress(stage, done, total)

    def start(self, resource: str, *, display: Any, filters: dict[str, str] | None = None,
              language: int | None = None, page_size: int | None = None) -> Listing:
        """Start reading every matching row (``sort=[id_ASC]``): its first page is asked now."""
        def fetch(offset: int, size: int) -> list[Record]:
            return self.client.list_json(resource, display_=display, filters=filters, sort="[id_ASC]",
                                         limit=(offset, size), language=language, params=self.params, raw=True)
        return self.pages.listing(fetch, page_size or self.scan_page_size, name=resource,
                                  max_pages=self.client.max_pages)

    def rows(self, listing: Listing, stage: str) -> Iterator[Record]:
        """A started listing's rows, in order, checking for a cancel between pages."""
        done = 0
        for page in listing:
            self.check()
            yield from page
            done += len(page)
            self.report(stage, done)

    def scan(self, resource: str, stage: str, **kw: Any) -> Iterator[Record]:
        return self.rows(self.start(resource, **kw), stage)

    def reference_data(self, cat: _Catalogue, country: str) -> Callable[[], None]:
        """Start reading the taxes, categories and options; the returned function waits and fills ``cat``."""
        lang = cat.language
        rules_ = self.start("tax_rules", display=["id", "id_tax_rules_group", "id_state", "id_tax"],
                            filters={"id_country": f"[{country}]"})
        categories = self.start("categories", display=["id", "name"], language=lang)
        groups = self.start("product_options", display=["id", "position", "name", "public_name"], language=lang)
        values = self.start("product_option_values", display=["id", "id_attribute_group", "name"], language=lang)

        def finish() -> None:
            rules = list(self.rows(rules_, "taxes"))
            tax_ids = sorted({_int(r.get("id_tax")) for r in rules} - {0})
            taxes: dict[int, int] = {}
            if tax_ids:
                for row in self.scan("taxes", "taxes", display=["id", "rate"], filters={"id": filter_in(tax_ids)}):
                    taxes[_int(row.get("id"))] = rate_bp(_str(row.get("rate")))
            # the rule for the whole country (id_state 0) wins over a state's rule
            for rule in sorted(rules, key=lambda r: (_int(r.get("id_state")) != 0, _int(r.get("id")))):
                group = _int(rule.get("id_tax_rules_group"))
                if group not in cat.rates:
                    cat.rates[group] = taxes.get(_int(rule.get("id_tax")), 0)
            for row in self.rows(categories, "categories"):
                cat.categories[_int(row.get("id"))] = _text(row.get("name"), lang)
            for row in self.rows(groups, "options"):
                name = _text(row.get("public_name"), lang) or _text(row.get("name"), lang)
                cat.groups[_int(row.get("id"))] = (_int(row.get("position")), name)
            for row in self.rows(values, "options"):
                cat.values[_int(row.get("id"))] = (_int(row.get("id_attribute_group")), _text(row.get("name"), lang))
        return finish

    def add_stock(self, cat: _Catalogue, rows: Iterable[Record]) -> None:
        own = self.id_shop or "1"
        stock = cat.stock
        for row in rows:
            shop = _str(row.get("id_shop"))
            if self.id_shop and shop not in (self.id_shop, "0"):
                continue
            key = (_int(row.get("id_product")), _int(row.get("id_product_attribute")))
            if key not in stock or shop == own:
                stock[key] = _int(row.get("quantity")) * 1000

    def add_combinations(self, cat: _Catalogue, rows: Iterable[Record]) -> None:
        products, combinations = cat.products, cat.combinations
        for row in rows:
            pid = _int(row.get("id_product"))
            if pid in products:
                combinations.setdefault(pid, []).append(row)

    def full(self, cat: _Catalogue, reference: Callable[[], None]) -> None:
        """Every product, combination and stock row (``reference``: reads the reference data meanwhile)."""
        products = self.start("products", display=PRODUCT_FIELDS, language=cat.language, page_size=self.page_size)
        combinations = self.start("combinations", display=COMBINATION_FIELDS)
        stock = self.start("stock_availables", display=STOCK_FIELDS)
        reference()
        for row in self.rows(products, "products"):
            cat.products[_int(row.get("id"))] = row
        cat.shop_ids = set(cat.products)
        self.add_combinations(cat, self.rows(combinations, "combinations"))
        self.add_stock(cat, self.rows(stock, "stock"))

    def delta(self, cat: _Catalogue, since: str, retry: list[int], boundary: list[int],
              reference: Callable[[], None]) -> None:
        """Products changed after ``since``, those at ``since`` not fetched by the last run, ``retry``."""
        changed = self.start("products", display=PRODUCT_FIELDS, language=cat.language, page_size=self.page_size,
                             filters={"date_upd": filter_gt(since)})
        at_since_ = self.start("products", display=["id"], filters={"date_upd": f"[{since}]"})
        reference()
        for row in self.rows(changed, "products"):
            cat.products[_int(row.get("id"))] = row
        at_since = {_int(r.get("id")) for r in self.rows(at_since_, "ids")}
        missing = sorted((set(retry) | (at_since - set(boundary))) - set(cat.products))
        for listing in [self.start("products", display=PRODUCT_FIELDS, language=cat.language,
                                   filters={"id": filter_in(part)}) for part in _chunks(missing, 200)]:
            for row in self.rows(listing, "products"):
                cat.products[_int(row.get("id"))] = row
        parts = [(self.start("combinations", display=COMBINATION_FIELDS, filters={"id_product": filter_in(part)}),
                  self.start("stock_availables", display=STOCK_FIELDS, filters={"id_product": filter_in(part)}))
                 for part in _chunks(sorted(cat.products), 200)]
        shop_ids = self.start("products", display=["id"])
        for combinations, stock in parts:
            self.add_combinations(cat, self.rows(combinations, "combinations"))
            self.add_stock(cat, self.rows(stock, "stock"))
        cat.shop_ids = {_int(r.get("id")) for r in self.rows(shop_ids, "ids")}


def _setting(key: str) -> str:
    from pos.core import settings

    return (settings.get(key) or "").strip()


def _get_list(text: str) -> list[int]:
    return sorted({int(x) for x in text.split(",") if x.strip().isdigit()})


# ---------------------------------------------------------------- preview
def pull_preview(client: PrestaShopClient, *, full: bool = False, progress: Progress | None = None,
                 cancel: threading.Event | Callable[[], bool] | None = None, page_size: int = 500,
                 scan_page_size: int = 5000) -> ArticlePreview:
    """Fetch the shop's products (all, or those changed since the last applied run) and compare them
    with the till.  Nothing changes.  Raises ``PrestaShopError`` (network, shop), ``Cancelled``,
    ``Refusal`` (the shop's configuration)."""
    from pos.data import shop as shop_db
    from pos.data import sync as sync_state

    check = _check(cancel)
    since = "" if full else sync_state.get_state(STATE_DATE)
    full = full or not since
    retry = [] if full else _get_list(sync_state.get_state(STATE_RETRY))
    boundary = [] if full else _get_list(sync_state.get_state(STATE_BOUNDARY))
    config = client.configuration(["PS_LANG_DEFAULT", "PS_COUNTRY_DEFAULT"])
    language = _int(_setting("prestashop.language") or config.get("PS_LANG_DEFAULT"), 1) or 1
    country = config.get("PS_COUNTRY_DEFAULT", "")
    if not country.isdigit():
        raise Refusal(_("The shop has no default country (PS_COUNTRY_DEFAULT): its VAT rates are unknown."))
    cat = _Catalogue(language)
    check()
    with collector_paused():
        with Pages() as pages:  # every request of the pull is over when this block is left
            fetcher = _Fetcher(client, pages, page_size=page_size, scan_page_size=scan_page_size,
                               progress=progress, check=check)
            reference = fetcher.reference_data(cat, country)
            if full:
                fetcher.full(cat, reference)
            else:
                fetcher.delta(cat, since, retry, boundary, reference)
        check()
        preview = ArticlePreview(full=full, language=language, products=len(cat.products), since=since)
        rows = _build_rows(cat, preview, {v.rate_bp for v in shop_db.vat_rates()})
        _compare(rows, cat, preview)
    preview.date_upd = max((_str(p.get("date_upd")) for p in cat.products.values()), default="")
    preview.boundary = {pid for pid, p in cat.products.items() if _str(p.get("date_upd")) == preview.date_upd}
    return preview


def _option_ids(combo: Record) -> tuple[int, ...]:
    """The ids of a combination's option values, in the shop's order."""
    associations = combo.get("associations")
    items = associations.get("product_option_values") if isinstance(associations, dict) else None
    return tuple(_int(item.get("id")) for item in items if isinstance(item, dict)) if isinstance(items, list) else ()


def _option_label(ids: tuple[int, ...], cat: _Catalogue) -> str:
    """``Size: M, Colour: red``: the values by their group's position (unknown values left out)."""
    parts = []
    for n, value_id in enumerate(ids):
        value = cat.values.get(value_id)
        if value is None:
            continue
        group, text = value
        position, group_name = cat.groups.get(group, (1_000_000, ""))
        parts.append(((position, group, n), f"{group_name}: {text}" if group_name else text))
    return ", ".join(text for _key, text in sorted(parts))


def _combination_name(product: str, combo: Record, cat: _Catalogue,
                      labels: dict[tuple[int, ...], str] | None = None) -> str:
    """``Product – Size: M, Colour: red`` (``labels``: the labels already made, by option value ids)."""
    ids = _option_ids(combo)
    label = labels.get(ids) if labels is not None else None
    if label is None:
        label = _option_label(ids, cat)
        if labels is not None:
            labels[ids] = label
    return (product + DASH + label if label else product)[:NAME_MAX]


def _where(pid: int, attr: int, reference: str) -> str:
    return _("product {id} ({reference})").format(id=pid if not attr else f"{pid}/{attr}", reference=reference)


def _variants(pid: int, p: Record, name: str, combos: list[Record] | None, cat: _Catalogue,
              labels: dict[tuple[int, ...], str]) -> list[tuple[int, str, str, Any, str]]:
    """(attr, reference, name, price impact, ean13) of each article of a product."""
    own_ref = _str(p.get("reference")).strip()
    base_ref = own_ref or f"PS{pid}"
    if not combos:
        return [(0, base_ref, name[:NAME_MAX], "0", _str(p.get("ean13")).strip())]
    combos = sorted(combos, key=lambda c: _int(c.get("id")))
    refs = [_str(c.get("reference")).strip() for c in combos]
    twice = {ref for ref, n in Counter(refs).items() if n > 1}
    out = []
    for combo, ref in zip(combos, refs, strict=True):
        attr = _int(combo.get("id"))
        if not ref or ref == own_ref or ref in twice:
            ref = f"{base_ref}-{attr}"
        out.append((attr, ref, _combination_name(name, combo, cat, labels), combo.get("price"),
                    _str(combo.get("ean13")).strip()))
    return out


def _build_rows(cat: _Catalogue, preview: ArticlePreview, till_rates: set[int]) -> list[ShopArticle]:
    rows: list[ShopArticle] = []
    department_setting = _setting("prestashop.department")
    labels: dict[tuple[int, ...], str] = {}
    stock = cat.stock
    for pid in sorted(cat.products):
        p = cat.products[pid]
        name = _text(p.get("name"), cat.language) or f"PS {pid}"
        bp = cat.rates.get(_int(p.get("id_tax_rules_group")), 0)
        department = department_setting or cat.categories.get(_int(p.get("id_category_default")), "")
        active = _str(p.get("active")) == "1"
        date_upd = _str(p.get("date_upd"))
        base: int | None = None
        base_error = ""
        try:
            base = _micro(_str(p.get("price")) or "0")
        except ValueError as exc:
            base_error = str(exc)
        for attr, ref, label, impact, ean in _variants(pid, p, name, cat.combinations.get(pid), cat, labels):
            price, error = 0, ""
            try:
                if base is None:
                    raise InvalidValue(base_error)
                price = round_div((base + _micro(_str(impact) or "0")) * (BP_ONE + bp), BP_ONE * 10_000)
            except ValueError as exc:
                error = str(exc)
            if not error and bp not in till_rates:
                error = _("the till has no VAT rate of {rate} %: add it in Configuration > VAT rates").format(
                    rate=_format_rate(bp))
            if not error and price < 0:
                error = _("negative price")
            if not error and ean and not valid_ean13(ean):
                error = _("{code} is not a valid EAN-13").format(code=ean)
            if error:
                preview.errors.append(f"{_where(pid, attr, ref)}: {error}")
                preview.error_products.add(pid)
                continue
            rows.append(ShopArticle(pid, attr, ref, label, price, bp, department, ean, active,
                                    stock.get((pid, attr), 0), date_upd))
    return rows


# a pulled field -> its ownership name (setting prestashop.till_fields)
PULL_OWNER = {"name": "name", "price": "price", "vat": "price", "barcode": "ean", "department": "category",
              "stock": "stock", "active": "active"}


def _compare(rows: list[ShopArticle], cat: _Catalogue, preview: ArticlePreview) -> None:
    from pos.data import sync_articles as data

    links = data.links()
    linked = data.articles_by_id({links[r.key] for r in rows if r.key in links})
    by_ref = data.articles_by_reference(r.reference for r in rows)
    by_code = data.articles_by_barcode(r.barcode for r in rows if r.barcode)
    departments = data.department_names()
    keep_department = bool(_setting("prestashop.department"))
    owned = {p for p in _setting("prestashop.till_fields").split(",") if p}  # pos/sync/push.py
    from pos.data.sync_push import web_flags

    web = web_flags(sorted({a.id for a in linked.values()} | {a.id for a in by_ref.values()}))
    taken: dict[int, tuple[int, int]] = {}  # article id → the shop row it was matched to
    seen_refs: dict[str, tuple[int, int]] = {}
    seen_codes: dict[str, tuple[int, int]] = {}
    new_departments: set[str] = set()
    seen_keys: set[tuple[int, int]] = set()
    for row in rows:
        seen_keys.add(row.key)
        art = linked.get(links.get(row.key, -1))
        if art is None:
            for candidate in (by_ref.get(row.reference), by_code.get(row.barcode) if row.barcode else None):
                if candidate is not None and (candidate.link is None or candidate.link == row.key):
                    art = candidate
                    break
        error = ""
        if row.reference in seen_refs:
            error = _("the reference {reference} is also product {other}'s").format(
                reference=row.reference, other="/".join(map(str, seen_refs[row.reference])))
        elif row.barcode and row.barcode in seen_codes:
            error = _("the EAN-13 {code} is also product {other}'s").format(
                code=row.barcode, other="/".join(map(str, seen_codes[row.barcode])))
        else:
            owner = by_ref.get(row.reference)
            if owner is not None and (art is None or owner.id != art.id):
                error = _("the reference {reference} is already the till's article {name}").format(
                    reference=row.reference, name=owner.name)
            owner = by_code.get(row.barcode) if row.barcode else None
            if not error and owner is not None and (art is None or owner.id != art.id):
                error = _("the EAN-13 {code} is already the till's article {reference} {name}").format(
                    code=row.barcode, reference=owner.reference, name=owner.name)
            if not error and art is not None and art.id in taken:
                error = _("the till's article {reference} already matches product {other}").format(
                    reference=art.reference, other="/".join(map(str, taken[art.id])))
        seen_refs.setdefault(row.reference, row.key)
        if row.barcode:
            seen_codes.setdefault(row.barcode, row.key)
        if error:
            preview.errors.append(f"{_where(row.id_product, row.id_product_attribute, row.reference)}: {error}")
            preview.error_products.add(row.id_product)
            continue
        if art is None:
            preview.new.append(row)
            if row.department and row.department not in departments:
                new_departments.add(row.department)
            continue
        taken[art.id] = row.key
        fields: dict[str, tuple[Any, Any]] = {}
        old = {"reference": art.reference, "name": art.name, "price": art.price, "vat": art.vat_bp,
               "department": art.department, "active": art.active, "stock": art.stock}
        for name, new in row.values().items():
            if name == "barcode":
                if new and new not in art.barcodes:
                    fields["barcode"] = (art.barcodes[0] if art.barcodes else "", new)
            elif name == "department":
                if new and not keep_department and new != old["department"]:
                    fields["department"] = (old["department"], new)
                    if new not in departments:
                        new_departments.add(new)
            elif old[name] != new:
                fields[name] = (old[name], new)
        for name in [n for n in fields if PULL_OWNER.get(n) in owned  # the till's: never pulled
                     or (n == "active" and web.get(art.id))]:  # a published article: the shop's draft
            del fields[name]
        if art.link != row.key:
            fields["link"] = ("/".join(map(str, art.link)) if art.link else "", f"{row.key[0]}/{row.key[1]}")
        if fields:
            preview.changed.append(ArticleChange(art.id, row, fields))
        else:
            preview.unchanged += 1
    error_keys = preview.error_products
    for pid, attr, aid, reference, name in data.linked_active():
        gone = pid not in cat.shop_ids or (pid in cat.products and pid not in error_keys
                                           and (pid, attr) not in seen_keys)
        if gone and aid not in taken:
            preview.to_deactivate.append(Deactivation(aid, reference, name, pid, attr))
    preview.new_departments = sorted(new_departments)


# ---------------------------------------------------------------- apply
def apply(preview: ArticlePreview, *, add: bool, update: bool, delete: bool, user_name: str) -> dict[str, int]:
    """Apply the chosen actions in one transaction; returns the counts done ({} if none was chosen).

    ``delete`` deactivates the articles of products deleted in the shop (an article is never
    deleted: it may be on tickets).  The job's state moves with the apply, so the next delta run
    starts from this one; products not applied (errors, actions not chosen) are fetched again.
    """
    import peewee

    from pos.data import sync as sync_state
    from pos.data import sync_articles as data

    if not (add or update or delete):
        return {}
    new = preview.new if add else []
    changed = preview.changed if update else []
    retry = set(preview.error_products)
    if not add:
        retry |= {r.id_product for r in preview.new}
    if not update:
        retry |= {c.shop.id_product for c in preview.changed}
    state: dict[str, str] = {}
    if len(retry) <= RETRY_MAX:  # else the date stays: the next run fetches the same products again
        old_date = sync_state.get_state(STATE_DATE)
        new_date = (preview.date_upd or old_date) if preview.full else max(preview.date_upd, old_date)
        boundary = set(preview.boundary) if new_date == preview.date_upd else set()
        if new_date == old_date and not preview.full:
            boundary |= set(_get_list(sync_state.get_state(STATE_BOUNDARY)))
        state[STATE_DATE] = new_date
        state[STATE_BOUNDARY] = ",".join(map(str, sorted(boundary))) if len(boundary) <= BOUNDARY_MAX else ""
        state[STATE_RETRY] = ",".join(str(i) for i in sorted(retry))
    new_rows = [dict(r.values(), vat_bp=r.vat_bp, key=r.key, date_upd=r.date_upd) for r in new]
    updates = [{"article_id": c.article_id, "key": c.shop.key, "date_upd": c.shop.date_upd,
                "values": {k: v[1] for k, v in c.fields.items() if k != "link"},
                "old_barcode": c.fields.get("barcode", ("", ""))[0]} for c in changed]
    event = {"full": preview.full, "choices": {"add": add, "update": update, "delete": delete},
             "preview": preview.counts}
    try:
        with collector_paused():  # tens of thousands of rows built for the statements (see pull_preview)
            return data.apply_articles(new=new_rows, updates=updates,
                                       deactivate=[d.article_id for d in preview.to_deactivate] if delete else [],
                                       state=state, event=event, user_name=user_name)
    except peewee.IntegrityError as exc:
        raise Refusal(_("The till's articles changed since the preview, nothing was changed ({error}): "
                        "preview again").format(error=exc)) from None


# ---------------------------------------------------------------- CLI
def _one_line(text: str) -> str:
    return " ".join(str(text).split()) or _("unknown error")


def cli(client: PrestaShopClient, args: Any, actor: Actor, progress: Progress | None = None) -> dict[str, Any]:
    """``pos sync articles [--full] [--add] [--update] [--delete] [--dry-run]``: the preview's counts as
    ``key: value`` lines, then (with a choice and without --dry-run) the apply's.  Every run is a
    ``sync_run`` row.  Raises a ``Refusal`` (one line) on failure.  ``progress(stage, done, total)``:
    the CLI's bar (on a terminal only)."""
    check(actor, "sync")
    from pos.data import sync as sync_state

    add, update, delete = bool(args.add), bool(args.update), bool(args.delete)
    chosen = add or update or delete
    dry = bool(args.dry_run) or not chosen
    user = actor.name
    run_id = sync_state.start_run(KIND, user, dry)
    counts: dict[str, Any] = {}
    try:
        preview = pull_preview(client, full=bool(getattr(args, "full", False)), progress=progress)
        counts = preview.summary()
        for key, value in counts.items():
            print(f"{key}: {value}")
        if preview.new_departments:
            print("new_departments: " + "|".join(preview.new_departments))
        for line in preview.errors[:200]:
            print(f"error: {line}", file=sys.stderr)
        if not chosen:
            print(_("preview only: choose --add, --update and/or --delete to apply"))
        elif args.dry_run:
            print(_("dry run: nothing was changed"))
        else:
            done = apply(preview, add=add, update=update, delete=delete, user_name=user)
            for key in ("added", "updated", "deactivated", "departments_created"):
                print(f"{key}: {done.get(key, 0)}")
            counts.update(done)
    except (PrestaShopError, Refusal, Cancelled, OSError) as exc:
        message = _one_line(str(exc))
        sync_state.finish_run(run_id, "failed", counts, message)
        raise Refusal(message) from None
    except BaseException as exc:
        sync_state.finish_run(run_id, "failed", counts, _one_line(repr(exc)))
        raise
    sync_state.finish_run(run_id, "done", counts, "\n".join(preview.errors[:50]))
    return counts
