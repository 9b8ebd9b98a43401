"""Reading and writing the CSV files that spreadsheets make (pure Python, no database).

Reading accepts what Excel, LibreOffice and Google Sheets save:

- the encoding, decided for the whole file (``pos/catalog/encoding.py``): a UTF-8 or
  UTF-16 byte-order mark is obeyed; without one the whole file must decode as UTF-8,
  otherwise as Windows-1252 (Excel's "CSV (séparateur: point-virgule)"); a file that
  mixes both, or anything else, is refused with the line and column of the first bad byte;
- the separator: ``;``, ``,`` or tab, whichever the header row uses most
  outside quotes (``;`` on a tie);
- quoted fields holding separators, quotes or newlines (the ``csv`` module);
- numbers with a decimal comma or point, spaces or dots as thousands
  separators in valid groups only, a ``€`` or ``%`` sign (``pos/catalog/numbers.py``).

Every problem is a ``CsvError`` that names the file, and the line and column
when there is one.  Writing uses ``write_csv``: the options are the separator,
the encoding and the decimal mark; the defaults open cleanly in a French Excel
(UTF-8 with BOM, ``;``, CRLF, decimal comma).  A cell that a spreadsheet would take
for a formula is written with a leading ``'`` and read back without it (``pos/core/csvcell.py``).
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pos.catalog.encoding import detect as encoding_of
from pos.catalog.numbers import parse_decimal  # noqa: F401  (the parser of this module's numbers)
from pos.core.csvcell import neutralise_row, restore_row
from pos.core.errors import InvalidValue, Refusal
from pos.core.i18n import _

SEPARATORS = {";": ";", ",": ",", "\t": "\t", "tab": "\t", "\\t": "\t"}
ENCODINGS = ("utf-8-sig", "utf-8", "cp1252", "utf-16")
MAX_LINE = 1 << 20  # characters: a line longer than 1 MB, or with more columns, is refused early
MAX_COLUMNS = 1000


class CsvError(Refusal):
    """A file that cannot be read, or a value that cannot be understood."""

    def __init__(self, message: str, path: str | os.PathLike | None = None, line: int | None = None,
                 column: int | None = None, field: str = "") -> None:
        self.message, self.path, self.line, self.column, self.field = message, path, line, column, field
        super().__init__(self.where() + message)

    def where(self) -> str:
        parts = []
        if self.path is not None:
            parts.append(Path(self.path).name)
        if self.line is not None:
            parts.append(_("line {n}").format(n=self.line))
        if self.column is not None:
            col = _("column {letter}").format(letter=column_letter(self.column))
            parts.append(f"{col} ({self.field})" if self.field else col)
        return ", ".join(parts) + (": " if parts else "")


def column_letter(index: int) -> str:
    """1 → A, 27 → AA: the column as the spreadsheet shows it."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# ---------------------------------------------------------------- the dialect of a file
@dataclass(frozen=True)
class Dialect:
    encoding: str
    separator: str


def detect_encoding(path: str | os.PathLike) -> str:
    """The encoding of a CSV file, or a ``CsvError`` saying why it is not one (``pos/catalog/encoding.py``)."""
    return encoding_of(path, CsvError)


def sniff_separator(header: str) -> str:
    """The separator used most outside quotes in the header row (``;`` on a tie or a single column)."""
    counts = {";": 0, ",": 0, "\t": 0}
    quoted = False
    for ch in header:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts.values())
    if best == 0 or counts[";"] == best:
        return ";"
    return "," if counts[","] == best else "\t"


def open_text(path: str | os.PathLike, encoding: str):
    return open(path, encoding=encoding, newline="")


def sniff(path: str | os.PathLike, encoding: str | None = None, separator: str | None = None) -> Dialect:
    encoding = encoding or detect_encoding(path)
    if separator is None:
        try:
            with open_text(path, encoding) as f:
                first = ""
                for first in f:
                    if first.strip():
                        break
        except UnicodeDecodeError as exc:
            raise CsvError(_("the file is not in {encoding}: {error}").format(encoding=encoding, error=exc.reason),
                           path) from None
        separator = sniff_separator(first)
    return Dialect(encoding, SEPARATORS.get(separator, separator))


CHUNK = MAX_LINE  # characters read at a time: a line read whole within one chunk is never too long


def _lines(f: io.TextIOWrapper, path: str | os.PathLike, raw: io.BufferedReader | None = None,
           where: list[int] | None = None) -> Iterator[str]:
    """The lines of ``f`` (ended by \\n, \\r\\n or a lone \\r, as ``newline=""`` reads them), read a
    megabyte at a time; one longer than ``MAX_LINE`` characters is refused before it is read whole.
    ``where[0]`` follows the bytes read from ``raw`` (for a progress bar)."""
    number = 0  # lines yielded so far
    pending = ""
    while True:
        chunk = f.read(CHUNK)
        if where is not None and raw is not None:
            where[0] = raw.tell()
        block = pending + chunk
        if not chunk:
            if len(block) > MAX_LINE:
                raise CsvError(_("a line longer than 1 MB: this is not a list for the till"), path, line=number + 1)
            if block:
                yield block
            return
        end = len(block) - 1 if block.endswith("\r") else len(block)  # a \r\n may be cut between two reads
        cut = max(block.rfind("\n", 0, end), block.rfind("\r", 0, end)) + 1
        body, pending = block[:cut], block[cut:]
        # only the first line can be longer than a chunk: it carries what was pending
        ends = [k for k in (body.find("\n"), body.find("\r")) if k >= 0]
        if ends and min(ends) + 1 > MAX_LINE:
            raise CsvError(_("a line longer than 1 MB: this is not a list for the till"), path, line=number + 1)
        number += body.count("\n") + body.count("\r") - body.count("\r\n")
        if len(pending) > MAX_LINE:
            raise CsvError(_("a line longer than 1 MB: this is not a list for the till"), path, line=number + 1)
        yield from io.StringIO(body, newline="")  # split in C, at \\n, \\r\\n and a lone \\r


def read_records(path: str | os.PathLike, dialect: Dialect,
                 where: list[int] | None = None) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line number, fields)`` for every record, the header first; blank lines are skipped.

    The line number is the file line where the record starts (a quoted field may span lines).
    ``where[0]``, when given, follows the bytes read (every 1,000 records), for a progress bar."""
    try:
        with open(path, "rb") as raw, io.TextIOWrapper(raw, encoding=dialect.encoding, newline="") as f:
            reader = csv.reader(_lines(f, path, raw, where), delimiter=dialect.separator, strict=False)
            start = 1
            try:
                for fields in reader:
                    if len(fields) > MAX_COLUMNS:
                        raise CsvError(_("more than {n} columns: this is not a list for the till")
                                       .format(n=MAX_COLUMNS), path, line=start)
                    if fields and (fields[0].strip() or any(v.strip() for v in fields)):
                        joined = "\x1f".join(fields)
                        if "\x1f'" in joined or joined[:1] == "'":
                            fields = restore_row(fields)  # an export's '=SUM is =SUM again
                        yield start, fields
                    start = reader.line_num + 1
            except csv.Error as exc:
                raise CsvError(str(exc), path, line=start) from None
            if where is not None:
                where[0] = raw.tell()
    except UnicodeDecodeError as exc:
        raise CsvError(_("the file is not in {encoding}: {error}").format(encoding=dialect.encoding,
                                                                         error=exc.reason), path) from None


# ---------------------------------------------------------------- header names
def normalise_header(text: str) -> str:
    """``"Prix d'achat HT"`` → ``"prix d achat ht"``: case, accents and punctuation ignored."""
    text = unicodedata.normalize("NFKD", text.strip().lstrip("\ufeff").casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


# ---------------------------------------------------------------- values
_SCIENTIFIC = re.compile(r"^[0-9]([.,][0-9]+)?[eE][+]?[0-9]+$")
TRUE_WORDS = {"1", "true", "yes", "y", "oui", "o", "vrai", "x", "actif", "active", "on"}
FALSE_WORDS = {"0", "false", "no", "n", "non", "faux", "inactif", "inactive", "off", ""}


def format_decimal(value: int, places: int, mark: str = ",", trim: bool = False) -> str:
    """The inverse of ``parse_decimal``: ``1250, 2`` → ``"12,50"`` (no thousands separator)."""
    sign = "-" if value < 0 else ""
    units, frac = divmod(abs(value), 10 ** places)
    digits = str(frac).rjust(places, "0")
    if trim:
        digits = digits.rstrip("0")
    return f"{sign}{units}{mark}{digits}" if digits else f"{sign}{units}"


def parse_bool(text: str, default: bool = True) -> bool:
    word = text.strip().casefold()
    if not word:
        return default
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise InvalidValue(_("not yes or no: {text}").format(text=text))


def looks_scientific(text: str) -> bool:
    """``3,76012E+12``: a barcode that a spreadsheet turned into a number."""
    return bool(_SCIENTIFIC.match(text.strip()))


# ---------------------------------------------------------------- writing
@dataclass(frozen=True)
class WriteOptions:
    separator: str = ";"
    encoding: str = "utf-8-sig"
    decimal: str = ","

    def checked(self) -> WriteOptions:
        sep = SEPARATORS.get(self.separator)
        if sep is None:
            raise CsvError(_("the separator is ; , or tab"))
        if self.decimal not in (",", "."):
            raise CsvError(_("the decimal mark is , or ."))
        try:
            enc = codecs.lookup(self.encoding).name
        except LookupError:
            raise CsvError(_("unknown encoding: {encoding}").format(encoding=self.encoding)) from None
        return WriteOptions(sep, self.encoding if enc != "utf-8" else self.encoding, self.decimal)


def write_csv(path: str | os.PathLike, header: list[str], rows: Iterable[list[str]], options: WriteOptions,
              progress: Callable[[int], None] | None = None, every: int = 5000) -> int:
    """Write a header and rows atomically (a temporary file renamed at the end); returns the row count.

    ``progress(n)`` is called every ``every`` rows; it may raise to cancel (the file is then not written)."""
    options = options.checked()
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    count = 0
    try:
        with os.fdopen(fd, "w", encoding=options.encoding, newline="", errors="strict") as f:
            writer = csv.writer(f, delimiter=options.separator, lineterminator="\r\n")
            writer.writerow(neutralise_row(header))
            for row in rows:
                try:
                    writer.writerow(neutralise_row(row))  # no cell is ever a formula
                except UnicodeEncodeError as exc:
                    raise CsvError(_("{encoding} cannot hold the character {char!r} of \"{text}\": "
                                     "choose UTF-8").format(encoding=options.encoding, char=exc.object[exc.start],
                                                            text=exc.object), path, line=count + 2) from None
                count += 1
                if progress and count % every == 0:
                    progress(count)
        if progress:
            progress(count)  # the last call may cancel too: then no file
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp made it private: a normal file, as the spreadsheet would save it
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count
