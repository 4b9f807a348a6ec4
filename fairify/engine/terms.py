"""Build RDF terms, serialised as N-Triples, a whole column at a time.

Values that need work (percent-encoding, escaping, blank node labels) are found with one regex
pass over the column; only those few go through Python. Everything else stays in Arrow. Before
the regex, one byte-level look at the whole column settles the usual clean case (no character
that needs escaping or encoding anywhere) at memory speed.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fairify.engine.columns import string_bytes

# RFC 3987 iunreserved: ALPHA / DIGIT / "-" / "." / "_" / "~" / ucschar. Everything else is
# percent-encoded by rml:IRI templates; rml:URI keeps only the ASCII unreserved characters.
_UCS = (
    r"\x{A0}-\x{D7FF}\x{F900}-\x{FDCF}\x{FDF0}-\x{FFEF}\x{10000}-\x{1FFFD}\x{20000}-\x{2FFFD}"
    r"\x{30000}-\x{3FFFD}\x{40000}-\x{4FFFD}\x{50000}-\x{5FFFD}\x{60000}-\x{6FFFD}\x{70000}-\x{7FFFD}"
    r"\x{80000}-\x{8FFFD}\x{90000}-\x{9FFFD}\x{A0000}-\x{AFFFD}\x{B0000}-\x{BFFFD}\x{C0000}-\x{CFFFD}"
    r"\x{D0000}-\x{DFFFD}\x{E1000}-\x{EFFFD}"
)
_NEEDS_IRI_ENCODING = r"[^A-Za-z0-9\-._~" + _UCS + "]"
_NEEDS_URI_ENCODING = r"[^A-Za-z0-9\-._~]"
_PY_UCS = re.compile(
    "[\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef\U00010000-\U0001fffd\U00020000-\U0002fffd"
    "\U00030000-\U0003fffd\U00040000-\U0004fffd\U00050000-\U0005fffd\U00060000-\U0006fffd"
    "\U00070000-\U0007fffd\U00080000-\U0008fffd\U00090000-\U0009fffd\U000a0000-\U000afffd"
    "\U000b0000-\U000bfffd\U000c0000-\U000cfffd\U000d0000-\U000dfffd\U000e1000-\U000efffd]"
)
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_UNRESERVED_BYTES = "".join(sorted(_UNRESERVED)).encode("ascii")

# Characters N-Triples IRIREF forbids; an IRI must also start with a scheme.
_BAD_IRI_CHARS = r'[\x00-\x20<>"{}|^`\\]'
_ABSOLUTE = r"^[A-Za-z][A-Za-z0-9+.\-]*:"
_LITERAL_SPECIALS = r'[\\"\n\r]'
_LITERAL_SPECIAL_BYTES = (b"\\", b'"', b"\n", b"\r")
_BNODE_SAFE = r"^[A-Za-z0-9]+$"


def percent_encode(value: str, *, iri: bool) -> str:
    out = []
    for ch in value:
        if ch in _UNRESERVED or (iri and _PY_UCS.match(ch)):
            out.append(ch)
        else:
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8"))
    return "".join(out)


def _replace_where(values: pa.Array, pattern: str, fn) -> pa.Array:
    """Apply ``fn`` in Python to the values matching ``pattern``; the rest stay in Arrow."""
    if len(values) == 0:
        return values
    mask = pc.fill_null(pc.match_substring_regex(values, pattern), False)
    if not pc.any(mask).as_py():
        return values
    todo = values.filter(mask).to_pylist()
    return pc.replace_with_mask(values, mask, pa.array([fn(v) for v in todo], pa.string()))


def encode_iri_values(values: pa.Array, *, iri: bool) -> pa.Array:
    """Percent-encode template values as RML's IRI-safe (``iri=True``) or URI-safe form."""
    view = string_bytes(values)
    if view is not None and not view[0].translate(None, _UNRESERVED_BYTES):
        return values  # only ASCII unreserved characters: nothing to encode
    pattern = _NEEDS_IRI_ENCODING if iri else _NEEDS_URI_ENCODING
    return _replace_where(values, pattern, lambda v: percent_encode(v, iri=iri))


def escape_literal(values: pa.Array) -> pa.Array:
    def esc(v: str) -> str:
        return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")

    view = string_bytes(values)
    if view is not None and not any(ch in view[0] for ch in _LITERAL_SPECIAL_BYTES):
        return values
    return _replace_where(values, _LITERAL_SPECIALS, esc)


_PY_ABSOLUTE = re.compile(_ABSOLUTE)
_PY_BAD_IRI_CHARS = re.compile(_BAD_IRI_CHARS)


def is_absolute(text: str) -> bool:
    """Does ``text`` start with a scheme (and so every IRI beginning with it is absolute)?"""
    return _PY_ABSOLUTE.match(text) is not None


def has_bad_iri_char(text: str) -> bool:
    return _PY_BAD_IRI_CHARS.search(text) is not None


def absolute_mask(values: pa.Array) -> pa.Array:
    return pc.fill_null(pc.match_substring_regex(values, _ABSOLUTE), True)


def invalid_iri_mask(values: pa.Array) -> pa.Array:
    """True where a (resolved) IRI cannot be written as an N-Triples IRI."""
    bad = pc.match_substring_regex(values, _BAD_IRI_CHARS)
    not_abs = pc.invert(pc.match_substring_regex(values, _ABSOLUTE))
    return pc.fill_null(pc.or_(bad, not_abs), False)


def iri_terms(values: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise("<", values, ">", "")


def blank_terms(values: pa.Array, prefix: str) -> pa.Array:
    """Blank node labels that are the same for the same value (and term map ``prefix``)."""

    def label(v: str) -> str:
        return "h" + hashlib.blake2b(v.encode("utf-8"), digest_size=12).hexdigest()

    safe = _replace_where(values, r"[^A-Za-z0-9]|^$", label)
    return pc.binary_join_element_wise("_:", prefix, safe, "")


def literal_terms(
    values: pa.Array, *, datatype: str | pa.Array | None = None, language: str | pa.Array | None = None
):
    """``"lex"``, ``"lex"^^<dt>`` or ``"lex"@lang``; ``datatype``/``language`` may vary per value."""
    if language is None and (datatype is None or isinstance(datatype, str)):
        return pc.binary_join_element_wise(*literal_parts(values, datatype), "")  # one pass
    lex = pc.binary_join_element_wise('"', escape_literal(values), '"', "")
    if language is not None:
        return pc.binary_join_element_wise(lex, "@", language, "")
    # per-value datatypes: plain where the datatype is null (an explicit xsd:string is written)
    dt_suffix = pc.fill_null(pc.binary_join_element_wise("^^<", datatype, ">", ""), "")
    return pc.binary_join_element_wise(lex, dt_suffix, "")


def literal_parts(values: pa.Array, datatype: str | None) -> list[str | pa.Array]:
    """The pieces of ``"lex"`` or ``"lex"^^<dt>`` for one join (here or into whole lines)."""
    close = '"' if datatype is None else f'"^^<{datatype}>'  # an explicit xsd:string is kept
    return ['"', escape_literal(values), close]


XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def repeat(value: str | None, n: int) -> pa.Array:
    return (
        pa.array(np.full(n, value, dtype=object), pa.string())
        if value is not None
        else pa.nulls(n, pa.string())
    )
