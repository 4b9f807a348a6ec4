"""Synthetic radiotherapy DICOM headers for demo cohort patients (no pixel data, no real person).

For each chosen patient of ``clinical.csv``: a planning CT series (a few slices), an RTSTRUCT
that references the CT series and contours GTV/CTV/PTV and organs at risk (ROI names written in
the mixed spellings clinics use, one with the patient's surname in it, for the cleaning to take
out), an RTPLAN that references the structure set with the patient's prescription (dose and
fractions from ``clinical.csv``) and an RTDOSE that references the plan. Identifying attributes
(name, birth date, institution, operator, physician, accession number) are filled in on purpose:
the conversion must remove them. Deterministic for a seed.
"""

from __future__ import annotations

import csv
import random
import re
from datetime import date, timedelta
from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

UID_ROOT = "1.2.826.0.1.3680043.8.498."  # pydicom's root, as toolkits that make test data use
CT_IMAGE, RT_STRUCT, RT_PLAN, RT_DOSE = (
    "1.2.840.10008.5.1.4.1.1.2",
    "1.2.840.10008.5.1.4.1.1.481.3",
    "1.2.840.10008.5.1.4.1.1.481.5",
    "1.2.840.10008.5.1.4.1.1.481.2",
)
SURNAMES = ("Jansen", "de Vries", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "Bos", "Peters", "Hendriks")
# (ROI name variants, RT ROI Interpreted Type): the spellings of real structure sets.
ROIS = (
    (("GTV", "GTVp", "gtv primary"), "GTV"),
    (("CTV_70", "CTV 70", "ctv70"), "CTV"),
    (("PTV_70", "PTV70 ", "ptv 70Gy"), "PTV"),
    (("Parotid L", "parotid_lt", "L Parotid"), "ORGAN"),
    (("Parotid_R", "RT PAROTID", "parotid rt"), "ORGAN"),
    (("SpinalCord", "Cord", "spinal cord"), "ORGAN"),
    (("BrainStem", "Brainstem", "brain stem"), "ORGAN"),
    (("Mandible", "mandible", "MANDIBLE"), "ORGAN"),
)
CT_SLICES = 4


def choose_patients(clinical: Path, patients: int, seed: int) -> list[dict[str, str]]:
    """Patients with a clean prescription, diagnosis date and T stage, chosen by the seed."""
    with clinical.open(newline="", encoding="utf-8") as f:
        rows = [
            r
            for r in csv.DictReader(f)
            if r["rt_total_dose_gy"].isdigit()
            and r["rt_fractions"].isdigit()
            and re.fullmatch(r"\d{4}-\d\d-\d\d", r["diagnosis_date"])
            and r["t_stage"].upper().startswith("T")
        ]
    return random.Random(seed).sample(rows, min(patients, len(rows)))


def generate(out_dir: Path, clinical: Path, patients: int = 5, seed: int = 42) -> list[Path]:
    """Write the headers under ``out_dir/<patient_id>/``; returns the files written."""
    rng = random.Random(seed)
    written: list[Path] = []
    for n, row in enumerate(choose_patients(clinical, patients, seed)):
        written += _patient(Path(out_dir), row, n, seed, rng)
    return written


def _uid(seed: int, *parts: object) -> str:
    return generate_uid(prefix=UID_ROOT, entropy_srcs=[str(seed), *map(str, parts)])


def _patient(out: Path, row: dict[str, str], n: int, seed: int, rng: random.Random) -> list[Path]:
    pid = row["patient_id"]
    surname = SURNAMES[n % len(SURNAMES)]
    diagnosis = date.fromisoformat(row["diagnosis_date"])
    scan = diagnosis + timedelta(days=14 + rng.randrange(10))
    age = int(row["age_at_diagnosis"]) if row["age_at_diagnosis"].isdigit() else 60
    sex = "F" if row["sex"].strip().lower().startswith("f") else "M"
    study, frame = _uid(seed, pid, "study"), _uid(seed, pid, "frame")
    series = {k: _uid(seed, pid, "series", k) for k in ("CT", "RTSTRUCT", "RTPLAN", "RTDOSE")}
    ct_uids = [_uid(seed, pid, "ct", i) for i in range(CT_SLICES)]
    ss_uid, plan_uid, dose_uid = (_uid(seed, pid, k) for k in ("rtstruct", "rtplan", "rtdose"))
    folder = out / pid
    common = {
        "PatientName": f"{surname}^Demo{n + 1}",
        "PatientID": pid,
        "PatientBirthDate": f"{diagnosis.year - age}{diagnosis.month:02d}{min(diagnosis.day, 28):02d}",
        "PatientSex": sex,
        "StudyInstanceUID": study,
        "StudyDate": scan.strftime("%Y%m%d"),
        "StudyTime": "093000",
        "StudyID": f"RT{n + 1}",
        "StudyDescription": "RT planning head and neck",
        "AccessionNumber": f"A{rng.randrange(10**7):07d}",
        "ReferringPhysicianName": "Grey^Meredith",
        "InstitutionName": "Demo Radiotherapy Institute",
        "Manufacturer": "fairify demo",
    }
    files = []
    for i, uid in enumerate(ct_uids):
        ds = _dataset(CT_IMAGE, uid, "CT", series["CT"], common)
        ds.SeriesDescription = "Planning CT H&N 2mm"
        ds.SeriesNumber = 1
        ds.InstanceNumber = i + 1
        ds.FrameOfReferenceUID = frame
        ds.PositionReferenceIndicator = ""
        ds.ImagePositionPatient = [-250.0, -250.0, -40.0 + 2.0 * i]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.SliceThickness = "2.0"
        ds.KVP = "120"
        ds.Rows, ds.Columns = 512, 512
        ds.PixelSpacing = [0.9765625, 0.9765625]
        ds.OperatorsName = "Tech^Demo"
        files.append(_write(ds, folder / "CT" / f"CT{i + 1:03d}.dcm"))
    # RTSTRUCT: references the CT series through its frame of reference
    ss = _dataset(RT_STRUCT, ss_uid, "RTSTRUCT", series["RTSTRUCT"], common)
    ss.SeriesNumber = 2
    ss.StructureSetLabel = "HN plan"
    ss.StructureSetName = f"HN {surname}"
    ss.StructureSetDate = scan.strftime("%Y%m%d")
    ss.StructureSetTime = "110000"
    images = Sequence([_ref(CT_IMAGE, u) for u in ct_uids])
    rt_series = Dataset()
    rt_series.SeriesInstanceUID = series["CT"]
    rt_series.ContourImageSequence = images
    rt_study = _ref("1.2.840.10008.3.1.2.3.1", study)
    rt_study.RTReferencedSeriesSequence = Sequence([rt_series])
    ref_frame = Dataset()
    ref_frame.FrameOfReferenceUID = frame
    ref_frame.RTReferencedStudySequence = Sequence([rt_study])
    ss.ReferencedFrameOfReferenceSequence = Sequence([ref_frame])
    rois, contours, observations = [], [], []
    for number, (names, kind) in enumerate(ROIS, start=1):
        name = names[rng.randrange(len(names))]
        if number == len(ROIS):
            name = f"{name} {surname}"  # a surname in a descriptor: the cleaning takes it out
        roi = Dataset()
        roi.ROINumber = number
        roi.ReferencedFrameOfReferenceUID = frame
        roi.ROIName = name
        roi.ROIGenerationAlgorithm = "MANUAL"
        rois.append(roi)
        contour = Dataset()
        contour.ROIDisplayColor = [rng.randrange(256) for _ in range(3)]
        contour.ReferencedROINumber = number
        c = Dataset()
        c.ContourGeometricType = "CLOSED_PLANAR"
        c.NumberOfContourPoints = 3
        c.ContourData = [0.0, 0.0, -40.0, 10.0, 0.0, -40.0, 0.0, 10.0, -40.0]
        c.ContourImageSequence = Sequence([_ref(CT_IMAGE, ct_uids[0])])
        contour.ContourSequence = Sequence([c])
        contours.append(contour)
        obs = Dataset()
        obs.ObservationNumber = number
        obs.ReferencedROINumber = number
        obs.RTROIInterpretedType = kind
        obs.ROIInterpreter = "Who^Doctor"
        observations.append(obs)
    ss.StructureSetROISequence = Sequence(rois)
    ss.ROIContourSequence = Sequence(contours)
    ss.RTROIObservationsSequence = Sequence(observations)
    files.append(_write(ss, folder / "RTSTRUCT.dcm"))
    # RTPLAN: references the structure set; the prescription of clinical.csv
    dose, fractions = int(row["rt_total_dose_gy"]), int(row["rt_fractions"])
    plan = _dataset(RT_PLAN, plan_uid, "RTPLAN", series["RTPLAN"], common)
    plan.SeriesNumber = 3
    plan.RTPlanLabel = f"HN{dose}"
    plan.RTPlanName = f"H&N {dose} Gy"
    plan.RTPlanDate = (scan + timedelta(days=3)).strftime("%Y%m%d")
    plan.RTPlanGeometry = "PATIENT"
    plan.OperatorsName = "Planner^Demo"
    plan.ApprovalStatus = "APPROVED"
    plan.ReferencedStructureSetSequence = Sequence([_ref(RT_STRUCT, ss_uid)])
    target = Dataset()
    target.DoseReferenceNumber = 1
    target.DoseReferenceStructureType = "VOLUME"
    target.DoseReferenceDescription = "PTV_70"
    target.DoseReferenceType = "TARGET"
    target.TargetPrescriptionDose = str(dose)
    target.ReferencedROINumber = 3
    plan.DoseReferenceSequence = Sequence([target])
    group = Dataset()
    group.FractionGroupNumber = 1
    group.NumberOfFractionsPlanned = fractions
    group.NumberOfBeams = 2
    group.NumberOfBrachyApplicationSetups = 0
    beams_ref = []
    for b in (1, 2):
        rb = Dataset()
        rb.ReferencedBeamNumber = b
        rb.BeamDose = f"{dose / fractions / 2:.4f}"
        rb.BeamMeterset = "150.0"
        beams_ref.append(rb)
    group.ReferencedBeamSequence = Sequence(beams_ref)
    plan.FractionGroupSequence = Sequence([group])
    beams = []
    for b, angle in ((1, 0.0), (2, 180.0)):
        beam = Dataset()
        beam.BeamNumber = b
        beam.BeamName = f"G{int(angle)}"
        beam.BeamType = "DYNAMIC"
        beam.RadiationType = "PHOTON"
        beam.TreatmentMachineName = "Linac1"
        beam.NumberOfControlPoints = 2
        cps = []
        for k in range(2):
            cp = Dataset()
            cp.ControlPointIndex = k
            cp.GantryAngle = str(angle)
            cp.CumulativeMetersetWeight = str(float(k))
            cps.append(cp)
        beam.ControlPointSequence = Sequence(cps)
        beams.append(beam)
    plan.BeamSequence = Sequence(beams)
    files.append(_write(plan, folder / "RTPLAN.dcm"))
    # RTDOSE: references the plan
    rd = _dataset(RT_DOSE, dose_uid, "RTDOSE", series["RTDOSE"], common)
    rd.SeriesNumber = 4
    rd.FrameOfReferenceUID = frame
    rd.DoseUnits = "GY"
    rd.DoseType = "PHYSICAL"
    rd.DoseSummationType = "PLAN"
    rd.DoseGridScaling = "1.0e-4"
    rd.GridFrameOffsetVector = [0.0, 2.0, 4.0, 6.0]
    ref_plan = _ref(RT_PLAN, plan_uid)
    ref_group = Dataset()
    ref_group.ReferencedFractionGroupNumber = 1
    ref_plan.ReferencedFractionGroupSequence = Sequence([ref_group])
    rd.ReferencedRTPlanSequence = Sequence([ref_plan])
    files.append(_write(rd, folder / "RTDOSE.dcm"))
    return files


def _ref(sop_class: str, sop_instance: str) -> Dataset:
    d = Dataset()
    d.ReferencedSOPClassUID = sop_class
    d.ReferencedSOPInstanceUID = sop_instance
    return d


def _dataset(
    sop_class: str, sop_instance: str, modality: str, series: str, common: dict[str, str]
) -> Dataset:
    ds = Dataset()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_instance
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = UID_ROOT + "1"
    meta.ImplementationVersionName = "FAIRIFY_DEMO"
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_instance
    ds.Modality = modality
    ds.SeriesInstanceUID = series
    for k, v in common.items():
        setattr(ds, k, v)
    return ds


def _write(ds: Dataset, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path
