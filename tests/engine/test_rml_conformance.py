"""The public RML test suites, judged as ../shared/conformance/README.md says.

Each case runs on a scratch copy of its folder without the expected output (and with the scratch
copy as the current directory, for sources relative to it); an expected error must stop the run
with a FairifyError and leave no output file; otherwise the N-Quads must be isomorphic to the
expected ones, literals compared exactly as written.

One test runs every suite: legacy RML (CSV, JSON), RML-Core and RML-IO's logical source cases.
A case that cannot run here is listed in ``NOT_APPLICABLE`` with the reason, and reported so.
"""

from __future__ import annotations

import csv
import re
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest
import rdflib
from rdflib import Dataset
from rdflib.compare import to_isomorphic

import fairify
from tests.conftest import CONFORMANCE

LEGACY = CONFORMANCE / "rml" / "legacy-rml"
RML_CORE = CONFORMANCE / "rml" / "rml-core"
RML_IO = CONFORMANCE / "rml" / "rml-io"
EXPECTED_NAMES = ("output.nq", "default.nq")


@dataclass(frozen=True)
class Suite:
    """One suite: where its case folders are and how its metadata.csv names things."""

    name: str  # as printed in the summary
    folder: Path
    glob: str  # case folders
    id_column: str
    error_column: str
    size: int  # how many cases the suite has
    # How the suite treats data errors (an invalid IRI from a value): the legacy suite expects the
    # other terms (R2RML's "data error (and limited results)"), what --on-error report gives;
    # RML-Core expects the run to stop (its RMLTC0019b), what --on-error fail gives.
    on_error: str = "fail"
    base_column: str | None = None  # the base IRI the runner passes (RML-Core's execution environment)


@dataclass(frozen=True)
class Case:
    name: str
    error_expected: bool
    base_iri: str | None = None


SUITES = (
    Suite("legacy RML CSV", LEGACY, "*-CSV", "RML id", "error expected?", 39, on_error="report"),
    Suite("legacy RML JSON", LEGACY, "*-JSON", "RML id", "error expected?", 41, on_error="report"),
    Suite("RML-Core", RML_CORE, "RMLTC*", "ID", "error", 76, base_column="base_iri"),
    Suite("RML-IO sources", RML_IO, "RMLSTC*", "ID", "error", 32),
)

SPEC_OVERRIDES = {
    # The current specification (and RML-Core's own 0007h) require an error where the legacy suite does not.
    "RMLTC0007h-CSV": True,
    "RMLTC0007h-JSON": True,
    # No metadata row; it is the "invalid JSONPath" case (RML-Core's RMLTC0002g-JSON expects an error:
    # the iterator "$.students[*]]" does not parse, and its source file does not exist), and its
    # output.nq is empty, the legacy suite's way of marking an error case.
    "RMLTC0002g-JSON": True,
}

# Cases that cannot apply to fairify, with the reason (reported as not applicable, never run).
NOT_APPLICABLE = {
    "RMLSTC0003": (
        "a SPARQL query over an RDF file (formats:SPARQL_Results_CSV) is not a logical source fairify "
        "reads (the reader refuses the reference formulation); the expected output also types the plain "
        'literal "33" of Friends.nt as xsd:integer, which no SPARQL CSV result gives'
    ),
    "RMLSTC0009a": (
        "suite defect: metadata.csv and manifest.ttl say an error is expected, descriptions.csv says "
        "none and the case ships output.nq; the CSV is RFC 4180 (quoted header fields), which RML-IO's "
        "CSV formulation reads, and fairify gives exactly the shipped output.nq"
    ),
    "RMLTC0027b-JSON": (
        "suite defect: the expected output.nq is not N-Quads (<http://example.com/Person/Emily Smith>: "
        "a space in an IRI; rdflib and Oxigraph refuse it); RML-Core's term generation rules make a "
        "template value that is not a valid IRI a data error, which fairify raises (--on-error fail) or "
        "reports, dropping the term (--on-error report)"
    ),
}

# RML-IO's database cases name their connection with placeholders the test runner fills in.
DSN_PLACEHOLDERS = ("$CONNECTIONDSN", "$USERNAME", "$PASSWORD")


def _cases(suite: Suite) -> list[Case]:
    meta = suite.folder / "metadata.csv"
    if not meta.exists():
        return []
    with meta.open(newline="", encoding="utf-8") as f:
        rows = {r[suite.id_column]: r for r in csv.DictReader(f)}
    out = []
    for name in sorted(p.name for p in suite.folder.glob(suite.glob) if p.is_dir()):
        row = rows.get(name, {})
        error = row.get(suite.error_column, "").strip().lower() == "true"
        base = (row.get(suite.base_column) or "").strip() or None if suite.base_column else None
        out.append(Case(name, SPEC_OVERRIDES.get(name, error), base))
    return out


def _params() -> list:
    return [
        pytest.param(suite, case, id=f"{suite.name}/{case.name}")
        for suite in SUITES
        for case in _cases(suite)
    ]


def load_dataset(data: bytes | Path) -> Dataset:
    ds = Dataset()
    if isinstance(data, Path):
        ds.parse(data, format="nquads")
    else:
        ds.parse(data=data, format="nquads")
    return ds


def isomorphic_datasets(a: Dataset, b: Dataset) -> bool:
    """Equal as RDF datasets: graph by graph, blank nodes up to renaming, literals as written."""

    def graphs(ds: Dataset) -> dict[str, rdflib.Graph]:
        out: dict[str, rdflib.Graph] = {}
        for s, p, o, g in ds.quads((None, None, None, None)):
            key = str(g) if g is not None and str(g) != str(rdflib.graph.DATASET_DEFAULT_GRAPH_ID) else ""
            out.setdefault(key, rdflib.Graph()).add((s, p, o))
        return {k: v for k, v in out.items() if len(v)}

    ga, gb = graphs(a), graphs(b)
    if ga.keys() != gb.keys():
        return False
    return all(to_isomorphic(ga[k]) == to_isomorphic(gb[k]) for k in ga)


def _sqlite_from_csv(work: Path) -> str:
    """The case's CSV inputs as tables of a SQLite database (a table per file, named after it).

    Columns whose values are all integers are declared INTEGER, so that they get the natural
    datatype a database would give them; the rest TEXT.
    """
    db = work / "case.sqlite"
    with sqlite3.connect(db) as conn:
        for path in sorted(work.glob("*.csv")):
            with path.open(newline="", encoding="utf-8") as f:
                header, *records = list(csv.reader(f))
            types = [
                "INTEGER" if records and all(re.fullmatch(r"-?\d+", r[i]) for r in records) else "TEXT"
                for i in range(len(header))
            ]
            columns = ", ".join(f'"{h}" {t}' for h, t in zip(header, types, strict=True))
            conn.execute(f'CREATE TABLE "{path.stem}" ({columns})')
            marks = ", ".join("?" * len(header))
            conn.executemany(f'INSERT INTO "{path.stem}" VALUES ({marks})', records)
    return f"sqlite:///{db}"


def _fill_placeholders(mapping: Path) -> None:
    """A database case: load its data into SQLite and point the placeholder DSN at it."""
    text = mapping.read_text(encoding="utf-8")
    if DSN_PLACEHOLDERS[0] not in text:
        return
    url = _sqlite_from_csv(mapping.parent)
    text = text.replace("$CONNECTIONDSN", url).replace("$USERNAME", "").replace("$PASSWORD", "")
    mapping.write_text(text, encoding="utf-8")


def prepare(folder: Path, tmp_path: Path) -> Path:
    """The scratch copy of a case folder, without the expected output, placeholders filled in."""
    work = tmp_path / folder.name
    shutil.copytree(folder, work, ignore=shutil.ignore_patterns(*EXPECTED_NAMES, "dump*.nq"))
    _fill_placeholders(work / "mapping.ttl")
    return work


def run_case(
    folder: Path, work: Path, error_expected: bool, base_iri: str | None = None, on_error: str = "fail"
) -> tuple[bool, str]:
    """Run the scratch copy ``work`` of ``folder`` and judge the result."""
    out = work.parent / "result.nq"
    expected = next((folder / n for n in EXPECTED_NAMES if (folder / n).exists()), None)
    try:
        fairify.convert(work / "mapping.ttl", out, on_error=on_error, provenance=False, base_iri=base_iri)
    except fairify.FairifyError as exc:
        message = str(exc)
        leftovers = sorted(p.name for p in work.parent.iterdir() if p != work)
        if leftovers:
            return False, f"error but output written ({', '.join(leftovers)}): {message}"
        if "\n" in message:
            return False, f"error message is not one line: {message!r}"
        if "mapping.ttl" not in message:
            return False, f"error message does not name the mapping file: {message}"
        return error_expected, f"error: {message}"
    except Exception as exc:  # a crash is a bug whatever the case expects: count it, then show it
        return False, f"crash: {type(exc).__name__}: {exc}"
    if error_expected:
        return False, "no error raised, but the case expects one"
    assert expected is not None, f"{folder.name} has no expected output"
    try:
        ok = isomorphic_datasets(load_dataset(out), load_dataset(expected))
    except Exception as exc:  # the output is not even N-Quads
        return False, f"output does not parse ({exc}):\n" + out.read_text()[:2000]
    return ok, "" if ok else "output not isomorphic:\n" + out.read_text()[:2000]


@pytest.fixture(autouse=True)
def _exact_literals(monkeypatch):
    monkeypatch.setattr(rdflib, "NORMALIZE_LITERALS", False)
    monkeypatch.setattr(rdflib.term, "_NORMALIZE_LITERALS", False, raising=False)


@pytest.mark.parametrize(("suite", "case"), _params())
def test_rml_suite(suite: Suite, case: Case, tmp_path: Path, monkeypatch, conformance) -> None:
    if case.name in NOT_APPLICABLE:
        conformance(suite.name, case.name, False, not_applicable=NOT_APPLICABLE[case.name])
        pytest.skip(f"not applicable: {NOT_APPLICABLE[case.name]}")
    work = prepare(suite.folder / case.name, tmp_path)
    monkeypatch.chdir(work)  # for sources relative to the current directory (rml:CurrentWorkingDirectory)
    ok, why = run_case(suite.folder / case.name, work, case.error_expected, case.base_iri, suite.on_error)
    conformance(suite.name, case.name, ok)
    assert ok, why


@pytest.mark.parametrize("suite", SUITES, ids=lambda s: s.name)
def test_suite_is_complete(suite: Suite) -> None:
    if not suite.folder.exists():
        pytest.skip("../shared/conformance is not here")
    assert len(_cases(suite)) == suite.size
    assert set(NOT_APPLICABLE) <= {c.name for s in SUITES for c in _cases(s)}


def _target_cases() -> list[str]:
    return sorted(p.name for p in RML_IO.glob("RMLTTC*") if p.is_dir())


@pytest.mark.parametrize("case", _target_cases())
def test_logical_targets_are_refused(case: str, tmp_path: Path) -> None:
    """RML-IO's logical target cases (not counted): fairify writes one output, so it refuses them.

    RMLTTC0000 declares no target (everything goes to the default one): an ordinary case.
    """
    work = prepare(RML_IO / case, tmp_path)
    if "logicalTarget" not in (work / "mapping.ttl").read_text(encoding="utf-8"):
        ok, why = run_case(RML_IO / case, work, False)
        assert ok, why
        return
    with pytest.raises(fairify.UnsupportedFeatureError, match="logical targets") as err:
        fairify.load_mapping(work / "mapping.ttl")
    assert "mapping.ttl" in str(err.value) and "\n" not in str(err.value)
