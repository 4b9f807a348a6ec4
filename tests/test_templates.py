"""The templates in queries/ on the demo store return what pandas computes from the source tables.

The pandas side reads the raw CSV exports and applies the value-map tables itself (as
tests/test_cohort.py does): the two sides share only the data and the lookup tables.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

import fairify
from fairify.query import list_templates
from tests.demo_stores import DATA, demo_store
from tests.test_cohort import NULLS, value_map

NCIT = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl#"
T3, POSITIVE = NCIT + "C48728", NCIT + "C128839"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_store(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def clinical() -> pd.DataFrame:
    df = pd.read_csv(DATA / "clinical.csv", dtype=str, keep_default_na=False)
    for column in ("t_stage", "hpv_status", "tumour_site"):
        codes = df[column].where(~df[column].isin(NULLS)).str.strip().str.lower()
        df[column + "_iri"] = codes.map(value_map(column))
    return df


def integers(s: pd.Series) -> pd.Series:
    s = s.str.strip()
    return pd.to_numeric(s.where(s.str.fullmatch(r"[+-]?\d+")), errors="coerce").astype("Int64")


def test_every_template_reads_and_runs(store: Path) -> None:
    for t in list_templates():
        df = fairify.query(t.name, store=store)
        assert list(df.columns) == [c for c in t.columns if c not in t.params], t.name


def test_cohort_by_stage(store: Path, clinical: pd.DataFrame) -> None:
    df = fairify.query("cohort_by_stage", store=store)
    expected = {k: v for k, v in Counter(clinical["t_stage_iri"].dropna()).items() if v >= 10}
    assert dict(zip(df["t_stage"].astype(str), df["patients"], strict=True)) == expected


def test_counts_by_site_and_stage(store: Path, clinical: pd.DataFrame) -> None:
    df = fairify.query("counts_by_site_stage", store=store)
    both = clinical.dropna(subset=["tumour_site_iri", "t_stage_iri"])
    counts = both.groupby(["tumour_site_iri", "t_stage_iri"]).size()
    assert (counts < 10).any()  # there are small cells, and they are not returned
    expected = {k: v for k, v in counts.items() if v >= 10}
    got = dict(
        zip(zip(df["site"].astype(str), df["t_stage"].astype(str), strict=True), df["patients"], strict=True)
    )
    assert got == expected
    ages = integers(both["age_at_diagnosis"])
    both = both.assign(age=ages.where((ages >= 0) & (ages <= 120)))
    means = both.groupby(["tumour_site_iri", "t_stage_iri"])["age"].mean()
    for site, stage, mean in zip(
        df["site"].astype(str), df["t_stage"].astype(str), df["mean_age"], strict=True
    ):
        assert mean == pytest.approx(float(means[(site, stage)]))


def test_cohort_survival(store: Path, clinical: pd.DataFrame) -> None:
    df = fairify.query("cohort_survival", store=store, tstage="T3", hpv="positive", min_age=40, max_age=70)
    age, days = integers(clinical["age_at_diagnosis"]), integers(clinical["overall_survival_days"])
    mask = (
        (clinical["t_stage_iri"] == T3)
        & (clinical["hpv_status_iri"] == POSITIVE)
        & age.between(40, 70).fillna(False)
        & days.notna()
    )
    assert len(df) == mask.sum() > 0
    assert sorted(df["age"].tolist()) == sorted(age[mask].tolist())
    assert sorted(df["survival_days"].tolist()) == sorted(days[mask].tolist())
    assert str(df["survival_days"].dtype) == "Int64" and str(df["deceased"].dtype) == "boolean"


def test_dose_fractionation(store: Path, clinical: pd.DataFrame) -> None:
    df = fairify.query("dose_fractionation", store=store)
    dose = pd.to_numeric(clinical["rt_total_dose_gy"].str.strip(), errors="coerce")
    assert len(df) == dose.notna().sum()
    assert df["dose_gy"].sum() == pytest.approx(dose.sum())
    fractions = integers(clinical["rt_fractions"])
    only35 = fairify.query("dose_fractionation", store=store, n_fractions=35)
    assert len(only35) == ((fractions == 35) & dose.notna()).sum()
    assert (only35["dose_per_fraction_gy"] == only35["dose_gy"] / 35).all()


def test_data_completeness(store: Path, clinical: pd.DataFrame) -> None:
    df = fairify.query("data_completeness", store=store)
    got = dict(zip(df["variable"].astype(str), df["with_value"], strict=True))
    roo = "http://www.cancerdata.org/roo/"
    assert got[roo + "P100016"] == (~clinical["age_at_diagnosis"].isin(NULLS)).sum()
    assert got[roo + "P100022"] == clinical["hpv_status_iri"].notna().sum()
    assert got[roo + "P100244"] == clinical["t_stage_iri"].notna().sum()
    assert (df["patients"] == len(clinical)).all()
    assert df["completeness"].between(0, 1).all()
