"""The columnar fast paths of the JSON and SQL readers give exactly what the value-by-value path gives."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairify.mapping.model import Formulation
from fairify.sources import json as json_source
from fairify.sources import sql as sql_source

from .conftest import Read, gather

# Columns as they come: all text, all integers (some beyond 64 bits), or a mix the fast path
# must hand over to the general one (booleans, fractions, nested values).
TEXT = st.one_of(st.none(), st.text(max_size=6), st.sampled_from(["NA", "", "  x "]))
INTEGER = st.one_of(st.none(), st.integers(), st.integers(min_value=2**63, max_value=2**70))
MIXED = st.one_of(
    TEXT, INTEGER, st.booleans(), st.floats(allow_nan=False, allow_infinity=False), st.just([1])
)
COLUMNS = st.one_of(st.lists(TEXT, max_size=8), st.lists(INTEGER, max_size=8), st.lists(MIXED, max_size=8))


def _read_json(values: list[Any], nulls: tuple[str, ...]) -> Read:
    from fairify.mapping.model import LogicalSource
    from fairify.sources import open_source

    with TemporaryDirectory() as tmp:
        doc = {"rows": [{} if v is None and i % 2 else {"v": v} for i, v in enumerate(values)]}
        (Path(tmp) / "d.json").write_text(json.dumps(doc), encoding="utf-8")
        source = LogicalSource(Formulation.JSONPATH, path="d.json", iterator="$.rows[*]", nulls=nulls)
        return gather(open_source(source, ["v"], base_dir=Path(tmp), chunk_rows=3), ["v"])


@settings(max_examples=150, deadline=None)
@given(values=COLUMNS, nulls=st.sampled_from([(), ("NA",), ("",)]))
def test_json_plain_key_column_equals_the_general_path(values: list[Any], nulls: tuple[str, ...]) -> None:
    fast = _read_json(values, nulls)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(json_source, "_plain_key", lambda path: None)
        slow = _read_json(values, nulls)
    assert (fast.values, fast.datatypes, fast.rows) == (slow.values, slow.datatypes, slow.rows)


@settings(max_examples=150, deadline=None)
@given(
    values=COLUMNS,
    declared=st.sampled_from(["", "TEXT", "INTEGER", "VARCHAR(5)", "BOOLEAN", "REAL"]),
    nulls=st.sampled_from([set(), {"NA"}, {"0"}]),
)
def test_sql_column_equals_the_value_by_value_conversion(
    values: list[Any], declared: str, nulls: set[str]
) -> None:
    values = [v for v in values if not isinstance(v, list) and not (isinstance(v, int) and abs(v) >= 2**63)]
    with TemporaryDirectory() as tmp:  # what SQLite hands back for these values and that column type
        con = sqlite3.connect(Path(tmp) / "t.db")
        con.execute(f"CREATE TABLE t (v {declared})")
        con.executemany("INSERT INTO t VALUES (?)", [(v,) for v in values])
        raw = [r[0] for r in con.execute("SELECT v FROM t ORDER BY rowid")]
        con.close()
    kind = sql_source._sqlite_kind(declared)
    column, datatype = sql_source._column(raw, kind, nulls)
    lexical = [sql_source._convert(v, kind) for v in raw]
    expected_values = [None if v is not None and v in nulls else v for v, _ in lexical]
    assert column.to_pylist() == expected_values
    expected_types = sql_source.datatype_column(expected_values, [t for _, t in lexical])
    if isinstance(expected_types, str) or expected_types is None:
        assert datatype == expected_types
    else:
        got = [datatype] * len(raw) if isinstance(datatype, str) or datatype is None else datatype.to_pylist()
        assert got == expected_types.to_pylist()
