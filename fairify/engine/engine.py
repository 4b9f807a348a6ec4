"""Execute a mapping: source chunks -> term columns -> N-Quads lines -> sink.

The engine knows only the internal model. Triples maps that share a logical source are run
over one read of it; each chunk becomes, per statement, aligned columns of subject, predicate,
object and graph terms, joined into lines with one Arrow call. Referencing object maps with
join conditions read the parent's source once into a key -> subject table and join per chunk.
"""

from __future__ import annotations

import functools
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fairify.engine import functions as fn
from fairify.engine import terms as T
from fairify.engine.columns import expand, is_list, regroup
from fairify.engine.datatypes import describe, invalid_mask
from fairify.errors import DataError, FairifyError, Location, MappingError, UsageError
from fairify.mapping.langtag import PATTERN as LANG_PATTERN
from fairify.mapping.model import (
    DEFAULT_GRAPH,
    RDF,
    Constant,
    Formulation,
    FunctionCall,
    LogicalSource,
    Mapping,
    Reference,
    RefObjectMap,
    Template,
    TermMap,
    TermType,
    TriplesMap,
)
from fairify.provenance import PROVENANCE_GRAPH
from fairify.sources import Chunk, open_source

ON_ERROR = ("report", "skip-row", "fail")
PROV_DERIVED = "<http://www.w3.org/ns/prov#wasDerivedFrom>"
RDF_TYPE = f"<{RDF}type>"
DEFAULT_GRAPH_TERM = f"<{DEFAULT_GRAPH}>"
MAX_EXAMPLES = 20
PROV_SUFFIX = f" <{PROVENANCE_GRAPH}> .\n"
RML_CORE_DEFAULT_BASE = "http://example.org/"
LEGACY_DIALECTS = ("legacy-rml", "yarrrml")  # read as RMLMapper reads them (see ``Engine._natural``)
EMIT_ROWS = 16_384  # lines joined and written at a time (a few MB: stays in the CPU cache)

Scalar = str
Col = pa.Array | Scalar | None  # a column, a value shared by every record, or nothing


@dataclass
class _Lazy:
    """An object term column not joined yet: constant texts and single-valued value columns.

    ``_emit`` joins these pieces straight into the statement's lines, which saves a pass over
    the data (and an intermediate array) per object map.
    """

    parts: list[str | pa.Array]


Term = Col | _Lazy


def _materialize(term: Term) -> Col:
    if isinstance(term, _Lazy):
        return pc.binary_join_element_wise(*term.parts, "")
    return term


class Sink(Protocol):
    allows_named_graphs: bool

    def write(self, lines: pa.Array) -> None: ...


@dataclass
class Options:
    base_iri: str | None = None
    secret: bytes | None = None
    on_error: str = "report"
    database: str | None = None
    chunk_rows: int = 100_000
    row_provenance: bool = True


@dataclass
class IssueSummary:
    """Data problems of one kind (message + column), counted, with the first rows as examples."""

    message: str
    file: str
    field: str | None
    count: int = 0
    examples: list[tuple[int, str | None]] = field(default_factory=list)

    def __str__(self) -> str:
        rows = ", ".join(f"row {r}" + (f" ({v!r})" if v is not None else "") for r, v in self.examples[:5])
        more = f" and {self.count - 5} more" if self.count > 5 else ""
        col = f", column '{self.field}'" if self.field else ""
        return f"{self.file}{col}: {self.message}: {rows}{more}"


@dataclass
class RunStats:
    records: dict[str, int] = field(default_factory=dict)  # per source location
    quads: int = 0
    provenance_quads: int = 0
    issues: dict[tuple[str, str, str | None], IssueSummary] = field(default_factory=dict)

    @property
    def issue_count(self) -> int:
        return sum(i.count for i in self.issues.values())


@dataclass
class _ChunkIssues:
    """Problems found while building one chunk's terms, by record index within the chunk."""

    bad_records: list[np.ndarray] = field(default_factory=list)


class Engine:
    def __init__(
        self,
        mapping: Mapping,
        options: Options | None = None,
        *,
        progress: Callable[[str, int], None] | None = None,
    ):
        self.mapping = mapping
        self.options = options or Options()
        if self.options.on_error not in ON_ERROR:
            raise UsageError(
                f"--on-error must be one of {', '.join(ON_ERROR)}, not {self.options.on_error!r}"
            )
        self.mapping_dir = Path(mapping.path).resolve().parent if mapping.path else Path.cwd()
        self.ctx = fn.Context(self.mapping_dir, self.options.secret)
        self.progress = progress
        self._functions: dict[int, fn.Impl] = {}
        self._prefix: dict[str, str] = {}
        self._parent_tables: dict[tuple, pa.Table] = {}
        self.stats = RunStats()
        self._prepare()

    # -- checks before any data is read --------------------------------------------------------------
    def _prepare(self) -> None:
        for tm in self.mapping.triples_maps.values():
            for term_map, origin in _term_maps(tm):
                self._prepare_functions(term_map, origin or tm.label)
            self._prefix[tm.id] = "b" + hashlib.blake2b(tm.id.encode(), digest_size=4).hexdigest() + "_"
            if tm.source.formulation is Formulation.DICOM:  # raw identifiers only into ffn:pseudonym
                from fairify.dicom.source import check_triples_map

                check_triples_map(tm)
            no_db = tm.source.database is None and self.options.database is None
            if tm.source.path is None and no_db and (tm.source.table or tm.source.query):
                raise UsageError(
                    f"triples map {tm.label} reads a SQL {('table' if tm.source.table else 'query')} "
                    "but no database is given",
                    hint="pass --db with a SQLAlchemy URL, e.g. sqlite:///exports.db",
                )

    def _prepare_functions(self, tm: TermMap, origin: str) -> None:
        e = tm.expression
        if isinstance(e, FunctionCall):
            self._functions[id(e)] = fn.prepare(e, self.ctx, origin)
            for _, arg in e.inputs:
                self._prepare_functions(arg, origin)
        for sub in (tm.datatype_map, tm.language_map):
            if sub is not None:
                self._prepare_functions(sub, origin)

    def uses_named_graphs(self) -> bool:
        for tm in self.mapping.triples_maps.values():
            graphs = list(tm.subject.graphs) + [g for pom in tm.predicate_objects for g in pom.graphs]
            for g in graphs:
                if not (isinstance(g.expression, Constant) and g.expression.value == DEFAULT_GRAPH):
                    return True
        return False

    # -- running ---------------------------------------------------------------------------------------
    def run(self, sink: Sink, provenance: Sink | None = None) -> RunStats:
        if not sink.allows_named_graphs and self.uses_named_graphs():
            raise UsageError(
                "the mapping writes named graphs, which this output format cannot hold",
                hint="use .nq or .trig",
            )
        groups: dict[LogicalSource, list[TriplesMap]] = defaultdict(list)
        for tm in self.mapping.triples_maps.values():
            groups[tm.source].append(tm)
        # Every source is opened (each checks the references it must give) and every join's parent
        # read before the first line is written: a missing column, a bad query or an unreadable
        # source stops the run with nothing written, naming the triples map that needs it.
        readers: list[tuple[Any, list[TriplesMap]]] = []
        try:
            for source, tms in groups.items():
                readers.append((self._open(source, _references(tms), tms), tms))
            self._read_parents()
            for reader, tms in readers:
                try:
                    for chunk in self._read(reader, tms):
                        self._chunk(tms, chunk, reader.location, sink, provenance)
                        self.stats.records[reader.location] = (
                            self.stats.records.get(reader.location, 0) + chunk.num_rows
                        )
                        if self.progress:
                            self.progress(reader.location, chunk.num_rows)
                finally:
                    reader.close()
                self.stats.records.setdefault(reader.location, 0)
                for problem in getattr(reader, "problems", ()):  # files a DICOM source could not (fully) read
                    self._file_problem(problem)
        finally:
            for reader, _ in readers:
                reader.close()
        return self.stats

    def _read_parents(self) -> None:
        for tm in self.mapping.triples_maps.values():
            for pom in tm.predicate_objects:
                for om in pom.objects:
                    if isinstance(om, RefObjectMap) and om.joins and om.parent in self.mapping.triples_maps:
                        self._parent_table(self.mapping.triples_maps[om.parent], om)

    def _open(self, source: LogicalSource, refs: list[str], tms: TriplesMap | list[TriplesMap]):
        tms = tms if isinstance(tms, list) else [tms]
        try:
            return open_source(
                source,
                refs,
                base_dir=self.mapping_dir,
                database=self.options.database,
                chunk_rows=self.options.chunk_rows,
                secret=self.options.secret,
            )
        except FairifyError as exc:
            # Name the triples map that uses the missing reference (the first, if none is known).
            missing = exc.location.field
            users = [tm for tm in tms if missing in _references([tm])] or tms
            raise self._blame(exc, users[0]) from None

    def _read(self, reader: Any, tms: list[TriplesMap]) -> Iterator[Chunk]:
        """The reader's chunks; then what a JSON source can tell only once it is all read.

        A reference that selects a JSON array or object (not values) is an error in RML-Core (its
        RMLTC0025b); a reference that matches nothing in any record is one in legacy RML (the
        legacy suite's RMLTC0002c), while RML-Core reads it as no value (JSON keys are optional).
        Raised before the run commits anything: outputs are renamed into place only on success.
        """
        records = 0
        try:
            for chunk in reader:
                records += chunk.num_rows
                yield chunk
        except FairifyError as exc:
            raise self._blame(exc, tms[0]) from None
        errors: list[FairifyError] = []
        if self.mapping.dialect == "rml" and hasattr(reader, "structured_references"):
            errors += reader.structured_references()
        if records and self.mapping.dialect == "legacy-rml" and hasattr(reader, "unmatched_references"):
            errors += reader.unmatched_references()
        if errors:
            users = [tm for tm in tms if errors[0].location.field in _references([tm])] or tms
            raise self._blame(errors[0], users[0])

    def _blame(self, exc: FairifyError, tm: TriplesMap) -> FairifyError:
        """The error, naming the mapping file and the triples map (beside the source it names)."""
        loc = exc.location
        if loc.element is None:
            named = tm.origin is not None and tm.origin.startswith("triples map")
            owner = tm.origin if named and tm.name is None else f"triples map {tm.label}"
            if self.mapping.path and loc.file != self.mapping.path:
                owner += f" in {self.mapping.path}" if loc.file else ""
            loc = Location(**{**loc.__dict__, "element": owner})
        if loc.file is None and self.mapping.path:
            loc = Location(**{**loc.__dict__, "file": self.mapping.path})
        exc.location = loc
        return exc

    def _chunk(self, tms: list[TriplesMap], chunk: Chunk, where: str, sink: Sink, prov: Sink | None) -> None:
        n = chunk.num_rows
        issues = _ChunkIssues()
        statements: list[tuple[pa.Array | None, list[Term]]] = []
        prov_statements: list[tuple[pa.Array | None, list[Term]]] = []
        state = _State(chunk, where, issues)
        for tm in tms:
            subject = self.terms(tm.subject.term, tm, state)
            if subject is None:
                continue
            sgraphs = [self.terms(g, tm, state) for g in tm.subject.graphs]
            for cls in tm.subject.classes:
                for suffix in _suffixes(sgraphs):
                    statements.append((None, [subject, RDF_TYPE, f"<{cls}>", suffix]))
            for pom in tm.predicate_objects:
                graphs = sgraphs + [self.terms(g, tm, state) for g in pom.graphs]
                preds = [self.terms(p, tm, state) for p in pom.predicates]
                for om in pom.objects:
                    if isinstance(om, RefObjectMap):
                        rec, obj = self.ref_object(om, tm, state)
                    else:
                        rec, obj = None, self.terms(om, tm, state, lazy=True)
                    if obj is None:
                        continue
                    for p in preds:
                        for suffix in _suffixes(graphs):
                            statements.append((rec, [subject, p, obj, suffix]))
            if prov is not None and self.options.row_provenance:
                prov_statements.append((None, [subject, PROV_DERIVED, _row_iris(chunk, where), PROV_SUFFIX]))
        keep = None
        if issues.bad_records and self.options.on_error == "skip-row":
            keep = np.ones(n, dtype=bool)
            for bad in issues.bad_records:
                keep[bad] = False
        self.stats.quads += _emit(statements, n, keep, sink)
        if prov is not None:
            self.stats.provenance_quads += _emit(prov_statements, n, keep, prov)

    # -- term maps ---------------------------------------------------------------------------------------
    def values(
        self, tm: TermMap, owner: TriplesMap, state: _State, *, encode: str | None = None
    ) -> tuple[Col, Any]:
        """Lexical values of a term map's expression, with natural datatypes where the source has them."""
        e = tm.expression
        chunk = state.chunk
        if isinstance(e, Constant):
            return e.value, None
        if isinstance(e, Reference):
            col = chunk.columns[e.reference]
            if encode:
                col = _map_values(col, lambda a: T.encode_iri_values(a, iri=encode == "iri"))
            return col, chunk.datatypes.get(e.reference) if self._natural(owner.source) else None
        if isinstance(e, Template):
            return _concat(_template_parts(e, chunk, encode), chunk.num_rows), None
        if isinstance(e, FunctionCall):
            return self._call(e, owner, state), None
        raise AssertionError(e)

    def _natural(self, source: LogicalSource) -> bool:
        """Whether a reference gives its natural RDF literal (``"33"^^xsd:integer`` for a JSON 33).

        RML-Core and R2RML type values by their source's natural datatype; legacy RML and YARRRML
        (as RMLMapper runs them, and as the legacy test suite expects) give JSON values as plain
        literals.
        """
        return not (self.mapping.dialect in LEGACY_DIALECTS and source.formulation is Formulation.JSONPATH)

    def _call(self, call: FunctionCall, owner: TriplesMap, state: _State) -> Col:
        n = state.chunk.num_rows
        names = [p for p, _ in call.inputs]
        cols = []
        for _, arg in call.inputs:
            v, _ = self.values(arg, owner, state)
            cols.append(T.repeat(v, n) if isinstance(v, str) or v is None else v)
        rec, flat = expand(cols, n)
        result = self._functions[id(call)](dict(zip(names, flat, strict=True)))
        if result.bad is not None:
            value_col = (
                flat[names.index(fn.FAIRIFY_FN + "value")] if fn.FAIRIFY_FN + "value" in names else None
            )
            field_name = _reference_name(call)
            self._report(
                state,
                result.bad,
                rec,
                result.problem,
                field_name,
                value_col,
                origin=f"triples map {owner.label}",
            )
        out = result.values
        return out if rec is None else regroup(rec, out, n)

    def terms(self, tm: TermMap, owner: TriplesMap, state: _State, *, lazy: bool = False) -> Term:
        """The RDF terms (N-Triples syntax) a term map gives for each record of the chunk.

        ``lazy=True`` (object maps, whose terms go into lines only) may give the unjoined pieces.
        """
        e = tm.expression
        tt = tm.term_type
        if isinstance(e, Constant):
            if e.kind == "blank" and not e.value:  # rml:BlankNode with no expression: one per record
                rows = pc.cast(state.chunk.rows, pa.string())
                return pc.binary_join_element_wise("_:", self._prefix[owner.id], "r", rows, "")
            return self._constant_term(e, tm, owner)
        if tt.is_iri:
            encode = None
            if isinstance(e, Template):
                encode = {TermType.IRI: "iri", TermType.URI: "uri"}.get(tt)
                if encode and _valid_by_construction(e):
                    # Encoded values hold no character an IRI forbids and the template starts
                    # with a scheme: every term is valid as built, so build it in one join.
                    parts = ["<", *_template_parts(e, state.chunk, encode), ">"]
                    if lazy and not any(is_list(p) for p in parts if not isinstance(p, str)):
                        return _Lazy(_merge_constants(parts))
                    return _concat(parts, state.chunk.num_rows)
            vals, _ = self.values(tm, owner, state, encode=encode)
            return _map_values(vals, lambda a: self._iris(a, tm, owner, state))
        if tt is TermType.BLANK_NODE:
            vals, _ = self.values(tm, owner, state)
            if isinstance(e, Constant) or vals is None:
                return vals
            # Same value, same blank node, across the whole mapping (as the RML test cases expect).
            return _map_values(vals, lambda a: T.blank_terms(a, "b"))
        vals, natural = self.values(tm, owner, state)
        return self._literals(vals, natural, tm, owner, state, lazy=lazy)

    def _constant_term(self, e: Constant, tm: TermMap, owner: TriplesMap) -> Scalar:
        if e.kind == "iri":
            iri = e.value
            return f"<{iri}>"
        if e.kind == "blank":
            return (
                f"_:{self._prefix[owner.id]}c{hashlib.blake2b(e.value.encode(), digest_size=6).hexdigest()}"
            )
        lex = T.escape_literal(pa.array([e.value])).to_pylist()[0]
        if tm.language:
            return f'"{lex}"@{tm.language}'
        dt = tm.datatype or e.datatype
        return f'"{lex}"^^<{dt}>' if dt else f'"{lex}"'  # xsd:string too, when the mapping says so

    def _base(self, owner: TriplesMap) -> str | None:
        """rml:baseIRI of the triples map, else the mapping's (--base-iri, else its @base).

        RML-Core gives a mapping with neither the default base ``http://example.org/``; for the
        other dialects a relative IRI without a base is an error.
        """
        base = owner.base_iri or self.mapping.base_iri or self.options.base_iri
        return base or (RML_CORE_DEFAULT_BASE if self.mapping.dialect == "rml" else None)

    def _iris(self, values: pa.Array, tm: TermMap, owner: TriplesMap, state: _State) -> pa.Array:
        relative = pc.invert(T.absolute_mask(values))
        if pc.any(relative).as_py():
            base = self._base(owner)
            if base is None:
                first = values.filter(relative)[0].as_py()
                raise MappingError(
                    f"the {_role(tm)} gives the relative IRI {first!r} and no base IRI is declared",
                    Location(file=self.mapping.path, element=tm.origin or owner.label),
                    hint="declare @base in the mapping or pass --base-iri",
                )
            values = pc.if_else(relative, pc.binary_join_element_wise(base, values, ""), values)
        bad = T.invalid_iri_mask(values)
        if tm.term_type in (TermType.URI, TermType.UNSAFE_URI):  # a URI is ASCII (RFC 3986)
            bad = pc.or_(bad, pc.invert(pc.fill_null(pc.string_is_ascii(values), True)))
        if pc.any(bad).as_py():
            self._report(
                state, bad, None, f"not a valid IRI for the {_role(tm)}", _field(tm), values, origin=tm.origin
            )
            values = pc.if_else(bad, pa.scalar(None, pa.string()), values)
        return T.iri_terms(values)

    def _literals(
        self, vals: Col, natural: Any, tm: TermMap, owner: TriplesMap, state: _State, *, lazy: bool = False
    ) -> Term:
        n = state.chunk.num_rows
        if isinstance(vals, str):
            vals = T.repeat(vals, n)
        language: Any = tm.language
        datatype: Any = tm.datatype
        if tm.language_map is not None:
            lang_vals, _ = self.values(tm.language_map, owner, state)
            language = T.repeat(lang_vals, n) if isinstance(lang_vals, str) else lang_vals
            bad = pc.invert(pc.fill_null(pc.match_substring_regex(language, LANG_PATTERN), True))
            if pc.any(bad).as_py():
                self._report(
                    state,
                    bad,
                    None,
                    "not a valid language tag",
                    _field(tm.language_map),
                    language,
                    origin=tm.origin,
                )
                language = pc.if_else(bad, pa.scalar(None, pa.string()), language)
                vals = pc.if_else(bad, pa.scalar(None, pa.string()), vals)
        elif tm.datatype_map is not None:
            # A datatype map is an IRI term map: relative IRIs are resolved against the base, and
            # a record whose datatype is missing or invalid gets no literal.
            dt_terms = _materialize(self.terms(tm.datatype_map, owner, state))
            if isinstance(dt_terms, str):
                datatype = dt_terms[1:-1]
            elif dt_terms is not None and not is_list(dt_terms):
                datatype = pc.utf8_slice_codeunits(dt_terms, 1, -1)
                vals = pc.if_else(pc.is_null(datatype), pa.scalar(None, pa.string()), vals)
        elif datatype is None and natural is not None:
            datatype = natural
        if isinstance(datatype, str) and tm.datatype is not None and not is_list(vals):
            bad = invalid_mask(vals, datatype)
            if bad is not None and pc.any(bad).as_py():
                self._report(
                    state, bad, None, f"not a valid {describe(datatype)}", _field(tm), vals, origin=tm.origin
                )
        if is_list(vals):
            return _map_values(
                vals, lambda a: T.literal_terms(a, datatype=datatype if isinstance(datatype, str) else None)
            )
        if lazy and language is None and (datatype is None or isinstance(datatype, str)):
            return _Lazy(T.literal_parts(vals, datatype))
        return T.literal_terms(vals, datatype=datatype, language=language)

    # -- referencing object maps -----------------------------------------------------------------------
    def ref_object(self, om: RefObjectMap, owner: TriplesMap, state: _State) -> tuple[pa.Array | None, Col]:
        parent = self.mapping.triples_maps[om.parent]
        if not om.joins:
            return None, self.terms(parent.subject.term, parent, state)
        table = self._parent_table(parent, om)
        n = state.chunk.num_rows
        keys: list[pa.Array] = []
        for j in om.joins:
            v, _ = self.values(j.child, owner, state)
            keys.append(T.repeat(v, n) if isinstance(v, str) else v)
        rec, flat = expand(keys, n)
        rec = pa.array(np.arange(n, dtype=np.int64)) if rec is None else rec
        child = pa.table({**{f"k{i}": k for i, k in enumerate(flat)}, "__rec": rec})
        joined = child.join(table, [f"k{i}" for i in range(len(flat))], join_type="inner", use_threads=False)
        joined = joined.sort_by("__rec")
        return joined.column("__rec").combine_chunks(), joined.column("__subject").combine_chunks()

    def _parent_table(self, parent: TriplesMap, om: RefObjectMap) -> pa.Table:
        key = (parent.id, tuple(j.parent for j in om.joins))
        if key in self._parent_tables:
            return self._parent_tables[key]
        refs = list(
            dict.fromkeys(
                list(parent.subject.term.references) + [r for j in om.joins for r in j.parent.references]
            )
        )
        reader = self._open(parent.source, refs, parent)
        parts = []
        try:
            for chunk in self._read(reader, [parent]):
                state = _State(chunk, reader.location, _ChunkIssues())
                n = chunk.num_rows
                subj = self.terms(parent.subject.term, parent, state)
                cols: list[pa.Array] = [T.repeat(subj, n) if isinstance(subj, str) else subj]
                for j in om.joins:
                    v, _ = self.values(j.parent, parent, state)
                    cols.append(T.repeat(v, n) if isinstance(v, str) else v)
                _, flat = expand(cols, n)
                tbl = pa.table({"__subject": flat[0], **{f"k{i}": c for i, c in enumerate(flat[1:])}})
                parts.append(
                    tbl.filter(pc.is_valid(tbl.column("__subject")))
                    .group_by(tbl.column_names[::-1])
                    .aggregate([])
                )
        finally:
            reader.close()
        empty = {
            "__subject": pa.array([], pa.string()),
            **{f"k{i}": pa.array([], pa.string()) for i in range(len(om.joins))},
        }
        table = pa.concat_tables(parts) if parts else pa.table(empty)
        table = table.group_by(table.column_names).aggregate([]) if parts else table
        self._parent_tables[key] = table
        return table

    # -- problems --------------------------------------------------------------------------------------
    def _file_problem(self, problem: Any) -> None:
        """A source's per-file problem (``fairify.dicom.walk.FileProblem``), counted like a data problem."""
        message = ("skipped: " if problem.skipped else "") + problem.reason
        key = (message, problem.path, problem.tag)
        summary = self.stats.issues.get(key)
        if summary is None:
            summary = self.stats.issues[key] = IssueSummary(message, problem.path, problem.tag)
        summary.count += 1

    def _report(
        self,
        state: _State,
        bad: pa.Array,
        rec: pa.Array | None,
        message: str,
        field_name: str | None,
        values: pa.Array | None,
        *,
        origin: str | None = None,
    ) -> None:
        """Count (or, with on_error='fail', raise) the records ``bad`` marks; ``origin`` names the term map."""
        mask = pc.fill_null(bad, False)
        idx = np.flatnonzero(mask.to_numpy(zero_copy_only=False))
        if len(idx) == 0:
            return
        records = idx if rec is None else rec.to_numpy(zero_copy_only=False)[idx]
        rows = state.chunk.rows.to_numpy(zero_copy_only=False)[records]
        examples = (
            values.take(pa.array(idx[:MAX_EXAMPLES])).to_pylist() if values is not None else [None] * len(idx)
        )
        if self.options.on_error == "fail":
            v = examples[0]
            where = f"{origin} in {self.mapping.path}" if origin and self.mapping.path else origin
            raise DataError(
                message + (f": {v!r}" if v is not None else ""),
                Location(file=state.where, row=int(rows[0]), field=field_name, element=where),
            )
        key = (message, state.where, field_name)
        summary = self.stats.issues.get(key)
        if summary is None:
            summary = self.stats.issues[key] = IssueSummary(message, state.where, field_name)
        summary.count += len(idx)
        for r, v in zip(rows[:MAX_EXAMPLES], examples, strict=False):
            if len(summary.examples) < MAX_EXAMPLES:
                summary.examples.append((int(r), v))
        state.issues.bad_records.append(np.asarray(records))


@dataclass
class _State:
    chunk: Chunk
    where: str
    issues: _ChunkIssues


def _term_maps(tm: TriplesMap, *, parents: bool = True) -> Iterator[tuple[TermMap, str | None]]:
    """Every term map of ``tm``; ``parents=False`` leaves out join parents (read from the parent's source)."""
    yield tm.subject.term, tm.subject.term.origin
    for g in tm.subject.graphs:
        yield g, g.origin
    for pom in tm.predicate_objects:
        for t in (*pom.predicates, *pom.graphs):
            yield t, t.origin
        for om in pom.objects:
            if isinstance(om, RefObjectMap):
                for j in om.joins:
                    yield j.child, om.origin
                    if parents:
                        yield j.parent, om.origin
            else:
                yield om, om.origin


def _references(tms: list[TriplesMap]) -> list[str]:
    refs: list[str] = []
    for tm in tms:
        for t, _ in _term_maps(tm, parents=False):
            refs.extend(t.references)
    return list(dict.fromkeys(refs))


def _reference_name(call: FunctionCall) -> str | None:
    for _, arg in call.inputs:
        if isinstance(arg.expression, Reference):
            return arg.expression.reference
    return None


def _field(tm: TermMap) -> str | None:
    refs = tm.references
    return refs[0] if len(refs) == 1 else None


def _role(tm: TermMap) -> str:
    origin = tm.origin or ""
    for role in ("subject map", "predicate map", "object map", "graph map"):
        if role in origin:
            return role
    return "term map"


def _map_values(col: Col, f: Callable[[pa.Array], pa.Array]) -> Col:
    """Apply a column function to single values or to the flattened values of a list column."""
    if col is None or isinstance(col, str):
        return col if col is None else f(pa.array([col])).to_pylist()[0]
    if is_list(col):
        flat = col.flatten()
        offsets = col.offsets
        return pa.ListArray.from_arrays(offsets, f(flat), mask=col.is_null())
    return f(col)


def _template_parts(e: Template, chunk: Chunk, encode: str | None) -> list[Col]:
    """A template's constant texts and (percent-encoded, if asked) value columns, in order."""
    parts: list[Col] = []
    for part in e.parts:
        if not part.is_reference:
            parts.append(part.text)
            continue
        col = chunk.columns[part.text]
        if encode:
            col = _map_values(col, lambda a: T.encode_iri_values(a, iri=encode == "iri"))
        parts.append(col)
    return parts


@functools.lru_cache(maxsize=1024)
def _valid_by_construction(e: Template) -> bool:
    """True when an encoded template cannot give an invalid IRI: it starts with a scheme, and
    none of its constant parts holds a character N-Triples forbids in an IRI."""
    if not e.parts or e.parts[0].is_reference or not T.is_absolute(e.parts[0].text):
        return False
    return not any(T.has_bad_iri_char(p.text) for p in e.parts if not p.is_reference)


def _merge_constants(parts: list[Col]) -> list[Col]:
    """Adjacent constant texts as one: fewer arguments, so less work per row in a join."""
    out: list[Col] = []
    for p in parts:
        if isinstance(p, str) and out and isinstance(out[-1], str):
            out[-1] += p
        else:
            out.append(p)
    return out


def _concat(parts: list[Col], n: int) -> Col:
    if all(isinstance(p, str) for p in parts):
        return "".join(p for p in parts if isinstance(p, str))
    cols = [p for p in parts if not isinstance(p, str)]
    rec, flat = expand(cols, n)
    it = iter(flat)
    args = _merge_constants([p if isinstance(p, str) else next(it) for p in parts])
    out = pc.binary_join_element_wise(*args, "")
    return out if rec is None else regroup(rec, out, n)


def _suffixes(graphs: list[Col]) -> list[Col]:
    """The line endings for a statement: ``' .\\n'`` for the default graph, ``' <g> .\\n'`` else."""
    if not graphs:
        return [" .\n"]
    out: list[Col] = []
    for g in graphs:
        if g is None:
            continue
        if isinstance(g, str):
            out.append(" .\n" if g == DEFAULT_GRAPH_TERM else f" {g} .\n")
        else:
            out.append(_map_values(g, _graph_suffix))
    return list(dict.fromkeys(out)) if all(isinstance(o, str) for o in out) else out


def _graph_suffix(g: pa.Array) -> pa.Array:
    named = pc.binary_join_element_wise(" ", g, " .\n", "")
    return pc.if_else(pc.equal(g, DEFAULT_GRAPH_TERM), " .\n", named)


def _row_iris(chunk: Chunk, where: str) -> _Lazy:
    """``<file:///…/clinical.csv#row=N>`` per record, left unjoined for ``_emit`` (one pass)."""
    uri = Path(where).resolve().as_uri() if "://" not in where else where
    return _Lazy([f"<{uri}#row=", pc.cast(chunk.rows, pa.string()), ">"])


def _emit(
    statements: list[tuple[pa.Array | None, list[Term]]], n: int, keep: np.ndarray | None, sink: Sink
) -> int:
    """Join each statement's pieces into N-Triples/N-Quads lines and write them.

    Lines are joined and written a slice of records at a time, every statement for one slice
    before the next slice: the slice's values and lines stay in the CPU cache until they are
    copied to the file, which at 100k-record chunks more than halves the time.
    """
    prepared: list[tuple[list[Col], pa.Array | None, int]] = []
    for rec, comps in statements:
        if any(c is None for c in comps):
            continue
        cols = comps
        if rec is not None:
            # A joined object (index 2) is already one term per joined row; the record's own
            # terms are taken once per joined row with it.
            idx = rec
            cols = [
                c if isinstance(c, str) or i == 2 else _materialize(c).take(idx) for i, c in enumerate(comps)
            ]
            records = rec.to_numpy(zero_copy_only=False)
        else:
            records = None
        s, p, o, suffix = cols
        # Subject, predicate, object and ending as the pieces of one join (a lazy object's own
        # pieces included), so each line is assembled in a single pass.
        pieces = _merge_constants([s, " ", p, " ", *(o.parts if isinstance(o, _Lazy) else [o]), suffix])
        arrays = [c for c in pieces if not isinstance(c, str)]
        if arrays:
            m = len(arrays[0])
            expanded, flat = expand(arrays, m)
            it = iter(flat)
            args: list[Col] = [c if isinstance(c, str) else next(it) for c in pieces]
            total = len(flat[0])
        else:
            m = total = n
            expanded, args = None, [T.repeat("".join(p for p in pieces if isinstance(p, str)), n)]
        mask = None
        if keep is not None:
            base = np.arange(m) if records is None else records
            rows = base if expanded is None else base[expanded.to_numpy(zero_copy_only=False)]
            mask = pa.array(keep[rows])
        prepared.append((args, mask, total))
    written = 0
    longest = max((total for _, _, total in prepared), default=0)
    for start in range(0, longest, EMIT_ROWS):
        for args, mask, total in prepared:
            if start >= total:
                continue
            part = [a if isinstance(a, str) else a.slice(start, EMIT_ROWS) for a in args]
            lines = part[0] if len(part) == 1 else pc.binary_join_element_wise(*part, "")
            if mask is not None:
                lines = lines.filter(mask.slice(start, EMIT_ROWS))
            sink.write(lines)
            written += len(lines) - lines.null_count
    return written
