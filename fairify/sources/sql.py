"""Relational sources (R2RML logical tables): a table or a query, streamed through SQLAlchemy.

Rows are fetched ``chunk_rows`` at a time from a server-side cursor where the driver has one.
Every value becomes its R2RML natural RDF literal: the canonical lexical form plus the natural
datatype (SQL NULL is no value, never ``"None"``). Drivers already return typed Python values
(``int``, ``Decimal``, ``datetime`` …), which fixes the datatype, except that an exact numeric
comes back as a ``Decimal`` whatever its scale: the driver's column type code says NUMERIC/DECIMAL
(always xsd:decimal). SQLite is dynamically typed and returns dates as text, so there the declared
column types (``PRAGMA table_info``, through a temporary view for queries) decide, falling back to
the value's own type.

Column references follow R2RML's SQL identifiers: ``"Name"`` is matched exactly, ``Name`` as the
database folds it (PostgreSQL: ``name``; SQLite and MySQL: any case).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import re
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from fairify.errors import Location, SourceError
from fairify.mapping.model import LogicalSource
from fairify.sources._common import (
    XSD_BOOLEAN,
    XSD_DATE,
    XSD_DATETIME,
    XSD_DECIMAL,
    XSD_DOUBLE,
    XSD_INTEGER,
    XSD_TIME,
    Chunk,
    ReaderBase,
    apply_nulls,
    datatype_column,
    missing_reference_error,
    strings_column,
    unique,
)
from fairify.sources._lexical import (
    Lexical,
    canonical_datetime,
    canonical_decimal,
    canonical_double,
    canonical_time,
    to_lexical,
)

_REGULAR_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
_SQLITE_DATETIME = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)?")
_TABLE_PART = re.compile(r'"((?:[^"]|"")+)"|([^."]+)')


class SqlReader(ReaderBase):
    def __init__(
        self,
        source: LogicalSource,
        references: Sequence[str],
        *,
        base_dir: Path,
        database: str | None,
        chunk_rows: int,
    ):
        from sqlalchemy import create_engine, exc
        from sqlalchemy.engine import make_url

        self._refs = unique(references)
        self._chunk_rows = chunk_rows
        self._nulls = set(source.nulls)
        self._engine: Any = None
        self._conn: Any = None
        self._result: Any = None
        url_text = source.database or database
        if not url_text:
            raise SourceError(
                f"the SQL source ({source.describe()}) names no database",
                hint="give a database URL, e.g. --database sqlite:///clinic.db",
            )
        try:
            url = make_url(url_text)
        except exc.ArgumentError as e:
            raise SourceError(f"not a database URL: {e}") from None
        url = _resolve_sqlite(url, Path(base_dir))
        self.location = url.render_as_string(hide_password=True)
        if source.query:
            query = source.query.strip().rstrip(";").strip()
            self.what = "the query"
        elif source.table:
            self.what = f"table {source.table}"
        else:
            raise SourceError("the SQL source has neither a table nor a query", Location(file=self.location))
        try:
            self._engine = create_engine(url)
            self._conn = self._engine.connect()
        except (exc.NoSuchModuleError, ImportError) as e:
            raise SourceError(
                f"no driver for {url.drivername}: {e}",
                Location(file=self.location),
                hint="install it, e.g. pip install 'fairify[postgres]'",
            ) from None
        except exc.ArgumentError as e:
            raise SourceError(
                f"invalid database URL: {_first_line(e)}", Location(file=self.location)
            ) from None
        except exc.DBAPIError as e:
            self.close()
            raise SourceError(f"cannot connect: {_first_line(e)}", Location(file=self.location)) from None
        try:
            if source.table:
                query = "SELECT * FROM " + quote_table(source.table, self._engine.dialect)
            self._sqlite = self._engine.dialect.name == "sqlite"
            self._declared = _sqlite_declared_types(self._conn, query) if self._sqlite else {}
            try:
                self._result = self._conn.execution_options(stream_results=True).exec_driver_sql(query)
            except exc.DBAPIError as e:
                raise self._query_error(e, source) from None
            except exc.StatementError as e:  # pragma: no cover - statement preparation problems
                raise SourceError(
                    f"{self.what} failed: {_first_line(e)}", Location(file=self.location)
                ) from None
            self.columns = [str(k) for k in self._result.keys()]  # noqa: SIM118 (a Result, not a dict)
            seen: set[str] = set()
            for name in self.columns:
                if name in seen:
                    raise SourceError(
                        f"{self.what} returns two columns named {name!r}; give them distinct names with AS",
                        Location(file=self.location, field=name),
                    )
                seen.add(name)
            fold = _folding(self._engine.dialect.name)
            self._positions = []
            for ref in self._refs:
                position = resolve_column(ref, self.columns, fold)
                if position is None:
                    error = missing_reference_error(
                        ref, self.columns, location=f"{self.location} ({self.what})", lookup=_unquote(ref)
                    )
                    error.hint = _folding_hint(ref, self.columns, fold) or error.hint
                    raise error
                self._positions.append(position)
        except BaseException:
            self.close()
            raise

    def _query_error(self, e: Any, source: LogicalSource) -> SourceError:
        hint = None
        if source.table:
            try:
                from difflib import get_close_matches

                from sqlalchemy import inspect

                self._conn.rollback()
                names = inspect(self._conn).get_table_names()
                close = get_close_matches(source.table.strip('"'), names, n=3, cutoff=0.5)
                if close:
                    hint = "did you mean " + " or ".join(repr(n) for n in close) + "?"
                elif names:
                    hint = "the tables are: " + ", ".join(names[:12])
            except Exception:  # a hint is a nicety; the error below is what matters
                hint = None
        return SourceError(f"{self.what} failed: {_first_line(e)}", Location(file=self.location), hint=hint)

    def __iter__(self) -> Iterator[Chunk]:
        from sqlalchemy import exc

        if self._result is None:
            return
        if self._sqlite:
            kinds = [_sqlite_kind(self._declared.get(self.columns[p], "")) for p in self._positions]
        else:
            kinds = _driver_kinds(self._result, self._engine.dialect.name, self._positions)
        next_row = 1
        try:
            while True:
                try:
                    records = self._result.fetchmany(self._chunk_rows)
                except exc.DBAPIError as e:
                    raise SourceError(
                        f"reading {self.what} failed: {_first_line(e)}",
                        Location(file=self.location, row=next_row),
                    ) from None
                if not records:
                    return
                columns: dict[str, pa.Array] = {}
                datatypes: dict[str, str | pa.Array] = {}
                for ref, pos, kind in zip(self._refs, self._positions, kinds, strict=True):
                    columns[ref], datatype = _column([rec[pos] for rec in records], kind, self._nulls)
                    if datatype is not None:
                        datatypes[ref] = datatype
                n = len(records)
                rows = pa.array(range(next_row, next_row + n), pa.int64())
                yield Chunk(columns=columns, datatypes=datatypes, rows=rows)
                next_row += n
        finally:
            self.close()

    def close(self) -> None:
        for thing, action in ((self._result, "close"), (self._conn, "close"), (self._engine, "dispose")):
            if thing is not None:
                with contextlib.suppress(Exception):  # best effort: the error that got us here matters more
                    getattr(thing, action)()
        self._result = self._conn = self._engine = None


# ---------------------------------------------------------------------------------------------


def quote_table(table: str, dialect: Any) -> str:
    """An R2RML table name as SQL: ``"Name"`` parts keep their case, plain parts fold as the DB does.

    A schema-qualified name (``clinic."Patients"``) is split on dots outside quotes. Plain parts
    that are not regular identifiers (spaces, dashes) are quoted rather than rejected.
    """
    quote = dialect.identifier_preparer.quote_identifier
    parts = []
    for delimited, plain in _TABLE_PART.findall(table):
        if delimited:
            parts.append(quote(delimited.replace('""', '"')))
        elif plain.strip():
            name = plain.strip()
            parts.append(name if _REGULAR_IDENTIFIER.match(name) else quote(name))
    return ".".join(parts)


def _unquote(ref: str) -> str:
    if len(ref) >= 2 and ref[0] == ref[-1] == '"':
        return ref[1:-1].replace('""', '"')
    return ref


def _folding(dialect: str) -> str:
    """How the database matches an undelimited identifier to a column name."""
    if dialect in ("sqlite", "mysql", "mariadb", "mssql"):
        return "insensitive"
    if dialect in ("postgresql", "redshift", "duckdb"):
        return "lower"
    return "upper"  # the SQL standard (Oracle, H2, DB2, …)


def resolve_column(ref: str, columns: Sequence[str], fold: str) -> int | None:
    """The result column a reference names, by R2RML's SQL identifier rules.

    ``"Name"`` (delimited) is matched exactly. An undelimited name is folded as the database folds
    it (``fold``: ``lower`` for PostgreSQL, ``upper`` for standard SQL) and then matched exactly,
    so ``Name`` does not find a column created as ``"Name"`` there; where identifiers are
    case-insensitive (``insensitive``: SQLite, MySQL) it matches whatever the case.
    """
    if len(ref) >= 2 and ref[0] == ref[-1] == '"':
        name = _unquote(ref)
        return columns.index(name) if name in columns else None
    if fold == "insensitive":
        if ref in columns:
            return columns.index(ref)
        matches = [i for i, c in enumerate(columns) if c.casefold() == ref.casefold()]
        return matches[0] if len(matches) == 1 else None
    folded = ref.lower() if fold == "lower" else ref.upper()
    return columns.index(folded) if folded in columns else None


def _folding_hint(ref: str, columns: Sequence[str], fold: str) -> str | None:
    """When an undelimited name misses a column only by case: say how to delimit it."""
    if ref.startswith('"') or fold == "insensitive":
        return None
    same = [c for c in columns if c.casefold() == ref.casefold()]
    if not same:
        return None
    how = "lower" if fold == "lower" else "upper"
    quoted = '"' + same[0].replace('"', '""') + '"'
    return (
        f"undelimited names fold to {how} case ({ref} means {ref.lower() if how == 'lower' else ref.upper()}); "
        f"write the delimited identifier {quoted} to use the column {same[0]}"
    )


def _resolve_sqlite(url: Any, base_dir: Path) -> Any:
    """A relative SQLite file is relative to the mapping; a missing one is an error, not a new DB."""
    if url.get_backend_name() != "sqlite":
        return url
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return url
    path = Path(database).expanduser()
    if not path.is_absolute():
        path = (base_dir / path).resolve()
    if not path.exists():
        raise SourceError(f"database file not found: {path}", Location(file=str(path)))
    return url.set(database=str(path))


def _first_line(e: BaseException) -> str:
    orig = getattr(e, "orig", None)
    text = str(orig if orig is not None else e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _sqlite_declared_types(conn: Any, query: str) -> dict[str, str]:
    """Declared types of a query's columns: SQLite reports them for a view over the query."""
    name = "_fairify_types_" + uuid.uuid4().hex
    try:
        conn.exec_driver_sql(f'CREATE TEMP VIEW "{name}" AS {query}')
        info = conn.exec_driver_sql(f'PRAGMA temp.table_info("{name}")').fetchall()
        return {str(row[1]): str(row[2] or "") for row in info}
    except Exception:  # the real query reports any problem with itself
        return {}
    finally:
        with contextlib.suppress(Exception):
            conn.exec_driver_sql(f'DROP VIEW IF EXISTS temp."{name}"')
        with contextlib.suppress(Exception):
            conn.rollback()


# Exact numeric columns as the drivers report them in ``cursor.description`` (type codes): their
# values come back as ``Decimal`` whatever the scale, and R2RML maps NUMERIC/DECIMAL to xsd:decimal
# even for a value without fraction digits. Other types are told apart by the Python value.
_EXACT_NUMERIC_TYPE_CODES = {
    "postgresql": {1700},  # numeric
    "mysql": {0, 246},  # DECIMAL, NEWDECIMAL
    "mariadb": {0, 246},
}


def _driver_kinds(result: Any, dialect: str, positions: Sequence[int]) -> list[tuple[str, int] | None]:
    codes = _EXACT_NUMERIC_TYPE_CODES.get(dialect)
    description = getattr(getattr(result, "cursor", None), "description", None)
    if not codes or not description:
        return [None] * len(positions)
    return [("decimal", 1) if description[p][1] in codes else None for p in positions]


def _sqlite_kind(declared: str) -> tuple[str, int] | None:
    """The SQL type a declared SQLite type names (following SQLite's own affinity rules)."""
    d = declared.upper()
    if not d:
        return None
    scale_match = re.search(r"\(\s*\d+\s*,\s*(\d+)\s*\)", d)
    scale = int(scale_match.group(1)) if scale_match else 0
    if "INT" in d:
        return "integer", 0
    if any(k in d for k in ("CHAR", "CLOB", "TEXT")):
        return "string", 0
    if "BLOB" in d or "BINARY" in d:
        return "binary", 0
    if any(k in d for k in ("REAL", "FLOA", "DOUB")):
        return "double", 0
    if "BOOL" in d or d == "BIT" or re.fullmatch(r"BIT\s*\(\s*1\s*\)", d):
        return "boolean", 0
    if "TIMESTAMP" in d or "DATETIME" in d:
        return "datetime", 0
    if "DATE" in d:
        return "date", 0
    if "TIME" in d:
        return "time", 0
    if "DEC" in d or "NUMERIC" in d:
        return "decimal", scale
    if "NUMBER" in d:  # Oracle's NUMBER(p): an integer type when it has no scale
        return "number", scale
    return None


def _column(
    raw: list[Any], kind: tuple[str, int] | None, nulls: set[str]
) -> tuple[pa.Array, str | pa.Array | None]:
    """One column of fetched values as lexical forms and their datatype(s), as ``_convert`` gives
    them value by value.

    The common cases skip the per-value call: text in a text (or undeclared) column is its own
    lexical form, integers in an integer column are ``str(int)`` with xsd:integer. A column of
    only ``str`` or only ``int`` otherwise converts each distinct value once (equal values of one
    of these types are the same value, so the result is the same); anything else goes value by
    value.
    """
    types = set(map(type, raw))
    types.discard(type(None))
    name = kind[0] if kind else None
    fast: pa.Array | None = None
    if types <= {str} and name in (None, "string"):
        fast, datatype = pa.array(raw, pa.string()), None
    elif types == {int} and name in (None, "integer"):
        try:
            fast = pa.array(raw, pa.int64()).cast(pa.string())
        except (OverflowError, pa.ArrowException):  # beyond 64 bits: Python's own text
            fast = pa.array([None if v is None else str(v) for v in raw], pa.string())
        datatype = XSD_INTEGER
    if fast is not None:
        if nulls:
            fast = apply_nulls(fast, list(nulls))
        return fast, (datatype if fast.null_count < len(fast) else None)
    if types in ({str}, {int}):
        cache = {v: _convert(v, kind) for v in set(raw)}
        lexical = [cache[v] for v in raw]
    else:
        lexical = [_convert(v, kind) for v in raw]
    values = [None if v is not None and v in nulls else v for v, _ in lexical]
    return strings_column(values), datatype_column(values, [t for _, t in lexical])


def _convert(value: Any, kind: tuple[str, int] | None) -> Lexical:
    """A value's natural RDF literal, guided by the declared SQLite type when there is one."""
    if value is None or kind is None:
        return to_lexical(value)
    name, scale = kind
    try:
        if name == "integer" and isinstance(value, float) and value.is_integer():
            return str(int(value)), XSD_INTEGER
        if name == "double" and isinstance(value, int | float) and not isinstance(value, bool):
            return canonical_double(float(value)), XSD_DOUBLE
        numeric = int | float | str | decimal.Decimal
        if name in ("decimal", "number") and isinstance(value, numeric) and not isinstance(value, bool):
            number = decimal.Decimal(repr(value) if isinstance(value, float) else str(value).strip())
            if not number.is_finite():
                return str(value), None
            integral = number == number.to_integral_value() and not isinstance(value, float)
            if name == "number" and scale == 0 and integral:
                return str(int(number)), XSD_INTEGER
            return canonical_decimal(number), XSD_DECIMAL
        if name == "boolean":
            if isinstance(value, int) and value in (0, 1):
                return ("true" if value else "false"), XSD_BOOLEAN
            if isinstance(value, str) and value.strip().lower() in ("true", "false"):
                return value.strip().lower(), XSD_BOOLEAN
        if isinstance(value, str):
            text = value.strip()
            if name == "date" and re.fullmatch(r"-?\d{4,}-\d\d-\d\d", text):
                dt.date.fromisoformat(text)
                return text, XSD_DATE
            if name == "datetime" and _SQLITE_DATETIME.fullmatch(text):
                parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
                return canonical_datetime(parsed), XSD_DATETIME
            if name == "time" and re.fullmatch(r"\d\d:\d\d(:\d\d(\.\d+)?)?", text):
                return canonical_time(dt.time.fromisoformat(text)), XSD_TIME
            if name == "integer" and re.fullmatch(r"[+-]?\d+", text):
                return str(int(text)), XSD_INTEGER
            if name == "double" and re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
                return canonical_double(float(text)), XSD_DOUBLE
            return value, None
    except (ValueError, decimal.InvalidOperation):
        return (value if isinstance(value, str) else to_lexical(value)[0]), None
    return to_lexical(value)
