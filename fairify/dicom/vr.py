"""Value representations: raw element bytes -> the lexical form of an RDF literal, typed by VR.

Decoding the raw bytes here instead of through pydicom's value classes is what keeps a header
cheap (a CT header has ~150 elements): text is split and stripped, binary numbers are unpacked
with ``struct``, and each value is checked against the lexical space of its XSD datatype. A value
that does not fit raises ``BadValue``; the caller keeps it as a flagged raw value and reports it.

    DA -> xsd:date        TM -> xsd:time        DT -> xsd:dateTime (xsd:gYear / gYearMonth if partial)
    AS -> xsd:duration    DS -> xsd:decimal, xsd:double when it has an exponent
    IS US SS UL SL UV SV -> xsd:integer         FL -> xsd:float    FD -> xsd:double
    UI -> urn:oid: IRI    AT -> the attribute's predicate IRI     other text -> plain string
"""

from __future__ import annotations

import json
import math
import re
import struct
from datetime import date
from typing import NamedTuple

from pydicom.charset import decode_bytes

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_DATE = XSD + "date"
XSD_TIME = XSD + "time"
XSD_DATETIME = XSD + "dateTime"
XSD_GYEAR = XSD + "gYear"
XSD_GYEARMONTH = XSD + "gYearMonth"
XSD_DURATION = XSD + "duration"
XSD_DECIMAL = XSD + "decimal"
XSD_DOUBLE = XSD + "double"
XSD_FLOAT = XSD + "float"
XSD_INTEGER = XSD + "integer"
RDF_JSON = "http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON"

TEXT_VRS = frozenset(
    {"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "SH", "ST", "TM", "UC", "UI", "UR", "UT", "PN"}
)
SINGLE_VALUED = frozenset({"LT", "ST", "UT", "UR"})  # backslash is text here, not a separator
CHARSET_VRS = frozenset({"LO", "LT", "PN", "SH", "ST", "UC", "UT"})
BINARY_NUMBERS = {"US": "H", "SS": "h", "UL": "I", "SL": "i", "FL": "f", "FD": "d", "UV": "Q", "SV": "q"}
DEFAULT_ENCODINGS = ("iso8859",)
_PLAIN_CODECS = {"iso8859", "latin_1", "iso_ir_100", "utf_8", "ascii"}


class BadValue(ValueError):
    """A value outside its VR's (and datatype's) lexical space."""


def texts(value: bytes, vr: str, encodings: tuple[str, ...] | list[str]) -> list[str]:
    """The values of a text element: decoded, split on backslash (where the VR allows), stripped."""
    if vr in CHARSET_VRS and not value.isascii():
        if len(encodings) == 1 and encodings[0] in _PLAIN_CODECS:
            text = value.decode(encodings[0], errors="replace")
        else:
            text = decode_bytes(value, list(encodings), {"\\", "^", "="} if vr == "PN" else {"\\"})
    else:
        text = value.decode("ascii", errors="replace")
    if vr == "UI":
        text = text.replace("\x00", "")
    if vr in SINGLE_VALUED:
        return [text.rstrip(" \x00")]
    return [v.strip(" \x00") for v in text.split("\\")]


def numbers(value: bytes, vr: str, little_endian: bool) -> list[int | float]:
    code = BINARY_NUMBERS[vr]
    size = struct.calcsize(code)
    n = len(value) // size
    if n * size != len(value):
        raise BadValue(f"{len(value)} bytes is not a whole number of {vr} values")
    return list(struct.unpack(("<" if little_endian else ">") + code * n, value))


def tags(value: bytes, little_endian: bool) -> list[int]:
    n = len(value) // 4
    halves = struct.unpack(("<" if little_endian else ">") + "H" * (2 * n), value[: 4 * n])
    return [(halves[i] << 16) | halves[i + 1] for i in range(0, 2 * n, 2)]


# ---------------------------------------------------------------------------------------------
# Lexical forms


_DA = re.compile(r"^(\d{4})\.?(\d{2})\.?(\d{2})$")
_TM = re.compile(r"^(\d{2})(?::?(\d{2})(?::?(\d{2})(\.\d{1,6})?)?)?$")
_DT = re.compile(r"^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\.\d{1,6})?([+-]\d{4})?$")
_AS = re.compile(r"^(\d{3})([DWMY])$")
_DS = re.compile(r"^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$")
_IS = re.compile(r"^[+-]?\d+$")
_UID = re.compile(r"^(?:0|[1-9]\d*)(?:\.(?:0|[1-9]\d*))*$")


def iso_date(text: str) -> str:
    m = _DA.match(text)
    if not m:
        raise BadValue("not a DA date (YYYYMMDD)")
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        raise BadValue("not a date that exists") from None


def iso_time(text: str) -> str:
    m = _TM.match(text)
    if not m:
        raise BadValue("not a TM time (HHMMSS.FFFFFF)")
    hh, mm, ss, frac = m.group(1), m.group(2) or "00", m.group(3) or "00", m.group(4) or ""
    if int(hh) > 23 or int(mm) > 59 or int(ss) > 59:
        raise BadValue("not a time that exists")
    return f"{hh}:{mm}:{ss}{frac}"


def iso_datetime(text: str) -> tuple[str, str]:
    """(lexical, datatype): a whole date gives xsd:dateTime; a year or year-month the g-types."""
    m = _DT.match(text)
    if not m:
        raise BadValue("not a DT date-time (YYYYMMDDHHMMSS.FFFFFF&ZZXX)")
    y, mo, d, hh, mi, ss, frac, tz = m.groups()
    if mo is None:
        return y, XSD_GYEAR
    if not 1 <= int(mo) <= 12:
        raise BadValue("not a month that exists")
    if d is None:
        return f"{y}-{mo}", XSD_GYEARMONTH
    day = iso_date(y + mo + d)
    clock = iso_time((hh or "00") + (mi or "00") + (ss or "00") + (frac or ""))
    zone = f"{tz[:3]}:{tz[3:]}" if tz else ""
    return f"{day}T{clock}{zone}", XSD_DATETIME


def duration(text: str) -> str:
    m = _AS.match(text)
    if not m:
        raise BadValue("not an AS age (nnnD, nnnW, nnnM or nnnY)")
    n, unit = int(m.group(1)), m.group(2)
    return f"P{n * 7}D" if unit == "W" else f"P{n}{unit}"


def decimal_string(text: str) -> tuple[str, str]:
    m = _DS.match(text)
    if not m or not (m.group(2) or m.group(3)):
        raise BadValue("not a DS decimal number")
    return (text, XSD_DOUBLE) if m.group(4) is not None else (text, XSD_DECIMAL)


def integer_string(text: str) -> str:
    if not _IS.match(text):
        raise BadValue("not an IS integer")
    return text


def float_lexical(v: float, single: bool) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "INF" if v > 0 else "-INF"
    return f"{v:.9g}" if single else repr(v)


def is_uid(text: str) -> bool:
    return len(text) <= 64 and _UID.match(text) is not None


def json_number(text: str, vr: str) -> str:
    """A DS/IS lexical form as a JSON number with the same value (``+.5`` -> ``0.5``)."""
    if vr == "IS":
        return str(int(integer_string(text)))
    decimal_string(text)
    m = _DS.match(text)
    assert m
    sign, whole, frac, exp = m.groups()
    out = ("-" if sign == "-" else "") + (whole.lstrip("0") or "0")
    if frac:
        out += "." + frac
    if exp is not None:
        out += "e" + exp
    return out


def json_array(items: list[object]) -> str:
    """Values in order, as one compact JSON text (numbers pre-formatted are passed as ``_Raw``)."""
    return (
        "["
        + ",".join(i.text if isinstance(i, RawJson) else json.dumps(i, ensure_ascii=False) for i in items)
        + "]"
    )


class RawJson:
    """A JSON number already in JSON syntax (kept as written, not re-rounded by float())."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


# ---------------------------------------------------------------------------------------------
# Sequences, parsed from their raw bytes without building pydicom Datasets


_ITEM, _ITEM_END, _SEQ_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
_LONG_VRS = frozenset(
    {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
)
UNDEFINED = 0xFFFFFFFF


class Element(NamedTuple):
    """A raw element: its value is bytes, or None when deferred (larger than worth reading).

    The first four fields are where pydicom's RawDataElement has them, so either reads the same.
    """

    tag: int
    VR: str | None
    length: int
    value: bytes | None
    is_little_endian: bool
    value_tell: int


_new = tuple.__new__  # builds an Element without NamedTuple's Python-level __new__


def parse_items(
    data: bytes, implicit: bool, little: bool, vr_of: object, start: int = 0, end: int | None = None
) -> list[list[Element]]:
    """The items of a sequence value: each a list of its raw elements, in order.

    ``vr_of(tag)`` gives the dictionary VR (implicit VR data says nothing else); a sequence inside
    an item is kept as one element whose value is its bytes, parsed when it is visited.
    """
    items, _ = _items(memoryview(data), start, len(data) if end is None else end, implicit, little, vr_of)
    return items


def _items(
    buf: memoryview, pos: int, end: int, implicit: bool, little: bool, vr_of: object
) -> tuple[list, int]:
    e = "<" if little else ">"
    items: list[list[Element]] = []
    while pos + 8 <= end:
        group, elem, length = struct.unpack_from(e + "HHI", buf, pos)
        tag = (group << 16) | elem
        pos += 8
        if tag == _SEQ_END:
            return items, pos
        if tag != _ITEM:
            raise BadValue(f"expected an item in the sequence, found ({group:04X},{elem:04X})")
        stop = end if length == UNDEFINED else pos + length
        if stop > end:
            raise BadValue("an item runs past the end of its sequence")
        elements, pos = _elements(buf, pos, stop, implicit, little, vr_of, length == UNDEFINED)
        items.append(elements)
    return items, pos


def _elements(
    buf: memoryview, pos: int, end: int, implicit: bool, little: bool, vr_of: object, delimited: bool
) -> tuple[list[Element], int]:
    e = "<" if little else ">"
    out: list[Element] = []
    while pos + 8 <= end:
        group, elem = struct.unpack_from(e + "HH", buf, pos)
        tag = (group << 16) | elem
        if tag == _ITEM_END:
            return out, pos + 8
        if implicit:
            (length,) = struct.unpack_from(e + "I", buf, pos + 4)
            vr = None
            pos += 8
        else:
            vr_bytes = bytes(buf[pos + 4 : pos + 6])
            vr = vr_bytes.decode("ascii", "replace")
            if vr_bytes in _LONG_VRS:
                (length,) = struct.unpack_from(e + "I", buf, pos + 8)
                pos += 12
            else:
                (length,) = struct.unpack_from(e + "H", buf, pos + 6)
                pos += 8
        if length == UNDEFINED:
            # a nested sequence (or encapsulated data) of undefined length: find its end
            is_sq = vr == "SQ" or (vr in (None, "UN") and vr_of(tag) == "SQ")  # type: ignore[operator]
            if not is_sq:
                raise BadValue(f"undefined length in ({group:04X},{elem:04X})")
            _, after = _items(buf, pos, end, implicit, little, vr_of)
            out.append(_new(Element, (tag, "SQ", UNDEFINED, bytes(buf[pos:after]), little, pos)))
            pos = after
            continue
        if pos + length > end:
            raise BadValue(f"({group:04X},{elem:04X}) runs past the end of its item")
        out.append(_new(Element, (tag, vr, length, bytes(buf[pos : pos + length]), little, pos)))
        pos += length
    if delimited:
        raise BadValue("an item of undefined length has no delimiter")
    return out, pos
