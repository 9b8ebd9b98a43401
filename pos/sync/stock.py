"""The stock push: POS sales and refunds since the last push become stock deltas on PrestaShop.

**Deltas.** For the tickets numbered after the last pushed one: the quantities of their lines, summed
per article (a refund's negative lines give stock back).  Only channel ``pos`` tickets count (a web
order imported as a ``web`` ticket was already decremented by PrestaShop itself), training tickets never.
Articles sold by weight are not pushed (PrestaShop counts whole units; they are counted ``weighed``);
a unit article's sum of thousandths is rounded half up to whole units (``round_div``).  Articles
without a link to a product / combination are counted ``not_linked``; a net delta of 0 ``unchanged``.

**Exactly once.** A run first finishes the pending batch, if a previous run stopped, then freezes a new
one: the last ticket number and the per-article deltas, in one transaction.  Then, by chunks of
``CHUNK`` articles (one request reads them all, ``filter[id_product]=[a|b|...]``, then one write each:
about one request per changed article, plus the pages read):

1. read the chunk's ``stock_available`` rows (fresh), ``new = quantity - delta`` for each article;
2. record ``before = quantity`` and ``target = new`` (state *writing*) for the chunk — committed, in
   one transaction, before any write;
3. write each (PATCH on 8.x, GET + full PUT on 1.7), ``WRITES_IN_FLIGHT`` writes at once (the
   latency of the shop is paid once per group, not once per article); the shop's answer carries the
   quantity written, checked against ``target``; state *done*, saved for the chunk's acknowledged writes
   in one transaction, also when another write of the chunk fails.

Any PrestaShop or network error stops the run (logged *failed*): no new write is sent, those already
in flight are awaited (each acknowledged one is *done*), and the error names the article(s) whose write
failed.  The next run resumes the same batch, skipping the *done* articles.  On resume:

- *written* (left by an older version): the write is on the shop; only its value is checked;
- *writing* (the answer to the write was lost — it may or may not have reached the shop): if the shop's
  quantity equals ``target``, the write did land: done.  If it equals ``before``, it did not: write
  ``target`` again.  Otherwise the quantity moved meanwhile (a web sale, PrestaShop's own decrement):
  the delta is applied to the current value, and a conflict is reported, because if the lost write had
  in fact landed before that web sale, the delta is now counted twice (PrestaShop offers no version
  or history to tell the two cases apart: check that article's stock).

When every article is done the last pushed ticket advances, the batch is forgotten and a
``sync_stock`` event is journaled, in one transaction.

**Conflicts** (reported, the batch goes on): a resulting negative stock (written anyway: the shop
should show what the shelf really lacks, and the next refund or delivery stays exact); no
``stock_available`` row for the link, several rows (multistore without ``prestashop.id_shop``) or a
stock managed by the advanced stock management (not written, the delta is dropped: fix the link and
the stock by hand); a verification that reads back another value than the one written (a web sale in
between: left as is).

No Kivy, no SQL here: the SQL is in ``pos/data/sync_stock.py``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from pos.core.errors import Cancelled, Refusal
from pos.core.i18n import _
from pos.core.money import round_div
from pos.core.permissions import Actor, check
from pos.data import sync as data_sync
from pos.data import sync_stock as data
from pos.sync.client import PrestaShopClient, filter_in
from pos.sync.errors import PrestaShopError
from pos.sync.runs import logged_run
from pos.sync.xml import Record

RESOURCE = "stock_availables"
READ_FIELDS = ["id", "id_product", "id_product_attribute", "id_shop", "quantity", "depends_on_stock"]
COUNTS = ("articles", "pushed", "unchanged", "not_linked", "weighed", "conflicts", "errors")
CHUNK = 100  # articles read in one request (filter[id_product]=[a|b|...]) and saved in one transaction
PAGE = 1000  # stock rows a page (a product with combinations has several)
WRITES_IN_FLIGHT = 4  # stock writes sent at once (1: one after the other)

Progress = Callable[[int, int], None]


def push_stock(client: PrestaShopClient, *, dry_run: bool = False, progress: Progress | None = None,
               cancel: Callable[[], bool] | None = None, user_name: str = "") -> dict[str, Any]:
    """Push the POS stock movements since the last push (see the module docstring).

    Returns ``status`` (done | failed | cancelled), ``error`` (one line), ``first_ticket`` /
    ``last_ticket`` (None when there was nothing to push), ``resumed``, ``dry_run``, the counts
    (``COUNTS``), ``conflict_list`` ([{reference, id_product, id_product_attribute, text}]) and ``run_id``.
    A ``dry_run`` reads the shop but writes nothing, there or in the sync state.
    """
    _check_mode()
    id_shop = _id_shop()
    run_id = data_sync.start_run("stock", user_name, dry_run)
    result: dict[str, Any] = {"status": "running", "error": "", "first_ticket": None, "last_ticket": None,
                              "resumed": False, "dry_run": dry_run, "conflict_list": [], "run_id": run_id,
                              **{k: 0 for k in COUNTS}}
    job = _Job(client, result, id_shop, dry_run, progress, cancel, user_name)
    return logged_run(result, job.run, _counts)


def start_from_now() -> int:
    """Declare the shop's stock right as of the last ticket (nothing before it will be pushed)."""
    if data.pending_batch():
        raise Refusal(_("A stock push is unfinished: run it again first."))
    number = data.last_ticket_number()
    data.set_last_pushed_ticket(number)
    return number


def cli(client: PrestaShopClient, args: argparse.Namespace, actor: Actor,
        progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
    """``pos sync stock [--dry-run]``: push, print ``key: value`` lines, ``ValueError`` on failure."""
    check(actor, "sync")
    result = push_stock(client, dry_run=bool(getattr(args, "dry_run", False)), user_name=actor.name,
                        progress=(lambda n, total: progress("stock", n, total)) if progress else None)
    if result["status"] != "done":
        raise Refusal(_("stock push stopped ({pushed} articles pushed): {error}; run it again to resume")
                      .format(pushed=result["pushed"], error=result["error"] or result["status"]))
    for line in format_result(result):
        print(line)
    return result


def format_result(result: dict[str, Any]) -> list[str]:
    """The stable ``key: value`` form of a run's result."""
    first, last = result["first_ticket"], result["last_ticket"]
    lines = [f"dry_run: {'yes' if result['dry_run'] else 'no'}",
             f"tickets: {f'{first}-{last}' if first is not None and first <= last else 'none'}",
             f"resumed: {'yes' if result['resumed'] else 'no'}"]
    lines += [f"{key}: {result[key]}" for key in COUNTS if key != "errors"]
    lines += [f"conflict.{c['reference']}: {c['text']}" for c in result["conflict_list"]]
    return lines


# ---------------------------------------------------------------- the job
def _counts(result: dict[str, Any]) -> dict[str, Any]:
    counts = {k: result[k] for k in COUNTS}
    counts.update(first_ticket=result["first_ticket"], last_ticket=result["last_ticket"],
                  resumed=result["resumed"], conflict_list=result["conflict_list"])
    return counts


def _check_mode() -> None:
    from pos.core import settings

    if settings.get("prestashop.mode") == "orders":
        raise Refusal(_("POS sales are sent to PrestaShop as orders (prestashop.mode = orders): "
                        "the shop decrements their stock itself, a stock push would count them twice."))


def refresh_till_stock(client: PrestaShopClient) -> int:
    """After a complete push: the till's stock of every linked unit article becomes the shop's,
    less the till's sales not pushed yet (rung up meanwhile).  Returns how many articles changed.

    The shop is the reference for linked articles: web orders decrement it (and an imported web
    order would otherwise be counted a second time by a pull of the same product), and a stock
    change in the back office does not move a product's ``date_upd``, so a delta pull misses it.
    One scan of ``stock_availables`` (a few pages of ids and quantities)."""
    from pos.sync.endofday import unpushed_units
    from pos.sync.push import till_fields

    if "stock" in till_fields():  # the till owns the stock: the shop's never comes back
        return 0
    params = {"id_shop": _id_shop()} if _id_shop() else None
    shop: dict[tuple[int, int], int] = {}
    for row in client.iter_all("stock_availables", page_size=5000, params=params,
                               display_=["id_product", "id_product_attribute", "quantity"]):
        try:
            key = (int(row["id_product"]), int(row["id_product_attribute"]))
            shop[key] = int(row["quantity"])
        except (KeyError, TypeError, ValueError):
            continue
    linked = data.linked_unit_articles()
    unpushed = unpushed_units({aid for aid, _key, _stock in linked})
    updates = []
    for aid, key, stock in linked:
        if key in shop:
            target = (shop[key] - unpushed.get(aid, 0)) * 1000
            if target != stock:
                updates.append((target, aid))
    data.set_stocks(updates)
    return len(updates)


def _naming(failed: list[tuple[int, dict[str, Any], PrestaShopError]]) -> PrestaShopError:
    """The error of the first write sent that failed, its message naming the article of every failed
    write in the order they were sent (``REF: message; ...``), whatever order their answers came in."""
    failed = sorted(failed, key=lambda f: f[0])
    first = failed[0][2]
    first.args = ("; ".join(f"{item['reference']}: {exc}" for _seq, item, exc in failed),)
    return first


def _id_shop() -> int | None:
    from pos.core import settings

    value = settings.get("prestashop.id_shop")
    return int(value) if value and value.isdigit() else None


def split_deltas(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The articles to push (items in the ``pending`` state) and the counts of the others."""
    counts = {"articles": len(rows), "unchanged": 0, "not_linked": 0, "weighed": 0}
    items = []
    for row in rows:
        delta = round_div(row["qty"], 1000)
        if row["qty"] == 0 or (delta == 0 and not row["by_weight"]):
            counts["unchanged"] += 1
        elif row["id_product"] is None:
            counts["not_linked"] += 1
        elif row["by_weight"]:
            counts["weighed"] += 1
        else:
            items.append({"article_id": row["article_id"], "reference": row["reference"],
                          "id_product": row["id_product"], "id_product_attribute": row["id_product_attribute"],
                          "delta": delta, "state": "pending", "id_stock": None, "before": None, "target": None,
                          "final": None, "note": ""})
    return items, counts


class _Job:
    def __init__(self, client: PrestaShopClient, result: dict[str, Any], id_shop: int | None, dry_run: bool,
                 progress: Progress | None, cancel: Callable[[], bool] | None, user_name: str) -> None:
        self.client = client
        self.result = result
        self.id_shop = id_shop
        self.dry_run = dry_run
        self.progress = progress
        self.cancel = cancel
        self.user_name = user_name

    def run(self) -> None:
        pending = data.pending_batch()
        if pending is not None:
            self.result["resumed"] = True
            self._tickets(pending)
            self._add_counts(pending)
            self._push(pending, data.batch_items())
            after = pending["last"]
        else:
            after = data.last_pushed_ticket()
        upto = data.last_ticket_number()
        if upto <= after:
            return
        items, counts = split_deltas(data.deltas(after, upto))
        header = {"first": after + 1, "last": upto, **counts}
        self._tickets(header)
        self._add_counts(header)
        if not self.dry_run:
            data.freeze_batch(header, items)
        self._push(header, items)

    def _add_counts(self, header: dict[str, Any]) -> None:
        """The batch's articles and those not pushed (reported by every run that works on it)."""
        for key in ("articles", "unchanged", "not_linked", "weighed"):
            self.result[key] += header.get(key, 0)

    def _tickets(self, header: dict[str, Any]) -> None:
        if self.result["first_ticket"] is None:
            self.result["first_ticket"] = header["first"]
        self.result["last_ticket"] = header["last"]

    def _push(self, header: dict[str, Any], items: list[dict[str, Any]]) -> None:
        todo = [item for item in items if item["state"] not in ("done", "skipped")]
        if self.progress:
            self.progress(0, len(todo))
        self.done_count = 0
        for start in range(0, len(todo), CHUNK):
            if self.cancel is not None and self.cancel():
                raise Cancelled
            self._push_chunk(todo[start:start + CHUNK], len(todo))
        if not self.dry_run:
            done = data.batch_items()
            data.complete_batch(header["last"], self.user_name, {
                "first": header["first"], "last": header["last"], "articles": header.get("articles", len(done)),
                "pushed": sum(1 for i in done if i["state"] == "done"),
                "conflicts": sorted(i["reference"] for i in done if i["note"])})

    def _finished(self, item: dict[str, Any], total: int) -> None:
        """Count an article whose push is over (done, skipped, or planned in a dry run)."""
        if item["state"] != "skipped":
            self.result["pushed"] += 1
        if item["note"]:
            self.result["conflicts"] += 1
            self.result["conflict_list"].append(
                {"reference": item["reference"], "id_product": item["id_product"],
                 "id_product_attribute": item["id_product_attribute"], "text": item["note"]})
        self.done_count += 1
        if self.progress:
            self.progress(self.done_count, total)

    def _push_chunk(self, chunk: list[dict[str, Any]], total: int) -> None:
        """One read of the chunk's stock rows, the states of the articles to write saved in one transaction,
        one write each, their results saved in one transaction (even when a write fails half-way)."""
        rows = self._read_many(chunk)
        settled: list[dict[str, Any]] = []  # decided without a write: saved with the written ones
        to_write: list[dict[str, Any]] = []
        for item in chunk:
            if self._decide(item, rows):
                to_write.append(item)
            else:
                settled.append(item)
        if self.dry_run:
            for item in chunk:
                self._finished(item, total)
            return
        for item in settled:
            self._finished(item, total)
        data.save_items(settled + to_write)  # "writing": before and target, committed before any write
        written: list[dict[str, Any]] = []
        try:
            self._write_all(to_write, total, written)
        finally:
            data.save_items(written)  # what the shop acknowledged is never written again

    def _write(self, item: dict[str, Any]) -> int:
        """One article's write (in a worker thread when several are in flight); the quantity the shop echoes."""
        echo = self.client.update(RESOURCE, item["id_stock"], {"quantity": str(item["target"])})
        return int(echo.get("quantity") or 0) if echo.get("quantity") not in (None, "") else item["target"]

    def _written(self, item: dict[str, Any], final: int, total: int, written: list[dict[str, Any]]) -> None:
        if final != item["target"]:
            self._note(item, _("read back {found} after writing {target}").format(found=final, target=item["target"]))
        item.update(state="done", final=final)
        written.append(item)
        self._finished(item, total)

    def _write_all(self, items: list[dict[str, Any]], total: int, written: list[dict[str, Any]]) -> None:
        """Write ``items``, at most ``WRITES_IN_FLIGHT`` at once; the acknowledged ones land in ``written``
        (states and progress are handled here, in the calling thread).  On a cancel or an error no new write
        is sent and those in flight are awaited; then ``Cancelled`` or the first error (naming every article
        whose write failed) is raised."""
        width = max(1, min(WRITES_IN_FLIGHT, len(items)))
        if width == 1:
            for n, item in enumerate(items):
                if n and self.cancel is not None and self.cancel():
                    raise Cancelled
                try:
                    final = self._write(item)
                except PrestaShopError as exc:
                    raise _naming([(n, item, exc)]) from None
                self._written(item, final, total, written)
            return
        # the version and the schema, read once here before the writes share the client
        self.client.supports_patch  # noqa: B018
        self.client.read_only_fields(RESOURCE)
        todo = iter(items)
        in_flight: dict[Future[int], tuple[int, dict[str, Any]]] = {}
        failed: list[tuple[int, dict[str, Any], PrestaShopError]] = []
        other: BaseException | None = None
        stop = False
        sent = 0
        with ThreadPoolExecutor(max_workers=width, thread_name_prefix="stock-push") as pool:
            while True:
                while not stop and not failed and other is None and len(in_flight) < width:
                    item = next(todo, None)
                    if item is None:
                        break
                    if sent and self.cancel is not None and self.cancel():
                        stop = True
                        break
                    in_flight[pool.submit(self._write, item)] = (sent, item)
                    sent += 1
                if not in_flight:
                    break
                finished, _pending = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in [f for f in in_flight if f in finished]:  # in the order they were sent
                    seq, item = in_flight.pop(future)
                    try:
                        final = future.result()
                    except PrestaShopError as exc:
                        failed.append((seq, item, exc))
                    except BaseException as exc:  # a bug or an interrupt: raised once the others are in
                        other = other or exc
                    else:
                        self._written(item, final, total, written)
        if other is not None:
            raise other
        if failed:
            raise _naming(failed)
        if stop:
            raise Cancelled

    # ---- one article
    def _note(self, item: dict[str, Any], text: str) -> None:
        item["note"] = f"{item['note']}; {text}" if item["note"] else text

    def _decide(self, item: dict[str, Any], rows: dict[tuple[int, int], list[Record]]) -> bool:
        """Settle the article from its stock row; True when it must be written (state *writing*)."""
        row = self._row(item, rows.get((int(item["id_product"]), int(item["id_product_attribute"])), []))
        if isinstance(row, str):
            self._note(item, row)
            item["state"] = "skipped"
            return False
        current = int(row["quantity"] or 0)
        if item["state"] == "written":  # acknowledged by the shop: only the verification was lost
            if current != item["target"]:
                self._note(item, _("read back {found} after writing {target}").format(
                    found=current, target=item["target"]))
            item.update(state="done", final=current)
            return False
        if item["state"] == "writing":  # the answer to the write was lost
            if current == item["target"]:
                item.update(state="done", final=current)
                return False
            if current != item["before"]:
                self._note(item, _("the shop's stock moved while a write was unanswered: {before} or {target} "
                                   "expected, {found} found; {sold} taken from {found} (check it)").format(
                    before=item["before"], target=item["target"], found=current, sold=item["delta"]))
        new = current - item["delta"]
        if new < 0:
            self._note(item, _("negative stock on the shop: {before} - {sold} = {after}").format(
                before=current, sold=item["delta"], after=new))
        item.update(state="writing", id_stock=int(row["id"]), before=current, target=new)
        return True

    def _read_many(self, chunk: list[dict[str, Any]]) -> dict[tuple[int, int], list[Record]]:
        """The stock rows of the chunk's products, in as few pages as they fill."""
        filters: dict[str, Any] = {"id_product": filter_in(sorted({int(i["id_product"]) for i in chunk}))}
        if self.id_shop is not None:
            filters["id_shop"] = filter_in([self.id_shop])
        out: dict[tuple[int, int], list[Record]] = {}
        for row in self.client.iter_all(RESOURCE, page_size=PAGE, display_=READ_FIELDS, filters=filters):
            out.setdefault((int(row["id_product"]), int(row["id_product_attribute"])), []).append(row)
        return out

    def _row(self, item: dict[str, Any], rows: list[Record]) -> Record | str:
        """The article's stock row, or the conflict that prevents writing it."""
        if not rows:
            return _("no stock row on the shop for product {product} combination {combination}").format(
                product=item["id_product"], combination=item["id_product_attribute"])
        if len(rows) > 1:
            return _("{n} stock rows on the shop for product {product} combination {combination} "
                     "(multistore: set prestashop.id_shop)").format(
                n=len(rows), product=item["id_product"], combination=item["id_product_attribute"])
        row = rows[0]
        if str(row.get("depends_on_stock") or "0") == "1":
            return _("the shop's advanced stock management computes this stock: not written")
        if item["id_stock"] is not None and int(row["id"]) != item["id_stock"]:
            return _("the stock row changed on the shop ({old} then {new}): not written").format(
                old=item["id_stock"], new=row["id"])
        return row
