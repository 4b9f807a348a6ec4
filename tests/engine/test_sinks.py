"""Outputs appear whole or not at all, with the mode any other program's output would get."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from fairify.engine.sinks import AtomicFile, write_atomic


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_output_gets_the_umask_mode(tmp_path: Path, umask_022) -> None:
    write_atomic(tmp_path / "report.json", b"{}")
    assert mode(tmp_path / "report.json") == 0o644  # not mkstemp's 0600


def test_a_replaced_output_keeps_its_mode(tmp_path: Path, umask_022) -> None:
    target = tmp_path / "out.nq"
    target.write_bytes(b"old\n")
    target.chmod(0o640)
    write_atomic(target, b"new\n")
    assert target.read_bytes() == b"new\n" and mode(target) == 0o640


def test_an_aborted_output_leaves_nothing(tmp_path: Path) -> None:
    f = AtomicFile(tmp_path / "out.nq")
    f.write(b"half")
    f.abort()
    assert list(tmp_path.iterdir()) == []
