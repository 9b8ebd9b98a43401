"""Changes to the catalogue: articles, custom fields, departments and customers.

Each function is one action: it takes who acts, checks the permission, validates
(``pos.data`` raises ``CatalogError``, a refusal) and writes and journals in ONE
transaction.  The config pages, the sale screen and the CLI call these.
"""

from __future__ import annotations

from typing import Any

from pos.core.actions import change
from pos.core.i18n import _
from pos.core.permissions import Actor
from pos.data import catalog as catalog_db
from pos.data import customers as customers_db
from pos.data import shop as shop_db
from pos.data import stock as stock_db
from pos.data.catalog import ArticleDetail
from pos.data.common import CatalogError

# what an "article_changed" event lists when it differs
_ARTICLE_FIELDS = ("reference", "name", "price", "vat_bp", "department_id", "cost", "stock", "by_weight",
                   "free_price", "favourite", "active", "barcodes", "net_qty", "net_unit", "low_stock")


def save_article(actor: Actor, new: ArticleDetail) -> int:
    """Create (``new.id`` is None) or update an article; returns its id."""
    old = catalog_db.article_detail(new.id) if new.id is not None else None
    if new.id is not None and old is None:
        raise CatalogError(_("This article no longer exists"))
    about = f"article {new.reference}"  # a stock typed on the article page is a manual movement
    if old is None:
        with change(actor, "catalog", "article_created", reference=new.reference) as event, \
                stock_db.moving("manual", actor.name, about):
            event["id"] = catalog_db.save_article(new)
            return event["id"]
    fields = sorted(k for k in _ARTICLE_FIELDS if getattr(old, k) != getattr(new, k))
    with change(actor, "catalog", "article_changed", id=new.id, reference=new.reference, fields=fields,
                price=new.price, old_price=old.price), stock_db.moving("manual", actor.name, about):
        return catalog_db.save_article(new)


def set_article_active(actor: Actor, article_id: int, active: bool) -> None:
    article = _article(article_id)
    with change(actor, "catalog", "article_changed", id=article_id, reference=article.reference,
                active=bool(active)):
        catalog_db.set_article_active(article_id, bool(active))


def delete_article(actor: Actor, article_id: int) -> None:
    """Delete an article never sold (one on a ticket is deactivated instead: ``CatalogError``)."""
    article = _article(article_id)
    with change(actor, "catalog", "article_deleted", id=article_id, reference=article.reference,
                name=article.name):
        catalog_db.delete_article(article_id)


def _article(article_id: int) -> ArticleDetail:
    article = catalog_db.article_detail(article_id)
    if article is None:
        raise CatalogError(_("This article no longer exists"))
    return article


def define_custom_field(actor: Actor, key: str, label: str, kind: str = "text") -> None:
    key, label = key.strip().lower(), label.strip()
    with change(actor, "catalog", "custom_field_added", key=key, label=label, field_kind=kind):
        catalog_db.define_custom_field(key, label, kind)


def save_department(actor: Actor, name: str, *, department_id: int | None = None, colour: str = "#546E7A",
                    vat_bp: int | None = None, position: int | None = None, active: bool = True) -> int:
    """Create or update a department; returns its id."""
    old = next((d for d in shop_db.departments(include_inactive=True) if d.id == department_id), None)
    if department_id is not None and old is None:
        raise CatalogError(_("This department no longer exists"))
    kind = "department_created" if department_id is None else "department_changed"
    with change(actor, "catalog", kind, name=name.strip(), old_name=old.name if old else "", colour=colour,
                vat_bp=vat_bp, active=bool(active)) as event:
        event["id"] = shop_db.save_department(name, department_id=department_id, colour=colour, vat_bp=vat_bp,
                                              position=position, active=bool(active))
        return event["id"]


def save_customer(actor: Actor, values: dict[str, Any], customer_id: int | None = None) -> int:
    """Create (``customer_id`` None) or update a customer; returns its id.  Cashiers may do it."""
    old = customers_db.get_customer(customer_id) if customer_id is not None else None
    if customer_id is not None and old is None:
        raise CatalogError(_("This customer no longer exists"))

    def differs(key: str) -> bool:
        if old is None:
            return True
        if key == "active":
            return bool(old[key]) != bool(values[key])
        return (old.get(key) or "") != str(values[key] or "").strip()

    name = str(values.get("name", old["name"] if old else "") or "").strip()
    fields = sorted(k for k in values if differs(k))
    kind = "customer_created" if old is None else "customer_changed"
    data: dict[str, Any] = {"name": name, "fields": fields}
    if set(values) == {"active"}:  # (de)activation: the event says which
        data = {"name": name, "active": bool(values["active"])}
    with change(actor, "customer_edit", kind, **data) as event:
        event["id"] = customers_db.save_customer(values, customer_id)
        return event["id"]
