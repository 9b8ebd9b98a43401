"""The SQL of the PrestaShop sync: links, runs, the web order ledger, the sync state."""

from __future__ import annotations

import json
from typing import Any

from pos.data.common import now_iso
from pos.data.models import PsLink, PsOrder, Setting, SyncRun, database

STATE_PREFIX = "sync.state."  # hidden settings: where each job stopped (last date_upd, last ticket pushed...)


# ---------------------------------------------------------------- state
def get_state(name: str, default: str = "") -> str:
    row = Setting.get_or_none(Setting.key == STATE_PREFIX + name)
    return row.value if row else default


def set_state(name: str, value: str) -> None:
    """Inside the job's transaction, so that a state only moves with what it stands for."""
    Setting.insert(key=STATE_PREFIX + name, value=value).on_conflict_replace().execute()


# ---------------------------------------------------------------- links
def links() -> dict[tuple[int, int], dict[str, Any]]:
    """(id_product, id_product_attribute) → {"article_id", "date_upd"}."""
    return {(r.id_product, r.id_product_attribute): {"article_id": r.article_id, "date_upd": r.date_upd}
            for r in PsLink.select()}


def link_of_article(article_id: int) -> tuple[int, int] | None:
    r = PsLink.get_or_none(PsLink.article == article_id)
    return (r.id_product, r.id_product_attribute) if r else None


def set_link(article_id: int, id_product: int, id_product_attribute: int, date_upd: str) -> None:
    PsLink.insert(article=article_id, id_product=id_product, id_product_attribute=id_product_attribute,
                  date_upd=date_upd).on_conflict(
        conflict_target=[PsLink.id_product, PsLink.id_product_attribute],
        update={PsLink.article: article_id, PsLink.date_upd: date_upd}).execute()


def linked_products() -> set[int]:
    return {r[0] for r in database.execute_sql("SELECT DISTINCT id_product FROM ps_link")}


# ---------------------------------------------------------------- runs (the sync log)
def start_run(kind: str, user_name: str, dry_run: bool) -> int:
    return SyncRun.create(kind=kind, started_at=now_iso(), status="running", dry_run=dry_run,
                          user_name=user_name, counts="{}", error="").id


def finish_run(run_id: int, status: str, counts: dict[str, Any], error: str = "") -> None:
    SyncRun.update(finished_at=now_iso(), status=status, counts=json.dumps(counts, sort_keys=True),
                   error=error).where(SyncRun.id == run_id).execute()


def runs(limit: int = 100) -> list[dict[str, Any]]:
    out = []
    for r in SyncRun.select().order_by(SyncRun.id.desc()).limit(limit).dicts():
        out.append(dict(r, counts=json.loads(r["counts"] or "{}"), dry_run=bool(r["dry_run"])))
    return out


# ---------------------------------------------------------------- web order ledger
def imported_orders() -> set[int]:
    return {r[0] for r in database.execute_sql("SELECT id_order FROM ps_order")}


def record_order(id_order: int, reference: str, ticket_number: int | None) -> None:
    PsOrder.create(id_order=id_order, reference=reference, ticket_number=ticket_number, imported_at=now_iso())


def reset_orders(ids: list[int] | None) -> int:
    """Forget imported orders (``None``: all of them) so that they are imported again."""
    query = PsOrder.delete()
    if ids is not None:
        query = query.where(PsOrder.id_order.in_(ids))
    return query.execute()
