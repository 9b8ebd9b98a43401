"""ESC/POS bytes for receipts, the printer test page and the drawer kick.

Pure functions: they build the bytes with python-escpos's ``Dummy`` printer and a
printer profile, and never touch a device (``pos/hardware/printer.py`` sends them).

Characters.  The text is printed in one explicit code page, chosen from the
profile by :func:`choose_codepage`: Windows-1252 (Epson "WPC1252", ``ESC t 16``)
first, because it is the only common printer code page with every character a
French receipt needs (€ é è à ç ù ô œ « » °); then ISO-8859-15 (also complete), then
PC858 (has € but no œ) and PC850/PC437.  Python-escpos's magic encoder is used with
that single page (no page switching in the middle of a line).  A character the page
lacks is spelled out (œ → oe, € → EUR) rather than printed as "?", and the narrow
no-break spaces of French amounts become plain spaces (same width).
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
import pickle
import platform
import re
import sys
import unicodedata
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
PICKLE_DIR_VARIABLE = "ESCPOS_CAPABILITIES_PICKLE_DIR"


def _capabilities_cache() -> tuple[Path | None, bool]:
    """Where python-escpos's parsed printer database is kept between runs, and whether
    it is there already (then python-escpos is pointed at it).

    At import, python-escpos parses its database (YAML, about 120 ms) and pickles it
    into a new temporary folder, left behind by every process.  A complete, up-to-date
    pickle in the user's cache folder is used instead; it is written atomically by
    :func:`_save_capabilities` after a first import, never by python-escpos itself, so
    two tills starting at once never read a half-written file.  A
    ``ESCPOS_CAPABILITIES_PICKLE_DIR`` set by the environment wins.
    """
    if PICKLE_DIR_VARIABLE in os.environ or "escpos.capabilities" in sys.modules:
        return None, False
    try:
        from platformdirs import user_cache_dir

        spec = importlib.util.find_spec("escpos")
        if spec is None or not spec.submodule_search_locations:
            return None, False
        source = Path(next(iter(spec.submodule_search_locations))) / "capabilities.json"
        cached = Path(user_cache_dir("pos", appauthor=False)) / "escpos" / (
            f"{platform.python_version()}.capabilities.pickle")
        if cached.exists() and cached.stat().st_mtime >= source.stat().st_mtime:
            os.environ[PICKLE_DIR_VARIABLE] = str(cached.parent)
            return cached, True
        return cached, False
    except Exception:  # no cache: python-escpos does as it always does
        return None, False


def _save_capabilities(cached: Path, capabilities: dict[str, Any]) -> None:
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            pickle.dump(capabilities, f, protocol=2)
        os.replace(tmp, cached)
    except OSError as exc:
        log.debug("python-escpos capabilities not cached: %s", exc)


def _import_escpos() -> None:
    cached, used = _capabilities_cache()
    try:
        import escpos.capabilities
    except Exception:
        if not used:
            raise
        log.warning("cached python-escpos capabilities unreadable, parsing them again")
        os.environ.pop(PICKLE_DIR_VARIABLE, None)
        assert cached is not None
        cached.unlink(missing_ok=True)
        import escpos.capabilities
    if cached is not None and not used:
        _save_capabilities(cached, escpos.capabilities.CAPABILITIES)


_import_escpos()

from escpos.capabilities import CAPABILITIES, get_profile  # noqa: E402
from escpos.constants import CODEPAGE_CHANGE, GS  # noqa: E402
from escpos.image import EscposImage  # noqa: E402
from escpos.magicencode import Encoder  # noqa: E402
from escpos.printer import Dummy  # noqa: E402
from PIL import Image  # noqa: E402

from pos.core.errors import InvalidValue  # noqa: E402
from pos.core.i18n import _  # noqa: E402
from pos.data.tickets import TicketRecord  # noqa: E402
from pos.sale.receipt import receipt_document  # noqa: E402
from pos.sale.receipt_doc import Document, Kind, Style, layout  # noqa: E402
from pos.sale.scancodes import ticket_barcode  # noqa: E402

DEFAULT_PROFILE = "TM-T20II"
#: code pages in order of preference (names as in python-escpos's capabilities)
CODEPAGE_PREFERENCE = ("CP1252", "ISO_8859-15", "CP858", "CP850", "CP437")
#: the characters a French receipt must print (the test page prints them all)
SPECIAL_CHARACTERS = "€ é è à ç ù ô œ « »"
SPECIAL_CAPITALS = "É È À Ç Ù Ô Œ ê â î ï û ° ²"
DOTS_PER_COLUMN = 12  # Font A is 12 dots wide: 48 columns = 576 dots (80 mm), 32 = 384 (58 mm)
BARCODE_HEIGHT = 64  # dots (8 mm at 203 dpi)

# spelled-out replacements for characters a code page lacks (same meaning, maybe longer)
_SPELL = {
    "œ": "oe", "Œ": "OE", "€": "EUR", "«": '"', "»": '"', "…": "...", "’": "'", "‘": "'", "‚": ",",
    "“": '"', "”": '"', "„": '"', "–": "-", "—": "-", "−": "-", "•": "*", "×": "x", "°": "o",
    "\u202f": " ", "\xa0": " ", "\u2009": " ", "\u2007": " ",
}
# spaces that have the width of one column: always printed as a plain space
_SPACES = str.maketrans({"\u202f": " ", "\xa0": " ", "\u2009": " ", "\u2007": " "})


# Epson's ESC t numbers, used when a profile lists a page under several numbers
EPSON_CODEPAGES = {"CP437": 0, "CP850": 2, "CP1252": 16, "CP858": 19, "ISO_8859-15": 40}


def profile_names() -> list[str]:
    """The printer models python-escpos knows (for ``printer.profile``), without its
    customer displays."""
    return sorted(name for name, data in CAPABILITIES["profiles"].items()
                  if "display" not in str(data.get("name", "")).lower())


def _profile_codepages(profile: str) -> dict[str, int]:
    """``{code page name: ESC t number}``: Epson's number when the profile lists it,
    else the lowest one."""
    listed = get_profile(profile).codePages
    pages: dict[str, int] = {}
    for number, name in listed.items():
        if name != "Unknown" and (name not in pages or int(number) < pages[name]):
            pages[name] = int(number)
    for name in pages:
        if name in EPSON_CODEPAGES and listed.get(str(EPSON_CODEPAGES[name])) == name:
            pages[name] = EPSON_CODEPAGES[name]
    return pages


@functools.lru_cache(maxsize=64)
def choose_codepage(profile: str) -> tuple[str, int]:
    """The code page used for ``profile``: ``(name, ESC t number)``."""
    if profile not in CAPABILITIES["profiles"]:
        raise InvalidValue(_("Unknown printer model {profile}").format(profile=profile))
    pages = _profile_codepages(profile)
    for name in CODEPAGE_PREFERENCE:
        if name in pages:
            return name, pages[name]
    for name, number in sorted(pages.items(), key=lambda item: item[1]):  # anything Python can encode
        if CAPABILITIES["encodings"].get(name, {}).get("python_encode"):
            return name, number
    return "CP437", 0


@functools.lru_cache(maxsize=16)
def _encoder(codepage: str, number: int) -> Encoder:
    return Encoder({codepage: number})


@functools.lru_cache(maxsize=16)
def _printable(codepage: str) -> frozenset[str]:
    """The non-ASCII characters ``codepage`` can print."""
    encoding = CAPABILITIES["encodings"].get(codepage, {})
    if "python_encode" in encoding:
        chars = set()
        for byte in range(128, 256):
            try:
                chars.add(bytes([byte]).decode(encoding["python_encode"]))
            except UnicodeDecodeError:
                pass
        return frozenset(chars)
    if "data" in encoding:
        return frozenset("".join(encoding["data"])) - {" "}
    return frozenset()


_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")


def printable_text(text: str, codepage: str) -> str:
    """``text`` with every character ``codepage`` lacks spelled out, or "?" as a last resort.

    Control characters become spaces: text from the settings never reaches the printer
    as a command."""
    text = _CONTROLS.sub(" ", text.translate(_SPACES))
    if text.isascii():
        return text
    ok = _printable(codepage)
    out = []
    for ch in text:
        if ch < "\x80" or ch in ok:
            out.append(ch)
            continue
        spelled = _SPELL.get(ch)
        if spelled is None:  # drop the accents: "ẞ" stays "?", "ō" becomes "o"
            base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            spelled = base if base and all(c < "\x80" or c in ok for c in base) else "?"
        out.append(spelled)
    return "".join(out)


def _squeeze(text: str, columns: int) -> str:
    """Shorten a line that grew past ``columns`` (spelled-out characters) by taking
    spaces out of its longest run of spaces, so that the right column stays aligned."""
    while len(text) > columns:
        runs = [m for m in re.finditer(r"  +", text.strip())]
        if not runs:
            break
        offset = len(text) - len(text.lstrip())
        longest = max(runs, key=lambda m: len(m.group()))
        cut = offset + longest.start()
        text = text[:cut] + text[cut + 1:]
    return text


class _Receipt:
    """A python-escpos ``Dummy`` printer set to one profile, one code page and a width."""

    def __init__(self, profile: str, columns: int) -> None:
        self.codepage, number = choose_codepage(profile)
        self.columns = columns
        self.p = Dummy(profile=profile, magic_encode_args={
            "encoding": self.codepage, "disabled": True, "encoder": _encoder(self.codepage, number)})
        self.p.hw("INIT")  # ESC @: a known state whatever the last job left
        self.p._raw(CODEPAGE_CHANGE + bytes([number]))  # ESC t n, the code page for all the text
        pixels = self.p.profile.media.get("width", {}).get("pixels")
        width = columns * DOTS_PER_COLUMN
        self.pixels_known = isinstance(pixels, int)
        if self.pixels_known:
            width = min(width, pixels)
        self.dots = width - width % 8

    # text
    def line(self, text: str = "") -> None:
        text = printable_text(text, self.codepage)
        self.p.text(_squeeze(text, self.columns) + "\n")

    def big(self, text: str, *, invert: bool = False) -> None:
        """Bold, double height, and double width when it fits; centred."""
        text = printable_text(text.strip(), self.codepage)
        wide = len(text) * 2 <= self.columns
        self.p.set(align="center", bold=True, double_height=True, double_width=wide, invert=invert)
        self.p.text(text + "\n")
        self.normal()

    def strong(self, text: str) -> None:
        """Bold, double height (the width is unchanged, so the layout holds)."""
        self.p.set(bold=True, double_height=True)
        self.line(text)
        self.normal()

    def normal(self) -> None:
        self.p.set(align="left", bold=False, normal_textsize=True, invert=False)

    # graphics
    def barcode(self, data: str) -> None:
        """A CODE128 (set B) barcode of ``data``, centred, its text printed below."""
        if self.p.profile.supports("barcodeB"):
            width = 3 if self.dots >= 504 else 2  # 145 modules for 10 characters: fits 58 mm at 2 dots
            # _hw_barcode rather than barcode(): the latter prints its choice on stdout
            self.p._hw_barcode("{B" + data, "CODE128", height=BARCODE_HEIGHT, width=width, pos="BELOW",
                               font="A", align_ct=True, function_type="B")
        elif self.pixels_known and self.p.profile.supports("bitImageRaster"):
            # no GS k function B: an image made by python-barcode, centred
            try:
                self.p._sw_barcode("code128", data, impl="bitImageRaster", module_height=8, module_width=0.25,
                                   text_distance=3, font_size=9, center=True)
            except Exception as exc:  # too wide for this model, ...: the number can still be typed
                log.warning("barcode %s printed as text on %s: %s", data, self.p.profile.profile_data["name"], exc)
                self.p.set(align="center")
                self.line(data)
        else:
            self.p.set(align="center")
            self.line(data)
        self.normal()

    def image(self, img: Image.Image) -> None:
        """A raster image (GS v 0), centred on the paper width."""
        escpos_image = EscposImage(_centred(img, self.dots))
        header = (GS + b"v0\x00" + escpos_image.width_bytes.to_bytes(2, "little")
                  + escpos_image.height.to_bytes(2, "little"))
        self.p._raw(header + escpos_image.to_raster_format())

    def qr(self, data: str) -> None:
        """A QR code of ``data``, drawn here as a raster image (4 dots a module), centred."""
        import qrcode

        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_L, box_size=4, border=2)
        code.add_data(data)
        self.image(code.make_image().get_image().convert("RGB"))

    def logo(self, path: str) -> None:
        img = _load_logo(path, self.dots)
        if img is not None:
            self.image(img)

    def cut(self) -> bytes:
        self.p.cut()  # ESC d 6 (feed past the cutter) + GS V 0; only the feed if the model has no cutter
        return self.p.output


def _centred(img: Image.Image, width: int) -> Image.Image:
    if img.width >= width:
        return img
    canvas = Image.new("RGB", (width, img.height), (255, 255, 255))
    rgba = img.convert("RGBA")
    canvas.paste(rgba, ((width - img.width) // 2, 0), rgba)
    return canvas


@functools.lru_cache(maxsize=8)
def _logo_cached(path: str, mtime: float, size: int, dots: int) -> Image.Image:
    with Image.open(path) as src:
        img = src.convert("RGBA")
    img.thumbnail((dots, dots // 2))  # at most the paper's width, and half as high
    return img


def _load_logo(path: str, dots: int) -> Image.Image | None:
    """The logo scaled to fit, or None (with a warning) when it cannot be read."""
    try:
        st = os.stat(path)
        return _logo_cached(path, st.st_mtime, st.st_size, dots)
    except Exception as exc:  # a missing or broken image never stops a receipt
        log.warning("receipt logo %s not printed: %s", path, exc)
        return None


def render_receipt(ticket: TicketRecord, settings: dict[str, str], *, columns: int = 48,
                   profile: str = DEFAULT_PROFILE, copy: int = 0, logo: str | None = None) -> bytes:
    """The ESC/POS bytes of a receipt (``pos.sale.receipt.receipt_document``): the DUPLICATA
    mark for ``copy`` > 0, the ticket's barcode, the optional logo, then a cut."""
    return render_document(receipt_document(ticket, settings, copy=copy, logo=logo),
                           columns=columns, profile=profile)


def render_document(doc: Document, *, columns: int = 48, profile: str = DEFAULT_PROFILE) -> bytes:
    """The ESC/POS bytes of a document: each line laid out at ``columns`` as the text
    renderer does, printed in its style; a barcode under a blank line; then a cut."""
    out = _Receipt(profile, columns)
    for item in doc:
        if item.kind is Kind.LOGO:
            out.logo(item.text)
        elif item.kind is Kind.QR:
            out.line()
            out.qr(item.text)
        elif item.kind is Kind.BARCODE:
            out.line()
            out.barcode(item.text)
        elif item.style is Style.NORMAL:
            for text in layout(item, columns):
                out.line(text)
        elif item.style is Style.BOLD:
            for text in layout(item, columns):
                out.strong(text)
        else:  # big: nothing to print for an empty line
            for text in layout(item, columns):
                if text.strip():
                    out.big(text, invert=item.style is Style.REVERSE)
    return out.cut()


def render_text(lines: list[str], settings: dict[str, str] | None = None, *, columns: int = 48,
                profile: str = DEFAULT_PROFILE, strong: tuple[int, ...] = ()) -> bytes:
    """The ESC/POS bytes of plain text lines (a report): one code page, the lines at
    ``columns`` (those listed in ``strong`` in bold, double height), then a cut."""
    out = _Receipt(profile, columns)
    for i, text in enumerate(lines):
        if i in strong:
            out.strong(text)
        else:
            out.line(text)
    out.line()
    return out.cut()


def ruler(columns: int) -> str:
    """``----+----1----+----2…``: exactly ``columns`` characters, the tens numbered."""
    return "".join(str(n // 10 % 10) if n % 10 == 0 else "+" if n % 5 == 0 else "-"
                   for n in range(1, columns + 1))


def render_test_page(settings: dict[str, str], *, columns: int = 48, profile: str = DEFAULT_PROFILE) -> bytes:
    """The printer test page: shop name, model, width, a ruler, the French characters,
    a sample barcode and a cut."""
    out = _Receipt(profile, columns)
    for text in (settings.get("shop.name") or "pos").splitlines():
        if text.strip():
            out.big(text)
    out.p.set(align="center")
    out.line(_("Printer test page"))
    out.normal()
    out.line("-" * columns)
    out.line(_("Printer model: {profile}").format(profile=profile))
    out.line(_("Characters per line: {columns}").format(columns=columns))
    out.line(_("Code page: {codepage}").format(codepage=out.codepage))
    out.line(ruler(columns))
    out.line(_("Accents and symbols:"))
    out.line(SPECIAL_CHARACTERS)
    out.line(SPECIAL_CAPITALS)
    out.strong(_("Bold, double height") + " 12,50 €")
    out.line("-" * columns)
    out.barcode(ticket_barcode(0))
    return out.cut()


def drawer_kick(pin: int, pulse_ms: int) -> bytes:
    """ESC p m t1 t2: a pulse of ``pulse_ms`` on drawer connector pin 2 (m = 0) or 5 (m = 1).

    t1 is the on time in 2 ms units (10 to 510 ms, as ``drawer.url`` allows); t2, the off time before another
    pulse may follow, is twice as long (at least t1, as ESC/POS requires).
    """
    if pin not in (2, 5):
        raise InvalidValue(_("the drawer pin is 2 or 5"))
    if not 10 <= pulse_ms <= 510:
        raise InvalidValue(_("the pulse is 10 to 510 ms"))
    t1 = min(255, round(pulse_ms / 2))
    t2 = min(255, 2 * t1)
    return b"\x1bp" + bytes([0 if pin == 2 else 1, t1, t2])

