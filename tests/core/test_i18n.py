"""Translations: every string of the code is translated, the .mo files are
compiled from the current .po files, and the placeholders survive translation.

When this fails after a code change: run ``python -m pos.core.locale.build`` (or
``make i18n``), translate the new strings in ``pos/core/locale/fr/LC_MESSAGES/pos.po``
and run it again.
"""

from __future__ import annotations

import gettext
import re

import pytest

pytest.importorskip("babel")

from babel.messages.catalog import Catalog  # noqa: E402

from pos.core import i18n  # noqa: E402
from pos.core.locale import build  # noqa: E402

BRACES = re.compile(r"\{[^{}]*\}")


@pytest.fixture(scope="module")
def report() -> build.Report:
    return build.build(check=True)


@pytest.fixture
def restore_language():
    before = i18n.language()
    yield
    i18n.set_language(before)


def test_every_string_is_translated_and_every_mo_is_current(report):
    assert report.catalogs, "no language found in pos/locale"
    assert "fr" in report.catalogs
    assert report.ok, "run `python -m pos.core.locale.build` and translate:\n" + "\n".join(report.problems)


def test_extraction_finds_python_kv_and_fstring_strings(report):
    ids = {m.id for m in report.catalogs["fr"] if m.id}
    assert "Wrong PIN" in ids  # _() in Python
    assert any(loc[0].endswith(".kv") for m in report.catalogs["fr"] for loc in m.locations)
    assert len(ids) > 100


def test_placeholders_are_kept(report):
    for lang, catalog in report.catalogs.items():
        for message in catalog:
            if not message.id or not message.string:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if len(ids) == 1:
                assert set(BRACES.findall(strings[0])) == set(BRACES.findall(ids[0])), (lang, message.id, strings)
            else:  # a plural form may drop the count ("One item" / "{n} items"), nothing else
                sets = [set(BRACES.findall(i)) for i in ids]
                for text in strings:
                    assert set.intersection(*sets) <= set(BRACES.findall(text)) <= set.union(*sets), (lang, text)


def test_compiled_mo_translates_every_message():
    for lang in build.languages():
        catalog = build.read_catalog(build.po_path(lang), lang)
        with open(build.mo_path(lang), "rb") as fileobj:
            compiled = gettext.GNUTranslations(fileobj)
        for message in catalog:
            if message.id and message.string and not message.fuzzy and not isinstance(message.id, tuple):
                assert compiled.gettext(message.id) == message.string, (lang, message.id)


def test_set_language_switches_between_french_and_english(restore_language):
    assert i18n.set_language("fr") == "fr"
    assert i18n._("Wrong PIN") == "Code PIN incorrect"
    assert i18n._("VALIDATE") == "VALIDER"
    assert i18n._("incl. VAT {vat}").format(vat="1,00 €") == "dont TVA 1,00 €"
    assert i18n.set_language("en") == "en"
    assert i18n._("Wrong PIN") == "Wrong PIN"
    assert i18n._("VALIDATE") == "VALIDATE"


def test_mo_is_shipped_with_the_package():
    assert (i18n.LOCALE_DIR / "fr" / "LC_MESSAGES" / "pos.mo").is_file()
    assert gettext.find(i18n.DOMAIN, str(i18n.LOCALE_DIR), languages=["fr"])
    tomllib = pytest.importorskip("tomllib")
    pyproject = build.ROOT / "pyproject.toml"
    package_data = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    assert "locale/*/LC_MESSAGES/*.mo" in package_data["pos.core"]


# ------------------------------------------------------------------ the extractor and the checks themselves


def test_kv_extraction(tmp_path):
    kv = tmp_path / "sample.kv"
    kv.write_text(
        "<Thing>:\n"
        "    text: _('Simple')\n"
        '    hint_text: _("Manager\'s name")\n'
        "    # text: _('Commented out')\n"
        "    title: root.chosen and _('PIN for {name}').format(name=root.chosen) or _('Choose')\n"
        "    other: self._('not a call') + f_('nor this')\n"
        "    escaped: _('A \\'quoted\\' word')\n",
        encoding="utf-8",
    )
    found = [(line, text) for line, text, _comments, _context in build.extract_kv(kv)]
    assert found == [
        (2, "Simple"),
        (3, "Manager's name"),
        (5, "PIN for {name}"),
        (5, "Choose"),
        (7, "A 'quoted' word"),
    ]


def test_fstring_extraction(tmp_path):
    source = tmp_path / "sample.py"
    source.write_text(
        'from pos.core.i18n import _\n'
        'x = f"{_(\'VAT no.\')} {number}"\n'
        'y = f"{_(label)}"\n'
        'z = _("Plain")\n',
        encoding="utf-8",
    )
    assert [(line, text) for line, text, _c, _x in build.extract_fstrings(source)] == [(2, "VAT no.")]
    assert {text for _line, text, _c, _x in build.extract_python(source)} >= {"Plain"}


def test_check_reports_missing_fuzzy_and_bad_placeholders():
    catalog = Catalog(locale="fr")
    catalog.add("Fine {name}", "Bien {name}", [("x.py", 1)])
    catalog.add("Missing", "", [("x.py", 2)])
    catalog.add("Fuzzy", "Flou", [("x.py", 3)], flags=["fuzzy"])
    catalog.add("Lost {name}", "Perdu", [("x.py", 4)])
    catalog.add("Renamed {name}", "Renommé {nom}", [("x.py", 5)])
    catalog.add(("One ticket", "{n} tickets"), ("{n} ticket", "{n} tickets"), [("x.py", 6)])
    catalog.add(("{n} line of {name}", "{n} lines of {name}"), ("{n} ligne", "{n} lignes"), [("x.py", 7)])
    catalog.add(("One item", "{n} items"), ("Un article", ""), [("x.py", 8)])
    problems = build.translation_problems("fr", catalog)
    assert len(problems) == 6
    assert not any("One ticket" in p for p in problems)
    assert any("line of {name}" in p and "placeholders" in p for p in problems)
    assert any("One item" in p and "not translated" in p for p in problems)
    assert not any("Fine" in p for p in problems)
    assert any("'Missing'" in p and "not translated" in p for p in problems)
    assert any("'Fuzzy'" in p and "fuzzy" in p for p in problems)
    assert any("Lost {name}" in p and "placeholders" in p for p in problems)
    assert any("Renamed {name}" in p and "placeholders" in p for p in problems)
