"""``fairify validate``: check a graph against SHACL shapes, pointing back to source rows.

This first engine runs pySHACL (complete SHACL Core and SHACL-SPARQL). Each result's focus
node is looked up in the conversion's provenance (``prov:wasDerivedFrom`` row links) so that a
data steward sees which file and row to fix.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF

from fairify.errors import Location, MappingError, SourceError, UsageError

SH = Namespace("http://www.w3.org/ns/shacl#")
PROV_DERIVED = URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")
SEVERITIES = {str(SH.Violation): "Violation", str(SH.Warning): "Warning", str(SH.Info): "Info"}


@dataclass
class Result:
    focus: str
    path: str | None
    value: str | None
    component: str
    severity: str
    message: str
    shape: str | None
    sources: list[str] = field(default_factory=list)  # e.g. file:///.../clinical.csv#row=12


@dataclass
class Report:
    conforms: bool
    results: list[Result]

    @property
    def violations(self) -> int:
        return sum(1 for r in self.results if r.severity == "Violation")

    def counts(self) -> Counter:
        return Counter((r.severity, r.message, r.path or "") for r in self.results)


def _shape_files(shapes: Path) -> list[Path]:
    if shapes.is_dir():
        files = sorted(p for p in shapes.rglob("*") if p.suffix in (".ttl", ".nt", ".rdf", ".trig"))
        if not files:
            raise UsageError(f"no shapes (.ttl) in {shapes}")
        return files
    if not shapes.is_file():
        raise UsageError(f"shapes file {shapes} not found")
    return [shapes]


def _read_shapes(shapes: Path) -> Graph:
    g = Graph()
    for f in _shape_files(shapes):
        try:
            g.parse(f, format="turtle" if f.suffix == ".ttl" else None)
        except Exception as exc:
            raise MappingError(*_turtle_error(exc), Location(file=str(f), line=_error_line(exc))) from exc
    return g


def _error_line(exc: Exception) -> int | None:
    m = re.search(r"at line (\d+)", str(exc))
    return int(m.group(1)) if m else None


def _turtle_error(exc: Exception) -> tuple[str]:
    """rdflib's message is several lines; keep the reason (``Bad syntax (objectList expected)``)."""
    m = re.search(r"Bad syntax \(([^)]*)\)", str(exc))
    return (f"not valid Turtle: {m.group(1)}" if m else f"not valid Turtle: {str(exc).splitlines()[0]}",)


def _read_data(data: Path) -> tuple[Graph, Graph]:
    """The data graph (all graphs merged), and the provenance links found beside it."""
    if not data.is_file():
        raise SourceError(f"data file {data} not found")
    fmt = {
        ".nt": ox.RdfFormat.N_TRIPLES,
        ".nq": ox.RdfFormat.N_QUADS,
        ".ttl": ox.RdfFormat.TURTLE,
        ".trig": ox.RdfFormat.TRIG,
    }.get(data.suffix)
    if fmt is None:
        raise UsageError(f"cannot tell the RDF format of {data.name}", hint="use .nt, .nq, .ttl or .trig")
    g = Graph()
    try:
        nt = ox.serialize(
            (q.triple for q in ox.parse(path=str(data), format=fmt)), format=ox.RdfFormat.N_TRIPLES
        )
    except SyntaxError as exc:
        raise SourceError(f"not valid RDF: {exc}", Location(file=str(data))) from exc
    g.parse(data=nt, format="nt")
    prov = Graph()
    from fairify.convert import provenance_path

    side = provenance_path(data)
    if side.exists():
        triples = (q.triple for q in ox.parse(path=str(side), format=ox.RdfFormat.N_QUADS))
        prov.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    return g, prov


def validate(data: str | Path, shapes: str | Path, *, inference: str = "none") -> Report:
    """Validate an RDF file against the shapes in a file or folder; returns the report."""
    import logging

    import pyshacl

    # rdflib logs a traceback for every ill-typed literal it meets; SHACL reports them properly.
    logging.getLogger("rdflib.term").setLevel(logging.CRITICAL)
    data_graph, prov = _read_data(Path(data))
    shapes_graph = _read_shapes(Path(shapes))
    conforms, report_graph, _ = pyshacl.validate(
        data_graph, shacl_graph=shapes_graph, inference=inference, advanced=True, allow_warnings=True
    )
    results = []
    for r in report_graph.subjects(RDF.type, SH.ValidationResult):
        focus = report_graph.value(r, SH.focusNode)
        path = report_graph.value(r, SH.resultPath)
        value = report_graph.value(r, SH.value)
        msg = report_graph.value(r, SH.resultMessage)
        results.append(
            Result(
                focus=str(focus),
                path=str(path) if path is not None else None,
                value=str(value) if value is not None else None,
                component=str(report_graph.value(r, SH.sourceConstraintComponent)),
                severity=SEVERITIES.get(str(report_graph.value(r, SH.resultSeverity)), "Violation"),
                message=str(msg) if msg is not None else "",
                shape=str(report_graph.value(r, SH.sourceShape)),
                sources=sorted(str(o) for o in prov.objects(focus, PROV_DERIVED))
                if focus is not None
                else [],
            )
        )
    results.sort(key=lambda x: (x.severity, x.message, x.focus))
    return Report(bool(conforms), results)
