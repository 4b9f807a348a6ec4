"""Shared fixtures: where the conformance suites are, and the per-suite counts printed at the end."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CONFORMANCE = SHARED / "conformance"

_results: dict[str, dict[str, bool]] = defaultdict(dict)


def needs_shared(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path} is not here: the conformance suites live in ../shared/ beside the project")


@pytest.fixture
def conformance():
    """Record a case's outcome: ``conformance(suite, case, passed)``; counts are printed at the end."""

    def record(suite: str, case: str, passed: bool) -> None:
        _results[suite][case] = passed

    return record


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _results:
        return
    terminalreporter.section("conformance")
    for suite, cases in sorted(_results.items()):
        passed = sum(cases.values())
        terminalreporter.write_line(f"{suite}: {passed}/{len(cases)} passed")
        failed = sorted(c for c, ok in cases.items() if not ok)
        if failed:
            terminalreporter.write_line(f"  not passed: {', '.join(failed)}")
