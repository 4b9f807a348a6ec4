"""Typed source values to the lexical forms and natural RDF datatypes R2RML defines.

R2RML §10.2 maps SQL types to XSD datatypes (integers → xsd:integer, exact numerics →
xsd:decimal, floats → xsd:double, BOOLEAN, DATE, TIME, TIMESTAMP → xsd:dateTime, binary →
xsd:hexBinary) and recommends XSD canonical lexical forms; we always produce them, so that the same
value gives the same IRI whatever database or file it came from. Two entry points: ``to_lexical``
for one Python value (SQL, Excel: built row by row anyway) and ``arrow_to_lexical`` for whole Arrow
arrays (Parquet: vectorised, no Python loop per cell).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import uuid

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fairify.sources._common import (
    XSD_BOOLEAN,
    XSD_DATE,
    XSD_DATETIME,
    XSD_DECIMAL,
    XSD_DOUBLE,
    XSD_DURATION,
    XSD_HEXBINARY,
    XSD_INTEGER,
    XSD_TIME,
)

Lexical = tuple[str | None, str | None]  # (lexical form or None for no value, datatype IRI or None)

# ---------------------------------------------------------------------------------------------
# One value


def canonical_double(x: float) -> str:
    """XSD canonical xsd:double: one digit before the point, at least one after, ``E`` exponent."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "INF" if x > 0 else "-INF"
    if x == 0:
        return "-0.0E0" if math.copysign(1.0, x) < 0 else "0.0E0"
    sign, digits, exponent = decimal.Decimal(repr(x)).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    power = exponent + len(digits) - 1  # type: ignore[operator]
    return f"{'-' if sign else ''}{text[0]}.{text[1:] or '0'}E{power}"


def canonical_decimal(d: decimal.Decimal) -> str:
    """XSD canonical xsd:decimal: no exponent, no superfluous zeros, at least ``N.0``."""
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0")
        if text.endswith("."):
            text += "0"
    else:
        text += ".0"
    if text.startswith("-") and text.strip("-0.") == "":
        text = text[1:]
    return text


def _strip_fraction(text: str) -> str:
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def canonical_time(t: dt.time) -> str:
    text = _strip_fraction(t.replace(tzinfo=None).isoformat())
    if t.tzinfo is not None:
        offset = t.utcoffset()
        text += "Z" if not offset else t.isoformat()[-6:]
    return text


def canonical_datetime(value: dt.datetime) -> str:
    """``2011-08-23T22:17:00``; fractions without trailing zeros; aware values in UTC with ``Z``."""
    if value.tzinfo is not None and value.utcoffset() is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return _strip_fraction(value.isoformat()) + "Z"
    return _strip_fraction(value.replace(tzinfo=None).isoformat())


def iso_duration(td: dt.timedelta) -> str:
    total = td.total_seconds()
    sign = "-" if total < 0 else ""
    micro = abs(td // dt.timedelta(microseconds=1))
    days, rest = divmod(micro, 86_400_000_000)
    hours, rest = divmod(rest, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    seconds = _strip_fraction(f"{rest / 1_000_000:.6f}")
    out = f"{sign}P{days}D" if days else f"{sign}P"
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if seconds != "0" or not (days or clock):
        clock += f"{seconds}S"
    return out + ("T" + clock if clock else "")


def to_lexical(value: object) -> Lexical:
    """The natural RDF literal of a Python value a database driver (or openpyxl) returned."""
    if value is None:
        return None, None
    if isinstance(value, str):
        return value, None
    if isinstance(value, bool):
        return ("true" if value else "false"), XSD_BOOLEAN
    if isinstance(value, int):
        return str(value), XSD_INTEGER
    if isinstance(value, float):
        return canonical_double(value), XSD_DOUBLE
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            return str(value), None
        if value.as_tuple().exponent >= 0:  # type: ignore[operator]  # no scale: an integer
            return str(int(value)), XSD_INTEGER
        return canonical_decimal(value), XSD_DECIMAL
    if isinstance(value, dt.datetime):
        return canonical_datetime(value), XSD_DATETIME
    if isinstance(value, dt.date):
        return value.isoformat(), XSD_DATE
    if isinstance(value, dt.time):
        return canonical_time(value), XSD_TIME
    if isinstance(value, dt.timedelta):
        return iso_duration(value), XSD_DURATION
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex().upper(), XSD_HEXBINARY
    if isinstance(value, uuid.UUID):
        return str(value), None
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":")), None
    return str(value), None


# ---------------------------------------------------------------------------------------------
# Whole Arrow arrays (Parquet)

_NUMBER = r"^(?P<sign>-?)(?P<int>\d+)(?:\.(?P<frac>\d+))?(?:e\+?(?P<exp>-?\d+))?$"


def _doubles(arr: pa.Array) -> pa.Array:
    """Vectorised ``canonical_double``: rewrite Arrow's shortest round-trip text into XSD form."""
    text = pc.cast(arr, pa.string())
    parts = pc.extract_regex(pc.fill_null(text, "0"), _NUMBER)
    sign = pc.struct_field(parts, "sign")
    whole = pc.struct_field(parts, "int")
    digits = pc.binary_join_element_wise(whole, pc.struct_field(parts, "frac"), "")
    exp_text = pc.struct_field(parts, "exp")
    exponent = pc.cast(pc.if_else(pc.equal(exp_text, ""), "0", exp_text), pa.int64())
    stripped = pc.utf8_ltrim(digits, characters="0")
    leading = pc.subtract(pc.utf8_length(digits), pc.utf8_length(stripped))
    significant = pc.utf8_rtrim(stripped, characters="0")
    power = pc.subtract(pc.add(pc.subtract(pc.utf8_length(whole), 1), exponent), leading)
    first = pc.utf8_slice_codeunits(significant, 0, 1)
    rest = pc.utf8_slice_codeunits(significant, 1)
    rest = pc.if_else(pc.equal(rest, ""), "0", rest)
    body = pc.binary_join_element_wise(first, rest, ".")
    number = pc.binary_join_element_wise(sign, body, "E", pc.cast(power, pa.string()), "")
    zero = pc.binary_join_element_wise(sign, pa.scalar("0.0E0"), "")
    out = pc.if_else(pc.equal(significant, ""), zero, number)
    # Arrow writes specials as nan / inf / -inf (no match above: they come out empty).
    lowered = pc.utf8_lower(pc.fill_null(text, ""))
    out = pc.if_else(pc.equal(lowered, "nan"), "NaN", out)
    out = pc.if_else(pc.equal(lowered, "inf"), "INF", out)
    out = pc.if_else(pc.equal(lowered, "-inf"), "-INF", out)
    return pc.if_else(pc.is_null(arr), pa.scalar(None, pa.string()), out)


def _strip_fraction_zeros(text: pa.Array) -> pa.Array:
    """``22:17:00.120000`` → ``22:17:00.12``, ``22:17:00.000Z`` → ``22:17:00Z``."""
    text = pc.replace_substring_regex(text, r"(\.\d*?)0+(Z?)$", r"\1\2")
    return pc.replace_substring_regex(text, r"\.(Z?)$", r"\1")


def _decimals(arr: pa.Array) -> tuple[pa.Array, str]:
    scale = arr.type.scale
    if scale <= 0:
        return pc.cast(
            pc.cast(arr, pa.decimal128(38, 0) if scale == 0 else arr.type), pa.string()
        ), XSD_INTEGER
    text = pc.cast(arr, pa.string())
    text = pc.replace_substring_regex(text, r"(\.\d*?[1-9])0+$", r"\1")
    text = pc.replace_substring_regex(text, r"\.0+$", ".0")
    text = pc.replace_substring_regex(text, r"^-(0\.0)$", r"\1")
    return text, XSD_DECIMAL


def _hex(arr: pa.Array) -> pa.Array:
    """Binary → uppercase hex, via a byte lookup table over the data buffer."""
    if pa.types.is_fixed_size_binary(arr.type) or pa.types.is_binary_view(arr.type):
        arr = pc.cast(arr, pa.binary())
    large = pa.types.is_large_binary(arr.type)
    _, offsets_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int64 if large else np.int32)[
        arr.offset : arr.offset + len(arr) + 1
    ]
    start, end = int(offsets[0]), int(offsets[-1])
    data = (
        np.frombuffer(data_buf, dtype=np.uint8)[start:end] if data_buf is not None else np.empty(0, np.uint8)
    )
    table = np.frombuffer(b"".join(f"{i:02X}".encode() for i in range(256)), dtype=np.uint8).reshape(256, 2)
    hexed = table[data].reshape(-1)
    new_offsets = ((offsets - start) * 2).astype(np.int64)
    out = pa.LargeStringArray.from_buffers(
        len(arr), pa.py_buffer(new_offsets.tobytes()), pa.py_buffer(hexed.tobytes())
    )
    out = pc.if_else(arr.is_null(), pa.scalar(None, pa.large_string()), out)
    return pc.cast(out, pa.string())


def arrow_to_lexical(arr: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, str | None]:
    """A typed Arrow array as canonical lexical strings plus its natural datatype (None: plain)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    t = arr.type
    if pa.types.is_dictionary(t):
        return arrow_to_lexical(arr.dictionary_decode())
    if pa.types.is_null(t):
        return pa.nulls(len(arr), pa.string()), None
    if pa.types.is_string(t):
        return arr, None
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pc.cast(arr, pa.string()), None
    if pa.types.is_boolean(t):
        return pc.cast(arr, pa.string()), XSD_BOOLEAN
    if pa.types.is_integer(t):
        return pc.cast(arr, pa.string()), XSD_INTEGER
    if pa.types.is_floating(t):
        if pa.types.is_float16(t):
            arr = pc.cast(arr, pa.float32())
        return _doubles(arr), XSD_DOUBLE
    if pa.types.is_decimal(t):
        return _decimals(arr)
    if pa.types.is_date(t):
        return pc.cast(arr, pa.string()), XSD_DATE
    if pa.types.is_timestamp(t):
        if t.tz is not None:
            arr = pc.cast(arr, pa.timestamp(t.unit, "UTC"))
        text = pc.replace_substring(pc.cast(arr, pa.string()), " ", "T", max_replacements=1)
        return _strip_fraction_zeros(text), XSD_DATETIME
    if pa.types.is_time(t):
        return _strip_fraction_zeros(pc.cast(arr, pa.string())), XSD_TIME
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        return _hex(arr), XSD_HEXBINARY
    if pa.types.is_binary_view(t):
        return _hex(pc.cast(arr, pa.binary())), XSD_HEXBINARY
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        if not pa.types.is_list(t):
            arr = pc.cast(arr, pa.list_(t.value_type))
        values, datatype = arrow_to_lexical(arr.values)
        offsets = pc.subtract(arr.offsets, arr.offsets[0])
        rebuilt = pa.ListArray.from_arrays(offsets, values.slice(arr.offsets[0].as_py()), mask=arr.is_null())
        return rebuilt, datatype
    # Durations, structs, maps, …: rare in clinical tables; one Python conversion per value.
    lexical = [to_lexical(v) for v in arr.to_pylist()]
    kinds = {d for v, d in lexical if v is not None}
    datatype = kinds.pop() if len(kinds) == 1 else None
    return pa.array([v for v, _ in lexical], pa.string()), datatype
