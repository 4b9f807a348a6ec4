"""De-identification follows the machine-readable PS3.15 Table E.1-1 (edition 2024b): every row's
action, the Clean Descriptors option, keyed UIDs decided by the attribute, keyed date shifts."""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import pytest
from pydicom.datadict import DicomDictionary, dictionary_VR
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

from fairify.dicom import convert_dicom
from fairify.dicom.deid import (
    EDITION,
    Policy,
    Profile,
    Rule,
    annex_e,
    clean_descriptor,
    date_offset,
    remap_uid,
)
from fairify.errors import UsageError
from tests.conftest import ROOT
from tests.dicom.conftest import SECRET, boundary

TABLE = ROOT / "fairify" / "dicom" / "data" / "annex_e.csv"
DESCRIPTOR_VRS = {"SH", "LO", "CS"}


def table_rows() -> list[dict[str, str]]:
    lines = [x for x in TABLE.read_text(encoding="utf-8").splitlines() if not x.startswith("#")]
    return list(csv.DictReader(lines))


def test_the_table_is_generated_data_naming_its_edition_and_sources() -> None:
    head = TABLE.read_text(encoding="utf-8").splitlines()[:3]
    assert EDITION == "2024b" and "PS3.15 2024b" in head[0]
    assert "dicom-anonymizer 2.1.0" in head[1] and "innolitics/dicom-standard" in head[2]
    assert (ROOT / "scripts" / "build_annex_e.py").is_file()
    rows = table_rows()
    assert len(rows) > 600 and len(annex_e()) == len(rows)
    actions = {r["basic"] for r in rows}
    assert {"X", "Z", "D", "U", "X/Z", "X/D", "Z/D", "X/Z/D", "X/Z/U*"} <= actions
    assert annex_e()["30060026"].basic == "Z" and annex_e()["30060026"].option("clean_descriptors") == "C"


def expected(row: dict[str, str], profile: Profile) -> set[Rule]:
    """What Table E.1-1 says for ``row`` under ``profile`` (fairify's documented narrowing included)."""
    tag = int(row["tag"], 16)
    vr = dictionary_VR(tag)
    if tag == 0x00100020:
        return {Rule.PATIENT_ID}
    if (
        vr == "PN"
        or vr in ("OB", "OW", "OF", "OD", "OL", "OV", "UN", "OB or OW", "US or OW")
        or tag >> 16 in (0x0002,)
    ):
        return {Rule.DROP}
    if row["clean_descriptors"] == "C" and profile.clean_descriptors:
        return {Rule.CLEAN, Rule.DROP} if vr in DESCRIPTOR_VRS else {Rule.DROP}
    if profile.dates == "shift" and row["retain_long_modified_dates"] == "C":
        return {Rule.KEEP, Rule.DROP}  # DROP only where fairify never outputs the VR (bulky, binary)
    if profile.dates == "keep" and row["retain_long_full_dates"] == "K":
        return {Rule.KEEP, Rule.DROP}
    if profile.retain_patient_characteristics and row["retain_patient_characteristics"] == "K":
        return {Rule.KEEP, Rule.DROP}
    if row["basic"] == "U":
        return {Rule.UID}
    if row["basic"] == "X/Z/U*":
        return {Rule.KEEP}
    return {Rule.DROP}


@pytest.mark.parametrize(
    "profile",
    [Profile(), Profile(dates="keep"), Profile(dates="remove"), Profile(retain_patient_characteristics=True)],
    ids=["default", "keep-dates", "remove-dates", "patient-characteristics"],
)
def test_every_row_of_the_table_decides_its_attribute(profile: Profile) -> None:
    policy = Policy(profile)
    checked = 0
    for row in table_rows():
        if not re.fullmatch(r"[0-9A-F]{8}", row["tag"]) or int(row["tag"], 16) not in DicomDictionary:
            continue
        tag = int(row["tag"], 16)
        rule = policy.rule(tag)
        assert rule in expected(row, profile), (row["tag"], row["keyword"], row["basic"], rule)
        if rule is Rule.KEEP and row["basic"] not in ("X/Z/U*", "K"):
            assert any(row[c] for c in row if c.startswith(("retain", "clean"))), (
                row
            )  # only an option keeps it
        checked += 1
    assert checked > 600


def test_attributes_outside_the_table_private_and_unknown_ones() -> None:
    policy = Policy(Profile())
    assert policy.rule(0x00090010) is Rule.DROP  # private creator
    assert policy.rule(0x00111001) is Rule.DROP  # private
    assert policy.rule(0x00080060) is Rule.KEEP  # Modality: not in the table
    assert policy.rule(0x00080016) is Rule.KEEP  # SOP Class UID: well known, kept
    assert policy.rule(0x00020010) is Rule.KEEP  # Transfer Syntax UID
    assert (
        policy.rule(0x00209312) is Rule.UID
    )  # Volume Frame of Reference UID: not in the table, still remapped
    assert policy.rule(0x30060050) is Rule.DROP  # ContourData: bulky
    assert policy.rule(0x7FE00010) is Rule.DROP
    assert policy.rule(0x300600A6) is Rule.DROP  # ROI Interpreter: a person's name
    assert "Z" in policy.why_not(0x00100010) or "name" in policy.why_not(0x00100010)


# ------------------------------------------------------------------------------ end to end, every row


def _value(tag: int, vr: str, n: int):
    """A value for ``tag`` that is unique to it, so its presence in the output can be checked."""
    if vr == "UI":
        return f"1.2.826.0.1.3680043.8.498.77.{n}"
    if vr == "DA":
        return date.fromordinal(date(1990, 1, 1).toordinal() + 37 * n).strftime("%Y%m%d")
    if vr == "DT":
        return date.fromordinal(date(1990, 1, 1).toordinal() + 37 * n).strftime("%Y%m%d") + "101010"
    if vr == "TM":
        return f"{n % 24:02d}{n % 60:02d}17.{n:06d}"
    if vr in ("SH", "LO", "CS", "ST", "LT", "UT", "UC", "AE"):
        return f"MRK{n:05d}"
    if vr == "AS":
        return f"{n % 1000:03d}Y"
    if vr in ("DS", "IS"):
        return str(70000 + n)
    return None


@pytest.fixture(scope="module")
def every_row(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[int, tuple[str, str]], bytes]:
    """One file holding every table attribute pydicom can write with a marker value; converted."""
    folder = tmp_path_factory.mktemp("annex")
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.8.498.77.0"
    markers: dict[int, tuple[str, str]] = {}
    for n, row in enumerate(table_rows(), start=1):
        if not re.fullmatch(r"[0-9A-F]{8}", row["tag"]):
            continue
        tag = int(row["tag"], 16)
        if tag not in DicomDictionary or tag >> 16 in (0x0000, 0x0002, 0x0004):
            continue
        vr = dictionary_VR(tag)
        if vr == "SQ":
            item = Dataset()
            item.CodeMeaning = f"SQMRK{n:05d}"  # a descriptor inside: out with its sequence, or kept
            ds.add_new(tag, "SQ", Sequence([item]))
            markers[tag] = ("SQ", item.CodeMeaning)
            continue
        value = _value(tag, vr, n)
        if value is None:
            continue
        ds.add_new(tag, vr, value)
        markers[tag] = (vr, value)
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.PatientID = "MRN-ANNEX-E"
    path = folder / "annex.dcm"
    ds.save_as(path, enforce_file_format=True)
    result = convert_dicom(folder, folder / "out.nq", secret=SECRET, processes=1)
    assert result.converted == 1, result.skipped
    data = (folder / "out.nq").read_bytes() + (folder / "out.prov.nq").read_bytes()
    return markers, data


def test_the_output_follows_every_row(every_row: tuple[dict[int, tuple[str, str]], bytes]) -> None:
    markers, data = every_row
    policy = Policy(Profile())
    assert len(markers) > 450
    for tag, (vr, value) in markers.items():
        rule = policy.rule(tag)
        present = boundary(value).search(data) is not None
        if vr == "DA" and not present:
            iso = f"{value[:4]}-{value[4:6]}-{value[6:]}"
            present = boundary(iso).search(data) is not None
        predicate = f"<https://w3id.org/fairify/dicom#{tag:08X}>".encode()
        if rule is Rule.PATIENT_ID:  # the pseudonym replaces it (the patient node's dcm:00100020)
            assert not present and predicate in data
        elif rule is Rule.DROP:
            assert not present and predicate not in data, (f"{tag:08X}", value)
        elif rule is Rule.UID:
            assert not present and predicate in data, f"{tag:08X} must be remapped, not dropped"
            assert f"urn:oid:{remap_uid(value, SECRET)}".encode() in data
        elif vr in ("DA", "DT"):
            assert not present and predicate in data, f"{tag:08X}: dates are shifted"
        else:
            assert predicate in data, f"{tag:08X} ({rule.name}) should be in the output"
    assert b"MRN-ANNEX-E" not in data


def test_the_run_record_names_the_profile_and_its_options(every_row) -> None:
    _, data = every_row
    for code in (b"DCM/113100", b"DCM/113105", b"DCM/113107"):
        assert code in data
    assert b"Clean Descriptors Option" in data and b"PS3.15 2024b" in data
    assert b"DCM/113106" not in data  # full dates are not retained by default


# ------------------------------------------------------------------------------ keyed transformations


def test_uids_are_remapped_by_attribute_not_by_how_they_look() -> None:
    a = remap_uid("1.2.840.10008.5.1.4.1.1.2.999", SECRET)  # an instance UID that looks like a class UID
    assert re.fullmatch(r"2\.25\.\d{1,39}", a) and len(a) <= 64
    assert remap_uid("1.2.840.10008.5.1.4.1.1.2.999\x00", SECRET) == a  # padding does not matter
    assert remap_uid("1.2.840.10008.5.1.4.1.1.2.999", b"another-secret-0123456789") != a
    bad = remap_uid("1.02.3.x y", SECRET)  # breaks the UID rules: still remapped, to a valid UID
    assert re.fullmatch(r"2\.25\.\d+", bad)


def test_date_shift_is_keyed_per_patient_and_keeps_intervals(tmp_path: Path) -> None:
    offsets = {date_offset(f"HN-{i}", SECRET) for i in range(50)}
    assert len(offsets) > 20 and all(-365 <= o <= -1 for o in offsets)
    assert date_offset("HN-1", SECRET) == date_offset(" HN-1 ", SECRET)


def test_clean_descriptors() -> None:
    forbidden = frozenset({"doe", "john", "12345678"})
    assert clean_descriptor("  PTV_70   Doe ", forbidden) == "PTV_70"
    assert clean_descriptor("Parotid L 2019-03-12", forbidden) == "Parotid L"
    assert clean_descriptor("CTV 20190312", forbidden) == "CTV"
    assert clean_descriptor("GTV 1234567", forbidden) == "GTV"
    assert clean_descriptor("doe^john", forbidden) is None
    assert clean_descriptor("Ｃｏｒｄ\tPRV") == "Cord PRV"


def test_profile_options_are_checked() -> None:
    with pytest.raises(UsageError):
        Profile(dates="blur")
    with pytest.raises(UsageError):
        Profile.from_options({"retain": "uids"})
    p = Profile.from_options({"dates": "keep", "retain": "patient-characteristics"})
    assert [m for _, m in p.methods()][-1] == "Retain Patient Characteristics Option"
