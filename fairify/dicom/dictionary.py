"""The DICOM data dictionary as fairify names it: one predicate per tag, keywords as labels.

Predicates are ``https://w3id.org/fairify/dicom#`` + the tag's 8 upper-case hex digits, the key
the DICOM JSON model (PS3.18 Annex F) uses, so an IRI never depends on a keyword that a later
edition might rename. Keywords are what people write, so references in mappings and SPARQL
templates may use them; ``expand_keywords`` turns ``dcm:ROIName`` into ``dcm:30060026``. The
vocabulary itself (``ontologies/dicom.ttl``) is generated from pydicom's dictionary.
"""

from __future__ import annotations

import functools
import re

from pydicom.datadict import (
    DicomDictionary,
    RepeatersDictionary,
    get_entry,
    keyword_for_tag,
    mask_match,
    tag_for_keyword,
)

DICOM_NS = "https://w3id.org/fairify/dicom#"
MODEL_NS = "https://w3id.org/fairify/dicom/model#"
ID_BASE = "https://w3id.org/fairify/id/"

_TAG_TEXT = re.compile(r"^\(?([0-9A-Fa-f]{4}),?([0-9A-Fa-f]{4})\)?$")


def tag_hex(tag: int) -> str:
    """``0x00100020`` -> ``'00100020'``: the DICOM JSON model's key."""
    return f"{tag:08X}"


def predicate_iri(tag: int) -> str:
    return DICOM_NS + tag_hex(tag)


def parse_tag(text: str) -> int | None:
    """A keyword (``PatientID``), ``(0010,0020)``, ``0010,0020`` or ``00100020``; None if neither."""
    text = text.strip()
    m = _TAG_TEXT.match(text)
    if m:
        return int(m.group(1) + m.group(2), 16)
    return tag_for_keyword(text)


@functools.lru_cache(maxsize=8192)
def entry(tag: int) -> tuple[str, str, str, bool, str] | None:
    """(VR, VM, name, retired, keyword) from pydicom's dictionary, repeating groups included."""
    if tag in DicomDictionary:
        vr, vm, name, retired, keyword = DicomDictionary[tag]
        return vr, vm, name, bool(retired), keyword
    mask = mask_match(tag)
    if mask is not None:
        vr, vm, name, retired, keyword = RepeatersDictionary[mask]
        return vr, vm, name, bool(retired), keyword
    if tag & 0xFFFF == 0 and tag >> 16 not in (0, 2):
        return None  # group lengths are retired; they carry no data
    try:
        vr, vm, name, retired, keyword = get_entry(tag)
    except KeyError:
        return None
    return vr, vm, name, bool(retired), keyword


def keyword(tag: int) -> str:
    """The keyword, or the 8 hex digits for a tag the dictionary does not name."""
    return keyword_for_tag(tag) or tag_hex(tag)


def describe(tag: int) -> str:
    """``PatientName (0010,0010)``: how messages name an attribute."""
    kw = keyword_for_tag(tag)
    where = f"({tag >> 16:04X},{tag & 0xFFFF:04X})"
    return f"{kw} {where}" if kw else where


_KEYWORD_IN_QUERY = r"(?<![\w:])({prefixes}):([A-Za-z][A-Za-z0-9]*)\b"
_PREFIX_DECL = re.compile(r"PREFIX\s+([A-Za-z][\w.-]*)?:\s*<" + re.escape(DICOM_NS) + ">", re.IGNORECASE)


def expand_keywords(sparql: str) -> str:
    """``dcm:ROIName`` -> ``dcm:30060026`` (and ``<...dicom#ROIName>`` likewise) in a SPARQL text.

    Whatever prefix the query binds to the fairify DICOM namespace is expanded; a local name that
    is not a DICOM keyword is left alone (SPARQL then reports it if it is wrong).
    """
    if DICOM_NS not in sparql:
        return sparql
    prefixes = [p or "" for p in _PREFIX_DECL.findall(sparql)]

    def repl(m: re.Match[str]) -> str:
        tag = tag_for_keyword(m.group(2))
        return f"{m.group(1)}:{tag_hex(tag)}" if tag is not None else m.group(0)

    if prefixes:
        pattern = _KEYWORD_IN_QUERY.format(prefixes="|".join(re.escape(p) for p in prefixes))
        sparql = re.sub(pattern, repl, sparql)

    def repl_full(m: re.Match[str]) -> str:
        tag = tag_for_keyword(m.group(1))
        return f"<{predicate_iri(tag)}>" if tag is not None else m.group(0)

    return re.sub("<" + re.escape(DICOM_NS) + r"([A-Za-z][A-Za-z0-9]*)>", repl_full, sparql)
