"""The RML writer: what it writes reads back as the same model, and it writes it the same way twice."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from fairify.errors import MappingError, UnsupportedFeatureError
from fairify.mapping.model import (
    RML,
    XSD,
    Constant,
    Formulation,
    FunctionCall,
    Join,
    LogicalSource,
    Mapping,
    PredicateObjectMap,
    Reference,
    RefObjectMap,
    SubjectMap,
    TermMap,
    TermType,
    TriplesMap,
    constant_iri,
)
from fairify.mapping.template import parse_template
from fairify.mapping.writer import to_rml_turtle
from fairify.mapping.yarrrml import read_yarrrml
from tests.conftest import needs_shared
from tests.mapping.yarrrml_support import YARRRML, Case, describe_difference, in_scope_cases, same_model

try:
    from fairify.mapping.rdf import read_rdf_mapping
except ImportError:
    read_rdf_mapping = None  # type: ignore[assignment]

EX = "http://example.com/"


def _read_back(text: str, folder: Path) -> Mapping:
    if read_rdf_mapping is None:
        pytest.skip("fairify.mapping.rdf.read_rdf_mapping does not exist yet")
    out = folder / "written.rml.ttl"
    out.write_text(text, encoding="utf-8")
    return read_rdf_mapping(out)


def _yarrrml(case: Case) -> Mapping:
    return read_yarrrml(case.yarrrml if len(case.yarrrml) > 1 else case.yarrrml[0])


@pytest.mark.parametrize("case", [c for c in in_scope_cases() if not c.is_r2rml], ids=lambda c: c.id)
def test_round_trip_of_conformance_case(case: Case, tmp_path: Path) -> None:
    needs_shared(YARRRML)
    try:
        model = _yarrrml(case)
    except MappingError:
        pytest.skip("the YARRRML reader refuses this case (see test_yarrrml_conformance)")
    folder = tmp_path / "case"
    shutil.copytree(case.rdf.parent, folder)
    text = to_rml_turtle(model)
    back = _read_back(text, folder)
    # Canonical equality up to the order of function inputs, which RDF does not keep.
    assert same_model(back, model), describe_difference(back, model, ("written", "model")) + "\n" + text
    for tm in back.triples_maps.values():
        if tm.source.path is not None:
            assert tm.source.path in {t.source.path for t in model.triples_maps.values()}


def test_output_is_deterministic() -> None:
    needs_shared(YARRRML)
    path = YARRRML / "condition-on-mapping-nested" / "mapping.yarrrml"
    assert to_rml_turtle(read_yarrrml(path)) == to_rml_turtle(read_yarrrml(path))


def test_output_uses_the_new_namespace_only() -> None:
    needs_shared(YARRRML)
    text = to_rml_turtle(read_yarrrml(YARRRML / "condition-on-po" / "rml" / "mapping.yml"))
    assert "http://w3id.org/rml/" in text
    for legacy in (
        "http://semweb.mmlab.be/ns/rml#",
        "http://semweb.mmlab.be/ns/fnml#",
        "http://www.w3.org/ns/r2rml#",
    ):
        assert legacy not in text
    assert "rml:functionExecution" in text and "rml:inputValueMap" in text


def _tm(
    tm_id: str, source: LogicalSource, subject: TermMap, *poms: PredicateObjectMap, **kw: object
) -> TriplesMap:
    return TriplesMap(tm_id, source, SubjectMap(subject, **kw), tuple(poms), name=tm_id)  # type: ignore[arg-type]


def _literal(expr: object, **kw: object) -> TermMap:
    return TermMap(expr, TermType.LITERAL, **kw)  # type: ignore[arg-type]


def _sample() -> Mapping:
    csv = LogicalSource(Formulation.CSV, path="data/patients.csv", nulls=("", "NA"), delimiter=";")
    json = LogicalSource(
        Formulation.JSONPATH, path="visits.json.gz", iterator="$.visits[*]", compression="gzip"
    )
    sql = LogicalSource(
        Formulation.SQL,
        database="postgresql://station/clinical",
        query="SELECT id, dob FROM patient",
        sql_version=RML + "SQL2008",
    )
    patient = TermMap(parse_template(EX + "patient/{id}"), TermType.IRI)
    name = PredicateObjectMap(
        (constant_iri(EX + "name"),),
        (
            _literal(Reference("name"), language="nl"),
            _literal(Reference("alias"), language_map=_literal(Reference("lang"))),
        ),
        graphs=(constant_iri(EX + "graph"),),
    )
    sex = PredicateObjectMap(
        (constant_iri(EX + "sex"),),
        (
            TermMap(
                FunctionCall(
                    "https://w3id.org/fairify/fn#valueMap",
                    (
                        (
                            "https://w3id.org/fairify/fn#table",
                            _literal(Constant("valuemaps/sex.csv", "literal")),
                        ),
                        ("https://w3id.org/fairify/fn#value", _literal(Reference("sex"))),
                    ),
                ),
                TermType.IRI,
            ),
        ),
    )
    age = PredicateObjectMap(
        (TermMap(parse_template(EX + "{measure}"), TermType.IRI),),
        (
            _literal(Reference("age"), datatype=XSD + "integer"),
            TermMap(Constant("", "blank"), TermType.BLANK_NODE),
        ),
    )
    visit = TermMap(parse_template(EX + "visit/{$.id}"), TermType.IRI)
    link = PredicateObjectMap(
        (constant_iri(EX + "patient"),),
        (
            RefObjectMap(
                "patients",
                (
                    Join(_literal(Reference("$.patient")), _literal(Reference("id"))),
                    Join(_literal(parse_template("{$.site}-x")), _literal(Constant("A", "literal"))),
                ),
            ),
        ),
    )
    return Mapping(
        {
            "patients": _tm("patients", csv, patient, name, sex, age, classes=(EX + "Patient",)),
            "visits": _tm("visits", json, visit, link, graphs=(TermMap(Reference("$.graph"), TermType.IRI),)),
            "db": _tm("db", sql, TermMap(Reference("id"), TermType.BLANK_NODE)),
        },
        base_iri="http://example.com/base/",
        path="mapping.yml",
        dialect="yarrrml",
        prefixes={"ex": EX},
    )


def test_round_trip_of_a_model_with_every_part(tmp_path: Path) -> None:
    model = _sample()
    text = to_rml_turtle(model)
    back = _read_back(text, tmp_path)
    assert same_model(back, model), describe_difference(back, model, ("written", "model"))
    assert back.base_iri == model.base_iri


def test_sources_are_rml_io_descriptions() -> None:
    g = Graph().parse(data=to_rml_turtle(_sample()), format="turtle")
    r = lambda local: URIRef(RML + local)  # noqa: E731
    assert set(g.objects(None, r("referenceFormulation"))) >= {r("CSV"), r("JSONPath"), r("SQL2008Query")}
    assert (None, r("root"), r("MappingDirectory")) in g
    assert (None, r("compression"), r("gzip")) in g
    iterators = {str(o) for o in g.objects(None, r("iterator"))}
    assert "SELECT id, dob FROM patient" in iterators


def test_same_model_same_graph() -> None:
    a = Graph().parse(data=to_rml_turtle(_sample()), format="turtle")
    b = Graph().parse(data=to_rml_turtle(_sample()), format="turtle")
    assert isomorphic(a, b)
    assert to_rml_turtle(_sample()) == to_rml_turtle(_sample())


def test_options_without_rml_form_are_refused() -> None:
    model = _sample()
    tm = model.triples_maps["patients"]
    src = LogicalSource(Formulation.TABLE, path="x.xlsx", options=(("sheet", "Sheet1"),))
    model.triples_maps["patients"] = TriplesMap(tm.id, src, tm.subject, tm.predicate_objects, name=tm.name)
    with pytest.raises(UnsupportedFeatureError, match="sheet"):
        to_rml_turtle(model)


def test_xml_namespaces_are_written_on_the_formulation_and_read_back(tmp_path: Path) -> None:
    model = _sample()
    tm = model.triples_maps["patients"]
    src = LogicalSource(
        Formulation.XPATH,
        path="x.xml",
        iterator="//ex:Character",
        options=(("namespace", "ex=http://example.org"),),
    )
    model.triples_maps["patients"] = TriplesMap(tm.id, src, tm.subject, tm.predicate_objects, name=tm.name)
    text = to_rml_turtle(model)
    assert (None, URIRef(RML + "namespacePrefix"), None) in Graph().parse(data=text, format="turtle")
    back = _read_back(text, tmp_path)
    assert src in {t.source for t in back.triples_maps.values()}


def test_null_values_are_written_on_the_source_description_and_read_back(tmp_path: Path) -> None:
    model = _sample()
    db = model.triples_maps["db"]
    sql = LogicalSource(
        Formulation.SQL, database="postgresql://station/clinical", table="patient", nulls=("-", "NULL")
    )
    model.triples_maps["db"] = TriplesMap(db.id, sql, db.subject, db.predicate_objects, name=db.name)
    text = to_rml_turtle(model)
    g = Graph().parse(data=text, format="turtle")
    described = {
        str(o)
        for desc in g.objects(None, URIRef(RML + "source"))
        for o in g.objects(desc, URIRef(RML + "null"))
    }
    assert described == {"", "NA", "-", "NULL"}
    back = _read_back(text, tmp_path)
    # Exactly the sources written (no normalisation): RDF keeps no order, the reader sorts them.
    assert {tm.source for tm in back.triples_maps.values()} == {
        tm.source for tm in model.triples_maps.values()
    }


def test_a_function_return_is_written_on_the_term_map(tmp_path: Path) -> None:
    model = _sample()
    tm = model.triples_maps["patients"]
    call = FunctionCall(EX + "split", ((EX + "value", _literal(Reference("name"))),), EX + "second")
    pom = PredicateObjectMap((constant_iri(EX + "part"),), (_literal(call),))
    model.triples_maps["patients"] = TriplesMap(
        tm.id, tm.source, tm.subject, (*tm.predicate_objects, pom), name=tm.name
    )
    text = to_rml_turtle(model)
    g = Graph().parse(data=text, format="turtle")
    (term_map,) = g.subjects(URIRef(RML + "return"), URIRef(EX + "second"))
    assert (term_map, URIRef(RML + "functionExecution"), None) in g
    back = _read_back(text, tmp_path)
    assert same_model(back, model), describe_difference(back, model, ("written", "model"))


def test_a_labelled_blank_node_is_written_as_a_template(tmp_path: Path) -> None:
    """RML-Core has no blank node constant; a template without references is one."""
    model = _sample()
    tm = model.triples_maps["patients"]
    pom = PredicateObjectMap(
        (constant_iri(EX + "node"),), (TermMap(Constant("b{1}", "blank"), TermType.BLANK_NODE),)
    )
    model.triples_maps["patients"] = TriplesMap(
        tm.id, tm.source, tm.subject, (*tm.predicate_objects, pom), name=tm.name
    )
    back = _read_back(to_rml_turtle(model), tmp_path)
    assert same_model(back, model), describe_difference(back, model, ("written", "model"))
