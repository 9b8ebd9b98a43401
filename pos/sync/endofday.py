"""The end-of-day sync ("Synchroniser"): pull articles (delta), push the web articles, import web
orders, push stock.

``run_all(client)`` runs the jobs in that order, each one resumable on its own (the article push,
``pos.sync.push``, runs when the till owns a field or publishes articles, else it is *skipped*):

1. **articles**: ``articles.pull_preview`` (delta) then ``articles.apply`` with add, update and
   delete (deactivate).  Rows in error are skipped and reported (``errors``, ``error_list``);
   they never block the other steps.
2. **orders**: ``pos.sync.orders.import_orders`` when that module exists (else *skipped*).
3. **stock**: ``stock.push_stock``; when ``prestashop.mode`` is ``orders``,
   ``push_orders.push_orders`` instead (the POS sales reach the shop as orders, which decrement its
   stock themselves: no stock push then).

A failing step stops the run (the following steps are *skipped*); running again resumes,
since every job keeps its own state.  ``cancel`` is checked between the steps and inside them.

**Stock reconciliation.**  The article pull copies the shop's stock into the till, but the POS
sales not yet pushed are not in the shop's figure yet, while the push that follows subtracts
them from the shop.  So before applying the pull, the stock of each changed article is lowered
by what the push is about to subtract (``unpushed_units``): after the run, the till's stock of a
linked article equals the shop's value once the push has written it.

A ``sync_run`` row of kind ``all`` records the whole run (its counts are ``<step>.<key>``).
No Kivy here.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import Any

from pos.core.errors import Cancelled, Refusal
from pos.core.i18n import _
from pos.core.money import round_div
from pos.core.permissions import Actor, check
from pos.sync.client import PrestaShopClient
from pos.sync.errors import PrestaShopError

KIND = "all"
STEPS = ("articles", "push", "orders", "stock")
ERRORS_KEPT = 50

# progress(step, stage, done, total): the step running, its stage ("products", "stock"...), how far
Progress = Callable[[str, str, int, "int | None"], None]
Cancel = Callable[[], bool] | threading.Event | None


class _Stop(Exception):
    """A step failed or was cancelled: the run stops here."""


def _cancel_fn(cancel: Cancel) -> Callable[[], bool]:
    if cancel is None:
        return lambda: False
    if isinstance(cancel, threading.Event):
        return cancel.is_set
    return cancel


def _one_line(text: Any) -> str:
    return " ".join(str(text).split()) or _("unknown error")


def _scalars(values: dict[str, Any]) -> dict[str, Any]:
    """The counts worth printing and logging: numbers, texts, booleans (no lists)."""
    return {k: v for k, v in values.items() if isinstance(v, (int, str, bool)) or v is None}


# ---------------------------------------------------------------- stock reconciliation
def unpushed_units(article_ids: set[int]) -> dict[int, int]:
    """What the coming stock push will subtract from the shop, per article (whole units).

    The pending batch's articles not yet written, plus the POS tickets after the batch (or after the
    last pushed ticket), counted as ``stock.split_deltas`` counts them, for the articles of
    ``article_ids`` (about to be linked by the pull, if not already).  Nothing before the first
    pull (the first pull declares the shop's stock right as of the last ticket).
    """
    from pos.core import settings
    from pos.data import sync as sync_state
    from pos.data import sync_stock as data

    if not article_ids or settings.get("prestashop.mode") == "orders":
        return {}
    if sync_state.get_state("stock.last_ticket") == "":
        return {}
    out: dict[int, int] = {}
    pending = data.pending_batch()
    if pending is not None:
        for item in data.batch_items():
            if item["article_id"] in article_ids and item["state"] in ("pending", "writing"):  # not yet done
                out[item["article_id"]] = out.get(item["article_id"], 0) + int(item["delta"])
        after = int(pending["last"])
    else:
        after = data.last_pushed_ticket()
    upto = data.last_ticket_number()
    if upto > after:
        for row in data.deltas(after, upto):
            if row["article_id"] not in article_ids or row["by_weight"]:
                continue
            units = round_div(row["qty"], 1000)
            if units:
                out[row["article_id"]] = out.get(row["article_id"], 0) + units
    return out


def reconcile_stock(preview: Any) -> int:
    """Lower the pulled stock of the changed articles by their unpushed POS sales; returns how many."""
    changes = {c.article_id: c for c in preview.changed}
    units = unpushed_units(set(changes))
    adjusted = 0
    for aid, n in units.items():
        change = changes[aid]
        old = change.fields["stock"][0] if "stock" in change.fields else None
        target = change.shop.stock - n * 1000
        change.shop.stock = target
        if old is None:
            continue  # the till's stock was not going to change: it already holds its own sales
        if target == old:
            del change.fields["stock"]
        else:
            change.fields["stock"] = (old, target)
        adjusted += 1
    return adjusted


# ---------------------------------------------------------------- the steps
def _step_articles(client: PrestaShopClient, step: dict[str, Any], progress: Progress | None,
                   cancelled: Callable[[], bool], user_name: str, dry_run: bool) -> None:
    from pos.data import sync as sync_state
    from pos.sync import articles

    def report(stage: str, done: int, total: int | None) -> None:
        if progress is not None:
            progress("articles", stage, done, total)

    run_id = sync_state.start_run(articles.KIND, user_name, dry_run)
    counts: dict[str, Any] = {}
    try:
        preview = articles.pull_preview(client, full=False, progress=report, cancel=cancelled)
        counts = preview.summary()
        step["error_list"] = list(preview.errors[:ERRORS_KEPT])
        if cancelled():
            raise Cancelled(_("Synchronisation cancelled: nothing was changed."))
        if not dry_run:
            counts["stock_reconciled"] = reconcile_stock(preview)
            counts.update(articles.apply(preview, add=True, update=True, delete=True, user_name=user_name))
    except Cancelled as exc:
        sync_state.finish_run(run_id, "cancelled", counts, _one_line(exc))
        step.update(status="cancelled", counts=counts, error=_one_line(exc))
        raise _Stop from None
    except (PrestaShopError, Refusal, ValueError, OSError) as exc:
        sync_state.finish_run(run_id, "failed", counts, _one_line(exc))
        step.update(status="failed", counts=counts, error=_one_line(exc))
        raise _Stop from None
    sync_state.finish_run(run_id, "done", counts, "\n".join(preview.errors[:ERRORS_KEPT]))
    step.update(status="done", counts=counts)


def _step_orders(client: PrestaShopClient, step: dict[str, Any], progress: Progress | None,
                 cancelled: Callable[[], bool], user_name: str, dry_run: bool) -> None:
    try:
        module = importlib.import_module("pos.sync.orders")
    except ModuleNotFoundError as exc:
        if exc.name != "pos.sync.orders":
            raise
        step.update(status="skipped", error=_("web orders are not available in this version"))
        return
    import_orders = getattr(module, "import_orders", None)
    if import_orders is None:
        step.update(status="skipped", error=_("web orders are not available in this version"))
        return

    def report(*args: Any) -> None:  # (done, total) or (stage, done, total)
        if progress is None:
            return
        if len(args) >= 3:
            progress("orders", str(args[0]), int(args[1]), args[2])
        elif len(args) == 2:
            progress("orders", "orders", int(args[0]), args[1])

    try:
        result = import_orders(client, dry_run=dry_run, progress=report, cancel=cancelled, user_name=user_name)
    except (PrestaShopError, Refusal, ValueError, OSError) as exc:
        step.update(status="failed", error=_one_line(exc))
        raise _Stop from None
    result = result if isinstance(result, dict) else {}
    status = str(result.get("status") or "done")
    step["counts"] = _scalars({k: v for k, v in result.items() if k not in ("status", "error", "run_id")})
    step["error_list"] = [str(e) for e in (result.get("error_list") or result.get("errors_list") or [])][:ERRORS_KEPT]
    if status != "done":
        step.update(status="cancelled" if status == "cancelled" else "failed",
                    error=_one_line(result.get("error") or status))
        raise _Stop
    step["status"] = "done"


def _run_step(step: dict[str, Any], call: Callable[[], dict[str, Any]], counts: Callable[[dict[str, Any]], dict],
              errors: Callable[[dict[str, Any]], list[str]]) -> dict[str, Any]:
    """Run one job: its counts and error list in ``step``; a failure or a cancel stops the run."""
    try:
        result = call()
    except (PrestaShopError, Refusal, ValueError, OSError) as exc:
        step.update(status="failed", error=_one_line(exc))
        raise _Stop from None
    step["counts"] = _scalars(counts(result))
    step["error_list"] = errors(result)[:ERRORS_KEPT]
    if result["status"] != "done":
        step.update(status=result["status"] if result["status"] == "cancelled" else "failed",
                    error=_one_line(result["error"] or result["status"]))
        raise _Stop
    return result


def _step_stock(client: PrestaShopClient, step: dict[str, Any], progress: Progress | None,
                cancelled: Callable[[], bool], user_name: str, dry_run: bool) -> None:
    from pos.core import settings
    from pos.sync import stock

    if settings.get("prestashop.mode") == "orders":
        _step_push_orders(client, step, progress, cancelled, user_name, dry_run)
        return

    def report(done: int, total: int) -> None:
        if progress is not None:
            progress("stock", "articles", done, total)

    _run_step(step, lambda: stock.push_stock(client, dry_run=dry_run, progress=report, cancel=cancelled,
                                             user_name=user_name),
              lambda r: {k: r[k] for k in (*stock.COUNTS, "first_ticket", "last_ticket", "resumed")},
              lambda r: [f"{c['reference']}: {c['text']}" for c in r.get("conflict_list", [])])
    if not dry_run:  # the till's stock of linked articles becomes the shop's (web orders, back office)
        try:
            step["counts"]["till_stock_refreshed"] = stock.refresh_till_stock(client)
        except PrestaShopError as exc:
            step.update(status="failed", error=_one_line(exc))
            raise _Stop from None
    step["status"] = "done"


def _step_push_orders(client: PrestaShopClient, step: dict[str, Any], progress: Progress | None,
                      cancelled: Callable[[], bool], user_name: str, dry_run: bool) -> None:
    """The stock step in orders mode: the POS sales are sent as orders (which decrement the shop's stock)."""
    from pos.sync import push_orders

    def report(done: int, total: int) -> None:
        if progress is not None:
            progress("stock", "orders", done, total)

    _run_step(step, lambda: push_orders.push_orders(client, dry_run=dry_run, progress=report, cancel=cancelled,
                                                    user_name=user_name),
              lambda r: {"mode": "orders", **{k: r[k] for k in (*push_orders.COUNTS, "first_ticket", "last_ticket")}},
              lambda r: [f"{m['ticket']}: {m['text']}" for m in r.get("mismatch_list", [])])
    step["status"] = "done"


def _step_push(client: PrestaShopClient, step: dict[str, Any], progress: Progress | None,
               cancelled: Callable[[], bool], user_name: str, dry_run: bool) -> None:
    """The till's web articles to the shop (``pos.sync.push``), when the till owns a field or publishes
    articles; else *skipped*."""
    from pos.data import sync_push
    from pos.sync import push

    if not push.till_fields() and not sync_push.count_web():
        step.update(status="skipped", error=_("no article published from the till"))
        return

    def report(done: int, total: int) -> None:
        if progress is not None:
            progress("push", "articles", done, total)

    _run_step(step, lambda: push.push_articles(client, dry_run=dry_run, progress=report, cancel=cancelled,
                                               user_name=user_name),
              lambda r: {k: r[k] for k in push.COUNTS},
              lambda r: [f"{c['reference']}: {c['text']}" for c in r["conflict_list"]])
    step["status"] = "done"


_RUNNERS = {"articles": _step_articles, "push": _step_push, "orders": _step_orders, "stock": _step_stock}


def run_all(client: PrestaShopClient, *, progress: Progress | None = None, cancel: Cancel = None,
            user_name: str = "", dry_run: bool = False) -> dict[str, Any]:
    """The run: pull articles (delta), import web orders, push stock (see the module docstring).

    Returns ``status`` (done | failed | cancelled), ``error`` (one line: the failing step's),
    ``run_id`` and ``steps``: name → ``status`` (done | failed | cancelled | skipped | pending),
    ``counts``, ``error`` and ``error_list`` (rows skipped, conflicts).  Never raises for a
    shop or network error: the step is *failed*.
    """
    from pos.data import sync as sync_state

    cancelled = _cancel_fn(cancel)
    run_id = sync_state.start_run(KIND, user_name, dry_run)
    steps: dict[str, dict[str, Any]] = {name: {"status": "pending", "counts": {}, "error": "", "error_list": []}
                                        for name in STEPS}
    result: dict[str, Any] = {"status": "running", "error": "", "run_id": run_id, "dry_run": dry_run,
                              "steps": steps}
    try:
        for name in STEPS:
            if cancelled():
                steps[name].update(status="cancelled", error=_("cancelled"))
                result.update(status="cancelled", error=_("Synchronisation cancelled"))
                break
            if progress is not None:
                progress(name, "", 0, None)
            try:
                _RUNNERS[name](client, steps[name], progress, cancelled, user_name, dry_run)
            except _Stop:
                status = steps[name]["status"]
                result.update(status=status, error=f"{name}: {steps[name]['error']}")
                break
        else:
            result["status"] = "done"
        for name in STEPS:
            if steps[name]["status"] == "pending":
                steps[name].update(status="skipped",
                                   error=_("not run: the run stopped at an earlier step"))
    except BaseException as exc:
        sync_state.finish_run(run_id, "failed", summary(result), _one_line(repr(exc)))
        raise
    sync_state.finish_run(run_id, result["status"], summary(result), result["error"])
    return result


def summary(result: dict[str, Any]) -> dict[str, Any]:
    """The run's counts as flat ``step.<name>`` and ``<name>.<key>`` entries (the log, the CLI)."""
    out: dict[str, Any] = {}
    for name in STEPS:
        step = result["steps"][name]
        out[f"step.{name}"] = step["status"]
        for key, value in _scalars(step["counts"]).items():
            out[f"{name}.{key}"] = value
    return out


def format_result(result: dict[str, Any]) -> list[str]:
    """The stable ``key: value`` lines of a run: per step its status, then its counts."""
    lines = []
    for name in STEPS:
        step = result["steps"][name]
        lines.append(f"step.{name}: {step['status']}")
        for key, value in _scalars(step["counts"]).items():
            if isinstance(value, bool):
                value = "yes" if value else "no"
            lines.append(f"{name}.{key}: {'' if value is None else value}")
    return lines


def cli(client: PrestaShopClient, args: Any, actor: Actor, progress: Progress | None = None) -> dict[str, Any]:
    """``pos sync all [--dry-run]``: the three steps; a ``Refusal`` (one line) if one failed."""
    check(actor, "sync")
    import sys

    result = run_all(client, dry_run=bool(getattr(args, "dry_run", False)), user_name=actor.name, progress=progress)
    for line in format_result(result):
        print(line)
    for name in STEPS:
        for text in result["steps"][name]["error_list"]:
            print(f"error.{name}: {_one_line(text)}", file=sys.stderr)
    if result["status"] != "done":
        raise Refusal(_("the sync stopped ({error}); run it again to resume").format(error=result["error"]))
    return result
