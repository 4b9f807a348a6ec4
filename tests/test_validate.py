"""SHACL validation: the demo cohort's planted errors are found at their rows, by both engines alike;
the privacy gate fires on a planted raw identifier; reports, the CLI and the convert gate behave."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from rdflib import Graph
from rdflib.namespace import RDF

import fairify
from fairify.cli import app
from fairify.errors import MappingError, UsageError
from fairify.validate import NotConforming, ShapesError
from fairify.validate.report import SH, source_ref
from tests.conftest import ROOT

SECRET = b"test-secret-for-validation-000001"
DATA = ROOT / "examples" / "demo" / "data"
SHAPES = ROOT / "shapes"
CLINICAL = SHAPES / "hn_clinical.ttl"
PRIVACY = SHAPES / "privacy.ttl"
NCIT = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl#"
ROO = "http://www.cancerdata.org/roo/"
PREFIXES = (
    f"@prefix ncit: <{NCIT}> .\n@prefix roo: <{ROO}> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
)


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("validate") / "clinical.nq"
    fairify.convert(ROOT / "mappings" / "hn_clinical.rml.ttl", out, secret=SECRET)
    return out


@pytest.fixture(scope="module")
def report(converted):
    return fairify.validate(converted, CLINICAL)


def _rows(report) -> set[tuple[str, int, str | None]]:
    """(file name, row, value) of every result, for each source row of its focus node."""
    return {
        (Path(src.split("#")[0]).name, int(src.split("#row=")[1]), r.value)
        for r in report.results
        for src in r.sources
        if "#row=" in src
    }


# -- the demo cohort ---------------------------------------------------------------------------------


# What each kind of planted error breaks: the value's range or datatype; a code outside its list
# leaves the stage node without a class of the list; an impossible date, the date node without a value.
PLANTED_BREAKS = {
    "out_of_range": {"sh:minInclusive", "sh:maxInclusive"},
    "not_a_number": {"sh:datatype"},
    "unknown_code": {"sh:qualifiedMinCount"},
    "invalid_date": {"sh:minCount"},
}


def test_planted_values_are_found_with_their_rows(report) -> None:
    assert not report.conforms
    assert report.engine == "fast"  # every shipped clinical shape compiles
    found = _rows(report)
    rows = {(f, row) for f, row, _ in found}
    planted = pd.read_csv(DATA / "planted_errors.csv", dtype=str, keep_default_na=False)
    assert len(planted) == 18
    for f, row, value, problem in zip(
        planted["file"], planted["row"], planted["value"], planted["problem"], strict=True
    ):
        if problem in ("out_of_range", "not_a_number"):  # the value itself is in the graph
            assert (f, int(row), value) in found, (f, row, value, problem)
        else:  # unknown_code, invalid_date: the node is there without a valid value
            assert (f, int(row)) in rows, (f, row, value, problem)
        # a result of the rule that value breaks, whose source is exactly that file and row
        at_row = [
            r
            for r in report.results
            if any(Path(s.split("#")[0]).name == f and s.endswith(f"#row={row}") for s in r.sources)
        ]
        broken = {
            r.constraint
            for r in at_row
            if problem not in ("out_of_range", "not_a_number") or r.value == value
        }
        assert broken & PLANTED_BREAKS[problem], (f, row, value, problem, broken)


def test_planted_values_break_the_rule_they_break(report) -> None:
    by_value: dict[str, set[str]] = {}
    for r in report.results:
        by_value.setdefault(r.value or "", set()).add(r.constraint)
    assert by_value["142"] == {"sh:maxInclusive"}
    # an ill-typed literal breaks its datatype, and compares with no bound (SHACL: a violation)
    assert by_value["6O"] == {"sh:datatype", "sh:minInclusive", "sh:maxInclusive"}
    assert by_value["-42"] == {"sh:minInclusive"}
    dose = next(r for r in report.results if r.value == "700")
    assert dose.shape_name == "fs:PrescribedDose › prescribed dose (Gy)" and "Gy" in dose.message
    stages = [r for r in report.results if r.constraint == "sh:qualifiedMinCount"]
    assert {Path(s.split("#")[0]).name + s.split("#row=")[1] for r in stages for s in r.sources} >= {
        "clinical.csv214",
        "clinical.csv261",
        "clinical.csv378",
        "clinical.csv482",
    }


def test_every_result_points_to_a_source_row(report) -> None:
    assert all(r.sources and all("#row=" in s for s in r.sources) for r in report.results)


def test_text_report_groups_by_shape_with_counts_and_rows(report) -> None:
    from fairify.validate import write

    text = write(report, "text")
    assert "SHACL result(s)" in text.splitlines()[0]
    assert "Violation x8  fs:Age › age (years)" in text
    assert "examples/demo/data/clinical.csv row 65: 6O" in text or "clinical.csv row 65: 6O" in text


@pytest.mark.slow
def test_both_engines_give_the_same_results_on_the_demo(converted, report) -> None:
    slow = fairify.validate(converted, SHAPES, engine="pyshacl")
    fast = fairify.validate(converted, SHAPES, engine="fast")
    assert Counter(r.key() for r in fast.results) == Counter(r.key() for r in slow.results)
    assert [r.message for r in fast.results] == [r.message for r in slow.results]


def test_clean_graph_conforms(tmp_path: Path) -> None:
    clean = tmp_path / "clean.ttl"
    clean.write_text(
        PREFIXES + "<urn:p1> a ncit:C16960 ; roo:P100016 <urn:a1> ; roo:P100029 <urn:n1> .\n"
        "<urn:a1> a ncit:C25150 ; roo:P100042 63 .\n"
    )
    for engine in ("fast", "pyshacl"):
        rep = fairify.validate(clean, SHAPES, engine=engine)
        assert rep.conforms and rep.results == [], engine


def test_future_date_and_survival_without_event(tmp_path: Path) -> None:
    data = tmp_path / "d.ttl"
    data.write_text(
        PREFIXES + "<urn:p1> a ncit:C16960 ; roo:P100016 <urn:a1> ; roo:P100029 <urn:n1> ; "
        "roo:P100311 <urn:s1> .\n<urn:a1> a ncit:C25150 ; roo:P100042 63 .\n"
        "<urn:s1> a roo:C100014 ; roo:P100042 400 .\n"
        '<urn:d1> a ncit:C25164 ; roo:P100042 "2999-01-01"^^xsd:date .\n'
        "<urn:p2> a ncit:C16960 ; roo:P100016 <urn:a1> ; roo:P100029 <urn:n1> ; roo:P100028 <urn:v2> .\n"
        "<urn:v2> a ncit:C25717 , ncit:C28554 .\n"
    )
    for engine in ("fast", "pyshacl"):
        rep = fairify.validate(data, CLINICAL, engine=engine)
        got = {(r.focus, r.message) for r in rep.results}
        assert got == {
            ("urn:d1", "a date must not be in the future"),
            ("urn:p1", "the patient has an overall survival time but no event flag (vital status)"),
            ("urn:p2", "the patient died (event 1) but has no overall survival time"),
        }, engine


# -- the privacy gate ----------------------------------------------------------------------------------

LEAKY = """
prefixes:
  roo: http://www.cancerdata.org/roo/
  ncit: http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl#
  ffn: https://w3id.org/fairify/fn#
sources:
  people:
    access: people.csv
    referenceFormulation: csv
mappings:
  person-identifier:
    sources: people
    s:
      function: ffn:pseudonym
      parameters:
        - [ffn:value, $(patient_id)]
        - [ffn:prefix, "https://w3id.org/fairify/id/person-identifier/"]
      type: iri
    po:
      - [a, roo:C100060]
      - [roo:P100042, $(patient_id)]
  note:
    sources: people
    s:
      function: ffn:pseudonym
      parameters:
        - [ffn:value, $(patient_id)]
        - [ffn:prefix, "https://w3id.org/fairify/id/note/"]
      type: iri
    po:
      - [roo:P100042, $(note)]
"""


def test_privacy_gate_fires_on_a_planted_raw_identifier(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text(
        "patient_id,note\nHN-0892509,fine\nHN-8261296,Doe^John\nHN-5630083,seen by Dr. Smith\n"
    )
    mapping = tmp_path / "leaky.yarrrml.yml"
    mapping.write_text(LEAKY)
    out = tmp_path / "leaky.nq"
    fairify.convert(mapping, out, secret=SECRET)
    for engine in ("fast", "pyshacl"):
        rep = fairify.validate(out, PRIVACY, engine=engine)
        assert rep.violations, engine
        raw = {
            (r.value, int(r.sources[0].split("#row=")[1]))
            for r in rep.results
            if r.shape_name == "fp:PersonIdentifier › person identifier value"
        }
        assert raw == {("HN-0892509", 2), ("HN-8261296", 3), ("HN-5630083", 4)}, engine
        text = {r.value for r in rep.results if r.constraint == "sh:node"}
        assert {"HN-0892509", "HN-8261296", "HN-5630083", "Doe^John"} <= text, engine
        assert "fine" not in text and "seen by Dr. Smith" not in text


def test_privacy_gate_passes_the_pseudonymised_demo(converted) -> None:
    rep = fairify.validate(converted, PRIVACY)
    assert rep.conforms, [(r.shape_name, r.value) for r in rep.results[:5]]


def test_privacy_gate_fires_on_names_and_forbidden_dicom_attributes(tmp_path: Path) -> None:
    data = tmp_path / "d.ttl"
    data.write_text(
        "@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n@prefix dcm: <https://w3id.org/fairify/dicom#> .\n"
        '<urn:p> foaf:name "Jan Jansen" .\n<urn:i> dcm:00100010 "Jansen^Jan" ; dcm:00100020 "HN-0892509" .\n'
        "<https://example.org/patient/HN-0892509> a <https://w3id.org/fairify/dicom/model#Patient> .\n"
    )
    rep = fairify.validate(data, PRIVACY)
    assert {r.shape_name for r in rep.results} == {
        "fp:NoPersonalDataProperties › foaf:name",
        "fp:NoForbiddenDicomAttributes › PatientName",
        "fp:DicomIdentifiers › DICOM PatientID",
        "fp:PatientIRI",
    }


# -- DICOM shapes --------------------------------------------------------------------------------------


def test_dicom_shapes_check_hierarchy_references_and_attributes(tmp_path: Path) -> None:
    data = tmp_path / "d.ttl"
    data.write_text(
        "@prefix dcm: <https://w3id.org/fairify/dicom#> .\n@prefix dcmo: <https://w3id.org/fairify/dicom/model#> .\n"
        "<urn:pt> a dcmo:Patient ; dcmo:hasStudy <urn:st> .\n"
        "<urn:st> a dcmo:Study ; dcm:0020000D <urn:oid:2.25.1> ; dcmo:hasSeries <urn:se> .\n"
        '<urn:se> a dcmo:Series ; dcm:00080060 "RTDOSE" ; dcm:0020000E <urn:oid:2.25.2> ; dcmo:hasInstance <urn:i1> .\n'
        "<urn:i1> a dcmo:Instance ; dcm:00080016 <urn:oid:1.2> ; dcm:00080018 <urn:oid:2.25.3> ; "
        "dcmo:referencesPlan <urn:missing-plan> .\n"
        "<urn:i2> a dcmo:Instance ; dcm:00080016 <urn:oid:1.2> ; dcm:00080018 <urn:oid:2.25.4> .\n"
    )
    for engine in ("fast", "pyshacl"):
        rep = fairify.validate(data, SHAPES / "dicom.ttl", engine=engine)
        got = {(r.focus, r.message) for r in rep.results}
        assert got == {
            ("urn:i1", "the referenced RT plan is not in the graph"),
            ("urn:i2", "an instance belongs to exactly one series"),
        }, engine


# -- engines -------------------------------------------------------------------------------------------


def test_unsupported_constraints_go_to_pyshacl_and_say_so(tmp_path: Path) -> None:
    shapes = tmp_path / "s.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        "<urn:S> a sh:NodeShape ; sh:targetSubjectsOf <urn:p> ; sh:property [ sh:path <urn:p> ; sh:datatype xsd:byte ] .\n"
        "<urn:T> a sh:NodeShape ; sh:targetSubjectsOf <urn:p> ; sh:property [ sh:path <urn:p> ; sh:maxInclusive 10 ] .\n"
    )
    data = tmp_path / "d.nt"
    data.write_text('<urn:a> <urn:p> "300"^^<http://www.w3.org/2001/XMLSchema#byte> .\n')
    rep = fairify.validate(data, shapes, engine="fast")
    assert rep.engines == {"urn:S": "pyshacl", "urn:T": "fast"}
    assert any("sh:datatype xsd:byte" in n and "pySHACL checked it" in n for n in rep.notes)
    assert sorted(r.constraint for r in rep.results) == ["sh:datatype", "sh:maxInclusive"]
    assert fairify.validate(data, shapes).engine == "pyshacl"  # auto: not everything compiles


def test_derived_integer_literals_in_the_data_send_integer_checks_to_pyshacl(tmp_path: Path) -> None:
    shapes = tmp_path / "s.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        "<urn:S> a sh:NodeShape ; sh:targetSubjectsOf <urn:p> ; sh:property [ sh:path <urn:p> ; sh:datatype xsd:integer ] .\n"
    )
    data = tmp_path / "d.nt"
    data.write_text('<urn:a> <urn:p> "5"^^<http://www.w3.org/2001/XMLSchema#int> .\n')
    rep = fairify.validate(data, shapes, engine="fast")
    assert [r.constraint for r in rep.results] == ["sh:datatype"]  # xsd:int is not xsd:integer
    assert rep.engines == {"urn:S": "pyshacl"}


def test_inference_needs_pyshacl(tmp_path: Path) -> None:
    data = tmp_path / "d.nt"
    data.write_text("<urn:a> <urn:b> <urn:c> .\n")
    with pytest.raises(UsageError):
        fairify.validate(data, CLINICAL, engine="fast", inference="rdfs")
    assert fairify.validate(data, CLINICAL, inference="rdfs").engine == "pyshacl"


def test_bad_shapes_file_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n\n<urn:s> a sh:NodeShape , .\n")
    data = tmp_path / "d.nt"
    data.write_text("<urn:a> <urn:b> <urn:c> .\n")
    with pytest.raises(MappingError) as exc:
        fairify.validate(data, bad)
    assert isinstance(exc.value, ShapesError)
    assert str(exc.value) == f"{bad}:3: not valid Turtle: objectList expected"


# -- reports -------------------------------------------------------------------------------------------


def test_json_turtle_and_csv_reports(report) -> None:
    from fairify.validate import write

    doc = json.loads(write(report, "json"))
    assert doc["conforms"] is False and doc["violations"] == report.violations
    first = doc["results"][0]
    assert {"severity", "message", "focus", "path", "value", "constraint", "shape", "sources"} <= set(first)
    assert first["sources"] and "row" in first["sources"][0]

    g = Graph().parse(data=write(report, "turtle"), format="turtle")
    (rep,) = g.subjects(RDF.type, SH.ValidationReport)
    assert str(g.value(rep, SH.conforms)) == "false"
    assert len(list(g.objects(rep, SH.result))) == len(report.results)

    rows = list(csv.DictReader(io.StringIO(write(report, "csv"))))
    assert {r["source_file"].rsplit("/", 1)[-1] for r in rows} >= {"clinical.csv"}
    assert any(r["value"] == "6O" and r["source_row"] == "65" for r in rows)


def test_source_links_to_rows_and_dicom_tags() -> None:
    here = Path.cwd()
    assert source_ref((here / "x.csv").as_uri() + "#row=12") == "x.csv row 12"
    assert (
        source_ref("https://w3id.org/fairify/id/dicom/file/ab12#tag=30060020/2/30060026")
        == "id:dicom/file/ab12 tag (3006,0020)[2] › (3006,0026)"
    )
    assert source_ref((here / "a.dcm").as_uri() + "#tag=00100010") == "a.dcm tag (0010,0010)"


def test_dicom_tag_links_reach_results(tmp_path: Path) -> None:
    data = tmp_path / "img.nt"
    data.write_text('<urn:i> <https://w3id.org/fairify/dicom#00100010> "Doe^John" .\n')
    (tmp_path / "img.prov.nq").write_text(
        f"<urn:i> <http://www.w3.org/ns/prov#wasDerivedFrom> <{(tmp_path / 'x.dcm').as_uri()}#tag=00100010> "
        "<https://w3id.org/fairify/graph/provenance> .\n"
    )
    (r,) = fairify.validate(data, PRIVACY).results
    assert r.sources == [(tmp_path / "x.dcm").as_uri() + "#tag=00100010"]


# -- stores --------------------------------------------------------------------------------------------


def test_a_store_validates_like_its_files(tmp_path: Path, converted, report) -> None:
    store = tmp_path / "store"
    fairify.load([converted, converted.with_name("clinical.prov.nq")], store)
    rep = fairify.validate(store=store, shapes=CLINICAL)
    assert Counter(r.key() for r in rep.results) == Counter(r.key() for r in report.results)
    assert all(r.sources for r in rep.results)


# -- the convert gate ----------------------------------------------------------------------------------


def test_convert_gate_writes_nothing_on_a_violation(tmp_path: Path) -> None:
    out = tmp_path / "out" / "clinical.nq"
    with pytest.raises(NotConforming) as exc:
        fairify.convert(ROOT / "mappings" / "hn_clinical.rml.ttl", out, secret=SECRET, validate=CLINICAL)
    assert exc.value.report.violations and exc.value.exit_code == 1
    assert all(r.sources for r in exc.value.report.results)  # rows from the uncommitted side file
    assert not out.parent.exists() or not list(out.parent.iterdir())  # no output, no temporary file


def test_convert_gate_loads_nothing_into_a_store_on_a_violation(tmp_path: Path) -> None:
    from fairify.store import current_graphs, open_store

    store = tmp_path / "store"
    with pytest.raises(NotConforming):
        fairify.convert(
            ROOT / "mappings" / "hn_clinical.rml.ttl", store=store, secret=SECRET, validate=CLINICAL
        )
    assert current_graphs(open_store(store)) == {}


def test_convert_gate_lets_conforming_data_through(tmp_path: Path) -> None:
    shapes = tmp_path / "ok.ttl"  # a rule the demo keeps: every patient has a diagnosis
    shapes.write_text(
        f"@prefix sh: <http://www.w3.org/ns/shacl#> .\n<urn:S> a sh:NodeShape ; sh:targetClass <{NCIT}C16960> ; "
        f"sh:property [ sh:path <{ROO}P100029> ; sh:minCount 1 ] .\n"
    )
    out = tmp_path / "clinical.ttl"
    result = fairify.convert(ROOT / "mappings" / "hn_clinical.rml.ttl", out, secret=SECRET, validate=shapes)
    assert out.exists() and result.validation is not None and result.validation.conforms


def test_convert_gate_refuses_bad_shapes_before_converting(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("<urn:a> <urn:b> .\n")
    with pytest.raises(ShapesError):
        fairify.convert(
            ROOT / "mappings" / "hn_clinical.rml.ttl", tmp_path / "o.nq", secret=SECRET, validate=bad
        )
    assert not (tmp_path / "o.nq").exists()


# -- the CLI -------------------------------------------------------------------------------------------


def _cli(args: list[str]):
    from typer.testing import CliRunner

    return CliRunner().invoke(app, args)


def test_cli_exit_codes_and_formats(tmp_path: Path, converted) -> None:
    r = _cli(["validate", str(converted), "--shapes", str(CLINICAL)])
    assert r.exit_code == 1 and "Violation x8" in r.output

    clean = tmp_path / "clean.ttl"
    clean.write_text(PREFIXES + "<urn:a1> a ncit:C25150 ; roo:P100042 63 .\n")
    r = _cli(["validate", str(clean), "--shapes", str(CLINICAL)])
    assert r.exit_code == 0 and "conforms" in r.output

    out = tmp_path / "report.json"
    r = _cli(["validate", str(converted), "--shapes", str(SHAPES), "--format", "json", "-o", str(out)])
    assert r.exit_code == 1 and json.loads(out.read_text())["violations"] > 0

    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n<urn:s> a sh:NodeShape , .\n")
    r = _cli(["validate", str(converted), "--shapes", str(bad)])
    assert r.exit_code == 2
    assert r.output.strip() == f"error: {bad}:2: not valid Turtle: objectList expected"

    r = _cli(["validate", str(tmp_path / "missing.nq"), "--shapes", str(CLINICAL)])
    assert r.exit_code == 2 and "not found" in r.output


def test_cli_warnings_only_exit_0(tmp_path: Path) -> None:
    shapes = tmp_path / "w.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "<urn:S> a sh:NodeShape ; sh:targetNode <urn:a> ; sh:severity sh:Warning ; sh:class <urn:C> .\n"
    )
    data = tmp_path / "d.nt"
    data.write_text("<urn:a> <urn:b> <urn:c> .\n")
    r = _cli(["validate", str(data), "--shapes", str(shapes)])
    assert r.exit_code == 0 and "Warning x1" in r.output


def test_cli_turtle_and_csv_reports_and_an_unknown_format(converted) -> None:
    from fairify.validate.report import CSV_COLUMNS

    r = _cli(["validate", str(converted), "--shapes", str(CLINICAL), "--format", "turtle"])
    assert r.exit_code == 1, r.output
    g = Graph().parse(data=r.stdout, format="turtle")
    (rep,) = g.subjects(RDF.type, SH.ValidationReport)
    assert str(g.value(rep, SH.conforms)) == "false"
    assert len(list(g.objects(rep, SH.result))) == 35

    r = _cli(["validate", str(converted), "--shapes", str(CLINICAL), "--format", "csv"])
    assert r.exit_code == 1, r.output
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert any(
        x["value"] == "6O" and x["source_row"] == "65" and x["constraint"] == "sh:datatype" for x in rows
    )

    r = _cli(["validate", str(converted), "--shapes", str(CLINICAL), "--format", "xml"])
    assert r.exit_code == 2
    assert r.stderr.strip() == "error: unknown report format 'xml': use text, json, turtle, csv"


def test_cli_validates_a_store(tmp_path: Path, converted) -> None:
    store = tmp_path / "store"
    fairify.load([converted, converted.with_name("clinical.prov.nq")], store)
    r = _cli(["validate", "--store", str(store), "--shapes", str(CLINICAL)])
    assert r.exit_code == 1, r.output
    assert "35 SHACL result(s)" in r.stdout and "Violation x8  fs:Age › age (years)" in r.stdout
    assert "clinical.csv row 65: 6O" in r.stdout  # the source row, from the links in the store

    out = tmp_path / "report.json"
    r = _cli(["validate", "--store", str(store), "--shapes", str(CLINICAL), "-f", "json", "-o", str(out)])
    assert r.exit_code == 1 and json.loads(out.read_text())["violations"] == 35
    assert f"{store}: 35 violation(s) -> {out}" in r.stderr

    clean = tmp_path / "clean.ttl"
    clean.write_text(PREFIXES + "<urn:a1> a ncit:C25150 ; roo:P100042 63 .\n")
    fairify.load([clean], tmp_path / "clean-store")
    r = _cli(["validate", "--store", str(tmp_path / "clean-store"), "--shapes", str(CLINICAL)])
    assert r.exit_code == 0 and "conforms" in r.stdout, r.output

    r = _cli(["validate", "--store", str(tmp_path / "missing"), "--shapes", str(CLINICAL)])
    assert r.exit_code == 2
    assert r.stderr.strip() == (
        f"error: store {tmp_path / 'missing'} does not exist "
        "(create it with fairify load or fairify convert --store)"
    )
    r = _cli(["validate", str(converted), "--store", str(store), "--shapes", str(CLINICAL)])
    assert r.exit_code == 2
    assert r.stderr.strip() == "error: give a data file or --store (one of them)"


def test_cli_convert_validate_gate(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FAIRIFY_SECRET", SECRET.decode())
    monkeypatch.delenv("FAIRIFY_SECRET_FILE", raising=False)
    mapping = str(ROOT / "mappings" / "hn_clinical.rml.ttl")
    out = tmp_path / "out" / "clinical.nq"
    r = _cli(["convert", mapping, "-o", str(out), "--validate", str(CLINICAL)])
    assert r.exit_code == 1, r.output
    assert "Violation x8  fs:Age › age (years)" in r.stdout and "clinical.csv row 65: 6O" in r.stdout
    assert r.stderr.strip().splitlines()[-1] == (
        "error: SHACL found 35 violation(s) in the converted data; nothing was written or loaded"
    )
    assert not out.parent.exists() or not list(out.parent.iterdir())

    from fairify.store import current_graphs, open_store

    store = tmp_path / "store"
    r = _cli(["convert", mapping, "--store", str(store), "--validate", str(SHAPES)])
    assert r.exit_code == 1, r.output
    assert "nothing was written or loaded" in r.stderr
    assert current_graphs(open_store(store, read_only=True)) == {}  # the run still holds its lock

    bad = tmp_path / "bad.ttl"
    bad.write_text("<urn:a> <urn:b> .\n")
    r = _cli(["convert", mapping, "-o", str(tmp_path / "o.nq"), "--validate", str(bad)])
    assert r.exit_code == 2
    assert r.stderr.strip() == f"error: {bad}:1: not valid Turtle: objectList expected"
    assert not (tmp_path / "o.nq").exists()

    ok = tmp_path / "ok.ttl"
    ok.write_text(
        f"@prefix sh: <http://www.w3.org/ns/shacl#> .\n<urn:S> a sh:NodeShape ; sh:targetClass <{NCIT}C16960> ; "
        f"sh:property [ sh:path <{ROO}P100029> ; sh:minCount 1 ] .\n"
    )
    r = _cli(["convert", mapping, "-o", str(tmp_path / "ok.nq"), "--validate", str(ok)])
    assert f"validation: conforms ({ok})" in r.stderr and (tmp_path / "ok.nq").exists()
    # written and loadable; the exit code is the demo's planted values that fit no mapping
    assert r.exit_code == 1 and r.stderr.strip().splitlines()[-1].endswith(
        "did not fit their mapping; see the problems above"
    )
