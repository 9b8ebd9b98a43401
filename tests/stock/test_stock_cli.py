"""``pos stock``, ``pos labels`` and ``pos report margin`` through the command line, as a manager types them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers.cli import cli_env, run
from pypdf import PdfReader

from pos.data import stock as stock_db
from pos.data.models import database


def stock_of(code: str) -> int:
    found = stock_db.article_by_code(code)
    assert found is not None
    return found.stock


def moves_count() -> int:
    return database.execute_sql("SELECT COUNT(*) FROM stock_move").fetchone()[0]


@pytest.fixture
def db_path(shop) -> Path:
    from pos.data.config import set_setting

    set_setting("ui.language", "en")  # in-process runs read the till's language, not LANG
    return Path(database.obj.database)


def test_receive_count_moves_low_check(db_path, capsys, tmp_path):
    code, out, err = run(capsys, db_path, "stock", "receive", "D010001*5", "D010002", "--cost", "D010001=0,70",
                         "--ref", "BL-42")
    assert (code, err) == (0, "") and "2 articles received" in out
    assert stock_of("D010001") == 55_000 and stock_of("D010002") == 51_000
    assert stock_db.article_by_code("D010001").cost == 70

    code, out, err = run(capsys, db_path, "stock", "count", "D010001=50", "D010002=51")
    assert code == 0 and "expected 55, counted 50, difference -5" in out and "preview only" in out
    assert stock_of("D010001") == 55_000  # a preview changes nothing
    code, out, err = run(capsys, db_path, "stock", "count", "D010001=50", "D010002=51", "--apply", "--ref", "R1")
    assert code == 0 and "1 articles adjusted" in out
    assert stock_of("D010001") == 50_000

    code, out, err = run(capsys, db_path, "stock", "moves", "D010001", "--limit", "3")
    lines = out.splitlines()
    assert "count adjustment" in lines[0] and "-5" in lines[0] and "Claire" in lines[0] and "count R1" in lines[0]
    assert "goods receipt" in lines[1] and "receipt BL-42" in lines[1]

    run(capsys, db_path, "stock", "count", "D010003=1", "--apply")
    code, out, err = run(capsys, db_path, "stock", "low", "--department", "Boulangerie")
    assert code == 0 and "D010003" in out and "threshold 2" in out and "D010001" not in out

    code, out, err = run(capsys, db_path, "stock", "check")
    assert code == 0 and "every article's stock equals the sum of its movements" in out

    csv_path = tmp_path / "m.csv"
    code, out, err = run(capsys, db_path, "stock", "moves", "--csv", str(csv_path))
    assert code == 0 and csv_path.read_text(encoding="utf-8").count("\n") == moves_count() + 1

    code, out, err = run(capsys, db_path, "stock", "value")
    assert code == 0 and out.splitlines()[-1].startswith("Stock value at cost: €")


@pytest.mark.parametrize("args, message", [
    (("receive", "NOPE*3"), "Unknown article: NOPE"),
    (("receive", "D010001*abc"), "not a quantity"),
    (("receive", "D010001*0"), "more than zero"),
    (("receive", "D010001*2", "--cost", "D010001=abc"), "not an amount"),
    (("receive", "D010001*2", "--cost", "D010002=1"), "not received"),
    (("receive", "D010001*2", "D010002*1,5"), "whole units"),
    (("receive", "D010001*2", "--ref", "a\nb"), "one line"),
    (("count", "D010001"), "expected CODE=QTY"),
    (("count", "D010001=-1", "--apply"), "zero or more"),
    (("count", "=3"), "no article code"),
    (("moves", "NOPE"), "Unknown article"),
    (("low", "--department", "Nope"), "Unknown department"),
    (("set", "D010001", "--net", "1", "furlong"), "Unknown unit"),
    (("set", "D010001", "--net", "0,5", "g"), "finer than"),
])
def test_bad_input_is_one_line_and_changes_nothing(db_path, capsys, args, message):
    before = (stock_of("D010001"), stock_of("D010002"), moves_count())
    code, out, err = run(capsys, db_path, "stock", *args)
    assert code == 1 and message in err and err.count("\n") == 1
    assert (stock_of("D010001"), stock_of("D010002"), moves_count()) == before


def test_a_cashier_may_count_in_preview_but_not_apply(db_path, capsys):
    code, out, err = run(capsys, db_path, "stock", "count", "D010001=3", "--user", "Marie")
    assert code == 0
    code, out, err = run(capsys, db_path, "stock", "count", "D010001=3", "--apply", "--user", "Marie")
    assert code == 1 and "manager" in err
    code, out, err = run(capsys, db_path, "stock", "receive", "D010001*3", "--user", "Marie")
    assert code == 1 and "manager" in err
    assert stock_of("D010001") == 50_000


def test_two_receipts_at_once_in_two_processes_both_count(db_path):
    database.close()
    procs = [subprocess.Popen([sys.executable, "-m", "pos", "--db", str(db_path), "stock", "receive",
                               *[f"D0100{i:02d}*1" for i in range(1, 20)], "--ref", f"P{n}"],
                              env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for n in range(2)]
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
    database.connect(reuse_if_open=True)
    assert stock_of("D010001") == 52_000
    assert stock_db.check() == []


def test_labels_read_back_from_the_pdf(db_path, capsys, tmp_path):
    code, out, err = run(capsys, db_path, "stock", "set", "D020027", "--net", "75", "cl", "--low", "4")
    assert code == 0, err
    a = stock_db.article_by_code("D020027")
    assert (a.net_qty, a.net_unit, a.low_stock) == (750, "l", 4000)
    run(capsys, db_path, "stock", "set", "D020028", "--net", "250", "g")
    pdf = tmp_path / "labels.pdf"
    code, out, err = run(capsys, db_path, "labels", str(pdf), "--layout", "4x10", "D020027", "D020028", "D010001")
    assert code == 0, err
    assert "3 labels on 1 pages" in out
    text = PdfReader(pdf).pages[0].extract_text()
    assert "Huile d'olive 75 cl" in text and "€8.99" in text and "€11.99 / l" in text  # 8.99 / 0.75
    assert "Vinaigre de vin 50 cl" in text and "€2.19" in text and "€8.76 / kg" in text  # 2.19 / 0.25
    assert "Baguette tradition" in text and "€1.20" in text
    assert oct(pdf.stat().st_mode & 0o777) == "0o600"


def test_label_layouts_and_selections(db_path, capsys, tmp_path):
    pdf = tmp_path / "dep.pdf"
    code, out, err = run(capsys, db_path, "labels", str(pdf), "--department", "Boissons", "--layout", "2x7")
    n = database.execute_sql("SELECT COUNT(*) FROM article a JOIN department d ON d.id = a.department_id "
                             "WHERE d.name = 'Boissons' AND a.active = 1").fetchone()[0]
    assert code == 0 and f"{n} labels on {-(-n // 14)} pages" in out
    assert len(PdfReader(pdf).pages) == -(-n // 14)
    code, out, err = run(capsys, db_path, "labels", str(tmp_path / "all.pdf"), "--changed-since", "2000-01-01")
    total = database.execute_sql("SELECT COUNT(*) FROM article WHERE active = 1").fetchone()[0]
    assert code == 0 and f"{total} labels on {-(-total // 24)} pages" in out
    for args, message in [(("--layout", "9x9"), "Unknown layout"), (("--department", "Nope"), "Unknown department"),
                          (("--changed-since", "2030-13-01"), "expected YYYY-MM-DD"), (("NOPE",), "Unknown article"),
                          (("--changed-since", "2999-01-01"), "No article to label")]:
        target = tmp_path / "bad.pdf"
        code, out, err = run(capsys, db_path, "labels", str(target), *args)
        assert code == 1 and message in err and not target.exists()


def test_labels_of_the_articles_created_since_a_day(db_path, capsys, tmp_path):
    """--new-since: only the articles created that day or later (the article page, an import, a pull:
    a trigger dates every insert), not the ones merely changed."""
    from helpers.actors import MANAGER

    from pos.catalog import actions
    from pos.data.catalog import ArticleDetail

    database.execute_sql("UPDATE article_created SET at = '2020-01-01T08:00:00'")  # the demo shop, long ago
    actions.save_article(MANAGER, ArticleDetail("NEW1", "Galette des rois", 1850, 550))
    run(capsys, db_path, "stock", "set", "D020027", "--net", "75", "cl")  # changed today, not new
    pdf = tmp_path / "new.pdf"
    import datetime as dt

    code, out, err = run(capsys, db_path, "labels", str(pdf), "--new-since", dt.date.today().isoformat())
    assert code == 0, err
    assert "1 labels on 1 pages" in out
    text = PdfReader(pdf).pages[0].extract_text()
    assert "Galette des rois" in text and "€18.50" in text and "Huile" not in text
    code, out, err = run(capsys, db_path, "labels", str(tmp_path / "old.pdf"), "--new-since", "2020-01-01")
    total = database.execute_sql("SELECT COUNT(*) FROM article WHERE active = 1").fetchone()[0]
    assert code == 0 and f"{total} labels" in out
    code, out, err = run(capsys, db_path, "labels", str(tmp_path / "bad.pdf"), "--new-since", "2026-02-30")
    assert code == 1 and "expected YYYY-MM-DD" in err


def test_margin_report_uses_the_cost_when_sold(db_path, capsys, tmp_path):
    code, out, err = run(capsys, db_path, "sell", "D020027", "--pay", "card")
    assert code == 0, err
    cost = stock_db.article_by_code("D020027").cost
    run(capsys, db_path, "stock", "receive", "D020027*1", "--cost", "D020027=99")  # a later cost
    code, out, err = run(capsys, db_path, "report", "margin", "--by", "article")
    assert code == 0, err
    line = next(ln for ln in out.splitlines() if ln.startswith("D020027"))
    excl = round(899 * 10000 / 10550)  # 5.5 % VAT
    assert f"€{excl / 100:.2f}" in line and f"€{cost / 100:.2f}" in line and f"€{(excl - cost) / 100:.2f}" in line
    code, out, err = run(capsys, db_path, "report", "margin", "--by", "department", "--pdf", str(tmp_path / "m.pdf"))
    assert code == 0 and "Épicerie" in PdfReader(tmp_path / "m.pdf").pages[0].extract_text()
    code, out, err = run(capsys, db_path, "report", "margin", env=cli_env("Marie"))  # cost prices: a manager's
    assert code == 1 and "A manager must authorise this: view the sales reports" in err and out == ""
    code, out, err = run(capsys, db_path, "report", "margin", "--by", "vat")
    assert code == 1 and "unknown --by" in err


def test_a_full_count_of_one_department(db_path, capsys):
    dep = [r[0] for r in database.execute_sql(
        "SELECT a.reference FROM article a JOIN department d ON d.id = a.department_id "
        "WHERE d.name = 'Fleurs' AND a.active = 1 ORDER BY a.id")]
    first = dep[0]
    code, out, err = run(capsys, db_path, "stock", "count", f"{first}=7", "--department", "Fleurs")
    assert code == 0, err
    assert f"{len(dep) - 1} articles of Fleurs not counted: their stock is kept" in out
    code, out, err = run(capsys, db_path, "stock", "count", f"{first}=7", "--department", "Fleurs",
                         "--missing-zero", "--apply")
    assert code == 0 and f"{len(dep)} articles adjusted" in out
    assert stock_of(first) == 7000 and all(stock_of(r) == 0 for r in dep[1:])
    assert stock_of("D010001") == 50_000  # another department: untouched
    code, out, err = run(capsys, db_path, "stock", "count", "--missing-zero")
    assert code == 1 and "--missing-zero needs --department" in err
    code, out, err = run(capsys, db_path, "stock", "count", "--department", "Nope", "--missing-zero")
    assert code == 1 and "Unknown department: Nope" in err
    code, out, err = run(capsys, db_path, "stock", "count")
    assert code == 1 and "No line" in err
