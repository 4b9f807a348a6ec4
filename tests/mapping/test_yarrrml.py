"""The YARRRML compiler: what it builds, and how it refuses what it cannot build."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairify.errors import MappingError, UnsupportedFeatureError
from fairify.mapping.model import (
    FAIRIFY_FN,
    RDF,
    RML,
    XSD,
    Constant,
    Formulation,
    FunctionCall,
    Join,
    Mapping,
    Reference,
    RefObjectMap,
    Template,
    TemplatePart,
    TermMap,
    TermType,
    TriplesMap,
)
from fairify.mapping.yarrrml import EQUAL, GREL, IDLAB_FN, TRUE_CONDITION, read_yarrrml

EX = "http://example.com/"
FFN = FAIRIFY_FN


def compile_text(tmp_path: Path, text: str, name: str = "mapping.yarrrml") -> Mapping:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return read_yarrrml(path)


def refused(tmp_path: Path, text: str, error: type[MappingError] = MappingError) -> MappingError:
    with pytest.raises(error) as info:
        compile_text(tmp_path, text)
    return info.value


def only(mapping: Mapping) -> TriplesMap:
    assert len(mapping.triples_maps) == 1
    return next(iter(mapping.triples_maps.values()))


def objects(tm: TriplesMap, predicate: str) -> list:
    return [
        o
        for pom in tm.predicate_objects
        for p in pom.predicates
        for o in pom.objects
        if _const(p) == predicate
    ]


def _const(tm: TermMap) -> str | None:
    return tm.expression.value if isinstance(tm.expression, Constant) else None


def lit(expr: object, **kw: object) -> TermMap:
    return TermMap(expr, TermType.LITERAL, **kw)  # type: ignore[arg-type]


HEAD = """\
prefixes:
  ex: http://example.com/
mappings:
  person:
    sources:
      - [people.csv~csv]
"""


# ---------------------------------------------------------------------------------------------
# Errors point at the file, line and column


def test_typo_in_a_key_names_the_place_and_the_fix(tmp_path: Path) -> None:
    err = refused(tmp_path, HEAD + "    sujbect: ex:$(id)\n")
    text = str(err)
    assert f"{tmp_path / 'mapping.yarrrml'}:7:5" in text
    assert "did you mean 'subject'" in text
    assert (err.location.line, err.location.column) == (7, 5)


def test_typo_at_every_level_gets_a_hint(tmp_path: Path) -> None:
    assert "did you mean 'mappings'" in str(refused(tmp_path, "mapings:\n  x: {}\n"))
    po_typo = HEAD + "    s: ex:$(id)\n    po:\n      - predicates: ex:name\n        objcts: $(name)\n"
    err = refused(tmp_path, po_typo)
    assert "did you mean 'objects'" in str(err) and err.location.line == 10
    src_typo = (
        "sources:\n  s1:\n    acess: x.csv\n    referenceFormulation: csv\nmappings:\n  m:\n    sources: s1\n"
    )
    assert "did you mean 'access'" in str(refused(tmp_path, src_typo))


def test_a_mapping_without_subject_generates_blank_nodes(tmp_path: Path) -> None:
    """The specification: "in the case of a blank node, this collection is set to null or is not specified"."""
    tm = only(compile_text(tmp_path, HEAD + "    po:\n      - [ex:name, $(name)]\n"))
    assert tm.subject.term.term_type is TermType.BLANK_NODE


def test_an_empty_subject_or_an_empty_mapping_is_refused(tmp_path: Path) -> None:
    err = refused(tmp_path, HEAD + "    s: ''\n    po:\n      - [ex:name, $(name)]\n")
    assert "empty subject" in str(err) and err.location.line == 7
    err = refused(tmp_path, "mappings:\n  person:\n")
    assert "mapping 'person' is empty" in str(err) and err.location.line == 2
    err = refused(tmp_path, "mappings:\n  person:\n    s: ex:$(id)\n")
    assert "has no `sources`" in str(err)


def test_a_template_that_is_never_closed(tmp_path: Path) -> None:
    err = refused(tmp_path, HEAD + "    s: http://example.com/$(a\n")
    assert "never closed" in str(err)
    assert (err.location.line, err.location.column) == (7, 8)
    assert "never closed" in str(
        refused(tmp_path, HEAD + "    s: ex:$(id)\n    po:\n      - [ex:p, x-$(a]\n")
    )
    assert "empty reference" in str(refused(tmp_path, HEAD + "    s: ex:$()\n"))


@pytest.mark.parametrize("tag", ["english", "en_US", "e", "en-", "12", "en--us", "en US"])
def test_a_bad_language_tag(tmp_path: Path, tag: str) -> None:
    err = refused(tmp_path, HEAD + f"    s: ex:$(id)\n    po:\n      - [ex:name, $(name), {tag}~lang]\n")
    assert "invalid language tag" in str(err) and err.location.line == 9
    err = refused(
        tmp_path,
        HEAD
        + f"    s: ex:$(id)\n    po:\n      - p: ex:name\n        o:\n          value: $(name)\n          language: {tag}\n",
    )
    assert "invalid language tag" in str(err) and err.location.line == 12


@pytest.mark.parametrize("tag", ["en", "nl-BE", "zh-Hant-TW", "de-CH-1996", "x-private", "sr-Latn"])
def test_good_language_tags(tmp_path: Path, tag: str) -> None:
    tm = only(
        compile_text(tmp_path, HEAD + f"    s: ex:$(id)\n    po:\n      - [ex:name, $(name), {tag}~lang]\n")
    )
    assert objects(tm, EX + "name") == [lit(Reference("name"), language=tag)]


def test_unknown_prefix(tmp_path: Path) -> None:
    err = refused(tmp_path, HEAD + "    s: exx:$(id)\n")
    assert "unknown prefix 'exx'" in str(err) and "did you mean 'ex'" in str(err)
    assert err.location.line == 7
    err = refused(tmp_path, HEAD + "    s: ex:$(id)\n    po:\n      - [foo:bar, $(x)]\n")
    assert "unknown prefix 'foo'" in str(err)


def test_a_literal_keeps_text_that_only_looks_prefixed(tmp_path: Path) -> None:
    tm = only(
        compile_text(
            tmp_path,
            HEAD + "    s: ex:$(id)\n    po:\n      - [ex:time, '12:30']\n      - [ex:note, 'ex:x']\n",
        )
    )
    assert objects(tm, EX + "time") == [lit(Constant("12:30", "literal"))]
    assert objects(tm, EX + "note") == [lit(Constant(EX + "x", "literal"))]  # as the reference parser does


def test_invalid_yaml_names_line_and_column(tmp_path: Path) -> None:
    err = refused(tmp_path, "mappings:\n  person:\n    s: [a, b\n")
    assert err.location.line is not None and "invalid YAML" in str(err)
    err = refused(tmp_path, "mappings:\n  a: {}\n  a: {}\n")
    assert "invalid YAML" in str(err) and err.location.line == 3


def test_errors_name_the_right_file_of_several(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text("prefixes:\n  ex: http://example.com/\nsources:\n  s: [x.csv~csv]\n")
    (tmp_path / "b.yml").write_text(
        "mappings:\n  m:\n    sources: s\n    s: ex:$(id)\n    po:\n      - [ex:p, $(x), bad tag~lang]\n"
    )
    with pytest.raises(MappingError) as info:
        read_yarrrml([tmp_path / "a.yml", tmp_path / "b.yml"])
    assert info.value.location.file == str(tmp_path / "b.yml") and info.value.location.line == 6


# ---------------------------------------------------------------------------------------------
# Sources


def test_sources_shortcuts_and_descriptions(tmp_path: Path) -> None:
    m = compile_text(
        tmp_path,
        """\
        sources:
          visits: [data/visits.json~json, "$.visits[*]"]
          notes:
            access: notes.xml
            referenceFormulation: xpath
            iterator: /notes/note
          db:
            access: jdbc:mysql://localhost/clinic
            type: mysql
            credentials: {username: u, password: p}
            query: SELECT * FROM patient
            referenceFormulation: csv
        mappings:
          a: {sources: [[data/people.csv~csv]], s: "http://example.com/$(id)"}
          b: {sources: visits, s: "http://example.com/$(id)"}
          c: {sources: notes, s: "http://example.com/$(id)"}
          d: {sources: db, s: "http://example.com/$(id)"}
          e: {sources: [{table: patient, queryFormulation: postgresql}], s: "http://example.com/$(id)"}
          f: {sources: [data/items.json~jsonpath], s: "http://example.com/$(id)"}
        """,
    )
    src = {k: tm.source for k, tm in m.triples_maps.items()}
    assert src["a"].formulation is Formulation.CSV and src["a"].path == "data/people.csv"
    assert (src["b"].formulation, src["b"].path, src["b"].iterator) == (
        Formulation.JSONPATH,
        "data/visits.json",
        "$.visits[*]",
    )
    assert (src["c"].formulation, src["c"].iterator) == (Formulation.XPATH, "/notes/note")
    assert src["d"].formulation is Formulation.SQL
    assert (src["d"].database, src["d"].query) == ("jdbc:mysql://localhost/clinic", "SELECT * FROM patient")
    assert (src["e"].formulation, src["e"].table, src["e"].sql_version) == (
        Formulation.SQL,
        "patient",
        RML + "PostgreSQL",
    )
    assert src["f"].iterator == "$"  # JSONPath's default record: the document
    assert m.path == str(tmp_path / "mapping.yarrrml") and m.dialect == "yarrrml"


def test_source_errors(tmp_path: Path) -> None:
    assert "did you mean 'people'" in str(
        refused(tmp_path, "sources:\n  people: [p.csv~csv]\nmappings:\n  m: {sources: peple}\n")
    )
    assert "unknown reference formulation 'jsn'" in str(
        refused(tmp_path, "mappings:\n  m: {sources: [[p.json~jsn]]}\n")
    )
    err = refused(tmp_path, "mappings:\n  m: {sources: [[p.json~xquery]]}\n", UnsupportedFeatureError)
    assert "XQuery" in str(err)
    assert "unknown source type" in str(
        refused(tmp_path, "mappings:\n  m: {sources: [{access: x, type: mysq, query: q}]}\n")
    )


@pytest.mark.parametrize("key", ['"null"', "null"])
def test_source_null_values(tmp_path: Path, key: str) -> None:
    """fairify's `null` (RML-IO's rml:null), quoted or bare (YAML loads a bare `null:` as None)."""
    m = compile_text(
        tmp_path,
        f"""\
        sources:
          people:
            access: people.csv
            referenceFormulation: csv
            {key}: [NA, "", n/a, NA]
          db:
            access: jdbc:mysql://localhost/clinic
            type: mysql
            table: patient
            {key}: unknown
        mappings:
          a: {{sources: people, s: "http://example.com/$(id)"}}
          b: {{sources: db, s: "http://example.com/$(id)"}}
        """,
    )
    assert m.triples_maps["a"].source.nulls == ("", "NA", "n/a")  # a set, in one order
    assert m.triples_maps["b"].source.nulls == ("unknown",)


def test_source_null_errors(tmp_path: Path) -> None:
    head = "mappings:\n  m:\n    sources:\n      - access: p.csv\n        referenceFormulation: csv\n"
    err = refused(tmp_path, head + "        null:\n")
    assert "`null` takes the cell values" in str(err) and err.location.line == 6
    err = refused(tmp_path, head + '        null: ["", ~]\n')
    assert "found nothing" in str(err) and (err.location.line, err.location.column) == (6, 20)
    err = refused(tmp_path, head + '        null: [""]\n        "null": [NA]\n')
    assert "'null' repeats 'null'" in str(err) and err.location.line == 7
    assert "unknown key 'null' in mapping 'm'" in str(refused(tmp_path, head + "    null: x\n"))


def test_several_sources_make_several_triples_maps_and_joins_reach_all(tmp_path: Path) -> None:
    m = compile_text(
        tmp_path,
        """\
        prefixes: {ex: "http://example.com/"}
        mappings:
          employee:
            sources: [[a.csv~csv], [b.csv~csv]]
            s: ex:$(id)
            po:
              - p: ex:project
                o:
                  mapping: project
                  condition:
                    function: equal
                    parameters: [[str1, $(project)], [str2, $(id)]]
          project:
            sources: [[p1.csv~csv], [p2.csv~csv]]
            s: ex:p/$(id)
        """,
    )
    assert sorted(m.triples_maps) == ["employee#1", "employee#2", "project#1", "project#2"]
    refs = objects(m.triples_maps["employee#1"], EX + "project")
    assert {r.parent for r in refs} == {"project#1", "project#2"}
    assert all(r.joins == (Join(lit(Reference("project")), lit(Reference("id"))),) for r in refs)


# ---------------------------------------------------------------------------------------------
# Terms


def test_terms_and_shortcuts(tmp_path: Path) -> None:
    tm = only(
        compile_text(
            tmp_path,
            HEAD
            + """\
    s: ex:patient/$(id)
    graphs: ex:g/$(site)
    po:
      - [a, ex:Patient]
      - [ex:code, ex:$(code)~iri]
      - [ex:age, $(age), xsd:integer]
      - [[ex:name, ex:label], [$(first), $(last)]]
      - p: ex:note
        o: [[$(note), en~lang], [$(remark), ex:Remark]]
        g: ex:notes
      - p: ex:id
        o: {value: $(id)-$(site), type: blank}
      - [ex:number, 2.10]
""",
        )
    )
    assert tm.subject.term == TermMap(
        Template(EX + "patient/{id}", (TemplatePart(EX + "patient/", False), TemplatePart("id", True))),
        TermType.IRI,
    )
    # `a` stays a predicate-object; the RDF reader's rml:class is normalised in the conformance tests
    assert tm.subject.classes == ()
    assert tm.subject.graphs[0].expression == Template(
        EX + "g/{site}", (TemplatePart(EX + "g/", False), TemplatePart("site", True))
    )
    assert objects(tm, RDF + "type") == [TermMap(Constant(EX + "Patient"), TermType.IRI)]
    assert objects(tm, EX + "code")[0].term_type is TermType.IRI
    assert objects(tm, EX + "age") == [lit(Reference("age"), datatype=XSD + "integer")]
    assert (
        objects(tm, EX + "name")
        == objects(tm, EX + "label")
        == [lit(Reference("first")), lit(Reference("last"))]
    )
    assert objects(tm, EX + "note") == [
        lit(Reference("note"), language="en"),
        lit(Reference("remark"), datatype=EX + "Remark"),
    ]
    note_pom = next(p for p in tm.predicate_objects if _const(p.predicates[0]) == EX + "note")
    assert note_pom.graphs == (TermMap(Constant(EX + "notes"), TermType.IRI),)
    assert objects(tm, EX + "id")[0].term_type is TermType.BLANK_NODE
    # numbers keep the form they were written in
    assert objects(tm, EX + "number") == [lit(Constant("2.10", "literal"))]


def test_escapes_and_external_references(tmp_path: Path) -> None:
    tm = only(
        compile_text(
            tmp_path,
            """\
            prefixes: {ex: "http://example.com/"}
            external: {city: Ghent}
            mappings:
              m:
                sources: [[d.csv~csv]]
                s: $(id)\\:\\:number
                po:
                  - [ex:bracket, $((a\\))]
                  - [ex:city, $(_city)]
                  - [ex:column, $(\\_city)]
                  - [ex:missing, $(_country)]
                  - [ex:colon, ex:$(x)/a\\:b]
                  - [ex:brace, "{x}-$(y)"]
            """,
        )
    )
    assert tm.subject.term.expression.template == "{id}::number"  # type: ignore[union-attr]
    assert objects(tm, EX + "bracket") == [lit(Reference("(a)"))]
    assert objects(tm, EX + "city") == [lit(Constant("Ghent", "literal"))]
    assert objects(tm, EX + "column") == [lit(Reference("_city"))]
    assert objects(tm, EX + "missing") == [lit(Reference("_country"))]
    assert objects(tm, EX + "colon")[0].expression.template == EX + "{x}/a:b"
    assert objects(tm, EX + "brace")[0].expression.template == "\\{x\\}-{y}"


def test_language_and_datatype_maps(tmp_path: Path) -> None:
    tm = only(
        compile_text(
            tmp_path,
            HEAD
            + """\
    s: ex:$(id)
    po:
      - p: ex:label
        o:
          - {value: $(v), language: $(lang)}
          - {value: $(w), language: en-$(region)}
          - {value: $(x), language: en, datatype: rdf:langString}
""",
        )
    )
    labels = objects(tm, EX + "label")
    assert labels[0].language_map == lit(Reference("lang"))
    assert labels[1].language_map.expression.template == "en-{region}"  # type: ignore[union-attr]
    assert labels[2] == lit(Reference("x"), language="en")
    err = refused(tmp_path, HEAD + "    s: ex:$(id)\n    po:\n      - [ex:p, $(x)~iri, xsd:string]\n")
    assert "needs a literal object" in str(err)


def test_inverse_predicates(tmp_path: Path) -> None:
    m = compile_text(
        tmp_path,
        HEAD
        + "    s: ex:$(id)\n    po:\n      - p: ex:author\n        i: ex:wrote\n        o: ex:book/$(book)~iri\n",
    )
    inverse = m.triples_maps["person~inverse1"]
    assert inverse.subject.term.expression.template == EX + "book/{book}"  # type: ignore[union-attr]
    assert objects(inverse, EX + "wrote") == [m.triples_maps["person"].subject.term]


# ---------------------------------------------------------------------------------------------
# Functions and conditions


def test_function_shortcut_syntax(tmp_path: Path) -> None:
    tm = only(
        compile_text(
            tmp_path,
            HEAD
            + """\
    s: ex:$(id)
    po:
      - p: ex:name
        o:
          function: grel:toUpperCase(valueParameter = $(name))
      - p: ex:both
        o:
          function: grel:string_replace(grel:valueParameter = $(name), p_string_find = "a, b", p_string_replace = x)
""",
        )
    )
    assert objects(tm, EX + "name") == [
        lit(FunctionCall(GREL + "toUpperCase", ((GREL + "valueParameter", lit(Reference("name"))),)))
    ]
    call = objects(tm, EX + "both")[0].expression
    assert dict(call.inputs) == {
        GREL + "valueParameter": lit(Reference("name")),
        GREL + "p_string_find": lit(Constant("a, b", "literal")),
        GREL + "p_string_replace": lit(Constant("x", "literal")),
    }


def test_nested_functions_and_iri_parameters(tmp_path: Path) -> None:
    tm = only(
        compile_text(
            tmp_path,
            HEAD
            + """\
    s:
      function: grel:array_join
      parameters:
        - [grel:p_array_a, "http://example.com/"]
        - parameter: grel:p_array_a
          value:
            function: grel:toLowerCase
            parameters: [[grel:valueParameter, $(id)]]
    po:
      - p: ex:kind
        o: {function: ex:classify, parameters: [[ex:scheme, ex:Scheme~iri]], type: iri}
""",
        )
    )
    subject = tm.subject.term
    assert subject.term_type is TermType.IRI
    lower = FunctionCall(GREL + "toLowerCase", ((GREL + "valueParameter", lit(Reference("id"))),))
    # a repeated parameter is a list: its values stay in the order written
    assert subject.expression == FunctionCall(
        GREL + "array_join",
        ((GREL + "p_array_a", lit(Constant(EX, "literal"))), (GREL + "p_array_a", lit(lower))),
    )
    kind = objects(tm, EX + "kind")[0]
    assert kind.term_type is TermType.IRI
    assert kind.expression.inputs == ((EX + "scheme", TermMap(Constant(EX + "Scheme"), TermType.IRI)),)


def test_fairify_functions(tmp_path: Path) -> None:
    tm = only(
        compile_text(
            tmp_path,
            HEAD
            + """\
    s: ex:$(id)
    po:
      - [ex:sex, {function: "ffn:valueMap(value=$(sex), table=valuemaps/sex.csv)", type: iri}]
      - p: ex:birth
        o:
          function: ffn:parseDate
          parameters: [[ffn:value, $(dob)], [ffn:format, "%d-%m-%Y"]]
          datatype: xsd:date
      - [ex:pid, {function: "ffn:pseudonym(value=$(id), prefix=P-)"}]
      - [ex:code, {function: ffn:trim(value=$(code))}]
      - [ex:low, {function: ffn:lower(value=$(code))}]
      - [ex:up, {function: ffn:upper(value=$(code))}]
      - [ex:norm, {function: ffn:normalize(value=$(code))}]
""",
        )
    )
    sex = objects(tm, EX + "sex")[0]
    assert sex.term_type is TermType.IRI
    assert sex.expression == FunctionCall(  # inputs ordered by parameter, as the RDF reader orders them
        FFN + "valueMap",
        (
            (FFN + "table", lit(Constant("valuemaps/sex.csv", "literal"))),
            (FFN + "value", lit(Reference("sex"))),
        ),
    )
    birth = objects(tm, EX + "birth")[0]
    assert birth.datatype == XSD + "date" and birth.expression.function == FFN + "parseDate"
    assert dict(objects(tm, EX + "pid")[0].expression.inputs)[FFN + "prefix"] == lit(
        Constant("P-", "literal")
    )
    for p, fn in (("code", "trim"), ("low", "lower"), ("up", "upper"), ("norm", "normalize")):
        assert objects(tm, EX + p)[0].expression.function == FFN + fn


@pytest.mark.parametrize(
    ("function", "message"),
    [
        ("ffn:valuemap(value=$(x), table=t.csv)", "did you mean 'ffn:valueMap'"),
        ("ffn:valueMap(value=$(x))", "needs the parameter ffn:table"),
        ("ffn:trim(valeu=$(x))", "did you mean 'ffn:value'"),
        ("ffn:pseudonym(value=$(x), value=$(y))", "twice"),
        ("toUpperCase(valueParameter=$(x))", "needs a prefix"),
    ],
)
def test_fairify_function_errors(tmp_path: Path, function: str, message: str) -> None:
    err = refused(tmp_path, HEAD + f'    s: ex:$(id)\n    po:\n      - [ex:p, {{function: "{function}"}}]\n')
    assert message in str(err) and err.location.line == 9


def test_conditions_become_true_condition_functions(tmp_path: Path) -> None:
    tm = only(
        compile_text(
            tmp_path,
            HEAD
            + """\
    s: ex:$(id)
    condition:
      function: equal
      parameters: [[str1, $(active)], [str2, "yes"]]
    po:
      - p: ex:name
        o: {value: $(name), language: en}
        condition:
          function: idlab-fn:notEqual
          parameters: [[grel:valueParameter, $(name)], [grel:valueParameter2, ""]]
""",
        )
    )
    equal = FunctionCall(
        EQUAL,
        (
            (GREL + "valueParameter", lit(Reference("active"))),
            (GREL + "valueParameter2", lit(Constant("yes", "literal"))),
        ),
    )
    subject = tm.subject.term
    assert subject.term_type is TermType.IRI
    assert subject.expression == FunctionCall(
        TRUE_CONDITION,
        ((IDLAB_FN + "str", lit(parse_id_template())), (IDLAB_FN + "strBoolean", lit(equal))),
    )
    name = objects(tm, EX + "name")[0]
    assert name.language == "en" and name.expression.function == TRUE_CONDITION
    assert dict(name.expression.inputs)[IDLAB_FN + "str"] == lit(Reference("name"))


def test_equal_conditions_are_calls_the_engine_runs(tmp_path: Path) -> None:
    """YARRRML's `equal` is idlab-fn:equal with GREL's value parameters, which the engine accepts."""
    import pyarrow as pa

    from fairify.engine.functions import Context, prepare

    tm = only(
        compile_text(
            tmp_path,
            HEAD
            + """\
    s: ex:$(id)
    condition:
      - function: equal
        parameters: [[str1, $(a)], [str2, $(b)]]
      - function: idlab-fn:notEqual
        parameters: [[grel:valueParameter, $(a)], [grel:valueParameter2, $(b)]]
""",
        )
    )
    calls = []
    term = tm.subject.term
    while isinstance(term.expression, FunctionCall) and term.expression.function == TRUE_CONDITION:
        inputs = dict(term.expression.inputs)
        calls.append(inputs[IDLAB_FN + "strBoolean"].expression)
        term = inputs[IDLAB_FN + "str"]
    assert {c.function for c in calls} == {EQUAL, IDLAB_FN + "notEqual"}
    a, b = pa.array(["x", "y"]), pa.array(["x", "z"])
    for call in calls:
        run = prepare(call, Context(tmp_path), "test")
        out = run({GREL + "valueParameter": a, GREL + "valueParameter2": b}).values.to_pylist()
        assert out == (["true", "false"] if call.function == EQUAL else ["false", "true"])
    both = FunctionCall(
        EQUAL,
        ((GREL + "valueParameter", lit(Reference("a"))), (IDLAB_FN + "str", lit(Reference("b")))),
    )
    with pytest.raises(MappingError, match="the same parameter"):
        prepare(both, Context(tmp_path), "test")


def parse_id_template() -> Template:
    return Template(EX + "{id}", (TemplatePart(EX, False), TemplatePart("id", True)))


def test_join_conditions(tmp_path: Path) -> None:
    m = compile_text(
        tmp_path,
        """\
        prefixes: {ex: "http://example.com/"}
        mappings:
          book:
            sources: [[books.csv~csv]]
            s: ex:book/$(id)
            po:
              - p: ex:author
                o:
                  mapping: person
                  condition:
                    - function: equal
                      parameters:
                        - [str1, $(author), s]
                        - parameter: str2
                          value:
                            function: grel:toLowerCase
                            parameters: [[grel:valueParameter, $(name), o]]
                    - function: idlab-fn:equal
                      parameters: [[grel:valueParameter, $(a)-$(b), s], [grel:valueParameter2, "0", o]]
          person:
            sources: [[people.csv~csv]]
            s: ex:person/$(id)
        """,
    )
    (ref,) = objects(m.triples_maps["book"], EX + "author")
    assert isinstance(ref, RefObjectMap) and ref.parent == "person"
    lower = FunctionCall(GREL + "toLowerCase", ((GREL + "valueParameter", lit(Reference("name"))),))
    assert ref.joins[0] == Join(lit(Reference("author")), lit(lower))
    assert ref.joins[1].child.expression.template == "{a}-{b}"  # type: ignore[union-attr]
    assert ref.joins[1].parent == lit(Constant("0", "literal"))


def test_join_condition_errors(tmp_path: Path) -> None:
    base = """\
prefixes: {ex: "http://example.com/"}
mappings:
  book:
    sources: [[books.csv~csv]]
    s: ex:book/$(id)
    po:
      - p: ex:author
        o:
          mapping: %s
          condition:
            function: %s
            parameters: [[grel:valueParameter, $(a), s], [grel:valueParameter2, $(b), %s]]
  person:
    sources: [[people.csv~csv]]
    s: ex:person/$(id)
"""
    assert "did you mean 'person'" in str(refused(tmp_path, base % ("persn", "idlab-fn:equal", "o")))
    err = refused(tmp_path, base % ("person", "grel:string_contains", "o"), UnsupportedFeatureError)
    assert "join condition" in str(err) and err.location.line == 11
    err = refused(tmp_path, base % ("person", "idlab-fn:equal", "s"), UnsupportedFeatureError)
    assert "one value of this mapping" in str(err)
    no_condition = base.replace("          condition:\n", "          c0ndition:\n")
    assert "did you mean 'condition'" in str(refused(tmp_path, no_condition % ("person", "x", "o")))


def test_a_join_without_condition_needs_the_same_source(tmp_path: Path) -> None:
    text = (
        HEAD
        + "    s: ex:$(id)\n    po:\n      - p: ex:self\n        o: {mapping: other}\n  other:\n    sources: %s\n    s: ex:o/$(id)\n"
    )
    m = compile_text(tmp_path, text % "[[people.csv~csv]]")
    assert objects(m.triples_maps["person"], EX + "self") == [RefObjectMap("other", ())]
    err = refused(tmp_path, text % "[[other.csv~csv]]")
    assert "without a condition" in str(err) and err.location.line == 10


# ---------------------------------------------------------------------------------------------
# Out of scope: refused, naming the feature


@pytest.mark.parametrize(
    ("text", "feature"),
    [
        ("targets:\n  t1: [out.nq~void]\nmappings:\n  m: {sources: [[a.csv~csv]]}\n", "logical targets"),
        (HEAD + "    s: {value: ex:$(id), targets: t1}\n", "logical targets"),
        (HEAD + "    s: ex:$(id)\n    changeDetection: {create: {explicit: true}}\n", "LDES"),
        (HEAD + "    s: ex:$(id)\n    po:\n      - p: ex:p\n        o: {quoted: other}\n", "RML-star"),
        (
            "sources:\n  s: {access: http://x, type: wot, referenceFormulation: jsonpath}\nmappings:\n  m: {sources: s}\n",
            "Web of Things",
        ),
        (
            "sources:\n  s: {access: td:x, referenceFormulation: jsonpath}\nmappings:\n  m: {sources: s}\n",
            "Web of Things",
        ),
    ],
)
def test_out_of_scope_features_are_named(tmp_path: Path, text: str, feature: str) -> None:
    err = refused(tmp_path, text, UnsupportedFeatureError)
    assert feature in str(err) and err.location.line is not None


# ---------------------------------------------------------------------------------------------
# Properties


_TEXT = st.text(alphabet="abcXYZ019 -_/.#:", min_size=1, max_size=8).filter(lambda t: ":" not in t[:4])
_REF = st.text(alphabet="abcxyz_019.@[]*", min_size=1, max_size=6).filter(lambda r: not r.startswith("_"))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(_TEXT.map(lambda t: (t, False)), _REF.map(lambda r: (r, True))), min_size=1, max_size=5
    )
)
def test_templates_keep_their_parts(
    tmp_path_factory: pytest.TempPathFactory, parts: list[tuple[str, bool]]
) -> None:
    """Any mix of text and $(references) compiles to a template with exactly those parts."""
    merged: list[tuple[str, bool]] = []
    for text, is_ref in parts:
        if merged and not is_ref and not merged[-1][1]:
            merged[-1] = (merged[-1][0] + text, False)
        else:
            merged.append((text, is_ref))
    value = "".join(f"$({t})" if r else t for t, r in merged)
    tmp = tmp_path_factory.mktemp("prop")
    yaml_value = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    tm = only(compile_text(tmp, HEAD + f"    s: ex:$(id)\n    po:\n      - [ex:p, {yaml_value}]\n"))
    (obj,) = objects(tm, EX + "p")
    expr = obj.expression
    if len(merged) == 1 and merged[0][1]:
        assert expr == Reference(merged[0][0])
    elif all(not r for _, r in merged):
        assert isinstance(expr, Constant) and expr.value == merged[0][0]
    else:
        assert isinstance(expr, Template)
        assert [(p.text, p.is_reference) for p in expr.parts] == merged


def test_repeated_parameters_keep_their_order(tmp_path: Path) -> None:
    tm = only(
        compile_text(
            tmp_path,
            HEAD
            + "    s:\n      function: grel:array_join\n      parameters:\n"
            + "        - [grel:p_array_a, $(id)]\n        - [grel:p_array_a, '-suffix']\n",
        )
    )
    assert [v.expression for _, v in tm.subject.term.expression.inputs] == [  # type: ignore[union-attr]
        Reference("id"),
        Constant("-suffix", "literal"),
    ]


def test_iris_must_be_absolute_unless_a_base_is_declared(tmp_path: Path) -> None:
    err = refused(tmp_path, HEAD + "    s: ex:$(id)\n    po:\n      - [name, $(name)]\n")
    assert "not an absolute IRI" in str(err) and err.location.line == 9
    m = compile_text(tmp_path, "base: http://example.com/base/\n" + HEAD + "    s: person\n")
    assert m.base_iri == "http://example.com/base/"
    assert only(m).subject.term.expression == Constant("person")
    err = refused(tmp_path, HEAD + "    s: http://example.com/a b/$(id)\n")
    assert "cannot stand in an IRI" in str(err)


def test_a_predicate_object_without_object(tmp_path: Path) -> None:
    err = refused(tmp_path, HEAD + "    s: ex:$(id)\n    po:\n      - [a]\n")
    assert "needs a predicate and an object" in str(err) and err.location.line == 9
    err = refused(tmp_path, HEAD + "    s: ex:$(id)\n    po:\n      - p: ex:name\n")
    assert "needs `objects`" in str(err) and err.location.line == 9
