"""SHACL Core and SHACL-SPARQL constraints compiled into SPARQL queries for Oxigraph.

Each targeted shape becomes a few SELECT queries that return only the violating rows:

* the value-level constraints of a shape (class, datatype, nodeKind, ranges, lengths, pattern,
  languageIn, in, hasValue on node shapes, node, not, and, or, xone) share one query that walks the
  value nodes once and sets one flag per constraint; a node shape's query also carries the
  minCount 1 / maxCount 0 / maxCount 1 of its property shapes;
* other focus-level constraints (counts, hasValue, equals, disjoint, lessThan(OrEquals),
  uniqueLang, closed, qualified counts) get a query each;
* a SPARQL-based constraint (``sh:sparql`` with ``sh:select``) whose body is a flat group is
  joined with the focus nodes and runs once; any other body runs once per focus node with
  ``$this`` substituted in its text, which is SHACL's pre-binding.

Conformance of a value node to another shape (``sh:node``, ``sh:not``, ``sh:and``, ``sh:or``,
``sh:xone``, qualified value shapes) is compiled into a ``nonconforming`` pattern tested with
``EXISTS``. Whatever this module cannot express exactly raises ``Unsupported`` naming the
constraint; the caller hands that shape to pySHACL instead of skipping it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from fairify.validate.shapes import (
    SH,
    Constraint,
    PathT,
    Shape,
    Shapes,
    ShapesError,
    is_true,
    path_sparql,
    pick_message,
)

XSD_NS = str(XSD)
RDF_NS = str(RDF)
# XSD datatypes whose lexical space Oxigraph checks through its cast function of the same name.
CASTABLE = {
    XSD_NS + n
    for n in [
        "string",
        "boolean",
        "decimal",
        "integer",
        "double",
        "float",
        "date",
        "time",
        "dateTime",
        "duration",
        "dayTimeDuration",
        "yearMonthDuration",
        "gYear",
        "gYearMonth",
        "gMonth",
        "gDay",
        "gMonthDay",
    ]
}
# Oxigraph stores literals of these as xsd:integer: the datatype is lost on loading.
DERIVED_INTEGERS = {
    XSD_NS + n
    for n in [
        "long",
        "int",
        "short",
        "byte",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
        "positiveInteger",
        "nonNegativeInteger",
        "negativeInteger",
        "nonPositiveInteger",
    ]
}
# Constraints on each value node (``value_ok`` gives a condition for them on a property shape).
VALUE_LEVEL = {
    "Class",
    "Datatype",
    "NodeKind",
    "MinExclusive",
    "MinInclusive",
    "MaxExclusive",
    "MaxInclusive",
    "MinLength",
    "MaxLength",
    "Pattern",
    "LanguageIn",
    "In",
    "Node",
    "Not",
    "And",
    "Or",
    "Xone",
}
NESTED_COUNT_LIMIT = 3  # counts inside sh:node/sh:not/...: pairwise-distinct patterns up to this size

DEFAULT_MESSAGES = {
    "Class": "value is not an instance of {class}",
    "Datatype": "value is not a well-formed literal of datatype {datatype}",
    "NodeKind": "value is not of node kind {nodeKind}",
    "MinCount": "fewer than {minCount} value(s)",
    "MaxCount": "more than {maxCount} value(s)",
    "MinExclusive": "value is not greater than {minExclusive}",
    "MinInclusive": "value is not greater than or equal to {minInclusive}",
    "MaxExclusive": "value is not less than {maxExclusive}",
    "MaxInclusive": "value is not less than or equal to {maxInclusive}",
    "MinLength": "value is shorter than {minLength} characters",
    "MaxLength": "value is longer than {maxLength} characters",
    "Pattern": "value does not match the pattern {pattern}",
    "LanguageIn": "language tag is not one of {languageIn}",
    "UniqueLang": "more than one value uses the same language tag",
    "Equals": "values differ from those of {equals}",
    "Disjoint": "value is also a value of {disjoint}",
    "LessThan": "value is not less than the values of {lessThan}",
    "LessThanOrEquals": "value is not less than or equal to the values of {lessThanOrEquals}",
    "Not": "value conforms to the shape it must not conform to",
    "And": "value does not conform to all of the shapes",
    "Or": "value conforms to none of the shapes",
    "Xone": "value does not conform to exactly one of the shapes",
    "Node": "value does not conform to shape {node}",
    "QualifiedMinCount": "fewer than {qualifiedMinCount} value(s) conform to the qualified value shape",
    "QualifiedMaxCount": "more than {qualifiedMaxCount} value(s) conform to the qualified value shape",
    "Closed": "property is not allowed by the closed shape",
    "HasValue": "missing the required value {hasValue}",
    "In": "value is not in the allowed list",
    "SPARQL": "SPARQL constraint not met",
}


def default_message(g: Graph, local: str, c: Constraint) -> str:
    """fairify's message for a constraint whose shape has no sh:message (the same for both engines).

    For sh:node, the message of the shape it names, when that shape has one.
    """
    if local == "Node" and isinstance(c.value, Node):
        named = pick_message([m for m in g.objects(c.value, SH.message) if isinstance(m, Literal)])
        if named:
            return named
    text = DEFAULT_MESSAGES.get(local, local)
    v = c.value
    shown = (
        " ".join(_show(x) for x in v) if isinstance(v, list) else _show(v) if isinstance(v, Node) else str(v)
    )
    key = local[:1].lower() + local[1:]
    if local == "QualifiedMinCount":
        shown = str(c.extra.get("min"))
    elif local == "QualifiedMaxCount":
        shown = str(c.extra.get("max"))
    return text.replace("{" + key + "}", shown)


def message_for(shapes: Shapes, shape: Node, component: str) -> str | None:
    """The message a result of ``component`` at ``shape`` gets: the shape's own, else fairify's."""
    s = shapes.get(shape)
    own = pick_message(s.messages)
    if own is not None:
        return own
    for c in s.constraints:
        if str(c.component) == component:
            local = component.removeprefix(str(SH)).removesuffix("ConstraintComponent")
            return default_message(shapes.graph, local, c)
    return None


class Unsupported(Exception):
    """A constraint the fast engine does not express exactly; the shape goes to pySHACL."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def term(node: Node) -> str:
    """An rdflib term in SPARQL syntax (blank nodes of the shapes graph cannot be named)."""
    if isinstance(node, URIRef):
        return f"<{_iri_escape(str(node))}>"
    if isinstance(node, Literal):
        lex = _string(str(node))
        if node.language:
            return f"{lex}@{node.language}"
        if node.datatype is not None and str(node.datatype) != XSD_NS + "string":
            return f"{lex}^^<{node.datatype}>"
        return lex
    raise Unsupported(f"a blank node of the shapes graph ({node.n3()}) used as a value")


def _iri_escape(iri: str) -> str:
    return "".join(c if c not in '<>"{}|^`\\ ' else f"%{ord(c):02X}" for c in iri)


def _string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'


# ---------------------------------------------------------------------------------------------
# Output of the compiler


@dataclass
class Check:
    """What a row of a query reports: a result of this shape and component."""

    shape: Shape
    component: str
    path: PathT | None
    severity: str
    message: str
    reports_value: bool = True


@dataclass
class Query:
    """One SPARQL SELECT; ``kind`` tells the engine how to read its rows.

    * ``flags``: rows ``?this ?value ?f0 ?f1 ...``; a true ``?fi`` is a result of ``checks[i]``
      (with ``optional``, one per focus node and value shown: a count flag repeats on each value);
    * ``focus``: rows ``?this [?value] [?path]``, each a result of ``checks[0]``;
    * ``counts``: rows ``?this ?n`` of the focus nodes a GROUP BY ... HAVING found out of bounds;
    * ``sparql``: a SPARQL-based constraint: ``?this`` plus its own variables; with a
      ``focus_query`` (listing the focus nodes) it runs once per focus node, ``$this`` substituted.
    """

    kind: str
    sparql: str
    checks: list[Check]
    top: Shape
    focus_query: str | None = None
    optional: bool = False  # flags over ``OPTIONAL`` values: a focus-level flag may repeat per value

    @property
    def label(self) -> str:
        return ", ".join(sorted({c.shape.label + " " + _short_component(c.component) for c in self.checks}))


def _short_component(c: str) -> str:
    return "sh:" + c.rsplit("#", 1)[-1].removesuffix("ConstraintComponent")


@dataclass
class Plan:
    queries: list[Query] = field(default_factory=list)
    fallback: dict[Node, str] = field(default_factory=dict)  # targeted shape -> why pySHACL runs it


@dataclass
class Context:
    """What the compiler needs from the data: subclass closures, datatypes Oxigraph rewrote."""

    subclasses: Callable[[str], list[str]]
    derived_integers_in_data: Callable[[], bool] = lambda: False  # asked only for sh:datatype xsd:integer
    regex_ok: Callable[[str, str], bool] = lambda pattern, flags: True
    shapes_graph: Callable[[], str | None] = lambda: None  # a named graph holding the shapes, if possible


def compile_shapes(shapes: Shapes, ctx: Context) -> Plan:
    """Compile every targeted shape; those with an unsupported constraint are listed in ``fallback``."""
    plan = Plan()
    for shape in shapes.targeted:
        if shape.deactivated:
            continue
        try:
            queries = _Compiler(shapes, ctx, shape).compile()
        except Unsupported as u:
            plan.fallback[shape.node] = u.reason
            continue
        plan.queries += queries
    return plan


# ---------------------------------------------------------------------------------------------


class _Compiler:
    def __init__(self, shapes: Shapes, ctx: Context, top: Shape):
        self.shapes = shapes
        self.ctx = ctx
        self.top = top
        self._n = itertools.count()

    def var(self, stem: str = "v") -> str:
        return f"?{stem}{next(self._n)}"

    def compile(self) -> list[Query]:
        return self.report(self.top, lambda v: self.focus(self.top, v), [], ())

    # -- focus nodes ---------------------------------------------------------------------------

    def focus(self, shape: Shape, v: str) -> str:
        """A pattern binding ``v`` to the focus nodes of ``shape``'s targets (maybe repeated)."""
        parts: list[str] = []
        for kind, node in shape.targets:
            if kind == "class":
                parts.append(self.instances(v, node))
            elif kind == "node":
                parts.append(f"VALUES {v} {{ {term(node)} }}")
            elif kind == "subjectsOf":
                parts.append(f"{{ SELECT DISTINCT {v} WHERE {{ {v} {term(node)} {self.var('o')} }} }}")
            elif kind == "objectsOf":
                parts.append(f"{{ SELECT DISTINCT {v} WHERE {{ {self.var('s')} {term(node)} {v} }} }}")
            else:
                raise Unsupported("a SPARQL-based target (sh:target)")
        if len(parts) == 1:
            return parts[0]
        return f"{{ SELECT DISTINCT {v} WHERE {{ " + " UNION ".join(f"{{ {p} }}" for p in parts) + " } }"

    def instances(self, v: str, cls: Node) -> str:
        """SHACL instances: ``rdf:type/rdfs:subClassOf*``, with the subclasses read from the data once."""
        if not isinstance(cls, URIRef):
            raise Unsupported("a class that is a blank node")
        classes = self.ctx.subclasses(str(cls))
        if len(classes) == 1:
            return f"{v} <{RDF_NS}type> <{classes[0]}> ."
        k = self.var("c")
        return f"VALUES {k} {{ {' '.join(f'<{c}>' for c in classes)} }} {v} <{RDF_NS}type> {k} ."

    # -- reporting a shape ---------------------------------------------------------------------

    def report(
        self,
        shape: Shape,
        focus: Callable[[str], str],
        stack: list[Node],
        chain: tuple[str, ...],
        skip: frozenset[int] = frozenset(),
        carry: bool = False,
    ) -> list[Query]:
        """Queries giving the results of ``shape`` for the focus nodes ``focus`` binds.

        ``chain`` holds the variables of the parents' focus nodes of a nested property shape: they
        are projected too, so that a node reached from two parents gives two results, as in SHACL.
        ``skip``: constraints (by id) a parent node shape already checks in its own flags query.
        ``carry``: a property shape of a node shape that checks its own minCount 1 / maxCount 0 /
        maxCount 1 in its values query (see ``carries_counts``).
        """
        if shape.deactivated:
            return []
        if shape.node in stack:
            raise Unsupported(f"recursive shapes ({shape.label})")
        stack = [*stack, shape.node]
        queries: list[Query] = []
        value_checks: list[tuple[Check, str]] = []
        severity = shape.severity
        message = pick_message(shape.messages)
        path = shape.path
        counts: list[Constraint] = []
        for c in shape.constraints:
            if id(c) in skip:
                continue
            local = c.component.removeprefix(str(SH)).removesuffix("ConstraintComponent")
            msg = message or self.default_message(local, c)
            check = Check(shape, str(c.component), path, severity, msg)
            if local in ("MinCount", "MaxCount"):
                if shape.is_property:
                    flag = self.count_flag(shape, c, optional=True) if carry else None
                    if flag is not None:
                        value_checks.append(flag)
                    else:
                        counts.append(c)
                continue
            if local in ("LessThan", "LessThanOrEquals") and not shape.is_property:
                continue
            ok = self.value_ok(shape, c, "?value", stack)
            if ok is not None:
                check.reports_value = local != "HasValue"
                bad = f"!COALESCE({ok}, false)"
                value_checks.append((check, f"(BOUND(?value) && {bad})" if carry else bad))
                continue
            queries.append(self.focus_query(shape, c, check, focus, stack))
        if counts:
            queries += self.count_queries(shape, counts, focus, message)
        handled: set[int] = set()
        if not shape.is_property:
            # The simple counts of the node shape's property shapes join its flags query: one pass
            # over the focus nodes instead of one per property (about half the time).
            for child_node in shape.properties:
                child = self.shapes.get(child_node)
                if child.deactivated or not child.is_property or child.node in stack:
                    continue
                if not chain and self.carries_counts(child):
                    continue
                for c in child.constraints:
                    flag = self.count_flag(child, c)
                    if flag is not None:
                        value_checks.append(flag)
                        handled.add(id(c))
        if value_checks:
            queries.append(self.flags_query(shape, value_checks, focus, optional=carry))
        if chain:
            for q in queries:
                q.sparql = _with_chain(q.sparql, chain)
                if q.focus_query is not None:
                    q.focus_query = _with_chain(q.focus_query, chain).replace("SELECT DISTINCT", "SELECT", 1)
        for p in shape.properties:
            child = self.shapes.get(p)
            if shape.is_property:
                parent_path = path_sparql(shape.path)  # type: ignore[arg-type]
                t = self.var("t")

                def child_focus(
                    v: str, f: Callable[[str], str] = focus, pp: str = parent_path, t: str = t
                ) -> str:
                    return f"{f(t)} {t} {pp} {v} ."

                queries += self.report(child, child_focus, stack, (*chain, t))
            else:
                carries = not chain and child.node not in stack and self.carries_counts(child)
                queries += self.report(child, focus, stack, chain, frozenset(handled), carries)
        return queries

    def carries_counts(self, shape: Shape) -> bool:
        """Whether a property shape of a node shape checks its simple counts in its own values query.

        A property shape with value-level constraints walks its values anyway; walked with
        ``OPTIONAL``, a minCount 1 is "no value" and a maxCount 1 "another value beside this one",
        one look-up less per focus node than the node shape's flags (and one pass over the focus
        nodes less in all when the node shape has no other flags).
        """
        return shape.is_property and any(
            c.component.removeprefix(str(SH)).removesuffix("ConstraintComponent") in VALUE_LEVEL
            for c in shape.constraints
        )

    def count_flag(self, shape: Shape, c: Constraint, *, optional: bool = False) -> tuple[Check, str] | None:
        """A minCount 1, maxCount 0 or maxCount 1 of a property shape as a condition on its focus node
        (true when the focus node does NOT conform), or None for other constraints.

        ``optional``: the condition for a row of ``focus OPTIONAL { ?this path ?value }``; a focus
        node with two values flags both rows (the engine reports it once).
        """
        local = c.component.removeprefix(str(SH)).removesuffix("ConstraintComponent")
        if local not in ("MinCount", "MaxCount") or not shape.is_property:
            return None
        n = _int(c.value, c.name)
        path = shape.path
        if optional:
            if local == "MinCount" and n == 1:
                bad = "!BOUND(?value)"
            elif local == "MaxCount" and n == 0:
                bad = "BOUND(?value)"
            elif local == "MaxCount" and n == 1:
                b = self.var("b")
                other = chain(self.path_patterns("?this", path, b), f"FILTER(!sameTerm(?value, {b}))")  # type: ignore[arg-type]
                bad = f"(BOUND(?value) && EXISTS {{ {other} }})"
            else:
                return None
            msg = pick_message(shape.messages) or self.default_message(local, c)
            return Check(shape, str(c.component), path, shape.severity, msg, False), bad
        if local == "MinCount" and n == 1:
            ok = f"EXISTS {{ {chain(self.path_patterns('?this', path, self.var()))} }}"  # type: ignore[arg-type]
        elif local == "MaxCount" and n == 0:
            ok = f"NOT EXISTS {{ {chain(self.path_patterns('?this', path, self.var()))} }}"  # type: ignore[arg-type]
        elif local == "MaxCount" and n == 1:
            a, b = self.var("a"), self.var("b")
            other = chain(self.path_patterns("?this", path, b), f"FILTER(!sameTerm({a}, {b}))")  # type: ignore[arg-type]
            ok = f"NOT EXISTS {{ {chain(self.path_patterns('?this', path, a), f'FILTER EXISTS {{ {other} }}')} }}"  # type: ignore[arg-type]
        else:
            return None
        msg = pick_message(shape.messages) or self.default_message(local, c)
        return Check(shape, str(c.component), path, shape.severity, msg, False), f"!COALESCE({ok}, false)"

    def default_message(self, local: str, c: Constraint) -> str:
        return default_message(self.shapes.graph, local, c)

    def values(self, shape: Shape, focus_var: str, value_var: str) -> str:
        if shape.is_property:
            return f"{focus_var} {path_sparql(shape.path)} {value_var} ."  # type: ignore[arg-type]
        return f"BIND({focus_var} AS {value_var})"

    def flags_query(
        self,
        shape: Shape,
        checks: list[tuple[Check, str]],
        focus: Callable[[str], str],
        *,
        optional: bool = False,
    ) -> Query:
        """One pass over the focus nodes (and values): ``checks`` pair a check with the condition
        that is true on a row that violates it. ``optional``: focus nodes without values too."""
        flags = [f"?f{i}" for i in range(len(checks))]
        binds = " ".join(f"BIND({bad} AS {f})" for f, (_, bad) in zip(flags, checks, strict=True))
        values = self.values(shape, "?this", "?value")
        if optional:
            values = f"OPTIONAL {{ {values} }}"
        sparql = (
            f"SELECT DISTINCT ?this ?value {' '.join(flags)} WHERE {{ {focus('?this')} "
            f"{values} {binds} FILTER({' || '.join(flags)}) }}"
        )
        return Query("flags", sparql, [c for c, _ in checks], self.top, optional=optional)

    def count_queries(
        self, shape: Shape, counts: list[Constraint], focus: Callable[[str], str], message: str | None
    ) -> list[Query]:
        """sh:minCount / sh:maxCount, in the forms Oxigraph runs fastest.

        A minimum of 1 is a NOT EXISTS, a maximum of 0 a plain join, a maximum of 1 "a value with
        another value beside it"; only other bounds need GROUP BY (COUNT DISTINCT keeps a set per
        focus node, about twice as slow).
        """
        out: list[Query] = []
        path = path_sparql(shape.path)  # type: ignore[arg-type]
        f = focus("?this")
        for c in counts:
            local = c.component.removeprefix(str(SH)).removesuffix("ConstraintComponent")
            n = _int(c.value, c.name)
            msg = message or self.default_message(local, c)
            check = Check(shape, str(c.component), shape.path, shape.severity, msg, False)
            if local == "MinCount":
                if n <= 0:
                    continue
                if n == 1:
                    none = chain(self.path_patterns("?this", shape.path, "?v"))  # type: ignore[arg-type]
                    sparql = f"SELECT DISTINCT ?this WHERE {{ {f} FILTER NOT EXISTS {{ {none} }} }}"
                    out.append(Query("focus", sparql, [check], self.top))
                    continue
                sparql = (
                    f"SELECT ?this (COUNT(DISTINCT ?v) AS ?n) WHERE {{ {f} OPTIONAL {{ ?this {path} ?v }} }} "
                    f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) < {n})"
                )
                out.append(Query("counts", sparql, [check], self.top))
                continue
            if n == 0:
                sparql = f"SELECT DISTINCT ?this WHERE {{ {f} ?this {path} ?v . }}"
                out.append(Query("focus", sparql, [check], self.top))
            elif n == 1:
                other = chain(self.path_patterns("?this", shape.path, "?b"), "FILTER(!sameTerm(?a, ?b))")  # type: ignore[arg-type]
                sparql = (
                    f"SELECT DISTINCT ?this WHERE {{ {f} ?this {path} ?a . FILTER EXISTS {{ {other} }} }}"
                )
                out.append(Query("focus", sparql, [check], self.top))
            else:
                sparql = (
                    f"SELECT ?this (COUNT(DISTINCT ?v) AS ?n) WHERE {{ {f} ?this {path} ?v . }} "
                    f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) > {n})"
                )
                out.append(Query("counts", sparql, [check], self.top))
        return out

    # -- value-level constraints: an expression true when ``v`` satisfies the constraint ---------

    def value_ok(self, shape: Shape, c: Constraint, v: str, stack: list[Node]) -> str | None:
        """The condition on one value node, or None for a focus-level constraint."""
        local = c.component.removeprefix(str(SH)).removesuffix("ConstraintComponent")
        x = c.value
        if local == "Class":
            return f"EXISTS {{ {self.instances(v, x)} }}"  # type: ignore[arg-type]
        if local == "Datatype":
            return self.datatype_ok(x, v)  # type: ignore[arg-type]
        if local == "NodeKind":
            kinds = {
                SH.IRI: f"isIRI({v})",
                SH.BlankNode: f"isBlank({v})",
                SH.Literal: f"isLiteral({v})",
                SH.BlankNodeOrIRI: f"(isBlank({v}) || isIRI({v}))",
                SH.BlankNodeOrLiteral: f"(isBlank({v}) || isLiteral({v}))",
                SH.IRIOrLiteral: f"(isIRI({v}) || isLiteral({v}))",
            }
            if x not in kinds:
                raise ShapesError(f"shape {shape.label}: sh:nodeKind {x} is not a node kind")
            return kinds[x]  # type: ignore[index]
        if local in ("MinExclusive", "MinInclusive", "MaxExclusive", "MaxInclusive"):
            if not isinstance(x, Literal):
                raise Unsupported(f"{c.name} with a value that is not a literal")
            op = {"MinExclusive": ">", "MinInclusive": ">=", "MaxExclusive": "<", "MaxInclusive": "<="}[local]
            return f"({v} {op} {term(x)})"
        if local in ("MinLength", "MaxLength"):
            n = _int(x, c.name)
            op = ">=" if local == "MinLength" else "<="
            return f"(!isBlank({v}) && STRLEN(STR({v})) {op} {n})"
        if local == "Pattern":
            flags = c.extra.get("flags")
            f = str(flags) if flags is not None else ""
            if not self.ctx.regex_ok(str(x), f):
                raise Unsupported(
                    f"sh:pattern {str(x)!r}, which Oxigraph's regular expressions do not accept"
                )
            return f"(!isBlank({v}) && REGEX(STR({v}), {_string(str(x))}, {_string(f)}))"
        if local == "LanguageIn":
            tags = [str(t) for t in x]  # type: ignore[union-attr]
            if not tags:
                return "false"
            return (
                f"(isLiteral({v}) && ({' || '.join(f'langMatches(lang({v}), {_string(t)})' for t in tags)}))"
            )
        if local == "In":
            members = list(x)  # type: ignore[arg-type]
            if not members:
                return "false"
            return "(" + " || ".join(f"sameTerm({v}, {term(m)})" for m in members) + ")"
        if local == "HasValue":
            if shape.is_property:
                return None
            return f"sameTerm({v}, {term(x)})"  # type: ignore[arg-type]  # reported without a value
        if local == "Node":
            return f"NOT EXISTS {{ {self.nonconforming(x, v, stack)} }}"  # type: ignore[arg-type]
        if local == "Not":
            return f"EXISTS {{ {self.nonconforming(x, v, stack)} }}"  # type: ignore[arg-type]
        if local == "And":
            if not x:
                return "true"
            return "(" + " && ".join(f"NOT EXISTS {{ {self.nonconforming(s, v, stack)} }}" for s in x) + ")"  # type: ignore[union-attr]
        if local == "Or":
            if not x:
                return "false"
            return "(" + " || ".join(f"NOT EXISTS {{ {self.nonconforming(s, v, stack)} }}" for s in x) + ")"  # type: ignore[union-attr]
        if local == "Xone":
            if not x:
                return "false"
            terms = " + ".join(f"IF(EXISTS {{ {self.nonconforming(s, v, stack)} }}, 0, 1)" for s in x)  # type: ignore[union-attr]
            return f"(({terms}) = 1)"
        return None

    def datatype_ok(self, dt: Node, v: str) -> str:
        if not isinstance(dt, URIRef):
            raise Unsupported("sh:datatype that is not an IRI")
        d = str(dt)
        if d in DERIVED_INTEGERS:
            raise Unsupported(f"sh:datatype {_show(dt)} (Oxigraph stores its literals as xsd:integer)")
        if d == XSD_NS + "integer" and self.ctx.derived_integers_in_data():
            raise Unsupported(
                "sh:datatype xsd:integer on data holding literals of derived integer types "
                "(Oxigraph stores them as xsd:integer)"
            )
        if d == RDF_NS + "langString":
            return f'(isLiteral({v}) && lang({v}) != "")'
        if d == XSD_NS + "string":
            return f"(isLiteral({v}) && datatype({v}) = <{d}>)"
        if d in CASTABLE:
            return f"(isLiteral({v}) && datatype({v}) = <{d}> && isLiteral(<{d}>({v})))"
        if d.startswith(XSD_NS) or d.startswith(RDF_NS):
            raise Unsupported(f"sh:datatype {_show(dt)} (Oxigraph cannot tell an ill-formed one)")
        return f"(isLiteral({v}) && datatype({v}) = <{d}>)"

    # -- focus-level constraints -----------------------------------------------------------------

    def focus_query(
        self, shape: Shape, c: Constraint, check: Check, focus: Callable[[str], str], stack: list[Node]
    ) -> Query:
        local = c.component.removeprefix(str(SH)).removesuffix("ConstraintComponent")
        x = c.value
        f = focus("?this")
        vals = self.values(shape, "?this", "?value")
        node_shape = not shape.is_property
        if local == "HasValue":
            check.reports_value = False
            path = path_sparql(shape.path)  # type: ignore[arg-type]
            has = chain(self.path_patterns("?this", shape.path, term(x)))  # type: ignore[arg-type]
            sparql = f"SELECT DISTINCT ?this WHERE {{ {f} FILTER NOT EXISTS {{ {has} }} }}"
            return Query("focus", sparql, [check], self.top)
        if local == "UniqueLang":
            check.reports_value = False
            path = path_sparql(shape.path) if shape.is_property else None
            if path is None:
                return Query("focus", "SELECT ?this WHERE { FILTER(false) }", [check], self.top)
            sparql = (
                f"SELECT DISTINCT ?this ?lang WHERE {{ {f} ?this {path} ?a . ?this {path} ?b . "
                f'FILTER(!sameTerm(?a, ?b) && lang(?a) != "" && LCASE(lang(?a)) = LCASE(lang(?b))) '
                f"BIND(LCASE(lang(?a)) AS ?lang) }}"
            )
            return Query("focus", sparql, [check], self.top)
        if local in ("Equals", "Disjoint", "LessThan", "LessThanOrEquals"):
            q = term(x)  # type: ignore[arg-type]
            if local == "Equals":
                if node_shape:
                    sparql = (
                        f"SELECT DISTINCT ?this ?value WHERE {{ {{ {f} FILTER NOT EXISTS {{ ?this {q} ?this }} "
                        f"BIND(?this AS ?value) }} UNION {{ {focus('?this')} ?this {q} ?value "
                        f"FILTER(!sameTerm(?value, ?this)) }} }}"
                    )
                else:
                    path = path_sparql(shape.path)  # type: ignore[arg-type]
                    sparql = (
                        f"SELECT DISTINCT ?this ?value WHERE {{ {{ {f} ?this {path} ?value "
                        f"FILTER NOT EXISTS {{ ?this {q} ?value }} }} UNION {{ {focus('?this')} ?this {q} ?value "
                        f"FILTER NOT EXISTS {{ {chain(self.path_patterns('?this', shape.path, '?value'))} }} }} }}"
                    )
            elif local == "Disjoint":
                sparql = f"SELECT DISTINCT ?this ?value WHERE {{ {f} {vals} ?this {q} ?value . }}"
            else:
                op = "<" if local == "LessThan" else "<="
                # one result per pair of values that fails the comparison (as SHACL defines it)
                sparql = (
                    f"SELECT DISTINCT ?this ?value ?o WHERE {{ {f} {vals} ?this {q} ?o . "
                    f"FILTER(!COALESCE(?value {op} ?o, false)) }}"
                )
            return Query("focus", sparql, [check], self.top)
        if local == "Closed":
            allowed = {str(p) for p in c.extra.get("ignored", [])}  # type: ignore[union-attr]
            for p in shape.properties:
                ps = self.shapes.get(p)
                if isinstance(ps.path, str):
                    allowed.add(ps.path)
            not_in = (
                f"FILTER(?path NOT IN ({', '.join(f'<{a}>' for a in sorted(allowed))}))" if allowed else ""
            )
            # the value reported is the object of the triple whose predicate is not allowed
            sparql = (
                f"SELECT DISTINCT ?this ?value ?path WHERE {{ {f} {self.values(shape, '?this', '?vn')} "
                f"?vn ?path ?value . {not_in} }}"
            )
            check.path = None
            return Query("focus", sparql, [check], self.top)
        if local in ("QualifiedMinCount", "QualifiedMaxCount"):
            if not shape.is_property:
                raise Unsupported(f"{c.name} on a node shape")
            check.reports_value = False
            ok = f"NOT EXISTS {{ {self.nonconforming(x, '?v', stack)} }}"  # type: ignore[arg-type]
            if c.extra.get("disjoint"):
                for other in self.shapes.sibling_qualified_shapes(shape, x):  # type: ignore[arg-type]
                    ok += f" && EXISTS {{ {self.nonconforming(other, '?v', stack)} }}"
            path = path_sparql(shape.path)  # type: ignore[arg-type]
            if local == "QualifiedMinCount":
                n = _int(c.extra["min"], "sh:qualifiedMinCount")
                if n <= 0:
                    return Query("focus", "SELECT ?this WHERE { FILTER(false) }", [check], self.top)
                if n == 1:
                    some = chain(self.path_patterns("?this", shape.path, "?v"), f"FILTER({ok})")
                    sparql = f"SELECT DISTINCT ?this WHERE {{ {f} FILTER NOT EXISTS {{ {some} }} }}"
                else:
                    sparql = (
                        f"SELECT ?this WHERE {{ {f} OPTIONAL {{ ?this {path} ?v . FILTER({ok}) }} }} "
                        f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) < {n})"
                    )
            else:
                n = _int(c.extra["max"], "sh:qualifiedMaxCount")
                sparql = (
                    f"SELECT ?this WHERE {{ {f} ?this {path} ?v . FILTER({ok}) }} "
                    f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) > {n})"
                )
            return Query("focus", sparql, [check], self.top)
        if local == "SPARQL":
            return self.sparql_query(shape, x, check, focus)  # type: ignore[arg-type]
        if c.extra.get("custom"):
            raise Unsupported(f"the custom constraint component with parameter {_show(c.value)}")  # type: ignore[arg-type]
        raise Unsupported(f"{c.name}")

    # -- conformance of a node to a shape, as a pattern that matches when it does NOT conform ----
    #
    # These patterns go inside EXISTS. Oxigraph evaluates a multi-pattern EXISTS group without the
    # outer bindings (quadratic: minutes at 10k nodes), but one triple pattern per group quickly;
    # so every join is written as a chain of nested single-pattern EXISTS (``chain``).

    def path_patterns(self, s: str, p: PathT, o: str) -> list[str]:
        """``s p o`` as triple patterns: a sequence path becomes one pattern per step."""
        if isinstance(p, tuple) and p[0] == "seq":
            items = p[1:]
            nodes = [s, *(self.var("m") for _ in items[:-1]), o]
            return [
                t for i, item in enumerate(items) for t in self.path_patterns(nodes[i], item, nodes[i + 1])
            ]
        if isinstance(p, tuple) and p[0] == "inversePath" and isinstance(p[1], tuple) and p[1][0] == "seq":
            return self.path_patterns(s, ("seq", *(("inversePath", x) for x in reversed(p[1][1:]))), o)
        return [f"{s} {path_sparql(p)} {o} ."]

    def nonconforming(self, node: Node, x: str, stack: list[Node]) -> str:
        shape = self.shapes.get(node)
        if shape.deactivated:
            return "FILTER(false)"
        if shape.node in stack:
            raise Unsupported(f"recursive shapes ({shape.label})")
        stack = [*stack, shape.node]
        alts: list[str] = []
        value_conds: list[str] = []
        v = self.var() if shape.is_property else x
        for c in shape.constraints:
            local = c.component.removeprefix(str(SH)).removesuffix("ConstraintComponent")
            ok = self.value_ok(shape, c, v, stack) if local not in ("MinCount", "MaxCount") else None
            if ok is not None:
                value_conds.append(f"!COALESCE({ok}, false)")
                continue
            alts += self.nonconforming_focus(shape, c, local, x, stack)
        if value_conds:
            cond = f"FILTER({' || '.join(value_conds)})"
            alts.append(chain(self.path_patterns(x, shape.path, v), cond) if shape.is_property else cond)  # type: ignore[arg-type]
        for p in shape.properties:
            child = self.shapes.get(p)
            if not shape.is_property:
                alts.append(self.nonconforming(child.node, x, stack))
            else:
                y = self.var("y")
                inner = f"FILTER EXISTS {{ {self.nonconforming(child.node, y, stack)} }}"
                alts.append(chain(self.path_patterns(x, shape.path, y), inner))  # type: ignore[arg-type]
        if not alts:
            return "FILTER(false)"
        if len(alts) == 1:
            return alts[0]
        return " UNION ".join(f"{{ {a} }}" for a in alts)

    def distinct_values(self, x: str, path: PathT, k: int) -> str:
        """A pattern matching when ``x`` has at least ``k`` distinct values on ``path``."""
        vs = [self.var() for _ in range(k)]

        def level(i: int) -> str:
            tail = f"FILTER({' && '.join(f'!sameTerm({vs[i]}, {w})' for w in vs[:i])})" if i else ""
            if i + 1 < k:
                tail += f" FILTER EXISTS {{ {level(i + 1)} }}"
            return chain(self.path_patterns(x, path, vs[i]), tail)

        return level(0)

    def nonconforming_focus(
        self, shape: Shape, c: Constraint, local: str, x: str, stack: list[Node]
    ) -> list[str]:
        path = shape.path
        if local in ("MinCount", "MaxCount"):
            if path is None:
                return []
            n = _int(c.value, c.name)
            k = n if local == "MinCount" else n + 1
            if k == 0:
                return []
            if k > NESTED_COUNT_LIMIT:
                raise Unsupported(f"{c.name} {n} inside a logical constraint (sh:node, sh:not, ...)")
            pattern = self.distinct_values(x, path, k)
            return [f"FILTER NOT EXISTS {{ {pattern} }}"] if local == "MinCount" else [pattern]
        if local == "HasValue":
            return [f"FILTER NOT EXISTS {{ {chain(self.path_patterns(x, path, term(c.value)))} }}"]  # type: ignore[arg-type]
        if local == "UniqueLang":
            if path is None:
                return []
            a, b = self.var(), self.var()
            same = f'FILTER(!sameTerm({a}, {b}) && lang({a}) != "" && LCASE(lang({a})) = LCASE(lang({b})))'
            inner = chain(self.path_patterns(x, path, b), same)
            return [chain(self.path_patterns(x, path, a), f"FILTER EXISTS {{ {inner} }}")]
        if local in ("Equals", "Disjoint", "LessThan", "LessThanOrEquals"):
            q = term(c.value)  # type: ignore[arg-type]
            v = self.var() if path is not None else x  # a node shape's value node is the node

            def on_values(tail: str) -> str:
                return chain(self.path_patterns(x, path, v), tail) if path is not None else tail

            if local == "Equals":
                w = self.var()
                if path is not None:
                    other = f"FILTER NOT EXISTS {{ {chain(self.path_patterns(x, path, w))} }}"
                else:
                    other = f"FILTER(!sameTerm({w}, {x}))"
                return [on_values(f"FILTER NOT EXISTS {{ {x} {q} {v} }}"), f"{x} {q} {w} . {other}"]
            if local == "Disjoint":
                return [on_values(f"FILTER EXISTS {{ {x} {q} {v} }}")]
            if path is None:
                return []
            o = self.var("o")
            op = "<" if local == "LessThan" else "<="
            return [on_values(f"FILTER EXISTS {{ {x} {q} {o} . FILTER(!COALESCE({v} {op} {o}, false)) }}")]
        if local == "Closed":
            allowed = {str(p) for p in c.extra.get("ignored", [])}  # type: ignore[union-attr]
            for p in shape.properties:
                ps = self.shapes.get(p)
                if isinstance(ps.path, str):
                    allowed.add(ps.path)
            v = self.var() if path is not None else x
            p, o = self.var("p"), self.var("o")
            not_in = f"FILTER({p} NOT IN ({', '.join(f'<{a}>' for a in sorted(allowed))}))" if allowed else ""
            triple = f"FILTER EXISTS {{ {v} {p} {o} . {not_in} }}"
            return [chain(self.path_patterns(x, path, v), triple) if path is not None else triple]
        raise Unsupported(f"{c.name} inside a logical constraint (sh:node, sh:not, sh:and, ...)")

    # -- SPARQL-based constraints ----------------------------------------------------------------

    def sparql_query(self, shape: Shape, node: Node, check: Check, focus: Callable[[str], str]) -> Query:
        g = self.shapes.graph
        if any(is_true(o) for o in g.objects(node, SH.deactivated)):
            return Query("focus", "SELECT ?this WHERE { FILTER(false) }", [check], self.top)
        select = g.value(node, SH.select)
        if select is None:
            raise ShapesError(f"shape {shape.label}: a SPARQL-based constraint needs sh:select")
        text = str(select)
        check_prebinding(text, shape.label)
        msg = pick_message([m for m in g.objects(node, SH.message) if isinstance(m, Literal)])
        if msg is not None:
            check.message = msg
        elif not shape.messages:
            check.message = DEFAULT_MESSAGES["SPARQL"]
        if _has_var(text, "shapesGraph"):
            iri = self.ctx.shapes_graph()
            if iri is None:
                raise Unsupported("a SPARQL-based constraint using $shapesGraph on a store")
            text = substitute(text, "shapesGraph", f"<{iri}>")
        if _has_var(text, "currentShape"):
            if isinstance(shape.node, BNode):
                raise Unsupported("$currentShape of a blank-node shape")
            text = substitute(text, "currentShape", f"<{shape.node}>")
        if shape.is_property:
            text = _replace_var(text, "PATH", path_sparql(shape.path))  # type: ignore[arg-type]
        prefixes = sparql_prefixes(self.shapes, node)
        head, body, tail = split_select(text)
        if re.search(
            r"\b(GROUP\s+BY|HAVING)\b|\b(COUNT|SUM|MIN|MAX|AVG|SAMPLE|GROUP_CONCAT)\s*\(", head + tail, re.I
        ):
            raise Unsupported("a SPARQL-based constraint with aggregates")
        projection = _projection(head)
        if projection != "*" and "this" not in projection:
            head = re.sub(
                r"(?i)\bSELECT(\s+(DISTINCT|REDUCED))?", lambda m: m.group(0) + " $this", head, count=1
            )
        check.path = shape.path
        check.reports_value = True
        if flat_body(body):
            sparql = f"{prefixes}{head} WHERE {{ {focus('?this')} {body} }} {tail}"
            return Query("sparql", sparql, [check], self.top)
        # pre-binding by substituting $this in the text, once per focus node (see fast._run_one)
        sparql = f"{prefixes}{text}"
        fq = f"SELECT DISTINCT ?this WHERE {{ {focus('?this')} }}"
        return Query("sparql", sparql, [check], self.top, focus_query=fq)


# ---------------------------------------------------------------------------------------------
# SPARQL text helpers (a small scanner aware of strings, IRIs and comments)

_TOKEN = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\'|"(?:[^"\\\n]|\\.)*"|'
    r"'(?:[^'\\\n]|\\.)*'|<[^<>\"{}|^`\\\x00-\x20]*>|#[^\n]*|[{}]|[?$][A-Za-z0-9_]+|[A-Za-z_][A-Za-z0-9_:-]*|\s+|.",
    re.S,
)


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _code_tokens(text: str) -> list[str]:
    return [t for t in tokens(text) if not t.isspace() and not t.startswith("#")]


def _has_var(text: str, name: str) -> bool:
    return any(t[1:] == name and t[0] in "?$" for t in _code_tokens(text))


def _replace_var(text: str, name: str, replacement: str) -> str:
    return "".join(replacement if t[:1] in "?$" and t[1:] == name else t for t in tokens(text))


def chain(patterns: list[str], tail: str = "") -> str:
    """Triple patterns and a tail (filters) for use inside EXISTS: one pattern per nested group."""
    if len(patterns) <= 1:
        return f"{' '.join(patterns)} {tail}".strip()
    return f"{patterns[0]} FILTER EXISTS {{ {chain(patterns[1:], tail)} }}"


def substitute(text: str, name: str, value: str) -> str:
    """Pre-bind ``$name`` to ``value`` (SPARQL syntax of a term), as SHACL's pre-binding defines it.

    ``bound($name)`` becomes ``(true)``; in the projection ``$name`` becomes ``(value AS ?name)``
    (in a sub-query's, a fresh name); anywhere else the term itself.
    """
    toks = tokens(text)
    out: list[str] = []
    in_projection = False
    selects = 0
    i = 0
    while i < len(toks):
        t = toks[i]
        up = t.upper()
        if up == "SELECT":
            in_projection = True
            selects += 1
        elif up in ("WHERE", "{"):
            in_projection = False
        if t[:1] in "?$" and t[1:] == name:
            # bound ( $name ) -> true
            j = len(out) - 1
            while j >= 0 and out[j].isspace():
                j -= 1
            k = j - 1
            while k >= 0 and out[k].isspace():
                k -= 1
            nxt = i + 1
            while nxt < len(toks) and toks[nxt].isspace():
                nxt += 1
            if (
                j >= 0
                and out[j] == "("
                and k >= 0
                and out[k].upper() == "BOUND"
                and nxt < len(toks)
                and toks[nxt] == ")"
            ):
                del out[k:]
                out.append("(true)")
                i = nxt + 1
                continue
            if in_projection:  # a sub-query projects a fresh name: ?name is the outer query's
                out.append(f"({value} AS ?{name})" if selects == 1 else f"({value} AS ?{name}_{selects})")
            else:
                out.append(value)
        else:
            out.append(t)
        i += 1
    return "".join(out)


def _with_chain(sparql: str, chain: tuple[str, ...]) -> str:
    """Project (and group by) the parents' focus variables as well as ``?this``."""
    extra = " ".join(chain)
    sparql = re.sub(
        r"(?i)^((?:PREFIX[^\n]*\n)*\s*SELECT(?:\s+(?:DISTINCT|REDUCED))?)",
        lambda m: f"{m.group(1)} {extra}",
        sparql,
        count=1,
    )
    return sparql.replace("GROUP BY ?this", f"GROUP BY ?this {extra}")


def split_select(text: str) -> tuple[str, str, str]:
    """``PREFIX.. SELECT .. WHERE { body } modifiers`` -> (head up to SELECT's projection, body, tail)."""
    toks = tokens(text)
    depth = 0
    start = end = None
    for i, t in enumerate(toks):
        if t == "{":
            if depth == 0 and start is None:
                start = i
            depth += 1
        elif t == "}":
            depth -= 1
            if depth == 0 and start is not None:
                end = i
                break
    if start is None or end is None:
        raise ShapesError("a SPARQL-based constraint's sh:select is not a SELECT query with a WHERE clause")
    head_toks = toks[:start]
    while head_toks and (head_toks[-1].isspace() or head_toks[-1].upper() == "WHERE"):
        head_toks.pop()
    return "".join(head_toks), "".join(toks[start + 1 : end]), "".join(toks[end + 1 :])


def _projection(head: str) -> set[str] | str:
    toks = _code_tokens(head)
    upper = [t.upper() for t in toks]
    if "SELECT" not in upper:
        raise ShapesError("a SPARQL-based constraint's sh:select is not a SELECT query")
    rest = toks[upper.index("SELECT") + 1 :]
    if "*" in rest:
        return "*"
    return {t[1:] for t in rest if t[:1] in "?$"}


def flat_body(body: str) -> bool:
    """True when joining the body with the focus nodes is the same as pre-binding ``$this``.

    That holds for triple patterns, FILTERs (EXISTS included), BINDs and OPTIONAL groups that do
    not nest further groups; UNION, nested groups, GRAPH and sub-queries are run per focus node.
    """
    toks = _code_tokens(body)
    depth = 0
    opener: list[str] = []
    for i, t in enumerate(toks):
        up = t.upper()
        if up in ("UNION", "GRAPH", "SELECT", "SERVICE", "MINUS", "VALUES") and not (
            opener and opener[-1] == "EXISTS"
        ):
            return False
        if t == "{":
            prev = toks[i - 1].upper() if i else ""
            kind = "EXISTS" if prev == "EXISTS" else "OPTIONAL" if prev == "OPTIONAL" else "GROUP"
            if opener and opener[-1] == "EXISTS":
                kind = "EXISTS"
            elif kind == "GROUP" or (kind == "OPTIONAL" and opener):
                return False
            opener.append(kind)
            depth += 1
        elif t == "}":
            depth -= 1
            opener.pop()
    return True


def check_prebinding(text: str, shape: str) -> None:
    """SHACL 5.3.1: queries with pre-bound variables must not use MINUS, SERVICE, VALUES or bind them."""
    toks = _code_tokens(text)
    upper = [t.upper() for t in toks]
    for word in ("MINUS", "SERVICE", "VALUES"):
        if word in upper:
            raise ShapesError(f"shape {shape}: a SPARQL-based constraint may not use {word} (SHACL 5.3.1)")
    for i, t in enumerate(upper):
        bound = toks[i + 1][1:] if t == "AS" and i + 1 < len(toks) else ""
        if bound in ("this", "shapesGraph", "currentShape"):
            raise ShapesError(f"shape {shape}: a SPARQL-based constraint may not bind {toks[i + 1]}")
    # a sub-query must project $this
    depth = 0
    for i, t in enumerate(upper):
        if t == "{":
            depth += 1
        elif t == "}":
            depth -= 1
        elif t == "SELECT" and depth > 0:
            j = i + 1
            proj: list[str] = []
            while j < len(toks) and upper[j] not in ("WHERE", "{"):
                proj.append(toks[j])
                j += 1
            names = {p[1:] for p in proj if p[:1] in "?$"}
            if "this" not in names:
                raise ShapesError(
                    f"shape {shape}: a sub-query of a SPARQL-based constraint must project $this"
                )


def sparql_prefixes(shapes: Shapes, node: Node) -> str:
    """PREFIX lines from ``sh:prefixes`` and the ``sh:declare``s of what those import (owl:imports)."""
    from rdflib.namespace import OWL

    g = shapes.graph
    lines = []
    todo = list(g.objects(node, SH.prefixes))
    seen: set[Node] = set()
    while todo:
        owner = todo.pop(0)
        if owner in seen:
            continue
        seen.add(owner)
        for decl in g.objects(owner, SH.declare):
            prefix = g.value(decl, SH.prefix)
            ns = g.value(decl, SH.namespace)
            if prefix is not None and ns is not None:
                lines.append(f"PREFIX {prefix}: <{ns}>\n")
        todo += list(g.objects(owner, OWL.imports))
    return "".join(dict.fromkeys(lines))


def _int(x: object, name: str) -> int:
    if isinstance(x, Literal) and isinstance(x.toPython(), int) and not isinstance(x.toPython(), bool):
        return int(x.toPython())
    raise ShapesError(f"{name} must be an integer, not {x}")


def _show(x: Node) -> str:
    from fairify.validate.report import short

    if isinstance(x, URIRef):
        return short(str(x))
    if isinstance(x, Literal):
        return str(x)
    return "a blank node"
