"""Shared fixtures: where the conformance suites are, and the per-suite counts printed at the end."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CONFORMANCE = SHARED / "conformance"

_results: dict[str, dict[str, bool]] = defaultdict(dict)
_not_applicable: dict[str, dict[str, str]] = defaultdict(dict)


def needs_shared(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path} is not here: the conformance suites live in ../shared/ beside the project")


@pytest.fixture
def conformance():
    """Record a case's outcome: ``conformance(suite, case, passed)``; counts are printed at the end.

    ``not_applicable="reason"`` records a case that cannot run here (it counts as not passed and
    the summary prints the reason), so that the count always covers the whole suite.
    """

    def record(suite: str, case: str, passed: bool, *, not_applicable: str | None = None) -> None:
        _results[suite][case] = passed and not_applicable is None
        if not_applicable is not None:
            _not_applicable[suite][case] = not_applicable

    return record


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _results:
        return
    terminalreporter.section("conformance")
    for suite, cases in sorted(_results.items()):
        passed = sum(cases.values())
        terminalreporter.write_line(f"{suite}: {passed}/{len(cases)} passed")
        skipped = _not_applicable.get(suite, {})
        failed = sorted(c for c, ok in cases.items() if not ok and c not in skipped)
        if failed:
            terminalreporter.write_line(f"  not passed: {', '.join(failed)}")
        for case, reason in sorted(skipped.items()):
            terminalreporter.write_line(f"  not applicable: {case}: {reason}")
