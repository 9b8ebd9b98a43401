"""Hostile CSV files (issue 13, items 3, 7 and 9): mixed encodings, numbers out of range or not
ASCII, bad thousands groups, huge lines and headers, a header without rows.  Each is refused
with its line (and column), and nothing reaches the database."""

from __future__ import annotations

import codecs

import pytest
from helpers.actors import manager

from pos.catalog.csvio import MAX_COLUMNS, CsvError, parse_decimal
from pos.catalog.transfer import Import
from pos.data import catalog as catalog_db
from pos.data import shop as shop_db
from pos.data.transfer import import_log

HEADER = "reference;name;department;price;vat_rate\r\n"


def snapshot(db) -> list:
    return [db.execute_sql(f"SELECT * FROM {t} ORDER BY id").fetchall()
            for t in ("article", "barcode", "department", "customer", "import_log", "event")]


def apply_all(path, **kw):
    with Import("articles", path, **kw) as job:
        p = job.prepare()
        if not p.invalid:
            job.apply(manager(), add=True, update=True, delete=True)
        return p, job.errors()


# ---------------------------------------------------------------- item 3: one file, one encoding
def test_a_utf8_file_with_one_cp1252_line_is_refused_not_mangled(shop, tmp_path):
    rows = [f"M{i:03};Pain aux céréales {i};Épicerie fine;1,50;5,5\r\n" for i in range(55)]
    data = (HEADER + "".join(rows)).encode("utf-8")
    data += "M999;Brioche;Épicerie fine;2,00;5,5\r\n".encode("cp1252")  # one line from an old file
    path = tmp_path / "mixed.csv"
    path.write_bytes(data)
    before = snapshot(shop)
    with pytest.raises(CsvError) as err:
        apply_all(path, create_departments=True)
    assert (err.value.line, err.value.column) == (57, 3)  # the first byte that is not UTF-8
    assert "mixes two encodings" in str(err.value) and "CSV UTF-8" in str(err.value)
    assert "line 57, column C" in str(err.value)
    assert snapshot(shop) == before
    assert not any("Ã" in a.name for a in catalog_db.search_articles("Pain"))
    assert not any("Ã" in d.name for d in shop_db.departments(include_inactive=True))


def test_a_whole_cp1252_file_is_still_read_as_cp1252(shop, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes((HEADER + "M1;Pain aux céréales «BIO»;Épicerie fine;1,50;5,5\r\n").encode("cp1252"))
    p, errors = apply_all(path, create_departments=True)
    assert p.encoding == "cp1252" and errors == []
    assert catalog_db.find_article_by_code("M1").name == "Pain aux céréales «BIO»"


def test_a_file_with_a_bom_and_a_bad_byte_is_refused(shop, tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(codecs.BOM_UTF8 + HEADER.encode() + "M1;Crème;;1,00;20\r\n".encode("cp1252"))
    with pytest.raises(CsvError, match="line 2, column B"):
        apply_all(path)


# ---------------------------------------------------------------- item 7 and 9: numbers
@pytest.mark.parametrize("text", ["99999999999999999999999", "9223372036854775807", "-9223372036854775809",
                                  "1" * 5000])
def test_numbers_out_of_range_are_row_errors_with_line_and_column(shop, tmp_path, text):
    path = tmp_path / "big.csv"
    path.write_text(HEADER + f"M1;Pain;;1,00;20\r\nM2;Brioche;;{text};20\r\n", "utf-8")
    before = snapshot(shop)
    p, errors = apply_all(path)
    assert p.invalid == 1
    assert len(errors) == 1 and errors[0].startswith("big.csv:3: column D (price): ")
    assert "out of range" in errors[0]
    assert snapshot(shop) == before


def test_out_of_range_in_stock_position_and_custom_numbers(shop, tmp_path):
    catalog_db.define_custom_field("weight_g", "Poids (g)", "number")
    path = tmp_path / "big.csv"
    path.write_text("reference;name;price;vat_rate;stock;weight_g\r\n"
                    "M1;Pain;1,00;20;99999999999999999999;1\r\n"
                    "M2;Pain;1,00;20;1;9223372036854775807\r\n"
                    "M3;Pain;1,00;20;1;1,12345678901234567890\r\n", "utf-8")
    p, errors = apply_all(path)
    assert p.invalid == 2, errors
    assert errors[0].startswith("big.csv:2: column E (stock)") and errors[1].startswith("big.csv:3: column F")
    path = tmp_path / "d.csv"
    path.write_text("name;position\r\nRayon;99999999999999999999999\r\n", "utf-8")
    with Import("departments", path) as job:
        assert job.prepare().invalid == 1 and "out of range" in job.errors()[0]


@pytest.mark.parametrize("text", ["١٢", "１２", "12\u0663", "1,2,3", "12 34", "1.2.3", "1.234,567.8", "1 2 3,5"])
def test_only_ascii_digits_in_valid_groups_are_numbers(text):
    with pytest.raises(ValueError):
        parse_decimal(text, 2)


@pytest.mark.parametrize("text,cents", [("1 234,50", 123450), ("1.234,50", 123450), ("1,234.50", 123450),
                                        ("1\u202f234\u202f567,8", 123456780), ("1'234.5", 123450),
                                        ("1.234.567", 123456700), ("12,5 €", 1250), ("-3", -300), (",5", 50)])
def test_valid_groups_are_read(text, cents):
    assert parse_decimal(text, 2) == cents


def test_an_arabic_indic_price_is_an_error(shop, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(HEADER + "M1;Pain;;١٢;20\r\n", "utf-8")
    p, errors = apply_all(path)
    assert p.invalid == 1 and errors[0].startswith("a.csv:2: column D (price): not a number")


def test_a_customer_number_out_of_range_is_an_error(shop, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id;name\r\n99999999999999999999999;Dupont\r\n١٢;Durand\r\n", "utf-8")
    with Import("customers", path) as job:
        assert job.prepare().invalid == 2


# ---------------------------------------------------------------- item 9: the shape of the file
def test_a_header_only_file_says_no_rows_and_is_not_logged(shop, tmp_path):
    path = tmp_path / "h.csv"
    path.write_text(HEADER, "utf-8")
    before = snapshot(shop)
    with pytest.raises(CsvError, match="no rows"):
        apply_all(path)
    assert snapshot(shop) == before and import_log("articles") == []


def test_a_huge_header_is_refused_early_and_unknown_columns_are_listed_briefly(shop, tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("reference;name;price;vat_rate" + ";x" * 1_000_000 + "\r\nM1;Pain;1;20\r\n", "utf-8")
    with pytest.raises(CsvError, match="line 1: a line longer than 1 MB"):
        apply_all(path)
    path.write_text("reference;name;price;vat_rate" + "".join(f";x{i}" for i in range(MAX_COLUMNS)) +
                    "\r\nM1;Pain;1;20\r\n", "utf-8")
    with pytest.raises(CsvError, match=f"line 1: more than {MAX_COLUMNS} columns"):
        apply_all(path)
    path.write_text("reference;name;price;vat_rate" + "".join(f";x{i}" for i in range(100)) +
                    "\r\nM1;Pain;1;20\r\n", "utf-8")
    with Import("articles", path) as job:
        unknown = job.prepare().unknown_columns
    assert len(unknown) == 21 and unknown[0] == "E (x0)" and unknown[-1] == "and 80 more"


def test_a_line_over_one_megabyte_is_refused_with_its_line(shop, tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(HEADER + "M1;Pain;;1;20\r\nM2;" + "x" * (1 << 20) + ";;1;20\r\n", "utf-8")
    before = snapshot(shop)
    with pytest.raises(CsvError, match="line 3: a line longer than 1 MB"):
        apply_all(path)
    assert snapshot(shop) == before


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
def test_a_long_line_after_many_others_is_refused_with_its_line(shop, tmp_path, newline):
    """The lines are read a megabyte at a time: a long line straddling two reads has its number too."""
    path = tmp_path / "long.csv"
    rows = "".join(f"M{i};Pain {i};;1;20{newline}" for i in range(40_000))  # about 1 MB
    path.write_text(HEADER.replace("\r\n", newline) + rows + "M;" + "x" * (1 << 20) + f";;1;20{newline}M2;P;;1;20",
                    "utf-8", newline="")
    with pytest.raises(CsvError, match="line 40002: a line longer than 1 MB"):
        apply_all(path)
    path.write_text(HEADER.replace("\r\n", newline) + rows, "utf-8", newline="")
    with Import("articles", path) as job:
        assert job.prepare().rows == 40_000


@pytest.mark.parametrize("text", ["١٢", "１２,50", "٣"])
def test_typed_amounts_quantities_and_rates_take_ascii_digits_only(text):
    from pos.core.money import parse_amount, parse_qty, parse_rate

    for parse in (parse_amount, parse_qty, parse_rate):
        with pytest.raises(ValueError):
            parse(text)
