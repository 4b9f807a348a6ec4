"""Lexical checks for the XSD datatypes clinical mappings use, a column at a time.

A literal whose value does not fit its declared datatype (age "abc", date "31/02/2019") is a
data error that names the row; these checks find such values without a per-cell loop.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

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
    ok = pc.match_substring_regex(values, pattern)
    if local in ("date", "dateTime"):
        ok = pc.and_(ok, _real_calendar_date(values))
    return pc.fill_null(pc.invert(ok), False)


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
