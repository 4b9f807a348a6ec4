"""The DICOM logical source: mappings read de-identified headers; the raw PatientID goes only
into ffn:pseudonym, giving the same patient IRI as the clinical tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import fairify
from fairify.dicom.source import parse_reference
from fairify.errors import MappingError
from fairify.mapping import load_mapping
from fairify.pseudonym import pseudonym
from tests.conftest import ROOT
from tests.dicom.conftest import SECRET, read_all

MAPPING = ROOT / "mappings" / "dicom_rt.yarrrml.yml"


@pytest.fixture(scope="module")
def rt_graph(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("rt") / "rt.nq"
    result = fairify.convert(MAPPING, out, secret=SECRET)
    assert not result.issues, [str(i) for i in result.issues]
    return out.read_text()


def test_patients_get_the_tabular_pseudonym(rt_graph: str) -> None:
    ids = {str(ds.PatientID) for ds in read_all(ROOT / "examples" / "demo" / "dicom").values()}
    assert len(ids) == 5
    for pid in ids:
        iri = f"<https://w3id.org/fairify/id/patient/{pseudonym(pid, SECRET)}>"
        assert (
            f"{iri} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl#C16960>"
            in rt_graph
        )
        assert pid not in rt_graph


def test_rois_are_mapped_to_tg263_and_share_the_generic_iris(rt_graph: str, demo_conversion) -> None:
    _, generic = demo_conversion
    standard = [line for line in rt_graph.splitlines() if "standardStructure" in line]
    assert len(set(standard)) == 5 * 8
    roi_iris = {line.split()[0] for line in standard}
    generic_text = generic.read_text()
    assert all(
        f"{iri} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/fairify/dicom/model#ROI>"
        in generic_text
        for iri in roi_iris
    )


def test_references_keywords_tags_and_paths() -> None:
    assert parse_reference("ROIName", "x").steps == (0x30060026,)
    assert parse_reference("(3006,0026)", "x").steps == (0x30060026,)
    assert parse_reference("/SOPInstanceUID", "x").absolute
    assert parse_reference("ROIContourSequence/ReferencedROINumber", "x").steps == (0x30060039, 0x30060084)
    with pytest.raises(MappingError, match="not a sequence"):
        parse_reference("ROIName/ROINumber", "x")
    with pytest.raises(MappingError, match="not a DICOM keyword"):
        parse_reference("RoiNmae", "x")


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    shutil.copytree(ROOT / "mappings" / "valuemaps", tmp_path / "valuemaps", dirs_exist_ok=True)
    text = MAPPING.read_text().replace("../examples/demo/dicom", str(ROOT / "examples" / "demo" / "dicom"))
    assert old in text
    path = tmp_path / "m.yml"
    path.write_text(text.replace(old, new, 1))
    return path


def test_a_removed_attribute_is_a_mapping_error_naming_it(tmp_path: Path) -> None:
    path = _variant(tmp_path, "$(ROIName)]", "$(PatientBirthDate)]")
    with pytest.raises(MappingError, match=r"PatientBirthDate \(0010,0030\).*Basic Profile"):
        fairify.convert(path, tmp_path / "o.nq", secret=SECRET)
    assert not (tmp_path / "o.nq").exists()


def test_the_raw_patient_id_is_refused_outside_ffn_pseudonym(tmp_path: Path) -> None:
    path = _variant(
        tmp_path, "      - [a, dcmo:Study]\n", "      - [a, dcmo:Study]\n      - [dcmo:x, $(PatientID)]\n"
    )
    with pytest.raises(MappingError, match="only be the ffn:value of ffn:pseudonym"):
        fairify.convert(path, tmp_path / "o.nq", secret=SECRET)
    path = _variant(tmp_path, 'study/$(StudyInstanceUID)~iri"]', 'study/$(PatientID)~iri"]')
    with pytest.raises(MappingError, match="PatientID"):
        fairify.convert(path, tmp_path / "o2.nq", secret=SECRET)


def test_the_mapping_round_trips_through_rml(tmp_path: Path) -> None:
    from fairify.mapping import compile_mapping

    text = compile_mapping(MAPPING, None)
    assert "https://w3id.org/fairify/ns#DICOM" in text or "DICOM" in text
    rml = MAPPING.with_name("dicom_rt.compiled-test.rml.ttl")
    try:
        rml.write_text(text)
        assert load_mapping(rml).canonical() == load_mapping(MAPPING).canonical()
    finally:
        rml.unlink(missing_ok=True)


def test_yarrrml_shortcut_and_options(tmp_path: Path) -> None:
    (tmp_path / "m.yml").write_text(
        f"""prefixes:
  ex: http://example.org/
mappings:
  series:
    sources: ["{ROOT / "examples" / "demo" / "dicom"}~dicom"]
    s: ex:series/$(SeriesInstanceUID)
    po:
      - [ex:modality, $(Modality)]
      - [ex:date, $(SeriesDate)]
"""
    )
    m = load_mapping(tmp_path / "m.yml")
    assert next(iter(m.triples_maps.values())).source.formulation.value == "DICOM"
    result = fairify.convert(tmp_path / "m.yml", tmp_path / "o.nq", secret=SECRET)
    assert result.quads > 0 and not result.issues
    assert "RTSTRUCT" in (tmp_path / "o.nq").read_text()
