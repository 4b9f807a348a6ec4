"""RML-Core and RML-IO behaviour the public suites do not pin down, on small mappings run end to end.

Joins that fan out (and on the CSV fast path), empty parents, the base IRI RML-Core defaults to,
datatype and language maps, JSON values per dialect, sources in other encodings, and error
messages that name the mapping file and the triples map, with nothing written.
"""

from __future__ import annotations

import gzip
import textwrap
from pathlib import Path

import pytest

import fairify
from fairify.errors import DataError, MappingError, SourceError

RML = """\
@prefix rml: <http://w3id.org/rml/> .
@prefix ex: <http://example.com/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
LEGACY = """\
@prefix rr: <http://www.w3.org/ns/r2rml#> .
@prefix rml: <http://semweb.mmlab.be/ns/rml#> .
@prefix ql: <http://semweb.mmlab.be/ns/ql#> .
@prefix ex: <http://example.com/> .
"""


def run(tmp_path: Path, mapping: str, files: dict[str, str | bytes], **kw: object) -> list[str]:
    """Write the mapping and its sources, convert, and give the output lines, sorted."""
    for name, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (tmp_path / name).write_bytes(data)
    (tmp_path / "mapping.ttl").write_text(textwrap.dedent(mapping), encoding="utf-8")
    out = tmp_path / "out.nq"
    fairify.convert(tmp_path / "mapping.ttl", out, provenance=False, **kw)  # type: ignore[arg-type]
    return sorted(out.read_text(encoding="utf-8").splitlines())


def refused(
    tmp_path: Path, mapping: str, files: dict[str, str | bytes], **kw: object
) -> fairify.FairifyError:
    with pytest.raises(fairify.FairifyError) as err:
        run(tmp_path, mapping, files, **kw)
    assert not (tmp_path / "out.nq").exists()
    message = str(err.value)
    assert "\n" not in message and "mapping.ttl" in message
    return err.value


def csv_source(name: str, extra: str = "") -> str:
    return f'[ rml:source [ a rml:RelativePathSource ; rml:root rml:MappingDirectory ; rml:path "{name}" {extra} ] ; rml:referenceFormulation rml:CSV ]'


def json_source(name: str, iterator: str = "$[*]") -> str:
    return (
        f'[ rml:source [ a rml:RelativePathSource ; rml:root rml:MappingDirectory ; rml:path "{name}" ] ; '
        f'rml:referenceFormulation rml:JSONPath ; rml:iterator "{iterator}" ]'
    )


# -- joins -----------------------------------------------------------------------------------------

JOIN = (
    RML
    + """
ex:patients rml:logicalSource {patients} ;
    rml:subjectMap [ rml:template "http://ex.org/patient/{{id}}" ] ;
    rml:predicateObjectMap [ rml:predicate ex:visit ;
        rml:objectMap [ rml:parentTriplesMap ex:visits ;
            rml:joinCondition [ rml:child "id" ; rml:parent "patient" ] ] ] .
ex:visits rml:logicalSource {visits} ;
    rml:subjectMap [ rml:template "http://ex.org/visit/{{vid}}" ] .
"""
)


def test_a_join_that_fans_out_gives_each_pair_once(tmp_path: Path) -> None:
    mapping = JOIN.format(patients=csv_source("patients.csv"), visits=csv_source("visits.csv"))
    files = {"patients.csv": "id\nP1\nP2\nP3\n", "visits.csv": "vid,patient\nV1,P2\nV2,P1\nV3,P2\nV4,P2\n"}
    assert run(tmp_path, mapping, files, chunk_rows=2) == sorted(
        f"<http://ex.org/patient/{p}> <http://example.com/visit> <http://ex.org/visit/{v}> ."
        for p, v in [("P1", "V2"), ("P2", "V1"), ("P2", "V3"), ("P2", "V4")]
    )


def test_a_join_with_an_empty_parent_gives_nothing(tmp_path: Path) -> None:
    mapping = JOIN.format(patients=csv_source("patients.csv"), visits=csv_source("visits.csv"))
    assert run(tmp_path, mapping, {"patients.csv": "id\nP1\n", "visits.csv": "vid,patient\n"}) == []


def test_expression_valued_child_and_parent_maps(tmp_path: Path) -> None:
    mapping = (
        RML
        + f"""
    ex:a rml:logicalSource {csv_source("a.csv")} ;
        rml:subjectMap [ rml:template "http://ex.org/a/{{id}}" ] ;
        rml:predicateObjectMap [ rml:predicate ex:b ;
            rml:objectMap [ rml:parentTriplesMap ex:b ;
                rml:joinCondition [ rml:childMap [ rml:template "{{site}}-{{id}}" ] ;
                                    rml:parentMap [ rml:reference "key" ] ] ] ] .
    ex:b rml:logicalSource {csv_source("b.csv")} ;
        rml:subjectMap [ rml:template "http://ex.org/b/{{key}}" ] .
    """
    )
    files = {"a.csv": "id,site\n1,X\n2,Y\n", "b.csv": "key\nX-1\nZ-2\n"}
    assert run(tmp_path, mapping, files) == [
        "<http://ex.org/a/1> <http://example.com/b> <http://ex.org/b/X-1> ."
    ]


# -- base IRI, datatype and language maps -------------------------------------------------------------

RELATIVE = (
    RML
    + f"""
ex:tm rml:logicalSource {json_source("p.json")} ;
    rml:subjectMap [ rml:template "{{$.id}}" ] ;
    rml:predicateObjectMap [ rml:predicate ex:p ; rml:object ex:o ] .
"""
)


def test_rml_core_without_a_base_uses_http_example_org(tmp_path: Path) -> None:
    assert run(tmp_path, RELATIVE, {"p.json": '[{"id": "a"}]'}) == [
        "<http://example.org/a> <http://example.com/p> <http://example.com/o> ."
    ]


def test_the_base_iri_parameter_wins_over_the_default_but_not_over_rml_base_iri(tmp_path: Path) -> None:
    assert run(tmp_path, RELATIVE, {"p.json": '[{"id": "a"}]'}, base_iri="http://b.org/")[0].startswith(
        "<http://b.org/a>"
    )
    tm_base = RELATIVE.replace(
        "ex:tm rml:logicalSource", "ex:tm rml:baseIRI <http://tm.org/> ; rml:logicalSource"
    )
    assert run(tmp_path, tm_base, {}, base_iri="http://b.org/")[0].startswith("<http://tm.org/a>")


def test_legacy_rml_without_a_base_refuses_a_relative_iri(tmp_path: Path) -> None:
    mapping = (
        LEGACY
        + """
    ex:tm rml:logicalSource [ rml:source "p.csv" ; rml:referenceFormulation ql:CSV ] ;
        rr:subjectMap [ rr:template "{id}" ] ;
        rr:predicateObjectMap [ rr:predicate ex:p ; rr:object ex:o ] .
    """
    )
    err = refused(tmp_path, mapping, {"p.csv": "id\na\n"})
    assert isinstance(err, MappingError) and "relative IRI 'a'" in err.message


def test_datatype_map_iris_are_resolved_and_xsd_string_is_kept(tmp_path: Path) -> None:
    mapping = (
        RML
        + f"""
    ex:tm rml:logicalSource {json_source("p.json")} ;
        rml:subjectMap [ rml:template "http://ex.org/{{$.id}}" ] ;
        rml:predicateObjectMap [ rml:predicate ex:v ;
            rml:objectMap [ rml:reference "$.v" ; rml:datatypeMap [ rml:template "dt#{{$.t}}" ] ] ] ;
        rml:predicateObjectMap [ rml:predicate ex:s ;
            rml:objectMap [ rml:reference "$.v" ; rml:datatype xsd:string ] ] .
    """
    )
    got = run(tmp_path, mapping, {"p.json": '[{"id": 1, "v": "x", "t": "code"}, {"id": 2, "v": "y"}]'})
    assert got == [
        '<http://ex.org/1> <http://example.com/s> "x"^^<http://www.w3.org/2001/XMLSchema#string> .',
        '<http://ex.org/1> <http://example.com/v> "x"^^<http://example.org/dt#code> .',
        # no datatype, no literal (the cartesian product with an empty list is empty)
        '<http://ex.org/2> <http://example.com/s> "y"^^<http://www.w3.org/2001/XMLSchema#string> .',
    ]


def test_dynamic_language_tags_are_kept_as_written(tmp_path: Path) -> None:
    mapping = (
        RML
        + f"""
    ex:tm rml:logicalSource {json_source("p.json")} ;
        rml:subjectMap [ rml:template "http://ex.org/{{$.id}}" ] ;
        rml:predicateObjectMap [ rml:predicate ex:label ;
            rml:objectMap [ rml:reference "$.label" ; rml:languageMap [ rml:template "{{$.lang}}-{{$.region}}" ] ] ] .
    """
    )
    got = run(tmp_path, mapping, {"p.json": '[{"id": 1, "label": "colour", "lang": "en", "region": "GB"}]'})
    assert got == ['<http://ex.org/1> <http://example.com/label> "colour"@en-GB .']


# -- JSON values per dialect -----------------------------------------------------------------------

OPTIONAL_KEY_RML = (
    RML
    + f"""
ex:tm rml:logicalSource {json_source("p.json")} ;
    rml:subjectMap [ rml:template "http://ex.org/{{$.id}}" ] ;
    rml:predicateObjectMap [ rml:predicate ex:n ; rml:objectMap [ rml:reference "$.{{key}}" ] ] .
"""
)


def test_rml_core_json_key_present_nowhere_is_no_value(tmp_path: Path) -> None:
    """JSON keys are optional (rml-core issue #101, which dropped the old RMLTC0002c)."""
    mapping = OPTIONAL_KEY_RML.replace("{key}", "nickname")
    assert run(tmp_path, mapping, {"p.json": '[{"id": 1, "n": 2}]'}) == []


def test_rml_core_json_values_have_their_natural_datatypes(tmp_path: Path) -> None:
    mapping = OPTIONAL_KEY_RML.replace("{key}", "n")
    files = {"p.json": '[{"id": 1, "n": 2}, {"id": 2, "n": 2.50}, {"id": 3, "n": true}, {"id": 4, "n": "x"}]'}
    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert run(tmp_path, mapping, files) == [
        f'<http://ex.org/1> <http://example.com/n> "2"^^<{xsd}integer> .',
        f'<http://ex.org/2> <http://example.com/n> "2.50"^^<{xsd}double> .',
        f'<http://ex.org/3> <http://example.com/n> "true"^^<{xsd}boolean> .',
        '<http://ex.org/4> <http://example.com/n> "x" .',
    ]


def test_rml_core_json_reference_to_an_array_is_an_error(tmp_path: Path) -> None:
    mapping = OPTIONAL_KEY_RML.replace("{key}", "n")
    err = refused(tmp_path, mapping, {"p.json": '[{"id": 1, "n": [1, 2]}]'})
    assert isinstance(err, MappingError) and "selects an array" in err.message
    assert "$.n[*]" in str(err) and "triples map <http://example.com/tm>" in str(err)


LEGACY_JSON = (
    LEGACY
    + """
ex:tm rml:logicalSource [ rml:source "p.json" ; rml:referenceFormulation ql:JSONPath ; rml:iterator "$[*]" ] ;
    rr:subjectMap [ rr:template "http://ex.org/{id}" ] ;
    rr:predicateObjectMap [ rr:predicate ex:n ; rr:objectMap [ rml:reference "KEY" ] ] .
"""
)


def test_legacy_json_values_are_plain_and_arrays_give_their_elements(tmp_path: Path) -> None:
    got = run(tmp_path, LEGACY_JSON.replace("KEY", "n"), {"p.json": '[{"id": 1, "n": [1, 2]}]'})
    assert got == [
        '<http://ex.org/1> <http://example.com/n> "1" .',
        '<http://ex.org/1> <http://example.com/n> "2" .',
    ]


def test_legacy_json_reference_matching_nothing_is_an_error(tmp_path: Path) -> None:
    err = refused(tmp_path, LEGACY_JSON.replace("KEY", "nn"), {"p.json": '[{"id": 1, "n": 2}]'})
    assert isinstance(err, MappingError) and "'nn'" in err.message and "did you mean 'n'" in str(err)


def test_legacy_json_without_records_has_nothing_to_match(tmp_path: Path) -> None:
    assert run(tmp_path, LEGACY_JSON.replace("KEY", "nn"), {"p.json": "[]"}) == []


# -- RML-IO sources: encodings, NULL values, compression ------------------------------------------

PEOPLE = (
    RML
    + """
ex:tm rml:logicalSource {source} ;
    rml:subjectMap [ rml:template "http://ex.org/{{id}}" ] ;
    rml:predicateObjectMap [ rml:predicate ex:name ; rml:objectMap [ rml:reference "name" ] ] .
"""
)


@pytest.mark.parametrize(
    ("encoding", "codec"),
    [("rml:UTF-16", "utf-16"), ("rml:UTF-8", "utf-8"), ("<http://w3id.org/rml/ISO-8859-1>", "latin-1")],
)
def test_declared_encodings(tmp_path: Path, encoding: str, codec: str) -> None:
    mapping = PEOPLE.format(source=csv_source("p.csv", f"; rml:encoding {encoding}"))
    got = run(tmp_path, mapping, {"p.csv": "id,name\n1,Zoë Müller\n".encode(codec)})
    assert got == ['<http://ex.org/1> <http://example.com/name> "Zoë Müller" .']


def test_rml_null_and_tsv_and_gzip(tmp_path: Path) -> None:
    mapping = PEOPLE.format(source=csv_source("p.tsv.gz", '; rml:null "NA" ; rml:compression rml:gzip'))
    files = {"p.tsv.gz": gzip.compress(b"id\tname\n1\tNA\n2\t\n3\tAda\n")}
    assert run(tmp_path, mapping, files) == [
        '<http://ex.org/2> <http://example.com/name> "" .',  # CSV has no default NULL: "" is a value
        '<http://ex.org/3> <http://example.com/name> "Ada" .',
    ]


# -- errors name the mapping file and the triples map ------------------------------------------------


def test_missing_source_file(tmp_path: Path) -> None:
    err = refused(tmp_path, PEOPLE.format(source=csv_source("nowhere.csv")), {})
    assert isinstance(err, SourceError) and "nowhere.csv" in str(err)
    assert "triples map <http://example.com/tm> in" in str(err)


def test_ragged_csv_row_even_when_unreferenced(tmp_path: Path) -> None:
    err = refused(
        tmp_path, PEOPLE.format(source=csv_source("p.csv")), {"p.csv": "id,name,age\n1,Ada,3\n2,Bob\n"}
    )
    assert isinstance(err, SourceError) and "row 3" in str(err)


def test_data_error_with_on_error_fail_names_the_term_map(tmp_path: Path) -> None:
    mapping = (
        RML
        + f"""
    ex:tm rml:logicalSource {csv_source("p.csv")} ;
        rml:subjectMap [ rml:template "http://ex.org/{{id}}" ] ;
        rml:predicateObjectMap [ rml:predicate ex:link ; rml:objectMap [ rml:reference "url" ; rml:termType rml:IRI ] ] .
    """
    )
    err = refused(
        tmp_path, mapping, {"p.csv": "id,url\n1,http://ok.org/\n2,http://bad org/\n"}, on_error="fail"
    )
    assert isinstance(err, DataError) and "row 3" in str(err) and "object map" in str(err)


@pytest.mark.parametrize(
    ("term_type", "expected"),
    [
        ("rml:IRI", ["<http://ex.org/Zoë>"]),
        ("rml:URI", ["<http://ex.org/Zo%C3%AB>"]),
        ("rml:UnsafeIRI", ["<http://ex.org/Zoë>"]),
        ("rml:UnsafeURI", []),  # "ë" is not ASCII, so no URI: a data error, reported, no term
    ],
)
def test_iri_and_uri_term_types(tmp_path: Path, term_type: str, expected: list[str]) -> None:
    mapping = (
        RML
        + f"""
    ex:tm rml:logicalSource {json_source("p.json")} ;
        rml:subjectMap [ rml:template "http://ex.org/{{$.name}}" ; rml:termType {term_type} ] ;
        rml:predicateObjectMap [ rml:predicate ex:p ; rml:object ex:o ] .
    """
    )
    got = run(tmp_path, mapping, {"p.json": '[{"name": "Zoë"}]'})
    assert [line.split(" ")[0] for line in got] == expected
