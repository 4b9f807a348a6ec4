"""Excel workbooks (.xlsx, .xlsm): one sheet read as a table, header on its first non-empty row.

openpyxl streams the sheet in read-only mode and gives the cached values of formulas. Cells keep
their own types, so datatypes are per value: numbers that are whole (Excel stores 3 as 3.0) become
``"3"`` xsd:integer, other numbers xsd:double in their shortest form, dates xsd:date (or
xsd:dateTime when the cell's format shows a time), booleans xsd:boolean, text stays plain. Record
numbers are Excel's row numbers, so messages point at the row a person sees.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from fairify.errors import Location, SourceError
from fairify.mapping.model import LogicalSource
from fairify.sources._common import (
    XSD_DATE,
    XSD_DATETIME,
    XSD_DOUBLE,
    XSD_INTEGER,
    Chunk,
    ReaderBase,
    check_duplicate_names,
    check_references,
    datatype_column,
    row_numbers,
    strings_column,
    unique,
)
from fairify.sources._lexical import canonical_datetime, to_lexical
from fairify.sources._stream import option

_NOT_TIME = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')  # quoted text, [colour]/[locale] parts, escapes


class ExcelReader(ReaderBase):
    def __init__(self, source: LogicalSource, references: Sequence[str], *, path: Path, chunk_rows: int):
        self.location = str(path)
        self._refs = unique(references)
        self._chunk_rows = chunk_rows
        self._nulls = set(source.nulls)
        try:
            import openpyxl
        except ImportError:
            raise SourceError(
                "reading Excel workbooks needs openpyxl",
                Location(file=self.location),
                hint="pip install 'fairify[excel]'",
            ) from None
        try:
            self._book = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
            raise SourceError(f"not a readable .xlsx workbook: {e}", Location(file=self.location)) from e
        sheet_name = option(source.options, "sheet")
        if sheet_name is None:
            sheet = self._book.worksheets[0]
        elif sheet_name in self._book.sheetnames:
            sheet = self._book[sheet_name]
        else:
            names = ", ".join(repr(n) for n in self._book.sheetnames)
            self._book.close()
            raise SourceError(
                f"the workbook has no sheet {sheet_name!r}; it has {names}", Location(file=self.location)
            )
        self.sheet = sheet.title
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()  # exporters often write a wrong <dimension>; read every row
        self._rows = _numbered(sheet.iter_rows())
        self.header, self._header_row = self._read_header()
        check_duplicate_names(self.header, location=self._where())
        check_references(self._refs, self.header, location=self._where())
        self._index = {name: i for i, name in reversed(list(enumerate(self.header)))}

    def _where(self) -> str:
        return f"{self.location} (sheet {self.sheet!r})"

    def _read_header(self) -> tuple[list[str], int]:
        for number, cells in self._rows:
            values = [_lexical(c)[0] for c in cells]
            if any(v not in (None, "") for v in values):
                names = [v if v is not None else "" for v in values]
                while names and names[-1] == "":
                    names.pop()
                return [n.strip("\ufeff") for n in names], number
        self._book.close()
        raise SourceError(
            f"sheet {self.sheet!r} is empty; expected a header row", Location(file=self.location)
        )

    def __iter__(self) -> Iterator[Chunk]:
        positions = [self._index[r] for r in self._refs]
        values: list[list[str | None]] = [[] for _ in self._refs]
        types: list[list[str | None]] = [[] for _ in self._refs]
        numbers: list[int] = []
        for number, cells in self._rows:
            lexical = [_lexical(c) for c in cells]
            if all(v in (None, "") for v, _ in lexical):
                continue  # an empty row: no record, but the numbering (Excel's) stays right
            numbers.append(number)
            for k, pos in enumerate(positions):
                v, t = lexical[pos] if pos < len(lexical) else (None, None)
                if v is not None and v in self._nulls:
                    v, t = None, None
                values[k].append(v)
                types[k].append(t)
            if len(numbers) >= self._chunk_rows:
                yield self._chunk(values, types, numbers)
                values = [[] for _ in self._refs]
                types = [[] for _ in self._refs]
                numbers = []
        if numbers:
            yield self._chunk(values, types, numbers)

    def _chunk(
        self, values: list[list[str | None]], types: list[list[str | None]], numbers: list[int]
    ) -> Chunk:
        columns: dict[str, pa.Array] = {}
        datatypes: dict[str, str | pa.Array] = {}
        for k, ref in enumerate(self._refs):
            columns[ref] = strings_column(values[k])
            datatype = datatype_column(values[k], types[k])
            if datatype is not None:
                datatypes[ref] = datatype
        rows = pa.array(numbers, pa.int64()) if numbers else row_numbers(0, 0)
        return Chunk(columns=columns, datatypes=datatypes, rows=rows)

    def close(self) -> None:
        self._book.close()


def _numbered(rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """Rows with their Excel row numbers (openpyxl yields empty tuples for missing rows)."""
    number = 0
    for cells in rows:
        number += 1
        actual = next((c.row for c in cells if getattr(c, "row", None)), None)
        if actual is not None:
            number = actual
        yield number, cells


def _shows_time(number_format: str | None) -> bool:
    if not number_format:
        return False
    fmt = _NOT_TIME.sub("", number_format).lower()
    return "h" in fmt or "s" in fmt


def _lexical(cell: Any) -> tuple[str | None, str | None]:
    value = cell.value
    if value is None:
        return None, None
    if isinstance(value, float) and not isinstance(value, bool):
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value)), XSD_INTEGER
        return repr(value), XSD_DOUBLE
    if isinstance(value, dt.datetime):
        midnight = value.time() == dt.time(0) and value.tzinfo is None
        if midnight and not _shows_time(getattr(cell, "number_format", None)):
            return value.date().isoformat(), XSD_DATE
        return canonical_datetime(value), XSD_DATETIME
    return to_lexical(value)
