"""Write the internal model as canonical RML (``http://w3id.org/rml/``) Turtle.

Whatever dialect a mapping was read from (YARRRML, legacy RML, R2RML), this is the one form fairify
hands on: RML-Core term maps with explicit term types, RML-IO source descriptions, RML-FNML
function executions. The graph is built with rdflib and serialised by rdflib; blank nodes get
labels from the order of the model, so the same model always gives the same text.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF as RDFNS
from rdflib.namespace import RDFS, XSD
from rdflib.term import Node

from fairify.errors import Location, UnsupportedFeatureError
from fairify.mapping.model import (
    FAIRIFY_FN,
    RML,
    Constant,
    Formulation,
    FunctionCall,
    Join,
    LogicalSource,
    Mapping,
    PredicateObjectMap,
    Reference,
    RefObjectMap,
    Template,
    TermMap,
    TermType,
    TriplesMap,
)
from fairify.mapping.template import escape_template_text

RMLNS = Namespace(RML)
D2RQ = Namespace("http://www.wiwiss.fu-berlin.de/suhl/bizer/D2RQ/0.1#")
CSVW = Namespace("http://www.w3.org/ns/csvw#")
RR = Namespace("http://www.w3.org/ns/r2rml#")
# fairify's own reference formulations (columnar tables, DICOM headers) have no RML term.
FAIRIFY = Namespace("https://w3id.org/fairify/ns#")
# Triples maps named by a YARRRML key (not an IRI) get an IRI in this namespace.
TRIPLES_MAP_NS = "urn:fairify:triples-map:"

_FORMULATIONS = {
    Formulation.CSV: RMLNS.CSV,
    Formulation.JSONPATH: RMLNS.JSONPath,
    Formulation.XPATH: RMLNS.XPath,
    Formulation.TABLE: FAIRIFY.Table,
    Formulation.DICOM: FAIRIFY.DICOM,
}
_TERM_TYPES = {
    TermType.IRI: RMLNS.IRI,
    TermType.URI: RMLNS.URI,
    TermType.UNSAFE_IRI: RMLNS.UnsafeIRI,
    TermType.UNSAFE_URI: RMLNS.UnsafeURI,
    TermType.BLANK_NODE: RMLNS.BlankNode,
    TermType.LITERAL: RMLNS.Literal,
}
_RML_ENCODINGS = {"UTF-8", "UTF-16"}
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*$")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def to_rml_turtle(mapping: Mapping) -> str:
    """The mapping as RML Turtle; ``@base`` is the mapping's base IRI, when it has one."""
    graph = _Writer(mapping).graph()
    return (
        graph.serialize(format="turtle", base=mapping.base_iri)
        if mapping.base_iri
        else graph.serialize(format="turtle")
    )


class _Writer:
    def __init__(self, mapping: Mapping):
        self.mapping = mapping
        self.g = Graph(bind_namespaces="core")
        self.counters: dict[str, int] = {}
        self.sources: dict[LogicalSource, BNode] = {}

    def bnode(self, kind: str) -> BNode:
        """Blank nodes labelled by kind and order, so that output is stable from run to run."""
        n = self.counters.get(kind, 0) + 1
        self.counters[kind] = n
        return BNode(f"{kind}{n}")

    def err(self, message: str, element: str | None = None) -> UnsupportedFeatureError:
        return UnsupportedFeatureError(message, Location(file=self.mapping.path, element=element))

    def graph(self) -> Graph:
        g = self.g
        g.bind("rml", RMLNS)
        g.bind("rdfs", RDFS)
        g.bind("xsd", XSD)
        g.bind("ffn", Namespace(FAIRIFY_FN))
        g.bind("idlab-fn", Namespace("https://w3id.org/imec/idlab/function#"))
        g.bind("grel", Namespace("http://users.ugent.be/~bjdmeest/function/grel.ttl#"))
        g.bind("d2rq", D2RQ)
        g.bind("csvw", CSVW)
        g.bind("tm", Namespace(TRIPLES_MAP_NS))
        for prefix, ns in sorted(self.mapping.prefixes.items()):
            if prefix and ns and prefix not in ("rml", "tm"):
                g.bind(prefix, Namespace(ns), override=True, replace=True)
        for tm_id in sorted(self.mapping.triples_maps):
            self.triples_map(self.mapping.triples_maps[tm_id])
        return g

    def tm_node(self, tm_id: str) -> URIRef:
        if _ABSOLUTE_IRI.match(tm_id):
            return URIRef(tm_id)
        return URIRef(TRIPLES_MAP_NS + quote(tm_id, safe=""))

    # -- triples maps and sources ----------------------------------------------------------------
    def triples_map(self, tm: TriplesMap) -> None:
        g = self.g
        node = self.tm_node(tm.id)
        g.add((node, RDFNS.type, RMLNS.TriplesMap))
        if tm.name:
            g.add((node, RDFS.label, Literal(tm.name)))
        if tm.base_iri:
            g.add((node, RMLNS.baseIRI, URIRef(tm.base_iri)))
        g.add((node, RMLNS.logicalSource, self.logical_source(tm.source, tm.label)))
        sm = self.term_map(tm.subject.term, "subject")
        g.add((sm, RDFNS.type, RMLNS.SubjectMap))
        for cls in tm.subject.classes:
            g.add((sm, RMLNS["class"], URIRef(cls)))
        self.graph_maps(sm, tm.subject.graphs)
        g.add((node, RMLNS.subjectMap, sm))
        for pom in tm.predicate_objects:
            g.add((node, RMLNS.predicateObjectMap, self.pom(pom)))

    def logical_source(self, src: LogicalSource, label: str) -> BNode:
        if src in self.sources:
            return self.sources[src]
        g = self.g
        node = self.bnode("source")
        self.sources[src] = node
        g.add((node, RDFNS.type, RMLNS.LogicalSource))
        namespaces = [v for k, v in src.options if k == "namespace" and "=" in v]
        if src.formulation is Formulation.DICOM:  # fairify's DICOM source options, in its namespace
            for key, value in src.options:
                g.add((node, FAIRIFY[key], Literal(value)))
        elif len(namespaces) != len(src.options) or (namespaces and src.formulation is not Formulation.XPATH):
            names = ", ".join(k for k, _ in src.options)
            raise self.err(f"source options ({names}) have no RML form", f"triples map {label}")
        if src.formulation is Formulation.SQL:
            self.sql_source(node, src, label)
            return node
        if not src.path:
            raise self.err("a file source without a path cannot be written", f"triples map {label}")
        if namespaces:  # RML-IO: an XPath formulation resource that declares the prefixes
            form = self.bnode("formulation")
            g.add((form, RDFNS.type, RMLNS.XPathReferenceFormulation))
            for declaration in namespaces:
                prefix, url = declaration.split("=", 1)
                ns = self.bnode("namespace")
                g.add((form, RMLNS.namespace, ns))
                g.add((ns, RMLNS.namespacePrefix, Literal(prefix)))
                g.add((ns, RMLNS.namespaceURL, Literal(url)))
            g.add((node, RMLNS.referenceFormulation, form))
        else:
            g.add((node, RMLNS.referenceFormulation, _FORMULATIONS[src.formulation]))
        if src.iterator is not None:
            g.add((node, RMLNS.iterator, Literal(src.iterator)))
        desc = self.bnode("file")
        g.add((node, RMLNS.source, desc))
        csv_dialect = src.formulation is Formulation.CSV and (
            src.delimiter is not None or (src.encoding is not None and src.encoding not in _RML_ENCODINGS)
        )
        if csv_dialect:
            # CSVW describes what RML-IO does not: a delimiter, any encoding.
            g.add((desc, RDFNS.type, CSVW.Table))
            g.add((desc, CSVW.url, Literal(src.path)))
            dialect = self.bnode("dialect")
            g.add((desc, CSVW.dialect, dialect))
            g.add((dialect, RDFNS.type, CSVW.Dialect))
            if src.delimiter is not None:
                g.add((dialect, CSVW.delimiter, Literal(src.delimiter)))
            if src.encoding is not None:
                g.add((dialect, CSVW.encoding, Literal(src.encoding)))
        else:
            g.add((desc, RDFNS.type, RMLNS.RelativePathSource))
            if not _URL.match(src.path) and not src.path.startswith("/"):
                g.add((desc, RMLNS.root, RMLNS.MappingDirectory))
            g.add((desc, RMLNS.path, Literal(src.path)))
            if src.encoding is not None:
                if src.encoding not in _RML_ENCODINGS:
                    raise self.err(f"encoding {src.encoding} has no RML-IO term", f"triples map {label}")
                g.add((desc, RMLNS.encoding, RMLNS[src.encoding]))
        self.source_extras(desc, src)
        return node

    def source_extras(self, desc: BNode, src: LogicalSource) -> None:
        for null in src.nulls:
            self.g.add((desc, RMLNS.null, Literal(null)))
        if src.compression is not None:
            self.g.add((desc, RMLNS.compression, RMLNS[src.compression]))

    def sql_source(self, node: BNode, src: LogicalSource, label: str) -> None:
        """RML-IO: a D2RQ database; the table or query is the iterator of an SQL2008 formulation."""
        g = self.g
        if (src.table is None) == (src.query is None):
            raise self.err("an SQL source needs exactly one of table and query", f"triples map {label}")
        if src.table is not None:
            g.add((node, RMLNS.referenceFormulation, RMLNS.SQL2008Table))
            g.add((node, RMLNS.iterator, Literal(src.table)))
        else:
            g.add((node, RMLNS.referenceFormulation, RMLNS.SQL2008Query))
            g.add((node, RMLNS.iterator, Literal(src.query)))
        if src.sql_version is not None:
            g.add((node, RR.sqlVersion, URIRef(src.sql_version)))
        if src.database is not None or src.nulls or src.compression or src.encoding:
            db = self.bnode("database")
            g.add((node, RMLNS.source, db))
            g.add((db, RDFNS.type, RMLNS.Source))
            g.add((db, RDFNS.type, D2RQ.Database))
            if src.database is not None:
                g.add((db, D2RQ.jdbcDSN, Literal(src.database)))
            self.source_extras(db, src)

    # -- predicate-object maps -------------------------------------------------------------------
    def pom(self, pom: PredicateObjectMap) -> BNode:
        g = self.g
        node = self.bnode("pom")
        g.add((node, RDFNS.type, RMLNS.PredicateObjectMap))
        for p in pom.predicates:
            if _is_plain_iri(p):
                g.add((node, RMLNS.predicate, URIRef(p.expression.value)))  # type: ignore[union-attr]
            else:
                pm = self.term_map(p, "predicate")
                g.add((pm, RDFNS.type, RMLNS.PredicateMap))
                g.add((node, RMLNS.predicateMap, pm))
        for o in pom.objects:
            if isinstance(o, RefObjectMap):
                g.add((node, RMLNS.objectMap, self.ref_object_map(o)))
            elif _is_plain_iri(o):
                g.add((node, RMLNS.object, URIRef(o.expression.value)))  # type: ignore[union-attr]
            else:
                om = self.term_map(o, "object")
                g.add((om, RDFNS.type, RMLNS.ObjectMap))
                g.add((node, RMLNS.objectMap, om))
        self.graph_maps(node, pom.graphs)
        return node

    def graph_maps(self, node: Node, graphs: tuple[TermMap, ...]) -> None:
        for gm in graphs:
            if _is_plain_iri(gm):
                self.g.add((node, RMLNS.graph, URIRef(gm.expression.value)))  # type: ignore[union-attr]
            else:
                gnode = self.term_map(gm, "graph")
                self.g.add((gnode, RDFNS.type, RMLNS.GraphMap))
                self.g.add((node, RMLNS.graphMap, gnode))

    def ref_object_map(self, rom: RefObjectMap) -> BNode:
        g = self.g
        node = self.bnode("refObjectMap")
        g.add((node, RDFNS.type, RMLNS.RefObjectMap))
        g.add((node, RMLNS.parentTriplesMap, self.tm_node(rom.parent)))
        for join in rom.joins:
            g.add((node, RMLNS.joinCondition, self.join(join)))
        return node

    def join(self, join: Join) -> BNode:
        node = self.bnode("join")
        self.g.add((node, RDFNS.type, RMLNS.Join))
        for side, tm in (("child", join.child), ("parent", join.parent)):
            if isinstance(tm.expression, Reference) and _plain(tm) and tm.term_type is TermType.LITERAL:
                self.g.add((node, RMLNS[side], Literal(tm.expression.reference)))
            else:
                self.g.add((node, RMLNS[side + "Map"], self.term_map(tm, "join")))
        return node

    # -- term maps -------------------------------------------------------------------------------
    def term_map(self, tm: TermMap, role: str) -> BNode:
        g = self.g
        node = self.bnode(f"{role}Map")
        e = tm.expression
        if isinstance(e, Constant):
            if e.kind == "iri":
                g.add((node, RMLNS.constant, URIRef(e.value)))
            elif e.kind == "literal":
                lit = Literal(e.value, lang=e.language, datatype=URIRef(e.datatype) if e.datatype else None)
                g.add((node, RMLNS.constant, lit))
            elif e.value:
                # A labelled blank node: RML-Core has no blank node constant (a string constant with
                # term type BlankNode is an error, RMLTC0024a); a template without references is one.
                g.add((node, RMLNS.template, Literal(escape_template_text(e.value))))
        elif isinstance(e, Reference):
            g.add((node, RMLNS.reference, Literal(e.reference)))
        elif isinstance(e, Template):
            g.add((node, RMLNS.template, Literal(e.template)))
        elif isinstance(e, FunctionCall):
            g.add((node, RMLNS.functionExecution, self.function(e)))
            if e.output is not None:  # RML-FNML: the return is chosen on the term map
                g.add((node, RMLNS["return"], URIRef(e.output)))
        # Join sides are expression maps: they produce values to compare, not terms.
        if role != "join":
            g.add((node, RMLNS.termType, _TERM_TYPES[tm.term_type]))
        if tm.datatype is not None:
            g.add((node, RMLNS.datatype, URIRef(tm.datatype)))
        if tm.language is not None:
            g.add((node, RMLNS.language, Literal(tm.language)))
        if tm.datatype_map is not None:
            g.add((node, RMLNS.datatypeMap, self.term_map(tm.datatype_map, "datatype")))
        if tm.language_map is not None:
            g.add((node, RMLNS.languageMap, self.term_map(tm.language_map, "language")))
        return node

    def function(self, call: FunctionCall) -> BNode:
        """RML-FNML: ``rml:function`` plus one ``rml:input`` per parameter, in the model's order."""
        g = self.g
        node = self.bnode("execution")
        g.add((node, RDFNS.type, RMLNS.FunctionExecution))
        g.add((node, RMLNS.function, URIRef(call.function)))
        for parameter, value in call.inputs:
            inp = self.bnode("input")
            g.add((inp, RDFNS.type, RMLNS.Input))
            g.add((inp, RMLNS.parameter, URIRef(parameter)))
            g.add((inp, RMLNS.inputValueMap, self.term_map(value, "input")))
            g.add((node, RMLNS.input, inp))
        return node


def _plain(tm: TermMap) -> bool:
    return tm.datatype is None and tm.language is None and tm.datatype_map is None and tm.language_map is None


def _is_plain_iri(tm: TermMap) -> bool:
    """A constant IRI term map, written with the ``rml:predicate``/``object``/``graph`` shortcut."""
    e = tm.expression
    return isinstance(e, Constant) and e.kind == "iri" and tm.term_type is TermType.IRI and _plain(tm)
