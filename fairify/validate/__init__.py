"""``fairify validate``: check a graph against SHACL shapes, pointing back to source rows.

Two engines give one answer:

* ``fast`` compiles SHACL Core (and SPARQL-based constraints) into SPARQL queries run on
  Oxigraph (``compile.py``, ``fast.py``). A shape with a constraint it cannot express exactly is
  handed to pySHACL, and the report says so; nothing is skipped.
* ``pyshacl`` runs pySHACL on everything (complete SHACL Core and SHACL-SPARQL, and RDFS
  inference when asked).

``auto`` (the default) is ``fast`` when it supports every shape, else ``pyshacl``. Each result's
focus node is then looked up in the conversion's provenance (``prov:wasDerivedFrom`` links to
``file:///…/x.csv#row=N`` or a DICOM file's IRI ``…#tag=GGGGEEEE/n/…``): the side file
``<name>.prov.nq`` beside a data file, or the links loaded with the data in a store.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from fairify.errors import DataError, SourceError, UsageError
from fairify.provenance import PROVENANCE_GRAPH
from fairify.validate import fast
from fairify.validate.report import FORMATS, Report, Result, write
from fairify.validate.shapes import SH, TARGETS, Shapes, ShapesError, read_path, read_shapes, shape_name

__all__ = ["ENGINES", "FORMATS", "NotConforming", "Report", "Result", "ShapesError", "validate", "write"]

ENGINES = ("auto", "fast", "pyshacl")


class NotConforming(DataError):
    """``convert --validate`` found a SHACL Violation: nothing was written or loaded (exit code 1)."""

    def __init__(self, report: Report):
        super().__init__(
            f"SHACL found {report.violations:,} violation(s) in the converted data; nothing was written or loaded"
        )
        self.report = report


PROV_DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"


def validate(
    data: str | Path | None = None,
    shapes: str | Path | Graph | list[str | Path] = "shapes",
    *,
    store: str | Path | ox.Store | None = None,
    engine: str = "auto",
    inference: str = "none",
    sources: bool = True,
    threads: int = 2,
    data_format: str | None = None,
    provenance: str | Path | None = None,
    graphs: list[str] | None = None,
) -> Report:
    """Validate an RDF file (or a store) against the shapes in a file or folder.

    Returns the report: ``.conforms``, ``.results`` (each with its source rows), ``.engines`` (which
    engine checked each shape) and ``.notes`` (shapes the fast engine left to pySHACL, and why).
    Unreadable or ill-formed shapes raise ``ShapesError`` (file and line when known).

    ``data_format`` names the format of a file whose name does not (``"nq"``); ``provenance`` is
    the file holding the row links (default: ``<name>.prov.nq`` beside the data); ``graphs``
    restricts a store to these named graphs (a conversion not yet committed).
    """
    if (data is None) == (store is None):
        raise UsageError("give exactly one of a data file or a store (--store)")
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}", hint="use auto, fast or pyshacl")
    if inference not in ("none", "rdfs", "owlrl", "both"):
        raise UsageError(f"unknown inference {inference!r}", hint="use none, rdfs, owlrl or both")
    if inference != "none":
        if engine == "fast":
            raise UsageError("inference is done by pySHACL only", hint="use --engine pyshacl (or auto)")
        engine = "pyshacl"
    logging.getLogger("rdflib.term").setLevel(logging.CRITICAL)  # ill-typed literals: SHACL reports them
    started = time.perf_counter()
    shapes_graph = read_shapes(shapes)
    model = Shapes(shapes_graph)
    data_path = Path(data) if data is not None else None
    if data_path is not None:
        if not data_path.is_file():
            raise SourceError(f"data file {data_path} not found")
        fast.rdf_format(data_path, data_format)  # a usage error before any work
    elif not isinstance(store, ox.Store):
        from fairify.store import open_store

        open_store(Path(store), read_only=True)  # type: ignore[arg-type]  # "does not exist" first

    if engine == "auto":
        engine = "fast" if not fast.dry_plan(model).fallback else "pyshacl"

    label = (
        str(data_path)
        if data_path is not None
        else str(store)
        if not isinstance(store, ox.Store)
        else "store"
    )
    report = Report(conforms=True, results=[], data=label, shapes=_shapes_label(shapes))
    loaded: fast.Data | None = None
    if engine == "fast":
        loaded = (
            fast.load_file(
                data_path, data_format, scan_integers=(None, SH.datatype, XSD.integer) in shapes_graph
            )
            if data_path is not None
            else _store_data(store, graphs)
        )
        plan = fast.plan(model, loaded)
        report.notes += loaded.notes
        report.results = fast.run(loaded, plan.queries, threads=threads)
        report.engines = {_label(s.node): "fast" for s in model.targeted if s.node not in plan.fallback}
        if plan.fallback:
            for node, reason in plan.fallback.items():
                report.notes.append(
                    f"{_label(node)}: {reason} is not supported by the fast engine; pySHACL checked it"
                )
                report.engines[_label(node)] = "pyshacl"
            only = _only_shapes(shapes_graph, model, set(plan.fallback))
            report.results += run_pyshacl(
                _rdflib_data(data_path, data_format, loaded), only, inference=inference
            )
    else:
        if data_path is None:
            loaded = _store_data(store, graphs)
        dg = _rdflib_data(data_path, data_format, loaded)
        report.results = run_pyshacl(dg, shapes_graph, inference=inference)
        report.engines = {_label(s.node): "pyshacl" for s in model.targeted}
    if sources and report.results:
        if data_path is not None:
            add_file_sources(report.results, data_path, Path(provenance) if provenance else None, loaded)
        else:
            add_store_sources(report.results, loaded)  # type: ignore[arg-type]
    names: dict[Node, str | None] = {}
    for r in report.results:
        if r.source_shape is not None and r.source_shape not in names:
            names[r.source_shape] = shape_name(shapes_graph, r.source_shape)
        r.shape_name = names.get(r.source_shape) if r.source_shape is not None else None
        if (
            r.engine == "pyshacl"
            and r.source_shape is not None
            and r.component != str(SH.SPARQLConstraintComponent)
        ):
            r.message = _message(model, r) or r.message  # the same words as the fast engine's
    report.results.sort(key=_order)
    report.conforms = not report.results
    report.seconds = time.perf_counter() - started
    return report


def _order(r: Result) -> tuple:
    first = min((_source_order(s) for s in r.sources), default=("", 0, ""))
    sev = {"Violation": 0, "Warning": 1, "Info": 2}.get(r.severity, 3)
    return (sev, r.message, r.path or "", first, r.focus, r.value or "")


def _label(node: Node) -> str:
    return str(node) if isinstance(node, URIRef) else f"_:{node}"


def _shapes_label(shapes: object) -> str:
    if isinstance(shapes, Graph):
        return "shapes graph"
    if isinstance(shapes, list):
        return ", ".join(str(s) for s in shapes)
    return str(shapes)


def _store_data(store: str | Path | ox.Store | None, graphs: list[str] | None) -> fast.Data:
    if isinstance(store, ox.Store):
        return fast.store_data(store, graphs)
    if graphs is not None:
        from fairify.store import open_store

        return fast.store_data(open_store(Path(store), read_only=True), graphs, label=str(store))  # type: ignore[arg-type]
    return fast.open_store(Path(store))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# pySHACL


def _rdflib_data(data: Path | None, data_format: str | None, loaded: fast.Data | None) -> Graph:
    """The data graph for pySHACL: a file's graphs merged (but the provenance graph), or a store's."""
    g = Graph()
    if data is not None:
        fmt = fast.rdf_format(data, data_format)
        try:
            triples = (
                q.triple
                for q in ox.parse(path=str(data), format=fmt, base_iri=data.resolve().as_uri())
                if not fast._is_provenance(q.graph_name)
            )
            nt = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
        except SyntaxError as exc:
            raise SourceError(f"{data}: not valid RDF: {exc}") from exc
        g.parse(data=nt, format="nt")
        return g
    assert loaded is not None
    rows = loaded.query("SELECT ?s ?p ?o WHERE { ?s ?p ?o }")
    triples = (ox.Triple(r["s"], r["p"], r["o"]) for r in rows)  # type: ignore[index]
    g.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    return g


def run_pyshacl(data_graph: Graph, shapes_graph: Graph, *, inference: str = "none") -> list[Result]:
    """pySHACL on the whole graph; its report read into ``Result``s."""
    import pyshacl
    from pyshacl.errors import ReportableRuntimeError, ShapeLoadError

    try:
        _, report_graph, _ = pyshacl.validate(
            data_graph,
            shacl_graph=shapes_graph,
            inference=inference,
            advanced=True,
            allow_warnings=False,
        )
    except (ShapeLoadError, ReportableRuntimeError) as exc:
        raise ShapesError(f"pySHACL cannot validate with these shapes: {_first_line(exc)}") from exc
    except Exception as exc:  # pySHACL raises plain errors for some ill-formed shapes
        raise ShapesError(f"pySHACL failed: {type(exc).__name__}: {_first_line(exc)}") from exc
    if not isinstance(report_graph, Graph):  # pySHACL's ValidationFailure
        raise ShapesError(f"pySHACL cannot validate with these shapes: {_first_line(report_graph)}")  # type: ignore[arg-type]
    out: list[Result] = []
    rg: Graph = report_graph
    # top-level results only: nested ones (sh:detail) are typed sh:ValidationResult too
    for r in rg.objects(None, SH.result):
        msg = rg.value(r, SH.resultMessage)
        shape = rg.value(r, SH.sourceShape)
        out.append(
            Result(
                focus_node=rg.value(r, SH.focusNode),  # type: ignore[arg-type]
                component=str(rg.value(r, SH.sourceConstraintComponent)),
                severity_iri=str(rg.value(r, SH.resultSeverity) or SH.Violation),
                message=_pick_shape_message(shapes_graph, shape) or (str(msg) if msg is not None else ""),
                source_shape=shape,
                path_key=read_path(rg, rg.value(r, SH.resultPath)),
                value_node=rg.value(r, SH.value),
                engine="pyshacl",
            )
        )
    return out


def _message(model: Shapes, r: Result) -> str | None:
    from fairify.validate.compile import message_for

    try:
        return message_for(model, r.source_shape, r.component)  # type: ignore[arg-type]
    except Exception:  # a shape pySHACL reads but the model does not: keep pySHACL's words
        return None


def _pick_shape_message(shapes_graph: Graph, shape: Node | None) -> str | None:
    """The shape's own sh:message (one, language-neutral first), as the fast engine reports it."""
    from fairify.validate.shapes import pick_message

    if shape is None:
        return None
    return pick_message([m for m in shapes_graph.objects(shape, SH.message)])  # type: ignore[misc]


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _only_shapes(g: Graph, model: Shapes, keep: set[Node]) -> Graph:
    """A copy of the shapes graph in which only the ``keep`` shapes have targets."""
    from rdflib.namespace import OWL, RDFS

    out = Graph()
    for prefix, ns in g.namespaces():
        out.bind(prefix, ns)
    drop = {s.node for s in model.targeted} - keep
    for t in g:
        s, p, o = t
        if s in drop and (p in TARGETS or (p == RDF.type and o in (RDFS.Class, OWL.Class))):
            continue
        out.add(t)
    return out


# ---------------------------------------------------------------------------------------------
# Source rows


def add_file_sources(
    results: list[Result], data: Path, provenance: Path | None = None, loaded: fast.Data | None = None
) -> None:
    """Fill ``Result.sources`` from the row links in the provenance side file, and in the data itself
    (queried in its in-memory copy when the fast engine loaded it, else scanned)."""
    from fairify.convert import provenance_path

    wanted = {str(r.focus_node) for r in results if isinstance(r.focus_node, URIRef)}
    links: dict[str, list[str]] = {}
    side = provenance or provenance_path(data)
    if side.is_file() and side != data and _line_based(side):
        _scan_links(side, wanted, links)
    if loaded is not None:
        _query_links(loaded.store, sorted(wanted), links, {"use_default_graph_as_union": True})
    elif _line_based(data):
        _scan_links(data, wanted, links)
    _attach(results, links)


def add_store_sources(results: list[Result], data: fast.Data) -> None:
    """Fill ``Result.sources`` from the row links in the store (they sit beside the data they describe)."""
    wanted = sorted({str(r.focus_node) for r in results if isinstance(r.focus_node, URIRef)})
    links: dict[str, list[str]] = {}
    _query_links(data.store, wanted, links, _link_dataset(data))
    _attach(results, links)


def _query_links(store: ox.Store, wanted: list[str], links: dict[str, list[str]], dataset: dict) -> None:
    for i in range(0, len(wanted), 5000):
        values = " ".join(f"<{w}>" for w in wanted[i : i + 5000])
        q = f"SELECT ?s ?src WHERE {{ VALUES ?s {{ {values} }} ?s <{PROV_DERIVED}> ?src }}"
        for row in store.query(q, **dataset):  # type: ignore[union-attr]
            links.setdefault(row["s"].value, []).append(row["src"].value)  # type: ignore[index]


def _link_dataset(data: fast.Data) -> dict[str, object]:
    """The data graphs, plus the provenance graph (older stores kept the row links there)."""
    if data.graphs is None:
        return {"use_default_graph_as_union": True}
    return {"default_graph": [*data.graphs, ox.NamedNode(PROVENANCE_GRAPH)]}


def _attach(results: list[Result], links: dict[str, list[str]]) -> None:
    for r in results:
        if isinstance(r.focus_node, URIRef):
            r.sources = sorted(set(links.get(str(r.focus_node), [])), key=_source_order)


def _line_based(f: Path) -> bool:
    with f.open("rb") as fh:
        head = fh.read(4096)
    return f.suffix in (".nq", ".nt") or head.startswith(b"<")


def _source_order(s: str) -> tuple:
    import re

    m = re.search(r"#(row|tag)=(\d+)$", s)
    return (s.split("#")[0], int(m.group(2)) if m and m.group(1) == "row" else 0, s)


def _scan_links(path: Path, wanted: set[str], links: dict[str, list[str]]) -> None:
    """Read ``<s> prov:wasDerivedFrom <o>`` lines of an N-Triples/N-Quads file for the wanted subjects."""
    pred = f"<{PROV_DERIVED}>".encode()
    keys = {f"<{w}>".encode() for w in wanted}
    with path.open("rb") as f:
        for line in f:
            if pred not in line:
                continue
            parts = line.split(b" ", 3)
            if len(parts) >= 3 and parts[0] in keys and parts[1] == pred and parts[2].startswith(b"<"):
                links.setdefault(parts[0][1:-1].decode(), []).append(parts[2][1:-1].decode())
