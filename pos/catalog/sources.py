"""The file an import reads, whatever its format: one stream of ``(row number, cells)`` records.

``open_source`` picks the reader from ``--format`` or the file's extension: CSV
(``pos/catalog/csvio.py``: encoding and separator detected), .xlsx/.ods/.xls
(``pos/catalog/sheets.py``: the sheet named after the list, or the one asked for) or JSON Lines
(``pos/catalog/jsonio.py``).  Every reader yields the header first, then the rows, with the row
number the user sees in that file; the one pipeline of ``pos/catalog/transfer.py`` does the rest,
so the preview and the add/update/delete choices are the same for every format.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pos.catalog.csvio import read_records, sniff
from pos.catalog.exporting import format_of


@dataclass
class Source:
    format: str  # csv | xlsx | ods | xls | jsonl
    records: Iterator[tuple[int, list[str]]]
    where: list[int]  # where[0]: how far the reading is (bytes, or rows of a sheet)
    total: Callable[[], int]  # what where[0] goes up to (a sheet's height: known once it is loaded)
    name: str  # the file's name, and its sheet: "list.xlsx [articles]"
    encoding: str = ""
    separator: str = ""
    sheet: str = ""
    close: Callable[[], None] = field(default=lambda: None)


def open_source(path: str | os.PathLike, entity: str, *, format: str | None = None, sheet: str | None = None,
                encoding: str | None = None, separator: str | None = None) -> Source:
    path = Path(path)
    fmt = format_of(path, format, exporting=False)
    where = [0]
    if fmt == "csv":
        dialect = sniff(path, encoding, separator)
        size = path.stat().st_size
        return Source(fmt, read_records(path, dialect, where), where, lambda: size, path.name,
                      encoding=dialect.encoding, separator=dialect.separator)
    if fmt == "jsonl":
        from pos.catalog.jsonio import read_jsonl

        size = path.stat().st_size
        return Source(fmt, read_jsonl(path, where), where, lambda: size, path.name, encoding="utf-8")
    from pos.catalog.sheets import Workbook

    book = Workbook(path)
    try:
        chosen = book.choose(entity, sheet)
        book.load_in_background(chosen)  # the import sets itself up meanwhile
    except BaseException:
        book.close()
        raise
    return Source(fmt, book.records(chosen, where), where, lambda: book.height(chosen), f"{path.name} [{chosen}]",
                  sheet=chosen, close=book.close)
