"""The DICOM logical source: a folder of DICOM files (or a DICOMDIR) read by a mapping.

Reference formulation ``DICOM`` (``https://w3id.org/fairify/ns#DICOM``; YARRRML ``path~dicom`` or
``referenceFormulation: dicom``). Records are instances, or, when the logical source's iterator
names a sequence, that sequence's items (``StructureSetROISequence``; nested:
``ROIContourSequence/ContourImageSequence``). References, written with DICOM keywords first:

    ROIName                          an attribute of the record (a tag works too: (3006,0026), 30060026)
    ROIContourSequence/ROIDisplayColor   through a sequence: one value per item (a multi-valued column)
    /StudyInstanceUID                from the instance, whatever the record (leading slash)
    @index                           the item's number in its sequence (from 1, as in the generic IRIs)

Values are de-identified before the engine sees them, by the same policy as the generic
conversion: UIDs remapped (``2.25.``), dates shifted or kept (source option ``dates``),
descriptors cleaned. A reference to an attribute the policy removes is a ``MappingError`` that
names the attribute and why. The one exception is the identifiers the tables pseudonymise too
(PatientID, AccessionNumber): the source gives their raw value, and ``check_triples_map`` (run by
the engine before any data is read) allows them only as the ``ffn:value`` of ``ffn:pseudonym``,
so the raw value goes into the keyed hash and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fairify.dicom.deid import PSEUDONYMISABLE, Policy, Profile, Rule
from fairify.dicom.dictionary import describe, entry, parse_tag
from fairify.dicom.graph import Batch, Context, HeaderGraph
from fairify.dicom.vr import BadValue, parse_items
from fairify.dicom.walk import FileProblem, Skip, iter_files, read_header
from fairify.errors import Location, MappingError, SourceError, UsageError
from fairify.mapping.model import FAIRIFY_FN, FunctionCall, LogicalSource, TermMap, TriplesMap
from fairify.pseudonym import HOW_TO
from fairify.sources._common import Chunk, ReaderBase, multi_valued_columns, row_numbers, unique

INDEX = "@index"
PSEUDONYM = FAIRIFY_FN + "pseudonym"
VALUE = FAIRIFY_FN + "value"


@dataclass(frozen=True)
class Ref:
    text: str
    absolute: bool
    steps: tuple[int, ...]  # sequence tags, then the attribute's tag


def parse_reference(text: str, where: str) -> Ref:
    """``ROIName``, ``A/B``, ``/A``, ``(3006,0026)``; steps before the last must be sequences."""
    if text == INDEX:
        return Ref(text, False, ())
    absolute = text.startswith("/")
    parts = [p for p in text.strip("/").split("/") if p]
    if not parts:
        raise MappingError(f"empty DICOM reference {text!r}", Location(file=where, field=text))
    steps = []
    for i, part in enumerate(parts):
        tag = parse_tag(part)
        if tag is None:
            raise MappingError(
                f"{part!r} in the reference {text!r} is not a DICOM keyword or tag",
                Location(file=where, field=text),
                hint="write keywords as in the DICOM dictionary (e.g. ROIName) or tags as (3006,0026)",
            )
        if i < len(parts) - 1 and (entry(tag) or ("",))[0] != "SQ":
            raise MappingError(
                f"{describe(tag)} in the reference {text!r} is not a sequence",
                Location(file=where, field=text),
            )
        steps.append(tag)
    return Ref(text, absolute, tuple(steps))


def _restricted(ref: Ref) -> bool:
    return bool(ref.steps) and ref.steps[-1] in PSEUDONYMISABLE


def check_triples_map(tm: TriplesMap) -> None:
    """Before any data: a pseudonymisable identifier may only be the ``ffn:value`` of ``ffn:pseudonym``."""

    def visit(term: TermMap, into_pseudonym: bool) -> None:
        e = term.expression
        if isinstance(e, FunctionCall):
            for param, arg in e.inputs:
                visit(arg, e.function == PSEUDONYM and param == VALUE)
        else:
            for text in term.references:
                if not into_pseudonym and text != INDEX and _restricted(parse_reference(text, tm.label)):
                    tag = parse_reference(text, tm.label).steps[-1]
                    raise MappingError(
                        f"the DICOM reference {text!r} ({describe(tag)}) may only be the ffn:value of "
                        "ffn:pseudonym: its raw value must never reach the output",
                        Location(element=term.origin or f"triples map {tm.label}", field=text),
                        hint="wrap it: function ffn:pseudonym with [ffn:value, $(PatientID)]",
                    )
        for sub in (term.datatype_map, term.language_map):
            if sub is not None:
                visit(sub, False)

    from fairify.engine.engine import _term_maps

    for term, _ in _term_maps(tm):
        visit(term, False)


def resolve_source_path(path: str, base_dir: Path) -> Path:
    """A folder (searched recursively), a DICOMDIR or one file, relative to the mapping."""
    if "://" in path and not path.startswith("file://"):
        raise SourceError(f"fairify reads local files only, not {path}", Location(file=path))
    p = Path(path.removeprefix("file://")).expanduser()
    p = (p if p.is_absolute() else Path(base_dir) / p).resolve()
    if not p.exists():
        raise SourceError(f"DICOM source not found: {p}", Location(file=str(p)))
    return p


class DicomReader(ReaderBase):
    """Records (instances or sequence items) of a DICOM archive, one column per reference."""

    def __init__(
        self,
        source: LogicalSource,
        references: Sequence[str],
        *,
        path: Path,
        chunk_rows: int,
        secret: bytes | None,
    ) -> None:
        self.location = str(path)
        self.path = path
        self.chunk_rows = chunk_rows
        self.problems: list[FileProblem] = []
        try:
            profile = Profile.from_options(dict(source.options))
        except UsageError as exc:
            raise MappingError(exc.message, Location(file=self.location), hint=exc.hint) from None
        self.policy = Policy(profile)
        if secret is None:
            raise UsageError(
                "a DICOM source remaps UIDs and pseudonymises, but no site secret is set", hint=HOW_TO
            )
        self.ctx = Context(secret, self.policy, root=path if path.is_dir() else path.parent)
        self.refs = [parse_reference(r, self.location) for r in unique(references)]
        self.iterator = self._iterator(source.iterator)
        for ref in self.refs:
            self._check(ref)

    def _iterator(self, text: str | None) -> tuple[int, ...]:
        if text in (None, "", "$", "/"):
            return ()
        ref = parse_reference(text, self.location)  # type: ignore[arg-type]
        for tag in ref.steps:
            if (entry(tag) or ("",))[0] != "SQ":
                raise MappingError(
                    f"the iterator {text!r} must name a sequence", Location(file=self.location)
                )
            self._allowed(tag, text)  # type: ignore[arg-type]
        return ref.steps

    def _check(self, ref: Ref) -> None:
        for i, tag in enumerate(ref.steps):
            last = i == len(ref.steps) - 1
            if last and tag in PSEUDONYMISABLE:
                continue
            self._allowed(tag, ref.text)

    def _allowed(self, tag: int, text: str) -> None:
        rule, _ = self.policy.decide(tag)
        if rule is Rule.DROP or rule is Rule.PATIENT_ID:
            raise MappingError(
                f"the mapping uses {text!r}, which the de-identification removes: {self.policy.why_not(tag)}",
                Location(file=self.location, field=text, tag=describe(tag)),
                hint="only attributes the PS3.15 Annex E profile keeps can be mapped (PatientID: through ffn:pseudonym)",
            )

    # -- records -------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Chunk]:
        rows: list[list[tuple[str, str | None]]] = []
        first = 1
        for file in iter_files(self.path):
            try:
                header = read_header(file)
                graph = HeaderGraph(self.ctx, Batch(), header, self.problems)
                graph.prepare()
            except Skip as exc:
                if not exc.directory:
                    self.problems.append(FileProblem(str(file), exc.reason))
                continue
            self.problems += [FileProblem(str(file), n, skipped=False) for n in header.notes]
            root = header.elements
            for index, record in self._records(graph, root):
                rows.append(self._row(graph, root, record, index))
                if len(rows) >= self.chunk_rows:
                    yield self._chunk(rows, first)
                    first += len(rows)
                    rows = []
        if rows:
            yield self._chunk(rows, first)

    def _records(self, graph: HeaderGraph, root: dict[int, Any]) -> Iterator[tuple[int, dict[int, Any]]]:
        level: list[tuple[int, dict[int, Any]]] = [(1, root)]
        for tag in self.iterator:
            nxt = []
            for _, ds in level:
                nxt += list(enumerate(self._items(graph, ds, tag), start=1))
            level = nxt
        yield from level

    def _items(self, graph: HeaderGraph, ds: dict[int, Any], tag: int) -> list[dict[int, Any]]:
        elem = ds.get(tag)
        if elem is None:
            return []
        raw = elem.value
        try:
            if raw is None:
                with open(graph.path, "rb") as f:
                    f.seek(elem.value_tell)
                    raw = f.read(elem.length)
            if isinstance(raw, bytes):
                items = parse_items(raw, graph.implicit, elem.is_little_endian, _vr)
                return [{e.tag: e for e in item} for item in items]
            return [{e.tag + 0: e for e in item._dict.values()} for item in raw]
        except (BadValue, OSError) as exc:
            graph._warn(f"sequence cannot be read ({exc}); left out", tag)
            return []

    def _row(
        self, graph: HeaderGraph, root: dict[int, Any], record: dict[int, Any], index: int
    ) -> list[tuple[str, str | None]] | Any:
        out = []
        for ref in self.refs:
            if ref.text == INDEX:
                out.append([(str(index), "http://www.w3.org/2001/XMLSchema#integer")])
                continue
            level = [root if ref.absolute else record]
            for tag in ref.steps[:-1]:
                level = [item for ds in level for item in self._items(graph, ds, tag)]
            values: list[tuple[str, str | None]] = []
            for ds in level:
                elem = ds.get(ref.steps[-1])
                if elem is not None:
                    values += graph.field_values(elem)
            out.append(values)
        return out

    def _chunk(self, rows: list[Any], first: int) -> Chunk:
        columns, datatypes = {}, {}
        for i, ref in enumerate(self.refs):
            vals = [[v for v, _ in r[i]] for r in rows]
            dts = [[d for _, d in r[i]] for r in rows]
            col, dt = multi_valued_columns(vals, dts)
            columns[ref.text] = col
            if dt is not None:
                datatypes[ref.text] = dt
        return Chunk(columns=columns, datatypes=datatypes, rows=row_numbers(first, len(rows)))


def _vr(tag: int) -> str | None:
    info = entry(tag)
    return info[0] if info else None
