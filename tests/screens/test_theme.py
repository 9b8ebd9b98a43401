"""The theme without a display: text contrast (WCAG AA), the shipped fonts, the scale."""

from __future__ import annotations

from pathlib import Path

import pytest

from pos.screens import theme

ROOT = Path(__file__).resolve().parents[2]
FAVOURITES = "#F2B134"  # the sale screen's Favourites tab
DEFAULT = "#546E7A"  # a department created without a colour


def department_colours() -> list[str]:
    from pos.demo import DEMO_CATALOGUE
    from pos.screens.departments import PALETTE

    return sorted({colour for colour, _vat, _articles in DEMO_CATALOGUE.values()} | set(PALETTE)
                  | {FAVOURITES, DEFAULT})


def test_wcag_formulas():
    assert theme.contrast([0, 0, 0, 1], [1, 1, 1, 1]) == pytest.approx(21)
    assert theme.contrast(theme.rgba("#777777"), [1, 1, 1, 1]) == pytest.approx(4.48, abs=0.01)
    assert theme.luminance(theme.rgba("#FFFFFF")) == pytest.approx(1)


@pytest.mark.parametrize(("text", "background"), theme.PAIRS)
def test_every_text_of_the_theme_reaches_aa(text, background):
    ratio = theme.contrast(theme.rgba(theme.PALETTE[text]), theme.rgba(theme.PALETTE[background]))
    assert ratio >= theme.MIN_CONTRAST, f"{text} on {background}: {ratio:.2f}:1"


@pytest.mark.parametrize("colour", department_colours())
def test_tiles_and_tabs_get_black_or_white_text_that_reads(colour):
    """A tile in a department's colour, its tab (darkened when not chosen) and the pressed tile."""
    for factor in (1.0, 0.55, 0.75):
        background = theme.shade(theme.rgba(colour), factor)
        ratio = theme.contrast(theme.text_on(background), background)
        assert ratio >= theme.MIN_CONTRAST, f"{colour} × {factor}: {ratio:.2f}:1"


def test_white_on_the_demo_orange_was_unreadable_and_is_replaced():
    orange = theme.rgba("#E08E2B")  # Traiteur
    assert theme.contrast([1, 1, 1, 1], orange) < 3  # the old tiles: 14sp white on orange
    assert theme.text_on(orange) == [0, 0, 0, 1]


def test_any_colour_gets_at_least_4_5():
    for value in range(0, 256, 5):
        grey = [value / 255] * 3 + [1]
        assert theme.contrast(theme.text_on(grey), grey) >= 4.5


def test_fonts_are_shipped_with_their_licence_and_cover_every_glyph():
    """Every character of the interface (kv files, screens, both catalogues of messages) is in the fonts."""
    from reportlab.pdfbase.ttfonts import TTFontFile

    fonts = ROOT / "assets" / "fonts"
    assert "Bitstream Vera" in (fonts / "LICENSE").read_text() and "Arev" in (fonts / "LICENSE").read_text()
    sources = [ROOT / "pos/core/locale/fr/LC_MESSAGES/pos.po", *(ROOT / "pos/screens").glob("*.kv"),
               *(ROOT / "pos/screens").glob("*.py"), ROOT / "pos/sale/receipt.py", ROOT / "pos/sale/receipt_doc.py"]
    used = {c for path in sources for c in path.read_text("utf-8") if ord(c) > 127}
    used |= {"€", "→", "✓", "✗", "«", "»", "œ", "Œ", "…", "●", "⌫", "−", "×"}  # and the ones the issue names
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf"):
        cmap = TTFontFile(str(fonts / name)).charToGlyph
        missing = sorted(c for c in used if ord(c) not in cmap)
        assert not missing, f"{name} lacks {missing}"


def test_the_interface_scales_with_the_window():
    assert theme.ui_scale(1024, 768) == 1
    assert theme.ui_scale(1366, 768) == 1
    assert theme.ui_scale(1280, 1024) == 1.25
    assert theme.ui_scale(1920, 1080) == pytest.approx(1.406)
    assert theme.ui_scale(800, 600) == 1  # never smaller than drawn
