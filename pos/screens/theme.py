"""The till's one look: named colours, the shipped fonts, the contrast rule and the scale.

Every kv file reads the colours by role (``theme.primary``, ``theme.muted``...) and
``text_on(colour)`` for the text on a colour the manager picked (a department's):
black or white, whichever contrasts more, which is always at least 4.5:1 (WCAG AA).
The styles themselves (buttons, toggles, fields, lists, tabs, popups) are kv rules in
``theme.kv``; no screen builds a colour in Python.

The fonts are DejaVu Sans and DejaVu Sans Mono from ``assets/fonts`` (free licence, every
glyph the interface uses: € → ✓ ✗ « » œ ● ⌫): registered as Kivy's default font, so every
label uses them unless it names another.

The interface is drawn for 1024×768 and scales with the window (``ui_scale``): at
1920×1080 every size is 1.4 times larger, so a 48 px touch target stays one.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

FONTS = Path(__file__).resolve().parents[2] / "assets" / "fonts"
MONO = "PosMono"  # the receipt and report previews: the printer's columns

# colours by role, "#RRGGBB"; see ``PAIRS`` for the text and background pairs the kv files use
PALETTE = {
    "background": "#262B33",  # behind every screen
    "bar": "#1B2027",  # the status bar
    "surface": "#313741",  # list rows, panels
    "sunken": "#1E232A",  # lists and the basket
    "popup": "#2B313A",  # a popup's box
    "field": "#14181E",  # text fields
    "field_error": "#4D1C21",  # a field whose value is refused
    "button": "#46505C",  # a neutral button
    "key": "#39414B",  # keypad keys
    "function": "#4B566A",  # the sale's function keys
    "toggle_on": "#2F66AD",  # a toggle that is down, the chosen tab
    "selected": "#22508C",  # the basket line selected
    "primary": "#1D7A49",  # the one action that goes on: Pay, Validate, Save, OK
    "cash": "#2F7A4A",  # the payment methods that give change (cash), and Exact
    "info": "#1F6E94",  # a secondary action: Test, Preview, Export
    "danger": "#A12C2C",  # destructive: cancel the sale, delete, refund
    "warning": "#82521A",  # undoable but serious: deactivate, clear
    "training": "#FFA41B",  # training mode: the status bar turns amber
    "toast_ok": "#22683A",
    "fresh": "#2F4A3A",  # the basket line just added
    "toast_error": "#B02424",
    "text": "#F4F6F8",
    "muted": "#B9C4CF",  # secondary text: references, hints
    "error_text": "#FF8A80",
    "ok_text": "#8FD694",
    "amount_text": "#FFD166",  # figures that matter: change due, typed amount
    "ink": "#000000",  # text on light colours
    "white": "#FFFFFF",
    "focus": "#5AA9FF",  # the focused field's outline, the cursor
    "dot_ok": "#4DBF59",  # a device's dot in the status bar: working
    "dot_none": "#808080",  # none configured
    "dot_wait": "#D9A633",  # not known yet, connecting
    "dot_error": "#E64040",  # failing
    "paper": "#F5F5F0",  # receipt and report previews
    "paper_ink": "#1A1A1A",
    "paper_text": "#4D4D4D",  # the receipt preview's normal lines (what stands out is black and bold)
}

# (text, background) pairs the kv files draw: each must reach 4.5:1 (tests/screens/test_theme.py)
PAIRS = [
    *[("text", bg) for bg in ("background", "bar", "surface", "sunken", "popup", "field", "field_error", "button",
                              "key", "function", "toggle_on", "primary", "cash", "info", "danger", "warning",
                              "toast_ok", "toast_error", "fresh", "selected")],
    *[("muted", bg) for bg in ("background", "bar", "surface", "sunken", "popup", "field", "fresh", "selected")],
    *[("error_text", bg) for bg in ("background", "surface", "sunken", "popup")],
    *[("ok_text", bg) for bg in ("background", "surface", "sunken")],
    *[("amount_text", bg) for bg in ("background", "surface", "sunken", "popup")],
    ("ink", "training"),
    ("paper_ink", "paper"),
    ("paper_text", "paper"),
]
MIN_CONTRAST = 4.5  # WCAG 2.1 AA for normal text

REFERENCE_SIZE = (1024, 768)  # the size the layouts are drawn for (dp = px there)
MAX_SCALE = 3.0


def rgba(value: str, alpha: float = 1.0) -> list[float]:
    """``"#RRGGBB"`` as a Kivy colour; anything else is the neutral grey-blue of a department."""
    value = value.lstrip("#")
    if len(value) != 6:
        value = "546E7A"
    try:
        return [int(value[i:i + 2], 16) / 255 for i in (0, 2, 4)] + [alpha]
    except ValueError:
        return [0x54 / 255, 0x6E / 255, 0x7A / 255, alpha]


def luminance(colour) -> float:
    """WCAG 2.1 relative luminance of an RGB(A) colour (components 0..1; alpha ignored)."""

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(float(c)) for c in colour[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b) -> float:
    """WCAG contrast ratio of two colours, 1..21."""
    la, lb = luminance(a), luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def text_on(background) -> list[float]:
    """Black or white text, whichever contrasts more with ``background`` (never under 4.58:1)."""
    white, black = [1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 1.0]
    return white if contrast(white, background) >= contrast(black, background) else black


def shade(colour, factor: float) -> list[float]:
    """``colour`` darkened (factor < 1), alpha kept."""
    return [c * factor for c in colour[:3]] + list(colour[3:4] or [1.0])


def ui_scale(width: float, height: float) -> float:
    """Pixels per dp for a window: 1 at 1024×768, 1.41 at 1920×1080 (never below 1)."""
    ref_w, ref_h = REFERENCE_SIZE
    return round(max(1.0, min(MAX_SCALE, width / ref_w, height / ref_h)), 3)


THEME = SimpleNamespace(**{name: rgba(value) for name, value in PALETTE.items()})
THEME.overlay = [0, 0, 0, 0.62]  # the dimming behind a popup
THEME.disabled_text = [1, 1, 1, 0.45]

_loaded = False


def load() -> None:
    """Register the fonts and the theme's names for kv, then load ``theme.kv`` (once)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    from kivy.core.text import DEFAULT_FONT, LabelBase
    from kivy.lang import Builder, global_idmap

    sans, sans_bold = str(FONTS / "DejaVuSans.ttf"), str(FONTS / "DejaVuSans-Bold.ttf")
    mono, mono_bold = str(FONTS / "DejaVuSansMono.ttf"), str(FONTS / "DejaVuSansMono-Bold.ttf")
    for name in (DEFAULT_FONT, "DejaVuSans"):  # the default, and the name some rules give explicitly
        LabelBase.register(name, fn_regular=sans, fn_italic=sans, fn_bold=sans_bold, fn_bolditalic=sans_bold)
    LabelBase.register(MONO, fn_regular=mono, fn_italic=mono, fn_bold=mono_bold, fn_bolditalic=mono_bold)
    global_idmap.update(theme=THEME, text_on=text_on, shade=shade, colour_of=rgba, MONO=MONO)
    Builder.load_file(str(Path(__file__).with_name("theme.kv")))
