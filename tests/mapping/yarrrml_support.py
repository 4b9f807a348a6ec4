"""The YARRRML conformance cases, and the normalisation that makes two readers' models comparable.

A case pairs a YARRRML file with the RML (or R2RML) file the reference parser generated from it:
the RDF file of the same name, or else of the longest name the YARRRML file's name starts with
(``mapping-shortcut.yarrrml`` → ``mapping.rml.ttl``); several YARRRML files that only share a
folder's RDF file form one multi-file case.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

from fairify.mapping.model import (
    RDF,
    Constant,
    FunctionCall,
    Join,
    LogicalSource,
    Mapping,
    PredicateObjectMap,
    RefObjectMap,
    Template,
    TermMap,
    TermType,
    TriplesMap,
    constant_iri,
)
from tests.conftest import CONFORMANCE

YARRRML = CONFORMANCE / "yarrrml"
_YARRRML_SUFFIXES = (".yml", ".yaml", ".yarrrml", ".yarrr")
_RDF_SUFFIXES = (".rml.ttl", ".r2rml.ttl")
_OUT_OF_SCOPE = re.compile(r"(^|-)targets?(-|$)|^wot-|^incrml-ldes$")

# Which feature each out-of-scope folder must be refused for (a word the error must contain).
FEATURE_WORDS = {"target": "target", "wot": "Web of Things", "incrml": "LDES"}

# Outcomes per category, printed by tests/mapping/conftest.py at the end of the run.
RESULTS: dict[str, dict[str, bool]] = defaultdict(dict)


@dataclass(frozen=True)
class Case:
    yarrrml: tuple[Path, ...]
    rdf: Path

    @property
    def id(self) -> str:
        names = "+".join(p.name for p in self.yarrrml)
        return f"{self.rdf.parent.relative_to(YARRRML)}/{names}->{self.rdf.name}"

    @property
    def is_r2rml(self) -> bool:
        return self.rdf.name.endswith(".r2rml.ttl")


def _stem(name: str, suffixes: tuple[str, ...]) -> str:
    changed = True
    while changed:
        changed = False
        for s in suffixes:
            if name.endswith(s) and len(name) > len(s):
                name = name[: -len(s)]
                changed = True
    return name


def has_data(case: Case) -> bool:
    """Whether the case folder holds input data beside its mapping files."""
    folder = case.rdf.parent
    return any(
        p.is_file() and not is_yarrrml(p) and not p.name.endswith((".ttl", ".js")) and p.name != "LICENSE"
        for p in folder.iterdir()
    )


def is_yarrrml(p: Path) -> bool:
    return p.is_file() and p.name.endswith(_YARRRML_SUFFIXES)


def out_of_scope(p: Path) -> bool:
    return any(_OUT_OF_SCOPE.search(part) for part in p.relative_to(YARRRML).parts[:-1])


def feature_word(p: Path) -> str:
    top = p.relative_to(YARRRML).parts[0]
    if top.startswith("wot-"):
        return FEATURE_WORDS["wot"]
    if top.startswith("incrml"):
        return FEATURE_WORDS["incrml"]
    return FEATURE_WORDS["target"]


def _folders() -> list[Path]:
    if not YARRRML.exists():
        return []
    return sorted({p.parent for p in YARRRML.rglob("*") if is_yarrrml(p)})


def in_scope_cases() -> list[Case]:
    cases: list[Case] = []
    for folder in _folders():
        if folder.name == "invalid" or out_of_scope(folder / "x"):
            continue
        ys = sorted(p for p in folder.iterdir() if is_yarrrml(p))
        rdfs = sorted(p for p in folder.iterdir() if p.name.endswith(_RDF_SUFFIXES))
        by_stem: dict[str, list[Path]] = defaultdict(list)
        for r in rdfs:
            by_stem[_stem(r.name, _RDF_SUFFIXES)].append(r)
        exact = {y for y in ys if _stem(y.name, _YARRRML_SUFFIXES) in by_stem}
        for y in sorted(exact):
            cases += [Case((y,), r) for r in by_stem[_stem(y.name, _YARRRML_SUFFIXES)]]
        fallback: dict[str, list[Path]] = defaultdict(list)
        for y in ys:
            if y in exact:
                continue
            stem = _stem(y.name, _YARRRML_SUFFIXES)
            prefixes = [s for s in by_stem if stem.startswith(s)]
            if prefixes:
                fallback[max(prefixes, key=len)].append(y)
        for stem, group in fallback.items():
            shared = not any(_stem(y.name, _YARRRML_SUFFIXES) == stem for y in ys)
            groups = [tuple(group)] if shared and len(group) > 1 else [(y,) for y in group]
            for g in groups:
                cases += [Case(g, r) for r in by_stem[stem]]
    return cases


def out_of_scope_files() -> list[Path]:
    return [p for f in _folders() if out_of_scope(f / "x") for p in sorted(f.iterdir()) if is_yarrrml(p)]


def invalid_files() -> list[Path]:
    folder = YARRRML / "invalid"
    return sorted(p for p in folder.iterdir() if is_yarrrml(p)) if folder.exists() else []


# ---------------------------------------------------------------------------------------------
# Normalisation: what two faithful readers may legitimately express differently.


def normalised(mapping: Mapping) -> Mapping:
    """The mapping with each meaning written one way only.

    - ``rml:class`` on a subject map becomes an ``rdf:type`` predicate-object (YARRRML ``a``);
    - a template without references is the constant it always produces;
    - a constant language or datatype map is the static language or datatype;
    - a SQL query's runs of whitespace are one space (the reference parser collapses them);
    - NULL values are a set (RDF keeps no order among several ``rml:null``);
    - function inputs are ordered by parameter and value: RDF keeps no order among several
      ``rml:input`` (YARRRML does, and the YARRRML reader keeps it).
    """
    tms = {}
    for tm_id, tm in mapping.triples_maps.items():
        poms = [_pom(p) for p in tm.predicate_objects]
        for cls in tm.subject.classes:
            poms.append(PredicateObjectMap((constant_iri(RDF + "type"),), (constant_iri(cls),)))
        subject = replace(
            tm.subject,
            term=_term(tm.subject.term),
            classes=(),
            graphs=tuple(_term(g) for g in tm.subject.graphs),
        )
        tms[tm_id] = replace(tm, source=_source(tm.source), subject=subject, predicate_objects=tuple(poms))
    return replace(mapping, triples_maps=tms)


def _source(src: LogicalSource) -> LogicalSource:
    src = replace(src, nulls=tuple(sorted(src.nulls)))  # several rml:null values have no order in RDF
    if src.query is not None:
        return replace(src, query=" ".join(src.query.split()))
    return src


def _pom(pom: PredicateObjectMap) -> PredicateObjectMap:
    objects = tuple(
        RefObjectMap(o.parent, tuple(Join(_term(j.child), _term(j.parent)) for j in o.joins))
        if isinstance(o, RefObjectMap)
        else _term(o)
        for o in pom.objects
    )
    return PredicateObjectMap(
        tuple(_term(p) for p in pom.predicates),
        objects,
        tuple(_term(g) for g in pom.graphs),
        origin=pom.origin,
    )


def _term(tm: TermMap) -> TermMap:
    expr = tm.expression
    if isinstance(expr, Template) and not expr.references:
        kind = {TermType.LITERAL: "literal", TermType.BLANK_NODE: "blank"}.get(tm.term_type, "iri")
        expr = Constant("".join(p.text for p in expr.parts), kind)
    elif isinstance(expr, FunctionCall):
        inputs = sorted(((p, _term(v)) for p, v in expr.inputs), key=_input_key)
        expr = FunctionCall(expr.function, tuple(inputs), expr.output)
    language, language_map = tm.language, tm.language_map
    if language_map is not None and isinstance(language_map.expression, Constant):
        language, language_map = language_map.expression.value, None
    elif language_map is not None:
        language_map = _term(language_map)
    datatype, datatype_map = tm.datatype, tm.datatype_map
    if datatype_map is not None and isinstance(datatype_map.expression, Constant):
        datatype, datatype_map = datatype_map.expression.value, None
    elif datatype_map is not None:
        datatype_map = _term(datatype_map)
    return replace(
        tm,
        expression=expr,
        language=language,
        language_map=language_map,
        datatype=datatype,
        datatype_map=datatype_map,
    )


def _input_key(item: tuple[str, TermMap]) -> tuple[str, str]:
    """Order inputs by parameter, then value, ignoring where each was written."""
    return item[0], re.sub(r", origin=(None|'[^']*')", "", repr(item[1]))


def same_model(a: Mapping, b: Mapping) -> bool:
    return normalised(a).canonical() == normalised(b).canonical()


def describe_difference(a: Mapping, b: Mapping, names: tuple[str, str] = ("YARRRML", "RDF")) -> str:
    """Triples maps (canonical form) found in one model only, for a readable failure."""
    ca, cb = normalised(a).canonical(), normalised(b).canonical()
    lines = []
    for label, mine, other in ((names[0], ca, cb), (names[1], cb, ca)):
        for item in sorted(mine - other, key=repr):
            lines.append(f"only in {label}: {_short(item)}")
    return "\n".join(lines)


def _short(item: object) -> str:
    text = repr(item)
    return re.sub(r", origin='[^']*'", "", text)[:6000]


def tm_by_name(mapping: Mapping, name: str) -> TriplesMap:
    return next(tm for tm in mapping.triples_maps.values() if tm.name == name or tm.id == name)
