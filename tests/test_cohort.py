"""The demo cohort end to end: what SPARQL counts in the graph equals what pandas counts in the CSV.

The pandas side reads the raw export and applies the value-map tables itself, so the two sides
share only the data and the lookup tables, not code.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd
import pyoxigraph as ox
import pytest

import fairify
from tests.conftest import ROOT

MAPPINGS = ROOT / "mappings"
DATA = ROOT / "examples" / "demo" / "data"
NULLS = {"", "NA", "n/a", "unknown", "Unknown"}
SECRET = b"test-secret-for-the-demo-cohort-0001"
NCIT = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl#"
PREFIXES = f"PREFIX ncit: <{NCIT}>\nPREFIX roo: <http://www.cancerdata.org/roo/>\n"


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> tuple[Path, ox.Store]:
    out = tmp_path_factory.mktemp("cohort") / "clinical.nq"
    fairify.convert(MAPPINGS / "hn_clinical.rml.ttl", out, secret=SECRET)
    store = ox.Store()
    store.bulk_load(path=str(out), format=ox.RdfFormat.N_QUADS)
    return out, store


@pytest.fixture(scope="module")
def clinical() -> pd.DataFrame:
    return pd.read_csv(DATA / "clinical.csv", dtype=str, keep_default_na=False)


def value_map(column: str) -> dict[str, str]:
    table = pd.read_csv(MAPPINGS / "valuemaps" / f"{column}.csv", dtype=str, keep_default_na=False)
    return {c.strip().lower(): i for c, i in zip(table["code"], table["iri"], strict=True) if i}


def pandas_counts(df: pd.DataFrame, column: str) -> Counter:
    mapping = value_map(column)
    codes = df[column][~df[column].isin(NULLS)].str.strip().str.lower()
    return Counter(mapping[c] for c in codes if c in mapping)


def sparql_counts(store: ox.Store, path: str, generic: str) -> Counter:
    q = PREFIXES + (
        f"SELECT ?class (COUNT(DISTINCT ?patient) AS ?n) WHERE {{ ?patient a ncit:C16960 ; {path} ?node . "
        f"?node a ?class . FILTER(?class != {generic}) }} GROUP BY ?class"
    )
    return Counter({r["class"].value: int(r["n"].value) for r in store.query(q)})


def test_one_patient_node_per_row(converted, clinical) -> None:
    _, store = converted
    rows = list(store.query(PREFIXES + "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a ncit:C16960 }"))
    assert int(rows[0]["n"].value) == len(clinical) == 500


@pytest.mark.parametrize(
    ("column", "path", "generic"),
    [
        ("t_stage", "roo:P100029/roo:P100244", "ncit:C48885"),
        ("n_stage", "roo:P100029/roo:P100242", "ncit:C48884"),
        ("m_stage", "roo:P100029/roo:P100241", "ncit:C48883"),
        ("hpv_status", "roo:P100022", "<urn:none>"),
        ("sex", "roo:P100018", "ncit:C28421"),
        ("smoking_status", "roo:P100306", "ncit:C19796"),
        ("tumour_site", "roo:P100029/roo:P100202", "<urn:none>"),
    ],
)
def test_counts_per_code_equal_pandas(converted, clinical, column: str, path: str, generic: str) -> None:
    _, store = converted
    expected = pandas_counts(clinical, column)
    assert expected, f"no coded values found for {column}"
    assert sparql_counts(store, path, generic) == expected


def test_ages_equal_pandas(converted, clinical) -> None:
    _, store = converted
    ages = pd.to_numeric(clinical["age_at_diagnosis"], errors="coerce").dropna().astype(int)
    q = PREFIXES + (
        "SELECT (COUNT(?a) AS ?n) (SUM(?a) AS ?sum) WHERE { ?p a ncit:C16960 ; roo:P100016 ?age . "
        "?age roo:P100042 ?a . FILTER(isNumeric(?a)) }"
    )
    row = next(iter(store.query(q)))
    assert int(row["n"].value) == len(ages)
    assert int(row["sum"].value) == int(ages.sum())


def test_every_treatment_row_is_a_procedure(converted) -> None:
    _, store = converted
    treatments = pd.read_csv(DATA / "treatments.csv", dtype=str, keep_default_na=False)
    q = PREFIXES + "SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE { ?p a ncit:C16960 ; roo:P100024 ?e }"
    assert int(next(iter(store.query(q)))["n"].value) == len(treatments)


def test_no_raw_identifier_reaches_the_graph(converted, clinical) -> None:
    out, _ = converted
    text = out.read_text(encoding="utf-8")
    assert not [pid for pid in clinical["patient_id"] if pid.strip() and pid.strip() in text]
    prov = out.with_name("clinical.prov.nq").read_text(encoding="utf-8")
    assert not [pid for pid in clinical["patient_id"] if pid.strip() and pid.strip() in prov]


def test_pseudonyms_depend_on_the_secret(tmp_path: Path, converted) -> None:
    out, _ = converted
    other = tmp_path / "other.nq"
    fairify.convert(
        MAPPINGS / "hn_clinical.rml.ttl", other, secret=b"another-secret-entirely-000001", provenance=False
    )
    first = {line.split(" ", 1)[0] for line in out.read_text().splitlines()}
    second = {line.split(" ", 1)[0] for line in other.read_text().splitlines()}
    assert not first & second


def test_planted_conversion_errors_are_reported_by_row(tmp_path: Path) -> None:
    result = fairify.convert(
        MAPPINGS / "hn_clinical.rml.ttl", tmp_path / "out.nq", secret=SECRET, provenance=False
    )
    planted = pd.read_csv(DATA / "planted_errors.csv", dtype=str, keep_default_na=False)
    detectable = planted[planted["problem"].isin(["invalid_date", "not_a_number", "unknown_code"])]
    reported = {
        (Path(issue.file).name, row, issue.field) for issue in result.issues for row, _ in issue.examples
    }
    expected = {
        (f, int(r), c)
        for f, r, c in zip(detectable["file"], detectable["row"], detectable["column"], strict=True)
    }
    assert reported == expected


def test_yarrrml_and_rml_give_isomorphic_output(tmp_path: Path) -> None:
    from tests.engine.test_rml_conformance import isomorphic_datasets, load_dataset

    a, b = tmp_path / "a.nq", tmp_path / "b.nq"
    fairify.convert(MAPPINGS / "hn_clinical.yarrrml.yml", a, secret=SECRET, provenance=False)
    fairify.convert(MAPPINGS / "hn_clinical.rml.ttl", b, secret=SECRET, provenance=False)
    assert isomorphic_datasets(load_dataset(a), load_dataset(b))
