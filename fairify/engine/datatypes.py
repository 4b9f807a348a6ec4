"""Lexical checks for the XSD datatypes clinical mappings use, a column at a time.

A literal whose value does not fit its declared datatype (age "abc", date "31/02/2019") is a
data error that names the row; these checks find such values without a per-cell loop.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fairify.engine.columns import string_bytes
from fairify.mapping.model import XSD

_INT = r"^[+-]?[0-9]+$"
_DEC = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$"
_DOUBLE = r"^([+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?INF|NaN)$"
_BOOL = r"^(true|false|1|0)$"
_DATE = r"^-?[0-9]{4,}-[0-9]{2}-[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})?$"
_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?$|^24:00:00(\.0+)?$"
_DATETIME = (
    r"^-?[0-9]{4,}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?$"
)
_GYEAR = r"^-?[0-9]{4,}(Z|[+-][0-9]{2}:[0-9]{2})?$"
_DURATION = (
    r"^-?P(?:[0-9]+Y)?(?:[0-9]+M)?(?:[0-9]+D)?(?:T(?:[0-9]+H)?(?:[0-9]+M)?(?:[0-9]+(?:\.[0-9]+)?S)?)?$"
)
_HEX = r"^([0-9A-Fa-f]{2})*$"

_PATTERNS = {
    "integer": _INT,
    "int": _INT,
    "long": _INT,
    "short": _INT,
    "byte": _INT,
    "nonNegativeInteger": r"^\+?[0-9]+$|^-0+$",
    "positiveInteger": r"^\+?0*[1-9][0-9]*$",
    "nonPositiveInteger": r"^-[0-9]+$|^[+]?0+$",
    "negativeInteger": r"^-0*[1-9][0-9]*$",
    "unsignedInt": r"^\+?[0-9]+$",
    "unsignedLong": r"^\+?[0-9]+$",
    "decimal": _DEC,
    "double": _DOUBLE,
    "float": _DOUBLE,
    "boolean": _BOOL,
    "date": _DATE,
    "time": _TIME,
    "dateTime": _DATETIME,
    "gYear": _GYEAR,
    "duration": _DURATION,
    "hexBinary": _HEX,
}


# Datatypes for which a non-empty run of ASCII digits is always a valid lexical form.
_DIGITS_ONLY_VALID = frozenset(
    {
        *("integer", "int", "long", "short", "byte", "decimal", "double", "float"),
        *("nonNegativeInteger", "unsignedInt", "unsignedLong"),
    }
)
_DIGITS = b"0123456789"
_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)


def describe(datatype: str) -> str:
    return "xsd:" + datatype[len(XSD) :] if datatype.startswith(XSD) else f"<{datatype}>"


def invalid_mask(values: pa.Array, datatype: str) -> pa.Array | None:
    """True where a non-null value is not a valid lexical form of ``datatype``; None if unchecked."""
    if not datatype.startswith(XSD):
        return None
    local = datatype[len(XSD) :]
    pattern = _PATTERNS.get(local)
    if pattern is None:
        return None
    if _surely_valid(values, local):
        return pa.repeat(False, len(values))
    ok = pc.match_substring_regex(values, pattern)
    if local in ("date", "dateTime"):
        ok = pc.and_(ok, _real_calendar_date(values))
    return pc.fill_null(pc.invert(ok), False)


def _surely_valid(values: pa.Array, local: str) -> bool:
    """A cheap proof that every value is valid, for the clean columns most exports have.

    Looks at the column's bytes at once: digits only (integers, decimals) or fixed-width
    ``YYYY-MM-DD`` dates of real calendar days. ``False`` means "not proven": check properly.
    """
    if local not in _DIGITS_ONLY_VALID and local != "date":
        return False
    if values.null_count:
        values = values.drop_null()
    view = string_bytes(values)
    if view is None:
        return False
    data, offsets = view
    n = len(offsets) - 1
    if n == 0:
        return True
    if local == "date":
        return _plain_dates_valid(data, n)
    return bool(np.diff(offsets).min() > 0) and not data.translate(None, _DIGITS)


def _plain_dates_valid(data: bytes, n: int) -> bool:
    """``n`` values of exactly ten bytes: all ``YYYY-MM-DD`` with year 0001-9999 and a real day?"""
    if len(data) != 10 * n:
        return False
    b = np.frombuffer(data, dtype=np.uint8).reshape(n, 10)
    if not ((b[:, 4] == 0x2D).all() and (b[:, 7] == 0x2D).all()):
        return False
    d = b[:, [0, 1, 2, 3, 5, 6, 8, 9]].astype(np.int32) - 0x30
    if not ((d >= 0) & (d <= 9)).all():
        return False
    year = d[:, 0] * 1000 + d[:, 1] * 100 + d[:, 2] * 10 + d[:, 3]
    month = d[:, 4] * 10 + d[:, 5]
    day = d[:, 6] * 10 + d[:, 7]
    if not ((year >= 1).all() and (month >= 1).all() and (month <= 12).all() and (day >= 1).all()):
        return False
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    last = _DAYS_IN_MONTH[month - 1] + ((month == 2) & leap)
    return bool((day <= last).all())


def strict_strptime(values: pa.Array, fmt: str) -> pa.Array:
    """``strptime`` that refuses dates it would roll over (Arrow reads 2019-02-31 as 2019-03-03).

    A parsed value counts only if formatting it back gives the input, up to leading zeros.
    """
    parsed = pc.strptime(values, fmt, "s", error_is_null=True)
    back = pc.strftime(parsed, fmt)
    same = pc.equal(_strip_zeros(back), _strip_zeros(pc.utf8_trim_whitespace(values)))
    return pc.if_else(pc.fill_null(same, False), parsed, pa.scalar(None, parsed.type))


def _strip_zeros(values: pa.Array) -> pa.Array:
    return pc.utf8_lower(pc.replace_substring_regex(values, r"\b0+([0-9])", r"\1"))


def _real_calendar_date(values: pa.Array) -> pa.Array:
    """The regex accepts 2019-02-31; a strict parse of the date part rejects it."""
    head = pc.utf8_slice_codeunits(values, 0, 10)
    looks = pc.match_substring_regex(head, r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
    parsed = strict_strptime(pc.if_else(looks, head, pa.scalar(None, pa.string())), "%Y-%m-%d")
    # Years outside 0000-9999 are not checked here.
    return pc.or_(pc.invert(pc.fill_null(looks, False)), pc.is_valid(parsed))
