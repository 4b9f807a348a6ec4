"""Read SHACL shapes: files into one rdflib graph (errors name file and line), then a shape model.

The model is what the fast engine compiles (``compile.py``): each shape with its targets, path,
severity, messages and constraints (one ``Constraint`` per constraint component and parameter
value, as SHACL counts them). pySHACL reads the same graph itself; the model is not used for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, XSD
from rdflib.term import Node

from fairify.errors import Location, MappingError, UsageError

SH = Namespace("http://www.w3.org/ns/shacl#")
SHAPE_SUFFIXES = (".ttl", ".nt", ".n3", ".rdf", ".owl", ".jsonld", ".trig", ".nq")

# A SHACL path: an IRI (as str), or a tuple whose first item names the kind:
# ("seq", p1, p2, ...), ("alternativePath", p1, ...), ("inversePath", p), ("zeroOrMorePath", p),
# ("oneOrMorePath", p), ("zeroOrOnePath", p). Tuples compare structurally, as the judge needs.
PathT = str | tuple


class ShapesError(MappingError):
    """The shapes cannot be read or are not well-formed SHACL (exit code 2, like a bad mapping)."""


# ---------------------------------------------------------------------------------------------
# Files


def shape_files(shapes: Path) -> list[Path]:
    """The shapes files: the file itself, or every RDF file under a folder (sorted, so stable)."""
    if shapes.is_dir():
        files = sorted(p for p in shapes.rglob("*") if p.is_file() and p.suffix in SHAPE_SUFFIXES)
        if not files:
            raise UsageError(f"no shapes (.ttl) in {shapes}")
        return files
    if not shapes.is_file():
        raise UsageError(f"shapes file {shapes} not found")
    return [shapes]


def read_shapes(shapes: str | Path | Graph | list[str | Path]) -> Graph:
    """All shapes files in one graph; a syntax error names its file and line."""
    if isinstance(shapes, Graph):
        return shapes
    import rdflib

    paths = [Path(p) for p in shapes] if isinstance(shapes, list) else [Path(shapes)]
    files = [f for path in paths for f in shape_files(path)]
    g = Graph()
    # Keep lexical forms as written: "1"^^xsd:boolean is not "true" to SHACL (suite case uniqueLang-002).
    normalize = rdflib.NORMALIZE_LITERALS
    rdflib.NORMALIZE_LITERALS = False
    try:
        for f in files:
            fmt = "turtle" if f.suffix == ".ttl" else None
            try:
                g.parse(f, format=fmt)
            except Exception as exc:
                raise ShapesError(_syntax_message(exc), Location(file=str(f), line=_error_line(exc))) from exc
    finally:
        rdflib.NORMALIZE_LITERALS = normalize
    return g


def _error_line(exc: Exception) -> int | None:
    m = re.search(r"at line (\d+)", str(exc)) or re.search(r"line (\d+)", str(exc))
    return int(m.group(1)) if m else None


def _syntax_message(exc: Exception) -> str:
    """rdflib's message is several lines; keep the reason (``Bad syntax (objectList expected)``)."""
    m = re.search(r"Bad syntax \(([^)]*)\)", str(exc))
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"not valid Turtle: {m.group(1)}" if m else f"not valid RDF: {first}"


# ---------------------------------------------------------------------------------------------
# Paths


def read_path(g: Graph, node: Node | None, shape: Node | None = None) -> PathT | None:
    """The SHACL path at ``node`` as a ``PathT``; a malformed path is a ``ShapesError``."""
    if node is None:
        return None
    return _read_path(g, node, shape, set())


def _read_path(g: Graph, node: Node, shape: Node | None, seen: set[Node]) -> PathT:
    if isinstance(node, URIRef):
        return str(node)
    if isinstance(node, Literal) or node in seen:
        raise ShapesError(f"shape {_name(shape)}: sh:path {node} is not a SHACL path")
    seen = seen | {node}
    if (node, RDF.first, None) in g:
        items = _list(g, node)
        if len(items) < 2:
            raise ShapesError(f"shape {_name(shape)}: a sequence path needs at least two members")
        return ("seq", *(_read_path(g, x, shape, seen) for x in items))
    alt = g.value(node, SH.alternativePath)
    if alt is not None:
        items = _list(g, alt)
        if len(items) < 2:
            raise ShapesError(f"shape {_name(shape)}: sh:alternativePath needs at least two members")
        return ("alternativePath", *(_read_path(g, x, shape, seen) for x in items))
    for kind in ("inversePath", "zeroOrMorePath", "oneOrMorePath", "zeroOrOnePath"):
        x = g.value(node, SH[kind])
        if x is not None:
            return (kind, _read_path(g, x, shape, seen))
    raise ShapesError(f"shape {_name(shape)}: sh:path {_name(node)} is not a SHACL path")


def path_sparql(p: PathT) -> str:
    """The SPARQL 1.1 property path for a SHACL path."""
    if isinstance(p, str):
        return f"<{p}>"
    kind, *items = p
    if kind == "seq":
        return "(" + "/".join(path_sparql(x) for x in items) + ")"
    if kind == "alternativePath":
        return "(" + "|".join(path_sparql(x) for x in items) + ")"
    inner = path_sparql(items[0])
    if not inner.startswith(("(", "<")):  # ^^p is not SPARQL: ^(^p)
        inner = f"({inner})"
    return {
        "inversePath": f"^{inner}",
        "zeroOrMorePath": f"({inner})*",
        "oneOrMorePath": f"({inner})+",
        "zeroOrOnePath": f"({inner})?",
    }[kind]


def path_text(p: PathT | None, short: dict[str, str] | None = None) -> str | None:
    """A readable form of a path: the IRI for a predicate, SPARQL syntax otherwise."""
    if p is None:
        return None
    if isinstance(p, str):
        return p
    text = path_sparql(p)
    return text[1:-1] if text.startswith("(") and text.endswith(")") and text.count("(") == 1 else text


def path_graph(g: Graph, p: PathT) -> Node:
    """Write a path into ``g`` (for the Turtle report); returns its node."""
    if isinstance(p, str):
        return URIRef(p)
    kind, *items = p
    if kind == "seq":
        head = BNode()
        Collection(g, head, [path_graph(g, x) for x in items])
        return head
    node = BNode()
    if kind == "alternativePath":
        lst = BNode()
        Collection(g, lst, [path_graph(g, x) for x in items])
        g.add((node, SH.alternativePath, lst))
    else:
        g.add((node, SH[kind], path_graph(g, items[0])))
    return node


def _list(g: Graph, node: Node) -> list[Node]:
    try:
        return list(Collection(g, node))
    except Exception as exc:  # a broken rdf:List
        raise ShapesError(f"{_name(node)} is not a well-formed RDF list") from exc


def _name(node: Node | None) -> str:
    if node is None:
        return "?"
    return str(node) if isinstance(node, URIRef) else f"_:{node}"


# ---------------------------------------------------------------------------------------------
# The shape model

# The parameters of SHACL Core's constraint components (shape parameters that make a node a shape).
CORE_PARAMETERS = {
    SH["class"],
    SH.datatype,
    SH.nodeKind,
    SH.minCount,
    SH.maxCount,
    SH.minExclusive,
    SH.minInclusive,
    SH.maxExclusive,
    SH.maxInclusive,
    SH.minLength,
    SH.maxLength,
    SH.pattern,
    SH.flags,
    SH.languageIn,
    SH.uniqueLang,
    SH.equals,
    SH.disjoint,
    SH.lessThan,
    SH.lessThanOrEquals,
    SH["not"],
    SH["and"],
    SH["or"],
    SH.xone,
    SH.node,
    SH.property,
    SH.qualifiedValueShape,
    SH.qualifiedMinCount,
    SH.qualifiedMaxCount,
    SH.qualifiedValueShapesDisjoint,
    SH.closed,
    SH.ignoredProperties,
    SH.hasValue,
    SH["in"],
    SH.sparql,
}
TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)
SEVERITY_NAMES = {str(SH.Violation): "Violation", str(SH.Warning): "Warning", str(SH.Info): "Info"}

# component IRI -> the parameter that makes one constraint per value
_SINGLE = {
    SH["class"]: SH.ClassConstraintComponent,
    SH.datatype: SH.DatatypeConstraintComponent,
    SH.nodeKind: SH.NodeKindConstraintComponent,
    SH.minCount: SH.MinCountConstraintComponent,
    SH.maxCount: SH.MaxCountConstraintComponent,
    SH.minExclusive: SH.MinExclusiveConstraintComponent,
    SH.minInclusive: SH.MinInclusiveConstraintComponent,
    SH.maxExclusive: SH.MaxExclusiveConstraintComponent,
    SH.maxInclusive: SH.MaxInclusiveConstraintComponent,
    SH.minLength: SH.MinLengthConstraintComponent,
    SH.maxLength: SH.MaxLengthConstraintComponent,
    SH.equals: SH.EqualsConstraintComponent,
    SH.disjoint: SH.DisjointConstraintComponent,
    SH.lessThan: SH.LessThanConstraintComponent,
    SH.lessThanOrEquals: SH.LessThanOrEqualsConstraintComponent,
    SH["not"]: SH.NotConstraintComponent,
    SH.node: SH.NodeConstraintComponent,
    SH.hasValue: SH.HasValueConstraintComponent,
}
_LISTS = {
    SH["and"]: SH.AndConstraintComponent,
    SH["or"]: SH.OrConstraintComponent,
    SH.xone: SH.XoneConstraintComponent,
    SH["in"]: SH.InConstraintComponent,
    SH.languageIn: SH.LanguageInConstraintComponent,
}


@dataclass(eq=False)
class Constraint:
    """One constraint: a component and its parameter values (lists already read into Python lists)."""

    component: URIRef
    value: object  # the main parameter's value (a node, or a list of nodes)
    extra: dict[str, object] = field(default_factory=dict)  # flags, qualified counts, ignored ...

    @property
    def name(self) -> str:
        return "sh:" + str(self.component).removeprefix(str(SH)).removesuffix("ConstraintComponent")


@dataclass(eq=False)
class Shape:
    node: Node
    path: PathT | None
    targets: list[tuple[str, Node]]  # ("class"|"node"|"subjectsOf"|"objectsOf"|"sparql", value)
    constraints: list[Constraint]
    properties: list[Node]  # sh:property shapes (nodes; resolve through Shapes)
    severity: str  # IRI
    messages: list[Literal]
    deactivated: bool

    @property
    def is_property(self) -> bool:
        return self.path is not None

    @property
    def label(self) -> str:
        return _name(self.node)


class Shapes:
    """The shapes graph read into ``Shape`` objects; ``get(node)`` reads any shape on demand."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self._shapes: dict[Node, Shape] = {}
        self.custom_parameters = self._custom_parameters()
        self.targeted: list[Shape] = [self.get(n) for n in self._targeted_nodes()]

    def get(self, node: Node) -> Shape:
        if node not in self._shapes:
            self._shapes[node] = self._read(node)
        return self._shapes[node]

    def _targeted_nodes(self) -> list[Node]:
        g = self.graph
        nodes: dict[Node, None] = {}
        for t in TARGETS:
            for s in g.subjects(t, None):
                nodes[s] = None
        shape_types = (SH.NodeShape, SH.PropertyShape)
        for cls in (RDFS.Class, OWL.Class):
            for s in self._instances(cls):
                if any((s, RDF.type, t) in g for t in shape_types) or any(
                    (s, p, None) in g for p in (SH.property, SH.path)
                ):
                    nodes[s] = None
        return sorted(nodes, key=lambda n: (isinstance(n, BNode), str(n)))

    def _instances(self, cls: URIRef) -> set[Node]:
        g = self.graph
        classes = {cls} | set(g.transitive_subjects(RDFS.subClassOf, cls))
        return {s for c in classes for s in g.subjects(RDF.type, c)}

    def _custom_parameters(self) -> set[URIRef]:
        """Parameters of constraint components declared in the shapes graph (SHACL-SPARQL)."""
        g = self.graph
        params: set[URIRef] = set()
        comps = self._instances(SH.ConstraintComponent)
        for c in comps:
            for p in g.objects(c, SH.parameter):
                path = g.value(p, SH.path)
                if isinstance(path, URIRef):
                    params.add(path)
        return params

    def _read(self, node: Node) -> Shape:
        g = self.graph
        path = read_path(g, g.value(node, SH.path), node)
        targets: list[tuple[str, Node]] = []
        for kind, pred in (
            ("class", SH.targetClass),
            ("node", SH.targetNode),
            ("subjectsOf", SH.targetSubjectsOf),
            ("objectsOf", SH.targetObjectsOf),
            ("sparql", SH.target),
        ):
            targets += [(kind, o) for o in g.objects(node, pred)]
        for cls in (RDFS.Class, OWL.Class):
            if node in self._instances(cls) and isinstance(node, URIRef):
                targets.append(("class", node))
                break
        severity = g.value(node, SH.severity) or SH.Violation
        deactivated = any(is_true(o) for o in g.objects(node, SH.deactivated))
        constraints: list[Constraint] = []
        for pred, comp in _SINGLE.items():
            for o in g.objects(node, pred):
                constraints.append(Constraint(comp, o))
        for pred, comp in _LISTS.items():
            for o in g.objects(node, pred):
                constraints.append(Constraint(comp, _list(g, o)))
        for o in g.objects(node, SH.pattern):
            flags = g.value(node, SH.flags)
            constraints.append(Constraint(SH.PatternConstraintComponent, o, {"flags": flags}))
        for o in g.objects(node, SH.uniqueLang):
            if is_true(o):
                constraints.append(Constraint(SH.UniqueLangConstraintComponent, o))
        for o in g.objects(node, SH.closed):
            if is_true(o):
                ignored: list[Node] = []
                for lst in g.objects(node, SH.ignoredProperties):
                    ignored += _list(g, lst)
                constraints.append(Constraint(SH.ClosedConstraintComponent, o, {"ignored": ignored}))
        for q in g.objects(node, SH.qualifiedValueShape):
            disjoint = g.value(node, SH.qualifiedValueShapesDisjoint)
            extra = {"disjoint": is_true(disjoint)}
            for o in g.objects(node, SH.qualifiedMinCount):
                constraints.append(
                    Constraint(SH.QualifiedMinCountConstraintComponent, q, {**extra, "min": o})
                )
            for o in g.objects(node, SH.qualifiedMaxCount):
                constraints.append(
                    Constraint(SH.QualifiedMaxCountConstraintComponent, q, {**extra, "max": o})
                )
        for o in g.objects(node, SH.sparql):
            constraints.append(Constraint(SH.SPARQLConstraintComponent, o))
        for p in self.custom_parameters:
            if p not in CORE_PARAMETERS and (node, p, None) in g:
                constraints.append(Constraint(SH.ConstraintComponent, p, {"custom": True}))
        return Shape(
            node=node,
            path=path,
            targets=targets,
            constraints=constraints,
            properties=list(g.objects(node, SH.property)),
            severity=str(severity),
            messages=[m for m in g.objects(node, SH.message) if isinstance(m, Literal)],
            deactivated=deactivated,
        )

    def sibling_qualified_shapes(self, shape: Shape, q: Node) -> list[Node]:
        """``sh:qualifiedValueShapesDisjoint``: the qualified value shapes of the sibling property shapes."""
        g = self.graph
        out: list[Node] = []
        for parent in g.subjects(SH.property, shape.node):
            for sibling in g.objects(parent, SH.property):
                for other in g.objects(sibling, SH.qualifiedValueShape):
                    if other != q and other not in out:
                        out.append(other)
        return out


def is_true(o: Node | None) -> bool:
    """Only ``"true"^^xsd:boolean`` switches a SHACL flag on (``"1"`` does not: suite case uniqueLang-002)."""
    return isinstance(o, Literal) and o.datatype == XSD.boolean and str(o) == "true"


def pick_message(messages: list[Literal]) -> str | None:
    """One message: the one without a language tag, else English, else the first."""
    if not messages:
        return None
    for m in messages:
        if not m.language:
            return str(m)
    for m in messages:
        if m.language and m.language.lower().startswith("en"):
            return str(m)
    return str(messages[0])


def shape_name(g: Graph, node: Node | None, _depth: int = 0) -> str | None:
    """A readable name: the IRI, or for a blank-node property shape its parent and sh:name (or path)."""
    from fairify.validate.report import short

    if node is None:
        return None
    if isinstance(node, URIRef):
        return short(str(node))
    names = [n for n in g.objects(node, SH.name) if isinstance(n, Literal)]
    own = pick_message(names)
    if own is None:
        p = g.value(node, SH.path)
        own = short(path_text(read_path(g, p)) or "") if p is not None else f"_:{node}"
    parent = next(iter(g.subjects(SH.property, node)), None)
    if parent is not None and _depth < 5:
        return f"{shape_name(g, parent, _depth + 1)} › {own}"
    return own
