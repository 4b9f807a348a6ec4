"""Value representations, the header reader, the vocabulary, keywords in SPARQL, the demo set."""

from __future__ import annotations

import importlib.util
import sys
import warnings
from pathlib import Path

import pydicom
import pytest

from fairify.dicom import vr as V
from fairify.dicom.dictionary import expand_keywords, parse_tag
from fairify.dicom.walk import Skip, _pydicom_header, read_header
from tests.conftest import ROOT
from tests.dicom.conftest import DEMO_DICOM, PYDICOM_FILES


@pytest.mark.parametrize(
    ("fn", "text", "expected"),
    [
        (V.iso_date, "20190312", "2019-03-12"),
        (V.iso_date, "2019.03.12", "2019-03-12"),
        (V.iso_time, "0930", "09:30:00"),
        (V.iso_time, "093000.123456", "09:30:00.123456"),
        (V.iso_time, "09:30:00", "09:30:00"),
        (V.iso_datetime, "20190312093000+0100", ("2019-03-12T09:30:00+01:00", V.XSD_DATETIME)),
        (V.iso_datetime, "2019", ("2019", V.XSD_GYEAR)),
        (V.duration, "045Y", "P45Y"),
        (V.duration, "002W", "P14D"),
        (V.decimal_string, "+.5", ("+.5", V.XSD_DECIMAL)),
        (V.decimal_string, "1.0000000e-6", ("1.0000000e-6", V.XSD_DOUBLE)),
        (V.integer_string, "-12", "-12"),
    ],
)
def test_lexical_forms(fn, text: str, expected) -> None:
    assert fn(text) == expected


@pytest.mark.parametrize(
    ("fn", "text"),
    [
        (V.iso_date, "20190230"),
        (V.iso_time, "2561"),
        (V.duration, "45Y"),
        (V.decimal_string, "1,5"),
        (V.integer_string, "1A"),
        (V.iso_datetime, "20191301"),
    ],
)
def test_values_outside_their_vr_are_refused(fn, text: str) -> None:
    with pytest.raises(V.BadValue):
        fn(text)


def test_json_numbers_keep_their_value() -> None:
    assert V.json_number("+.5", "DS") == "0.5" and V.json_number("007", "IS") == "7"
    assert V.json_array([V.RawJson("1.5"), "A\\B", None]) == '[1.5,"A\\\\B",null]'


def test_the_fast_reader_reads_what_pydicom_reads() -> None:
    checked = 0
    for path in sorted(PYDICOM_FILES.glob("*.dcm")) + sorted(DEMO_DICOM.rglob("*.dcm")):
        try:
            fast = read_header(path)
        except Skip:
            continue
        try:
            slow = _pydicom_header(path)
        except Skip:
            continue
        assert set(fast.elements) == set(slow.elements), path.name
        for tag, e in fast.elements.items():
            s = slow.elements[tag]
            if isinstance(e.value, bytes) and isinstance(getattr(s, "value", None), bytes):
                assert e.value == s.value, (path.name, hex(tag))
        checked += 1
    assert checked > 100


def test_keywords_in_sparql_become_tags() -> None:
    q = "PREFIX d: <https://w3id.org/fairify/dicom#>\nSELECT * { ?r d:ROIName ?n ; d:Nope ?x . ?s <https://w3id.org/fairify/dicom#Modality> ?m }"
    out = expand_keywords(q)
    assert "d:30060026" in out and "d:Nope" in out and "<https://w3id.org/fairify/dicom#00080060>" in out
    assert parse_tag("(0010,0020)") == parse_tag("PatientID") == parse_tag("00100020") == 0x00100020


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


def test_dicom_vocabulary_is_what_its_generator_writes() -> None:
    module = _load(ROOT / "ontologies" / "build_dicom_vocab.py", "build_dicom_vocab")
    assert (ROOT / "ontologies" / "dicom.ttl").read_text(encoding="utf-8") == module.render()
    text = module.render()
    assert 'dcm:30060026 rdfs:label "ROIName" ; dcmo:vr "LO" ; dcmo:vm "1" .' in text
    assert "dcm:00100010 " not in text  # PatientName can never appear, so it is not described


def test_demo_dicom_is_what_the_generator_writes(tmp_path: Path) -> None:
    from fairify.demo import generate_dicom

    files = generate_dicom(tmp_path, 5, 42, ROOT / "examples" / "demo" / "data" / "clinical.csv")
    assert len(files) == 35
    for f in files:
        committed = DEMO_DICOM / f.relative_to(tmp_path)
        assert committed.read_bytes() == f.read_bytes(), (
            f"{committed} is stale: python -m fairify.demo --dicom examples/demo/dicom"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert all("PixelData" not in pydicom.dcmread(f) for f in files)
