"""Reading the sales is a manager's (``reports``), checked by the core whoever asks: ``pos report
sales|z|month|year|margin`` and ``pos stock value`` (cost prices) refuse a cashier with one line and
exit 1, write no PDF and print nothing; a manager gets the report.  The other read-only commands a
cashier may run show no sales totals, closures or cost prices."""

from __future__ import annotations

import pytest
from helpers.cli import cli_env, pos, run
from helpers.demo_db import copy_database
from pypdf import PdfReader

REFUSAL = "pos: A manager must authorise this: view the sales reports"


@pytest.fixture(scope="module")
def closed_template(tmp_path_factory):
    """The demo shop with two sales, a Z, a monthly and a yearly closure (made by the CLI)."""
    from helpers.demo_db import build_demo_template

    path = build_demo_template(tmp_path_factory.mktemp("reports") / "demo.sqlite3")
    manager, marie = cli_env("Claire"), cli_env("Marie")
    for args, env in ((["config", "set", "ui.language", "en"], manager),
                      (["sell", "D010001", "--pay", "cash"], marie), (["sell", "D010002", "--pay", "card"], marie),
                      (["close", "day"], manager), (["close", "month"], manager), (["close", "year"], manager)):
        proc = pos(path, *args, env=env)
        assert proc.returncode == 0, (args, proc.stderr)
    return path


@pytest.fixture
def shop_db(closed_template, tmp_path):
    return copy_database(closed_template, tmp_path / "pos.sqlite3")


REPORTS = {
    "sales": ["report", "sales", "--by", "article"],
    "z": ["report", "z"],
    "month": ["report", "month"],
    "year": ["report", "year"],
    "z by number": ["report", "z", "--number", "1"],
    "z by date": ["report", "z", "--date", "TODAY"],
    "month by period": ["report", "month", "--period", "THIS_YEAR"],
}


def args_of(name: str) -> list[str]:
    import datetime as dt

    today = dt.date.today()
    return [a.replace("TODAY", today.isoformat()).replace("THIS_YEAR", str(today.year)) for a in REPORTS[name]]


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_a_cashier_is_refused_the_reports_with_one_line(shop_db, capsys, tmp_path, name):
    pdf = tmp_path / "r.pdf"
    code, out, err = run(capsys, shop_db, *args_of(name), "--pdf", str(pdf), env=cli_env("Marie"))
    assert (code, out, err) == (1, "", REFUSAL + "\n")
    assert not pdf.exists()


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_a_manager_reads_the_reports(shop_db, capsys, tmp_path, name):
    pdf = tmp_path / "r.pdf"
    code, out, err = run(capsys, shop_db, *args_of(name), "--pdf", str(pdf), env=cli_env("Claire"))
    assert code == 0, err
    assert out.splitlines()[-1] == f"PDF written to {pdf}"
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    if name == "sales":
        assert "Sales by article" in text and "Total incl. VAT" in out
    else:
        kind = {"z": "Z", "month": "Monthly", "year": "Yearly"}[name.split()[0]]
        assert kind in text and "no. 1" in out


def test_bad_options_are_refused_before_the_pin(shop_db, capsys, tmp_path):
    """A typing mistake is said first, whoever acts (no PIN asked for a command that cannot run)."""
    code, out, err = run(capsys, shop_db, "report", "z", "--date", "2024-02-30", "--pdf", str(tmp_path / "r.pdf"),
                         env=cli_env(None))
    assert code == 1 and err == "pos: bad date '2024-02-30': expected YYYY-MM-DD\n"


def test_the_cost_prices_are_a_managers(shop_db, capsys):
    code, out, err = run(capsys, shop_db, "stock", "value", env=cli_env("Marie"))
    assert (code, out, err) == (1, "", REFUSAL + "\n")
    code, out, err = run(capsys, shop_db, "report", "margin", env=cli_env("Marie"))
    assert (code, out, err) == (1, "", REFUSAL + "\n")
    code, out, err = run(capsys, shop_db, "stock", "value", env=cli_env("Claire"))
    assert code == 0 and out.splitlines()[-1].startswith("Stock value at cost: €"), err


def test_a_cashier_in_a_real_process_gets_one_line_and_no_traceback(shop_db, tmp_path):
    pdf = tmp_path / "r.pdf"
    for args in (["report", "sales"], ["report", "z"], ["report", "year"], ["report", "margin"]):
        proc = pos(shop_db, *args, "--pdf", str(pdf), "--user", "Marie")
        assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", REFUSAL + "\n"), args
    assert not pdf.exists()
    proc = pos(shop_db, "report", "sales", "--pdf", str(pdf), "--user", "Claire")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr and pdf.stat().st_size > 1000


# what a cashier may read: the tickets they sell and reprint, the notes they take, the stock counts
CASHIER_READS = [["tickets"], ["ticket", "1"], ["vouchers", "list"], ["stock", "moves"], ["stock", "low"],
                 ["stock", "check"], ["vat"], ["journal", "verify"]]


@pytest.mark.parametrize("args", CASHIER_READS, ids=" ".join)
def test_what_a_cashier_may_read_holds_no_sales_totals_or_costs(shop_db, capsys, args):
    code, out, err = run(capsys, shop_db, *args, env=cli_env("Marie"))
    assert code == 0, err
    lowered = out.casefold()
    for word in ("cost", "margin", "total incl. vat", "z no.", "closure no."):
        assert word not in lowered, (args, word, out)
