"""JSON (JSONPath) and XML (XPath) sources: iteration, relative references, multiple values."""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pytest

from fairify.errors import MappingError, SourceError
from fairify.mapping.model import Formulation, LogicalSource
from fairify.sources import XSD_BOOLEAN, XSD_DOUBLE, XSD_INTEGER, open_source

JSON_DOC = """{
  "hospital": "UZ",
  "patients": [
    {"id": 1, "name": "Zoë", "weight": 72.50, "smoker": false, "Country Code": "BE",
     "codes": ["I10", "E11"], "address": {"city": "Gent"}, "visits": [{"ward": "ICU"}, {"ward": "CARD"}]},
    {"id": 2, "name": "Müller", "weight": 8e1, "smoker": true, "Country Code": "DE",
     "codes": ["J45"], "address": {"city": null}, "visits": []},
    {"id": 3, "name": null, "codes": [], "note": "NA", "visits": [{"ward": "ONC"}]}
  ]
}"""


def read_json(read_source, refs, *, iterator="$.patients[*]", text=JSON_DOC, **kw):
    return read_source(
        text,
        refs,
        name=kw.pop("name", "data.json"),
        formulation=Formulation.JSONPATH,
        iterator=iterator,
        **kw,
    )


@pytest.mark.parametrize(
    ("ref", "values"),
    [
        ("$.name", ["Zoë", "Müller", None]),
        ("name", ["Zoë", "Müller", None]),
        ("$['Country Code']", ["BE", "DE", None]),
        ("Country Code", ["BE", "DE", None]),  # not JSONPath, but what legacy RML mappings write
        ('$["Country Code"]', ["BE", "DE", None]),
        ("$.address.city", ["Gent", None, None]),
        ("address.city", ["Gent", None, None]),
        ("$.missing", [None, None, None]),
        ("$.codes[0]", ["I10", "J45", None]),
        ("$.visits[?(@.ward == 'ICU')].ward", ["ICU", None, None]),  # through jsonpath-ng
    ],
)
def test_json_single_valued_references(read_source, ref, values):
    got = read_json(read_source, [ref])
    assert got.values[ref] == values
    assert all(c.columns[ref].type == pa.string() for c in got.chunks)
    assert got.rows == [1, 2, 3]


@pytest.mark.parametrize(
    ("ref", "values"),
    [
        ("$.codes", [["I10", "E11"], ["J45"], []]),
        ("$.codes[*]", [["I10", "E11"], ["J45"], []]),
        ("$.visits[*].ward", [["ICU", "CARD"], [], ["ONC"]]),
        ("$..ward", [["ICU", "CARD"], [], ["ONC"]]),
    ],
)
def test_json_multi_valued_references(read_source, ref, values):
    got = read_json(read_source, [ref])
    assert got.values[ref] == values
    assert all(c.columns[ref].type == pa.list_(pa.string()) for c in got.chunks)


def test_json_natural_datatypes(read_source):
    got = read_json(read_source, ["$.id", "$.weight", "$.smoker", "$.name"])
    assert got.values["$.id"] == ["1", "2", "3"]
    assert got.datatypes["$.id"] == [XSD_INTEGER] * 3
    assert got.values["$.weight"] == ["72.50", "8e1", None]  # the JSON lexical form is kept
    assert got.datatypes["$.weight"][:2] == [XSD_DOUBLE] * 2
    assert got.values["$.smoker"] == ["false", "true", None]
    assert got.datatypes["$.smoker"][:2] == [XSD_BOOLEAN] * 2
    assert got.datatypes["$.name"] == [None] * 3


def test_json_mixed_types_give_a_datatype_per_value(read_source):
    text = json.dumps([{"v": 1}, {"v": "one"}, {"v": 1.5}, {"v": [2, "x"]}])
    got = read_json(read_source, ["$.v"], iterator="$[*]", text=text)
    assert got.values["$.v"] == [["1"], ["one"], ["1.5"], ["2", "x"]]
    assert got.datatypes["$.v"] == [[XSD_INTEGER], [None], [XSD_DOUBLE], [XSD_INTEGER, None]]


def test_json_objects_and_nulls(read_source):
    got = read_json(read_source, ["$.address", "$.note"], nulls=("NA",))
    assert got.values["$.address"] == ['{"city":"Gent"}', '{"city":null}', None]
    assert got.values["$.note"] == [None, None, None]


def test_json_iterator_and_chunks(read_source):
    got = read_json(read_source, ["$.hospital"], iterator="$")
    assert got.values == {"$.hospital": ["UZ"]} and got.rows == [1]
    got = read_json(read_source, ["@"], iterator="$.patients[*].codes[*]", chunk_rows=2)
    assert got.values == {"@": ["I10", "E11", "J45"]}
    assert [c.rows.to_pylist() for c in got.chunks] == [[1, 2], [3]]


def test_json_lines_and_compression(read_source, tmp_path):
    lines = '{"id": 1, "tags": ["a"]}\n\n{"id": 2, "tags": ["b", "c"]}\n'
    (tmp_path / "p.jsonl.gz").write_bytes(gzip.compress(lines.encode()))
    got = read_source(
        None, ["id", "tags"], name="p.jsonl.gz", formulation=Formulation.JSONPATH, iterator="$", chunk_rows=1
    )
    # Whether a column is list-valued is decided per chunk: only a chunk with several values for a
    # record needs the list type.
    assert got.values == {"id": ["1", "2"], "tags": ["a", ["b", "c"]]}
    assert got.rows == [1, 2]


def test_json_references_that_match_nothing_are_reported(read_source, tmp_path):
    (tmp_path / "p.json").write_text(JSON_DOC, encoding="utf-8")
    source = LogicalSource(Formulation.JSONPATH, path="p.json", iterator="$.patients[*]")
    reader = open_source(source, ["$.name", "$.nmae", "note"], base_dir=tmp_path)
    list(reader)  # a typo is no error while reading: JSON is schemaless
    [error] = reader.unmatched_references()
    assert isinstance(error, MappingError)
    assert error.location.field == "$.nmae" and "'name'" in error.hint


def test_json_references_that_select_arrays_or_objects_are_reported(tmp_path):
    (tmp_path / "p.json").write_text(JSON_DOC, encoding="utf-8")
    source = LogicalSource(Formulation.JSONPATH, path="p.json", iterator="$.patients[*]")
    reader = open_source(source, ["$.codes", "$.codes[*]", "$.address", "$.address.city"], base_dir=tmp_path)
    list(reader)  # the reader still gives the elements (legacy RML); RML-Core makes it an error
    errors = {e.location.field: e for e in reader.structured_references()}
    assert set(errors) == {"$.codes", "$.address"}
    assert "selects an array" in errors["$.codes"].message and "$.codes[*]" in errors["$.codes"].hint
    assert "selects an object" in errors["$.address"].message
    assert errors["$.codes"].location.row == 1


def test_json_errors(read_source):
    with pytest.raises(SourceError) as err:
        read_json(read_source, ["$.id"], text='{"patients": [\n  {"id": 1,}\n]}')
    assert err.value.location.line == 2 and "not valid JSON" in err.value.message
    with pytest.raises(SourceError, match="empty"):
        read_json(read_source, ["$.id"], text="  \n")
    with pytest.raises(MappingError, match="invalid JSONPath reference"):
        read_json(read_source, ["$.[[["])
    with pytest.raises(MappingError, match="invalid JSONPath iterator"):
        read_json(read_source, ["$.id"], iterator="$.patients[")


# ---------------------------------------------------------------------------------------------
# XML

XML_DOC = """<?xml version="1.0" encoding="ISO-8859-1"?>
<hospital name="UZ">
  <patient id="1"><name>Zo\xeb</name><code>I10</code><code>E11</code><note>NA</note></patient>
  <patient id="2"><name>M\xfcller <i>jr</i></name><code>J45</code></patient>
  <patient id="3"><name/></patient>
</hospital>
""".encode("latin-1")


def read_xml(read_source, refs, *, iterator="/hospital/patient", content=XML_DOC, **kw):
    return read_source(content, refs, name="data.xml", formulation=Formulation.XPATH, iterator=iterator, **kw)


@pytest.mark.parametrize(
    ("ref", "values"),
    [
        ("@id", ["1", "2", "3"]),
        ("name", ["Zoë", "Müller jr", ""]),
        ("name/text()", ["Zoë", "Müller ", None]),
        ("missing", [None, None, None]),
        ("count(code)", ["2", "1", "0"]),
        ("../@name", ["UZ", "UZ", "UZ"]),
        ("code[1]", ["I10", "J45", None]),
    ],
)
def test_xml_single_valued(read_source, ref, values):
    got = read_xml(read_source, [ref])
    assert got.values[ref] == values
    assert got.rows == [1, 2, 3]


def test_xml_multi_valued_and_nulls(read_source):
    got = read_xml(read_source, ["code", "note"], nulls=("NA",), chunk_rows=2)
    assert got.values["code"] == [["I10", "E11"], ["J45"], None]  # the last chunk has no list
    assert got.values["note"] == [None, None, None]
    assert [c.rows.to_pylist() for c in got.chunks] == [[1, 2], [3]]
    assert [c.columns["code"].type for c in got.chunks] == [pa.list_(pa.string()), pa.string()]


def test_xml_namespaces(read_source):
    doc = b'<r xmlns="urn:x" xmlns:a="urn:a"><p a:k="1"><v>x</v></p><p a:k="2"><v>y</v></p></r>'
    got = read_xml(
        read_source,
        ["x:v", "@a:k"],
        iterator="/x:r/x:p",
        content=doc,
        options=(("namespace", "x=urn:x"), ("xmlns:a", "urn:a")),
    )
    assert got.values == {"x:v": ["x", "y"], "@a:k": ["1", "2"]}


def test_xml_references_that_match_nothing_are_reported(read_source, tmp_path):
    (tmp_path / "p.xml").write_bytes(XML_DOC)
    source = LogicalSource(Formulation.XPATH, path="p.xml", iterator="/hospital/patient")
    reader = open_source(source, ["code", "cdoe", "@id"], base_dir=tmp_path)
    list(reader)
    [error] = reader.unmatched_references()
    assert error.location.field == "cdoe" and "'code'" in error.hint


def test_xml_errors(read_source):
    with pytest.raises(SourceError) as err:
        read_xml(read_source, ["@id"], content=b"<a>\n<b></a>")
    assert err.value.location.line == 2
    with pytest.raises(SourceError, match="empty"):
        read_xml(read_source, ["@id"], content=b"")
    with pytest.raises(MappingError, match="invalid XPath reference"):
        read_xml(read_source, ["@@"])
    with pytest.raises(MappingError, match="not a set of nodes"):
        read_xml(read_source, ["@id"], iterator="count(//patient)")


def test_xml_entities_are_not_expanded(read_source, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    doc = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]><r><p>&x;</p></r>'.encode()
    )
    got = read_xml(read_source, ["."], iterator="/r/p", content=doc)
    assert "TOP SECRET" not in str(got.values)
