"""Till -> shop, per article ("publier sur le web"): ``pos sync push``.

**Which articles.** Those flagged *web* (``set_web``: the article page, the CSV column ``web``, or
``pos sync web REF``).  Articles sold by weight are not published (PrestaShop sells whole units).

**A new product** (the article has no link yet) gets: its reference, EAN-13 (the article's first
13-digit barcode), name in every language of the shop, price excluding VAT with the tax rule group
of its VAT rate (the first active group whose rule for the shop's country has that rate: 20, 10,
5.5, 2.1 %), its department as category (found by name in any language, created under the home
category if missing), its stock and active state.  New products start inactive unless the setting
``prestashop.new_inactive`` is 0.

**After creation** only the fields the till owns (setting ``prestashop.till_fields``: name, price,
ean, category, stock, active) are sent, and only when they changed since the last push: a push never
overwrites a field the shop owns, and a pull (``pos/sync/articles.py``, ``--full`` included) never
overwrites a field the till owns.

**Checked.** A created product, and a product whose price was sent, is read back with PrestaShop's
own price incl. VAT (``price[final_wt]``), which must equal the till's to the cent; a difference is
reported as a conflict.  Each article's result is recorded (its link, what was sent) in its own
transaction right after the shop answered, so a run stopped half-way goes on with the others.

No Kivy, no SQL: the SQL is in ``pos/data/sync_push.py``.
"""

from __future__ import annotations

import argparse
import re
import unicodedata
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pos.core import settings
from pos.core.actions import change
from pos.core.errors import Cancelled, InvalidValue, Refusal
from pos.core.i18n import _
from pos.core.permissions import Actor, check
from pos.data import catalog
from pos.data import sync as data_sync
from pos.data import sync_push as data
from pos.sync.client import PrestaShopClient, filter_in
from pos.sync.runs import logged_run

KIND = "push"
COUNTS = ("articles", "created", "updated", "unchanged", "weighed", "combinations", "conflicts", "errors")
Progress = Callable[[int, int], None]


def till_fields() -> set[str]:
    """The fields the till owns (``prestashop.till_fields``)."""
    return {p for p in (settings.get("prestashop.till_fields") or "").split(",") if p}


def set_web(actor: Actor, article_id: int, web: bool) -> None:
    """Flag an article for the web shop (or not): checked, written and journaled in one transaction."""
    article = catalog.get_article(article_id)
    if article is None:
        raise InvalidValue(_("No such article: {id}").format(id=article_id))
    with change(actor, "catalog", "article_web", id=article_id, reference=article.reference, web=bool(web)):
        data.set_web_flag(article_id, web)


def slug(text: str) -> str:
    """PrestaShop's ``link_rewrite``: lower-case ASCII letters, digits and dashes."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "article"


def price_excl(price_cents: int, vat_bp: int) -> str:
    """The shop's price excl. VAT (6 decimals) for a till price incl. VAT."""
    value = Decimal(price_cents) / 100 / (1 + Decimal(vat_bp) / 10000)
    return str(value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP))


def cents(text: Any) -> int:
    return int((Decimal(str(text or "0")) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


class ShopRefs:
    """What the push needs to know about the shop: languages, tax groups by rate, categories by name."""

    def __init__(self, client: PrestaShopClient) -> None:
        self.client = client
        self.languages = [int(r["id"]) for r in client.list("languages", display_=["id"], sort="[id_ASC]")]
        conf = client.configuration(["PS_COUNTRY_DEFAULT", "PS_HOME_CATEGORY"])
        self.home = int(conf.get("PS_HOME_CATEGORY") or 2)
        country = conf.get("PS_COUNTRY_DEFAULT") or "8"
        active = {int(r["id"]) for r in client.list("tax_rule_groups", display_=["id", "active", "deleted"])
                  if str(r.get("active")) == "1" and str(r.get("deleted") or "0") == "0"}
        rates = {int(r["id"]): cents(r.get("rate")) for r in client.list("taxes", display_=["id", "rate"])}
        self.groups: dict[int, int] = {}  # VAT in basis points -> tax rule group
        rules = client.list("tax_rules", display_=["id", "id_tax_rules_group", "id_state", "id_tax"],
                            filters={"id_country": filter_in([country])})
        for rule in sorted(rules, key=lambda r: int(r.get("id_tax_rules_group") or 0)):
            group = int(rule.get("id_tax_rules_group") or 0)
            if str(rule.get("id_state") or "0") == "0" and group in active:
                self.groups.setdefault(rates.get(int(rule.get("id_tax") or 0), -1), group)
        self.categories: dict[str, int] = {}
        for row in client.iter_all("categories", display_=["id", "name"], page_size=1000):
            names = row.get("name")
            for name in (names.values() if isinstance(names, dict) else [names]):
                if name:
                    self.categories.setdefault(str(name).casefold(), int(row["id"]))

    def i18n(self, text: str) -> dict[str, str]:
        return {str(lang): text for lang in self.languages}

    def group(self, vat_bp: int) -> int:
        if vat_bp not in self.groups:
            raise Refusal(_("no tax rule group of the shop charges {rate} %").format(rate=f"{vat_bp / 100:g}"))
        return self.groups[vat_bp]

    def category(self, department: str) -> int:
        """The category named like the department, created under the home category if missing."""
        if not department.strip():
            return self.home
        key = department.strip().casefold()
        if key not in self.categories:
            rec = self.client.create("categories", {
                "name": self.i18n(department.strip()), "link_rewrite": self.i18n(slug(department)),
                "id_parent": str(self.home), "active": "1"})
            self.categories[key] = int(rec["id"])
        return self.categories[key]


def values_of(article: dict[str, Any]) -> dict[str, Any]:
    """The fields the push compares, by their ownership names."""
    return {"name": article["name"], "price": [article["price"], article["vat_bp"]], "ean": article["ean13"],
            "category": article["department"], "stock": article["stock"] // 1000, "active": article["active"]}


def push_articles(client: PrestaShopClient, *, dry_run: bool = False, progress: Progress | None = None,
                  cancel: Callable[[], bool] | None = None, user_name: str = "") -> dict[str, Any]:
    """Create or update the web articles' products (module docstring).  Returns ``status``, ``error``,
    the counts (``COUNTS``), ``conflict_list`` ([{reference, text}]), ``products`` ({article id:
    id_product} created or updated), ``dry_run`` and ``run_id``."""
    run_id = data_sync.start_run(KIND, user_name, dry_run)
    result: dict[str, Any] = {"status": "running", "error": "", "dry_run": dry_run, "conflict_list": [],
                              "products": {}, "run_id": run_id, **{k: 0 for k in COUNTS}}
    job = _Job(client, result, dry_run, progress, cancel)
    return logged_run(result, job.run, lambda r: {k: r[k] for k in COUNTS})


class _Job:
    def __init__(self, client: PrestaShopClient, result: dict[str, Any], dry_run: bool,
                 progress: Progress | None, cancel: Callable[[], bool] | None) -> None:
        self.client, self.result, self.dry_run = client, result, dry_run
        self.progress, self.cancel = progress, cancel
        self.owned = till_fields()
        self.inactive = settings.get("prestashop.new_inactive") != "0"
        self._refs: ShopRefs | None = None

    @property
    def refs(self) -> ShopRefs:
        if self._refs is None:
            self._refs = ShopRefs(self.client)
        return self._refs

    def run(self) -> None:
        from pos.sync.endofday import unpushed_units

        articles = data.web_articles()
        # the shop's stock is set to the till's plus the sales the stock push has still to subtract:
        # once it has, both sides agree (without this, those sales would be counted twice)
        self.unpushed = unpushed_units({a["article_id"] for a in articles})
        self.result["articles"] = len(articles)
        if self.progress:
            self.progress(0, len(articles))
        for n, article in enumerate(articles, start=1):
            if self.cancel is not None and self.cancel():
                raise Cancelled
            if article["by_weight"]:
                self.result["weighed"] += 1
            elif article["link"] is None:
                self._create(article)
            elif article["link"][1] != 0:
                self.result["combinations"] += 1  # a combination pulled from the shop: the shop's to edit
            else:
                self._update(article)
            if self.progress:
                self.progress(n, len(articles))

    def _conflict(self, article: dict[str, Any], text: str) -> None:
        self.result["conflicts"] += 1
        self.result["conflict_list"].append({"reference": article["reference"], "text": text})

    def _create(self, article: dict[str, Any]) -> None:
        refs = self.refs
        if self.dry_run:
            refs.group(article["vat_bp"])
            self.result["created"] += 1
            return
        name = article["name"]
        body: dict[str, Any] = {
            "reference": article["reference"], "name": refs.i18n(name), "link_rewrite": refs.i18n(slug(name)),
            "price": price_excl(article["price"], article["vat_bp"]),
            "id_tax_rules_group": str(refs.group(article["vat_bp"])),
            "id_category_default": str(refs.category(article["department"])),
            "active": "0" if self.inactive or not article["active"] else "1", "state": "1",
            "associations": {"categories": [{"id": str(refs.category(article["department"]))}]}}
        if article["ean13"]:
            body["ean13"] = article["ean13"]
        echo = self.client.create("products", body)
        pid = int(echo["id"])
        self._set_stock(pid, echo, article["stock"] // 1000 + self.unpushed.get(article["article_id"], 0))
        date_upd = self._check_price(article, pid)
        data.record_push(article["article_id"], values_of(article), (pid, 0), date_upd)
        self.result["created"] += 1
        self.result["products"][article["article_id"]] = pid

    def _update(self, article: dict[str, Any]) -> None:
        pid = article["link"][0]
        now, before = values_of(article), article["pushed"]
        send = {f for f in self.owned if now[f] != before.get(f)}
        if not send:
            self.result["unchanged"] += 1
            return
        if self.dry_run:
            self.result["updated"] += 1
            return
        refs = self.refs
        changes: dict[str, Any] = {}
        if "name" in send:
            changes["name"] = refs.i18n(article["name"])
        if "price" in send:
            changes["price"] = price_excl(article["price"], article["vat_bp"])
            changes["id_tax_rules_group"] = str(refs.group(article["vat_bp"]))
        if "ean" in send:
            changes["ean13"] = article["ean13"]
        if "category" in send:  # the default category moves; the shop's other categories are kept
            changes["id_category_default"] = str(refs.category(article["department"]))
        if "active" in send:
            changes["active"] = "1" if article["active"] else "0"
        if changes:
            self.client.update("products", pid, changes)
        if "stock" in send:
            self._set_stock(pid, None, now["stock"] + self.unpushed.get(article["article_id"], 0))
        date_upd = self._check_price(article, pid) if "price" in send else ""
        pushed = dict(before)
        pushed.update({f: now[f] for f in send})
        data.record_push(article["article_id"], pushed, None, date_upd)
        self.result["updated"] += 1
        self.result["products"][article["article_id"]] = pid

    def _set_stock(self, pid: int, echo: dict[str, Any] | None, quantity: int) -> None:
        rows = [r for r in (echo or {}).get("associations", {}).get("stock_availables", [])
                if str(r.get("id_product_attribute")) == "0"]
        if rows:
            id_stock = rows[0]["id"]
        else:
            found = self.client.list("stock_availables", display_=["id"],
                                     filters={"id_product": filter_in([pid]), "id_product_attribute": "[0]"})
            if not found:
                raise Refusal(_("product {id} has no stock row on the shop").format(id=pid))
            id_stock = found[0]["id"]
        self.client.update("stock_availables", id_stock, {"quantity": str(quantity)})

    def _check_price(self, article: dict[str, Any], pid: int) -> str:
        """Read the product back: PrestaShop's price incl. VAT must be the till's to the cent."""
        back = self.client.get("products", pid, display_=["id", "price", "date_upd", "final_wt"],
                               params={"price[final_wt][use_tax]": "1"})
        shop = cents(back.get("final_wt"))
        if shop != article["price"]:
            self._conflict(article, _("the shop sells it {shop} incl. VAT, the till {till}").format(
                shop=f"{shop / 100:.2f}", till=f"{article['price'] / 100:.2f}"))
        return str(back.get("date_upd") or "")


def format_result(result: dict[str, Any]) -> list[str]:
    lines = [f"dry_run: {'yes' if result['dry_run'] else 'no'}"]
    lines += [f"{key}: {result[key]}" for key in COUNTS if key != "errors"]
    lines += [f"conflict.{c['reference']}: {c['text']}" for c in result["conflict_list"]]
    return lines


def cli(client: PrestaShopClient, args: argparse.Namespace, actor: Actor,
        progress: Progress | None = None) -> dict[str, Any]:
    """``pos sync push [--dry-run]``: print ``key: value`` lines; a ``Refusal`` when it stopped."""
    check(actor, "sync")
    result = push_articles(client, dry_run=bool(getattr(args, "dry_run", False)), user_name=actor.name,
                           progress=(lambda n, total: progress("push", n, total)) if progress else None)
    if result["status"] != "done":
        raise Refusal(_("article push stopped ({done} done): {error}; run it again to go on").format(
            done=result["created"] + result["updated"], error=result["error"] or result["status"]))
    for line in format_result(result):
        print(line)
    return result
