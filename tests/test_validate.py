"""SHACL validation of the demo cohort: every planted out-of-range value is found at its row."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import fairify
from fairify.errors import MappingError
from tests.conftest import ROOT

SECRET = b"test-secret-for-validation-000001"
DATA = ROOT / "examples" / "demo" / "data"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("validate") / "clinical.nq"
    fairify.convert(ROOT / "mappings" / "hn_clinical.rml.ttl", out, secret=SECRET)
    return fairify.validate(out, ROOT / "shapes" / "hn_clinical.ttl")


def test_planted_values_are_found_with_their_rows(report) -> None:
    assert not report.conforms
    planted = pd.read_csv(DATA / "planted_errors.csv", dtype=str, keep_default_na=False)
    found = {
        (Path(src.split("#")[0]).name, int(src.split("#row=")[1]), r.value)
        for r in report.results
        for src in r.sources
        if r.value is not None
    }
    for f, row, value, problem in zip(
        planted["file"], planted["row"], planted["value"], planted["problem"], strict=True
    ):
        if problem in ("out_of_range", "not_a_number"):
            assert (f, int(row), value) in found, (f, row, value, problem)


def test_every_result_points_to_a_source_row(report) -> None:
    assert all(r.sources and all("#row=" in s for s in r.sources) for r in report.results)


def test_clean_graph_conforms(tmp_path: Path) -> None:
    clean = tmp_path / "clean.ttl"
    clean.write_text(
        "@prefix ncit: <http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl#> .\n"
        "@prefix roo: <http://www.cancerdata.org/roo/> .\n"
        "<urn:p1> a ncit:C16960 ; roo:P100016 <urn:a1> ; roo:P100029 <urn:n1> .\n"
        "<urn:a1> a ncit:C25150 ; roo:P100042 63 .\n"
    )
    rep = fairify.validate(clean, ROOT / "shapes" / "hn_clinical.ttl")
    assert rep.conforms and rep.results == []


def test_bad_shapes_file_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n\n<urn:s> a sh:NodeShape , .\n")
    data = tmp_path / "d.nt"
    data.write_text("<urn:a> <urn:b> <urn:c> .\n")
    with pytest.raises(MappingError) as exc:
        fairify.validate(data, bad)
    assert str(exc.value) == f"{bad}:3: not valid Turtle: objectList expected"
