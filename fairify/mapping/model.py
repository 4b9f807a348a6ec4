"""The one internal mapping model.

Every dialect (RML in the ``http://w3id.org/rml/`` namespace, legacy RML, R2RML, YARRRML) is read
into these classes; the engine, the validator and the RML writer know nothing else. The model
follows RML-Core's vocabulary: a mapping is a set of triples maps, each with a logical source, a
subject map and predicate-object maps; every term-producing thing is a ``TermMap`` whose value
comes from one ``Expression`` (constant, reference, template or function execution).

Readers fill in every default the specifications define (term types, the default graph, the base
IRI) so that two mappings that mean the same thing compare equal after ``Mapping.canonical()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

RML = "http://w3id.org/rml/"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
FAIRIFY_FN = "https://w3id.org/fairify/fn#"
DEFAULT_GRAPH = RML + "defaultGraph"


class TermType(StrEnum):
    IRI = "IRI"  # rml:IRI: IRI-safe percent-encoding of template values
    URI = "URI"  # rml:URI: URI-safe percent-encoding
    UNSAFE_IRI = "UnsafeIRI"  # rml:UnsafeIRI: values inserted as they are
    UNSAFE_URI = "UnsafeURI"  # rml:UnsafeURI: values inserted as they are; the result must be a URI
    BLANK_NODE = "BlankNode"
    LITERAL = "Literal"

    @property
    def is_iri(self) -> bool:
        return self in (TermType.IRI, TermType.URI, TermType.UNSAFE_IRI, TermType.UNSAFE_URI)


class Formulation(StrEnum):
    """Reference formulations: how a reference picks values out of a record."""

    CSV = "CSV"
    JSONPATH = "JSONPath"
    XPATH = "XPath"
    SQL = "SQL"  # a table or query of a relational database (rml:SQL2008Table / Query, R2RML)
    TABLE = "Table"  # columnar files read by column name: Parquet, Excel
    DICOM = "DICOM"  # fairify's reference formulation for DICOM headers


# ---------------------------------------------------------------------------------------------
# Expressions


@dataclass(frozen=True)
class Constant:
    """A constant RDF term. ``kind`` is 'iri', 'literal' or 'blank'."""

    value: str
    kind: str = "iri"
    datatype: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class Reference:
    reference: str


@dataclass(frozen=True)
class TemplatePart:
    """A piece of a template: literal text, or a reference to insert."""

    text: str
    is_reference: bool


@dataclass(frozen=True)
class Template:
    template: str  # the template as written (with its escapes)
    parts: tuple[TemplatePart, ...]

    @property
    def references(self) -> tuple[str, ...]:
        return tuple(p.text for p in self.parts if p.is_reference)


@dataclass(frozen=True)
class FunctionCall:
    """An RML-FNML function execution: ``function`` applied to named inputs.

    ``inputs`` pairs each parameter IRI with the term map that gives its value; ``output`` names
    the return to use (FNML's ``rml:return``), ``None`` for the default one.
    """

    function: str
    inputs: tuple[tuple[str, TermMap], ...]
    output: str | None = None


Expression = Constant | Reference | Template | FunctionCall


# ---------------------------------------------------------------------------------------------
# Term maps


@dataclass(frozen=True)
class TermMap:
    expression: Expression
    term_type: TermType
    datatype: str | None = None  # static datatype IRI
    datatype_map: TermMap | None = None  # dynamic datatype
    language: str | None = None  # static language tag
    language_map: TermMap | None = None  # dynamic language tag
    origin: str | None = field(default=None, compare=False)  # where it was written

    @property
    def references(self) -> tuple[str, ...]:
        """Every reference this term map reads, functions and dynamic maps included."""
        refs: list[str] = []
        _collect_references(self, refs)
        return tuple(dict.fromkeys(refs))


def _collect_references(tm: TermMap, out: list[str]) -> None:
    e = tm.expression
    if isinstance(e, Reference):
        out.append(e.reference)
    elif isinstance(e, Template):
        out.extend(e.references)
    elif isinstance(e, FunctionCall):
        for _, arg in e.inputs:
            _collect_references(arg, out)
    for sub in (tm.datatype_map, tm.language_map):
        if sub is not None:
            _collect_references(sub, out)


def constant_iri(iri: str) -> TermMap:
    return TermMap(Constant(iri, "iri"), TermType.IRI)


DEFAULT_GRAPH_MAP = constant_iri(DEFAULT_GRAPH)


@dataclass(frozen=True)
class Join:
    """A join condition of a referencing object map: child value equals parent value."""

    child: TermMap
    parent: TermMap


@dataclass(frozen=True)
class RefObjectMap:
    """An object that is the subject of another triples map (``rml:parentTriplesMap``)."""

    parent: str  # id of the parent triples map
    joins: tuple[Join, ...] = ()
    origin: str | None = field(default=None, compare=False)


ObjectMap = TermMap | RefObjectMap


@dataclass(frozen=True)
class PredicateObjectMap:
    predicates: tuple[TermMap, ...]
    objects: tuple[ObjectMap, ...]
    graphs: tuple[TermMap, ...] = ()
    origin: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class SubjectMap:
    term: TermMap
    classes: tuple[str, ...] = ()
    graphs: tuple[TermMap, ...] = ()


# ---------------------------------------------------------------------------------------------
# Logical sources


@dataclass(frozen=True)
class LogicalSource:
    """Where records come from and how references address them.

    ``path`` is a file path (resolved by the reader against the mapping directory), ``database``
    a SQLAlchemy URL (``None`` means the one given at run time), ``table``/``query`` select SQL
    rows. ``nulls`` are the values that count as NULL (``rml:null``); CSV has none by default.
    """

    formulation: Formulation
    path: str | None = None
    iterator: str | None = None
    database: str | None = None
    table: str | None = None
    query: str | None = None
    sql_version: str | None = None
    nulls: tuple[str, ...] = ()
    encoding: str | None = None
    compression: str | None = None
    delimiter: str | None = None
    options: tuple[tuple[str, str], ...] = ()  # other source options, e.g. ("sheet", "Sheet1")

    def describe(self) -> str:
        if self.path:
            return self.path
        if self.table:
            return f"table {self.table}"
        if self.query:
            return "SQL query"
        return self.formulation.value


# ---------------------------------------------------------------------------------------------
# Triples maps and the mapping


@dataclass(frozen=True)
class TriplesMap:
    id: str  # IRI or blank node label of the triples map, or the YARRRML mapping name
    source: LogicalSource
    subject: SubjectMap
    predicate_objects: tuple[PredicateObjectMap, ...] = ()
    base_iri: str | None = None  # rml:baseIRI of this triples map; else the mapping's
    name: str | None = field(default=None, compare=False)  # rdfs:label / YARRRML key
    origin: str | None = field(default=None, compare=False)

    @property
    def label(self) -> str:
        return self.name or self.id


@dataclass
class Mapping:
    """A whole mapping: its triples maps by id, plus what the file declared around them."""

    triples_maps: dict[str, TriplesMap]
    base_iri: str | None = None
    path: str | None = None  # the mapping file (sources are resolved against its directory)
    dialect: str = "rml"  # rml | legacy-rml | r2rml | yarrrml
    prefixes: dict[str, str] = field(default_factory=dict)

    def canonical(self) -> frozenset:
        """A form that ignores the names readers invent for triples maps and blank nodes.

        Parent references are replaced by the parent's own canonical content (one level deep,
        which is enough to tell triples maps apart in practice).
        """

        def body(tm: TriplesMap) -> tuple:
            return (tm.source, tm.subject)

        out = []
        for tm in self.triples_maps.values():
            statements = set()
            for pom in tm.predicate_objects:
                graphs = frozenset(pom.graphs)
                for om in pom.objects:
                    if isinstance(om, RefObjectMap):
                        parent = self.triples_maps.get(om.parent)
                        obj: object = ("ref", body(parent) if parent else om.parent, frozenset(om.joins))
                    else:
                        obj = om
                    statements.update((p, obj, graphs) for p in pom.predicates)
            out.append(
                (
                    tm.source,
                    tm.subject.term,
                    frozenset(tm.subject.classes),
                    frozenset(tm.subject.graphs),
                    frozenset(statements),
                )
            )
        return _multiset(out)


def _multiset(items: list) -> frozenset:
    counts: dict = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return frozenset(counts.items())
