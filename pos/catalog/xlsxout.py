"""A streaming .xlsx writer for the till's lists (pure Python: ``zipfile`` and text).

xlsxwriter in ``constant_memory`` mode took about 60 s for 1,000,000 articles here (its per-cell
API does much that a list does not need); this writer produces the same workbook (the parts of
SpreadsheetML that a list uses: inline strings, numbers, booleans, five styles, a frozen bold
header, column widths) in about a third of that, with flat memory: each sheet's XML is
compressed into the zip as it is made.  Excel, LibreOffice and python-calamine read it.

Every text is a string cell (``t="inlineStr"``), never a formula; characters that XML 1.0
cannot hold (control characters) are written as Excel's ``_xHHHH_`` escapes, and a literal
``_xHHHH_`` in a text has its underscore escaped (``_x005F_``), as Excel does.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
<numFmts count="3"><numFmt numFmtId="164" formatCode="#,##0.00&quot; €&quot;"/>\
<numFmt numFmtId="165" formatCode="0.0#"/><numFmt numFmtId="166" formatCode="0.###"/></numFmts>\
<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>\
<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>\
<fills count="2"><fill><patternFill patternType="none"/></fill>\
<fill><patternFill patternType="gray125"/></fill></fills>\
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>\
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>\
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>\
</styleSheet>"""
BOLD, EURO, RATE, QTY = 1, 2, 3, 4

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_ESCAPE = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;"}
_ESCAPE.update({c: f"_x{c:04X}_" for c in range(32) if c not in (9, 10, 13)})
_ESCAPE.update({0xFFFE: "_xFFFE_", 0xFFFF: "_xFFFF_"})
_NEEDS = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")
_LITERAL = re.compile("_(x[0-9A-Fa-f]{4}_)")
_MAX_TEXT = 32767  # characters in a cell (Excel's limit)


def text_xml(value: str) -> str:
    """A text as the content of ``<t>``: XML escapes, Excel's escapes for control characters."""
    if len(value) > _MAX_TEXT:
        value = value[:_MAX_TEXT]
    if _NEEDS.search(value):
        value = _LITERAL.sub(r"_x005F_\1", value).translate(_ESCAPE)
    return value


def column_letters(n: int) -> list[str]:
    out = []
    for i in range(1, n + 1):
        letters, index = "", i
        while index > 0:
            index, rest = divmod(index - 1, 26)
            letters = chr(65 + rest) + letters
        out.append(letters)
    return out


def _cell_writers(kinds: list[str], letters: list[str]) -> list[Callable[[Any, str], str]]:
    """One function per column: (value, row number as text) -> the cell's XML ('' for an empty value)."""
    out: list[Callable[[Any, str], str]] = []
    for kind, col in zip(kinds, letters):
        if kind == "text":
            def cell(v: Any, r: str, col: str = col) -> str:
                if v is None or v == "":
                    return ""
                t = text_xml(v if isinstance(v, str) else str(v))
                space = ' xml:space="preserve"' if t[:1].isspace() or t[-1:].isspace() else ""
                return f'<c r="{col}{r}" t="inlineStr"><is><t{space}>{t}</t></is></c>'
        elif kind == "bool":
            def cell(v: Any, r: str, col: str = col) -> str:
                if v is None or v == "":
                    return ""
                return f'<c r="{col}{r}" t="b"><v>{1 if v else 0}</v></c>'
        else:
            scale, style = {"money": (100, EURO), "rate": (100, RATE), "qty": (1000, QTY),
                            "int": (1, 0), "number": (1, 0)}[kind]
            attr = f' s="{style}"' if style else ""

            def cell(v: Any, r: str, col: str = col, scale: int = scale, attr: str = attr) -> str:
                if v is None or v == "" or isinstance(v, str):
                    return ""
                if isinstance(v, bool):
                    v = int(v)
                number = repr(v / scale) if scale != 1 else repr(v)
                return f'<c r="{col}{r}"{attr}><v>{number}</v></c>'
        out.append(cell)
    return out


def shown_length(value: Any, kind: str) -> int:
    if value is None:
        return 0
    if kind == "money":
        return len(str(abs(int(value)) // 100)) + 6
    if kind in ("rate", "qty"):
        return len(str(value)) + 1
    if kind == "bool":
        return 5
    return len(str(value))


class XlsxWriter:
    """An .xlsx being written: ``sheet(...)`` once per list, then ``close()``."""

    WIDTH_ROWS = 1000  # the widths fit the header and this many first rows
    MIN_WIDTH, MAX_WIDTH = 6, 60

    def __init__(self, path: str | Path) -> None:
        self.zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self.sheets: list[str] = []

    def sheet(self, name: str, header: list[str], kinds: list[str], rows: Iterator[list[Any]],
              progress: Callable[[int], None] | None = None, every: int = 5000) -> int:
        self.sheets.append(name)
        letters = column_letters(max(len(header), 1))
        writers = _cell_writers(kinds, letters)
        first: list[list[Any]] = []
        widths = [len(h) for h in header]
        for row in rows:  # the first rows give the widths, written before the cells
            first.append(row)
            for i, v in enumerate(row):
                n = shown_length(v, kinds[i])
                if n > widths[i]:
                    widths[i] = n
            if len(first) >= self.WIDTH_ROWS:
                break
        cols = "".join(f'<col min="{i}" max="{i}" width="{min(self.MAX_WIDTH, max(self.MIN_WIDTH, w + 2))}" '
                       'customWidth="1"/>' for i, w in enumerate(widths, 1))
        head = "".join(f'<c r="{c}1" s="{BOLD}" t="inlineStr"><is><t>{text_xml(h)}</t></is></c>'
                       for c, h in zip(letters, header))
        count = 0
        with self.zip.open(f"xl/worksheets/sheet{len(self.sheets)}.xml", "w", force_zip64=True) as raw:
            out: list[str] = []

            def flush() -> None:
                raw.write("".join(out).encode("utf-8"))
                out.clear()

            out.append(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {_NS} '
                       f'xmlns:r="{_REL}"><sheetViews><sheetView workbookViewId="0"'
                       f'{" tabSelected=" + chr(34) + "1" + chr(34) if len(self.sheets) == 1 else ""}>'
                       '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                       '<selection pane="bottomLeft"/></sheetView></sheetViews>'
                       f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols>'
                       f'<sheetData><row r="1">{head}</row>')
            for batch in (first, rows):
                for row in batch:
                    count += 1
                    r = str(count + 1)
                    out.append(f'<row r="{r}">' + "".join([w(v, r) for w, v in zip(writers, row)]) + "</row>")
                    if count % 1000 == 0:
                        flush()
                        if progress and count % every == 0:
                            progress(count)
            out.append("</sheetData></worksheet>")
            flush()
        if progress:
            progress(count)
        return count

    def close(self) -> None:
        n = len(self.sheets)
        sheets = "".join(f'<sheet name="{text_xml(name)}" sheetId="{i}" r:id="rId{i}"/>'
                         for i, name in enumerate(self.sheets, 1))
        rels = "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                       for i in range(1, n + 1))
        overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                            for i in range(1, n + 1))
        head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        ooxml = "application/vnd.openxmlformats-officedocument.spreadsheetml"
        self.zip.writestr("[Content_Types].xml", head +
                          '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                          'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
                          f'<Override PartName="/xl/workbook.xml" ContentType="{ooxml}.sheet.main+xml"/>'
                          f'<Override PartName="/xl/styles.xml" ContentType="{ooxml}.styles+xml"/>'
                          f'{overrides}</Types>')
        self.zip.writestr("_rels/.rels", head +
                          '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                          f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
                          '</Relationships>')
        self.zip.writestr("xl/workbook.xml", head + f'<workbook {_NS} xmlns:r="{_REL}"><sheets>{sheets}</sheets>'
                          '</workbook>')
        self.zip.writestr("xl/_rels/workbook.xml.rels", head +
                          '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                          f'{rels}<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
                          '</Relationships>')
        self.zip.writestr("xl/styles.xml", STYLES)
        self.zip.close()

    def abort(self) -> None:
        try:
            self.zip.close()
        except Exception:  # a half-written member: the file is removed anyway
            pass
