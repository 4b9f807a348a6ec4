"""The RML / legacy RML / R2RML reader: the forms RMLMapper and the reference YARRRML parser write."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from fairify.errors import MappingError, UnsupportedFeatureError
from fairify.mapping.model import (
    FAIRIFY_FN,
    Constant,
    Formulation,
    FunctionCall,
    Join,
    Mapping,
    Reference,
    RefObjectMap,
    TermMap,
    TermType,
    TriplesMap,
)
from fairify.mapping.rdf import read_rdf_mapping

EX = "http://example.com/"
GREL = "http://users.ugent.be/~bjdmeest/function/grel.ttl#"
IDLAB = "https://w3id.org/imec/idlab/function#"

LEGACY_PREFIXES = """\
@prefix rr: <http://www.w3.org/ns/r2rml#> .
@prefix rml: <http://semweb.mmlab.be/ns/rml#> .
@prefix ql: <http://semweb.mmlab.be/ns/ql#> .
@prefix fnml: <http://semweb.mmlab.be/ns/fnml#> .
@prefix fno: <https://w3id.org/function/ontology#> .
@prefix d2rq: <http://www.wiwiss.fu-berlin.de/suhl/bizer/D2RQ/0.1#> .
@prefix grel: <http://users.ugent.be/~bjdmeest/function/grel.ttl#> .
@prefix idlab-fn: <https://w3id.org/imec/idlab/function#> .
@prefix ex: <http://example.com/> .
"""
RML_PREFIXES = """\
@prefix rml: <http://w3id.org/rml/> .
@prefix ffn: <https://w3id.org/fairify/fn#> .
@prefix ex: <http://example.com/> .
"""


def read(tmp_path: Path, text: str, prefixes: str = LEGACY_PREFIXES) -> Mapping:
    path = tmp_path / "mapping.ttl"
    path.write_text(prefixes + textwrap.dedent(text), encoding="utf-8")
    return read_rdf_mapping(path)


def tm_named(mapping: Mapping, local: str) -> TriplesMap:
    return mapping.triples_maps[EX + local]


def the_object(tm: TriplesMap) -> object:
    (pom,) = tm.predicate_objects
    (obj,) = pom.objects
    return obj


def lit(expr: object) -> TermMap:
    return TermMap(expr, TermType.LITERAL)  # type: ignore[arg-type]


# -- constants with a term type (item: rr:constant "…" ; rr:termType rr:IRI) ----------------------


def test_legacy_string_constant_with_term_type_iri_is_the_iri(tmp_path: Path) -> None:
    m = read(
        tmp_path,
        """\
        ex:tm rml:logicalSource [ rml:source "x.csv" ; rml:referenceFormulation ql:CSV ] ;
            rr:subjectMap [ rr:template "http://ex.org/{id}" ] ;
            rr:predicateObjectMap [
                rr:predicateMap [ rr:constant "http://example.com/p" ; rr:termType rr:IRI ] ;
                rr:objectMap [ rr:constant "http://example.com/Class" ; rr:termType rr:IRI ] ,
                             [ rr:constant "b1" ; rr:termType rr:BlankNode ]
            ] .
        """,
    )
    (pom,) = tm_named(m, "tm").predicate_objects
    assert pom.predicates == (TermMap(Constant(EX + "p", "iri"), TermType.IRI),)
    assert set(pom.objects) == {
        TermMap(Constant(EX + "Class", "iri"), TermType.IRI),
        TermMap(Constant("b1", "blank"), TermType.BLANK_NODE),
    }


def test_legacy_typed_literal_constant_with_term_type_iri_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="is a literal but the term type is IRI"):
        read(
            tmp_path,
            """\
            ex:tm rml:logicalSource [ rml:source "x.csv" ; rml:referenceFormulation ql:CSV ] ;
                rr:subjectMap [ rr:template "http://ex.org/{id}" ] ;
                rr:predicateObjectMap [ rr:predicate ex:p ;
                    rr:objectMap [ rr:constant "a"@en ; rr:termType rr:IRI ] ] .
            """,
        )


def test_rml_core_string_constant_with_term_type_blank_node_is_refused(tmp_path: Path) -> None:
    """RML-Core takes a constant as the term itself: its RMLTC0024a expects an error."""
    with pytest.raises(MappingError, match="is a literal but the term type is BlankNode"):
        read(
            tmp_path,
            """\
            ex:tm rml:logicalSource [ rml:source [ a rml:RelativePathSource ; rml:path "x.csv" ] ;
                                      rml:referenceFormulation rml:CSV ] ;
                rml:subjectMap [ rml:constant "School" ; rml:termType rml:BlankNode ] .
            """,
            RML_PREFIXES,
        )


def test_a_literal_subject_is_still_refused(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="subject map cannot produce literals"):
        read(
            tmp_path,
            """\
            ex:tm rml:logicalSource [ rml:source "x.csv" ; rml:referenceFormulation ql:CSV ] ;
                rr:subjectMap [ rr:template "http://ex.org/{id}" ; rr:termType rr:Literal ] .
            """,
        )


# -- FnML functions -------------------------------------------------------------------------------


FUNCTION_OBJECT = """\
ex:tm rml:logicalSource [ rml:source "x.csv" ; rml:referenceFormulation ql:CSV ] ;
    rr:subjectMap [ rr:template "http://ex.org/{id}" ] ;
    rr:predicateObjectMap [ rr:predicate ex:p ; rr:objectMap [ fnml:functionValue ex:fn ] ] .
ex:fn rr:predicateObjectMap
    [ rr:predicate fno:executes ; rr:objectMap [ rr:constant "%s" ; rr:termType rr:IRI ] ] ,
    %s .
"""


def test_blank_node_input_and_function_iri_as_string(tmp_path: Path) -> None:
    m = read(
        tmp_path,
        FUNCTION_OBJECT
        % (
            IDLAB + "isNull",
            "[ rr:predicate idlab-fn:str ; rr:objectMap [ rr:termType rr:BlankNode ] ]",
        ),
    )
    obj = the_object(tm_named(m, "tm"))
    assert isinstance(obj, TermMap)
    assert obj.expression == FunctionCall(
        IDLAB + "isNull", ((IDLAB + "str", TermMap(Constant("", "blank"), TermType.BLANK_NODE)),)
    )


def test_inputs_are_ordered_by_parameter_then_value(tmp_path: Path) -> None:
    m = read(
        tmp_path,
        FUNCTION_OBJECT
        % (
            GREL + "array_join",
            '[ rr:predicate grel:p_array_a ; rr:objectMap [ rml:reference "b" ] ] , '
            '[ rr:predicate grel:p_array_a ; rr:objectMap [ rml:reference "a" ] ] , '
            '[ rr:predicate grel:p_string_sep ; rr:objectMap [ rr:constant "-" ] ]',
        ),
    )
    obj = the_object(tm_named(m, "tm"))
    assert isinstance(obj, TermMap) and isinstance(obj.expression, FunctionCall)
    assert obj.expression.inputs == (
        (GREL + "p_array_a", lit(Reference("a"))),
        (GREL + "p_array_a", lit(Reference("b"))),
        (GREL + "p_string_sep", lit(Constant("-", "literal"))),
    )


def test_new_rml_inputs_are_ordered_like_legacy_ones(tmp_path: Path) -> None:
    m = read(
        tmp_path,
        """\
        ex:tm rml:logicalSource [ rml:source [ a rml:RelativePathSource ; rml:path "x.csv" ] ;
                                  rml:referenceFormulation rml:CSV ] ;
            rml:subjectMap [ rml:template "http://ex.org/{id}" ] ;
            rml:predicateObjectMap [ rml:predicate ex:p ; rml:objectMap [
                rml:functionExecution [ rml:function ex:join ;
                    rml:input [ rml:parameter ex:part ; rml:inputValueMap [ rml:reference "b" ] ] ,
                              [ rml:parameter ex:part ; rml:inputValueMap [ rml:reference "a" ] ] ,
                              [ rml:parameter ex:glue ; rml:inputValue "-" ] ] ] ] .
        """,
        RML_PREFIXES,
    )
    obj = the_object(tm_named(m, "tm"))
    assert isinstance(obj, TermMap) and isinstance(obj.expression, FunctionCall)
    assert [(p, v.expression) for p, v in obj.expression.inputs] == [
        (EX + "glue", Constant("-", "literal")),
        (EX + "part", Reference("a")),
        (EX + "part", Reference("b")),
    ]


# -- RML-FNML returns -----------------------------------------------------------------------------


def _pseudonym(tmp_path: Path, returns: str, where: str = "term map") -> Mapping:
    execution_extra = returns if where == "execution" else ""
    term_extra = returns if where == "term map" else ""
    return read(
        tmp_path,
        f"""\
        ex:tm rml:logicalSource [ rml:source [ a rml:RelativePathSource ; rml:path "x.csv" ] ;
                                  rml:referenceFormulation rml:CSV ] ;
            rml:subjectMap [ rml:template "http://ex.org/{{id}}" ] ;
            rml:predicateObjectMap [ rml:predicate ex:p ; rml:objectMap [
                rml:functionExecution [ rml:function ffn:pseudonym ; {execution_extra}
                    rml:input [ rml:parameter ffn:value ; rml:inputValueMap [ rml:reference "id" ] ] ] ;
                {term_extra}
                rml:termType rml:IRI ] ] .
        """,
        RML_PREFIXES,
    )


@pytest.mark.parametrize(
    "returns", ["", "rml:return ffn:output ;", "rml:returnMap [ rml:constant ffn:output ] ;"]
)
def test_the_single_output_of_a_fairify_function_is_the_default(tmp_path: Path, returns: str) -> None:
    obj = the_object(tm_named(_pseudonym(tmp_path, returns), "tm"))
    assert isinstance(obj, TermMap) and isinstance(obj.expression, FunctionCall)
    assert obj.expression.function == FAIRIFY_FN + "pseudonym" and obj.expression.output is None


def test_an_output_a_fairify_function_does_not_have_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="has one output"):
        _pseudonym(tmp_path, "rml:return ffn:hash ;")


def test_return_on_the_execution_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="belongs on the term map"):
        _pseudonym(tmp_path, "rml:return ffn:output ;", where="execution")


def test_other_functions_keep_their_return(tmp_path: Path) -> None:
    m = read(
        tmp_path,
        """\
        ex:tm rml:logicalSource [ rml:source [ a rml:RelativePathSource ; rml:path "x.csv" ] ;
                                  rml:referenceFormulation rml:CSV ] ;
            rml:subjectMap [ rml:template "http://ex.org/{id}" ] ;
            rml:predicateObjectMap [ rml:predicate ex:p ; rml:objectMap [
                rml:functionExecution [ rml:function ex:split ;
                    rml:input [ rml:parameter ex:value ; rml:inputValueMap [ rml:reference "id" ] ] ] ;
                rml:returnMap [ rml:constant ex:second ] ] ] .
        """,
        RML_PREFIXES,
    )
    obj = the_object(tm_named(m, "tm"))
    assert isinstance(obj, TermMap) and isinstance(obj.expression, FunctionCall)
    assert obj.expression.output == EX + "second"


# -- join conditions written as functions ---------------------------------------------------------

JOIN = """\
ex:parent rml:logicalSource [ rml:source "p.csv" ; rml:referenceFormulation ql:CSV ] ;
    rr:subjectMap [ rr:template "http://ex.org/p/{id}" ] .
ex:child rml:logicalSource [ rml:source "c.csv" ; rml:referenceFormulation ql:CSV ] ;
    rr:subjectMap [ rr:template "http://ex.org/c/{id}" ] ;
    rr:predicateObjectMap [ rr:predicate ex:rel ;
        rr:objectMap [ rr:parentTriplesMap ex:parent ; rml:joinCondition [ fnml:functionValue ex:cond ] ] ] .
"""


def _equal(node: str, first: str, second: str) -> str:
    return f"""\
{node} rr:predicateObjectMap
    [ rr:predicate fno:executes ; rr:objectMap [ rr:constant "{IDLAB}equal" ; rr:termType rr:IRI ] ] ,
    [ rr:predicate grel:valueParameter ; rr:objectMap {first} ] ,
    [ rr:predicate grel:valueParameter2 ; rr:objectMap {second} ] .
"""


def joins(m: Mapping) -> set[Join]:
    obj = the_object(tm_named(m, "child"))
    assert isinstance(obj, RefObjectMap)
    return set(obj.joins)


def test_equal_join_condition(tmp_path: Path) -> None:
    m = read(
        tmp_path,
        JOIN + _equal("ex:cond", '[ rml:reference "pid" ]', '[ rml:parentTermMap [ rml:reference "id" ] ]'),
    )
    assert joins(m) == {Join(lit(Reference("pid")), lit(Reference("id")))}


def test_equal_join_condition_parent_first_and_nested_function(tmp_path: Path) -> None:
    """The parent side is the parameter that reads parent term maps, also through a function."""
    m = read(
        tmp_path,
        JOIN
        + _equal("ex:cond", "[ fnml:functionValue ex:lower ]", '[ rml:reference "pid" ]')
        + """\
        ex:lower rr:predicateObjectMap
            [ rr:predicate fno:executes ; rr:objectMap [ rr:constant "http://example.com/toLowerCase" ;
                                                          rr:termType rr:IRI ] ] ,
            [ rr:predicate ex:input ; rr:objectMap [ rml:parentTermMap [ rml:reference "name" ] ] ] .
        """,
    )
    lower = FunctionCall(EX + "toLowerCase", ((EX + "input", lit(Reference("name"))),))
    assert joins(m) == {Join(lit(Reference("pid")), lit(lower))}


def test_boolean_and_of_equals_is_several_joins(tmp_path: Path) -> None:
    m = read(
        tmp_path,
        JOIN
        + """\
        ex:cond rr:predicateObjectMap
            [ rr:predicate fno:executes ; rr:objectMap [ rr:constant grel:boolean_and ] ] ,
            [ rr:predicate grel:param_rep_b ; rr:objectMap [ fnml:functionValue ex:c1 ] ] ,
            [ rr:predicate grel:param_rep_b ; rr:objectMap [ fnml:functionValue ex:c2 ] ] .
        """
        + _equal("ex:c1", '[ rml:reference "a" ]', '[ rml:parentTermMap [ rml:reference "x" ] ]')
        + _equal("ex:c2", '[ rr:constant "0" ]', '[ rml:parentTermMap [ rml:reference "y" ] ]'),
    )
    assert joins(m) == {
        Join(lit(Reference("a")), lit(Reference("x"))),
        Join(lit(Constant("0", "literal")), lit(Reference("y"))),
    }


def test_other_join_functions_are_refused_by_name(tmp_path: Path) -> None:
    text = JOIN + _equal("ex:cond", '[ rml:reference "a" ]', '[ rml:parentTermMap [ rml:reference "x" ] ]')
    with pytest.raises(UnsupportedFeatureError, match="notEqual"):
        read(tmp_path, text.replace(f"{IDLAB}equal", f"{IDLAB}notEqual"))


def test_a_join_condition_needs_a_parent_side(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFeatureError, match="one value of the parent"):
        read(tmp_path, JOIN + _equal("ex:cond", '[ rml:reference "a" ]', '[ rml:reference "b" ]'))


def test_parent_term_map_outside_a_join_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="only meaningful in a join condition"):
        read(
            tmp_path,
            FUNCTION_OBJECT
            % (
                GREL + "toUpperCase",
                "[ rr:predicate grel:valueParameter ; rr:objectMap [ rml:parentTermMap "
                '[ rml:reference "a" ] ] ]',
            ),
        )


# -- sources --------------------------------------------------------------------------------------


def test_database_source_with_ql_csv_is_sql(tmp_path: Path) -> None:
    m = read(
        tmp_path,
        """\
        ex:tm rml:logicalSource [ rml:source [ a d2rq:Database ; d2rq:jdbcDSN "jdbc:mysql://db/x" ] ;
                                  rml:query "SELECT id FROM t" ; rml:referenceFormulation ql:CSV ] ;
            rr:subjectMap [ rr:template "http://ex.org/{id}" ] .
        """,
    )
    src = tm_named(m, "tm").source
    assert src.formulation is Formulation.SQL
    assert (src.database, src.query) == ("jdbc:mysql://db/x", "SELECT id FROM t")


def test_database_source_with_a_file_formulation_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFeatureError, match="d2rq:Database"):
        read(
            tmp_path,
            """\
            ex:tm rml:logicalSource [ rml:source [ a d2rq:Database ; d2rq:jdbcDSN "jdbc:mysql://db/x" ] ;
                                      rml:query "SELECT 1" ; rml:referenceFormulation ql:JSONPath ] ;
                rr:subjectMap [ rr:template "http://ex.org/{id}" ] .
            """,
        )


def test_nulls_are_sorted(tmp_path: Path) -> None:
    m = read(
        tmp_path,
        """\
        ex:tm rml:logicalSource [ rml:source [ a rml:RelativePathSource ; rml:path "x.csv" ;
                                               rml:null "n/a", "", "NA" ] ;
                                  rml:referenceFormulation rml:CSV ] ;
            rml:subjectMap [ rml:template "http://ex.org/{id}" ] .
        """,
        RML_PREFIXES,
    )
    assert tm_named(m, "tm").source.nulls == ("", "NA", "n/a")


# -- RML-Core and RML-IO forms -------------------------------------------------------------------


def test_xpath_formulation_resource_declares_namespaces(tmp_path: Path) -> None:
    text = """\
        ex:tm rml:logicalSource [ rml:source [ a rml:RelativePathSource ; rml:path "x.xml" ] ;
                rml:referenceFormulation [ a rml:XPathReferenceFormulation ;
                    rml:namespace [ rml:namespacePrefix "ex" ; rml:namespaceURL "http://example.org" ] ] ;
                rml:iterator "/Friends/ex:Character" ] ;
            rml:subjectMap [ rml:template "http://ex.org/{@id}" ] .
        """
    source = tm_named(read(tmp_path, text, RML_PREFIXES), "tm").source
    assert source.formulation is Formulation.XPATH
    assert source.options == (("namespace", "ex=http://example.org"),)


def test_invalid_turtle_escape_is_refused(tmp_path: Path) -> None:
    """rdflib reads "\\a" as a BEL character; Turtle has no such escape (RML-Core's RMLTC0023b)."""
    with pytest.raises(MappingError, match=r"not valid turtle: .*'\\a'") as err:
        read(
            tmp_path,
            """\
            ex:tm rml:logicalSource [ rml:source [ a rml:RelativePathSource ; rml:path "x.csv" ] ] ;
                rml:subjectMap [ rml:template "http://ex.org/{N\\ame}" ] .
            """,
            RML_PREFIXES,
        )
    assert err.value.location.file and err.value.location.file.endswith("mapping.ttl")


@pytest.mark.parametrize("prefixes", [LEGACY_PREFIXES, RML_PREFIXES])
def test_graph_shortcut_with_a_blank_node_is_refused(tmp_path: Path, prefixes: str) -> None:
    """``rml:graph [ … ]`` is not a graph map: the shortcut's value is the graph IRI itself."""
    with pytest.raises(MappingError, match="rml:graph takes a constant IRI, found a blank node") as err:
        read(
            tmp_path,
            """\
            ex:tm rml:logicalSource [ rml:source "x.csv" ] ;
                rml:subjectMap [ rml:template "http://ex.org/{id}" ;
                                 rml:graph [ rml:reference "name" ] ] .
            """,
            prefixes,
        )
    assert "rml:graphMap" in str(err.value) and "subject map" in str(err.value)


def test_rml_core_blank_node_constant_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="rml:constant cannot be a blank node"):
        read(
            tmp_path,
            """\
            ex:tm rml:logicalSource [ rml:source [ a rml:RelativePathSource ; rml:path "x.csv" ] ] ;
                rml:subjectMap [ rml:constant [] ] .
            """,
            RML_PREFIXES,
        )


def test_base_iri_must_be_an_iri(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="rml:baseIRI must be an IRI"):
        read(
            tmp_path,
            """\
            ex:tm rml:baseIRI "http://ex.org/" ;
                rml:logicalSource [ rml:source [ a rml:RelativePathSource ; rml:path "x.csv" ] ] ;
                rml:subjectMap [ rml:template "{id}" ] .
            """,
            RML_PREFIXES,
        )


def test_language_tags_are_kept_as_written(tmp_path: Path) -> None:
    m = read(
        tmp_path,
        """\
        ex:tm rml:logicalSource [ rml:source [ a rml:RelativePathSource ; rml:path "x.csv" ] ] ;
            rml:subjectMap [ rml:template "http://ex.org/{id}" ] ;
            rml:predicateObjectMap [ rml:predicate ex:label ;
                rml:objectMap [ rml:reference "label" ; rml:language "en-GB" ] ] .
        """,
        RML_PREFIXES,
    )
    obj = the_object(tm_named(m, "tm"))
    assert isinstance(obj, TermMap) and obj.language == "en-GB"
