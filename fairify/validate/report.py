"""The validation report both engines produce, and its writers (text, JSON, Turtle, CSV).

A ``Result`` keeps the RDF terms of the SHACL result (for the Turtle report and for comparing
engines) and the source rows its focus node was derived from (for the data steward). Writers
return text; the CLI decides where it goes.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from fairify.validate.shapes import SEVERITY_NAMES, SH, PathT, path_graph, path_text

FORMATS = ("text", "json", "turtle", "csv")


@dataclass
class Result:
    """One SHACL validation result."""

    focus_node: Node
    component: str  # IRI of the source constraint component
    severity_iri: str
    message: str
    source_shape: Node | None = None
    path_key: PathT | None = None  # structural path (see shapes.PathT)
    value_node: Node | None = None
    sources: list[str] = field(default_factory=list)  # e.g. file:///.../clinical.csv#row=12
    engine: str = "fast"
    shape_name: str | None = None  # readable: "fs:Age › age (years)" for a blank-node property shape

    @property
    def focus(self) -> str:
        return str(self.focus_node)

    @property
    def value(self) -> str | None:
        return None if self.value_node is None else str(self.value_node)

    @property
    def path(self) -> str | None:
        return path_text(self.path_key)

    @property
    def severity(self) -> str:
        return SEVERITY_NAMES.get(self.severity_iri, self.severity_iri)

    @property
    def shape(self) -> str | None:
        return None if self.source_shape is None else _term(self.source_shape)

    @property
    def constraint(self) -> str:
        """``sh:MinCountConstraintComponent`` -> ``sh:minCount``: the parameter a shape author wrote."""
        if not self.component.startswith(str(SH)):
            return self.component
        local = self.component[len(str(SH)) :].removesuffix("ConstraintComponent")
        return "sh:sparql" if local == "SPARQL" else "sh:" + local[:1].lower() + local[1:]

    def key(self) -> tuple:
        """What two engines must agree on: (focus, path, component, severity)."""
        return (_term(self.focus_node), self.path_key, self.component, self.severity_iri)


@dataclass
class Report:
    conforms: bool
    results: list[Result]
    engines: dict[str, str] = field(default_factory=dict)  # shape -> "fast" | "pyshacl"
    notes: list[str] = field(default_factory=list)  # constraints the fast engine left to pySHACL
    data: str = ""
    shapes: str = ""
    seconds: float = 0.0

    @property
    def violations(self) -> int:
        return sum(1 for r in self.results if r.severity == "Violation")

    @property
    def engine(self) -> str:
        used = set(self.engines.values())
        return "+".join(sorted(used)) if used else "fast"

    def counts_by_severity(self) -> dict[str, int]:
        c = Counter(r.severity for r in self.results)
        return {s: c[s] for s in ("Violation", "Warning", "Info") if c[s]} | {
            s: n for s, n in c.items() if s not in ("Violation", "Warning", "Info")
        }

    def counts(self) -> Counter:
        return Counter((r.severity, r.message, r.path or "") for r in self.results)

    def groups(self) -> list[tuple[tuple[str, str, str, str], list[Result]]]:
        """Results grouped by (severity, shape, message, path), most serious and largest first."""
        groups: dict[tuple[str, str, str, str], list[Result]] = {}
        for r in self.results:
            groups.setdefault(
                (r.severity, r.shape_name or r.shape or "", r.message, r.path or ""), []
            ).append(r)
        order = {"Violation": 0, "Warning": 1, "Info": 2}
        return sorted(
            groups.items(), key=lambda kv: (order.get(kv[0][0], 3), -len(kv[1]), kv[0][2], kv[0][3])
        )


# ---------------------------------------------------------------------------------------------
# Writers


def write(report: Report, fmt: str, *, examples: int = 3) -> str:
    if fmt == "text":
        return to_text(report, examples=examples)
    if fmt == "json":
        return to_json(report)
    if fmt == "turtle":
        return to_turtle(report)
    if fmt == "csv":
        return to_csv(report)
    raise ValueError(fmt)


PREFIXES = (
    ("https://w3id.org/fairify/shapes/hn#", "fs:"),
    ("https://w3id.org/fairify/shapes/privacy#", "fp:"),
    ("https://w3id.org/fairify/shapes/dicom#", "fd:"),
    ("https://w3id.org/fairify/dicom/model#", "dcmo:"),
    ("https://w3id.org/fairify/dicom#", "dcm:"),
    ("http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl#", "ncit:"),
    ("http://www.cancerdata.org/roo/", "roo:"),
    ("http://www.w3.org/2001/XMLSchema#", "xsd:"),
    ("http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdf:"),
    ("http://www.w3.org/2000/01/rdf-schema#", "rdfs:"),
    ("http://www.w3.org/ns/shacl#", "sh:"),
    ("https://w3id.org/fairify/id/", "id:"),
    ("http://xmlns.com/foaf/0.1/", "foaf:"),
    ("https://schema.org/", "schema:"),
    ("http://www.w3.org/2006/vcard/ns#", "vcard:"),
    ("http://www.w3.org/ns/prov#", "prov:"),
)


def short(iri: str) -> str:
    for ns, prefix in PREFIXES:
        if iri.startswith(ns):
            return prefix + iri[len(ns) :]
    return iri


def source_ref(iri: str, *, relative_to: Path | None = None) -> str:
    """``file:///.../clinical.csv#row=12`` -> ``clinical.csv row 12`` (relative to the current folder);
    ``…/x.dcm#tag=30060020/1`` -> ``x.dcm tag (3006,0020)[1]``."""
    u = urlparse(iri)
    base_iri, _, frag = iri.partition("#")
    if u.scheme == "file":
        path = Path(unquote(u.path))
        with contextlib.suppress(ValueError):
            path = path.relative_to(relative_to or Path.cwd())
        where = str(path)
    else:
        where = short(base_iri)
    if frag.startswith("row="):
        frag = "row " + frag[4:]
    elif frag.startswith("tag="):
        frag = "tag " + tag_path(frag[4:])
    return f"{where} {frag}".strip()


def tag_path(text: str) -> str:
    """``30060010/1/30060012/1`` -> ``(3006,0010)[1] › (3006,0012)[1]``: a DICOM attribute path."""
    parts = text.split("/")
    out: list[str] = []
    for i in range(0, len(parts), 2):
        t = parts[i]
        shown = f"({t[:4]},{t[4:]})" if len(t) == 8 else t
        if i + 1 < len(parts):
            shown += f"[{parts[i + 1]}]"
        out.append(shown)
    return " › ".join(out)


def source_parts(iri: str) -> dict[str, object]:
    """A source link as fields: file path and row or DICOM tag."""
    u = urlparse(iri)
    out: dict[str, object] = {"iri": iri}
    if u.scheme == "file":
        out["file"] = unquote(u.path)
    if u.fragment.startswith("row="):
        out["row"] = int(u.fragment[4:]) if u.fragment[4:].isdigit() else u.fragment[4:]
    elif u.fragment.startswith("tag="):
        out["tag"] = u.fragment[4:]
    return out


def _display_value(node: Node | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, URIRef):
        return short(str(node))
    return str(node)


def to_text(report: Report, *, examples: int = 3) -> str:
    """Grouped by shape and message with counts; examples point to source file and row."""
    lines: list[str] = []
    name = report.data or "data"
    if report.conforms:
        lines.append(f"{name}: conforms to {report.shapes or 'the shapes'} (engine: {report.engine})")
    else:
        summary = ", ".join(
            f"{n} {s.lower()}{'s' if n != 1 else ''}" for s, n in report.counts_by_severity().items()
        )
        groups = report.groups()
        lines.append(
            f"{name}: {len(report.results)} SHACL result(s) in {len(groups)} group(s): {summary} "
            f"(engine: {report.engine})"
        )
        for (sev, shape, msg, path), rs in groups:
            constraints = ", ".join(dict.fromkeys(r.constraint for r in rs))
            head = f"{sev} x{len(rs)}  {short(shape)}"
            if path and not shape.endswith(short(path)):
                head += f"  {short(path)}"
            lines.append(f"{head}  [{constraints}]  {msg}")
            shown: list[str] = []
            for r in rs:
                line = "    " + example(r)
                if line not in shown:
                    shown.append(line)
            lines += shown[:examples]
            if len(shown) > examples:
                lines.append(f"    ... and {len(shown) - examples} more")
    for note in report.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines) + "\n"


def example(r: Result) -> str:
    """Where a result comes from and the value: ``clinical.csv row 65: 6O``.

    A node derived from several files (a patient: one clinical row, many treatment rows) is shown
    by the file that has the fewest rows for it, the one that describes it.
    """
    where = _display_value(r.focus_node) or ""
    if r.sources:
        by_file: dict[str, list[str]] = {}
        for s in r.sources:
            by_file.setdefault(s.split("#")[0], []).append(s)
        first = min(by_file.values(), key=lambda v: (len(v), v[0]))
        where = "; ".join(source_ref(s) for s in first[:2])
        more = len(r.sources) - min(len(first), 2)
        if more:
            where += f" (+{more} more)"
    value = None if r.value_node is None or r.value_node == r.focus_node else _display_value(r.value_node)
    return where + (f": {value}" if value is not None else "")


def _term(node: Node | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, BNode):
        return f"_:{node}"
    return str(node)


def to_json(report: Report) -> str:
    results = []
    for r in report.results:
        item: dict[str, object] = {
            "severity": r.severity,
            "message": r.message,
            "focus": _term(r.focus_node),
            "path": r.path,
            "value": r.value,
            "constraint": r.constraint,
            "component": r.component,
            "shape": r.shape,
            "shape_name": r.shape_name,
            "sources": [source_parts(s) for s in r.sources],
            "engine": r.engine,
        }
        if isinstance(r.value_node, Literal) and r.value_node.datatype is not None:
            item["datatype"] = str(r.value_node.datatype)
        results.append(item)
    doc = {
        "data": report.data,
        "shapes": report.shapes,
        "conforms": report.conforms,
        "violations": report.violations,
        "counts": {s: n for s, n in Counter(r.severity for r in report.results).most_common()},
        "groups": [
            {"severity": k[0], "shape": k[1], "message": k[2], "path": k[3] or None, "count": len(v)}
            for k, v in report.groups()
        ],
        "engines": report.engines,
        "notes": report.notes,
        "results": results,
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def to_graph(report: Report) -> Graph:
    """The report as a real ``sh:ValidationReport`` graph; source rows as ``prov:wasDerivedFrom``."""
    from rdflib.namespace import PROV

    g = Graph()
    g.bind("sh", SH)
    g.bind("prov", PROV)
    rep = BNode()
    g.add((rep, RDF.type, SH.ValidationReport))
    g.add((rep, SH.conforms, Literal(report.conforms, datatype=XSD.boolean)))
    for r in report.results:
        node = BNode()
        g.add((rep, SH.result, node))
        g.add((node, RDF.type, SH.ValidationResult))
        g.add((node, SH.focusNode, r.focus_node))
        g.add((node, SH.resultSeverity, URIRef(r.severity_iri)))
        g.add((node, SH.sourceConstraintComponent, URIRef(r.component)))
        if r.source_shape is not None:
            g.add((node, SH.sourceShape, r.source_shape))
        if r.path_key is not None:
            g.add((node, SH.resultPath, path_graph(g, r.path_key)))
        if r.value_node is not None:
            g.add((node, SH.value, r.value_node))
        if r.message:
            g.add((node, SH.resultMessage, Literal(r.message)))
        for s in r.sources:
            g.add((node, PROV.wasDerivedFrom, URIRef(s)))
    return g


def to_turtle(report: Report) -> str:
    return to_graph(report).serialize(format="turtle")


CSV_COLUMNS = (
    "severity",
    "message",
    "shape",
    "shape_name",
    "constraint",
    "focus",
    "path",
    "value",
    "source_file",
    "source_row",
    "source_tag",
)


def to_csv(report: Report) -> str:
    """One line per result and source link (a result with no source link has one line)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for r in report.results:
        base = [
            r.severity,
            r.message,
            r.shape or "",
            r.shape_name or "",
            r.constraint,
            _term(r.focus_node),
            r.path or "",
            r.value or "",
        ]
        links = [source_parts(s) for s in r.sources] or [{}]
        for link in links:
            w.writerow(
                [*base, link.get("file", link.get("iri", "")), link.get("row", ""), link.get("tag", "")]
            )
    return buf.getvalue()
