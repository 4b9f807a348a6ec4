"""What every source reader shares: the chunk type, the reader protocol and small helpers.

Kept apart from ``__init__`` so that the per-format modules can import it without importing each
other (and without pulling in lxml, SQLAlchemy or openpyxl before they are needed).
"""

from __future__ import annotations

import codecs
import difflib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fairify.errors import Location, MappingError, SourceError
from fairify.mapping.model import XSD

XSD_STRING = XSD + "string"
XSD_INTEGER = XSD + "integer"
XSD_DECIMAL = XSD + "decimal"
XSD_DOUBLE = XSD + "double"
XSD_BOOLEAN = XSD + "boolean"
XSD_DATE = XSD + "date"
XSD_TIME = XSD + "time"
XSD_DATETIME = XSD + "dateTime"
XSD_HEXBINARY = XSD + "hexBinary"
XSD_DURATION = XSD + "duration"

STRING_LIST = pa.list_(pa.string())


@dataclass
class Chunk:
    """A batch of records of one logical source, column-wise.

    ``columns`` has one array per requested reference: ``pa.string()`` (one value per record,
    null = no value) or ``pa.list_(pa.string())`` (multi-valued references). ``datatypes`` gives a
    reference's natural RDF datatype, either one IRI for the whole column or an array shaped like
    the values (null = plain string); a reference without an entry is plain strings. ``rows`` is
    the record number of each record, for provenance and error messages.
    """

    columns: dict[str, pa.Array]
    datatypes: dict[str, str | pa.Array]
    rows: pa.Array

    @property
    def num_rows(self) -> int:
        return len(self.rows)


@runtime_checkable
class SourceReader(Protocol):
    """An open logical source: iterate it for chunks, then close it."""

    location: str

    def __iter__(self) -> Iterator[Chunk]: ...

    def close(self) -> None: ...


class ReaderBase:
    """Context-manager plumbing shared by the concrete readers."""

    location: str = ""

    def close(self) -> None:  # pragma: no cover - overridden where there is something to close
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------------------------------
# Paths and references


def resolve_path(path: str, base_dir: Path) -> Path:
    """The source file, resolved against the mapping's directory; a missing file is an error now."""
    if "://" in path and not path.startswith("file://"):
        raise SourceError(
            f"fairify reads local files only, not {path}",
            Location(file=path),
            hint="download the file and point the source at the local copy",
        )
    if path.startswith("file://"):
        path = path[len("file://") :]
    p = Path(path).expanduser()
    if not p.is_absolute():
        p = Path(base_dir) / p
    p = p.resolve()
    if not p.exists():
        raise SourceError(f"source file not found: {p}", Location(file=str(p)))
    if p.is_dir():
        raise SourceError(f"the source path is a directory, not a file: {p}", Location(file=str(p)))
    return p


def codec_name(declared: str, location: str) -> str:
    """A Python codec for a declared encoding: ``UTF-8``, ``latin-1`` or an IRI like ``rml:UTF-16``."""
    name = declared.rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise SourceError(
            f"unknown encoding {declared!r}", Location(file=location), hint="try UTF-8, cp1252 or latin-1"
        ) from None


def unique(references: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(references))


def missing_reference_error(
    reference: str,
    available: Sequence[str],
    *,
    location: str,
    what: str = "column",
    lookup: str | None = None,
) -> MappingError:
    """A MappingError for a reference the source lacks, with the nearest existing names as hint.

    ``lookup`` is the name to compare with (e.g. a delimited SQL identifier without its quotes).
    """
    names = [n for n in available if n != ""]
    key = reference if lookup is None else lookup
    folded = {n.strip().casefold(): n for n in names}
    close = []
    if key.strip().casefold() in folded and folded[key.strip().casefold()] != reference:
        close.append(folded[key.strip().casefold()])
    close += [n for n in difflib.get_close_matches(key, names, n=3, cutoff=0.6) if n not in close]
    if close:
        hint = "did you mean " + " or ".join(repr(n) for n in close[:3]) + "?"
    else:
        shown = ", ".join(repr(n) for n in names[:12]) + (", …" if len(names) > 12 else "")
        hint = f"the {what}s are: {shown}" if names else f"the source has no {what}s"
    return MappingError(
        f"the mapping uses {what} {reference!r}, which {location} does not have",
        Location(file=location, field=reference),
        hint=hint,
    )


def check_references(
    references: Sequence[str], available: Sequence[str], *, location: str, what: str = "column"
) -> None:
    have = set(available)
    for ref in references:
        if ref not in have:
            raise missing_reference_error(ref, available, location=location, what=what)


def check_duplicate_names(names: Sequence[str], *, location: str, what: str = "header") -> None:
    """Two columns of the same name make a reference ambiguous (R2RML forbids it too)."""
    seen: dict[str, int] = {}
    for i, name in enumerate(names, start=1):
        if name == "":
            continue  # unnamed columns cannot be referenced; exports often have several
        if name in seen:
            raise SourceError(
                f"the {what} has two columns named {name!r} (columns {seen[name]} and {i}); "
                "references to it would be ambiguous",
                Location(file=location, field=name),
            )
        seen[name] = i


# ---------------------------------------------------------------------------------------------
# Arrays


def row_numbers(start: int, count: int) -> pa.Array:
    # Zero-copy from the numpy buffer; pa.array(ndarray) would also ask pyarrow's pandas shim,
    # which imports pandas (~0.15 s) unless the CLI has already told it there is none.
    numbers = np.arange(start, start + count, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), count, [None, pa.py_buffer(numbers)])


def apply_nulls(arr: pa.Array, nulls: Sequence[str]) -> pa.Array:
    """Values declared as NULL (``rml:null``) become nulls (scalars) or disappear (lists)."""
    if not nulls or len(arr) == 0:
        return arr
    value_set = pa.array(list(nulls), pa.string())
    if pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type):
        flat = arr.flatten()
        keep = pc.invert(pc.is_in(flat, value_set=value_set))
        if pc.all(keep).as_py() is not False:
            return arr
        parents = pc.list_parent_indices(arr)
        return _regroup(pc.filter(flat, keep), pc.filter(parents, keep), arr)
    mask = pc.is_in(arr, value_set=value_set)
    if not pc.any(mask).as_py():
        return arr
    return pc.if_else(mask, pa.scalar(None, arr.type), arr)


def _regroup(values: pa.Array, parents: pa.Array, like: pa.Array) -> pa.Array:
    """Rebuild a list array of ``len(like)`` from flat values and their parent indices."""
    counts = np.bincount(parents.to_numpy(zero_copy_only=False), minlength=len(like))
    offsets = np.zeros(len(like) + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), values, mask=like.is_null())


def strings_column(values: list[str | None]) -> pa.Array:
    return pa.array(values, pa.string())


def datatype_column(values: list[str | None], datatypes: list[str | None]) -> str | pa.Array | None:
    """One IRI when every value has that datatype, nothing when none is typed, else an array."""
    kinds = {d for v, d in zip(values, datatypes, strict=True) if v is not None}
    if kinds == {None} or not kinds:
        return None
    if len(kinds) == 1:
        return kinds.pop()
    return pa.array(datatypes, pa.string())


def multi_valued_columns(
    values: list[list[str]], datatypes: list[list[str | None]]
) -> tuple[pa.Array, str | pa.Array | None]:
    """Columns for a reference that may give several values per record (JSONPath, XPath).

    A plain string column (0 values = null) unless some record has more than one value; then a
    ``list<string>`` column, with datatypes of the same shape.
    """
    if all(len(v) <= 1 for v in values):
        flat = [v[0] if v else None for v in values]
        flat_dt = [d[0] if d else None for d in datatypes]
        return strings_column(flat), datatype_column(flat, flat_dt)
    column = pa.array(values, STRING_LIST)
    kinds = {d for ds in datatypes for d in ds}
    if not kinds or kinds == {None}:
        return column, None
    if len(kinds) == 1:
        return column, kinds.pop()
    return column, pa.array(datatypes, STRING_LIST)
