"""Read the W3C SHACL test suite (``../shared/conformance/shacl``) and judge a report against a case.

The judging rule is the one in ``../shared/conformance/README.md``: ``sh:conforms`` must match and
the multiset of results must match, each result keyed by (focus node, result path compared
structurally, source constraint component, severity, value, source shape); blank nodes compare as
"a blank node", messages are ignored, literals compare by value. ``sht:Failure`` passes when the
engine refuses to validate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF

from fairify.validate.report import Report

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = Namespace("http://www.w3.org/ns/shacl-test#")
SH = Namespace("http://www.w3.org/ns/shacl#")


@dataclass
class Case:
    name: str  # e.g. core/node/class-001
    file: Path
    data: Path
    shapes: Path
    failure: bool  # the engine must refuse to validate
    conforms: bool | None
    results: Counter  # of result keys


def _manifest_entries(manifest: Path) -> Iterator[tuple[Path, URIRef, Graph]]:
    g = Graph().parse(manifest, format="turtle")
    for inc in g.objects(None, MF.include):
        yield from _manifest_entries(Path(str(inc).removeprefix("file://")))
    for lst in g.objects(None, MF.entries):
        for entry in Collection(g, lst):
            yield manifest, entry, g  # type: ignore[misc]


def cases(root: Path) -> list[Case]:
    """Every case listed by the manifests under ``root`` (a suite folder such as ``shacl/core``)."""
    out: list[Case] = []
    for manifest, entry, g in _manifest_entries(root / "manifest.ttl"):
        action = g.value(entry, MF.action)
        result = g.value(entry, MF.result)
        data = Path(str(g.value(action, SHT.dataGraph)).removeprefix("file://"))
        shapes = Path(str(g.value(action, SHT.shapesGraph)).removeprefix("file://"))
        name = str(entry).removeprefix("file://").removeprefix(str(root.parent) + "/")
        name = name.removesuffix(".ttl")
        if result == SHT.Failure:
            out.append(Case(name, manifest, data, shapes, True, None, Counter()))
            continue
        conforms = g.value(result, SH.conforms)
        keys = Counter(
            result_key(
                g.value(r, SH.focusNode),
                path_key(g, g.value(r, SH.resultPath)),
                g.value(r, SH.sourceConstraintComponent),
                g.value(r, SH.resultSeverity),
                g.value(r, SH.value),
                g.value(r, SH.sourceShape),
            )
            for r in g.objects(result, SH.result)
        )
        out.append(Case(name, manifest, data, shapes, False, bool(conforms.toPython()), keys))
    return out


def term_key(t: object) -> object:
    """Blank nodes are all alike; literals compare by value (lexical form when ill-typed)."""
    if t is None:
        return None
    if isinstance(t, BNode):
        return "_:"
    if isinstance(t, Literal):
        if t.language:
            return ("lit", str(t), t.language.lower())
        xml = str(t.datatype).endswith(("#HTML", "#XMLLiteral"))
        v = t.value if t.value is not None and not getattr(t, "ill_typed", False) and not xml else str(t)
        if isinstance(v, bool):
            return ("lit", "bool", v)
        return (
            ("lit", v)
            if isinstance(v, int | float) or type(v).__name__ == "Decimal"
            else (
                "lit",
                str(v),
                str(t.datatype),
            )
        )
    return str(t)


def path_key(g: Graph, p: object) -> object:
    """A SHACL path as nested tuples, so that two blank-node paths compare structurally."""
    if p is None:
        return None
    if isinstance(p, URIRef):
        return str(p)
    if (p, RDF.first, None) in g:
        return ("seq", *(path_key(g, x) for x in Collection(g, p)))
    for kind in ("inversePath", "zeroOrMorePath", "oneOrMorePath", "zeroOrOnePath"):
        x = g.value(p, SH[kind])
        if x is not None:
            return (kind, path_key(g, x))
    alt = g.value(p, SH.alternativePath)
    if alt is not None:
        return ("alternativePath", *(path_key(g, x) for x in Collection(g, alt)))
    return "_:"


def result_key(focus, path, component, severity, value, shape) -> tuple:
    return (term_key(focus), path, str(component), str(severity), term_key(value), term_key(shape))


def report_keys(report: Report) -> Counter:
    """The keys of a fairify report, comparable with a case's expected ``results``."""
    return Counter(
        result_key(r.focus_node, r.path_key, r.component, r.severity_iri, r.value_node, r.source_shape)
        for r in report.results
    )
