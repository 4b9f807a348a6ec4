"""The fast engine: compiled SHACL queries run on a pyoxigraph store.

Data comes from a file loaded into an in-memory store, or from a station store as it is.
The queries return only violating rows, so the work Python does grows with the number of
results, not with the size of the graph. Independent queries run on two threads: pyoxigraph
releases the GIL while it evaluates.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from fairify.errors import DataError, SourceError, UsageError
from fairify.provenance import PROVENANCE_GRAPH
from fairify.validate.compile import Context, Plan, Query, compile_shapes, substitute
from fairify.validate.report import Result
from fairify.validate.shapes import Shapes, ShapesError

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDFS_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"

FORMATS = {
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".ttl": ox.RdfFormat.TURTLE,
    ".trig": ox.RdfFormat.TRIG,
    ".n3": ox.RdfFormat.N3,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
}

# Literals of these types come out of Oxigraph as xsd:integer (see compile.DERIVED_INTEGERS).
_DERIVED = rb"(?:long|int|short|byte|unsignedLong|unsignedInt|unsignedShort|unsignedByte|positiveInteger|nonNegativeInteger|negativeInteger|nonPositiveInteger)"
_DERIVED_IRI = re.compile(rb"XMLSchema#" + _DERIVED + rb">")
_DERIVED_PNAME = re.compile(rb"\bxsd:" + _DERIVED + rb"\b")


def rdf_format(path: Path, fmt: str | None = None) -> ox.RdfFormat:
    """The RDF format of a file: from ``fmt`` (a suffix such as ``nq``) or the file's suffix."""
    suffix = f".{fmt}" if fmt else path.suffix.lower()
    found = FORMATS.get(suffix)
    if found is None:
        raise UsageError(f"cannot tell the RDF format of {path.name}", hint="use .nt, .nq, .ttl or .trig")
    return found


@dataclass
class Data:
    """The graph the fast engine queries: a store and the graphs that make up the data graph."""

    store: ox.Store
    graphs: list | None = None  # None: the union of all graphs
    path: Path | None = None  # the file it was loaded from
    label: str = ""
    notes: list[str] = field(default_factory=list)
    in_memory: bool = False  # a copy we may add to (the shapes graph, for $shapesGraph)
    shapes_graph: str | None = None
    _derived: bool | None = None
    _scan: Future | None = None  # the scan for derived integers, run while the file loaded

    def derived_integers(self) -> bool:
        """Whether the file holds derived-integer literals (scanned once, only when a shape asks)."""
        if self._derived is None:
            if self._scan is not None:
                self._derived = self._scan.result()
            else:
                self._derived = self.path is not None and scan_derived_integers(self.path)
        return self._derived

    def query(self, sparql: str, **kw: object) -> object:
        if self.graphs is None:
            return self.store.query(sparql, use_default_graph_as_union=True, **kw)
        return self.store.query(sparql, default_graph=self.graphs, **kw)


# Set by the CLI while it validates, as it then ends the process without interpreter teardown:
# in-memory stores are kept to the end instead of freed when validation is done (freeing 14M
# triples takes ~8 s).
keep_stores = False
_KEPT: list[ox.Store] = []


def load_file(path: Path, fmt: str | None = None, *, scan_integers: bool = False) -> Data:
    """Load an RDF file into an in-memory store; its graphs but the provenance graph are the data.

    ``scan_integers``: the shapes check sh:datatype xsd:integer, so the file is also scanned for
    derived-integer literals, on a second thread while Oxigraph parses (it releases the GIL).
    """
    if not path.is_file():
        raise SourceError(f"data file {path} not found")
    rdf = rdf_format(path, fmt)
    store = ox.Store()
    scan: Future | None = None
    pool = ThreadPoolExecutor(max_workers=1) if scan_integers else None
    if pool is not None:
        scan = pool.submit(scan_derived_integers, path)
        pool.shutdown(wait=False)
    try:
        # Into memory, ``load`` beats ``bulk_load``: at 14M triples 61 s and 6.1 GB peak against
        # 69 s and 8.3 GB (a temporary on-disk store: 155 s to load, queries 7x slower). Both
        # parse on one thread (``bulk_load`` splits the parsing only from 4 cores on). Lenient, as
        # ``fairify load`` is: IRIs are not checked against RFC 3987 (48 s instead of 61 s); syntax is.
        store.load(path=str(path), format=rdf, base_iri=path.resolve().as_uri(), lenient=True)
    except SyntaxError as exc:
        raise SourceError(f"not valid RDF: {exc}", _loc(path)) from exc
    if keep_stores:
        _KEPT.append(store)
    graphs = None
    named = list(store.named_graphs())
    if any(isinstance(g, ox.NamedNode) and g.value == PROVENANCE_GRAPH for g in named):
        graphs = [ox.DefaultGraph(), *(g for g in named if not _is_provenance(g))]
    return Data(store, graphs, path=path, label=str(path), in_memory=True, _scan=scan)


def store_data(store: ox.Store, graphs: list[str] | None = None, label: str = "store") -> Data:
    """A station store: the current graphs but the provenance graph (stale versions left out),
    or just the named ``graphs`` (a conversion not yet committed, for ``convert --validate``)."""
    from fairify.store import stale_graphs

    if graphs is not None:
        chosen: list = [ox.NamedNode(g) for g in graphs]
    else:
        stale = {g.value for g in stale_graphs(store)}
        chosen = [ox.DefaultGraph()]
        chosen += [
            g
            for g in store.named_graphs()
            if not _is_provenance(g) and not (isinstance(g, ox.NamedNode) and g.value in stale)
        ]
    # Oxigraph already stored literals of derived integer types (xsd:int, ...) as xsd:integer: a
    # store cannot tell them apart (docs/architecture.md, "validate"); the file path scans for them.
    return Data(store, chosen, label=label)


def open_store(path: Path) -> Data:
    from fairify.store import open_store as _open

    return store_data(_open(path, read_only=True), label=str(path))


def _is_provenance(g: object) -> bool:
    return isinstance(g, ox.NamedNode) and g.value == PROVENANCE_GRAPH


def scan_derived_integers(path: Path) -> bool:
    """Does the file hold literals typed xsd:int, xsd:byte, ...? (Oxigraph would retype them.)

    Read in blocks, not mapped: mapped pages count as the process's memory.
    """
    line_based = path.suffix.lower() in (".nt", ".nq")  # no prefixed names there
    tail = b""
    with path.open("rb") as f:
        while block := f.read(1 << 24):
            chunk = tail + block
            if _DERIVED_IRI.search(chunk) or (not line_based and _DERIVED_PNAME.search(chunk)):
                return True
            tail = chunk[-64:]
    return False


def _loc(path: Path):
    from fairify.errors import Location

    return Location(file=str(path))


# ---------------------------------------------------------------------------------------------


def context(data: Data, shapes: Shapes | None = None) -> Context:
    """Subclass closures and regex checks, read from the data store once each."""
    cache: dict[str, list[str]] = {}
    has_subclass = bool(list(data.query(f"SELECT ?s WHERE {{ ?s <{RDFS_SUBCLASS}> ?o }} LIMIT 1")))

    def subclasses(cls: str) -> list[str]:
        if not has_subclass:
            return [cls]
        if cls not in cache:
            rows = data.query(f"SELECT DISTINCT ?c WHERE {{ ?c <{RDFS_SUBCLASS}>* <{cls}> }}")
            found = [r["c"].value for r in rows if isinstance(r["c"], ox.NamedNode)]  # type: ignore[union-attr]
            cache[cls] = [cls, *sorted(c for c in found if c != cls)]
        return cache[cls]

    def shapes_graph() -> str | None:
        if not data.in_memory or shapes is None:
            return None
        if data.shapes_graph is None:
            add_shapes_graph(data, shapes)
        return data.shapes_graph

    return Context(
        subclasses=subclasses,
        derived_integers_in_data=data.derived_integers,
        regex_ok=regex_ok,
        shapes_graph=shapes_graph,
    )


def add_shapes_graph(data: Data, shapes: Shapes) -> None:
    """Load the shapes graph as a named graph of the in-memory copy, outside the data graph."""
    import uuid

    iri = f"urn:uuid:{uuid.uuid4()}"
    graphs: list = (
        [ox.DefaultGraph(), *data.store.named_graphs()] if data.graphs is None else list(data.graphs)
    )
    nt = shapes.graph.serialize(format="nt", encoding="utf-8")
    data.store.bulk_load(nt, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(iri))
    data.graphs = graphs
    data.shapes_graph = iri


_REGEX_STORE: ox.Store | None = None


def regex_ok(pattern: str, flags: str) -> bool:
    """Whether Oxigraph's REGEX accepts the pattern (an invalid one would make every value fail)."""
    global _REGEX_STORE
    if _REGEX_STORE is None:
        _REGEX_STORE = ox.Store()
    from fairify.validate.compile import _string

    q = f'SELECT (COALESCE(STR(REGEX("", {_string(pattern)}, {_string(flags)})), "error") AS ?r) WHERE {{}}'
    try:
        rows = list(_REGEX_STORE.query(q))
    except SyntaxError:
        return False
    if set(flags) - set("smixq"):
        return False
    return rows[0]["r"].value != "error"  # type: ignore[index,union-attr]


def plan(shapes: Shapes, data: Data) -> Plan:
    return compile_shapes(shapes, context(data, shapes))


def dry_plan(shapes: Shapes) -> Plan:
    """Which shapes the fast engine can take, before any data is loaded."""
    return compile_shapes(
        shapes,
        Context(subclasses=lambda c: [c], regex_ok=regex_ok, shapes_graph=lambda: "urn:x-fairify:shapes"),
    )


def run(data: Data, queries: list[Query], *, threads: int = 2) -> list[Result]:
    """Run the compiled queries; each returns violating rows only."""
    logging.getLogger("rdflib.term").setLevel(logging.CRITICAL)
    if threads <= 1 or len(queries) <= 1:
        batches = [_run_one(data, q) for q in queries]
    else:
        # Longest first, so that the threads finish together: the text's length stands for the
        # work (each EXISTS, join or flag is one more look-up per focus node).
        order = sorted(range(len(queries)), key=lambda i: -len(queries[i].sparql))
        with ThreadPoolExecutor(max_workers=threads) as pool:
            done = dict(zip(order, pool.map(lambda i: _run_one(data, queries[i]), order), strict=True))
        batches = [done[i] for i in range(len(queries))]
    return [r for b in batches for r in b]


def _run_one(data: Data, q: Query) -> list[Result]:
    try:
        if q.kind == "sparql" and q.focus_query is not None:
            rows: Iterable = (row for f in data.query(q.focus_query) for row in _prebound(data, q, f["this"]))  # type: ignore[index]
            return _results(q, rows)
        return _results(q, data.query(q.sparql))  # type: ignore[arg-type]
    except SyntaxError as exc:
        raise ShapesError(f"the query compiled for {q.label} is not valid SPARQL: {exc}") from exc
    except OSError as exc:
        raise SourceError(f"reading the store failed: {exc}") from exc


def _prebound(data: Data, q: Query, focus: object) -> Iterable:
    """Run a SPARQL-based constraint for one focus node, ``$this`` substituted in its text."""
    if isinstance(focus, ox.BlankNode):  # cannot be written in a query: Oxigraph's substitution
        return data.query(q.sparql, substitutions={ox.Variable("this"): focus})
    return data.query(substitute(q.sparql, "this", str(focus)))


def _results(q: Query, rows: Iterable) -> list[Result]:
    out: list[Result] = []
    seen: set[tuple] = set()  # ``q.optional``: a count flag on the rows of two values is one result
    for row in rows:
        this = row["this"]
        if this is None:
            continue
        focus = to_rdflib(this)
        if q.kind == "flags":
            value = to_rdflib(row["value"])
            for i, check in enumerate(q.checks):
                flag = row[f"f{i}"]
                if flag is not None and flag.value == "true":
                    shown = value if check.reports_value else None
                    if q.optional:
                        if (i, focus, shown) in seen:
                            continue
                        seen.add((i, focus, shown))
                    out.append(_result(check, focus, shown, check.path))
        elif q.kind == "counts":  # GROUP BY ... HAVING returns only the focus nodes out of bounds
            out.append(_result(q.checks[0], focus, None, q.checks[0].path))
        elif q.kind == "focus":
            check = q.checks[0]
            value = to_rdflib(row["value"]) if check.reports_value else None
            path = row["path"]
            out.append(
                _result(check, focus, value, path.value if isinstance(path, ox.NamedNode) else check.path)
            )
        else:  # sparql
            check = q.checks[0]
            failure = row["failure"]
            if failure is not None and failure.value == "true":
                raise DataError(f"the SPARQL-based constraint of {check.shape.label} reported a failure")
            value_t = row["value"]
            value = (
                to_rdflib(value_t)
                if value_t is not None
                else (focus if not check.shape.is_property else None)
            )
            path = row["path"]
            res = _result(check, focus, value, path.value if isinstance(path, ox.NamedNode) else check.path)
            res.message = _fill_message(check.message, row)
            out.append(res)
    return out


def _result(check, focus: Node, value: Node | None, path) -> Result:
    return Result(
        focus_node=focus,
        component=check.component,
        severity_iri=check.severity,
        message=check.message,
        source_shape=check.shape.node,
        path_key=path,
        value_node=value,
        engine="fast",
    )


_PLACEHOLDER = re.compile(r"\{[?$]([A-Za-z0-9_]+)\}")


def _fill_message(message: str, row: ox.QuerySolution) -> str:
    def sub(m: re.Match) -> str:
        t = row[m.group(1)]
        return m.group(0) if t is None else str(getattr(t, "value", t))

    return _PLACEHOLDER.sub(sub, message)


def to_rdflib(t: object) -> Node | None:
    if t is None:
        return None
    if isinstance(t, ox.NamedNode):
        return URIRef(t.value)
    if isinstance(t, ox.BlankNode):
        return BNode(t.value)
    if isinstance(t, ox.Literal):
        if t.language:
            return Literal(t.value, lang=t.language)
        dt = t.datatype.value
        return Literal(t.value) if dt == XSD_STRING else Literal(t.value, datatype=URIRef(dt))
    raise ShapesError(f"unexpected term in a result: {t}")
