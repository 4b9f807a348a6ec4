"""``fairify convert --dicom``: summary, exit 0 when every file converted, 1 when some were skipped."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from fairify.cli import app
from tests.dicom.conftest import DEMO_DICOM, PYDICOM_FILES, SECRET

runner = CliRunner()


def test_convert_dicom_demo_exits_0(tmp_path: Path) -> None:
    r = runner.invoke(
        app,
        ["convert", "--dicom", str(DEMO_DICOM), "-o", str(tmp_path / "i.nq"), "--processes", "1"],
        env={"FAIRIFY_SECRET": SECRET.decode()},
    )
    assert r.exit_code == 0, r.output
    assert "35 of 35 file(s) converted" in r.output and "5 patient(s)" in r.output
    assert "Clean Descriptors Option" in r.output
    assert (tmp_path / "i.nq").is_file() and (tmp_path / "i.prov.nq").is_file()


def test_convert_dicom_with_bad_files_exits_1_and_names_them(tmp_path: Path) -> None:
    r = runner.invoke(
        app,
        ["convert", "--dicom", str(PYDICOM_FILES), "-o", str(tmp_path / "p.nq"), "--processes", "1"],
        env={"FAIRIFY_SECRET": SECRET.decode()},
    )
    assert r.exit_code == 1, r.output
    assert "skipped: " in r.output and "README.txt: not a DICOM file" in r.output
    assert "badVR.dcm, tag NumberOfFrames (0028,0008)" in r.output
    assert (tmp_path / "p.nq").is_file()  # what converted is written


def test_usage_errors(tmp_path: Path) -> None:
    r = runner.invoke(app, ["convert", "-o", str(tmp_path / "x.nq")], env={"FAIRIFY_SECRET": SECRET.decode()})
    assert r.exit_code == 2 and "--dicom" in r.output
    r = runner.invoke(
        app,
        ["convert", "--dicom", str(DEMO_DICOM), "-o", str(tmp_path / "x.nq")],
        env={"FAIRIFY_SECRET": "", "FAIRIFY_SECRET_FILE": ""},
    )
    assert r.exit_code == 2 and "secret" in r.output
    r = runner.invoke(
        app,
        ["convert", "--dicom", str(DEMO_DICOM), "--dates", "blur", "-o", str(tmp_path / "x.nq")],
        env={"FAIRIFY_SECRET": SECRET.decode()},
    )
    assert r.exit_code == 2
