"""Streaming a JSON document's record array gives exactly what reading the whole document gives.

Each case is read twice: streamed (the default for iterators like ``$.a[*]``) and with streaming
switched off, and the chunks (values, datatypes, row numbers, chunk boundaries) or the error
(message, line, column) must be the same. Small buffer blocks put block boundaries everywhere.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import textwrap
import zipfile
from pathlib import Path

import pytest

import fairify
import fairify.sources.json as json_source
from fairify.errors import SourceError
from fairify.mapping.model import Formulation, LogicalSource
from fairify.sources import open_source

from .conftest import gather

RECORDS = [
    {
        "id": 1,
        "name": "Zoë",
        "big": 123456789012345678901234567890,
        "w": 72.50,
        "e": "RAW:8e1",
        "ok": True,
        "none": None,
        "tags": ["a", 1, 2.5, False, None],
        "addr": {"city": "Gent", "geo": {"lat": 51.05}},
        "a b": "space",
        "uni": '日本 \u2028 \\ " \n end',
    },
    {"id": -2, "name": "", "w": 0.0, "e": "RAW:-1.5E-3", "ok": False, "tags": [], "addr": {}, "a b": 1},
    {"id": 3, "name": "M\u00fcller", "e": "RAW:1e400", "nested": [{"id": 9, "x": [1, [2, 3]]}]},
    {"id": 4, "e": "RAW:NaN", "big": -(2**70)},
    {"id": 5, "name": "x" * 300, "w": 1.0e10},
]
REFS = ["$.id", "name", "$.big", "$.w", "$.e", "$.ok", "$.none", "$.tags[*]", "$.addr", "$.addr.city"]
REFS += ["$['a b']", "$.uni", "$.nested[*].id", "$.missing"]


def records_text(records: list, *, indent: int | None = None) -> str:
    """The records as a JSON array, with numbers marked ``RAW:`` written verbatim (``8e1``)."""
    text = json.dumps(records, ensure_ascii=False, indent=indent)
    return re.sub(r'"RAW:([^"]*)"', r"\1", text)


def wrap(records_json: str, path: list[str]) -> str:
    text = records_json
    for key in reversed(path):
        text = '{"before": {"x": [1, {"y": 2}]}, ' + json.dumps(key) + ": " + text + ', "after": [true]}'
    return text


def read(tmp_path: Path, data: bytes, iterator: str, refs=REFS, *, stream: bool, name="d.json", **fields):
    (tmp_path / name).write_bytes(data)
    source = LogicalSource(Formulation.JSONPATH, path=name, iterator=iterator, **fields)
    reader = open_source(source, refs, base_dir=tmp_path, chunk_rows=fields.pop("chunk_rows", 2))
    assert (reader._stream_keys is not None) == stream
    return gather(reader, refs)


def both(tmp_path, monkeypatch, data: bytes, iterator: str, refs=REFS, *, streams=True, **fields):
    """Read streamed and whole; both must agree. Returns the streamed read."""
    got = read(tmp_path, data, iterator, refs, stream=streams, **fields)
    with monkeypatch.context() as m:
        m.setattr(json_source, "_streamable", lambda iterator: None)
        want = read(tmp_path, data, iterator, refs, stream=False, **fields)
    assert got.values == want.values
    assert got.datatypes == want.datatypes
    assert got.rows == want.rows
    assert [c.rows.to_pylist() for c in got.chunks] == [c.rows.to_pylist() for c in want.chunks]
    for a, b in zip(got.chunks, want.chunks, strict=True):
        for ref in refs:
            assert a.columns[ref].equals(b.columns[ref]), ref
    for what in ("unmatched_references", "structured_references"):
        assert described(getattr(got.reader, what)()) == described(getattr(want.reader, what)())
    return got


def described(errors: list) -> list:
    return [(e.message, e.location, e.hint) for e in errors]


@pytest.fixture(params=[7, 1 << 22], ids=["tiny-blocks", "big-blocks"])
def block(request, monkeypatch):
    monkeypatch.setattr(json_source, "_BLOCK", request.param)
    return request.param


@pytest.mark.parametrize("indent", [None, 2])
@pytest.mark.parametrize(
    ("iterator", "path"),
    [("$[*]", []), ("$.patients[*]", ["patients"]), ("$.a.b.*", ["a", "b"]), ("$['a b'][*]", ["a b"])],
)
def test_streamed_records_are_the_whole_document_records(
    tmp_path, monkeypatch, block, iterator, path, indent
):
    data = wrap(records_text(RECORDS * 3, indent=indent), path).encode()
    got = both(tmp_path, monkeypatch, data, iterator)
    assert got.values["$.e"][:4] == ["8e1", "-1.5E-3", "1e400", "NaN"]  # lexical forms kept
    assert got.values["$.big"][:2] == ["123456789012345678901234567890", None]
    assert got.values["$.w"][:2] == ["72.5", "0.0"]
    assert got.reader.streamed


def test_records_that_look_alike_inside(tmp_path, monkeypatch, block):
    """The text between records (',\\n{"id"') also occurs inside records: decoding runs of records
    at once must notice and go record by record."""
    inner = [{"id": i, "kids": [{"id": 10 * i}, {"id": 10 * i + 1}]} for i in range(12)]
    text = "[\n" + ",\n".join(json.dumps(r).replace("}, {", "},\n{") for r in inner) + "\n]"
    assert ',\n{"id"' in json.dumps(inner[0]).replace("}, {", "},\n{")
    got = both(tmp_path, monkeypatch, text.encode(), "$[*]", ["$.id", "$.kids[*].id"])
    assert got.values["$.id"] == [str(i) for i in range(12)]


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        "  [ ]  ",
        '[1, 2.50, -3e2, true, null, "s", [1], {"id": 1}]',
        "[0]",
        "[12345]",
        "[1.5]",
        '\ufeff[{"id": 1}]',
    ],
)
def test_arrays_of_anything(tmp_path, monkeypatch, block, text):
    got = both(tmp_path, monkeypatch, text.encode(), "$[*]", ["@", "$.id"])
    assert got.reader.streamed
    assert got.rows == list(range(1, len(json.loads(text.lstrip("\ufeff"))) + 1))


@pytest.mark.parametrize(
    ("text", "iterator"),
    [
        ('{"a": 1, "b": 2}', "$.*"),  # an object's values
        ('{"p": {"x": {"id": 1}, "y": {"id": 2}}}', "$.p[*]"),
        ('{"q": [{"id": 1}]}', "$.p[*]"),  # no such key
        ('{"p": 5}', "$.p[*]"),
        ('[{"id": 1}]', "$.p[*]"),  # an array where an object was expected
        ('{"p": {}}', "$.p.q[*]"),
        ("{}", "$.p[*]"),
        ('"text"', "$[*]"),
    ],
)
def test_documents_without_the_array_are_read_whole(tmp_path, monkeypatch, block, text, iterator):
    got = both(tmp_path, monkeypatch, text.encode(), iterator, ["@", "$.id"])
    assert not got.reader.streamed


MALFORMED = [
    '{"patients": [\n  {"id": 1,}\n]}',
    '{"patients": [{"id": 1}, {"id": 2}',
    '{"patients": [{"id": 1}, {"id": 2}]',
    '{"patients": [{"id": 1}, {"id": 2},]}',
    '{"patients": [{"id": 1} {"id": 2}]}',
    '{"patients": [{"id": 1}, {"id": 2}]} x',
    '{"patients": [{"id": 1}], "x": 1,}',
    '{"patients": [{"id": 1}], "x" 1}',
    '{"patients": [{"id": 1}], 5: 1}',
    '{"patients": [{"id": 1}] "x": 1}',
    '{"x": tru, "patients": []}',
    '{"x" 1, "patients": []}',
    '{5: 1, "patients": []}',
    '{"x": 1 "patients": []}',
    '{"patients" []}',
    '{"patients": [1.]}',
    '{"patients": [-]}',
    '{"patients": ["unterminated]}',
    '{"patients": ["a\u0001"]}',
    '{"patients": [{"id": "x' + "y" * 100,
    '\n\n  {"patients": [\n{"id": 1},\n{"id": 2},\n{"id": 3\n]}',
]


@pytest.mark.parametrize("text", MALFORMED)
def test_errors_are_the_whole_document_errors(tmp_path, monkeypatch, block, text):
    with pytest.raises(SourceError) as streamed:
        read(tmp_path, text.encode(), "$.patients[*]", ["$.id"], stream=True)
    with monkeypatch.context() as m:
        m.setattr(json_source, "_streamable", lambda iterator: None)
        with pytest.raises(SourceError) as whole:
            read(tmp_path, text.encode(), "$.patients[*]", ["$.id"], stream=False)
    assert streamed.value.message == whole.value.message
    assert streamed.value.location == whole.value.location
    assert streamed.value.message.startswith("not valid JSON")


def test_empty_and_undecodable_files(tmp_path, block):
    with pytest.raises(SourceError, match="the file is empty"):
        read(tmp_path, b" \n\t ", "$[*]", ["$.id"], stream=True)
    with pytest.raises(SourceError, match="cannot decode the file") as err:
        read(tmp_path, b'[{"id": "caf\xe9"}]', "$[*]", ["$.id"], stream=True)
    assert "position 12" in err.value.message and "encoding" in err.value.hint
    data = '[\n{"id": "ééé"},\n'.encode() + b'{"id": "caf\xe9"}]'
    with pytest.raises(SourceError, match="cannot decode the file") as err:
        read(tmp_path, data, "$[*]", ["$.id"], stream=True)
    bad = data.index(b"caf\xe9") + 3
    assert f"position {bad}" in err.value.message and err.value.location.line == 3


def test_a_duplicate_key_on_the_path_is_an_error(tmp_path):
    with pytest.raises(SourceError, match="'p' occurs twice") as err:
        read(tmp_path, b'{"p": [{"id": 1}],\n "p": [{"id": 2}]}', "$.p[*]", ["$.id"], stream=True)
    assert (err.value.location.line, err.value.location.column) == (2, 2)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (records_text(RECORDS).encode("utf-16"), None),  # BOM
        (records_text(RECORDS).encode("utf-16-le"), None),  # detected from the zero bytes
        (records_text(RECORDS).encode("utf-32"), None),
        (records_text(RECORDS).encode("utf-8-sig"), None),
        (records_text(RECORDS).encode("utf-8-sig"), "UTF-8"),
        (records_text(RECORDS).encode("utf-16"), "http://w3id.org/rml/UTF-16"),
        (records_text([{"id": 1, "name": "Zoë Müller"}]).encode("latin-1"), "latin-1"),
    ],
)
def test_encodings(tmp_path, monkeypatch, block, data, encoding):
    got = both(tmp_path, monkeypatch, data, "$[*]", ["$.id", "$.name"], encoding=encoding)
    assert got.reader.streamed
    assert got.values["$.name"][0] in ("Zoë", "Zoë Müller")


def test_compressed(tmp_path, monkeypatch, block):
    text = records_text(RECORDS * 2).encode()
    ids = [str(r["id"]) for r in RECORDS * 2]
    got = both(tmp_path, monkeypatch, gzip.compress(text), "$[*]", name="d.json.gz")
    assert got.reader.streamed and got.values["$.id"] == ids
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("inner/d.json", text)
    got = both(tmp_path, monkeypatch, buffer.getvalue(), "$[*]", name="d.zip")
    assert got.reader.streamed and got.values["$.id"] == ids


def test_json_lines_and_other_iterators_are_not_streamed(tmp_path):
    got = read(tmp_path, b'{"id": 1}\n{"id": 2}\n', "$", ["$.id"], stream=False, name="d.jsonl")
    assert not got.reader.streamed and got.values["$.id"] == ["1", "2"]
    for iterator in ("$", "$.p", "$.p[0]", "$.p[*].q[*]", "$..id", "$.p[?(@.id)]", "$.p[*].q"):
        got = read(tmp_path, b'{"p": [{"id": 1, "q": [1]}]}', iterator, ["@"], stream=False)
        assert not got.reader.streamed and got.rows, iterator


def test_a_truncated_document_aborts_the_conversion_and_writes_nothing(tmp_path):
    records = [{"id": i, "name": f"n{i}"} for i in range(250)]
    text = json.dumps({"patients": records}, indent=1)
    (tmp_path / "p.json").write_text(text[: len(text) * 9 // 10], encoding="utf-8")  # 3 chunks of 100
    mapping = textwrap.dedent(
        """\
        @prefix rml: <http://w3id.org/rml/> .
        @prefix ex: <http://example.com/> .
        ex:tm rml:logicalSource [ rml:source [ a rml:RelativePathSource ; rml:root rml:MappingDirectory ; rml:path "p.json" ] ;
            rml:referenceFormulation rml:JSONPath ; rml:iterator "$.patients[*]" ] ;
          rml:subjectMap [ rml:template "http://example.com/p/{$.id}" ] ;
          rml:predicateObjectMap [ rml:predicate ex:name ; rml:objectMap [ rml:reference "$.name" ] ] .
        """
    )
    (tmp_path / "m.ttl").write_text(mapping, encoding="utf-8")
    out = tmp_path / "out.nt"
    with pytest.raises(SourceError, match="not valid JSON") as err:
        fairify.convert(tmp_path / "m.ttl", out, provenance=False, chunk_rows=100)
    assert err.value.location.line is not None and err.value.location.line > 200
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.ttl", "p.json"]  # no temporary left
    (tmp_path / "p.json").write_text(text, encoding="utf-8")
    fairify.convert(tmp_path / "m.ttl", out, provenance=False, chunk_rows=100)
    assert len(out.read_text(encoding="utf-8").splitlines()) == 250
