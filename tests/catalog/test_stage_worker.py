"""The staging process (pos/data/stage_worker.py): an import's preview does not depend on the order of
the file's rows, and a staging process that dies leaves a clear error and the shop unchanged."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
from pathlib import Path

import pytest
from helpers.actors import manager

from pos.catalog.csvio import CsvError
from pos.catalog.transfer import Import, export
from pos.data import catalog as catalog_db
from pos.data import stage_worker
from pos.data import transfer as stage_sql

HEADER = "reference;barcode;name;department;price;vat_rate;cost_price;stock;active;web"


def bulk(n: int) -> None:
    catalog_db.bulk_insert_articles([{"reference": f"B{i:05d}", "name": f"Bulk {i}", "price": 100 + i, "vat": 1,
                                      "stock": 0, "active": True, "by_weight": False, "free_price": False,
                                      "favourite": False, "custom": "{}", "updated_at": ""} for i in range(n)])


def preview_of(path: Path) -> dict:
    """What the preview shows: its counts, and each row's key, status and changed fields."""
    with Import("articles", path) as job:
        p = job.prepare()
        shown = {status: sorted((r["key"], r["changed"], r["label"]) for r in job.rows(status, 0, 10_000))
                 for status in ("new", "changed", "same", "invalid", "missing")}
        return {"counts": p.counts, "fields": p.fields, "rows": shown}


def edited_export(tmp_path: Path) -> tuple[str, list[str]]:
    """The shop's export, edited: prices changed, a barcode removed, a bad price, a row dropped, rows
    added (no conflict between two lines: the later line is the one refused, which depends on the order)."""
    export(manager(), "articles", tmp_path / "all.csv")
    lines = (tmp_path / "all.csv").read_text("utf-8-sig").splitlines()
    header, body = lines[0], lines[1:]
    assert header == HEADER
    out = []
    for k, line in enumerate(body):
        cells = line.split(";")
        if k % 17 == 3:
            continue  # missing from the file
        if k % 11 == 5:
            cells[4] = "9,99"
        if cells[0] == "D010001":
            cells[1] = ""
        if cells[0] == "D010002":
            cells[4] = "douze"  # refused
        out.append(";".join(cells))
    out += [f"N{k:03d};;Nouveau {k};Épicerie;2,50;20;;0;1;0" for k in range(30)]
    return header, out


def test_the_preview_is_the_same_whatever_the_order_of_the_rows(shop, tmp_path, monkeypatch):
    bulk(400)
    # small batches: a sorted file reads one short range of the list per batch; a shuffled one
    # makes each batch span the whole list, so its keys are looked up one by one
    monkeypatch.setattr(Import, "BATCH", 9)
    header, body = edited_export(tmp_path)
    shuffled = body[:]
    random.Random(18).shuffle(shuffled)
    seen = []
    for name, rows in (("sorted", body), ("reversed", body[::-1]), ("shuffled", shuffled)):
        path = tmp_path / f"{name}.csv"
        path.write_text("\n".join([header, *rows]) + "\n", "utf-8-sig")
        seen.append(preview_of(path))
    assert seen[0]["counts"]["changed"] >= 40 and seen[0]["counts"]["new"] == 30
    assert seen[0]["counts"]["invalid"] == 1 and seen[0]["counts"]["missing"] >= 20
    assert ("D010001", "barcodes", "Baguette tradition") in seen[0]["rows"]["changed"]
    assert seen[0]["fields"]["barcode"] == 1
    assert seen[1] == seen[0] and seen[2] == seen[0]


def test_a_killed_staging_process_is_a_clear_error_and_changes_nothing(shop, tmp_path, monkeypatch):
    bulk(300)
    monkeypatch.setattr(Import, "BATCH", 20)
    export(manager(), "articles", tmp_path / "all.csv")
    before = catalog_db.count_articles()
    started: list[stage_worker.StageProcess] = []

    class Killed(stage_worker.StageProcess):
        def put(self, rows, barcodes, errors):
            started.append(self)
            if len(started) == 3:  # the process dies as a batch is on its way
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            super().put(rows, barcodes, errors)

    monkeypatch.setattr(stage_sql, "StageProcess", Killed)
    with Import("articles", tmp_path / "all.csv") as job, pytest.raises(CsvError, match="could not be staged"):
        job.prepare()
    assert catalog_db.count_articles() == before
    monkeypatch.setattr(stage_sql, "StageProcess", stage_worker.StageProcess)
    assert preview_of(tmp_path / "all.csv")["counts"]["same"] == before  # the next import works


def test_a_failing_statement_is_said_with_its_error(tmp_path):
    shop = tmp_path / "shop.sqlite3"
    stage = tmp_path / "stage.sqlite3"

    sqlite3.connect(shop).close()
    sqlite3.connect(stage).close()
    proc = stage_worker.StageProcess({"shop": str(shop), "stage": str(stage), "compare": None, "finish": [],
                                      "rows": "INSERT INTO stage.nowhere VALUES (?)", "barcodes": "", "errors": ""})
    with pytest.raises(stage_worker.StageError, match="no such table: stage.nowhere"):
        for _ in range(200):  # the error comes back once the process has stopped reading
            proc.put([(1,)], [], [])
        proc.finish()
    proc.abort()


def test_an_ean_check_digit_is_checked_unless_the_code_is_the_articles_own(shop, tmp_path):
    # an article that already has a wrong code (written before pos checked them) can be re-imported as it is
    shop.execute_sql("UPDATE barcode SET code = '3760123000018' WHERE code = '3760123000017'")
    export(manager(), "articles", tmp_path / "all.csv")
    text = (tmp_path / "all.csv").read_text("utf-8-sig")
    assert ";3760123000018;" in text
    with Import("articles", tmp_path / "all.csv") as job:
        p = job.prepare()
        assert p.counts["invalid"] == 0 and p.counts["changed"] == 0
    # a code that changes, or a new article's, is checked
    lines = text.splitlines()
    lines = [line.replace(";3760123000024;", ";3760123000025;") for line in lines]
    lines.append("N1;4006381333931;Stylo;Épicerie;2,50;20;;0;1;0")  # a right check digit
    lines.append("N2;4006381333932;Stylo faux;Épicerie;2,50;20;;0;1;0")
    path = tmp_path / "edited.csv"
    path.write_text("\n".join(lines) + "\n", "utf-8-sig")
    with Import("articles", path) as job:
        p = job.prepare()
        errors = job.errors()
        assert p.counts["invalid"] == 2 and p.counts["new"] == 1, errors
        assert any(e.endswith("column B (barcode): wrong check digit in barcode 3760123000025") for e in errors)
        assert any(e.endswith("column B (barcode): wrong check digit in barcode 4006381333932") for e in errors)
