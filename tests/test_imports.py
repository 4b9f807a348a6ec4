"""Start-up stays cheap: ``import fairify``, ``fairify --help`` and ``fairify convert`` import only what
they use (no pandas, pySHACL, SPARQLWrapper, SQLAlchemy...), and the lazy public API still behaves
as the eager one did. Each check runs in a fresh interpreter, since this one has imported it all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pandas", "rdflib", "pyshacl", "SPARQLWrapper", "sqlalchemy", "pydicom", "ruamel", "lxml")


def run_python(code: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """Run ``code`` in a new interpreter; return its stdout (the test fails on a non-zero exit)."""
    p = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env={**os.environ, **(env or {})},
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    return p.stdout


def loaded_after(code: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> set[str]:
    """The top-level packages of the heavy list that are imported after running ``code``."""
    out = run_python(
        code
        + textwrap.dedent(f"""
        import sys, json
        print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules if m}} & set({list(HEAVY)!r}))))
        """),
        cwd,
        env,
    )
    return set(json.loads(out.strip().splitlines()[-1]))


def cli(args: list[str]) -> str:
    """Run the CLI's main in-process (in the child); a clean exit code is required."""
    return textwrap.dedent(f"""
        from fairify.cli import main
        try:
            main({args!r})
        except SystemExit as exc:
            assert not exc.code, exc.code
        """)


def test_import_fairify_is_cheap() -> None:
    code = "import fairify\n"
    assert loaded_after(code) == set()
    out = run_python(code + "import sys; print(sorted(m for m in ('numpy', 'pyarrow') if m in sys.modules))")
    assert out.strip() == "[]"


def test_lazy_public_api() -> None:
    out = run_python("""
        import fairify, types
        from fairify.query import list_templates  # imports the module first
        import fairify.validate
        from fairify.convert import ConversionResult
        for name in ("convert", "query", "validate"):
            f = getattr(fairify, name)
            assert isinstance(f, types.FunctionType) and f.__name__ == name, (name, f)
        assert fairify.query is __import__("fairify.query", fromlist=["query"]).query
        assert fairify.ConversionResult is ConversionResult
        from fairify import compile_mapping, load, load_mapping, MappingError, __version__
        assert set(fairify.__all__) <= set(dir(fairify))
        assert all(getattr(fairify, n) is not None for n in fairify.__all__)
        print("ok")
        """)
    assert out.strip() == "ok"


def test_help_imports_nothing_heavy() -> None:
    assert loaded_after(cli(["--help"])) == set()


MAPPING = """\
prefixes:
  ex: http://example.org/
mappings:
  patient:
    sources:
      - [data.csv~csv]
    s: http://example.org/patient/$(patient_id)
    po:
      - [a, ex:Patient]
      - [ex:age, $(age), xsd:integer]
"""
RML = """\
@prefix rr: <http://www.w3.org/ns/r2rml#> .
@prefix rml: <http://semweb.mmlab.be/ns/rml#> .
@prefix ql: <http://semweb.mmlab.be/ns/ql#> .
<#P> rml:logicalSource [ rml:source "data.csv" ; rml:referenceFormulation ql:CSV ] ;
    rr:subjectMap [ rr:template "http://example.org/patient/{patient_id}" ] ;
    rr:predicateObjectMap [ rr:predicate <http://example.org/age> ; rr:objectMap [ rml:reference "age" ] ] .
"""


@pytest.fixture
def csv_site(tmp_path: Path) -> Path:
    (tmp_path / "data.csv").write_text("patient_id,age\nP1,54\nP2,61\n")
    (tmp_path / "m.yml").write_text(MAPPING)
    (tmp_path / "m.rml.ttl").write_text(RML)
    return tmp_path


def test_convert_csv_imports_only_what_it_uses(csv_site: Path) -> None:
    # YARRRML: ruamel reads it; no rdflib (the run record is written with pyoxigraph), no pandas
    # (pyarrow is kept from importing it), nothing of validation, federation or SQL.
    got = loaded_after(cli(["convert", "m.yml", "-o", "out.nq"]), csv_site)
    assert got == {"ruamel"}
    assert len((csv_site / "out.nq").read_text().splitlines()) == 4
    assert (csv_site / "out.prov.nq").stat().st_size > 0
    # RML Turtle: rdflib reads the mapping (for now), still no pandas and no ruamel.
    got = loaded_after(cli(["convert", "m.rml.ttl", "-o", "rml.nt", "--no-provenance"]), csv_site)
    assert got <= {"rdflib"}
    assert len((csv_site / "rml.nt").read_text().splitlines()) == 2


def test_real_entry_point_exits_fast_with_the_right_code(csv_site: Path) -> None:
    """From the command line a conversion ends with os._exit: outputs complete, exit codes kept."""

    def fairify(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "fairify.cli", *args], capture_output=True, text=True, cwd=csv_site
        )

    p = fairify("convert", "m.yml", "-o", "out.nq")
    assert p.returncode == 0, p.stderr
    assert "2 records -> 4 quads in out.nq" in p.stderr  # stderr flushed before the exit
    assert len((csv_site / "out.nq").read_text().splitlines()) == 4
    assert "prov#Activity" in (csv_site / "out.prov.nq").read_text()
    assert fairify("convert", "m.yml", "-o", "out.xyz").returncode == 2
    (csv_site / "bad.yml").write_text(MAPPING.replace("data.csv", "missing.csv"))
    assert fairify("convert", "bad.yml", "-o", "bad.nq").returncode == 3
    (csv_site / "data.csv").write_text("patient_id,age\nP1,5x\n")
    assert fairify("convert", "m.yml", "-o", "odd.nq").returncode == 1
    assert not list(csv_site.glob("*.part")) and not list(csv_site.glob(".*.part"))


def test_pyarrow_still_converts_to_pandas_later() -> None:
    out = run_python("""
        import sys
        from fairify.cli import _pyarrow_without_pandas
        _pyarrow_without_pandas()
        import pyarrow as pa
        pa.array([1, 2]); pa.scalar("x")
        assert "pandas" not in sys.modules
        df = pa.table({"a": [1, 2]}).to_pandas()
        print(type(df).__name__, list(df["a"]))
        """)
    assert out.strip() == "DataFrame [1, 2]"


def test_convert_dicom_imports_no_pandas_or_rdflib(tmp_path: Path) -> None:
    pydicom_data = pytest.importorskip("pydicom.data")
    src = tmp_path / "dicom"
    src.mkdir()
    (src / "ct.dcm").write_bytes(Path(pydicom_data.get_testdata_file("CT_small.dcm")).read_bytes())
    args = ["convert", "--dicom", str(src), "-o", str(tmp_path / "d.nq"), "--processes", "1"]
    got = loaded_after(cli(args), tmp_path, env={"FAIRIFY_SECRET": "imports-test-secret-0123456789"})
    assert got == {"pydicom"}
    assert (tmp_path / "d.nq").stat().st_size > 0
