"""The source layer: logical sources read as chunks of lexical strings.

``open_source`` picks a reader by reference formulation (and, for tables, by file extension) and
returns it opened: every reference the mapping uses has been checked against the source, so a
``MappingError`` for a misspelt column comes before any data. Iterating the reader yields
``Chunk``s of at most ``chunk_rows`` records; ``close()`` releases files and connections.

Values are the source's lexical values as strings (typed sources give the canonical lexical form
R2RML defines and the natural RDF datatype alongside); nulls are "no value". The format modules are
imported lazily so that a CSV-only run never imports lxml, SQLAlchemy or openpyxl.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fairify.errors import Location, SourceError
from fairify.mapping.model import Formulation, LogicalSource
from fairify.sources._common import (
    XSD_BOOLEAN,
    XSD_DATE,
    XSD_DATETIME,
    XSD_DECIMAL,
    XSD_DOUBLE,
    XSD_DURATION,
    XSD_HEXBINARY,
    XSD_INTEGER,
    XSD_STRING,
    XSD_TIME,
    Chunk,
    SourceReader,
    resolve_path,
)

__all__ = [
    "XSD_BOOLEAN",
    "XSD_DATE",
    "XSD_DATETIME",
    "XSD_DECIMAL",
    "XSD_DOUBLE",
    "XSD_DURATION",
    "XSD_HEXBINARY",
    "XSD_INTEGER",
    "XSD_STRING",
    "XSD_TIME",
    "Chunk",
    "SourceReader",
    "open_source",
]

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")


def open_source(
    source: LogicalSource,
    references: Sequence[str],
    *,
    base_dir: Path,
    database: str | None = None,
    chunk_rows: int = 200_000,
    secret: bytes | None = None,
) -> SourceReader:
    """Open ``source`` for the given references (column names, JSONPath or XPath expressions).

    ``base_dir`` resolves relative file paths (the mapping's directory); ``database`` is the
    SQLAlchemy URL to use when the source names none; ``secret`` is the site secret, which a
    DICOM source needs to de-identify what it reads.
    """
    chunk_rows = max(1, int(chunk_rows))
    f = source.formulation
    if f is Formulation.DICOM:
        from fairify.dicom.source import DicomReader, resolve_source_path

        if not source.path:
            raise SourceError("the DICOM logical source names no folder", Location(element=source.describe()))
        path = resolve_source_path(source.path, Path(base_dir))
        return DicomReader(source, references, path=path, chunk_rows=chunk_rows, secret=secret)
    if f is Formulation.SQL:
        from fairify.sources.sql import SqlReader

        return SqlReader(
            source, references, base_dir=Path(base_dir), database=database, chunk_rows=chunk_rows
        )
    if not source.path:
        raise SourceError(f"the {f.value} logical source names no file", Location(element=source.describe()))
    path = resolve_path(source.path, Path(base_dir))
    if f is Formulation.JSONPATH:
        from fairify.sources.json import JsonReader

        return JsonReader(source, references, path=path, chunk_rows=chunk_rows)
    if f is Formulation.XPATH:
        from fairify.sources.xml import XmlReader

        return XmlReader(source, references, path=path, chunk_rows=chunk_rows)
    if f in (Formulation.CSV, Formulation.TABLE):
        name = path.name.lower()
        if name.endswith(EXCEL_SUFFIXES):
            from fairify.sources.excel import ExcelReader

            return ExcelReader(source, references, path=path, chunk_rows=chunk_rows)
        if name.endswith(".xls"):
            raise SourceError(
                "old-style .xls workbooks are not supported; save the sheet as .xlsx or CSV",
                Location(file=str(path)),
            )
        if name.endswith(PARQUET_SUFFIXES):
            from fairify.sources.parquet import ParquetReader

            return ParquetReader(source, references, path=path, chunk_rows=chunk_rows)
        from fairify.sources.csv import CsvReader

        return CsvReader(source, references, path=path, chunk_rows=chunk_rows)
    raise SourceError(
        f"fairify.sources has no reader for the {f.value} reference formulation",
        Location(file=str(path)),
    )
