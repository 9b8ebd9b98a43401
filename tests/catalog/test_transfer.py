"""CSV export and import (pos/catalog/transfer.py, pos/catalog/csvio.py, pos/data/transfer.py), without a display."""

from __future__ import annotations

import codecs
import csv
import dataclasses
import hashlib
import io
import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from helpers.actors import manager

from pos.catalog import transfer
from pos.catalog.csvio import CsvError, WriteOptions, parse_decimal
from pos.catalog.transfer import Import, export
from pos.core.errors import Cancelled
from pos.data import catalog as catalog_db
from pos.data import customers as customers_db
from pos.data import events, tickets
from pos.data import shop as shop_db
from pos.data.catalog import ArticleDetail

FIXTURES = Path(__file__).parent.parent / "fixtures" / "csv"
HEADER = "reference;barcode;name;department;price;vat_rate;cost_price;stock;active;web"


def snapshot(db) -> list:
    """Everything an import may touch, to check that a refused one changed nothing."""
    out = []
    for table in ("article", "barcode", "department", "customer", "import_log"):
        out.append(db.execute_sql(f"SELECT * FROM {table} ORDER BY id").fetchall())
    return out


def preview(entity: str, path: Path, **kw):
    job = Import(entity, path, **kw)
    return job, job.prepare()


def write(path: Path, text: str, encoding: str = "utf-8-sig") -> Path:
    path.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    return path


# ---------------------------------------------------------------- export
def test_export_defaults_open_in_a_french_excel(shop, tmp_path):
    path = tmp_path / "articles.csv"
    n = export(manager(), "articles", path)
    data = path.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[0] == HEADER
    assert n == catalog_db.count_articles() == len(lines) - 2 and lines[-1] == ""
    baguette = next(line for line in lines if line.startswith("D010001;"))
    assert baguette == "D010001;3760123000017;Baguette tradition;Boulangerie;1,20;5,5;0,66;50;1;0"
    assert oct(path.stat().st_mode & 0o777) != oct(0o600)  # a normal file, not a private temp file


def set_custom(code: str, values: dict) -> None:
    """Give the article ``code`` these custom field values (through the one validated write)."""
    article = catalog_db.article_detail(catalog_db.find_article_by_code(code).id)
    catalog_db.save_article(dataclasses.replace(article, custom=values))


def test_export_options_and_custom_fields(shop, tmp_path):
    catalog_db.define_custom_field("origin", "Origine")
    catalog_db.define_custom_field("weight_g", "Poids (g)", "number")
    set_custom("D010001", {"origin": "Bretagne, France", "weight_g": 250})
    path = tmp_path / "a.csv"
    export(manager(), "articles", path, WriteOptions(",", "utf-8", "."))
    rows = list(csv.reader(io.StringIO(path.read_text("utf-8"))))
    assert rows[0] == HEADER.split(";") + ["origin", "weight_g"]
    row = next(r for r in rows if r[0] == "D010001")
    assert row[4:6] == ["1.20", "5.5"] and row[10:] == ["Bretagne, France", "250"]
    with pytest.raises(CsvError, match="separator"):
        export(manager(), "articles", path, WriteOptions("|"))


def test_export_cancel_leaves_no_file(shop, tmp_path):
    path = tmp_path / "a.csv"

    def stop(done, total):
        raise Cancelled()

    catalog_db.bulk_insert_articles([{"reference": f"B{i:05d}", "name": f"Bulk {i}", "price": 100, "vat": 1,
                                 "stock": 0, "active": True, "by_weight": False, "free_price": False,
                                 "favourite": False, "custom": "{}", "updated_at": ""} for i in range(6000)])
    with pytest.raises(Cancelled):
        export(manager(), "articles", path, progress=stop)
    assert not path.exists() and not list(tmp_path.glob("*.csv*"))


def test_cp1252_export_refuses_a_character_it_cannot_hold(shop, tmp_path):
    catalog_db.save_article(ArticleDetail("JP1", "Thé 抹茶", 500, 550))
    with pytest.raises(CsvError, match="UTF-8"):
        export(manager(), "articles", tmp_path / "a.csv", WriteOptions(";", "cp1252", ","))
    assert not (tmp_path / "a.csv").exists()


# ---------------------------------------------------------------- round trips
DIALECTS = [
    WriteOptions(";", "utf-8-sig", ","),  # the default: Excel "CSV UTF-8"
    WriteOptions(";", "cp1252", ","),  # Excel "CSV (séparateur: point-virgule)"
    WriteOptions(",", "utf-8", "."),  # LibreOffice / Google Sheets
    WriteOptions("\t", "utf-8", ","),
    WriteOptions(",", "utf-16", ","),
]


@pytest.mark.parametrize("options", DIALECTS, ids=lambda o: f"{o.encoding}-{o.separator!r}-{o.decimal}")
@pytest.mark.parametrize("entity", ["articles", "departments", "customers"])
def test_round_trip_gives_zero_changes(shop, tmp_path, options, entity):
    catalog_db.define_custom_field("origin", "Origine")
    catalog_db.define_custom_field("bio", "Bio", "bool")
    set_custom("D010001", {"origin": "Île-de-France", "bio": True})
    catalog_db.save_article(ArticleDetail("MULTI", 'Multi "codes"; test, ok', 199, 2000,
                                          barcodes=["3760123456784", "12345670"], cost=None, stock=1500))
    customers_db.save_customer({"name": "Dupont; Marie", "email": "marie@example.fr",
                                "address": "1 rue de la Paix\n75002 Paris"})
    customers_db.save_customer({"name": "Société Générale d'Épicerie", "phone": "01 23 45 67 89"})
    path = tmp_path / f"{entity}.csv"
    n = export(manager(), entity, path, options)
    job, p = preview(entity, path)
    with job:
        assert p.rows == n > 0
        assert p.encoding.replace("-sig", "") == options.encoding.replace("-sig", "")
        assert p.separator == options.separator
        assert (p.counts["new"], p.counts["changed"], p.counts["missing"], p.counts["invalid"]) == (0, 0, 0, 0)
        assert p.counts["same"] == n


# ---------------------------------------------------------------- what real spreadsheets save
def test_excel_semicolon_cp1252_with_french_headers(shop, tmp_path):
    """Excel's "CSV (séparateur: point-virgule)": Windows-1252, no BOM, French headers, decimal comma."""
    text = ("Référence;Désignation;Rayon;Prix TTC;TVA;Prix d'achat;Code-barre;Actif;Commentaire\n"
            "NEW-1;Pâté de campagne;Épicerie;4,90;5,5 %;2,10;3760123456784;oui;à revoir\n"
            "D010001;Baguette tradition;Boulangerie;1,25 €;5,5;0,66;3760123000017;1;\n")
    path = write(tmp_path / "excel.csv", text, "cp1252")
    job, p = preview("articles", path)
    with job:
        assert p.encoding == "cp1252" and p.separator == ";"
        assert p.unknown_columns == ["I (Commentaire)"]
        assert p.counts["new"] == 1 and p.counts["changed"] == 1 and p.fields == {"price": 1}
        assert job.compare(3) == {"price": ("1,20", "1,25")}
        new = job.rows("new")[0]
        assert (new["line"], new["key"], new["label"]) == (2, "NEW-1", "Pâté de campagne")
        done = job.apply(manager("Claire"), add=True, update=True, delete=False)
    assert done["added"] == 1 and done["updated"] == 1
    art = catalog_db.find_article_by_code("3760123456784")
    assert (art.reference, art.name, art.price, art.vat_bp, art.department) == (
        "NEW-1", "Pâté de campagne", 490, 550, "Épicerie")
    assert catalog_db.find_article_by_code("D010001").price == 125


def test_quoted_fields_with_separators_and_newlines(shop, tmp_path):
    text = (f"{HEADER}\n"
            '"Q1";"";"Pain ""maison""; 500 g";"Boulangerie";"2,50";"5,5";"";"0";"1"\n'
            '"Q2";"";"Plateau\nfromages, 6 parts";"Crèmerie";"18,00";"5,5";"";"0";"1"\n'
            "Q3;;Dernier;Boulangerie;1;5,5;;0;1\n")
    path = tmp_path / "q.csv"  # Excel: CRLF between records, LF inside a cell (Alt+Enter)
    path.write_bytes(codecs.BOM_UTF8 + text.replace(';"1"\n', ';"1"\r\n').encode())
    job, p = preview("articles", path)
    with job:
        assert p.counts["new"] == 3 and p.counts["invalid"] == 0
        assert [r["line"] for r in job.rows("new")] == [2, 3, 5]  # Q3 starts on line 5: Q2 spans two lines
        job.apply(manager(), add=True, update=False, delete=False)
    assert catalog_db.find_article_by_code("Q1").name == 'Pain "maison"; 500 g'
    assert catalog_db.find_article_by_code("Q2").name == "Plateau\nfromages, 6 parts"


def test_libreoffice_and_google_sheets_exports(shop, tmp_path):
    """UTF-8 without BOM, comma separator, decimal point, LF line ends, every text quoted (LibreOffice)."""
    text = ('"reference","barcode","name","department","price","vat_rate","cost_price","stock","active"\n'
            '"LO-1","","Savon, lavande","Quincaillerie",3.5,20,1.2,12,TRUE\n'
            '"LO-2","","Éponge","Quincaillerie","1,234.00",20,,0.5,FALSE\n')
    path = tmp_path / "lo.csv"
    path.write_text(text, encoding="utf-8")
    job, p = preview("articles", path, create_departments=True)
    with job:
        assert (p.encoding, p.separator, p.counts["new"], p.counts["invalid"]) == ("utf-8", ",", 2, 0)
        assert p.new_departments == ["Quincaillerie"]
        job.apply(manager(), add=True, update=False, delete=False)
    a, b = catalog_db.find_article_by_code("LO-1"), catalog_db.find_article_by_code("LO-2")
    assert (a.price, a.stock, a.active, b.price, b.stock, b.active) == (350, 12000, True, 123400, 500, False)


def test_sniffed_tab_separator_and_barcode_matching(shop, tmp_path):
    """No reference column: rows match by barcode; a new barcode becomes the new article's reference."""
    text = "EAN\tLibellé\tPrix\tTVA\n3760123000017\tBaguette tradition\t1,30\t5,5\n4006381333931\tStylo\t2\t20\n"
    path = write(tmp_path / "t.csv", text)
    job, p = preview("articles", path)
    with job:
        assert p.separator == "\t" and p.counts["changed"] == 1 and p.counts["new"] == 1
        job.apply(manager(), add=True, update=True, delete=False)
    assert catalog_db.find_article_by_code("D010001").price == 130
    assert catalog_db.find_article_by_code("4006381333931").reference == "4006381333931"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
@pytest.mark.slow
def test_round_trip_through_libreoffice(shop, tmp_path):
    """export → LibreOffice opens it and saves .ods → back to CSV (UTF-8, ;) → zero changes."""
    path = tmp_path / "articles.csv"
    n = export(manager(), "articles", path)
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    # 59 = ';', 34 = '"', 76 = UTF-8; column 2 (barcodes) as text so that EAN-13s stay digits
    opts = "csv:Text - txt - csv (StarCalc):59,34,76,1,1/1/2/2/3/2,1036,false,true"
    subprocess.run(["soffice", "--headless", f"--infilter={opts.split(':', 1)[1]}", "--convert-to", "ods",
                    "--outdir", str(tmp_path / "ods"), str(path)], check=True, env=env, timeout=180,
                   capture_output=True)
    subprocess.run(["soffice", "--headless", "--convert-to", "csv:Text - txt - csv (StarCalc):59,34,76,1",
                    "--outdir", str(tmp_path / "out"), str(tmp_path / "ods" / "articles.ods")],
                   check=True, env=env, timeout=180, capture_output=True)
    back = tmp_path / "out" / "articles.csv"
    job, p = preview("articles", back)
    with job:
        assert p.rows == n
        assert (p.counts["new"], p.counts["changed"], p.counts["invalid"], p.counts["same"]) == (0, 0, 0, n), \
            job.errors(5)


# ---------------------------------------------------------------- the preview and the choices
def _edited_export(tmp_path) -> Path:
    path = tmp_path / "a.csv"
    export(manager(), "articles", path)
    lines = path.read_text("utf-8-sig").splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        if line.startswith("D010002;"):
            continue  # missing from the file
        if line.startswith("D010001;"):
            line = line.replace("Baguette tradition", "Baguette de tradition").replace(";1,20;", ";1,30;")
        out.append(line)
    out.insert(1, "NEW;;Nouveauté;Boulangerie;2,00;5,5;;0;1")
    return write(tmp_path / "b.csv", "\n".join(out).rstrip("\n") + "\n")


def test_independent_choices(shop, tmp_path):
    total = catalog_db.count_articles()
    path = _edited_export(tmp_path)
    job, p = preview("articles", path)
    with job:
        assert (p.counts["new"], p.counts["changed"], p.counts["missing"]) == (1, 1, 1)
        assert p.fields == {"name": 1, "price": 1}
        assert [r["key"] for r in job.rows("missing")] == ["D010002"]
        done = job.apply(manager(), add=True, update=False, delete=False)
    assert done == {"added": 1, "updated": 0, "deleted": 0, "deactivated": 0, "departments_created": 0}
    assert catalog_db.find_article_by_code("D010001").price == 120 and catalog_db.count_articles() == total + 1
    job, p = preview("articles", path)
    with job:
        assert (p.counts["new"], p.counts["changed"], p.counts["missing"]) == (0, 1, 1)
        job.apply(manager(), add=False, update=False, delete=True)
    assert catalog_db.find_article_by_code("D010002") is None and catalog_db.count_articles() == total
    job, p = preview("articles", path)
    with job:
        job.apply(manager(), add=False, update=True, delete=False)
    assert catalog_db.find_article_by_code("D010001").name == "Baguette de tradition"
    job, p = preview("articles", path)
    with job:
        assert p.counts["same"] == p.rows and p.counts["missing"] == 0


def test_an_article_on_a_ticket_is_deactivated_not_deleted(till, tmp_path):
    till.scan("3760123000024")  # D010002, Baguette
    till.add_payment("cash")
    till.validate()
    assert tickets.last_ticket_number() >= 1
    path = _edited_export(tmp_path)
    job, p = preview("articles", path)
    with job:
        assert (p.counts["missing"], p.counts["missing_deactivate"], p.counts["missing_delete"]) == (1, 1, 0)
        assert job.rows("missing")[0]["in_use"] is True
        done = job.apply(manager("Claire"), add=False, update=False, delete=True)
    assert (done["deleted"], done["deactivated"]) == (0, 1)
    art = catalog_db.get_article(catalog_db.search_articles("Baguette", include_inactive=True)[0].id)
    gone = [a for a in catalog_db.search_articles("Baguette", include_inactive=True) if a.reference == "D010002"]
    assert gone and gone[0].active is False and art is not None
    # the next import does not list it again as missing
    job, p = preview("articles", path)
    with job:
        assert p.counts["missing"] == 0


def test_a_barcode_moving_to_a_new_article(shop, tmp_path):
    """D010001 gives its barcode to a new article: adding alone would clash, adding and updating moves it."""
    path = write(tmp_path / "m.csv", f"{HEADER}\nD010001;;Baguette tradition;Boulangerie;1,20;5,5;0,66;50;1\n"
                                     "NEW;3760123000017;Baguette sans code;Boulangerie;1,20;5,5;;0;1\n")
    before = snapshot(shop)
    job, p = preview("articles", path)
    with job:
        assert (p.counts["new"], p.counts["changed"], p.counts["invalid"], p.fields) == (1, 1, 0, {"barcode": 1})
        with pytest.raises(transfer.TransferError, match="update the existing ones too"):
            job.apply(manager(), add=True, update=False, delete=False)
        assert snapshot(shop) == before
        job.apply(manager(), add=True, update=True, delete=False)
    assert catalog_db.find_article_by_code("3760123000017").reference == "NEW"


def test_unknown_departments_are_errors_unless_created(shop, tmp_path):
    path = write(tmp_path / "d.csv",
                 f"{HEADER}\nN1;;Thé vert;Salon de thé;4;5,5;;0;1\nN2;;Thé noir;salon de THÉ;4;5,5;;0;1\n")
    job, p = preview("articles", path)
    with job:
        assert p.counts["invalid"] == 2
        assert "unknown department Salon de thé" in job.errors()[0]
        p = job.set_create_departments(True)
        assert p.counts["invalid"] == 0 and p.counts["new"] == 2
        done = job.apply(manager(), add=True, update=False, delete=False)
    assert done["departments_created"] >= 1
    assert catalog_db.find_article_by_code("N1").department == "Salon de thé"


# ---------------------------------------------------------------- errors: rows
def test_row_errors_name_line_and_column_and_change_nothing(shop, tmp_path):
    text = (f"{HEADER}\n"
            "E1;;Prix faux;Boulangerie;douze;5,5;;0;1\n"  # 2: price
            "E2;;TVA inconnue;Boulangerie;1;7;;0;1\n"  # 3: VAT
            "E3;3760123000018;Mauvais EAN;Boulangerie;1;5,5;;0;1\n"  # 4: check digit
            "E1;;Doublon;Boulangerie;1;5,5;;0;1\n"  # 5: duplicate reference
            "E5;3760123000017;EAN pris;Boulangerie;1;5,5;;0;1\n"  # 6: barcode of D010001
            "E6;;;Boulangerie;1;5,5;;0;1\n"  # 7: no name
            "E7;3,76012E+12;Excel;Boulangerie;1;5,5;;0;1\n"  # 8: barcode turned into a number
            "E8;;Actif ?;Boulangerie;1;5,5;;0;peut-être\n"  # 9: not a boolean
            "E9;;Stock;Boulangerie;1;5,5;;12kg;1\n"  # 10: not a number
            "OK;;Correct;Boulangerie;1;5,5;;0;1\n")
    path = write(tmp_path / "bad.csv", text)
    before = snapshot(shop)
    job, p = preview("articles", path)
    with job:
        errors = job.errors()
        assert p.counts["invalid"] == 9 and p.counts["new"] == 1
        expected = [
            "bad.csv:2: column E (price): not a number: douze",
            "bad.csv:3: column F (vat_rate): unknown VAT rate 7 %",
            "bad.csv:4: column B (barcode): wrong check digit in barcode 3760123000018",
            "bad.csv:5: reference: E1 is already on line 2 of the file",
            "bad.csv:6: barcode: barcode 3760123000017 belongs to article D010001",
            "bad.csv:7: column C (name): name is required",
            "bad.csv:8: column B (barcode): the spreadsheet turned this barcode into a number",
            "bad.csv:9: column I (active): not yes or no: peut-être",
            "bad.csv:10: column H (stock): not a number: 12kg",
        ]
        for want in expected:
            assert any(e.startswith(want) for e in errors), (want, errors)
        invalid = job.rows("invalid", 0, 100)
        assert invalid[0]["errors"] == [(5, "price", "not a number: douze")]
        with pytest.raises(transfer.TransferError, match="9 invalid rows"):
            job.apply(manager(), add=True, update=True, delete=True)
    assert snapshot(shop) == before


BROKEN = {
    "empty.csv": (b"", "the file is empty"),
    "blank.csv": (b"\r\n\r\n  \r\n", "the file is empty"),
    "binary.csv": (bytes(range(256)) * 4, "not a text file"),
    "workbook.csv": (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 64, "spreadsheet workbook"),
    "no_header.csv": (b"D010001;3760123000017;Baguette;Boulangerie;1,20;5,5\r\n", "no header row"),
    "bad_utf8_bom.csv": (codecs.BOM_UTF8 + b"reference;name\r\nX;Caf" + b"\xe9\r\n", "not valid UTF-8"),
    "not_cp1252.csv": (b"reference;name\r\nX;abc\x81\x8d\r\n", "unknown encoding"),
    "no_key.csv": (b"name;price\r\nBaguette;1\r\n", "no reference or barcode column"),
    "twice.csv": (b"reference;name;nom\r\nX;a;b\r\n", "appears twice"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_files_give_a_clear_error_and_change_nothing(shop, tmp_path, name):
    data, message = BROKEN[name]
    path = tmp_path / name
    path.write_bytes(data)
    before = snapshot(shop)
    with pytest.raises(CsvError) as info:
        Import("articles", path).prepare()
    assert message in str(info.value) and str(info.value).startswith(name)
    assert snapshot(shop) == before


def test_corpus_of_real_files(shop, tmp_path):
    """Files saved by the spreadsheets themselves (tests/fixtures/csv, see its README)."""
    seen = 0
    for path in sorted(FIXTURES.glob("*.csv")):
        expect = json.loads(path.with_suffix(".json").read_text("utf-8"))
        before = snapshot(shop)
        if "error" in expect:
            with pytest.raises(CsvError, match=expect["error"]):
                Import(expect.get("entity", "articles"), path).prepare()
        else:
            job = Import(expect.get("entity", "articles"), path, create_departments=True)
            with job:
                p = job.prepare()
                got = {k: p.counts[k] for k in expect["counts"]}
                assert got == expect["counts"], (path.name, job.errors(5))
        assert snapshot(shop) == before
        seen += 1
    assert seen >= 4


# ---------------------------------------------------------------- atomic, logged, fresh
@pytest.mark.parametrize("step", ["add", "update", "delete"])
def test_a_crash_while_applying_leaves_the_database_as_it_was(shop, tmp_path, step):
    path = _edited_export(tmp_path)
    before = snapshot(shop)
    job, p = preview("articles", path)
    with job, pytest.raises(RuntimeError, match="injected"):
        job.apply(manager(), add=True, update=True, delete=True, fail_after=step)
    assert snapshot(shop) == before


def test_every_import_is_logged(shop, tmp_path):
    path = _edited_export(tmp_path)
    job, p = preview("articles", path)
    with job:
        job.apply(manager("Claire"), add=True, update=True, delete=False)
    log = transfer.import_log("articles")[0]
    assert log["user_name"] == "Claire" and log["file_name"] == "b.csv"
    assert log["file_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert log["choices"] == {"add": True, "update": True, "delete": False, "create_departments": False}
    assert log["counts"]["added"] == 1 and log["counts"]["updated"] == 1 and log["counts"]["changed"] == 1
    assert any(e["kind"] == "import" for e in events.events("import"))


def test_a_preview_is_refused_once_the_list_changed(shop, tmp_path):
    path = _edited_export(tmp_path)
    job, p = preview("articles", path)
    with job:
        catalog_db.save_article(ArticleDetail("LATE", "Arrivé entre-temps", 100, 2000))
        with pytest.raises(transfer.TransferError, match="preview the file again"):
            job.apply(manager(), add=True, update=True, delete=True)
    assert catalog_db.find_article_by_code("LATE") is not None


def test_the_till_keeps_selling_during_a_preview(till, tmp_path):
    """The preview reads on its own connection: a sale commits meanwhile."""
    path = _edited_export(tmp_path)
    job = Import("articles", path)
    with job:
        job.prepare()
        till.scan("3760123000017")
        till.add_payment("cash")
        till.validate()
        assert tickets.last_ticket_number() >= 1


# ---------------------------------------------------------------- departments and customers
def test_departments_import(shop, tmp_path):
    text = "Nom;Couleur;TVA;Ordre;Actif\nBoulangerie;#FF0000;5,5;1;1\nCaviste;#123456;20;9;1\n"
    path = write(tmp_path / "dep.csv", text)
    job, p = preview("departments", path)
    with job:
        assert p.counts["new"] == 1 and p.counts["changed"] == 1 and "colour" in p.fields
        # departments holding articles are deactivated, the others deleted
        assert p.counts["missing"] == p.counts["missing_deactivate"] > 0
        job.apply(manager(), add=True, update=True, delete=True)
    deps = {d.name: d for d in shop_db.departments(include_inactive=True)}
    assert deps["Boulangerie"].colour == "#FF0000" and deps["Caviste"].vat_bp == 2000
    assert not deps["Crèmerie"].active


def test_customers_import_matches_by_id_then_email(shop, tmp_path):
    a = customers_db.save_customer({"name": "Marie Dupont", "email": "marie@example.fr"})
    text = ("N° client;Nom;E-mail;Téléphone;Ville\n"
            f"{a};Marie Dupont-Martin;marie@example.fr;06 12 34 56 78;Lyon\n"
            ";Jean Martin;jean@example.fr;;Paris\n"
            ";;sans-nom@example.fr;;\n"
            "abc;X;;;\n")
    path = write(tmp_path / "c.csv", text)
    job, p = preview("customers", path)
    with job:
        assert p.counts["changed"] == 1 and p.counts["new"] == 1 and p.counts["invalid"] == 2
        assert any("a customer number is a whole number" in e for e in job.errors())
    path = write(tmp_path / "c.csv", "\n".join(text.split("\n")[:3]) + "\n")
    job, p = preview("customers", path)
    with job:
        job.apply(manager(), add=True, update=True, delete=False)
    got = customers_db.get_customer(a)
    assert (got["name"], got["phone"], got["city"], got["email"]) == (
        "Marie Dupont-Martin", "06 12 34 56 78", "Lyon", "marie@example.fr")
    assert [c["name"] for c in customers_db.customer_page("Jean").rows] == ["Jean Martin"]


# ---------------------------------------------------------------- numbers
@pytest.mark.parametrize("text,cents", [("1,20", 120), ("1.2", 120), ("1 234,56 €", 123456), ("1.234,56", 123456),
                                        ("1,234.56", 123456), ("0,005", 1), ("-2,5", -250), ("12", 1200)])
def test_parse_decimal(text, cents):
    assert parse_decimal(text, 2) == cents


def test_database_file_is_never_read_by_sqlite3_writes_from_preview(shop, tmp_path):
    """The preview's private connection only reads the shop: the file's data_version is unchanged."""
    path = _edited_export(tmp_path)
    conn = sqlite3.connect(shop.database)
    version = conn.execute("PRAGMA data_version").fetchone()[0]
    job, _p = preview("articles", path)
    job.close()
    assert conn.execute("PRAGMA data_version").fetchone()[0] == version
    conn.close()


def test_an_update_with_a_custom_column_applies(shop, tmp_path):
    catalog_db.define_custom_field("origin", "Origine")
    path = write(tmp_path / "c.csv", "reference;origine\nD010001;Bretagne\n")
    job, p = preview("articles", path)
    with job:
        assert p.counts["changed"] == 1 and p.fields == {"origin": 1}
        assert job.apply(manager(), add=False, update=True, delete=False)["updated"] == 1
    assert catalog_db.article_detail(catalog_db.find_article_by_code("D010001").id).custom == {"origin": "Bretagne"}


def test_blank_cells_keep_what_cannot_be_empty(shop, tmp_path):
    """A blank stock or active cell keeps the article's value; a new article gets the default."""
    before = catalog_db.find_article_by_code("D010001")
    path = write(tmp_path / "b.csv", "reference;name;price;vat_rate;stock;active\n"
                                     "D010001;Baguette tradition;1,20;5,5;;\nNEW1;Nouveau;1,00;5,5;;\n")
    job, p = preview("articles", path)
    with job:
        assert (p.counts["new"], p.counts["changed"], p.counts["same"], p.counts["invalid"]) == (1, 0, 1, 0)
        job.apply(manager(), add=True, update=True, delete=False)
    after, new = catalog_db.find_article_by_code("D010001"), catalog_db.find_article_by_code("NEW1")
    assert (after.stock, after.active) == (before.stock, before.active)
    assert (new.stock, new.active) == (0, True)


def test_department_names_ignore_case_accents_included(shop, tmp_path):
    path = write(tmp_path / "d.csv", "name;colour\népicerie;#112233\n")
    job, p = preview("departments", path)
    with job:
        assert (p.counts["new"], p.counts["changed"]) == (0, 1)
    path = write(tmp_path / "d2.csv", "name;colour\nBOULANGERIE;#112233\nboulangerie;#445566\n")
    job, p = preview("departments", path)
    with job:
        assert p.counts["invalid"] == 1 and "already on line 2" in job.errors()[0]
    path = write(tmp_path / "a.csv", f"{HEADER}\nP1;;Tarte;Pâtisserie;4;5,5;;0;1\nP2;;Éclair;PÂTISSERIE;3;5,5;;0;1\n")
    job, p = preview("articles", path, create_departments=True)
    with job:
        assert p.new_departments == ["Pâtisserie"]
        assert job.apply(manager(), add=True, update=False, delete=False)["departments_created"] == 1
    assert catalog_db.find_article_by_code("P2").department == "Pâtisserie"


def test_rows_changing_different_fields_each_get_only_their_changes(shop, tmp_path):
    """The update sets, for each row, the fields that row changes (one statement per set of fields):
    a row changing its price keeps its name and search entry, another its name, another both."""
    from pos.data.catalog import search_articles

    before = {r: catalog_db.find_article_by_code(r) for r in ("D010001", "D010003", "D010004")}
    same_price = f"{before['D010003'].price // 100},{before['D010003'].price % 100:02d}"
    path = write(tmp_path / "m.csv", "reference;name;price;stock\nD010001;Baguette tradition;1,25;\n"
                                      f"D010003;Pain aux noix;{same_price};\nD010004;Pain de seigle bio;9,99;7\n")
    job, p = preview("articles", path)
    with job:
        assert p.counts["changed"] == 3, job.errors()
        job.apply(manager(), add=False, update=True, delete=False)
    after = {r: catalog_db.find_article_by_code(r) for r in before}
    assert (after["D010001"].name, after["D010001"].price) == ("Baguette tradition", 125)
    assert (after["D010003"].name, after["D010003"].price) == ("Pain aux noix", before["D010003"].price)
    assert (after["D010004"].name, after["D010004"].price, after["D010004"].stock) == ("Pain de seigle bio", 999, 7000)
    assert [a.reference for a in search_articles("seigle bio")] == ["D010004"]
    assert [a.reference for a in search_articles("noix")] == ["D010003"]
