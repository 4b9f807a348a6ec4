"""The W3C SHACL test suite (``../shared/conformance/shacl``, core and SPARQL-based), through both engines.

Judged as ``../shared/conformance/README.md`` says (``shacl_suite.py``). ``fairify`` is the fast
engine with its pySHACL fallback (``engine="fast"``) and must pass every case; ``pyshacl`` is
pySHACL alone, recorded for comparison. On every case the fast engine runs without falling back,
its results must also be exactly the expected (focus node, path, component, severity) set.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import fairify
from fairify.errors import FairifyError
from fairify.validate import Report
from tests.conftest import CONFORMANCE, needs_shared
from tests.validate.shacl_suite import Case, cases, report_keys

SUITE = CONFORMANCE / "shacl"
logging.getLogger("rdflib.term").setLevel(logging.CRITICAL)  # the suite has ill-typed literals on purpose


def _cases(part: str) -> list[Case]:
    if not (SUITE / part / "manifest.ttl").exists():
        return []
    return cases(SUITE / part)


PARAMS = [pytest.param(part, c, id=c.name) for part in ("core", "sparql") for c in _cases(part)]


def _judge(case: Case, engine: str) -> tuple[bool, object]:
    try:
        report = fairify.validate(case.data, case.shapes, engine=engine, sources=False)
    except FairifyError as exc:
        return case.failure, exc
    if case.failure:
        return False, report
    return report.conforms == case.conforms and report_keys(report) == case.results, report


@pytest.mark.parametrize(("part", "case"), PARAMS)
def test_shacl_case(part: str, case: Case, conformance) -> None:
    needs_shared(SUITE)
    passed_pyshacl, _ = _judge(case, "pyshacl")
    conformance(f"SHACL {part} (pyshacl)", case.name, passed_pyshacl)
    passed, report = _judge(case, "fast")
    conformance(f"SHACL {part} (fairify)", case.name, passed)
    assert passed, f"{case.name}: {report}"
    if not isinstance(report, Report):  # an expected failure, refused
        return
    if not report.notes:  # the fast engine alone: the same (focus, path, component, severity) set
        expected = {k[:4] for k in case.results}
        assert {k[:4] for k in report_keys(report)} == expected


def test_the_suite_is_all_there() -> None:
    needs_shared(SUITE)
    assert len(_cases("core")) == 98 and len(_cases("sparql")) == 22


def test_most_cases_need_no_fallback() -> None:
    """The fast engine runs all but a few cases itself (custom components, datatypes Oxigraph rewrites)."""
    needs_shared(SUITE)
    fallback = []
    for part in ("core", "sparql"):
        for c in _cases(part):
            try:
                report = fairify.validate(c.data, c.shapes, engine="fast", sources=False)
            except FairifyError:
                continue
            if report.notes:
                fallback.append(Path(c.name).name)
    assert sorted(fallback) == [
        "datatype-ill-formed",
        "optional-001",
        "or-datatypes-001",
        "propertyValidator-select-001",
        "validator-001",
    ]
