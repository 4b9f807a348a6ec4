"""The generic DICOM model: one header -> N-Quads lines, with no mapping file.

Entities are nodes with deterministic IRIs under ``https://w3id.org/fairify/id/``:

    patient/<pseudonym>                  the same IRI the clinical tables give (fairify.pseudonym)
    dicom/study/<uid>, dicom/series/<uid>, dicom/instance/<uid>, dicom/frame-of-reference/<uid>
                                         <uid> = the remapped ``2.25.`` UID (fairify.dicom.deid)
    <parent>/<tag>/<n>                   the n-th item (from 1) of a sequence: never a blank node
    <instance>/<kind>/<number>           a numbered item (roi, beam, fraction-group, dose-reference,
                                         segment), so references by number resolve across objects

linked by ``dcmo:hasStudy``, ``dcmo:hasSeries``, ``dcmo:hasInstance``, ``dcmo:frameOfReference``
and carrying one ``dcm:<tag>`` predicate per allowed attribute, typed by VR (``fairify.dicom.vr``);
multi-valued elements are one ``rdf:JSON`` array in their order. On top, radiotherapy semantics:
ROIs, fraction groups, dose references, beams and segments are typed items; a referenced SOP
instance, series, study or frame of reference becomes an edge to its node (``dcmo:referencesPlan``,
``referencesStructureSet``, ``referencesDose``, ``referencesSeries``, ``references``); numbers
that point at numbered items (ReferencedROINumber, ReferencedBeamNumber, ...) become edges to
them, in the same object or, inside an item with a Referenced SOP Instance UID, in the referenced
one (RT Dose -> the plan's fraction group), and an ROI carries the interpreted type (GTV, PTV,
ORGAN, ...) its observation gives it.

Lines are collected per batch of files and built column-wise at the end (literal escaping by
``fairify.engine.terms``, as the mapping engine does), deduplicated within the batch.
"""

from __future__ import annotations

import io
import struct
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from pydicom.charset import convert_encodings

from fairify.dicom import vr as V
from fairify.dicom.deid import (
    Policy,
    Rule,
    clean_descriptor,
    date_offset,
    identifying_tokens,
    remap_uid,
    shift_iso_date,
)
from fairify.dicom.dictionary import DICOM_NS, ID_BASE, MODEL_NS, describe, entry, tag_hex
from fairify.dicom.walk import FileProblem, Header, Skip
from fairify.engine import terms as T
from fairify.engine.sinks import write_lines
from fairify.provenance import PROVENANCE_GRAPH
from fairify.pseudonym import pseudonym

RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
PROV_DERIVED = "<http://www.w3.org/ns/prov#wasDerivedFrom>"
PROV_END = f" <{PROVENANCE_GRAPH}> .\n"
PATIENT_BASE = ID_BASE + "patient/"
DICOM_ID = ID_BASE + "dicom/"
UNPARSED = MODEL_NS + "Unparsed"


def m(local: str) -> str:
    return f"<{MODEL_NS}{local}>"


# Model terms (dcmo:)
PATIENT, STUDY, SERIES, INSTANCE, FRAME, ITEM = (
    m("Patient"), m("Study"), m("Series"), m("Instance"), m("FrameOfReference"), m("Item"),
)  # fmt: skip
HAS_STUDY, HAS_SERIES, HAS_INSTANCE, HAS_FRAME = (
    m("hasStudy"),
    m("hasSeries"),
    m("hasInstance"),
    m("frameOfReference"),
)
ITEM_INDEX, HAS_ROI, INTERPRETED_TYPE = m("itemIndex"), m("hasROI"), m("interpretedType")

SOP_INSTANCE, STUDY_UID, SERIES_UID, FRAME_UID = 0x00080018, 0x0020000D, 0x0020000E, 0x00200052
PATIENT_ID, CHARSET, PIXEL_REPRESENTATION = 0x00100020, 0x00080005, 0x00280103

# Which entity a top-level attribute describes (the rest describe the instance).
STUDY_LEVEL = frozenset({
    0x0020000D, 0x00080020, 0x00080030, 0x00080050, 0x00080051, 0x00080090, 0x00200010, 0x00081030,
    0x00081032, 0x00081048, 0x00081060, 0x00081080, 0x00081110, 0x00101010, 0x00101020, 0x00101022,
    0x00101030, 0x00102180, 0x001021B0, 0x00321060, 0x00321064,
})  # fmt: skip
SERIES_LEVEL = frozenset({
    0x0020000E, 0x00080060, 0x00200011, 0x00200060, 0x00080021, 0x00080031, 0x00081050, 0x00181030,
    0x0008103E, 0x0008103F, 0x00081070, 0x00081111, 0x00081250, 0x00180015, 0x00185100, 0x00280108,
    0x00280109, 0x00400244, 0x00400245, 0x00400253, 0x00400254, 0x00400260, 0x00400275, 0x00102210,
})  # fmt: skip
FRAME_LEVEL = frozenset({0x00200052, 0x00201040})

# Items typed by the sequence they are in.
ITEM_CLASSES = {
    0x30060020: m("ROI"),
    0x30060039: m("ROIContour"),
    0x30060080: m("ROIObservation"),
    0x300A0070: m("FractionGroup"),
    0x300A0010: m("DoseReference"),
    0x300A00B0: m("Beam"),
    0x300A03A2: m("Beam"),
    0x00620002: m("Segment"),
}
# Referenced objects: the edge from the item, and from the instance by top-level sequence.
REF_INSTANCE_TAGS = frozenset({0x00081155, 0x00080018, 0x00041511})
REF_FRAME_TAGS = frozenset({0x00200052, 0x30060024, 0x300600C2})
INSTANCE_EDGE_BY_SEQUENCE = {
    0x300C0002: m("referencesPlan"),
    0x300C0060: m("referencesStructureSet"),
    0x300C0080: m("referencesDose"),
}
# Items numbered within an object (sequence, number attribute) -> the kind, which names them:
# ``<instance>/<kind>/<number>``, so a reference by number resolves from any file, in any batch.
NUMBERED = {
    (0x30060020, 0x30060022): "roi",
    (0x300A00B0, 0x300A00C0): "beam",
    (0x300A03A2, 0x300A00C0): "beam",
    (0x300A0010, 0x300A0012): "dose-reference",
    (0x300A0070, 0x300A0071): "fraction-group",
    (0x00620002, 0x00620004): "segment",
}
NUMBERED_BY_SEQUENCE = {seq: (num, kind) for (seq, num), kind in NUMBERED.items()}
# The attributes that point at numbered items: of the same object, or, inside an item that has a
# Referenced SOP Instance UID (ReferencedRTPlanSequence/ReferencedFractionGroupSequence/...), of
# the referenced object; an ROI number outside a structure set names an ROI of the structure set
# the object references (RT Plan DoseReferenceSequence/ReferencedROINumber).
NUMBER_REFS = {
    0x30060084: ("roi", m("referencedROI")),
    0x300C0006: ("beam", m("referencedBeam")),
    0x300C0051: ("dose-reference", m("referencedDoseReference")),
    0x300C0022: ("fraction-group", m("referencedFractionGroup")),
    0x0062000B: ("segment", m("referencedSegment")),
}
REFERENCED_SOP_INSTANCE = 0x00081155
REFERENCED_STRUCTURE_SET_SEQUENCE = 0x300C0060
RT_ROI_INTERPRETED_TYPE = 0x300600A4
SKIP, SEQ, TEXT, NUMBER, AT = range(5)  # how an element is read
UNDEFINED = 0xFFFFFFFF
PLAIN_VRS = frozenset({"CS", "LO", "SH", "ST", "LT", "UT", "UC", "AE", "UR"})
# Values whose words must not survive in cleaned descriptors.
IDENTIFYING = (0x00100010, 0x00100020, 0x00101000, 0x00101001, 0x00101005, 0x00101060, 0x00080050, 0x00080090)


@dataclass
class Context:
    """What every file of a run shares: the secret, the policy, the caches (one per process)."""

    secret: bytes
    policy: Policy
    keyed_files: bool = True
    root: Path | None = None
    uids: dict[str, str] = field(default_factory=dict)
    pseudonyms: dict[str, str] = field(default_factory=dict)
    predicates: dict[int, str] = field(default_factory=dict)
    plans: dict[tuple[int, str | None, int], tuple[Rule, str, str, int]] = field(default_factory=dict)

    def uid(self, original: str) -> str:
        new = self.uids.get(original)
        if new is None:
            if len(self.uids) > 200_000:
                self.uids.clear()
            new = self.uids[original] = remap_uid(original, self.secret)
        return new

    def patient(self, patient_id: str) -> str:
        p = self.pseudonyms.get(patient_id)
        if p is None:
            p = self.pseudonyms[patient_id] = pseudonym(patient_id, self.secret)
        return p

    def plan(self, tag: int, file_vr: str | None, pixel_rep: int) -> tuple[Rule, str, str, int]:
        """(rule, VR, predicate, kind) of an element: decided once per tag and VR, then looked up."""
        key = (tag, file_vr, pixel_rep)
        hit = self.plans.get(key)
        if hit is None:
            hit = self.plans[key] = self._plan(tag, file_vr, pixel_rep)
        return hit

    def _plan(self, tag: int, file_vr: str | None, pixel_rep: int) -> tuple[Rule, str, str, int]:
        rule = self.policy.decide(tag, file_vr)[0]
        info = entry(tag)
        dict_vr = info[0] if info else "UN"
        vr = file_vr if file_vr and file_vr not in ("UN", "OB or OW") else dict_vr
        if vr == "US or SS":
            vr = "SS" if pixel_rep else "US"
        if rule is Rule.DROP or rule is Rule.PATIENT_ID:
            kind = SKIP
        elif vr == "SQ" or (dict_vr == "SQ" and vr == "UN"):
            kind = SEQ
        elif vr in V.TEXT_VRS:
            kind = TEXT
        elif vr in V.BINARY_NUMBERS:
            kind = NUMBER
        elif vr == "AT":
            kind = AT
        else:
            kind = SKIP
        return rule, vr, self.predicate(tag), kind

    def predicate(self, tag: int) -> str:
        p = self.predicates.get(tag)
        if p is None:
            p = self.predicates[tag] = f"<{DICOM_NS}{tag_hex(tag)}>"
        return p

    def file_iri(self, path: Path) -> str:
        """The file's provenance IRI: keyed (archive paths often hold IDs and UIDs) or its file: IRI."""
        if not self.keyed_files:
            return path.resolve().as_uri()
        rel = (
            str(path.resolve().relative_to(self.root))
            if self.root and path.is_relative_to(self.root)
            else str(path)
        )
        return DICOM_ID + "file/" + pseudonym("dicom-file:" + rel, self.secret)


class Batch:
    """The lines of a batch of files: IRI-object lines as text, literals as columns."""

    def __init__(self) -> None:
        self.iri_lines: dict[str, None] = {}
        self.prov_lines: dict[str, None] = {}
        self.lit_s: list[str] = []
        self.lit_p: list[str] = []
        self.lit_lex: list[str] = []
        self.lit_close: list[str] = []

    def literal(self, s: str, p: str, lex: str, datatype: str | None) -> None:
        self.lit_s.append(s)
        self.lit_p.append(p)
        self.lit_lex.append(lex)
        self.lit_close.append(f'"^^<{datatype}> .\n' if datatype else '" .\n')

    def nquads(self) -> tuple[bytes, int, bytes, int]:
        """(data lines, count, provenance lines, count), each line once."""
        parts = [pa.array(list(self.iri_lines), pa.string())]
        if self.lit_s:
            lines = pc.binary_join_element_wise(
                pa.array(self.lit_s, pa.string()),
                " ",
                pa.array(self.lit_p, pa.string()),
                ' "',
                T.escape_literal(pa.array(self.lit_lex, pa.string())),
                pa.array(self.lit_close, pa.string()),
                "",
            )
            parts.append(pc.unique(lines))
        data = io.BytesIO()
        n = sum(write_lines(data, a) for a in parts)
        prov = io.BytesIO()
        k = write_lines(prov, pa.array(list(self.prov_lines), pa.string()))
        return data.getvalue(), n, prov.getvalue(), k


@dataclass
class FileSummary:
    patient: str | None = None
    study: str | None = None
    series: str | None = None
    instance: str | None = None


class HeaderGraph:
    """Turns one header into lines of the batch; problems go to ``problems``."""

    def __init__(self, ctx: Context, batch: Batch, header: Header, problems: list[FileProblem]):
        self.ctx = ctx
        self.batch = batch
        self.path = header.path
        self.elements = header.elements
        self.problems = problems
        self.rules = ctx.policy
        self.file_iri = ctx.file_iri(header.path)
        self.encodings: tuple[str, ...] = V.DEFAULT_ENCODINGS
        self.dates = ctx.policy.profile.dates
        self._offset: int | None = None
        self._forbidden: frozenset[str] | None = None
        self.patient_id = ""
        self.numbered: dict[tuple[str, int], str] = {}
        self.pending: list[tuple[str, str, str, int]] = []  # (subject, predicate, kind, number)
        self.roi_types: list[tuple[int, str]] = []  # (ROI number, observation item)
        self.observed_types: dict[str, str] = {}  # observation item -> RT ROI Interpreted Type
        self.paths: dict[str, str] = {}  # item IRI -> its tag path (GGGGEEEE/n/...) for provenance
        self.open_items: list[str] = []  # the items being read, outermost first
        self.referenced: dict[str, str] = {}  # item IRI -> the instance its Referenced SOP Instance UID names
        self.structure_sets: list[str] = []  # instances named in the top-level ReferencedStructureSetSequence
        self.pixel_rep = 0
        self.instance = ""
        self.implicit = header.implicit

    # -- the header ----------------------------------------------------------------------------
    def prepare(self) -> str:
        """Character set, patient and pixel representation of the header; its SOP Instance UID."""
        charset = self.elements.get(CHARSET)
        if charset is not None:
            try:
                raw = charset.value
                names = V.texts(raw, "CS", ()) if isinstance(raw, bytes) else _python_values(raw)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    self.encodings = tuple(convert_encodings([str(n) for n in names if n] or [""]))
            except Exception:
                self._warn("Specific Character Set is not understood: read as ISO 646", CHARSET)
        sop = self.text(SOP_INSTANCE)
        if not sop:
            raise Skip("no SOP Instance UID: not a DICOM composite instance")
        self.patient_id = self.text(PATIENT_ID) or ""
        pr = self.elements.get(PIXEL_REPRESENTATION)
        if pr is not None and isinstance(pr.value, bytes) and len(pr.value) >= 2:
            self.pixel_rep = int.from_bytes(pr.value[:2], "little" if pr.is_little_endian else "big")
        elif pr is not None and isinstance(pr.value, int):
            self.pixel_rep = pr.value
        return sop

    def build(self) -> FileSummary:
        ctx, b = self.ctx, self.batch
        sop = self.prepare()
        summary = FileSummary(instance=ctx.uid(sop))
        inst = self.instance = f"<{DICOM_ID}instance/{summary.instance}>"
        subjects = {"instance": inst}
        self.typed(inst, INSTANCE)
        study_uid, series_uid, frame_uid = (self.text(t) for t in (STUDY_UID, SERIES_UID, FRAME_UID))
        if study_uid:
            summary.study = ctx.uid(study_uid)
            subjects["study"] = f"<{DICOM_ID}study/{summary.study}>"
            self.typed(subjects["study"], STUDY)
        if series_uid:
            summary.series = ctx.uid(series_uid)
            subjects["series"] = f"<{DICOM_ID}series/{summary.series}>"
            self.typed(subjects["series"], SERIES)
            b.iri_lines[f"{subjects['series']} {HAS_INSTANCE} {inst} .\n"] = None
            if "study" in subjects:
                b.iri_lines[f"{subjects['study']} {HAS_SERIES} {subjects['series']} .\n"] = None
        if frame_uid:
            subjects["frame"] = f"<{DICOM_ID}frame-of-reference/{ctx.uid(frame_uid)}>"
            self.typed(subjects["frame"], FRAME)
            b.iri_lines[f"{inst} {HAS_FRAME} {subjects['frame']} .\n"] = None
        if self.patient_id:
            summary.patient = ctx.patient(self.patient_id)
            subjects["patient"] = f"<{PATIENT_BASE}{summary.patient}>"
            self.typed(subjects["patient"], PATIENT)
            b.literal(subjects["patient"], ctx.predicate(PATIENT_ID), summary.patient, None)
            if "study" in subjects:
                b.iri_lines[f"{subjects['patient']} {HAS_STUDY} {subjects['study']} .\n"] = None
        for tag, elem in self.elements.items():
            if tag in STUDY_LEVEL:
                s = subjects.get("study", inst)
            elif tag in SERIES_LEVEL:
                s = subjects.get("series", inst)
            elif tag in FRAME_LEVEL:
                s = subjects.get("frame", inst)
            elif tag >> 16 == 0x0010:
                s = subjects.get("patient", inst)
            else:
                s = inst
            self.element(elem, s, 0, 0)
        self.resolve()
        return summary

    def typed(self, s: str, cls: str) -> None:
        self.batch.iri_lines[f"{s} {RDF_TYPE} {cls} .\n"] = None
        self.batch.prov_lines[f"{s} {PROV_DERIVED} <{self.file_iri}>{PROV_END}"] = None

    # -- elements ------------------------------------------------------------------------------
    def element(self, elem: Any, s: str, depth: int, top_seq: int) -> None:
        tag = elem.tag + 0  # a plain int: pydicom's BaseTag compares in Python
        rule, vr, p, kind = self.ctx.plan(tag, elem.VR, self.pixel_rep)
        if kind == SKIP:
            return
        if kind == SEQ:
            self.sequence(elem, tag, s, depth, top_seq)
            return
        raw = elem.value
        if isinstance(raw, bytes):
            if elem.length != UNDEFINED and len(raw) < elem.length:
                self._warn(f"truncated: {len(raw)} of {elem.length} bytes; left out", tag)
                return
            if not raw:
                return
            try:
                if kind == TEXT:
                    values: list[Any] = V.texts(raw, vr, self.encodings)
                elif kind == AT:
                    values = V.tags(raw, elem.is_little_endian)
                else:
                    values = V.numbers(raw, vr, elem.is_little_endian)
            except V.BadValue as exc:
                self._warn(f"{exc}; left out", tag)
                return
        elif raw is None:
            return  # deferred: larger than any value worth a triple
        else:
            values = _python_values(raw)
            if not values:
                return
        if rule is Rule.KEEP and kind == TEXT and len(values) == 1 and vr in PLAIN_VRS:
            if values[0]:
                self.batch.literal(s, p, values[0], None)
        elif rule is Rule.UID:
            self.uids(s, p, tag, values, depth, top_seq)
        elif rule is Rule.CLEAN:
            cleaned = [c for c in (clean_descriptor(str(v), self.forbidden()) for v in values) if c]
            if len(cleaned) == 1:
                self.batch.literal(s, p, cleaned[0], None)
            elif cleaned:
                self.batch.literal(s, p, V.json_array(cleaned), V.RDF_JSON)
        elif any(v != "" for v in values):
            self.typed_values(s, p, tag, vr, values)
        if depth and tag in NUMBER_REFS:
            kind_, pred = NUMBER_REFS[tag]
            other = self.referenced_object()
            for v in values:
                n = _as_int(v)
                if n is None:
                    continue
                if other is not None:  # a number of the referenced object: its deterministic IRI
                    self.batch.iri_lines[f"{s} {pred} <{other}/{kind_}/{n}> .\n"] = None
                    continue
                self.pending.append((s, pred, kind_, n))
                if kind_ == "roi" and top_seq == 0x30060080:
                    self.roi_types.append((n, s))
        if depth and tag == RT_ROI_INTERPRETED_TYPE and top_seq == 0x30060080 and values[0]:
            self.observed_types[s] = str(values[0])

    def sequence(self, elem: Any, tag: int, s: str, depth: int, top_seq: int) -> None:
        """The items of a sequence: nodes named parent/tag/n, each with its own elements."""
        raw = elem.value
        implicit = self.implicit
        try:
            if isinstance(raw, bytes) or raw is None:
                if raw is None:  # deferred at the top level: read just its bytes
                    with open(self.path, "rb") as f:
                        f.seek(elem.value_tell)
                        raw = f.read(elem.length)
                implicit = getattr(elem, "is_implicit_VR", self.implicit)
                little = elem.is_little_endian
                if elem.VR == "UN":  # a sequence sent as UN is encoded in implicit VR little endian
                    implicit, little = True, True
                items: list[Any] = V.parse_items(raw, implicit, little, _dictionary_vr)
            else:  # a pydicom Sequence (undefined length at the top level)
                items = [list(item._dict.values()) for item in raw]
        except (V.BadValue, OSError, struct.error) as exc:
            self._warn(f"sequence cannot be read ({exc}); left out", tag)
            return
        if not items:
            return
        outer, self.implicit = self.implicit, implicit if isinstance(raw, bytes) else self.implicit
        try:
            self._items(items, tag, s, depth, top_seq)
        finally:
            self.implicit = outer

    def _items(self, items: list[Any], tag: int, s: str, depth: int, top_seq: int) -> None:
        p = self.ctx.predicate(tag)
        hex_tag = tag_hex(tag)
        base = s[1:-1]
        cls = ITEM_CLASSES.get(tag, ITEM) if depth == 0 else ITEM
        lines, prov = self.batch.iri_lines, self.batch.prov_lines
        top = tag if depth == 0 else top_seq
        parent_path = self.paths.get(s, "") if depth else ""
        # Numbered items (ROIs, beams, fraction groups, ...) are named by their number, which
        # references use; an item without a number, or with one its sequence repeats, by its index.
        numbers: list[int | None] = []
        kind = ""
        if depth == 0 and tag in NUMBERED_BY_SEQUENCE:
            number_tag, kind = NUMBERED_BY_SEQUENCE[tag]
            numbers = [self.number_of(elements, number_tag) for elements in items]
            seen = Counter(n for n in numbers if n is not None)
            repeated = {n for n, k in seen.items() if k > 1}
            numbers = [None if n in repeated else n for n in numbers]
        for i, elements in enumerate(items, start=1):
            n = numbers[i - 1] if numbers else None
            item_iri = f"<{base}/{kind}/{n}>" if n is not None else f"<{base}/{hex_tag}/{i}>"
            if n is not None:
                self.numbered[(kind, n)] = item_iri
            lines[f"{s} {p} {item_iri} .\n"] = None
            lines[f"{item_iri} {RDF_TYPE} {cls} .\n"] = None
            self.batch.literal(item_iri, ITEM_INDEX, str(i), V.XSD_INTEGER)
            path = self.paths[item_iri] = f"{parent_path}/{hex_tag}/{i}" if depth else f"{hex_tag}/{i}"
            prov[f"{item_iri} {PROV_DERIVED} <{self.file_iri}#tag={path}>{PROV_END}"] = None
            if depth == 0 and tag == 0x30060020:
                lines[f"{self.instance} {HAS_ROI} {item_iri} .\n"] = None
            self.open_items.append(item_iri)
            try:
                for child in elements:
                    self.element(child, item_iri, depth + 1, top)
            finally:
                self.open_items.pop()

    def number_of(self, elements: list[Any], number_tag: int) -> int | None:
        """The item number (an IS value) among an item's elements, or None."""
        for child in elements:
            if child.tag + 0 != number_tag:
                continue
            try:
                if isinstance(child.value, bytes):
                    vals: list[Any] = V.texts(child.value, "IS", self.encodings)
                else:
                    vals = _python_values(child.value)
            except V.BadValue:
                return None
            return _as_int(vals[0]) if len(vals) == 1 else None
        return None

    def referenced_object(self) -> str | None:
        """The instance IRI (without brackets) named by the nearest open item's Referenced SOP Instance UID."""
        for item in reversed(self.open_items):
            target = self.referenced.get(item)
            if target is not None:
                return target
        return None

    def typed_values(self, s: str, p: str, tag: int, vr: str, values: list[Any]) -> None:
        out: list[tuple[str, str | None]] = []
        try:
            for v in values:
                out.append(self.lexical(vr, v))
        except V.BadValue as exc:
            raw = "\\".join(str(v) for v in values)
            if vr in ("DA", "DT") and self.dates == "shift":
                self._warn(f"{exc} ({raw!r}); left out, since it cannot be shifted", tag)
                return
            self._warn(f"{exc} ({raw!r}); kept as a flagged raw value", tag)
            self.batch.literal(s, p, raw, UNPARSED)
            return
        if len(out) == 1:
            lex, dt = out[0]
            if dt == "iri":
                self.batch.iri_lines[f"{s} {p} <{lex}> .\n"] = None
            else:
                self.batch.literal(s, p, lex, dt)
            return
        items: list[Any] = []
        for (lex, dt), v in zip(out, values, strict=True):
            if v == "":
                items.append(None)
            elif dt in (V.XSD_DECIMAL, V.XSD_DOUBLE, V.XSD_INTEGER) and vr in ("DS", "IS"):
                items.append(V.RawJson(V.json_number(lex, vr)))
            elif dt in (V.XSD_INTEGER, V.XSD_FLOAT, V.XSD_DOUBLE) and isinstance(v, int | float):
                items.append(V.RawJson(lex) if lex not in ("NaN", "INF", "-INF") else lex)
            else:
                items.append(lex)
        self.batch.literal(s, p, V.json_array(items), V.RDF_JSON)

    def lexical(self, vr: str, v: Any) -> tuple[str, str | None]:
        """(lexical form, datatype IRI, or 'iri' for an IRI object) of one value."""
        if v == "":
            return "", None
        if vr in ("CS", "LO", "SH", "ST", "LT", "UT", "UC", "AE", "UR", "PN"):
            return str(v), None
        if vr == "DA":
            iso = V.iso_date(v)
            return (self.shift(iso) if self.dates == "shift" else iso), V.XSD_DATE
        if vr == "TM":
            return V.iso_time(v), V.XSD_TIME
        if vr == "DT":
            lex, dt = V.iso_datetime(v)
            if self.dates == "shift":
                if dt != V.XSD_DATETIME:
                    raise V.BadValue("a partial DT date-time")
                lex = self.shift(lex[:10]) + lex[10:]
            return lex, dt
        if vr == "DS":
            return V.decimal_string(v)
        if vr == "IS":
            return V.integer_string(v), V.XSD_INTEGER
        if vr == "AS":
            return V.duration(v), V.XSD_DURATION
        if vr in ("US", "SS", "UL", "SL", "UV", "SV"):
            return str(v), V.XSD_INTEGER
        if vr == "FL":
            return V.float_lexical(v, True), V.XSD_FLOAT
        if vr == "FD":
            return V.float_lexical(v, False), V.XSD_DOUBLE
        if vr == "UI":
            if not V.is_uid(v):
                raise V.BadValue("not a valid UID")
            return "urn:oid:" + v, "iri"
        if vr == "AT":
            return DICOM_NS + tag_hex(int(v)), "iri"
        return str(v), None

    def uids(self, s: str, p: str, tag: int, values: list[Any], depth: int, top_seq: str | int) -> None:
        new = [self.ctx.uid(str(v)) for v in values if v]
        if len(new) == 1:
            self.batch.iri_lines[f"{s} {p} <urn:oid:{new[0]}> .\n"] = None
        elif new:
            self.batch.literal(s, p, V.json_array(new), V.RDF_JSON)
        if not depth:
            return
        lines = self.batch.iri_lines
        for u in new:
            if tag in REF_INSTANCE_TAGS:
                target = f"<{DICOM_ID}instance/{u}>"
                if tag == REFERENCED_SOP_INSTANCE and len(new) == 1:
                    self.referenced[s] = target[1:-1]
                    if depth == 1 and top_seq == REFERENCED_STRUCTURE_SET_SEQUENCE:
                        self.structure_sets.append(target[1:-1])
                lines[f"{s} {m('referencedInstance')} {target} .\n"] = None
                edge = INSTANCE_EDGE_BY_SEQUENCE.get(top_seq, m("references"))  # type: ignore[call-overload]
                lines[f"{self.instance} {edge} {target} .\n"] = None
            elif tag == SERIES_UID:
                target = f"<{DICOM_ID}series/{u}>"
                lines[f"{s} {m('referencedSeries')} {target} .\n"] = None
                lines[f"{self.instance} {m('referencesSeries')} {target} .\n"] = None
            elif tag == STUDY_UID:
                target = f"<{DICOM_ID}study/{u}>"
                lines[f"{s} {m('referencedStudy')} {target} .\n"] = None
                lines[f"{self.instance} {m('referencesStudy')} {target} .\n"] = None
            elif tag in REF_FRAME_TAGS:
                target = f"<{DICOM_ID}frame-of-reference/{u}>"
                lines[f"{s} {m('referencedFrameOfReference')} {target} .\n"] = None
                lines[f"{self.instance} {m('referencesFrameOfReference')} {target} .\n"] = None

    def field_values(self, elem: Any) -> list[tuple[str, str | None]]:
        """A mapping reference's values of one element, de-identified: (lexical, natural datatype).

        UIDs are the remapped (or well-known) UID itself, dates shifted or kept, descriptors
        cleaned; the pseudonymisable identifiers (PatientID, AccessionNumber) are raw, for
        ffn:pseudonym only (``fairify.dicom.source.check_triples_map`` enforces that).
        """
        tag = elem.tag + 0
        rule, vr, _, kind = self.ctx.plan(tag, elem.VR, self.pixel_rep)
        raw = elem.value
        if isinstance(raw, bytes):
            if not raw or (elem.length != UNDEFINED and len(raw) < elem.length):
                return []
            info = entry(tag)
            if kind == SKIP and info is not None and info[0] in V.TEXT_VRS:
                kind, vr = (
                    TEXT,
                    info[0],
                )  # a pseudonymisable identifier: the engine allows it into ffn:pseudonym only
            if kind == TEXT:
                values: list[Any] = V.texts(raw, vr, self.encodings)
            elif kind == AT:
                return [(tag_hex(t), None) for t in V.tags(raw, elem.is_little_endian)]
            elif kind == NUMBER:
                values = V.numbers(raw, vr, elem.is_little_endian)
            else:
                return []
        elif raw is None:
            return []
        else:
            values = _python_values(raw)
        values = [v for v in values if v != ""]
        if rule is Rule.UID:
            return [(self.ctx.uid(str(v)), None) for v in values]
        if rule is Rule.CLEAN:
            return [(c, None) for c in (clean_descriptor(str(v), self.forbidden()) for v in values) if c]
        if rule is Rule.PATIENT_ID or rule is Rule.DROP:
            return [(str(v), None) for v in values]
        out = []
        for v in values:
            try:
                lex, dt = self.lexical(vr, v)
            except V.BadValue as exc:
                if vr in ("DA", "DT") and self.dates == "shift":
                    self._warn(f"{exc} ({v!r}); left out, since it cannot be shifted", tag)
                    continue
                self._warn(f"{exc} ({v!r}); kept as a flagged raw value", tag)
                out.append((str(v), UNPARSED))
                continue
            if dt == "iri":
                out.append((lex.removeprefix("urn:oid:") if vr == "UI" else tag_hex(int(v)), None))
            else:
                out.append((lex, dt))
        return out

    def resolve(self) -> None:
        """Number references to the items they name, and ROI interpreted types onto the ROIs."""
        lines = self.batch.iri_lines
        for s, pred, kind, n in self.pending:
            target = self.numbered.get((kind, n))
            if target is None and kind == "roi" and len(set(self.structure_sets)) == 1:
                target = f"<{self.structure_sets[0]}/roi/{n}>"  # an ROI of the referenced structure set
            if target is not None:
                lines[f"{s} {pred} {target} .\n"] = None
        for n, obs in self.roi_types:
            roi = self.numbered.get(("roi", n))
            if roi is not None and obs in self.observed_types:
                self.batch.literal(roi, INTERPRETED_TYPE, self.observed_types[obs], None)

    # -- helpers -------------------------------------------------------------------------------
    def text(self, tag: int) -> str | None:
        """The first value of a text element, decoded and stripped (None if absent or empty)."""
        elem = self.elements.get(tag)
        if elem is None:
            return None
        if isinstance(elem.value, bytes) or elem.value is None:
            if not elem.value:
                return None
            vr = elem.VR or (entry(tag) or ("UN",))[0]
            if vr not in V.TEXT_VRS:
                vr = "LO"
            vals = V.texts(elem.value, vr, self.encodings)
        else:
            vals = [str(v) for v in _python_values(elem.value)]
        return vals[0] if vals and vals[0] else None

    def shift(self, iso: str) -> str:
        if self._offset is None:
            self._offset = date_offset(
                self.patient_id, self.ctx.secret, self.ctx.policy.profile.max_shift_days
            )
        return shift_iso_date(iso, self._offset)

    def forbidden(self) -> frozenset[str]:
        if self._forbidden is None:
            values = []
            for tag in IDENTIFYING:
                elem = self.elements.get(tag)
                if elem is None:
                    continue
                try:
                    raw = elem.value if isinstance(elem.value, bytes) else None
                    if raw:
                        values += V.texts(
                            raw, "PN" if tag in (0x00100010, 0x00080090) else "LO", self.encodings
                        )
                    elif elem.value:
                        values += [str(v) for v in _python_values(elem.value)]
                except Exception:
                    continue
            self._forbidden = identifying_tokens([v.replace("^", " ").replace("=", " ") for v in values])
        return self._forbidden

    def _warn(self, reason: str, tag: int) -> None:
        self.problems.append(FileProblem(str(self.path), reason, skipped=False, tag=describe(tag)))


def _dictionary_vr(tag: int) -> str | None:
    info = entry(tag)
    return info[0] if info else None


def _python_values(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple) or type(value).__name__ == "MultiValue":
        return [str(v) if not isinstance(v, int | float) else v for v in value]
    if isinstance(value, bytes):
        return []
    return [value if isinstance(value, int | float) else str(value)]


def _as_int(v: Any) -> int | None:
    try:
        return int(str(v).strip())
    except (TypeError, ValueError):
        return None
