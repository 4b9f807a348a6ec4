"""Helpers for the source-layer tests: open a source written into tmp_path and gather its chunks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pytest

from fairify.mapping.model import Formulation, LogicalSource
from fairify.sources import Chunk, open_source


@dataclass
class Read:
    """Everything a reader produced, chunk boundaries removed."""

    chunks: list[Chunk]
    values: dict[str, list] = field(default_factory=dict)
    rows: list[int] = field(default_factory=list)
    datatypes: dict[str, list] = field(default_factory=dict)
    location: str = ""
    reader: object = None


def gather(reader, references: Sequence[str]) -> Read:
    try:
        chunks = list(reader)
    finally:
        reader.close()
    out = Read(chunks=chunks, location=reader.location, reader=reader)
    for ref in references:
        out.values[ref] = [v for c in chunks for v in c.columns[ref].to_pylist()]
        kinds = []
        for c in chunks:
            d = c.datatypes.get(ref)
            if d is None or isinstance(d, str):
                kinds += [d] * c.num_rows
            else:
                kinds += d.to_pylist()
        out.datatypes[ref] = kinds
    out.rows = [r for c in chunks for r in c.rows.to_pylist()]
    for c in chunks:
        assert c.rows.type == pa.int64()
        assert all(len(col) == c.num_rows for col in c.columns.values())
    return out


@pytest.fixture
def read_source(tmp_path: Path):
    """``read_source(content, refs, name=..., **LogicalSource fields)`` → ``Read``.

    ``content`` (bytes or str, written as UTF-8) goes to ``tmp_path/name`` unless None (the file
    is already there); ``runtime_database`` is open_source's ``database`` argument.
    """

    def read(
        content: bytes | str | None,
        references: Sequence[str],
        *,
        name: str = "data.csv",
        formulation: Formulation = Formulation.CSV,
        chunk_rows: int = 1000,
        runtime_database: str | None = None,
        **source_fields,
    ) -> Read:
        if content is not None:
            data = content.encode("utf-8") if isinstance(content, str) else content
            (tmp_path / name).write_bytes(data)
        if formulation is not Formulation.SQL:
            source_fields.setdefault("path", name)
        source = LogicalSource(formulation, **source_fields)
        reader = open_source(
            source, references, base_dir=tmp_path, database=runtime_database, chunk_rows=chunk_rows
        )
        return gather(reader, references)

    return read
