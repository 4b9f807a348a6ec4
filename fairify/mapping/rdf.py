"""Read RML (``http://w3id.org/rml/``), legacy RML and R2RML Turtle into the internal model.

Legacy vocabularies are rewritten into the current RML namespace first (``rr:column`` becomes
``rml:reference``, ``ql:CSV`` becomes ``rml:CSV``, FnML's ``fnml:functionValue`` becomes a
function execution), so that one reader understands all three. Every default the
specifications define is made explicit, and every error they name is raised before any data
is read.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF as RDFNS
from rdflib.term import Node

from fairify.errors import Location, MappingError, UnsupportedFeatureError
from fairify.mapping.langtag import is_language_tag
from fairify.mapping.model import (
    FAIRIFY_FN,
    RML,
    Constant,
    Expression,
    Formulation,
    FunctionCall,
    Join,
    LogicalSource,
    Mapping,
    ObjectMap,
    PredicateObjectMap,
    Reference,
    RefObjectMap,
    SubjectMap,
    TermMap,
    TermType,
    TriplesMap,
)
from fairify.mapping.template import parse_template

RR = "http://www.w3.org/ns/r2rml#"
LEGACY_RML = "http://semweb.mmlab.be/ns/rml#"
QL = "http://semweb.mmlab.be/ns/ql#"
FNML = "http://semweb.mmlab.be/ns/fnml#"
FNO = "https://w3id.org/function/ontology#"
D2RQ = "http://www.wiwiss.fu-berlin.de/suhl/bizer/D2RQ/0.1#"
CSVW = "http://www.w3.org/ns/csvw#"
IDLAB_FN = "https://w3id.org/imec/idlab/function#"
GREL = "http://users.ugent.be/~bjdmeest/function/grel.ttl#"
# The functions RMLMapper (and the reference YARRRML parser) write a join condition with.
JOIN_EQUAL = IDLAB_FN + "equal"
JOIN_AND = GREL + "boolean_and"
# fairify's functions (``ffn:``) each have one output, ``ffn:output``: naming it is the default.
FAIRIFY_OUTPUT = FAIRIFY_FN + "output"
RML_STAR = ("quotedTriplesMap", "StarMap", "NonAssertedTriplesMap", "quotedNonAssertedTriplesMap")

# R2RML / legacy RML terms whose RML-Core name differs from their local name.
_RENAMES = {
    RR + "column": RML + "reference",
    RR + "logicalTable": RML + "logicalSource",
    RR + "R2RMLView": RML + "LogicalSource",
    RR + "SQL2008": RML + "SQL2008",
    QL + "CSV": RML + "CSV",
    QL + "JSONPath": RML + "JSONPath",
    QL + "XPath": RML + "XPath",
    FNML + "FunctionTermMap": RML + "ObjectMap",
}
# rr:inverseExpression is an optimisation hint a processor may ignore (R2RML §7.6): kept in the R2RML
# namespace, where the unknown-property check does not look, and not read.
_KEEP_R2RML = {"tableName", "sqlQuery", "sqlVersion", "inverseExpression"}
# SQL version identifiers: R2RML's rr:SQL2008 and the W3C list of other identifiers
# (www.w3.org/2001/sw/wiki/RDB2RDF/SQL_Version_IRIs), plus later standards; any other is an error.
SQL_VERSIONS = frozenset(
    RML + v
    for v in (
        "SQL2008", "SQL2011", "SQL2016", "Oracle", "MySQL", "MSSQLServer", "HSQLDB", "PostgreSQL", "DB2",
        "Informix", "Ingres", "Progress", "SybaseASE", "SybaseSQLAnywhere", "Virtuoso", "Firebird",
    )
)  # fmt: skip


# Properties RML-Core, RML-IO and RML-FNML define, for "did you mean" on a typo.
_KNOWN = {
    "logicalSource", "source", "referenceFormulation", "iterator", "subjectMap", "subject",
    "predicateObjectMap", "predicateMap", "predicate", "objectMap", "object", "graphMap", "graph",
    "constant", "reference", "template", "termType", "datatype", "datatypeMap", "language",
    "languageMap", "class", "parentTriplesMap", "joinCondition", "child", "parent", "childMap",
    "parentMap", "baseIRI", "functionExecution", "function", "functionMap", "input", "parameter",
    "parameterMap", "inputValue", "inputValueMap", "return", "returnMap", "null", "encoding",
    "compression", "path", "root", "query", "sqlQuery", "tableName", "sqlVersion", "namespace",
    "namespacePrefix", "namespaceURL", "logicalTarget", "target", "serialization", "strategy",
    "gather", "gatherAs", "allowEmptyListAndContainer", "cartesianProduct", "quotedTriplesMap",
    "logicalIterable", "iterable", "field", "fieldName", "parentTermMap",
}  # fmt: skip


def read_rdf_mapping(path: str | Path, base_iri: str | None = None) -> Mapping:
    """Read an RML, legacy RML or R2RML mapping file (any RDF syntax rdflib reads)."""
    path = Path(path)
    if not path.is_file():
        raise MappingError("mapping file not found", Location(file=str(path)))
    text = path.read_text(encoding="utf-8")
    fmt = _rdf_format(path)
    _check_syntax(text, fmt, path)
    graph = Graph()
    try:
        graph.parse(data=text, format=fmt, publicID=path.resolve().as_uri())
    except Exception as exc:  # rdflib raises many types; one readable line is what matters
        raise MappingError(f"not valid {fmt}: {_first_line(exc)}", Location(file=str(path))) from exc
    declared_base = _declared_base(text)
    return read_rdf_graph(graph, path=str(path), base_iri=base_iri or declared_base)


def _check_syntax(text: str, fmt: str, path: Path) -> None:
    """Refuse what the syntax forbids but rdflib reads anyway (``"\\a"`` becomes a BEL character).

    Oxigraph's parsers follow the W3C grammars to the letter; rdflib still builds the graph.
    """
    import pyoxigraph as ox

    formats = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "nquads": ox.RdfFormat.N_QUADS}
    formats["trig"] = ox.RdfFormat.TRIG
    if fmt not in formats:
        return
    try:
        for _ in ox.parse(text.encode("utf-8"), format=formats[fmt], base_iri=path.resolve().as_uri()):
            pass
    except SyntaxError as exc:
        raise MappingError(f"not valid {fmt}: {_first_line(exc)}", Location(file=str(path))) from exc


def read_rdf_graph(graph: Graph, *, path: str | None = None, base_iri: str | None = None) -> Mapping:
    dialect = _dialect(graph)
    g = _normalise(graph)
    reader = _Reader(g, path or "<mapping>", legacy=dialect != "rml")
    tms = reader.triples_maps()
    prefixes = {p: str(ns) for p, ns in graph.namespaces() if p}
    mapping = Mapping(tms, base_iri=base_iri, path=path, dialect=dialect, prefixes=prefixes)
    reader.check_parents(mapping)
    return mapping


def _rdf_format(path: Path) -> str:
    suffix = path.suffix.lower()
    return {
        ".nt": "nt",
        ".nq": "nquads",
        ".trig": "trig",
        ".jsonld": "json-ld",
        ".rdf": "xml",
        ".owl": "xml",
    }.get(suffix, "turtle")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _declared_base(text: str) -> str | None:
    """The document's ``@base``/``BASE``: RML uses it as the base IRI for generated terms."""
    m = re.search(r"(?im)^\s*(?:@base|base)\s*<([^>]*)>", text)
    return m.group(1) if m else None


def _dialect(graph: Graph) -> str:
    ns = {str(p).rsplit("#", 1)[0] + "#" if "#" in str(p) else str(p) for _, p, _ in graph}
    has_new = any(str(p).startswith(RML) for _, p, _ in graph)
    if any(str(p).startswith(LEGACY_RML) for _, p, _ in graph):
        return "legacy-rml"
    if RR in ns and not has_new:
        return "r2rml"
    return "rml"


def _rename(node: Node) -> Node:
    if not isinstance(node, URIRef):
        return node
    s = str(node)
    if s in _RENAMES:
        return URIRef(_RENAMES[s])
    if s.startswith(RR):
        local = s[len(RR) :]
        return node if local in _KEEP_R2RML else URIRef(RML + local)
    if s.startswith(LEGACY_RML):
        return URIRef(RML + s[len(LEGACY_RML) :])
    return node


def _normalise(graph: Graph) -> Graph:
    out = Graph()
    for s, p, o in graph:
        out.add((_rename(s), _rename(p), _rename(o)))
    return out


def _u(local: str) -> URIRef:
    return URIRef(RML + local)


class _Reader:
    def __init__(self, g: Graph, path: str, *, legacy: bool = False):
        self.g = g
        self.path = path
        # Legacy RML and R2RML as RMLMapper reads them (see ``_typed``); RML-Core is stricter.
        self.legacy = legacy
        self.function_nodes = set(g.objects(None, URIRef(FNML + "functionValue")))

    # -- helpers -------------------------------------------------------------------------------
    def err(self, message: str, element: str | None = None, *, hint: str | None = None) -> MappingError:
        return MappingError(message, Location(file=self.path, element=element), hint=hint)

    def name(self, node: Node) -> str:
        if isinstance(node, URIRef):
            return f"<{node}>"
        return f"[{node}]" if isinstance(node, BNode) else repr(str(node))

    def values(self, node: Node, local: str) -> list[Node]:
        return list(self.g.objects(node, _u(local)))

    def one(self, node: Node, local: str, element: str) -> Node | None:
        vals = self.values(node, local)
        if len(vals) > 1:
            raise self.err(f"rml:{local} given {len(vals)} times; it takes one value", element)
        return vals[0] if vals else None

    def literal(self, node: Node, local: str, element: str) -> str | None:
        v = self.one(node, local, element)
        if v is None:
            return None
        if not isinstance(v, Literal):
            raise self.err(f"rml:{local} must be a string, found {self.name(v)}", element)
        return str(v)

    def check_unknown(self, node: Node, element: str) -> None:
        for p in set(self.g.predicates(node, None)):
            s = str(p)
            if not s.startswith(RML):
                continue
            local = s[len(RML) :]
            if local in ("logicalTarget", "target"):
                raise UnsupportedFeatureError(
                    "logical targets (rml:logicalTarget) are not supported: fairify writes one output "
                    "chosen on the command line",
                    Location(file=self.path, element=element),
                )
            if local in RML_STAR:
                raise UnsupportedFeatureError(
                    f"RML-star (rml:{local}) is not supported", Location(file=self.path, element=element)
                )
            if local in ("gather", "gatherAs", "strategy", "cartesianProduct", "allowEmptyListAndContainer"):
                raise UnsupportedFeatureError(
                    f"RML-CC collections and containers (rml:{local}) are not supported",
                    Location(file=self.path, element=element),
                )
            if local not in _KNOWN:
                close = difflib.get_close_matches(local, sorted(_KNOWN), n=1)
                raise self.err(
                    f"unknown RML property rml:{local}",
                    element,
                    hint=f"did you mean rml:{close[0]}?" if close else None,
                )

    # -- triples maps ----------------------------------------------------------------------------
    def triples_maps(self) -> dict[str, TriplesMap]:
        candidates: set[Node] = set(self.g.subjects(RDFNS.type, _u("TriplesMap")))
        candidates |= set(self.g.subjects(_u("logicalSource"), None))
        candidates |= set(self.g.subjects(_u("subjectMap"), None))
        candidates |= set(self.g.subjects(_u("subject"), None))
        candidates -= self.function_nodes
        if not candidates:
            raise self.err("no triples map found (nothing has rml:logicalSource or rml:subjectMap)")
        out: dict[str, TriplesMap] = {}
        for node in sorted(candidates, key=str):
            tm = self.triples_map(node)
            out[tm.id] = tm
        return out

    def triples_map(self, node: Node) -> TriplesMap:
        tm_id = str(node)
        el = f"triples map {self.name(node)}"
        self.check_unknown(node, el)
        source_node = self.one(node, "logicalSource", el)
        if source_node is None:
            raise self.err("triples map has no logical source (rml:logicalSource)", el)
        source = self.logical_source(source_node, el)
        subject_nodes = self.values(node, "subjectMap")
        shortcut = self.values(node, "subject")
        if len(subject_nodes) + len(shortcut) == 0:
            raise self.err("triples map has no subject map (rml:subjectMap)", el)
        if len(subject_nodes) + len(shortcut) > 1:
            raise self.err(
                f"triples map has {len(subject_nodes) + len(shortcut)} subject maps; it must have exactly one",
                el,
            )
        subject = (
            self.subject_map(subject_nodes[0], el) if subject_nodes else self.shortcut(shortcut[0], "subject")
        )
        if not isinstance(subject, SubjectMap):
            subject = SubjectMap(subject)
        poms = tuple(self.pom(p, el) for p in self.values(node, "predicateObjectMap"))
        name_nodes = list(self.g.objects(node, URIRef("http://www.w3.org/2000/01/rdf-schema#label")))
        b = self.one(node, "baseIRI", el)
        if b is not None and not isinstance(b, URIRef):
            raise self.err(f"rml:baseIRI must be an IRI, found {self.name(b)}", el)
        base = str(b) if b is not None else None
        return TriplesMap(
            id=tm_id,
            source=source,
            subject=subject,
            predicate_objects=poms,
            base_iri=base,
            name=str(name_nodes[0]) if name_nodes else None,
            origin=el,
        )

    # -- logical sources -------------------------------------------------------------------------
    def logical_source(self, node: Node, el: str) -> LogicalSource:
        el = f"{el}, logical source"
        self.check_unknown(node, el)
        ref_form, options = self.reference_formulation(self.one(node, "referenceFormulation", el), el)
        iterator = self.literal(node, "iterator", el)
        table = self.literal(node, "tableName", el) or self.literal(node, "tableName", el)
        for v in self.g.objects(node, URIRef(RR + "tableName")):
            table = str(v)
        query = None
        for v in self.g.objects(node, URIRef(RR + "sqlQuery")):
            query = str(v)
        q2 = self.literal(node, "query", el)
        query = query or q2
        sql_version = None
        for v in self.g.objects(node, URIRef(RR + "sqlVersion")):
            version = str(_rename(v))
            if version not in SQL_VERSIONS:
                local = version.rsplit("/", 1)[-1].rsplit("#", 1)[-1]
                raise self.err(
                    f"unknown SQL version identifier {local!r} (rr:sqlVersion)",
                    el,
                    hint="use rr:SQL2008 (or a dialect such as rr:PostgreSQL), or leave rr:sqlVersion out",
                )
            sql_version = version
        src = self.one(node, "source", el)
        path: str | None = None
        database: str | None = None
        nulls: list[str] = [str(v) for v in self.values(node, "null")]
        encoding = None
        compression = None
        delimiter = None
        if isinstance(src, Literal):
            path = str(src)
        elif src is not None:
            path, database, extra = self.source_description(src, el)
            nulls += extra.get("null", [])
            encoding = extra.get("encoding")
            compression = extra.get("compression")
            delimiter = extra.get("delimiter")
        formulation = self.formulation(ref_form, path, table, query, database, el)
        if formulation is Formulation.SQL and iterator and not table and not query:
            rf = str(ref_form) if ref_form is not None else ""
            if rf.endswith("SQL2008Query"):
                query = iterator
            else:
                table = iterator
            iterator = None
        if formulation in (Formulation.JSONPATH, Formulation.XPATH) and iterator is None:
            iterator = "$" if formulation is Formulation.JSONPATH else "/*"
        if path is None and formulation is not Formulation.SQL:
            raise self.err("logical source has no rml:source", el)
        options += tuple(  # fairify's DICOM source options (fairify:dates, fairify:retain)
            (key, str(v))
            for key in ("dates", "retain")
            for v in self.g.objects(node, URIRef("https://w3id.org/fairify/ns#" + key))
        )
        return LogicalSource(
            formulation=formulation,
            path=path,
            iterator=iterator,
            database=database,
            table=table,
            query=query,
            sql_version=sql_version,
            nulls=tuple(sorted(set(nulls))),  # rml:null values are a set: one order for equal sources
            encoding=encoding,
            compression=compression,
            delimiter=delimiter,
            options=options,
        )

    def reference_formulation(
        self, node: Node | None, el: str
    ) -> tuple[Node | None, tuple[tuple[str, str], ...]]:
        """The formulation's IRI, and the XML namespaces it declares, as source options.

        RML-IO describes a formulation with properties as a resource typed by it, e.g.
        ``[ a rml:XPathReferenceFormulation ; rml:namespace [ rml:namespacePrefix "ex" ;
        rml:namespaceURL "http://example.org" ] ]``.
        """
        if node is None or isinstance(node, Literal):
            return node, ()
        options = []
        for ns in self.values(node, "namespace"):
            prefix = self.literal(ns, "namespacePrefix", f"{el}, namespace")
            url = self.literal(ns, "namespaceURL", f"{el}, namespace")
            if prefix is None or url is None:
                raise self.err("rml:namespace needs rml:namespacePrefix and rml:namespaceURL", el)
            options.append(("namespace", f"{prefix}={url}"))
        if isinstance(node, BNode):
            types = sorted(str(t) for t in self.g.objects(node, RDFNS.type) if str(t).startswith(RML))
            if len(types) != 1:
                raise self.err(
                    "a reference formulation given as a resource needs one rdf:type in the rml: namespace", el
                )
            node = URIRef(types[0])
        return node, tuple(sorted(options))

    def source_description(self, node: Node, el: str) -> tuple[str | None, str | None, dict]:
        extra: dict = {}
        path = None
        database = None
        p = self.literal(node, "path", el)
        if p is not None:
            root = self.one(node, "root", el)
            if root is not None and str(root) == RML + "CurrentWorkingDirectory":
                path = str(Path.cwd() / p)
            else:
                path = p
        for v in self.g.objects(node, URIRef(CSVW + "url")):
            path = str(v)
        for v in self.g.objects(node, URIRef(D2RQ + "jdbcDSN")):
            database = str(v)
        extra["null"] = [str(v) for v in self.values(node, "null")]
        extra["null"] += [str(v) for v in self.g.objects(node, URIRef(CSVW + "null"))]
        enc = self.one(node, "encoding", el)
        if enc is not None:
            extra["encoding"] = str(enc).rsplit("/", 1)[-1]
        comp = self.one(node, "compression", el)
        if comp is not None and str(comp) != RML + "none":
            extra["compression"] = str(comp).rsplit("/", 1)[-1]
        for dialect in self.g.objects(node, URIRef(CSVW + "dialect")):
            for v in self.g.objects(dialect, URIRef(CSVW + "delimiter")):
                extra["delimiter"] = str(v)
            for v in self.g.objects(dialect, URIRef(CSVW + "encoding")):
                extra["encoding"] = str(v)
        if path is None and database is None and isinstance(node, URIRef):
            path = str(node)
        return path, database, extra

    def formulation(
        self,
        ref_form: Node | None,
        path: str | None,
        table: str | None,
        query: str | None,
        database: str | None,
        el: str,
    ) -> Formulation:
        """The reference formulation, from what the logical source says and where it reads.

        A ``d2rq:Database`` source is read as SQL rows whatever the formulation says: the
        reference YARRRML parser writes such sources with ``ql:CSV`` (as RMLMapper reads query
        results), and a database has no other formulation fairify could apply.
        """
        if database is not None:
            local = str(ref_form).rsplit("/", 1)[-1].rsplit("#", 1)[-1] if ref_form is not None else "CSV"
            if local not in ("CSV", "SQL2008Table", "SQL2008Query", "SQL2008"):
                raise UnsupportedFeatureError(
                    f"a database source (d2rq:Database) read with {self.name(ref_form)}",
                    Location(file=self.path, element=el),
                    hint="a database gives SQL rows: use rml:SQL2008Table or rml:SQL2008Query",
                )
            return Formulation.SQL
        if ref_form is None:
            if table or query or database:
                return Formulation.SQL
            if path and path.lower().endswith((".json", ".json.gz")):
                return Formulation.JSONPATH
            if path and path.lower().endswith((".xml", ".xml.gz")):
                return Formulation.XPATH
            if path and path.lower().endswith((".parquet", ".xlsx", ".xlsm")):
                return Formulation.TABLE
            return Formulation.CSV
        local = str(ref_form).rsplit("/", 1)[-1].rsplit("#", 1)[-1]
        known = {
            "CSV": Formulation.CSV,
            "JSONPath": Formulation.JSONPATH,
            "XPath": Formulation.XPATH,
            "XPathReferenceFormulation": Formulation.XPATH,
            "SQL2008Table": Formulation.SQL,
            "SQL2008Query": Formulation.SQL,
            "SQL2008": Formulation.SQL,
            "Table": Formulation.TABLE,
            "DICOM": Formulation.DICOM,
        }
        if local in known:
            return known[local]
        raise UnsupportedFeatureError(
            f"reference formulation {self.name(ref_form)} is not supported",
            Location(file=self.path, element=el),
            hint="supported: rml:CSV, rml:JSONPath, rml:XPath, rml:SQL2008Table, rml:SQL2008Query",
        )

    # -- subject, predicate-object maps ------------------------------------------------------------
    def subject_map(self, node: Node, el: str) -> SubjectMap:
        el = f"{el}, subject map"
        term = self.term_map(node, el, role="subject")
        classes = []
        for c in self.values(node, "class"):
            if not isinstance(c, URIRef):
                raise self.err(f"rml:class must be an IRI, found {self.name(c)}", el)
            classes.append(str(c))
        graphs = self.graphs(node, el)
        return SubjectMap(term, tuple(classes), graphs)

    def graphs(self, node: Node, el: str) -> tuple[TermMap, ...]:
        out = [self.term_map(g, f"{el}, graph map", role="graph") for g in self.values(node, "graphMap")]
        out += [self.shortcut(g, "graph", el) for g in self.values(node, "graph")]
        return tuple(out)

    def pom(self, node: Node, el: str) -> PredicateObjectMap:
        el = f"{el}, predicate-object map"
        self.check_unknown(node, el)
        preds = [
            self.term_map(p, f"{el}, predicate map", role="predicate")
            for p in self.values(node, "predicateMap")
        ]
        preds += [self.shortcut(p, "predicate", el) for p in self.values(node, "predicate")]
        if not preds:
            raise self.err("predicate-object map has no predicate", el)
        objs: list[ObjectMap] = []
        for o in self.values(node, "objectMap"):
            if self.values(o, "parentTriplesMap"):
                objs.append(self.ref_object_map(o, el))
            else:
                objs.append(self.term_map(o, f"{el}, object map", role="object"))
        objs += [self.shortcut(o, "object") for o in self.values(node, "object")]
        if not objs:
            raise self.err("predicate-object map has no object", el)
        return PredicateObjectMap(tuple(preds), tuple(objs), self.graphs(node, el), origin=el)

    def ref_object_map(self, node: Node, el: str) -> RefObjectMap:
        el = f"{el}, referencing object map"
        self.check_unknown(node, el)
        parent = self.one(node, "parentTriplesMap", el)
        joins: list[Join] = []
        for jc in self.values(node, "joinCondition"):
            jel = f"{el}, join condition"
            functions = list(self.g.objects(jc, URIRef(FNML + "functionValue")))
            if functions:
                sides = [s for s in ("child", "childMap", "parent", "parentMap") if self.values(jc, s)]
                if len(functions) > 1 or sides:
                    raise self.err(
                        "a join condition is either rml:child and rml:parent or one fnml:functionValue", jel
                    )
                joins.extend(self.function_join(functions[0], jel))
                continue
            child = self._join_side(jc, "child", jel)
            par = self._join_side(jc, "parent", jel)
            joins.append(Join(child, par))
        return RefObjectMap(str(parent), tuple(dict.fromkeys(joins)), origin=el)

    def function_join(self, node: Node, el: str) -> list[Join]:
        """The joins of a join condition written as an FnML function, as RMLMapper reads it.

        ``idlab-fn:equal`` compares a value of this triples map (the child) with a value of the
        parent: the parameter whose object map has ``rml:parentTermMap`` (or is a function whose
        inputs are all parent term maps) is the parent side, the other one the child side.
        ``grel:boolean_and`` of such conditions is one join per condition. The result is the
        ``Join`` the YARRRML reader builds from the condition this function was generated from.
        """
        function, inputs = self._join_inputs(node, el)
        if function == JOIN_AND:
            joins: list[Join] = []
            for inp in inputs:
                if inp.function is None:
                    raise UnsupportedFeatureError(
                        f"grel:boolean_and in a join condition must combine conditions (functions); "
                        f"its parameter <{inp.parameter}> is a plain value",
                        Location(file=self.path, element=el),
                    )
                joins.extend(self.function_join(inp.function, el))
            return joins
        if function != JOIN_EQUAL:
            raise UnsupportedFeatureError(
                f"a join condition with the function <{function}> cannot be compiled to an RML join",
                Location(file=self.path, element=el),
                hint="only idlab-fn:equal, or grel:boolean_and of idlab-fn:equal conditions, is a join",
            )
        if len(inputs) != 2:
            raise self.err(
                f"idlab-fn:equal in a join condition takes two parameters, found {len(inputs)}", el
            )
        child = [inp.value for inp in inputs if inp.side == "child"]
        parent = [inp.value for inp in inputs if inp.side == "parent"]
        if len(child) != 1 or len(parent) != 1:
            raise UnsupportedFeatureError(
                "a join condition must compare one value of this triples map with one value of the parent "
                "triples map (given with rml:parentTermMap)",
                Location(file=self.path, element=el),
            )
        return [Join(_join_view(child[0]), _join_view(parent[0]))]

    def _join_inputs(self, node: Node, el: str) -> tuple[str, list[_JoinInput]]:
        """The function of an FnML join condition, and its inputs with the side each reads."""
        function, params = self._fnml_parameters(node, el)
        inputs: list[_JoinInput] = []
        for pname, value in params:
            if isinstance(value, TermMap):  # an rml:object shortcut: a constant, read on the child side
                inputs.append(_JoinInput(pname, _input_view(value), "child"))
                continue
            parent_maps = self.values(value, "parentTermMap")
            nested = list(self.g.objects(value, URIRef(FNML + "functionValue")))
            if parent_maps:
                if len(parent_maps) > 1 or nested:
                    raise self.err(f"parameter <{pname}> needs one rml:parentTermMap and no other value", el)
                self.check_unknown(value, el)
                tm = self.term_map(parent_maps[0], f"{el}, parent term map", role="input")
                inputs.append(_JoinInput(pname, _input_view(tm), "parent"))
            elif nested:
                self.check_unknown(value, el)
                inner_function, inner = self._join_inputs(nested[0], el)
                sides = {inp.side for inp in inner}
                side = "parent" if sides == {"parent"} else "child" if sides <= {"child"} else "both"
                call = FunctionCall(inner_function, _sorted_inputs([(i.parameter, i.value) for i in inner]))
                inputs.append(_JoinInput(pname, TermMap(call, TermType.LITERAL, origin=el), side, nested[0]))
            else:
                tm = self.term_map(value, el, role="input")
                inputs.append(_JoinInput(pname, _input_view(tm), "child"))
        return function, inputs

    def _join_side(self, jc: Node, side: str, el: str) -> TermMap:
        direct = self.values(jc, side)
        maps = self.values(jc, side + "Map")
        if len(direct) + len(maps) != 1:
            raise self.err(f"join condition needs exactly one rml:{side} or rml:{side}Map", el)
        if direct:
            return TermMap(Reference(str(direct[0])), TermType.LITERAL, origin=el)
        return self.term_map(maps[0], f"{el}, {side} map", role="join")

    def check_parents(self, mapping: Mapping) -> None:
        for tm in mapping.triples_maps.values():
            for pom in tm.predicate_objects:
                for om in pom.objects:
                    if isinstance(om, RefObjectMap) and om.parent not in mapping.triples_maps:
                        raise self.err(f"rml:parentTriplesMap <{om.parent}> is not a triples map", om.origin)
                    if isinstance(om, RefObjectMap) and not om.joins:
                        parent = mapping.triples_maps[om.parent]
                        if parent.source != tm.source:
                            raise self.err(
                                "a referencing object map without join condition needs the parent to "
                                "have the same logical source",
                                om.origin,
                            )

    # -- term maps -------------------------------------------------------------------------------
    def shortcut(self, node: Node, role: str, el: str | None = None) -> TermMap:
        """``rml:subject``/``predicate``/``object``/``graph`` constant shortcuts."""
        if isinstance(node, Literal) and role != "object":
            raise self.err(f"rml:{role} must be an IRI, found the literal {self.name(node)}", el)
        if isinstance(node, BNode) and role in ("predicate", "graph"):
            # The shortcut's value is the constant itself: a blank node is never a predicate or a
            # graph name (and is no term map either: that is what rml:{role}Map is for).
            raise self.err(
                f"rml:{role} takes a constant IRI, found a blank node",
                el,
                hint=f"use rml:{role}Map for a {role} map",
            )
        if isinstance(node, Literal):
            return TermMap(
                Constant(str(node), "literal", _dt(node), node.language),
                TermType.LITERAL,
                _dt(node),
                None,
                node.language,
            )
        kind = "blank" if isinstance(node, BNode) else "iri"
        return TermMap(Constant(str(node), kind), TermType.BLANK_NODE if kind == "blank" else TermType.IRI)

    def term_map(self, node: Node, el: str, *, role: str) -> TermMap:
        if not isinstance(node, (URIRef, BNode)):
            raise self.err(f"a {role} map must be a resource, found {self.name(node)}", el)
        self.check_unknown(node, el)
        expr_kinds = []
        constant = self.values(node, "constant")
        reference = self.values(node, "reference")
        template = self.values(node, "template")
        fn_exec = self.values(node, "functionExecution") + list(
            self.g.objects(node, URIRef(FNML + "functionValue"))
        )
        for kind, vals in (
            ("rml:constant", constant),
            ("rml:reference", reference),
            ("rml:template", template),
            ("a function", fn_exec),
        ):
            if len(vals) > 1:
                raise self.err(f"{kind} given {len(vals)} times; a term map takes one", el)
            if vals:
                expr_kinds.append(kind)
        returns = self.values(node, "return") + self.values(node, "returnMap")
        if returns and not fn_exec:
            raise self.err(
                "rml:return and rml:returnMap need an rml:functionExecution on the same term map", el
            )
        if len(expr_kinds) != 1:
            # A term map with only ``rml:termType rml:BlankNode`` gives a fresh blank node per record;
            # it may also be a function input (YARRRML `condition-on-mapping-with-blanknode`).
            if (
                not expr_kinds
                and role in ("subject", "object", "input")
                and self.one(node, "termType", el) == _u("BlankNode")
            ):
                return TermMap(Constant("", "blank"), TermType.BLANK_NODE, origin=el)
            if not expr_kinds and self.values(node, "parentTermMap"):
                raise self.err("rml:parentTermMap is only meaningful in a join condition's function", el)
            what = "none" if not expr_kinds else " and ".join(expr_kinds)
            raise self.err(
                f"a term map needs exactly one of rml:constant, rml:reference, rml:template or a function; found {what}",
                el,
            )
        expr: Expression
        if constant:
            c = constant[0]
            if isinstance(c, Literal):
                expr = Constant(str(c), "literal", _dt(c), c.language)
            elif isinstance(c, BNode) and not self.legacy:
                # RML-Core: a blank node identifier is local to the mapping document, never a constant.
                raise self.err(
                    "rml:constant cannot be a blank node",
                    el,
                    hint="use rml:termType rml:BlankNode with a reference or template (or none)",
                )
            else:
                expr = Constant(str(c), "blank" if isinstance(c, BNode) else "iri")
        elif reference:
            expr = Reference(self._string(reference[0], "reference", el))
        elif template:
            try:
                expr = parse_template(self._string(template[0], "template", el))
            except MappingError as exc:
                raise self.err(exc.message, el) from exc
        else:
            call = self.function(fn_exec[0], el)
            expr = FunctionCall(call.function, call.inputs, self._return(node, call.function, el))
        return self._typed(node, expr, el, role)

    def _string(self, v: Node, local: str, el: str) -> str:
        if not isinstance(v, Literal):
            raise self.err(f"rml:{local} must be a string, found {self.name(v)}", el)
        return str(v)

    def _constant_as_term(self, expr: Constant, tt: TermType, el: str) -> Constant:
        """A string constant with term type IRI or BlankNode, in legacy RML and R2RML: that term.

        RMLMapper reads ``rr:constant "http://…" ; rr:termType rr:IRI`` as the IRI, and the
        reference YARRRML parser writes every constant IRI (classes, ``fno:executes``, ``~iri``
        parameters) so. RML-Core takes the constant as the term itself and requires an error
        (its RMLTC0024a), so current RML keeps refusing it; a typed or tagged literal never fits.
        """
        if not self.legacy or expr.datatype is not None or expr.language is not None:
            raise self.err(
                f"the constant {expr.value!r} is a literal but the term type is {tt.value}",
                el,
                hint="write the constant as the term it stands for, e.g. rml:constant <http://…>",
            )
        return Constant(expr.value, "blank" if tt is TermType.BLANK_NODE else "iri")

    def _typed(self, node: Node, expr: Expression, el: str, role: str) -> TermMap:
        tt_node = self.one(node, "termType", el)
        datatype = self.one(node, "datatype", el)
        language = self.one(node, "language", el)
        dt_map = self.one(node, "datatypeMap", el)
        lang_map = self.one(node, "languageMap", el)
        if language is not None and not is_language_tag(str(language)):
            raise self.err(
                f"invalid language tag {str(language)!r}", el, hint="use a BCP 47 tag such as 'en' or 'nl-BE'"
            )
        if (language is not None or lang_map is not None) and (datatype is not None or dt_map is not None):
            raise self.err("a term map cannot have both a language and a datatype", el)
        if tt_node is not None:
            local = str(tt_node).rsplit("/", 1)[-1].rsplit("#", 1)[-1]
            try:
                tt = TermType(local)
            except ValueError:
                raise self.err(f"unknown term type {self.name(tt_node)}", el) from None
        elif isinstance(expr, Constant):
            tt = {"iri": TermType.IRI, "blank": TermType.BLANK_NODE, "literal": TermType.LITERAL}[expr.kind]
        elif (
            (
                role == "object"
                and (
                    isinstance(expr, (Reference, FunctionCall))
                    or language is not None
                    or datatype is not None
                    or lang_map is not None
                    or dt_map is not None
                )
            )
            or role == "join"
            or role == "input"
        ):
            tt = TermType.LITERAL
        else:
            tt = TermType.IRI
        if role in ("subject",) and tt is TermType.LITERAL:
            raise self.err("a subject map cannot produce literals (rml:termType rml:Literal)", el)
        if role in ("predicate", "graph") and not tt.is_iri:
            raise self.err(f"a {role} map must produce IRIs, not {tt.value}", el)
        if (datatype is not None or language is not None) and tt is not TermType.LITERAL:
            raise self.err("rml:datatype and rml:language need rml:termType rml:Literal", el)
        if isinstance(expr, Constant) and expr.kind == "literal" and tt is not TermType.LITERAL:
            expr = self._constant_as_term(expr, tt, el)
        if datatype is not None and not isinstance(datatype, URIRef):
            raise self.err("rml:datatype must be an IRI", el)
        dtm = self.term_map(dt_map, f"{el}, datatype map", role="datatype") if dt_map is not None else None
        lgm = (
            self.term_map(lang_map, f"{el}, language map", role="language") if lang_map is not None else None
        )
        if lgm is not None and isinstance(lgm.expression, Constant):
            lgm = TermMap(lgm.expression, TermType.LITERAL, origin=lgm.origin)
        if lgm is not None:
            lgm = TermMap(lgm.expression, TermType.LITERAL, origin=lgm.origin)
        if dtm is not None:
            dtm = TermMap(dtm.expression, TermType.IRI, origin=dtm.origin)
        c_dt = expr.datatype if isinstance(expr, Constant) else None
        c_lang = expr.language if isinstance(expr, Constant) else None
        return TermMap(
            expr,
            tt,
            datatype=str(datatype) if datatype is not None else c_dt,
            datatype_map=dtm,
            language=str(language) if language is not None else c_lang,  # as written (BCP 47 ignores case)
            language_map=lgm,
            origin=el,
        )

    # -- functions -------------------------------------------------------------------------------
    def function(self, node: Node, el: str) -> FunctionCall:
        el = f"{el}, function"
        if node in self.function_nodes:
            return self._fnml_legacy(node, el)
        self.check_unknown(node, el)
        fn = self.values(node, "function")
        fn_maps = self.values(node, "functionMap")
        function: str | None = str(fn[0]) if fn else None
        if fn_maps:
            fm = self.term_map(fn_maps[0], el, role="function")
            if not isinstance(fm.expression, Constant):
                raise UnsupportedFeatureError(
                    "only constant function maps are supported", Location(file=self.path, element=el)
                )
            function = fm.expression.value
        if function is None:
            raise self.err("function execution has no rml:function", el)
        if self.values(node, "return") or self.values(node, "returnMap"):
            raise self.err(
                "rml:return belongs on the term map that has the rml:functionExecution, not on the execution",
                el,
            )
        inputs = []
        for inp in self.values(node, "input"):
            param = self.values(inp, "parameter")
            pmaps = self.values(inp, "parameterMap")
            if pmaps:
                pm = self.term_map(pmaps[0], el, role="parameter")
                if not isinstance(pm.expression, Constant):
                    raise UnsupportedFeatureError(
                        "only constant parameter maps are supported", Location(file=self.path, element=el)
                    )
                pname = pm.expression.value
            elif param:
                pname = str(param[0])
            else:
                raise self.err("function input has no rml:parameter", el)
            vals = self.values(inp, "inputValue")
            vmaps = self.values(inp, "inputValueMap")
            if vals:
                v = vals[0]
                value = (
                    TermMap(Constant(str(v), "literal", _dt(v), v.language), TermType.LITERAL)
                    if isinstance(v, Literal)
                    else TermMap(Constant(str(v), "iri"), TermType.IRI)
                )
            elif vmaps:
                value = _input_view(self.term_map(vmaps[0], f"{el}, input {pname}", role="input"))
            else:
                raise self.err(f"function input {pname} has no value", el)
            inputs.append((pname, value))
        return FunctionCall(function, _sorted_inputs(inputs))

    def _return(self, node: Node, function: str, el: str) -> str | None:
        """The output a function-valued term map uses (``rml:return``/``rml:returnMap``).

        ``None`` is the function's default output. A return that names the single output of a
        function with one (fairify's ``ffn:output``) is that default and becomes ``None`` too, so
        that a mapping which says so compares equal to one that does not (YARRRML cannot say it).
        """
        direct = self.values(node, "return")
        maps = self.values(node, "returnMap")
        if len(direct) + len(maps) == 0:
            return None
        if len(direct) + len(maps) > 1:
            raise self.err("a term map takes one rml:return or rml:returnMap", el)
        if direct:
            if not isinstance(direct[0], URIRef):
                raise self.err(f"rml:return must be an IRI, found {self.name(direct[0])}", el)
            output = str(direct[0])
        else:
            rm = self.term_map(maps[0], f"{el}, return map", role="return")
            if not isinstance(rm.expression, Constant) or rm.expression.kind != "iri":
                raise UnsupportedFeatureError(
                    "only a constant IRI return map is supported", Location(file=self.path, element=el)
                )
            output = rm.expression.value
        if not function.startswith(FAIRIFY_FN):
            return output
        if output != FAIRIFY_OUTPUT:
            raise self.err(
                f"<{function}> has one output, <{FAIRIFY_OUTPUT}>; it has no output <{output}>", el
            )
        return None

    def _fnml_legacy(self, node: Node, el: str) -> FunctionCall:
        """FnML: a nested triples map whose ``fno:executes`` object is the function."""
        function, params = self._fnml_parameters(node, el)
        inputs = [
            (pname, _input_view(v if isinstance(v, TermMap) else self.term_map(v, el, role="input")))
            for pname, v in params
        ]
        return FunctionCall(function, _sorted_inputs(inputs))

    def _fnml_parameters(self, node: Node, el: str) -> tuple[str, list[tuple[str, Node | TermMap]]]:
        """An FnML function value: the ``fno:executes`` function and its (parameter, value) pairs.

        A value is its object map node, still unread (a join condition reads ``rml:parentTermMap``
        where a function input has none), or the term an ``rml:object`` shortcut gives.
        """
        function: str | None = None
        params: list[tuple[str, Node | TermMap]] = []
        for pom in self.values(node, "predicateObjectMap"):
            preds = [self.term_map(p, el, role="predicate") for p in self.values(pom, "predicateMap")]
            preds += [self.shortcut(p, "predicate") for p in self.values(pom, "predicate")]
            values: list[Node | TermMap] = list(self.values(pom, "objectMap"))
            values += [self.shortcut(o, "object") for o in self.values(pom, "object")]
            for p in preds:
                if not isinstance(p.expression, Constant):
                    raise self.err("function parameter predicates must be constants", el)
                pname = p.expression.value
                if pname != FNO + "executes":
                    params += [(pname, v) for v in values]
                    continue
                for v in values:
                    executes = v if isinstance(v, TermMap) else self.term_map(v, el, role="input")
                    if not isinstance(executes.expression, Constant):
                        raise UnsupportedFeatureError(
                            "fno:executes must name a constant function", Location(file=self.path, element=el)
                        )
                    if function is not None and function != executes.expression.value:
                        raise self.err(
                            f"function value executes both <{function}> and <{executes.expression.value}>", el
                        )
                    function = executes.expression.value
        if function is None:
            raise self.err("function value has no fno:executes", el)
        return function, params


@dataclass(frozen=True)
class _JoinInput:
    """A parameter of a join condition written as an FnML function (``_Reader.function_join``).

    ``side`` is the triples map its value reads: "child", "parent" or "both" (a function that
    mixes the two); ``function`` is the node of the nested function when the value is one.
    """

    parameter: str
    value: TermMap
    side: str
    function: Node | None = None


def _sorted_inputs(inputs: list[tuple[str, TermMap]]) -> tuple[tuple[str, TermMap], ...]:
    """Function inputs in one order: RDF keeps none among several inputs (or FnML parameters).

    By parameter, then by what the value means (not where it was written), so that the same
    function read from any file, legacy or current RML, gives the same model.
    """
    return tuple(sorted(inputs, key=lambda kv: (kv[0], repr(_without_origin(kv[1])))))


def _without_origin(tm: TermMap) -> TermMap:
    """The term map with every ``origin`` (which ``repr`` shows but equality ignores) removed."""
    e = tm.expression
    if isinstance(e, FunctionCall):
        e = FunctionCall(e.function, tuple((p, _without_origin(v)) for p, v in e.inputs), e.output)
    return TermMap(
        e,
        tm.term_type,
        tm.datatype,
        _without_origin(tm.datatype_map) if tm.datatype_map is not None else None,
        tm.language,
        _without_origin(tm.language_map) if tm.language_map is not None else None,
    )


def _join_view(tm: TermMap) -> TermMap:
    """Join values are compared as strings: the expression, with no output typing."""
    return TermMap(tm.expression, TermType.LITERAL, origin=tm.origin)


def _input_view(tm: TermMap) -> TermMap:
    """Function inputs are values, not output terms: keep the expression, drop output typing."""
    if isinstance(tm.expression, Constant):
        return tm
    return TermMap(tm.expression, TermType.LITERAL, origin=tm.origin)


def _dt(lit: Literal) -> str | None:
    return str(lit.datatype) if lit.datatype is not None else None


def iter_references(mapping: Mapping) -> Iterable[str]:
    for tm in mapping.triples_maps.values():
        yield from tm.subject.term.references
