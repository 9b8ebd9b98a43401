"""The writers of other modules leave movements of their own kind: an import (and its undo), a
PrestaShop article pull."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.actors import manager

from pos.catalog.transfer import Import, export
from pos.data import stock as stock_db
from pos.data import sync_articles


def art(code: str) -> stock_db.StockArticle:
    found = stock_db.article_by_code(code)
    assert found is not None
    return found


def edited_export(tmp_path: Path, stock: str) -> Path:
    path = tmp_path / "a.csv"
    export(manager(), "articles", path)
    lines = path.read_text("utf-8-sig").splitlines()
    assert lines[0].split(";")[7] == "stock"
    out = []
    for line in lines:
        if line.startswith("D010001;"):
            cells = line.split(";")
            cells[7] = stock
            line = ";".join(cells)
        out.append(line)
    edited = tmp_path / "b.csv"
    edited.write_text("\n".join(out) + "\n", encoding="utf-8-sig")
    return edited


def test_an_import_of_the_stock_column_is_an_import_movement(shop, tmp_path):
    path = edited_export(tmp_path, "61")
    with Import("articles", path) as job:
        job.prepare()
        job.apply(manager(), add=False, update=True, delete=False)
    move = stock_db.moves(art("D010001").id, limit=1)[0]
    assert (move.kind, move.qty, move.user_name, move.about) == ("import", 11_000, "Claire", "import b.csv")
    assert stock_db.check() == []


def test_an_import_undone_gives_its_movement_back(shop, tmp_path):
    path = edited_export(tmp_path, "61")
    with Import("articles", path) as job:
        job.prepare()
        with pytest.raises(RuntimeError, match="injected"):
            job.apply(manager(), add=False, update=True, delete=False, fail_after="update")
    assert art("D010001").stock == 50_000
    kinds = [(m.kind, m.qty, m.about) for m in stock_db.moves(art("D010001").id, limit=2)]
    assert kinds == [("import", -11_000, "import undone"), ("import", 11_000, "import b.csv")]
    assert stock_db.check() == []


def test_a_prestashop_pull_changing_the_stock_is_a_sync_movement(shop):
    a = art("D010001")
    sync_articles.apply_articles(new=[], updates=[{"article_id": a.id, "key": (999, 0), "date_upd": "2026-01-01",
                                                   "values": {"stock": 42_000}}],
                                 deactivate=[], state={}, event={}, user_name="Claire")
    move = stock_db.moves(a.id, limit=1)[0]
    assert (move.kind, move.qty, move.user_name, move.about) == ("sync", -8000, "Claire", "PrestaShop articles")
    assert stock_db.check() == []
