"""Print the YARRRML conformance counts at the end of a run that collected those tests."""

from __future__ import annotations

from tests.mapping.yarrrml_support import RESULTS


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not RESULTS:
        return

    def count(category: str) -> str:
        cases = RESULTS.get(category, {})
        return f"{sum(cases.values())}/{len(cases)}"

    both = len(RESULTS.get("refused by both", {}))
    xfail = len(RESULTS.get("xfail", {}))
    failing = len(RESULTS.get("both fail to run", {}))
    terminalreporter.section("YARRRML conformance")
    terminalreporter.write_line(
        f"YARRRML conformance: {count('in scope')} in scope equal"
        + (f" ({both} of them invalid mappings that both readers refuse)" if both else "")
        + f", {count('out of scope')} out of scope refused, {count('invalid')} invalid refused"
        + (f", {count('same output')} with data give the same output" if RESULTS.get("same output") else "")
        + (f" ({failing} of them fail to run on both)" if failing else "")
        + (f"; {xfail} expected failures" if xfail else "")
    )
    failed = sorted(
        c for c, ok in RESULTS.get("in scope", {}).items() if not ok and c not in RESULTS.get("xfail", {})
    )
    if failed:
        terminalreporter.write_line(f"  not equal: {', '.join(failed)}")
