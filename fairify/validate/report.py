"""The validation report both engines produce, and its writers (text, JSON, Turtle, CSV).

A ``Result`` keeps the RDF terms of the SHACL result (for the Turtle report and for comparing
engines) and the source rows its focus node was derived from (for the data steward). Writers
return text; the CLI decides where it goes.
"""

from __future__ import annotations

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
        """``sh:MinCountConstraintComponent`` -> ``sh:minCount`` style short name."""
        local = self.component.rsplit("#", 1)[-1].removesuffix("ConstraintComponent")
        return "sh:" + local[:1].lower() + local[1:] if self.component.startswith(str(SH)) else self.component

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

    def counts(self) -> Counter:
        return Counter((r.severity, r.message, r.path or "") for r in self.results)

    def groups(self) -> list[tuple[tuple[str, str, str, str], list[Result]]]:
        """Results grouped by (severity, shape, message, path), most serious and largest first."""
        groups: dict[tuple[str, str, str, str], list[Result]] = {}
        for r in self.results:
            groups.setdefault((r.severity, r.shape or "", r.message, r.path or ""), []).append(r)
        order = {"Violation": 0, "Warning": 1, "Info": 2}
        return sorted(groups.items(), key=lambda kv: (order.get(kv[0][0], 3), -len(kv[1]), kv[0][2], kv[0][3]))


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
    ("http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl#", "ncit:"),
    ("http://www.cancerdata.org/roo/", "roo:"),
    ("http://www.w3.org/2001/XMLSchema#", "xsd:"),
    ("http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdf:"),
    ("http://www.w3.org/2000/01/rdf-schema#", "rdfs:"),
    ("http://www.w3.org/ns/shacl#", "sh:"),
    ("https://w3id.org/fairify/shapes/", "fs:"),
    ("https://w3id.org/fairify/id/", "id:"),
)


def short(iri: str) -> str:
    for ns, prefix in PREFIXES:
        if iri.startswith(ns):
            return prefix + iri[len(ns) :]
    return iri


def source_ref(iri: str, *, relative_to: Path | None = None) -> str:
    """``file:///.../clinical.csv#row=12`` -> ``clinical.csv row 12``; ``#tag=00100010`` -> ``tag (0010,0010)``."""
    u = urlparse(iri)
    if u.scheme != "file":
        return iri
    path = Path(unquote(u.path))
    base = relative_to or Path.cwd()
    try:
        path = path.relative_to(base)
    except ValueError:
        pass
    frag = u.fragment
    if frag.startswith("row="):
        frag = "row " + frag[4:]
    elif frag.startswith("tag="):
        t = frag[4:]
        frag = f"tag ({t[:4]},{t[4:]})" if len(t) == 8 else f"tag {t}"
    return f"{path} {frag}".strip()


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
        by_sev = Counter(r.severity for r in report.results)
        summary = ", ".join(f"{n} {s.lower()}{'s' if n != 1 else ''}" for s, n in by_sev.most_common())
        groups = report.groups()
        lines.append(
            f"{name}: {len(report.results)} SHACL result(s) in {len(groups)} group(s): {summary} "
            f"(engine: {report.engine})"
        )
        for (sev, shape, msg, path), rs in groups:
            head = f"{sev} x{len(rs)}  {short(shape)}"
            if path:
                head += f"  {short(path)}"
            lines.append(f"{head}  {rs[0].constraint}: {msg}")
            shown: list[str] = []
            for r in rs:
                where = "; ".join(source_ref(s) for s in r.sources[:2]) or _display_value(r.focus_node) or ""
                if len(r.sources) > 2:
                    where += f" (+{len(r.sources) - 2} more)"
                value = _display_value(r.value_node)
                line = f"    {where}" + (f": {value}" if value is not None else "")
                if line not in shown:
                    shown.append(line)
            lines += shown[:examples]
            if len(shown) > examples:
                lines.append(f"    ... and {len(shown) - examples} more")
    for note in report.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines) + "\n"


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
        base = [r.severity, r.message, r.shape or "", r.constraint, _term(r.focus_node), r.path or "", r.value or ""]
        links = [source_parts(s) for s in r.sources] or [{}]
        for link in links:
            w.writerow([*base, link.get("file", link.get("iri", "")), link.get("row", ""), link.get("tag", "")])
    return buf.getvalue()
