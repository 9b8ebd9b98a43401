"""JSON and JSON Lines: export of any list, import of JSON Lines (pure Python, no database).

Export writes one object per record, keyed by the column names of the CSV header, with typed
values: texts, codes and EANs as strings, prices and rates as decimal numbers written exactly
(``12.50``, ``5.5``, never a binary float), stocks as numbers, ``active`` as a boolean, an empty
value as ``null``.  ``.json`` is one array; ``.jsonl`` one object per line.

Import reads JSON Lines: every non-blank line one object.  The header is the keys of the first
object; a later object with another key is refused with its line; a missing key is an empty cell.
Values become the same text as a spreadsheet's cells (``pos/catalog/cells.py``; numbers keep their
exact text), so that the records go into the one import pipeline.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from pos.catalog.cells import NumberText, cell_text
from pos.catalog.csvio import MAX_COLUMNS, MAX_LINE, CsvError, format_decimal
from pos.core.i18n import _

_dumps = json.JSONEncoder(ensure_ascii=False).encode


def _value(value: Any, kind: str) -> str:
    """One value as JSON text."""
    if value is None or (value == "" and kind != "text"):
        return "null"
    if kind == "money":
        return format_decimal(value, 2, ".")
    if kind == "rate":
        return format_decimal(value, 2, ".", trim=True)
    if kind == "qty":
        return format_decimal(value, 3, ".", trim=True)
    if kind == "bool":
        return "true" if value else "false"
    if kind == "int":
        return str(int(value))
    if kind == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    return _dumps(value if isinstance(value, str) else cell_text(value))


def write_json(path: str | os.PathLike, header: list[str], kinds: list[str], rows: Iterable[list[Any]],
               lines: bool, progress: Callable[[int], None] | None = None, every: int = 5000) -> int:
    """Write ``rows`` as JSON (an array) or JSON Lines to ``path`` (an open temporary file's path)."""
    keys = [_dumps(h) + ": " for h in header]
    count = 0
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        if not lines:
            f.write("[")
        for row in rows:
            text = "{" + ", ".join(k + _value(v, kind) for k, v, kind in zip(keys, row, kinds)) + "}"
            if lines:
                f.write(text + "\n")
            else:
                f.write(("\n" if count == 0 else ",\n") + text)
            count += 1
            if progress and count % every == 0:
                progress(count)
        if not lines:
            f.write("\n]\n")
    return count


def _loads(text: str) -> Any:
    return json.loads(text, parse_float=NumberText, parse_int=NumberText)


def read_jsonl(path: str | os.PathLike, where: list[int] | None = None) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line number, cells)``: the header (the first object's keys) first, then every object."""
    path = Path(path)
    keys: dict[str, int] = {}
    number = 0
    with open(path, "rb") as f:
        while raw := f.readline(MAX_LINE + 1):
            number += 1
            if len(raw) > MAX_LINE:
                raise CsvError(_("a line longer than 1 MB: this is not a list for the till"), path, line=number)
            if where is not None and number % 1000 == 0:
                where[0] = f.tell()
            if not raw.strip():
                continue
            try:
                obj = _loads(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
            except UnicodeDecodeError as exc:
                raise CsvError(_("the file is not in {encoding}: {error}").format(encoding="UTF-8",
                                                                                 error=exc.reason), path,
                               line=number) from None
            except ValueError as exc:
                raise CsvError(_("not JSON: {error}").format(error=exc), path, line=number) from None
            if not isinstance(obj, dict):
                raise CsvError(_("each line must be one JSON object {...}"), path, line=number)
            if not keys:
                if len(obj) > MAX_COLUMNS:
                    raise CsvError(_("more than {n} columns: this is not a list for the till")
                                   .format(n=MAX_COLUMNS), path, line=number)
                keys = {k: i for i, k in enumerate(obj)}
                yield number, list(obj)
            cells = [""] * len(keys)
            for k, v in obj.items():
                i = keys.get(k)
                if i is None:
                    raise CsvError(_("the field {name} is not in the first line: every line must use the first "
                                     "line's fields").format(name=k), path, line=number)
                if isinstance(v, (dict, list)):
                    raise CsvError(_("the field {name} holds a list or an object, not a value").format(name=k),
                                   path, line=number)
                cells[i] = v if type(v) is str else cell_text(v)
            yield number, cells
    if where is not None:
        where[0] = path.stat().st_size
