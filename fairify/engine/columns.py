"""Column helpers shared by the term builders: values that may be single or multi-valued.

A record's value for a reference is either one string (``pa.string()`` column, null when
absent) or several (``pa.list_(pa.string())``, from JSONPath/XPath). Everything downstream
works on whole columns; multi-valued columns are expanded into a flat form with the record each
value came from, combined (cartesian product per record), and regrouped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


@dataclass
class Values:
    """A column of lexical values, with the natural RDF datatype of each (if the source has one)."""

    values: pa.Array  # string or list<string>
    datatypes: pa.Array | str | None = None  # same shape as values, a constant IRI, or none

    @property
    def is_list(self) -> bool:
        return pa.types.is_list(self.values.type) or pa.types.is_large_list(self.values.type)

    def __len__(self) -> int:
        return len(self.values)


def is_list(arr: pa.Array) -> bool:
    return pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type)


def expand(columns: list[pa.Array], n: int) -> tuple[pa.Array | None, list[pa.Array]]:
    """Cartesian product per record of several columns, some of them lists.

    Returns the record index of each expanded row (``None`` when no column is a list, so the
    rows are the records) and the flat columns aligned with it.
    """
    if not any(is_list(c) for c in columns):
        return None, columns
    rec: np.ndarray | None = None  # None: the rows are still the records, in order
    flat: list[pa.Array] = []
    for col in columns:
        taken = col if rec is None else col.take(pa.array(rec))
        if is_list(taken):
            lengths = pc.fill_null(pc.list_value_length(taken), 0).to_numpy(zero_copy_only=False)
            repeat = pa.array(np.repeat(np.arange(len(taken), dtype=np.int64), lengths))
            rec = (np.arange(n, dtype=np.int64) if rec is None else rec)[repeat.to_numpy()]
            flat = [f.take(repeat) for f in flat]
            flat.append(pc.list_flatten(taken))
        else:
            flat.append(taken)
    assert rec is not None
    return pa.array(rec), flat


def regroup(records: pa.Array, values: pa.Array, n: int) -> pa.Array:
    """Inverse of ``expand``: a list column with, per record, its non-null values in order."""
    keep = pc.is_valid(values)
    records = records.filter(keep)
    values = values.filter(keep)
    counts = (
        np.bincount(records.to_numpy(zero_copy_only=False), minlength=n) if len(records) else np.zeros(n, int)
    )
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), values)


def to_list(arr: pa.Array) -> pa.Array:
    """A single-valued column as a list column (null becomes the empty list)."""
    if is_list(arr):
        return arr
    n = len(arr)
    return regroup(pa.array(np.arange(n, dtype=np.int64)), arr, n)


def string_bytes(arr: pa.Array) -> tuple[bytes, np.ndarray] | None:
    """A string column's values back to back as one ``bytes``, and their offsets into it.

    Lets a whole column be checked at C speed (``in``, ``bytes.translate``, numpy) before any
    per-value regex: on clean data such checks prove there is nothing to do. ``None`` when the
    column is not a plain (large) string array.
    """
    if not isinstance(arr, pa.Array) or not (
        pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)
    ):
        return None
    n = len(arr)
    if n == 0:
        return b"", np.zeros(1, dtype=np.int64)
    _, offsets_buf, data_buf = arr.buffers()
    dtype = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    offsets = np.frombuffer(offsets_buf, dtype=dtype)[arr.offset : arr.offset + n + 1]
    start, end = int(offsets[0]), int(offsets[-1])
    data = memoryview(data_buf)[start:end].tobytes() if data_buf is not None and end > start else b""
    return data, offsets - start
