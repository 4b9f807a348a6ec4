"""The generic conversion on the real files inside the pydicom wheel and on the demo RT set:
counts equal pydicom's, RT references resolve, no identifier survives, bad files are reported."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pydicom
import pytest

from fairify.dicom import Profile, convert_dicom
from fairify.dicom.deid import Policy, Rule
from fairify.dicom.walk import count_files
from tests.dicom.conftest import DEMO_DICOM, PYDICOM_FILES, SECRET, boundary, count, read_all, store_of


def converted_datasets(result) -> dict[Path, pydicom.Dataset]:
    """pydicom's reading of exactly the files fairify converted."""
    bad = {Path(p.path) for p in result.skipped}
    return {
        p: ds
        for p, ds in read_all(PYDICOM_FILES).items()
        if p not in bad and "SOPInstanceUID" in ds and "DirectoryRecordSequence" not in ds
    }


def distinct(datasets, keyword: str) -> set[str]:
    return {str(ds.get(keyword)).strip() for ds in datasets.values() if ds.get(keyword)}


def test_counts_equal_what_pydicom_reads(pydicom_conversion) -> None:
    result, out = pydicom_conversion
    datasets = converted_datasets(result)
    assert len(datasets) == result.converted == 152
    store = store_of(out)
    for keyword, cls, n in (
        ("PatientID", "Patient", result.patients),
        ("StudyInstanceUID", "Study", result.studies),
        ("SeriesInstanceUID", "Series", result.series),
        ("SOPInstanceUID", "Instance", len(distinct(datasets, "SOPInstanceUID"))),  # result: per batch
    ):
        expected = len(distinct(datasets, keyword))
        assert count(store, f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?x a dcmo:{cls} }}") == expected == n


def test_no_file_pydicom_reads_as_an_instance_is_skipped(pydicom_conversion) -> None:
    """Big-endian and implicit files without preamble or meta header convert (through pydicom);
    what is skipped is not an instance pydicom can read, even with force=True."""
    result, out = pydicom_conversion
    for problem in result.skipped:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ds = pydicom.dcmread(problem.path, force=True)
            except Exception:
                continue
        assert "SOPInstanceUID" not in ds, f"{problem.path} was skipped: {problem.reason}"
    big_endian = PYDICOM_FILES / "ExplVR_BigEndNoMeta.dcm"
    assert big_endian not in {Path(p.path) for p in result.skipped}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(big_endian, force=True)
    assert not ds.is_little_endian and not getattr(ds, "file_meta", None)  # big endian, no meta header
    store = store_of(out)
    inst = f"<https://w3id.org/fairify/id/dicom/instance/{_remap(ds.SOPInstanceUID)}>"
    assert (
        count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ {inst} a dcmo:Instance ; <{RT_PLAN_DATE}> ?d }}") == 1
    )


RT_PLAN_DATE = "https://w3id.org/fairify/dicom#300A0006"


def uid_values(ds: pydicom.Dataset, policy: Policy) -> set[str]:
    """Every UID value of an attribute the policy remaps, at any sequence depth."""
    out = set()
    for elem in ds.iterall():
        if elem.VR == "UI" and elem.value and policy.rule(elem.tag + 0) is Rule.UID:
            values = (
                elem.value if isinstance(elem.value, list | pydicom.multival.MultiValue) else [elem.value]
            )
            out.update(str(v).strip("\x00 ") for v in values if str(v).strip("\x00 "))
    return out


def test_every_rt_reference_pydicom_can_follow_resolves(pydicom_conversion, demo_conversion) -> None:
    followed = 0
    for _result, out, root in ((*pydicom_conversion, PYDICOM_FILES), (*demo_conversion, DEMO_DICOM)):
        store = store_of(out)
        datasets = {p: ds for p, ds in read_all(root).items() if "SOPInstanceUID" in ds}
        instances = {str(ds.SOPInstanceUID) for ds in datasets.values()}
        for ds in datasets.values():
            for elem in ds.iterall():
                if elem.tag == 0x00081155 and str(elem.value) in instances:  # a target pydicom can open
                    target = f"<https://w3id.org/fairify/id/dicom/instance/{_remap(elem.value)}>"
                    assert (
                        count(
                            store,
                            f"SELECT (COUNT(*) AS ?n) WHERE {{ ?i dcmo:referencedInstance {target} . {target} a dcmo:Instance }}",
                        )
                        >= 1
                    )
                    followed += 1
    assert followed >= 5 * (
        1 + 1 + 4 * 2
    )  # dose->plan, plan->structure set, structure set->4 CT (x2 sequences)


def _remap(uid: str) -> str:
    from fairify.dicom.deid import remap_uid

    return remap_uid(str(uid), SECRET)


def test_rt_chain_in_the_demo_set(demo_conversion) -> None:
    _, out = demo_conversion
    store = store_of(out)
    chain = """SELECT (COUNT(*) AS ?n) WHERE {
      ?dose dcmo:referencesPlan ?plan . ?plan a dcmo:Instance ; dcmo:referencesStructureSet ?ss .
      ?ss a dcmo:Instance ; dcmo:referencesSeries ?ct . ?ct a dcmo:Series ; dcmo:hasInstance ?img .
      ?ss dcmo:hasROI ?roi . ?roi dcmo:interpretedType "PTV" }"""
    assert count(store, chain) == 5 * 4  # 5 patients, 4 CT slices each
    rois = "SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r a dcmo:ROI ; dcmo:interpretedType ?t }"
    assert count(store, rois) == 5 * 8
    refs = "SELECT (COUNT(*) AS ?n) WHERE { ?c a dcmo:ROIContour ; dcmo:referencedROI ?r . ?r a dcmo:ROI }"
    assert count(store, refs) == 5 * 8
    beams = "SELECT (COUNT(*) AS ?n) WHERE { ?x dcmo:referencedBeam ?b . ?b a dcmo:Beam }"
    assert count(store, beams) == 5 * 2


ITEM = "https://w3id.org/fairify/id/dicom/instance/"
NUMBER_EDGES = {  # edge -> (class of its target, the segment of the target IRI)
    "referencedROI": ("ROI", "roi"),
    "referencedBeam": ("Beam", "beam"),
    "referencedFractionGroup": ("FractionGroup", "fraction-group"),
    "referencedDoseReference": ("DoseReference", "dose-reference"),
    "referencedSegment": ("Segment", "segment"),
}


def number_edges(store, edge: str) -> list[tuple[str, str]]:
    q = f"SELECT ?s ?t WHERE {{ ?s <https://w3id.org/fairify/dicom/model#{edge}> ?t }}"
    return [(r[0].value, r[1].value) for r in store.query(q, use_default_graph_as_union=True)]


def test_numbered_items_are_named_by_their_number(pydicom_conversion) -> None:
    _, out = pydicom_conversion
    store = store_of(out)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ss = pydicom.dcmread(PYDICOM_FILES / "rtstruct.dcm", force=True)
        plan = pydicom.dcmread(PYDICOM_FILES / "rtplan.dcm")
    ss_iri = ITEM + _remap(ss.SOPInstanceUID)
    for roi in ss.StructureSetROISequence:
        q = f"SELECT (COUNT(*) AS ?n) WHERE {{ <{ss_iri}> dcmo:hasROI <{ss_iri}/roi/{roi.ROINumber}> . <{ss_iri}/roi/{roi.ROINumber}> a dcmo:ROI }}"
        assert count(store, q) == 1
    plan_iri = ITEM + _remap(plan.SOPInstanceUID)
    for path, cls in (
        (f"beam/{plan.BeamSequence[0].BeamNumber}", "Beam"),
        (f"fraction-group/{plan.FractionGroupSequence[0].FractionGroupNumber}", "FractionGroup"),
        (f"dose-reference/{plan.DoseReferenceSequence[1].DoseReferenceNumber}", "DoseReference"),
    ):
        assert count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ <{plan_iri}/{path}> a dcmo:{cls} }}") == 1


def test_references_by_number_resolve_to_nodes_of_the_right_type(pydicom_conversion, demo_conversion) -> None:
    """RTSTRUCT ReferencedROINumber -> ROI, RTPLAN ReferencedBeamNumber -> beam, RTDOSE
    ReferencedFractionGroupNumber -> the referenced plan's fraction group, RTPLAN dose reference
    ReferencedROINumber -> the referenced structure set's ROI: each edge's target exists with its
    class, whenever the object it belongs to was converted."""
    seen: dict[str, int] = {}
    for _, out in (pydicom_conversion, demo_conversion):
        store = store_of(out)
        instances = {
            r[0].value
            for r in store.query("SELECT ?i WHERE { ?i a <https://w3id.org/fairify/dicom/model#Instance> }")
        }
        for edge, (cls, segment) in NUMBER_EDGES.items():
            for s, t in number_edges(store, edge):
                owner, _, number = t.rpartition(f"/{segment}/")
                assert number.isdigit() and owner.startswith(ITEM), (edge, t)
                if owner not in instances:  # a plan or structure set outside the converted files
                    continue
                assert count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ <{t}> a dcmo:{cls} }}") == 1, (
                    edge,
                    s,
                    t,
                )
                seen[edge] = seen.get(edge, 0) + 1
    # pydicom: rtstruct 3 contours + 3 observations, rtplan 1 beam; demo per patient: 8 + 8 ROIs,
    # 2 beams, the plan's dose reference ROI, the dose's fraction group
    assert seen["referencedROI"] == 6 + 5 * (8 + 8 + 1)
    assert seen["referencedBeam"] >= 1 + 5 * 2
    assert seen["referencedFractionGroup"] == 5


def test_rtdose_fraction_group_edge_is_derived_from_the_referenced_plan(pydicom_conversion) -> None:
    """pydicom's rtdose.dcm names a plan that is not among the files: the edge still goes to the IRI
    that plan's fraction group would have (its remapped UID + the number)."""
    _, out = pydicom_conversion
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dose = pydicom.dcmread(PYDICOM_FILES / "rtdose.dcm")
    ref = dose.ReferencedRTPlanSequence[0]
    group = ref.ReferencedFractionGroupSequence[0]
    plan = ITEM + _remap(ref.ReferencedSOPInstanceUID)
    edges = dict(number_edges(store_of(out), "referencedFractionGroup"))
    assert f"{plan}/fraction-group/{group.ReferencedFractionGroupNumber}" in edges.values()
    beam = group.ReferencedBeamSequence[0].ReferencedBeamNumber
    assert f"{plan}/beam/{beam}" in dict(number_edges(store_of(out), "referencedBeam")).values()


def test_cross_object_edges_resolve_across_separate_runs(tmp_path: Path) -> None:
    """Plans and doses converted in different runs (as different batches or workers would):
    the doses' fraction group edges and the plans' ROI edges resolve once the graphs meet."""
    for name in ("RTPLAN.dcm", "RTDOSE.dcm", "RTSTRUCT.dcm"):
        folder = tmp_path / name.removesuffix(".dcm")
        for patient in sorted(p for p in DEMO_DICOM.iterdir() if p.is_dir()):
            (folder / patient.name).mkdir(parents=True)
            (folder / patient.name / name).write_bytes((patient / name).read_bytes())
        convert_dicom(folder, tmp_path / f"{name}.nq", secret=SECRET, processes=2, batch_files=1)
    store = store_of(*(tmp_path / f"{n}.nq" for n in ("RTPLAN.dcm", "RTDOSE.dcm", "RTSTRUCT.dcm")))
    fg = """SELECT (COUNT(*) AS ?n) WHERE { ?dose dcmo:referencesPlan ?plan ;
        <https://w3id.org/fairify/dicom#300C0002>/<https://w3id.org/fairify/dicom#300C0020> ?ref .
        ?ref dcmo:referencedFractionGroup ?fg . ?plan <https://w3id.org/fairify/dicom#300A0070> ?fg .
        ?fg a dcmo:FractionGroup }"""
    assert count(store, fg) == 5
    roi = """SELECT (COUNT(*) AS ?n) WHERE { ?plan dcmo:referencesStructureSet ?ss ;
        <https://w3id.org/fairify/dicom#300A0010> ?dr . ?dr dcmo:referencedROI ?roi .
        ?ss dcmo:hasROI ?roi . ?roi a dcmo:ROI ; dcmo:interpretedType "PTV" }"""
    assert count(store, roi) == 5


def identifying_values(datasets: dict[Path, pydicom.Dataset]) -> dict[str, set[str]]:
    policy = Policy(Profile())
    found: dict[str, set[str]] = {"name": set(), "id": set(), "birth": set(), "uid": set()}
    for ds in datasets.values():
        for elem in ds.iterall():
            if elem.tag == 0x00100010 and str(elem.value).strip():
                name = str(elem.value).strip()
                found["name"].add(name)
                found["name"].update(
                    p for p in re.split(r"[\^= ]+", name) if len(p) >= 5 and p != "Anonymized"
                )
            elif elem.tag == 0x00100020 and str(elem.value).strip():
                v = str(elem.value).strip()
                if not (v.isdigit() and len(v) < 6):  # short numbers cannot be told from other numbers
                    found["id"].add(v)
            elif elem.tag == 0x00100030 and str(elem.value).strip():
                v = str(elem.value).strip()
                found["birth"].update({v, f"{v[:4]}-{v[4:6]}-{v[6:8]}"})
        found["uid"] |= {u for u in uid_values(ds, policy) if len(u) >= 6}  # "0" is in every number
    return found


@pytest.mark.parametrize("which", ["pydicom", "demo"])
def test_no_identifier_or_original_uid_anywhere_in_the_output(
    which, pydicom_conversion, demo_conversion
) -> None:
    _result, out = pydicom_conversion if which == "pydicom" else demo_conversion
    root = PYDICOM_FILES if which == "pydicom" else DEMO_DICOM
    data = out.read_bytes() + out.with_name(out.name.replace(".nq", ".prov.nq")).read_bytes()
    values = identifying_values(read_all(root))
    assert values["name"] and values["id"] and values["uid"]
    if which == "pydicom":  # the files read without a meta header (big endian too) are scanned
        assert {"1.2.333.4444.5.6.7.8", "1.2.826.0.1.3680043.8.498.2010020400001"} <= values["uid"]
    if which == "demo":
        assert len(values["birth"]) == 10
    leaks = {kind: sorted(v for v in vs if boundary(v).search(data)) for kind, vs in values.items()}
    assert leaks == {"name": [], "id": [], "birth": [], "uid": []}
    for word in (b"Demo Radiotherapy Institute", b"Grey", b"Planner", b"Tech^Demo", b"Who^Doctor"):
        assert word not in data


def test_bad_files_are_reported_and_the_rest_converts(pydicom_conversion) -> None:
    result, _ = pydicom_conversion
    reasons = {Path(p.path).name: p.reason for p in result.skipped}
    assert "not a DICOM file" in reasons["README.txt"]
    assert "not a DICOM file" in reasons["zipMR.gz"]
    assert "no SOP Instance UID" in reasons["nested_priv_SQ.dcm"]
    warned = {(Path(p.path).name, p.tag): p.reason for p in result.warnings}
    assert "flagged raw value" in warned[("badVR.dcm", "NumberOfFrames (0028,0008)")]
    assert "cannot be read" in warned[("rtplan_truncated.dcm", "BeamSequence (300A,00B0)")]
    assert "no DICOM preamble" in warned[("rtstruct.dcm", None)]
    assert "no DICOM preamble" in warned[("ExplVR_BigEndNoMeta.dcm", None)]  # big endian, converted
    assert result.directories == 8  # the DICOMDIR files, whose listed files are converted anyway
    assert (
        result.files
        == count_files(PYDICOM_FILES)
        == result.converted + result.directories + result.skipped_count
    )
    assert not result.ok


def test_a_flagged_value_is_kept_raw_and_typed_as_unparsed(pydicom_conversion) -> None:
    _, out = pydicom_conversion
    assert b'"1A"^^<https://w3id.org/fairify/dicom/model#Unparsed>' in out.read_bytes()


def test_values_are_typed_by_vr(demo_conversion) -> None:
    _, out = demo_conversion
    text = out.read_text()
    assert re.search(r'#300A0026> "\d+"\^\^<http://www.w3.org/2001/XMLSchema#decimal>', text)  # DS
    assert re.search(
        r'#3004000E> "1.0e-4"\^\^<http://www.w3.org/2001/XMLSchema#double>', text
    )  # DS with exponent
    assert re.search(r'#00080020> "\d{4}-\d\d-\d\d"\^\^<http://www.w3.org/2001/XMLSchema#date>', text)
    assert re.search(r'#00080030> "09:30:00"\^\^<http://www.w3.org/2001/XMLSchema#time>', text)
    assert re.search(r'#00280010> "512"\^\^<http://www.w3.org/2001/XMLSchema#integer>', text)  # US
    assert re.search(
        r'#00200032> "\[-250.0,-250.0,-40.0\]"\^\^<http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON>', text
    )
    assert "#00080016> <urn:oid:1.2.840.10008.5.1.4.1.1.481.5>" in text  # a SOP Class UID stays
    assert "#30060050>" not in text and "#300A0111>" not in text  # ContourData, control points


def test_dicomdir_source_converts_the_files_it_lists(tmp_path: Path) -> None:
    dicomdir = PYDICOM_FILES / "dicomdirtests" / "DICOMDIR"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        records = pydicom.dcmread(dicomdir).DirectoryRecordSequence
    listed = {tuple(r.ReferencedFileID) for r in records if "ReferencedFileID" in r}
    result = convert_dicom(dicomdir, tmp_path / "dir.nq", secret=SECRET, processes=1)
    assert result.converted == len(listed) == 31 and result.ok


def test_parallel_and_repeated_runs_give_the_same_graph(tmp_path: Path, demo_conversion) -> None:
    _, out = demo_conversion
    again = convert_dicom(DEMO_DICOM, tmp_path / "p.nq", secret=SECRET, processes=2, batch_files=4)
    assert again.ok
    assert sorted(set((tmp_path / "p.nq").read_text().splitlines())) == sorted(
        set(out.read_text().splitlines())
    )


def test_dates_keep_and_shift(tmp_path: Path) -> None:
    keep = convert_dicom(
        DEMO_DICOM, tmp_path / "k.nq", secret=SECRET, processes=1, profile=Profile(dates="keep")
    )
    remove = convert_dicom(
        DEMO_DICOM, tmp_path / "r.nq", secret=SECRET, processes=1, profile=Profile(dates="remove")
    )
    assert keep.ok and remove.ok
    study_dates = {str(ds.StudyDate) for ds in read_all(DEMO_DICOM).values()}
    kept = (tmp_path / "k.nq").read_text()
    assert all(f'"{d[:4]}-{d[4:6]}-{d[6:]}"' in kept for d in study_dates)
    assert "XMLSchema#date>" not in (tmp_path / "r.nq").read_text()
    assert b"DCM/113106" in (tmp_path / "k.prov.nq").read_bytes()


def test_prescription_goes_to_the_roi_the_dose_reference_targets(tmp_path: Path) -> None:
    """queries/imaging_structures.rq follows the plan's dose reference to its ROI: only the targeted
    structures carry a prescribed dose, and it is the one written in the RT Plan."""
    import fairify

    convert_dicom(DEMO_DICOM, store=tmp_path / "store", secret=SECRET, processes=1)
    root = DEMO_DICOM.parents[2]
    fairify.convert(root / "mappings" / "hn_clinical.yarrrml.yml", store=tmp_path / "store", secret=SECRET)
    df = fairify.query("imaging_structures", store=tmp_path / "store")
    ptv = fairify.query("imaging_structures", store=tmp_path / "store", interpreted_type="PTV")
    dosed = df[df["prescribed_dose_gy"].notna()]
    assert len(df) > len(dosed) == len(ptv) and ptv["prescribed_dose_gy"].notna().all()
    plans = [
        pydicom.dcmread(p, stop_before_pixels=True) for p in sorted(DEMO_DICOM.rglob("*")) if p.is_file()
    ]
    prescribed = [
        float(item.TargetPrescriptionDose)
        for ds in plans
        if ds.Modality == "RTPLAN"
        for item in ds.DoseReferenceSequence
    ]
    assert sorted(dosed["prescribed_dose_gy"]) == sorted(prescribed)
