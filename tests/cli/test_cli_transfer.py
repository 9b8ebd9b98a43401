"""``pos articles|departments|customers export|import``, run for real in a subprocess."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from helpers.cli import pos
from helpers.demo_db import copy_database

from pos.demo import demo_article_count


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli_transfer") / "demo.sqlite3"
    assert pos(path, "demo").returncode == 0
    assert pos(path, "config", "set", "ui.language", "en").returncode == 0
    return path


@pytest.fixture
def db(template, tmp_path) -> Path:
    return copy_database(template, tmp_path / "pos.sqlite3")


def dump(db: Path) -> list:
    conn = sqlite3.connect(db)
    try:
        return [conn.execute(f"SELECT * FROM {t} ORDER BY id").fetchall()
                for t in ("article", "barcode", "department", "customer", "import_log")]
    finally:
        conn.close()


def test_export_then_import_previews_zero_changes(db, tmp_path):
    out = tmp_path / "articles.csv"
    proc = pos(db, "articles", "export", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"{demo_article_count()} rows written to {out}\n"
    proc = pos(db, "articles", "import", str(out))
    assert proc.returncode == 0, proc.stderr
    n = demo_article_count()
    assert proc.stdout.splitlines() == [
        "file: articles.csv", "encoding: utf-8-sig", "separator: ;", f"rows: {n}", "new: 0", "changed: 0",
        f"unchanged: {n}", "missing: 0", "missing.deactivate: 0", "missing.delete: 0", "invalid: 0", "errors: 0",
        "preview only: choose --add, --update and/or --delete to apply"]


def test_export_options(db, tmp_path):
    out = tmp_path / "a.tsv"
    assert pos(db, "articles", "export", str(out), "--sep", "tab", "--encoding", "utf-8", "--decimal", ".") \
        .returncode == 0
    first = out.read_bytes().split(b"\r\n")[:2]
    assert first[0] == b"reference\tbarcode\tname\tdepartment\tprice\tvat_rate\tcost_price\tstock\tactive\tweb"
    assert first[1].split(b"\t")[4:6] == [b"1.20", b"5.5"]
    proc = pos(db, "articles", "export", str(out), "--sep", "|")
    assert proc.returncode == 1 and proc.stderr == "pos: the separator is ; , or tab\n"


def test_apply_choices_and_dry_run(db, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("reference;name;price;vat_rate;department\nD010001;Baguette tradition;1,35;5,5;Boulangerie\n"
                    "NEW-1;Galette des rois;18;5,5;Pâtisserie\n", encoding="utf-8")
    before = dump(db)
    proc = pos(db, "articles", "import", str(path), "--add", "--update", "--create-departments", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "new: 1" in lines and "changed: 1" in lines and "changed.price: 1" in lines
    assert f"missing: {demo_article_count() - 1}" in lines and "new_departments: Pâtisserie" in lines
    assert lines[-1] == "dry run: nothing was changed" and dump(db) == before
    proc = pos(db, "articles", "import", str(path), "--add", "--update", "--create-departments")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-5:] == ["added: 1", "updated: 1", "deleted: 0", "deactivated: 0",
                                             "departments_created: 1"]
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT price FROM article WHERE reference = 'D010001'").fetchone() == (135,)
    assert conn.execute("SELECT d.name FROM article a JOIN department d ON d.id = a.department_id "
                        "WHERE reference = 'NEW-1'").fetchone() == ("Pâtisserie",)
    who, choices = conn.execute("SELECT user_name, choices FROM import_log").fetchone()
    assert who == "Claire" and '"add": true' in choices
    conn.close()


def test_invalid_input_exits_non_zero_names_the_lines_and_changes_nothing(db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("reference;name;price;vat_rate\nA1;Ok;1;20\nA2;Bad;1,2,3x;20\nA3;;1;33\n", encoding="utf-8")
    before = dump(db)
    proc = pos(db, "articles", "import", str(path), "--add", "--update", "--delete")
    assert proc.returncode == 1
    assert "invalid: 2" in proc.stdout.splitlines()
    err = proc.stderr.splitlines()
    assert err[0] == "bad.csv:3: column C (price): not a number: 1,2,3x"
    assert err[1] == "bad.csv:4: column B (name): name is required"  # a line's errors in column order
    assert err[2].startswith("bad.csv:4: column D (vat_rate): unknown VAT rate 33 %")
    assert err[-1] == "pos: 2 invalid rows: nothing was changed"
    assert dump(db) == before


def test_file_errors_are_one_line(db, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    proc = pos(db, "articles", "import", str(path))
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", "pos: empty.csv: the file is empty\n")
    proc = pos(db, "articles", "import", str(tmp_path / "nowhere.csv"))
    assert (proc.returncode, proc.stderr) == (1, "pos: nowhere.csv: no such file\n")


def test_departments_and_customers(db, tmp_path):
    deps, custs = tmp_path / "d.csv", tmp_path / "c.csv"
    assert pos(db, "departments", "export", str(deps)).returncode == 0
    assert deps.read_text("utf-8-sig").splitlines()[0] == "name;colour;vat_rate;position;active"
    custs.write_text("id;name;email;phone;address;postcode;city;vat_number;notes;active\n"
                     ";Dupont SARL;contact@dupont.fr;;\"1 rue du Port\nBP 12\";29200;Brest;FR12345678901;;1\n",
                     encoding="utf-8")
    proc = pos(db, "customers", "import", str(custs), "--add")
    assert proc.returncode == 0, proc.stderr
    assert "added: 1" in proc.stdout.splitlines()
    assert pos(db, "customers", "export", str(custs)).returncode == 0
    lines = custs.read_bytes().decode("utf-8-sig").split("\r\n")
    assert lines[1].startswith('1;Dupont SARL;contact@dupont.fr;;"1 rue du Port\nBP 12";29200;Brest;FR12345678901')
    proc = pos(db, "customers", "import", str(custs))
    assert "unchanged: 1" in proc.stdout.splitlines()
    proc = pos(db, "departments", "import", str(deps))
    assert proc.returncode == 0 and "changed: 0" in proc.stdout.splitlines()


# ---------------------------------------------------------------- formats, fields, filters, templates
def test_xlsx_export_and_import_with_fields_and_filters(db, tmp_path):
    out = tmp_path / "bread.xlsx"
    proc = pos(db, "articles", "export", str(out), "--fields", "reference,name,price",
               "--where", "department=Boulangerie", "--where", "active=1")
    assert proc.returncode == 0, proc.stderr
    n = int(proc.stdout.split()[0])
    assert 0 < n < demo_article_count()
    proc = pos(db, "articles", "import", str(out))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[:3] == ["file: bread.xlsx", "format: xlsx", "sheet: articles"]
    assert f"unchanged: {n}" in lines and "changed: 0" in lines
    history = pos(db, "exports", "history").stdout.splitlines()
    assert history[0].split("\t")[1:] == ["Claire", "articles", "xlsx", "bread.xlsx", str(n), "reference,name,price",
                                          "active=1 department=Boulangerie"]


def test_templates_from_the_cli(db, tmp_path):
    before = dump(db)
    proc = pos(db, "exports", "template-save", "low stock", "--list", "articles", "--format", "jsonl",
               "--fields", "reference,stock", "--where", "stock_below=50.5")
    assert proc.returncode == 0, proc.stderr
    assert pos(db, "exports", "templates").stdout == "low stock\tarticles\tjsonl\treference,stock\tstock_below=50.5\n"
    out = tmp_path / "low.jsonl"
    proc = pos(db, "articles", "export", str(out), "--template", "low stock")
    assert proc.returncode == 0, proc.stderr
    rows = [__import__("json").loads(line) for line in out.read_text().splitlines()]
    assert rows and all(list(r) == ["reference", "stock"] and r["stock"] < 50.5 for r in rows)
    proc = pos(db, "customers", "export", str(out), "--template", "low stock")
    assert proc.returncode == 1 and "template low stock exports the articles, not the customers" in proc.stderr
    proc = pos(db, "exports", "template-save", "bad", "--list", "articles", "--fields", "prix")
    assert proc.returncode == 1 and "unknown field prix" in proc.stderr
    proc = pos(db, "exports", "template-save", "x", "--list", "articles", "--user", "Marie")
    assert proc.returncode == 1  # a cashier cannot manage templates
    assert pos(db, "exports", "template-delete", "low stock").returncode == 0
    assert pos(db, "exports", "templates").stdout == ""
    assert dump(db) == before  # the catalogue was never touched


def test_workbook_of_every_list(db, tmp_path):
    out = tmp_path / "shop.xlsx"
    proc = pos(db, "exports", "workbook", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == f"articles: {demo_article_count()}"
    proc = pos(db, "departments", "import", str(out))
    assert proc.returncode == 0 and "sheet: departments" in proc.stdout and "changed: 0" in proc.stdout


@pytest.mark.parametrize("args", [("articles", "export", "a.csv"), ("customers", "export", "c.xlsx"),
                                  ("exports", "workbook", "all.xlsx")])
def test_a_cashier_cannot_export_cost_prices_or_customers(db, tmp_path, args):
    """A list holds cost prices and customers' details: exporting it takes the export permission."""
    from helpers.cli import cli_env

    target = tmp_path / args[-1]
    for env in (cli_env("Marie"), cli_env(None)):
        proc = pos(db, *args[:-1], str(target), env=env)
        assert proc.returncode != 0 and not target.exists() and "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "A manager must authorise this: export the lists" in pos(
        db, *args[:-1], str(target), env=cli_env("Marie")).stderr
    assert pos(db, "exports", "history").stdout == ""  # nothing was exported
    proc = pos(db, *args[:-1], str(target), "--user", "Claire")
    assert proc.returncode == 0 and target.stat().st_size > 0, proc.stderr
    assert "\tClaire\t" in pos(db, "exports", "history").stdout
