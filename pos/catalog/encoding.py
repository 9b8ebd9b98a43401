"""The encoding of a CSV file, decided for the whole file (pure Python, no database).

- A UTF-8 or UTF-16 byte-order mark is obeyed; the file must then be valid in it.
- Without one, a file that decodes as UTF-8 is UTF-8.
- A file that does not is Windows-1252 (Excel's "CSV (séparateur: point-virgule)"), unless it
  also holds UTF-8 text (accented letters, ``€``, typographic quotes written as UTF-8): then it
  mixes two encodings (a UTF-8 file with a line pasted from an old one, say), and decoding it
  either way would mangle names ("cÃ©rÃ©ales", "Ã‰picerie").  It is refused, naming the line and
  column of the first byte that is not UTF-8, with the hint to save the file as "CSV UTF-8".

Nothing is ever decoded line by line in different encodings: one file, one encoding.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Callable

from pos.core.i18n import _

CHUNK = 1 << 20
# UTF-8 that no Windows-1252 text holds on purpose: U+00A0-U+017F (accented letters, «», °, Œ) and
# U+2000-U+20CF (dashes, quotes, €), which in Windows-1252 read "Ã©", "Â«", "â€™"...
_UTF8_TEXT = re.compile(rb"\xc2[\xa0-\xbf]|[\xc3-\xc5][\x80-\xbf]|\xe2\x80[\x80-\xbf]|\xe2\x82[\x80-\xbf]")
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")

Error = Callable[..., Exception]  # CsvError(message, path, line=...)


def _position(path: str | os.PathLike, offset: int) -> tuple[int, int]:
    """(line, column) of the byte at ``offset``: the file line (1-based) and the spreadsheet column
    (1-based: the separators before it on its line, outside quotes, with the header's separator)."""
    line, start, done = 1, 0, 0
    with open(path, "rb") as f:
        first = f.readline()
        f.seek(0)
        while done <= offset:
            chunk = f.read(CHUNK)
            if not chunk:
                break
            end = min(len(chunk), offset - done)
            line += chunk.count(b"\n", 0, end)
            nl = chunk.rfind(b"\n", 0, end)
            if nl >= 0:
                start = done + nl + 1
            done += len(chunk)
        f.seek(start)
        prefix = f.read(offset - start)
    counts = {sep: first.count(sep) for sep in (b";", b",", b"\t")}
    sep = max(counts, key=lambda k: (counts[k], k == b";"))
    column, quoted = 1, False
    for byte in prefix:
        if byte == 0x22:
            quoted = not quoted
        elif byte == sep[0] and not quoted:
            column += 1
    return line, column


def _search(path: str | os.PathLike, pattern: re.Pattern[bytes]) -> int | None:
    """The offset of the first match of ``pattern`` (at most 3 bytes long) in the file, or None."""
    done, tail = 0, b""
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            data = tail + chunk
            m = pattern.search(data)
            if m:
                return done - len(tail) + m.start()
            tail = data[-3:]
            done += len(chunk)
    return None


def _first_bad_utf8(path: str | os.PathLike, encoding: str, error: Error) -> int | None:
    """The offset of the first byte that is not valid in ``encoding`` (UTF-8), or None."""
    decoder = codecs.getincrementaldecoder(encoding)()
    done, data = 0, b""
    with open(path, "rb") as f:
        try:
            while data := f.read(CHUNK):
                if b"\x00" in data:
                    raise error(_("this is not a text file (binary content)"), path)
                decoder.decode(data)
                done += len(data)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            # exc.object: the bytes of an unfinished sequence held back from before, then ``data``
            held = len(exc.object) - len(data)
            return done - held + exc.start
    return None


def detect(path: str | os.PathLike, error: Error) -> str:
    """The encoding of the CSV file ``path``, or ``error(message, path, line=...)`` raised saying why not."""
    with open(path, "rb") as f:
        head = f.read(CHUNK)
    if not head.strip(b" \t\r\n\xef\xbb\xbf\xff\xfe\x00"):
        raise error(_("the file is empty"), path)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(b"PK\x03\x04"):
        raise error(_("this is a spreadsheet workbook (.xlsx or .ods), not CSV: "
                      "save it as \"CSV UTF-8\" from the spreadsheet"), path)
    if b"\x00" in head and not head.startswith(codecs.BOM_UTF8):
        raise error(_("this is not a text file (binary content)"), path)
    encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    bad = _first_bad_utf8(path, encoding, error)
    if bad is None:
        return encoding
    line, column = _position(path, bad)
    byte = _byte_at(path, bad)
    if encoding == "utf-8-sig":
        raise error(_("byte 0x{byte:02X} is not valid UTF-8, though the file starts as UTF-8: "
                      "save it again as \"CSV UTF-8\"").format(byte=byte), path, line=line, column=column)
    utf8 = _search(path, _UTF8_TEXT)
    if utf8 is not None:  # UTF-8 text and bytes that are not: two encodings in one file
        other = _position(path, utf8)[0]
        raise error(_("byte 0x{byte:02X} is not valid UTF-8, but line {other} is UTF-8: the file mixes two encodings; "
                      "save it as \"CSV UTF-8\" from the spreadsheet").format(byte=byte, other=other),
                    path, line=line, column=column)
    undefined = _search(path, _CP1252_UNDEFINED)
    if undefined is not None:
        line, column = _position(path, undefined)
        raise error(_("unknown encoding (byte 0x{byte:02X} is neither UTF-8 nor Windows-1252): "
                      "save the file as \"CSV UTF-8\"").format(byte=_byte_at(path, undefined)),
                    path, line=line, column=column)
    return "cp1252"


def _byte_at(path: str | os.PathLike, offset: int) -> int:
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(1)[0]
