"""A small ESC/POS decoder for the tests: bytes → text lines and events.

Independent of python-escpos: the command lengths and the ``ESC t`` code page numbers
come from Epson's ESC/POS reference (the TM-T20II / TM-T88 column), so decoding the
bytes back is a real check of what the till sends.

    decode(data).lines  →  ["Épicerie du Marché", ..., "[barcode CODE128 T000000001]", "[cut]"]

Events: ``[cut]``, ``[cut partial]``, ``[drawer pin=2 pulse=100]``, ``[barcode TYPE DATA]``,
``[image WxH]``, ``[qr DATA]``, ``[codepage N]`` (only with ``show_codepages``).  The
status queries (DLE EOT) are real-time commands and print nothing; they are counted.
Unknown commands raise :class:`DecodeError` (strict), so garbage never passes a test.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ESC, GS, DLE, FS = 0x1B, 0x1D, 0x10, 0x1C

# ESC t n → Python codec (Epson numbering)
CODEPAGES = {
    0: "cp437", 2: "cp850", 3: "cp860", 4: "cp863", 5: "cp865", 16: "cp1252", 17: "cp866", 18: "cp852",
    19: "cp858", 39: "iso8859_2", 40: "iso8859_15", 45: "cp1250", 46: "cp1251", 47: "cp1253", 48: "cp1254",
    49: "cp1255", 50: "cp1256", 51: "cp1257", 52: "cp1258",
}
# GS k m (function B, m = 65..79) and function A (m = 0..6)
BARCODES_B = {65: "UPC-A", 66: "UPC-E", 67: "EAN13", 68: "EAN8", 69: "CODE39", 70: "ITF", 71: "CODABAR",
              72: "CODE93", 73: "CODE128", 74: "GS1-128", 75: "GS1-DATABAR", 76: "GS1-DATABAR-TRUNCATED",
              77: "GS1-DATABAR-LIMITED", 78: "GS1-DATABAR-EXPANDED", 79: "CODE128-AUTO"}
BARCODES_A = {0: "UPC-A", 1: "UPC-E", 2: "EAN13", 3: "EAN8", 4: "CODE39", 5: "ITF", 6: "CODABAR"}

# commands of a fixed length (prefix → total length)
_FIXED = {
    (ESC, ord("@")): 2, (ESC, ord("2")): 2, (ESC, ord("i")): 2, (ESC, ord("m")): 2, (ESC, ord("<")): 2,
    (ESC, ord("!")): 3, (ESC, ord("E")): 3, (ESC, ord("G")): 3, (ESC, ord("-")): 3, (ESC, ord("M")): 3,
    (ESC, ord("a")): 3, (ESC, ord("t")): 3, (ESC, ord("d")): 3, (ESC, ord("J")): 3, (ESC, ord("3")): 3,
    (ESC, ord("V")): 3, (ESC, ord("{")): 3, (ESC, ord("R")): 3, (ESC, ord("r")): 3, (ESC, ord("U")): 3,
    (ESC, ord(" ")): 3, (ESC, ord("=")): 3, (ESC, ord("e")): 3, (ESC, ord("K")): 3, (ESC, ord("A")): 3,
    (ESC, ord("+")): 3, (ESC, ord("$")): 4, (ESC, ord("\\")): 4, (ESC, ord("B")): 4, (ESC, ord("c")): 4,
    (ESC, ord("p")): 5,
    (GS, ord("!")): 3, (GS, ord("B")): 3, (GS, ord("H")): 3, (GS, ord("h")): 3, (GS, ord("w")): 3,
    (GS, ord("f")): 3, (GS, ord("b")): 3, (GS, ord("|")): 3, (GS, ord("a")): 3, (GS, ord("r")): 3,
    (GS, ord("I")): 3, (GS, ord("/")): 3, (GS, ord("L")): 4, (GS, ord("W")): 4, (GS, ord("P")): 4,
    (DLE, 0x04): 3, (DLE, 0x05): 3, (DLE, 0x14): 5,
    (FS, ord(".")): 2, (FS, ord("&")): 2, (FS, ord("C")): 3, (FS, ord("p")): 4,
}


class DecodeError(ValueError):
    pass


@dataclass(frozen=True)
class Command:
    name: str  # TEXT, LF, CR, HT, FF, or the command's bytes as text ("ESC a", "GS k", "DLE EOT")
    raw: bytes


def _name(raw: bytes) -> str:
    first = {ESC: "ESC", GS: "GS", DLE: "DLE", FS: "FS"}[raw[0]]
    second = {0x04: "EOT", 0x05: "ENQ", 0x14: "DC4"}.get(raw[1], chr(raw[1]))
    return f"{first} {second}"


def next_command(buf: bytes, pos: int) -> tuple[Command, int] | None:
    """The command at ``buf[pos:]`` and the position after it; None if it is incomplete."""
    n = len(buf)
    if pos >= n:
        return None
    b = buf[pos]
    if b >= 0x20:
        end = pos
        while end < n and buf[end] >= 0x20:
            end += 1
        return Command("TEXT", buf[pos:end]), end
    if b in (0x0A, 0x0D, 0x09, 0x0C, 0x00):
        return Command({0x0A: "LF", 0x0D: "CR", 0x09: "HT", 0x0C: "FF", 0x00: "NUL"}[b], buf[pos:pos + 1]), pos + 1
    if b not in (ESC, GS, DLE, FS):
        raise DecodeError(f"unknown control byte 0x{b:02x} at {pos}")
    if pos + 1 >= n:
        return None
    key = (b, buf[pos + 1])
    length = _FIXED.get(key)
    if length is None:
        length = _variable_length(buf, pos, key)
        if length is None:
            return None
    if pos + length > n:
        return None
    raw = buf[pos:pos + length]
    return Command(_name(raw), raw), pos + length


def _variable_length(buf: bytes, pos: int, key: tuple[int, int]) -> int | None:
    n = len(buf)

    def need(k: int) -> bool:
        return pos + k <= n

    b, c = key
    if key == (GS, ord("V")):
        if not need(3):
            return None
        return 3 if buf[pos + 2] in (0, 1, 48, 49) else 4
    if key == (GS, ord("k")):
        if not need(3):
            return None
        m = buf[pos + 2]
        if m <= 6:
            end = buf.find(b"\x00", pos + 3)
            return None if end < 0 else end + 1 - pos
        if not need(4):
            return None
        return 4 + buf[pos + 3]
    if key == (GS, ord("v")):
        if not need(8):
            return None
        x = buf[pos + 4] + 256 * buf[pos + 5]
        y = buf[pos + 6] + 256 * buf[pos + 7]
        return 8 + x * y
    if key in ((GS, ord("(")), (ESC, ord("("))):
        if not need(5):
            return None
        return 5 + buf[pos + 3] + 256 * buf[pos + 4]
    if key == (GS, ord("8")):
        if not need(7):
            return None
        size = buf[pos + 3] + (buf[pos + 4] << 8) + (buf[pos + 5] << 16) + (buf[pos + 6] << 24)
        return 7 + size
    if key == (ESC, ord("*")):
        if not need(5):
            return None
        width = buf[pos + 3] + 256 * buf[pos + 4]
        return 5 + width * (1 if buf[pos + 2] in (0, 1) else 3)
    if key == (GS, ord("*")):
        if not need(4):
            return None
        return 4 + buf[pos + 2] * buf[pos + 3] * 8
    if key == (ESC, ord("D")):
        end = buf.find(b"\x00", pos + 2)
        return None if end < 0 else end + 1 - pos
    raise DecodeError(f"unknown command {bytes(key)!r} at {pos}")


@dataclass
class Line:
    """A printed line (``kind`` text) or an event (``kind`` event, text like "[cut]")."""

    text: str
    kind: str = "text"
    bold: bool = False
    width: int = 1
    height: int = 1
    align: str = "left"
    invert: bool = False

    def __str__(self) -> str:
        return self.text


@dataclass
class Decoded:
    items: list[Line] = field(default_factory=list)
    codepages: list[int] = field(default_factory=list)  # every ESC t n, in order
    status_queries: list[int] = field(default_factory=list)  # every DLE EOT n, in order
    inits: int = 0

    @property
    def lines(self) -> list[str]:
        return [item.text for item in self.items]

    @property
    def events(self) -> list[str]:
        return [item.text for item in self.items if item.kind == "event"]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def find(self, fragment: str) -> Line:
        for item in self.items:
            if fragment in item.text:
                return item
        raise AssertionError(f"{fragment!r} not printed:\n{self.text}")


_ALIGN = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}


def _code128(data: bytes) -> str:
    """GS k 73 data: "{A"/"{B" switch to sets A/B (bytes are characters), "{C" to set C
    (each byte is two digits); "{{" is a "{"; "{1".."{4" are function codes (dropped)."""
    out = []
    mode = "B"
    i = 0
    while i < len(data):
        if data[i] == ord("{") and i + 1 < len(data):
            code = chr(data[i + 1])
            if code in "ABC":
                mode = code
            elif code == "{":
                out.append("{")
            i += 2
            continue
        out.append(f"{data[i]:02d}" if mode == "C" else chr(data[i]))
        i += 1
    return "".join(out)


def decode(data: bytes, *, show_codepages: bool = False, codepages: dict[int, str] | None = None) -> Decoded:
    """Decode a whole job (see the module docstring)."""
    table = codepages or CODEPAGES
    result = Decoded()
    codec = "cp437"  # the printer's power-on table
    style = {"bold": False, "width": 1, "height": 1, "align": "left", "invert": False}
    current: list[str] = []
    line_style: dict | None = None
    qr_data = b""

    def flush(force: bool = False) -> None:
        nonlocal line_style
        if current or force:
            result.items.append(Line("".join(current).rstrip(), "text", **(line_style or style)))
        current.clear()
        line_style = None

    def event(text: str) -> None:
        flush()
        result.items.append(Line(text, "event"))

    pos = 0
    while pos < len(data):
        found = next_command(data, pos)
        if found is None:
            raise DecodeError(f"incomplete command at {pos}: {data[pos:pos + 16]!r}")
        cmd, pos = found
        raw = cmd.raw
        if cmd.name == "TEXT":
            if line_style is None:
                line_style = dict(style)
            current.append(raw.decode(codec, errors="replace"))
        elif cmd.name == "LF":
            flush(force=True)
        elif cmd.name in ("CR", "NUL"):
            pass
        elif cmd.name == "HT":
            current.append(" ")
        elif cmd.name == "FF":
            flush()
        elif cmd.name == "ESC @":
            result.inits += 1
            flush()
            codec = "cp437"
            style.update(bold=False, width=1, height=1, align="left", invert=False)
        elif cmd.name == "ESC !":
            n = raw[2]
            style.update(bold=bool(n & 0x08), height=2 if n & 0x10 else 1, width=2 if n & 0x20 else 1)
        elif cmd.name == "GS !":
            n = raw[2]
            style.update(width=(n >> 4) + 1, height=(n & 0x0F) + 1)
        elif cmd.name in ("ESC E", "ESC G"):
            style["bold"] = bool(raw[2] & 1)
        elif cmd.name == "GS B":
            style["invert"] = bool(raw[2] & 1)
        elif cmd.name == "ESC a":
            style["align"] = _ALIGN.get(raw[2], "left")
        elif cmd.name == "ESC t":
            if raw[2] not in table:
                raise DecodeError(f"ESC t {raw[2]}: code page unknown to the decoder")
            codec = table[raw[2]]
            result.codepages.append(raw[2])
            if show_codepages:
                event(f"[codepage {raw[2]}]")
        elif cmd.name in ("ESC d", "ESC J"):
            flush()
        elif cmd.name == "ESC p":
            pin = 2 if raw[2] in (0, 48) else 5
            event(f"[drawer pin={pin} pulse={raw[3] * 2}]")
        elif cmd.name == "DLE DC4":
            if raw[2] == 1:
                event(f"[drawer pin={2 if raw[3] == 0 else 5} pulse={raw[4] * 100}]")
        elif cmd.name == "GS V":
            event("[cut partial]" if raw[2] in (1, 49, 66, 98, 104) else "[cut]")
        elif cmd.name in ("ESC i", "ESC m"):
            event("[cut partial]" if cmd.name == "ESC m" else "[cut]")
        elif cmd.name == "GS k":
            m = raw[2]
            if m <= 6:
                kind, payload = BARCODES_A.get(m, f"type{m}"), raw[3:-1]
            else:
                kind, payload = BARCODES_B.get(m, f"type{m}"), raw[4:]
            text = _code128(payload) if kind == "CODE128" else payload.decode("ascii", errors="replace")
            event(f"[barcode {kind} {text}]")
        elif cmd.name == "GS v":
            x = raw[4] + 256 * raw[5]
            y = raw[6] + 256 * raw[7]
            event(f"[image {x * 8}x{y}]")
        elif cmd.name == "ESC *":
            event(f"[image column {raw[3] + 256 * raw[4]}]")
        elif cmd.name == "GS (":
            fn = chr(raw[2])
            body = raw[5:]
            if fn == "k" and body[:2] == b"1P":  # QR: store the data
                qr_data = body[3:]
            elif fn == "k" and body[:2] == b"1Q":
                event(f"[qr {qr_data.decode('utf-8', errors='replace')}]")
            elif fn == "L" and body[1:2] in (b"2", b"\x32"):
                event("[image graphics]")
        elif cmd.name == "DLE EOT":
            result.status_queries.append(raw[2])
        # other fixed-length commands (font, spacing, barcode settings, ...) print nothing
    flush()
    return result


def decode_lines(data: bytes) -> list[str]:
    return decode(data).lines
