"""A synthetic head-and-neck cancer cohort that looks like a hospital export.

The demo and the benchmarks need data with the shape and the mess of real radiotherapy tables
(TCIA HNSCC / RADCURE style) without touching patient records. ``generate_cohort`` writes

- ``clinical.csv``: one row per patient (17 columns: identifier, demographics, TNM, stage, HPV,
  smoking, ECOG, treatment summary, diagnosis date, overall survival);
- ``treatments.csv``: one row per radiotherapy, chemotherapy, surgery or follow-up event;
- ``planted_errors.csv``: every impossible value put in on purpose, by file, row (RFC 7111: the
  header is row 1), column, value and problem, so that tests can check validation finds them.

Values are correlated the way clinicians expect (HPV-positive tumours are mostly oropharyngeal
and survive longer; the stage group follows from T, N and M; chemotherapy goes with advanced
stage) and written with the usual mess: codes in several spellings and cases, stray spaces,
``NA``/``n/a``/empty cells, two date formats. Apart from the planted errors, every code the
generator writes is listed in the demo mapping's value maps, so a conversion reports exactly the
planted problems. Output is byte-identical for a seed; it is built column-wise with numpy and
pyarrow in chunks of ``CHUNK_PATIENTS``, so a million patients take seconds and little memory.
"""

from __future__ import annotations

import argparse
import csv
import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

CHUNK_PATIENTS = 50_000
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "examples" / "demo" / "data"

CLINICAL_COLUMNS = (
    "patient_id",
    "age_at_diagnosis",
    "sex",
    "tumour_site",
    "t_stage",
    "n_stage",
    "m_stage",
    "ajcc_stage",
    "hpv_status",
    "smoking_status",
    "ecog",
    "chemotherapy",
    "rt_total_dose_gy",
    "rt_fractions",
    "diagnosis_date",
    "overall_survival_days",
    "event",
)
TREATMENT_COLUMNS = ("event_id", "patient_id", "event_type", "event_date", "dose_gy", "fractions", "notes")
PLANTED_COLUMNS = ("file", "row", "column", "value", "problem")

# Tokens a hospital export uses for "no value"; the demo mapping declares them as rml:null.
NULL_TOKENS = ("", "NA", "n/a")
NULL_WEIGHTS = (0.6, 0.3, 0.1)
UNKNOWN_TOKENS = ("unknown", "Unknown")  # hpv_status and smoking_status also say "unknown"

_EPOCH = np.datetime64("1970-01-01", "D")
_FIRST_DIAGNOSIS = int((np.datetime64("2005-01-01", "D") - _EPOCH).astype(int))
_LAST_DIAGNOSIS = int((np.datetime64("2020-12-31", "D") - _EPOCH).astype(int))
_STUDY_END = int((np.datetime64("2023-12-31", "D") - _EPOCH).astype(int))


# ---------------------------------------------------------------------------------------------
# Code lists: each category is written in its canonical spelling most of the time and in one of
# the other spellings otherwise. The value maps in mappings/valuemaps/ list every spelling.


@dataclass(frozen=True)
class Coded:
    """A categorical column: categories, their spellings (canonical first) and the share of variants."""

    categories: tuple[str, ...]
    spellings: tuple[tuple[str, ...], ...]
    variant_share: float = 0.1

    def index(self, category: str) -> int:
        return self.categories.index(category)


SEX = Coded(
    ("male", "female"),
    (("M", "male", "Male", "MALE", "m"), ("F", "female", "Female", "FEMALE", "f")),
    0.15,
)
SITE = Coded(
    ("oropharynx", "larynx", "hypopharynx", "oral cavity", "nasopharynx"),
    (
        ("Oropharynx", "oropharynx", "OROPHARYNX"),
        ("Larynx", "larynx", "LARYNX"),
        ("Hypopharynx", "hypopharynx", "HYPOPHARYNX"),
        ("Oral cavity", "oral cavity", "Oral Cavity", "ORAL CAVITY"),
        ("Nasopharynx", "nasopharynx", "NASOPHARYNX"),
    ),
)
T_STAGE = Coded(
    ("Tis", "T1", "T2", "T3", "T4", "T4a", "T4b", "TX"),
    (
        ("Tis", "TIS", "tis"),
        ("T1", "t1", "1"),
        ("T2", "t2", "2"),
        ("T3", "t3", "3"),
        ("T4", "t4", "4"),
        ("T4a", "T4A", "t4a"),
        ("T4b", "T4B", "t4b"),
        ("TX", "Tx", "tx"),
    ),
    0.15,
)
N_STAGE = Coded(
    ("N0", "N1", "N2", "N2a", "N2b", "N2c", "N3", "NX"),
    (
        ("N0", "n0", "0"),
        ("N1", "n1", "1"),
        ("N2", "n2", "2"),
        ("N2a", "N2A", "n2a"),
        ("N2b", "N2B", "n2b"),
        ("N2c", "N2C", "n2c"),
        ("N3", "n3", "3"),
        ("NX", "Nx", "nx"),
    ),
    0.15,
)
M_STAGE = Coded(("M0", "M1", "MX"), (("M0", "m0", "0"), ("M1", "m1", "1"), ("MX", "Mx", "mx")), 0.1)
STAGE = Coded(
    ("0", "I", "II", "III", "IVA", "IVB", "IVC"),
    (
        ("0", "Stage 0", "stage 0"),
        ("I", "Stage I", "stage i"),
        ("II", "Stage II", "stage ii"),
        ("III", "Stage III", "stage iii"),
        ("IVA", "IVa", "Stage IVA", "stage iva"),
        ("IVB", "IVb", "Stage IVB", "stage ivb"),
        ("IVC", "IVc", "Stage IVC", "stage ivc"),
    ),
)
HPV = Coded(
    ("positive", "negative"),
    (("positive", "Positive", "p16+", "HPV+", "pos"), ("negative", "Negative", "p16-", "HPV-", "neg")),
    0.2,
)
SMOKING = Coded(
    ("never", "former", "current"),
    (
        ("never", "Never", "never smoker", "non-smoker"),
        ("former", "Former", "ex-smoker", "Ex-smoker"),
        ("current", "Current", "current smoker", "Current smoker"),
    ),
)
ECOG = Coded(
    ("0", "1", "2", "3", "4"),
    (("0", "ECOG 0"), ("1", "ECOG 1"), ("2", "ECOG 2"), ("3", "ECOG 3"), ("4", "ECOG 4")),
    0.05,
)
CHEMO = Coded(("yes", "no"), (("yes", "Yes", "Y", "y", "YES"), ("no", "No", "N", "n", "NO")), 0.15)
EVENT = Coded(("0", "1"), (("0",), ("1",)), 0.0)
EVENT_TYPE = Coded(
    ("radiotherapy", "chemotherapy", "surgery", "follow-up"),
    (
        ("radiotherapy", "Radiotherapy", "RT", "radiation"),
        ("chemotherapy", "Chemotherapy", "chemo"),
        ("surgery", "Surgery", "SURGERY"),
        ("follow-up", "Follow-up", "follow up", "FU"),
    ),
)
CODED_COLUMNS: dict[str, Coded] = {
    "sex": SEX,
    "tumour_site": SITE,
    "t_stage": T_STAGE,
    "n_stage": N_STAGE,
    "m_stage": M_STAGE,
    "ajcc_stage": STAGE,
    "hpv_status": HPV,
    "smoking_status": SMOKING,
    "ecog": ECOG,
    "chemotherapy": CHEMO,
    "event": EVENT,
}
TREATMENT_CODED_COLUMNS: dict[str, Coded] = {"event_type": EVENT_TYPE}

# Radiotherapy schedules (total dose Gy, fractions, share): definitive, post-operative, hypofractionated.
RT_SCHEDULES = ((70.0, 35, 0.55), (66.0, 33, 0.12), (60.0, 30, 0.12), (55.0, 20, 0.08), (50.0, 25, 0.08))
RT_SCHEDULES_PALLIATIVE = ((30.0, 10, 0.6), (20.0, 5, 0.4))
RT_NOTES = ("IMRT", "VMAT", "3D-CRT", "")
CHEMO_NOTES = ("cisplatin 100 mg/m2 3-weekly", "cisplatin 40 mg/m2 weekly", "cetuximab", "carboplatin/5-FU")
SURGERY_NOTES = ("primary resection", "neck dissection", "resection and neck dissection", "transoral surgery")
FOLLOW_UP_NOTES = (
    "NED",
    "NED",
    "NED",
    "NED",
    "stable disease",
    "local recurrence",
    "regional recurrence",
    "",
)

# Share of empty/NA cells per clinical column (messy cohorts only).
MISSING_SHARE = {
    "age_at_diagnosis": 0.01,
    "sex": 0.005,
    "tumour_site": 0.01,
    "t_stage": 0.03,
    "n_stage": 0.03,
    "m_stage": 0.05,
    "ajcc_stage": 0.04,
    "hpv_status": 0.04,
    "smoking_status": 0.06,
    "ecog": 0.08,
    "chemotherapy": 0.02,
    "rt_total_dose_gy": 0.02,
    "rt_fractions": 0.02,
    "diagnosis_date": 0.01,
    "overall_survival_days": 0.02,
    "event": 0.01,
}
SPACE_SHARE = 0.02  # coded cells with a stray leading or trailing space
DMY_SHARE = 0.12  # diagnosis dates written DD/MM/YYYY instead of ISO
TREATMENT_DMY_SHARE = 0.05


@dataclass(frozen=True)
class Planted:
    """One kind of impossible value: where it goes and the values written, used in turn."""

    file: str
    column: str
    problem: str
    values: tuple[str, ...]


PLANTED_KINDS = (
    Planted("clinical.csv", "age_at_diagnosis", "out_of_range", ("150", "142")),
    Planted("clinical.csv", "age_at_diagnosis", "not_a_number", ("6O", "58y")),
    Planted("clinical.csv", "overall_survival_days", "out_of_range", ("-42", "-365")),
    Planted("clinical.csv", "rt_total_dose_gy", "out_of_range", ("700", "660")),
    Planted("clinical.csv", "t_stage", "unknown_code", ("T5", "T6")),
    Planted("clinical.csv", "n_stage", "unknown_code", ("N4",)),
    Planted("clinical.csv", "diagnosis_date", "invalid_date", ("31/02/2019", "2019-02-30", "30/02/2018")),
    Planted("treatments.csv", "dose_gy", "out_of_range", ("700",)),
    Planted("treatments.csv", "event_date", "invalid_date", ("31/02/2019", "2020-02-31")),
)
PLANTED_EVERY = 250  # one value of each kind per this many patients
PLANTED_MIN_PATIENTS = 20


def planted_per_kind(patients: int) -> int:
    """How many values of each planted kind a cohort of ``patients`` gets (none below 20 patients)."""
    if patients < PLANTED_MIN_PATIENTS:
        return 0
    return max(1, patients // PLANTED_EVERY)


# ---------------------------------------------------------------------------------------------
# Generation


def generate_cohort(
    out_dir: Path | str, patients: int = 500, seed: int = 42, *, clean: bool = False
) -> dict[str, Path]:
    """Write ``clinical.csv``, ``treatments.csv`` and ``planted_errors.csv`` to ``out_dir``.

    ``clean=True`` writes canonical codes, ISO dates, no missing values and no planted errors
    (``planted_errors.csv`` then has only its header): the variant for speed benchmarks.
    Returns the paths by name (``clinical``, ``treatments``, ``planted_errors``).
    """
    if patients < 1:
        raise ValueError(f"patients must be at least 1, not {patients}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "clinical": out / "clinical.csv",
        "treatments": out / "treatments.csv",
        "planted_errors": out / "planted_errors.csv",
    }
    rng = np.random.default_rng(seed)
    ids = _IdMaker(patients, rng)
    plan = _plan_errors(patients, rng, clean)
    planted: list[tuple[str, int, str, str, str]] = []
    treatment_rows = 0
    with paths["clinical"].open("wb") as cf, paths["treatments"].open("wb") as tf:
        cf.write((",".join(CLINICAL_COLUMNS) + "\n").encode())
        tf.write((",".join(TREATMENT_COLUMNS) + "\n").encode())
        for start in range(0, patients, CHUNK_PATIENTS):
            stop = min(patients, start + CHUNK_PATIENTS)
            truth = _simulate(rng, stop - start)
            patient_ids = ids.take(start, stop)
            clinical = _clinical_cells(rng, truth, patient_ids, clean)
            planted += _plant_clinical(clinical, plan, start, stop)
            _write_rows(cf, [clinical[c] for c in CLINICAL_COLUMNS])
            treatments, rt_rows = _treatment_cells(rng, truth, patient_ids, treatment_rows, clean)
            planted += _plant_treatments(treatments, rt_rows, plan, start, stop, treatment_rows)
            _write_rows(tf, [treatments[c] for c in TREATMENT_COLUMNS])
            treatment_rows += len(treatments["event_id"])
    planted.sort(key=lambda p: (p[0], p[1], p[2]))
    with paths["planted_errors"].open("w", newline="", encoding="utf-8") as pf:
        w = csv.writer(pf, lineterminator="\n")
        w.writerow(PLANTED_COLUMNS)
        w.writerows(planted)
    return paths


def generate_benchmark_csv(path: Path | str, rows: int, seed: int = 42) -> Path:
    """A clean ``clinical.csv`` of ``rows`` patients at ``path`` (17 columns, no mess) for benchmarks."""
    path = Path(path)
    tmp = path.parent / f".{path.name}.cohort"
    written = generate_cohort(tmp, rows, seed, clean=True)
    written["clinical"].replace(path)
    for p in written.values():
        p.unlink(missing_ok=True)
    tmp.rmdir()
    return path


def generate_dicom(
    out_dir: Path | str, patients: int = 5, seed: int = 42, clinical: Path | str | None = None
) -> list[Path]:
    """Synthetic RT headers (CT series, RTSTRUCT, RTPLAN, RTDOSE) for ``patients`` of ``clinical.csv``.

    Their PatientIDs and prescriptions are the cohort's, so the demo can join imaging with the
    clinical graph; see ``fairify.dicom.synthetic``. Returns the files written.
    """
    from fairify.dicom.synthetic import generate

    return generate(
        Path(out_dir), Path(clinical) if clinical else DEFAULT_OUT / "clinical.csv", patients, seed
    )


class _IdMaker:
    """Hospital-style MRNs (``HN-4830217``): unique, not in row order, from an affine permutation."""

    MULTIPLIER = 7_368_787  # coprime with every power of ten

    def __init__(self, patients: int, rng: np.random.Generator):
        self.digits = max(7, len(str(patients)) + 1)
        self.modulus = 10**self.digits
        self.offset = int(rng.integers(0, self.modulus))

    def take(self, start: int, stop: int) -> pa.Array:
        i = np.arange(start, stop, dtype=np.int64)
        numbers = (i * self.MULTIPLIER + self.offset) % self.modulus
        text = pc.utf8_lpad(pa.array(numbers).cast(pa.string()), self.digits, "0")
        return pc.binary_join_element_wise("HN-", text, "")


@dataclass
class _Truth:
    """The true values of a chunk of patients, before they are written down messily."""

    n: int
    age: np.ndarray
    male: np.ndarray
    site: np.ndarray
    hpv_positive: np.ndarray
    hpv_known: np.ndarray
    smoking: np.ndarray
    ecog: np.ndarray
    t: np.ndarray
    n_stage: np.ndarray
    m: np.ndarray
    stage: np.ndarray  # index into STAGE.categories, -1 when it cannot be derived
    chemo: np.ndarray
    dose: np.ndarray
    fractions: np.ndarray
    diagnosis: np.ndarray  # days since 1970-01-01
    survival: np.ndarray  # observed days
    died: np.ndarray
    surgery: np.ndarray


def _pick(rng: np.random.Generator, n: int, probs: Sequence[float]) -> np.ndarray:
    """Indices drawn with the given probabilities (rows of ``probs`` if it is 2-D, one per record)."""
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim == 1:
        return rng.choice(len(p), size=n, p=p / p.sum())
    cum = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(n)[:, None]
    return np.minimum((u > cum).sum(axis=1), p.shape[1] - 1)


def _simulate(rng: np.random.Generator, n: int) -> _Truth:
    site = _pick(rng, n, (0.45, 0.25, 0.10, 0.12, 0.08))
    is_oro = site == SITE.index("oropharynx")
    hpv_positive = rng.random(n) < np.where(is_oro, 0.70, 0.10)
    hpv_known = rng.random(n) < np.where(is_oro, 0.95, 0.75)
    male = rng.random(n) < np.where(hpv_positive, 0.85, 0.75)
    age = np.clip(np.rint(rng.normal(np.where(hpv_positive, 58.0, 64.0), 9.0)), 25, 92).astype(np.int64)
    smoking = _pick(
        rng,
        n,
        np.where(hpv_positive[:, None], [[0.45, 0.40, 0.15]], [[0.12, 0.45, 0.43]]),
    )
    ecog = _pick(rng, n, (0.45, 0.35, 0.13, 0.05, 0.02))
    # T: Tis T1 T2 T3 T4 T4a T4b TX; N: N0 N1 N2 N2a N2b N2c N3 NX; M: M0 M1 MX
    t = _pick(rng, n, (0.01, 0.15, 0.30, 0.25, 0.03, 0.18, 0.05, 0.03))
    n_probs = np.where(
        hpv_positive[:, None],
        [[0.12, 0.15, 0.04, 0.08, 0.38, 0.15, 0.06, 0.02]],
        [[0.38, 0.14, 0.04, 0.05, 0.18, 0.12, 0.06, 0.03]],
    )
    n_stage = _pick(rng, n, n_probs)
    m = _pick(rng, n, (0.93, 0.03, 0.04))
    stage = _stage_group(t, n_stage, m)
    advanced = stage >= STAGE.index("III")
    chemo = rng.random(n) < np.where(advanced, 0.72, 0.12)
    schedule = _pick(rng, n, [s[2] for s in RT_SCHEDULES])
    palliative = (m == M_STAGE.index("M1")) & (rng.random(n) < 0.6)
    pal_schedule = _pick(rng, n, [s[2] for s in RT_SCHEDULES_PALLIATIVE])
    dose = np.where(
        palliative,
        np.array([s[0] for s in RT_SCHEDULES_PALLIATIVE])[pal_schedule],
        np.array([s[0] for s in RT_SCHEDULES])[schedule],
    )
    fractions = np.where(
        palliative,
        np.array([s[1] for s in RT_SCHEDULES_PALLIATIVE])[pal_schedule],
        np.array([s[1] for s in RT_SCHEDULES])[schedule],
    ).astype(np.int64)
    surgery = rng.random(n) < np.array([0.10, 0.20, 0.15, 0.70, 0.02])[site]
    diagnosis = rng.integers(_FIRST_DIAGNOSIS, _LAST_DIAGNOSIS + 1, size=n)
    # Proportional hazards: HPV-positive tumours do far better, stage/age/ECOG/smoking worse.
    hazard = np.ones(n)
    hazard *= np.where(hpv_positive, 0.35, 1.0)
    hazard *= np.array([0.5, 0.6, 0.8, 1.1, 1.6, 2.0, 4.5, 1.4])[np.maximum(stage, 0) + (stage < 0) * 7]
    hazard *= 1.3 ** ((age - 60) / 10)
    hazard *= np.array([1.0, 1.2, 1.8, 2.6, 3.5])[ecog]
    hazard *= np.where(smoking == SMOKING.index("current"), 1.3, 1.0)
    hazard *= np.where(palliative, 3.0, 1.0)
    death = rng.exponential(365.25 * 7.0 / hazard)
    censor = np.minimum(_STUDY_END - diagnosis, rng.exponential(365.25 * 15.0, size=n))
    died = death <= censor
    survival = np.maximum(1, np.ceil(np.minimum(death, censor))).astype(np.int64)
    return _Truth(
        n=n,
        age=age,
        male=male,
        site=site,
        hpv_positive=hpv_positive,
        hpv_known=hpv_known,
        smoking=smoking,
        ecog=ecog,
        t=t,
        n_stage=n_stage,
        m=m,
        stage=stage,
        chemo=chemo,
        dose=dose,
        fractions=fractions,
        diagnosis=diagnosis,
        survival=survival,
        died=died,
        surgery=surgery,
    )


def _stage_group(t: np.ndarray, n_stage: np.ndarray, m: np.ndarray) -> np.ndarray:
    """AJCC 7th edition stage group for head and neck (non-nasopharynx rules, applied to all).

    Stage 0: Tis N0; I: T1 N0; II: T2 N0; III: T3 N0 or T1-3 N1; IVA: T4a N0-2 or T1-4a N2;
    IVB: T4b or N3; IVC: M1. MX is staged as M0; TX or NX leaves the group unknown (-1).
    """
    t_rank = np.array([0, 1, 2, 3, 4, 4, 5, -1])[t]  # Tis T1 T2 T3 T4(a) T4b, TX unknown
    n_rank = np.array([0, 1, 2, 2, 2, 2, 3, -1])[n_stage]  # N0 N1 N2* N3, NX unknown
    stage = np.full(len(t), -1, dtype=np.int64)
    ok = (t_rank >= 0) & (n_rank >= 0)
    stage = np.where(ok & (t_rank == 0) & (n_rank == 0), STAGE.index("0"), stage)
    stage = np.where(ok & (t_rank == 1) & (n_rank == 0), STAGE.index("I"), stage)
    stage = np.where(ok & (t_rank == 2) & (n_rank == 0), STAGE.index("II"), stage)
    stage = np.where(
        ok & (t_rank <= 3) & (n_rank <= 1) & ((t_rank == 3) | (n_rank == 1)), STAGE.index("III"), stage
    )
    stage = np.where(
        ok & ((t_rank == 4) & (n_rank <= 2) | (t_rank <= 4) & (n_rank == 2)), STAGE.index("IVA"), stage
    )
    # T4b or N3 is IVB whatever else is unknown; M1 is IVC.
    stage = np.where((t_rank == 5) | (n_rank == 3), STAGE.index("IVB"), stage)
    return np.where(m == M_STAGE.index("M1"), STAGE.index("IVC"), stage)


# ---------------------------------------------------------------------------------------------
# Writing the values down


def _spell(rng: np.random.Generator, coded: Coded, idx: np.ndarray, clean: bool) -> pa.Array:
    """The written form of category indices: canonical mostly, another spelling sometimes."""
    width = max(len(s) for s in coded.spellings)
    table = np.array([list(s) + [s[0]] * (width - len(s)) for s in coded.spellings], dtype=object)
    counts = np.array([len(s) for s in coded.spellings])
    variant = np.zeros(len(idx), dtype=np.int64)
    if not clean and coded.variant_share > 0:
        use = rng.random(len(idx)) < coded.variant_share
        others = counts[idx] - 1
        pick = 1 + np.floor(rng.random(len(idx)) * np.maximum(others, 1)).astype(np.int64)
        variant = np.where(use & (others > 0), pick, 0)
    flat = pa.array(table.ravel().tolist(), pa.string())
    return flat.take(pa.array(idx * width + variant))


def _numbers(values: np.ndarray) -> pa.Array:
    return pa.array(values).cast(pa.string())


def _dose_text(dose: np.ndarray) -> pa.Array:
    """Doses as written in prescriptions: ``70``, or ``52.5`` when not whole."""
    whole = dose == np.floor(dose)
    as_int = pa.array(dose.astype(np.int64)).cast(pa.string())
    return pc.if_else(pa.array(whole), as_int, pa.array(dose).cast(pa.string()))


@functools.cache
def _calendar() -> tuple[int, pa.Array, pa.Array]:
    """Every day from 2000 to 2049 written ISO and DD/MM/YYYY: a lookup beats strftime per cell."""
    first = np.datetime64("2000-01-01", "D")
    days = np.arange(first, np.datetime64("2050-01-01", "D"))
    iso = np.datetime_as_string(days, unit="D").tolist()
    dmy = [f"{d[8:10]}/{d[5:7]}/{d[0:4]}" for d in iso]
    return int((first - _EPOCH).astype(int)), pa.array(iso, pa.string()), pa.array(dmy, pa.string())


def _dates(rng: np.random.Generator, days: np.ndarray, dmy_share: float, clean: bool) -> pa.Array:
    first, iso_table, dmy_table = _calendar()
    index = pa.array(days.astype(np.int64) - first)
    iso = iso_table.take(index)
    if clean:
        return iso
    dmy = dmy_table.take(index)
    return pc.if_else(pa.array(rng.random(len(days)) < dmy_share), dmy, iso)


def _mess(
    rng: np.random.Generator, col: pa.Array, share: float, tokens: Sequence[str] = NULL_TOKENS
) -> pa.Array:
    """Replace a share of cells with missing-value tokens."""
    n = len(col)
    missing = rng.random(n) < share
    weights = NULL_WEIGHTS if tuple(tokens) == NULL_TOKENS else [1.0] * len(tokens)
    which = _pick(rng, n, weights)
    return pc.if_else(pa.array(missing), pa.array(list(tokens), pa.string()).take(pa.array(which)), col)


def _spaces(rng: np.random.Generator, col: pa.Array) -> pa.Array:
    """Put a stray space before or after a few non-empty codes, as typed-in exports have."""
    n = len(col)
    u = rng.random(n)
    nonempty = pc.greater(pc.utf8_length(col), 0)
    lead = pc.and_(pa.array(u < SPACE_SHARE / 2), nonempty)
    trail = pc.and_(pa.array((u >= SPACE_SHARE / 2) & (u < SPACE_SHARE)), nonempty)
    col = pc.if_else(lead, pc.binary_join_element_wise(" ", col, ""), col)
    return pc.if_else(trail, pc.binary_join_element_wise(col, " ", ""), col)


def _clinical_cells(rng: np.random.Generator, t: _Truth, ids: pa.Array, clean: bool) -> dict[str, pa.Array]:
    stage_idx = np.where(t.stage >= 0, t.stage, 0)
    dose = _dose_text(t.dose)
    if not clean:  # some systems export the dose with a decimal point
        dose = pc.if_else(pa.array(rng.random(t.n) < 0.1), pc.binary_join_element_wise(dose, ".0", ""), dose)
    cells = {
        "patient_id": ids,
        "age_at_diagnosis": _numbers(t.age),
        "sex": _spell(rng, SEX, np.where(t.male, 0, 1), clean),
        "tumour_site": _spell(rng, SITE, t.site, clean),
        "t_stage": _spell(rng, T_STAGE, t.t, clean),
        "n_stage": _spell(rng, N_STAGE, t.n_stage, clean),
        "m_stage": _spell(rng, M_STAGE, t.m, clean),
        "ajcc_stage": _spell(rng, STAGE, stage_idx, clean),
        "hpv_status": _spell(rng, HPV, np.where(t.hpv_positive, 0, 1), clean),
        "smoking_status": _spell(rng, SMOKING, t.smoking, clean),
        "ecog": _spell(rng, ECOG, t.ecog, clean),
        "chemotherapy": _spell(rng, CHEMO, np.where(t.chemo, 0, 1), clean),
        "rt_total_dose_gy": dose,
        "rt_fractions": _numbers(t.fractions),
        "diagnosis_date": _dates(rng, t.diagnosis, DMY_SHARE, clean),
        "overall_survival_days": _numbers(t.survival),
        "event": _spell(rng, EVENT, t.died.astype(np.int64), clean),
    }
    if clean:
        return cells
    # Stray spaces go on codes only: a token such as "NA " would no longer read as missing.
    for name in CODED_COLUMNS:
        if name != "event":
            cells[name] = _spaces(rng, cells[name])
    # A stage group that cannot be derived (TX/NX) is left empty, as registries do.
    cells["ajcc_stage"] = pc.if_else(pa.array(t.stage < 0), "", cells["ajcc_stage"])
    cells["hpv_status"] = pc.if_else(
        pa.array(~t.hpv_known), _mess(rng, cells["hpv_status"], 1.0, UNKNOWN_TOKENS), cells["hpv_status"]
    )
    cells["smoking_status"] = _mess(rng, cells["smoking_status"], 0.04, UNKNOWN_TOKENS)
    for name, share in MISSING_SHARE.items():
        cells[name] = _mess(rng, cells[name], share)
    return cells


def _treatment_cells(
    rng: np.random.Generator, t: _Truth, ids: pa.Array, first_row: int, clean: bool
) -> tuple[dict[str, pa.Array], np.ndarray]:
    """Events of a chunk of patients, in patient then date order; also the row of each patient's RT."""
    n = t.n
    patient = np.arange(n)
    surgery_day = t.diagnosis + rng.integers(14, 36, size=n)
    rt_start = np.where(
        t.surgery, surgery_day + rng.integers(35, 57, size=n), t.diagnosis + rng.integers(21, 57, size=n)
    )
    rt_end = rt_start + np.ceil(t.fractions * 7 / 5).astype(np.int64)
    chemo_day = rt_start + rng.integers(0, 4, size=n)
    # Follow-up visits at about 6 weeks, 3, 6, 9, 12 and 18 months after RT, while the patient is seen.
    max_visits = 6
    gaps = np.array([0, 49, 91, 91, 91, 182])[None, :] + rng.integers(-14, 15, size=(n, max_visits))
    visit_day = rt_end[:, None] + 42 + np.cumsum(gaps, axis=1) - gaps[:, :1]
    seen = visit_day < (t.diagnosis + t.survival)[:, None]

    p_parts = [patient]
    d_parts = [rt_start]
    k_parts = [np.full(n, EVENT_TYPE.index("radiotherapy"))]
    has_chemo = np.flatnonzero(t.chemo)
    p_parts.append(has_chemo)
    d_parts.append(chemo_day[has_chemo])
    k_parts.append(np.full(len(has_chemo), EVENT_TYPE.index("chemotherapy")))
    has_surgery = np.flatnonzero(t.surgery)
    p_parts.append(has_surgery)
    d_parts.append(surgery_day[has_surgery])
    k_parts.append(np.full(len(has_surgery), EVENT_TYPE.index("surgery")))
    fu_patient, fu_visit = np.nonzero(seen)
    p_parts.append(fu_patient)
    d_parts.append(visit_day[fu_patient, fu_visit])
    k_parts.append(np.full(len(fu_patient), EVENT_TYPE.index("follow-up")))
    who = np.concatenate(p_parts)
    day = np.concatenate(d_parts)
    kind = np.concatenate(k_parts)
    order = np.lexsort((kind, day, who))
    who, day, kind = who[order], day[order], kind[order]
    m = len(who)

    is_rt = kind == EVENT_TYPE.index("radiotherapy")
    rt_rows = np.empty(n, dtype=np.int64)
    rt_rows[who[is_rt]] = np.flatnonzero(is_rt)
    rt_mask = pa.array(is_rt)
    who_arr = pa.array(who)
    dose = pc.if_else(rt_mask, _dose_text(t.dose).take(who_arr), "")
    fractions = pc.if_else(rt_mask, _numbers(t.fractions).take(who_arr), "")
    notes_by_kind = (RT_NOTES, CHEMO_NOTES, SURGERY_NOTES, FOLLOW_UP_NOTES)
    width = max(len(x) for x in notes_by_kind)
    note_table = pa.array([x[i % len(x)] for x in notes_by_kind for i in range(width)], pa.string())
    note_pick = np.floor(rng.random(m) * np.array([len(x) for x in notes_by_kind])[kind]).astype(np.int64)
    notes = note_table.take(pa.array(kind * width + note_pick))
    numbers = pa.array(np.arange(first_row + 1, first_row + m + 1, dtype=np.int64)).cast(pa.string())
    cells = {
        "event_id": pc.binary_join_element_wise("EV", pc.utf8_lpad(numbers, 8, "0"), ""),
        "patient_id": ids.take(who_arr),
        "event_type": _spell(rng, EVENT_TYPE, kind, clean),
        "event_date": _dates(rng, day, TREATMENT_DMY_SHARE, clean),
        "dose_gy": dose,
        "fractions": fractions,
        "notes": notes,
    }
    if not clean:
        cells["event_type"] = _spaces(rng, cells["event_type"])
        cells["event_date"] = _mess(rng, cells["event_date"], 0.005)
    return cells, rt_rows


# ---------------------------------------------------------------------------------------------
# Planted errors


@dataclass
class _Plan:
    """Which patients (by index in the cohort) get which planted kind, with the value to write."""

    patient: np.ndarray
    kind: np.ndarray
    value: list[str]


def _plan_errors(patients: int, rng: np.random.Generator, clean: bool) -> _Plan:
    k = 0 if clean else planted_per_kind(patients)
    total = k * len(PLANTED_KINDS)
    if total == 0:
        return _Plan(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), [])
    if total > patients:  # small cohorts: one kind per patient, as many kinds as fit
        total = patients
    chosen = np.sort(rng.choice(patients, size=total, replace=False))
    kind = rng.permutation(np.arange(total) % len(PLANTED_KINDS))
    seen: dict[int, int] = {}
    values = []
    for kd in kind.tolist():
        i = seen.get(kd, 0)
        seen[kd] = i + 1
        vals = PLANTED_KINDS[kd].values
        values.append(vals[i % len(vals)])
    return _Plan(chosen, kind, values)


def _plant_clinical(cells: dict[str, pa.Array], plan: _Plan, start: int, stop: int) -> list[tuple]:
    out = []
    sel = np.flatnonzero((plan.patient >= start) & (plan.patient < stop))
    edits: dict[str, tuple[list[int], list[str]]] = {}
    for j in sel.tolist():
        kd = PLANTED_KINDS[int(plan.kind[j])]
        if kd.file != "clinical.csv":
            continue
        local = int(plan.patient[j]) - start
        rows, vals = edits.setdefault(kd.column, ([], []))
        rows.append(local)
        vals.append(plan.value[j])
        out.append((kd.file, int(plan.patient[j]) + 2, kd.column, plan.value[j], kd.problem))
    for column, (rows, vals) in edits.items():
        cells[column] = _replace(cells[column], rows, vals)
    return out


def _plant_treatments(
    cells: dict[str, pa.Array], rt_rows: np.ndarray, plan: _Plan, start: int, stop: int, first_row: int
) -> list[tuple]:
    out = []
    sel = np.flatnonzero((plan.patient >= start) & (plan.patient < stop))
    edits: dict[str, tuple[list[int], list[str]]] = {}
    for j in sel.tolist():
        kd = PLANTED_KINDS[int(plan.kind[j])]
        if kd.file != "treatments.csv":
            continue
        row = int(rt_rows[int(plan.patient[j]) - start])
        rows, vals = edits.setdefault(kd.column, ([], []))
        rows.append(row)
        vals.append(plan.value[j])
        out.append((kd.file, first_row + row + 2, kd.column, plan.value[j], kd.problem))
    for column, (rows, vals) in edits.items():
        cells[column] = _replace(cells[column], rows, vals)
    return out


def _replace(col: pa.Array, rows: list[int], values: list[str]) -> pa.Array:
    mask = np.zeros(len(col), dtype=bool)
    mask[rows] = True
    repl = np.full(len(col), "", dtype=object)
    repl[rows] = values
    return pc.if_else(pa.array(mask), pa.array(repl.tolist(), pa.string()), col)


# ---------------------------------------------------------------------------------------------
# CSV output


def _write_rows(f: BinaryIO, columns: list[pa.Array]) -> None:
    """Join cells with commas and rows with newlines in Arrow and write the bytes in one call.

    No generated value contains a comma, quote or line break, so nothing needs quoting.
    """
    if len(columns[0]) == 0:
        return
    lines = pc.binary_join_element_wise(*columns, ",")
    lines = pc.binary_join_element_wise(lines, "\n", "")
    if lines.null_count:
        raise ValueError("a generated cell is null; every cell must be a string")
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32, count=len(lines) + 1, offset=lines.offset * 4)
    data = lines.buffers()[2]
    f.write(memoryview(data)[offsets[0] : offsets[-1]])


# ---------------------------------------------------------------------------------------------
# Command line


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m fairify.demo``: write the demo cohort (by default into examples/demo/data)."""
    parser = argparse.ArgumentParser(prog="python -m fairify.demo", description=main.__doc__)
    parser.add_argument("--patients", type=int, default=500, help="number of patients (default 500)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})"
    )
    parser.add_argument("--clean", action="store_true", help="canonical codes, no missing values, no errors")
    parser.add_argument(
        "--dicom",
        type=Path,
        help="write synthetic RT DICOM headers for 5 patients of --out's clinical.csv here",
    )
    args = parser.parse_args(argv)
    if args.dicom:
        files = generate_dicom(args.dicom, 5, args.seed, Path(args.out) / "clinical.csv")
        print(f"{len(files)} DICOM files in {args.dicom}")
        return 0
    started = time.perf_counter()
    paths = generate_cohort(args.out, args.patients, args.seed, clean=args.clean)
    seconds = time.perf_counter() - started
    for name, path in paths.items():
        print(f"{name:15} {path}")
    print(f"{args.patients} patients in {seconds:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
