"""The customer display: a 2×20 VFD pole display on a serial port (``display.url``).

Commands are the Epson DM-D set (ESC/POS for customer displays), which the common
VFDs follow or emulate (Epson DM-D110/D210, Bixolon BCD-1100/2000 and most no-name
"ESC/POS" pole displays):

    ESC @          initialise (clears the screen, cursor home)
    ESC t 19       character code table 19 = PC858 (PC850 + €)
    US MD1         overwrite mode (1F 01): no scrolling when a line is full
    FF             clear the screen (0C)
    US $ x y       cursor to column x, line y (1F 24 x y, from 1)

**Code page: PC858.**  It is PC850 (Multilingual Latin 1, which has every French letter
but œ/Œ, plus « ») with € at 0xD5; Epson numbers it 19 in ``ESC t`` and the DM-D110
lists it.  Text is encoded with Python's ``cp858`` codec after :func:`to_display` has
replaced what PC858 lacks: œ → oe, Œ → OE, typographic quotes and dashes → ASCII ones,
the (narrow) no-break spaces of French amounts → a space, other letters → their
unaccented form, anything else → ``?``.  Each call sends the initialisation again, so a
display switched off and on (or another code page left by a previous program) is right
at the next line.

The port is opened for each call, with a write timeout: the till calls these methods on
its DeviceWorker thread, and a failure raises :class:`pos.hardware.DeviceError`.
"""

from __future__ import annotations

import unicodedata

import serial

from pos.core.i18n import _, language
from pos.core.money import format_amount
from pos.hardware import DeviceError
from pos.hardware.urls import DeviceURL

WIDTH = 20
CODEPAGE = "cp858"
CODEPAGE_NUMBER = 19  # ESC t 19 = PC858 (Euro)

ESC = b"\x1b"
US = b"\x1f"
INIT = ESC + b"@" + ESC + b"t" + bytes([CODEPAGE_NUMBER]) + US + b"\x01"
CLEAR = b"\x0c"


def cursor(column: int, line: int) -> bytes:
    """US $ x y: the cursor to ``column`` (1..20) of ``line`` (1..2)."""
    return US + b"$" + bytes([column, line])


_SUBSTITUTES = {
    "œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE",
    "\u2018": "'", "\u2019": "'", "\u201a": ",", "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2026": "...",
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ",
}


def _encodable(ch: str) -> bool:
    try:
        ch.encode(CODEPAGE)
    except UnicodeEncodeError:
        return False
    return True


def to_display(text: str) -> str:
    """``text`` with only characters the display shows (see the module docstring)."""
    out = []
    for ch in text:
        if ch in _SUBSTITUTES:
            out.append(_SUBSTITUTES[ch])
        elif unicodedata.category(ch).startswith("C"):
            out.append(" ")  # no control character reaches the display
        elif _encodable(ch):
            out.append(ch)
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            out.append(base if base and all(_encodable(c) for c in base) else "?")
    return "".join(out)


def fit(text: str, width: int = WIDTH, align: str = "left") -> str:
    """One display line: converted, cut or padded to ``width`` cells (one character per cell)."""
    text = to_display(text).rstrip()[:width]
    if align == "right":
        return text.rjust(width)
    if align == "center":
        return text.center(width)
    return text.ljust(width)


def frame(line1: str, line2: str, width: int = WIDTH) -> bytes:
    """The bytes that show two lines (already fitted to ``width``)."""
    return (INIT + CLEAR + cursor(1, 1) + fit(line1, width).encode(CODEPAGE)
            + cursor(1, 2) + fit(line2, width).encode(CODEPAGE))


class CustomerDisplay:
    """A 2×20 VFD on ``serial:///dev/ttyUSB0?baudrate=9600`` (a ``none`` URL shows nothing)."""

    def __init__(self, url: DeviceURL, timeout: float = 2.0, width: int = WIDTH) -> None:
        if url.scheme not in ("serial", "none"):
            raise ValueError(f"not a serial display URL: {url}")
        self.url = url
        self.timeout = timeout
        self.width = width
        self.last: tuple[str, str] = ("", "")  # the two lines last shown

    @property
    def enabled(self) -> bool:
        return self.url.scheme == "serial"

    def show(self, line1: str, line2: str) -> None:
        """Clear the display and show two lines (cut or padded to the width)."""
        self.last = (fit(line1, self.width), fit(line2, self.width))
        if self.enabled:
            self._send(frame(line1, line2, self.width))

    def _send(self, data: bytes) -> None:
        try:
            port = serial.Serial(self.url.path, self.url.baudrate, timeout=self.timeout,
                                 write_timeout=self.timeout)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise _error(self.url.path, exc, "offline") from exc
        try:
            port.write(data)
        except (serial.SerialException, OSError) as exc:
            raise _error(self.url.path, exc, "error") from exc
        finally:
            try:
                port.close()
            except (serial.SerialException, OSError):
                pass

    # ---------------------------------------------------------------- what the till shows
    def line_added(self, name: str, amount_cents: int, lang: str | None = None) -> None:
        """The article just added (its name), and its line amount on the right."""
        self.show(name, fit(format_amount(amount_cents, lang or language()), self.width, "right"))

    def total(self, total_cents: int, lang: str | None = None) -> None:
        self.show(_("Total"), fit(format_amount(total_cents, lang or language()), self.width, "right"))

    def change(self, change_cents: int, lang: str | None = None) -> None:
        self.show(_("Change"), fit(format_amount(change_cents, lang or language()), self.width, "right"))

    def welcome(self, shop_name: str) -> None:
        self.show(fit(shop_name, self.width, "center"), fit(_("Welcome"), self.width, "center"))

    def clear(self) -> None:
        self.show("", "")


def _error(path: str, exc: Exception, status: str) -> DeviceError:
    err = DeviceError(_("Customer display {device}: {error}").format(device=path, error=exc))
    err.status = status  # offline | error, for the till's status bar
    return err
