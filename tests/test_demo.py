"""The synthetic head-and-neck cohort: deterministic, shaped and messy like a hospital export,
with exactly the planted errors it lists, and fast enough for million-patient benchmarks."""

from __future__ import annotations

import csv
import resource
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from fairify import demo

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "examples" / "demo" / "data"
VALUEMAPS = ROOT / "mappings" / "valuemaps"
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
NULLS = set(demo.NULL_TOKENS) | set(demo.UNKNOWN_TOKENS)
# clinical/treatment column -> the value map the demo mapping uses for it
VALUE_MAP_OF = {
    "sex": "sex",
    "tumour_site": "tumour_site",
    "t_stage": "t_stage",
    "n_stage": "n_stage",
    "m_stage": "m_stage",
    "ajcc_stage": "ajcc_stage",
    "hpv_status": "hpv_status",
    "smoking_status": "smoking_status",
    "ecog": "ecog",
    "chemotherapy": "chemotherapy",
    "event": "vital_status",
    "event_type": "event_type",
}


def read_rows(path: Path) -> list[list[str]]:
    """All rows, header included, so that list index + 1 is the RFC 7111 row number."""
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def read_dicts(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return demo.generate_cohort(tmp_path_factory.mktemp("cohort"), 500, 42)


@pytest.fixture(scope="module")
def planted(cohort: dict[str, Path]) -> list[dict[str, str]]:
    return read_dicts(cohort["planted_errors"])


def planted_cells(planted: list[dict[str, str]], file: str) -> set[tuple[int, str]]:
    return {(int(p["row"]), p["column"]) for p in planted if p["file"] == file}


# ------------------------------------------------------------------------------------ determinism


def test_same_seed_gives_the_same_bytes(cohort: dict[str, Path], tmp_path: Path) -> None:
    again = demo.generate_cohort(tmp_path, 500, 42)
    for name, path in cohort.items():
        assert again[name].read_bytes() == path.read_bytes(), name


def test_another_seed_gives_another_cohort(cohort: dict[str, Path], tmp_path: Path) -> None:
    other = demo.generate_cohort(tmp_path, 500, 7)
    assert other["clinical"].read_bytes() != cohort["clinical"].read_bytes()


def test_committed_copy_is_what_the_generator_writes(cohort: dict[str, Path]) -> None:
    """examples/demo/data must be regenerated (python -m fairify.demo) when the generator changes."""
    for path in cohort.values():
        committed = COMMITTED / path.name
        assert committed.read_bytes() == path.read_bytes(), (
            f"{committed} is stale: run python -m fairify.demo"
        )


# ------------------------------------------------------------------------------------ shape


def test_columns_and_row_counts(cohort: dict[str, Path]) -> None:
    clinical = read_rows(cohort["clinical"])
    treatments = read_rows(cohort["treatments"])
    assert tuple(clinical[0]) == demo.CLINICAL_COLUMNS
    assert len(demo.CLINICAL_COLUMNS) == 17
    assert tuple(treatments[0]) == demo.TREATMENT_COLUMNS
    assert len(clinical) == 501
    assert len(treatments) > 500  # at least a radiotherapy course per patient
    assert all(len(r) == 17 for r in clinical)
    assert all(len(r) == len(demo.TREATMENT_COLUMNS) for r in treatments)
    assert tuple(read_rows(cohort["planted_errors"])[0]) == demo.PLANTED_COLUMNS


def test_patient_ids_look_like_unique_hospital_numbers(cohort: dict[str, Path]) -> None:
    ids = [r["patient_id"] for r in read_dicts(cohort["clinical"])]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("HN-") and i[3:].isdigit() and len(i) == 10 for i in ids)
    assert ids != sorted(ids)  # not handed out in row order


def test_treatments_link_to_existing_patients(cohort: dict[str, Path]) -> None:
    patients = {r["patient_id"] for r in read_dicts(cohort["clinical"])}
    events = read_dicts(cohort["treatments"])
    assert {e["patient_id"] for e in events} == patients
    assert len({e["event_id"] for e in events}) == len(events)
    radiotherapy = Counter(
        e["patient_id"]
        for e in events
        if e["event_type"].strip().lower() in ("radiotherapy", "rt", "radiation")
    )
    assert set(radiotherapy.values()) == {1} and len(radiotherapy) == len(patients)
    kinds = {e["event_type"].strip().lower() for e in events}
    assert {"radiotherapy", "chemotherapy", "surgery", "follow-up"} <= kinds


def test_clinical_correlations_hold(tmp_path: Path) -> None:
    rows = read_dicts(demo.generate_cohort(tmp_path, 5000, 3, clean=True)["clinical"])
    positive = [r for r in rows if r["hpv_status"] == "positive"]
    negative = [r for r in rows if r["hpv_status"] == "negative"]
    oro = sum(r["tumour_site"] == "Oropharynx" for r in positive) / len(positive)
    assert oro > 0.7, "HPV-positive tumours are mostly oropharyngeal"

    def median_survival(group: list[dict[str, str]]) -> float:
        days = sorted(int(r["overall_survival_days"]) for r in group)
        return days[len(days) // 2]

    def death_rate(group: list[dict[str, str]]) -> float:
        return sum(r["event"] == "1" for r in group) / len(group)

    assert death_rate(positive) < death_rate(negative)
    assert median_survival(positive) > median_survival(negative)
    stage_of_m1 = {r["ajcc_stage"] for r in rows if r["m_stage"] == "M1"}
    assert stage_of_m1 == {"IVC"}
    t4b = {r["ajcc_stage"] for r in rows if r["t_stage"] == "T4b" and r["m_stage"] != "M1"}
    assert t4b == {"IVB"}


# ------------------------------------------------------------------------------------ mess


def test_the_mess_is_there(cohort: dict[str, Path]) -> None:
    rows = read_dicts(cohort["clinical"])
    cells = [v for r in rows for v in r.values()]
    for token in ("NA", "n/a", "", "unknown"):
        assert token in cells, f"no {token!r} cell"
    sexes = {r["sex"].strip() for r in rows}
    assert {"M", "F"} <= sexes and sexes & {"male", "Male", "MALE", "m", "female", "Female", "f"}
    assert any(v != v.strip() for r in rows for v in (r["tumour_site"], r["t_stage"], r["sex"]))
    assert any(r["t_stage"].strip() not in ("", *demo.T_STAGE.categories) for r in rows)  # t2, T4A, ...
    dates = [r["diagnosis_date"] for r in rows]
    assert any("-" in d for d in dates) and any("/" in d for d in dates)


def test_planted_errors_are_in_the_files_at_their_rows(cohort: dict[str, Path], planted: list) -> None:
    files = {
        name: read_rows(cohort[name.removesuffix(".csv")]) for name in ("clinical.csv", "treatments.csv")
    }
    assert planted, "a 500-patient cohort has planted errors"
    for p in planted:
        rows = files[p["file"]]
        header = rows[0]
        row = rows[int(p["row"]) - 1]  # RFC 7111: the header is row 1
        assert row[header.index(p["column"])] == p["value"], p


def test_planted_errors_cover_every_kind(planted: list) -> None:
    kinds = {(p["file"], p["column"], p["problem"]) for p in planted}
    assert kinds == {(k.file, k.column, k.problem) for k in demo.PLANTED_KINDS}
    assert Counter((p["file"], p["column"], p["problem"]) for p in planted).most_common()[-1][1] >= 1
    assert {"150", "-42", "700", "T5", "31/02/2019"} <= {p["value"] for p in planted}


def test_no_problem_but_the_planted_ones(cohort: dict[str, Path], planted: list) -> None:
    """Dates, numbers and codes outside planted_errors.csv are all valid: a conversion of the demo
    reports the planted problems and nothing else."""
    for file, columns in (
        ("clinical.csv", ("age_at_diagnosis", "rt_total_dose_gy", "rt_fractions", "overall_survival_days")),
        ("treatments.csv", ("dose_gy", "fractions")),
    ):
        rows = read_rows(cohort[file.removesuffix(".csv")])
        skip = planted_cells(planted, file)
        header = rows[0]
        for n, row in enumerate(rows[1:], start=2):
            for col in columns:
                value = row[header.index(col)]
                if value in NULLS or (n, col) in skip:
                    continue
                number = float(value)
                assert value == value.strip() and number > 0, (file, n, col, value)
        date_col = "diagnosis_date" if file == "clinical.csv" else "event_date"
        for n, row in enumerate(rows[1:], start=2):
            value = row[header.index(date_col)]
            if value in NULLS or (n, date_col) in skip:
                continue
            assert _parses(value), (file, n, value)
    skip = planted_cells(planted, "clinical.csv")
    for n, r in enumerate(read_dicts(cohort["clinical"]), start=2):
        age = r["age_at_diagnosis"]
        if age not in NULLS and (n, "age_at_diagnosis") not in skip:
            assert 18 <= int(age) <= 100, (n, age)


def _parses(value: str) -> bool:
    for fmt in DATE_FORMATS:
        try:
            datetime.strptime(value, fmt)
            return True
        except ValueError:
            pass
    return False


def _value_map(name: str) -> set[str]:
    with (VALUEMAPS / f"{name}.csv").open(newline="", encoding="utf-8") as f:
        return {r["code"].strip().lower() for r in csv.DictReader(f) if r["iri"].strip()}


def test_every_written_code_is_in_the_value_maps(cohort: dict[str, Path], planted: list) -> None:
    """Only the planted unknown codes are missing from mappings/valuemaps/ (matched trimmed, any case)."""
    for file in ("clinical.csv", "treatments.csv"):
        rows = read_rows(cohort[file.removesuffix(".csv")])
        header = rows[0]
        skip = planted_cells(planted, file)
        for col, table in VALUE_MAP_OF.items():
            if col not in header:
                continue
            codes = _value_map(table)
            for n, row in enumerate(rows[1:], start=2):
                value = row[header.index(col)]
                if value in NULLS or (n, col) in skip:
                    continue
                assert value.strip().lower() in codes, (file, n, col, value)
    for p in planted:
        if p["problem"] == "unknown_code":
            assert p["value"].strip().lower() not in _value_map(VALUE_MAP_OF[p["column"]]), p


def test_every_spelling_the_generator_knows_is_mapped() -> None:
    for col, coded in {**demo.CODED_COLUMNS, **demo.TREATMENT_CODED_COLUMNS}.items():
        codes = _value_map(VALUE_MAP_OF[col])
        for spellings in coded.spellings:
            for s in spellings:
                assert s.lower() in codes, (col, s)


# ------------------------------------------------------------------------------------ variants


def test_clean_variant_has_no_mess(tmp_path: Path) -> None:
    paths = demo.generate_cohort(tmp_path, 300, 5, clean=True)
    rows = read_dicts(paths["clinical"])
    assert len(rows) == 300
    for r in rows:
        assert all(v and v == v.strip() and v not in NULLS for v in r.values()), r
        assert r["t_stage"] in demo.T_STAGE.categories
        assert r["sex"] in ("M", "F")
        datetime.strptime(r["diagnosis_date"], "%Y-%m-%d")
    assert read_rows(paths["planted_errors"]) == [list(demo.PLANTED_COLUMNS)]


def test_benchmark_csv(tmp_path: Path) -> None:
    path = demo.generate_benchmark_csv(tmp_path / "bench.csv", 1000, 1)
    rows = read_rows(path)
    assert len(rows) == 1001 and len(rows[0]) == 17
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bench.csv"]


@pytest.mark.parametrize("patients", [1, 19, 20, 260])
def test_small_cohorts(tmp_path: Path, patients: int) -> None:
    paths = demo.generate_cohort(tmp_path, patients, 11)
    assert len(read_rows(paths["clinical"])) == patients + 1
    planted = read_dicts(paths["planted_errors"])
    assert len(planted) == (
        0 if patients < 20 else min(patients, len(demo.PLANTED_KINDS) * max(1, patients // 250))
    )


def test_zero_patients_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        demo.generate_cohort(tmp_path, 0)


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["--patients", "40", "--seed", "2", "--out", str(tmp_path)]) == 0
    assert len(read_rows(tmp_path / "clinical.csv")) == 41
    assert "40 patients" in capsys.readouterr().out


# ------------------------------------------------------------------------------------ the mapping on it


def test_demo_mapping_reports_exactly_the_detectable_planted_errors(tmp_path: Path) -> None:
    """Run mappings/hn_clinical.rml.ttl on the committed demo data: the engine reports the planted
    codes, dates and numbers it can see (range checks are SHACL's job), and no raw patient id leaks."""
    from fairify import convert

    out = tmp_path / "demo.nt"
    result = convert(
        ROOT / "mappings" / "hn_clinical.rml.ttl",
        out,
        secret=b"demo-station-secret-0123456789",
        provenance=False,
    )
    reported = {
        (Path(issue.file).name, row, issue.field, value)
        for issue in result.issues
        for row, value in issue.examples
    }
    expected = {
        (p["file"], int(p["row"]), p["column"], p["value"])
        for p in read_dicts(COMMITTED / "planted_errors.csv")
        if p["problem"] in ("unknown_code", "invalid_date", "not_a_number")
    }
    assert reported == expected
    text = out.read_text(encoding="utf-8")
    assert "HN-" not in text and "EV0" not in text
    assert result.records == {
        str((COMMITTED / "clinical.csv").resolve()): 500,
        str((COMMITTED / "treatments.csv").resolve()): len(read_rows(COMMITTED / "treatments.csv")) - 1,
    }


# ------------------------------------------------------------------------------------ scale


@pytest.mark.slow
def test_a_million_patients_in_well_under_a_minute(tmp_path: Path) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    paths = demo.generate_cohort(tmp_path, 1_000_000, 42)
    seconds = time.perf_counter() - started
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    with paths["clinical"].open("rb") as f:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 24), b""))
    assert lines == 1_000_001
    assert seconds < 40, f"{seconds:.1f} s"
    assert grown_mb < 1024, f"peak memory grew by {grown_mb:.0f} MB"
