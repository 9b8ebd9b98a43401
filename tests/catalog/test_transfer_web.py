"""The CSV column ``web`` ("publier sur le web", issue 15): exported, imported, undone (no display)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from helpers.actors import manager

from pos.catalog.transfer import Import, export
from pos.data import catalog as catalog_db
from pos.data import sync_push
from pos.data.models import database
from pos.sync.push import set_web


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.replace("\n", "\r\n").encode("utf-8-sig"))
    return path


def article_id(reference: str) -> int:
    return catalog_db.find_article_by_code(reference).id


def web_rows() -> list[tuple]:
    return database.execute_sql("SELECT article_id, web, pushed FROM ps_web ORDER BY article_id").fetchall()


def exported(tmp_path: Path) -> dict[str, dict[str, str]]:
    path = tmp_path / "out.csv"
    export(manager(), "articles", path)
    with open(path, encoding="utf-8-sig", newline="") as f:
        return {row["reference"]: row for row in csv.DictReader(f, delimiter=";")}


def test_the_export_says_which_articles_are_published(shop, tmp_path):
    set_web(manager(), article_id("D010001"), True)
    rows = exported(tmp_path)
    assert rows["D010001"]["web"] == "1"
    assert {r["web"] for ref, r in rows.items() if ref != "D010001"} == {"0"}


def test_the_column_publishes_unpublishes_and_a_blank_cell_keeps_the_flag(shop, tmp_path):
    set_web(manager(), article_id("D010002"), True)
    set_web(manager(), article_id("D010003"), True)
    path = write(tmp_path / "w.csv", "reference;publier sur le web\nD010001;1\nD010002;0\nD010003;\n"
                                      "D010004;non\n")
    with Import("articles", path) as job:
        p = job.prepare()
        assert p.counts["changed"] == 2 and p.counts["same"] == 2, job.errors()
        assert p.fields == {"web": 2}
        assert job.compare(2) == {"web": ("0", "1")} and job.compare(3) == {"web": ("1", "0")}
        done = job.apply(manager(), add=False, update=True, delete=False)
    assert done["updated"] == 2
    flags = sync_push.web_flags([article_id(r) for r in ("D010001", "D010002", "D010003", "D010004")])
    assert flags == {article_id("D010001"): True, article_id("D010002"): False, article_id("D010003"): True}
    assert [a["reference"] for a in sync_push.web_articles()] == ["D010001", "D010003"]  # what the push sends


def test_a_new_article_can_be_published_by_the_file(shop, tmp_path):
    path = write(tmp_path / "n.csv", "reference;name;price;vat_rate;web\nN1;Tarte aux pommes;4,50;5,5;1\n"
                                      "N2;Tarte au citron;4,50;5,5;0\nN3;Flan;3;5,5;\n")
    with Import("articles", path) as job:
        assert job.prepare().counts["new"] == 3
        job.apply(manager(), add=True, update=False, delete=False)
    assert sync_push.web_flags([article_id("N1"), article_id("N2"), article_id("N3")]) == {
        article_id("N1"): True, article_id("N2"): False}


def test_a_wrong_value_is_refused_with_its_line_and_column(shop, tmp_path):
    before = web_rows()
    path = write(tmp_path / "bad.csv", "reference;web\nD010001;1\nD010002;peut-être\n")
    with Import("articles", path) as job:
        p = job.prepare()
        assert p.invalid == 1
        (error,) = job.errors()
        assert error.startswith("bad.csv:3: column B (web): ")
    assert web_rows() == before


@pytest.mark.parametrize("step", ["delete", "add", "update"])
def test_a_failed_import_gives_back_the_flags_and_what_was_pushed(shop, tmp_path, step):
    deleted, kept = article_id("D010001"), article_id("D010002")
    set_web(manager(), deleted, True)
    sync_push.record_push(deleted, {"price": 120}, None, "2026-12-05 10:00:00")
    set_web(manager(), kept, True)
    before = web_rows()
    # every article but D010001 (deleted), D010002 unpublished, a new published one
    path = tmp_path / "all.csv"
    export(manager(), "articles", path)
    lines = path.read_text("utf-8-sig").splitlines()
    body = [line for line in lines[1:] if not line.startswith("D010001;")]
    body = [line[:-1] + "0" if line.startswith("D010002;") else line for line in body]
    write(path, "\n".join([lines[0], *body, "N9;;Chouquettes;Boulangerie;2,00;5,5;;0;1;1"]) + "\n")
    with Import("articles", path) as job:
        p = job.prepare()
        assert p.counts["new"] == 1 and p.counts["missing"] == 1 and p.fields.get("web") == 1, job.errors()
        with pytest.raises(RuntimeError, match="injected"):
            job.apply(manager(), add=True, update=True, delete=True, fail_after=step)
    assert web_rows() == before
    # and applied for real, the flags follow the file
    with Import("articles", path) as job:
        job.prepare()
        job.apply(manager(), add=True, update=True, delete=True)
    assert sync_push.web_flags([kept, article_id("N9")]) == {kept: False, article_id("N9"): True}
    assert catalog_db.find_article_by_code("D010001") is None
