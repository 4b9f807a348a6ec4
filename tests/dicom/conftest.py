"""Fixtures for the DICOM tests: the files inside the pydicom wheel, the demo set, a secret.

The pydicom test files are found on disk beside ``pydicom.data`` (never through
``get_testdata_files`` with a pattern, which would try to download the optional extra files).
"""

from __future__ import annotations

import functools
import re
import warnings
from pathlib import Path

import pydicom
import pydicom.data
import pytest
from pyoxigraph import RdfFormat, Store

from fairify.dicom import convert_dicom
from tests.conftest import ROOT

PYDICOM_FILES = Path(pydicom.data.__file__).parent / "test_files"
DEMO_DICOM = ROOT / "examples" / "demo" / "dicom"
SECRET = b"dicom-test-secret-0123456789abcdef"


@functools.cache
def read_all(root: Path) -> dict[Path, pydicom.Dataset]:
    """Every file pydicom reads under ``root``, by path (``.dcm`` files without a meta header too)."""
    out = {}
    for p in sorted(x for x in root.rglob("*") if x.is_file()):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                out[p] = pydicom.dcmread(p, force=p.suffix == ".dcm")
            except Exception:
                continue
    return out


def store_of(*paths: Path) -> Store:
    s = Store()
    for p in paths:
        s.load(path=str(p), format=RdfFormat.N_QUADS)
    return s


def count(store: Store, sparql: str) -> int:
    sparql = "PREFIX dcmo: <https://w3id.org/fairify/dicom/model#>\n" + sparql
    return int(next(iter(store.query(sparql, use_default_graph_as_union=True)))[0].value)


def boundary(value: str) -> re.Pattern[bytes]:
    """``value`` as a whole token: not inside a longer number, UID or word."""
    return re.compile(rb"(?<![0-9A-Za-z.])" + re.escape(value.encode()) + rb"(?![0-9A-Za-z.])")


@pytest.fixture(scope="session")
def pydicom_conversion(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("pydicom") / "pydicom.nq"
    result = convert_dicom(PYDICOM_FILES, out, secret=SECRET, processes=1)
    return result, out


@pytest.fixture(scope="session")
def demo_conversion(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("demo") / "imaging.nq"
    result = convert_dicom(DEMO_DICOM, out, secret=SECRET, processes=1)
    return result, out
