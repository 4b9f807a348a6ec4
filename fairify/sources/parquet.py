"""Parquet sources: typed columns, read batch-wise and turned into canonical lexical strings.

Only the requested columns are read. Parquet's types give the natural RDF datatype of each column
(integers → xsd:integer, doubles → xsd:double in ``1.0E0`` form, timestamps → xsd:dateTime, …), all
converted with Arrow compute kernels (no Python loop per cell).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from fairify.errors import Location, SourceError
from fairify.mapping.model import LogicalSource
from fairify.sources._common import (
    Chunk,
    ReaderBase,
    apply_nulls,
    check_duplicate_names,
    check_references,
    row_numbers,
    unique,
)
from fairify.sources._lexical import arrow_to_lexical


class ParquetReader(ReaderBase):
    def __init__(self, source: LogicalSource, references: Sequence[str], *, path: Path, chunk_rows: int):
        self.location = str(path)
        self._refs = unique(references)
        self._chunk_rows = chunk_rows
        self._nulls = source.nulls
        try:
            self._file = pq.ParquetFile(str(path))
        except (pa.ArrowException, OSError) as e:
            raise SourceError(f"cannot read the Parquet file: {e}", Location(file=self.location)) from e
        self.header: list[str] = list(self._file.schema_arrow.names)
        check_duplicate_names(self.header, location=self.location, what="schema")
        check_references(self._refs, self.header, location=self.location)

    def __iter__(self) -> Iterator[Chunk]:
        next_row = 1
        try:
            batches = self._file.iter_batches(
                batch_size=self._chunk_rows, columns=self._refs, use_threads=True
            )
            for batch in batches:
                n = batch.num_rows
                columns: dict[str, pa.Array] = {}
                datatypes: dict[str, str | pa.Array] = {}
                for ref in self._refs:
                    values, datatype = arrow_to_lexical(batch.column(ref))
                    columns[ref] = apply_nulls(values, self._nulls)
                    if datatype is not None:
                        datatypes[ref] = datatype
                yield Chunk(columns=columns, datatypes=datatypes, rows=row_numbers(next_row, n))
                next_row += n
        except (pa.ArrowException, OSError) as e:
            raise SourceError(
                f"cannot read the Parquet file: {e}", Location(file=self.location, row=next_row)
            ) from e

    def close(self) -> None:
        self._file.close()
