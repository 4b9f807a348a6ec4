"""The CLI through typer's CliRunner: bad input gives one line naming file and place, and the
documented exit code; nothing half-written is left behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fairify.cli import app

runner = CliRunner()
SECRET = "cli-test-secret-0123456789"

MAPPING = """\
prefixes:
  ex: http://example.org/
mappings:
  patient:
    sources:
      - [{data}~csv]
    s:
      function: ffn:pseudonym
      parameters:
        - [ffn:value, $(patient_id)]
        - [ffn:prefix, http://example.org/patient/]
      type: iri
    po:
      - [a, ex:Patient]
      - [ex:age, $({age}), xsd:integer]
      - p: ex:sex
        o:
          function: ffn:valueMap
          parameters:
            - [ffn:value, $(sex)]
            - [ffn:table, sex.csv]
          type: iri
      - p: ex:diagnosed
        o:
          function: ffn:parseDate
          parameters:
            - [ffn:value, $(dx_date)]
            - [ffn:format, "%Y-%m-%d|%d/%m/%Y"]
          datatype: xsd:date
"""
SEX = "code,iri,label\nm,http://example.org/Male,Male\nf,http://example.org/Female,Female\n"
GOOD = "patient_id,age,sex,dx_date\nP1,54,M,2019-01-02\nP2,61,f,03/04/2020\n"


@pytest.fixture
def site(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("FAIRIFY_SECRET", SECRET)
    monkeypatch.delenv("FAIRIFY_SECRET_FILE", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sex.csv").write_text(SEX)
    return tmp_path


def write(site: Path, data: bytes | str, *, age: str = "age", mapping: str | None = None) -> Path:
    (site / "data.csv").write_bytes(data if isinstance(data, bytes) else data.encode())
    m = site / "m.yml"
    m.write_text(mapping or MAPPING.format(data="data.csv", age=age))
    return m


def convert(*args: str):
    return runner.invoke(app, ["convert", *args])


def outputs(site: Path) -> list[str]:
    return sorted(p.name for p in site.glob("out*"))


def test_good_conversion(site: Path) -> None:
    m = write(site, GOOD)
    r = convert(str(m), "-o", "out.nq")
    assert r.exit_code == 0, r.output
    assert "2 records -> 8 quads in out.nq" in r.stderr
    assert outputs(site) == ["out.nq", "out.prov.nq"]
    text = (site / "out.nq").read_text()
    assert "P1" not in text and '"2020-04-03"^^<http://www.w3.org/2001/XMLSchema#date>' in text


def test_ragged_row(site: Path) -> None:
    m = write(site, GOOD + "P3,70,M,2019-01-02,extra\n")
    r = convert(str(m), "-o", "out.nq")
    assert r.exit_code == 3
    assert r.stderr.strip() == (
        f"error: {site / 'data.csv'}:4, row 4, triples map patient in {m}: row has 5 fields, expected 4 "
        "(the header has 4) "
        "(check the delimiter and the quoting of that row)"
    )
    assert outputs(site) == []


def test_latin1_file_is_decoded(site: Path) -> None:
    m = write(site, "patient_id,age,sex,dx_date\nZoë Müller,54,M,2019-01-02\n".encode("latin-1"))
    r = convert(str(m), "-o", "out.nq")
    assert r.exit_code == 0, r.output
    assert "Zo" not in (site / "out.nq").read_text()  # the identifier is pseudonymised, not garbled


def test_latin1_file_with_declared_utf8_is_an_error(site: Path) -> None:
    mapping = MAPPING.format(data="data.csv", age="age").replace(
        "      - [data.csv~csv]",
        "      - access: data.csv\n        referenceFormulation: csv\n        encoding: UTF-8",
    )
    m = write(
        site,
        "patient_id,age,sex,dx_date\nP1,54,M,2019-01-02\nZoë,54,M,2019-01-02\n".encode("latin-1"),
        mapping=mapping,
    )
    r = convert(str(m), "-o", "out.nq")
    assert r.exit_code == 3
    assert r.stderr.startswith(f"error: {site / 'data.csv'}")
    assert "UTF-8" in r.stderr and "\n" not in r.stderr.strip()
    assert outputs(site) == []


def test_missing_column(site: Path) -> None:
    m = write(site, GOOD, age="agee")
    r = convert(str(m), "-o", "out.nq")
    assert r.exit_code == 2
    assert r.stderr.strip() == (
        f"error: {site / 'data.csv'}, column 'agee', triples map patient in {m}: the mapping uses column 'agee', "
        f"which {site / 'data.csv'} does not have (did you mean 'age'?)"
    )
    assert outputs(site) == []


def test_unparsable_date_and_unmapped_code_are_reported_by_row(site: Path) -> None:
    m = write(site, GOOD + "P3,abc,X,31/02/2019\n")
    r = convert(str(m), "-o", "out.nq")
    assert r.exit_code == 1
    data = site / "data.csv"
    assert r.stderr.splitlines()[-4:] == [
        f"problem: {data}, column 'age': not a valid xsd:integer: row 4 ('abc')",
        f"problem: {data}, column 'sex': code not in the value map sex.csv: row 4 ('X')",
        f"problem: {data}, column 'dx_date': not a date in the format %Y-%m-%d or %d/%m/%Y: row 4 ('31/02/2019')",
        "error: 3 value(s) did not fit their mapping; see the problems above",
    ]
    assert outputs(site) == ["out.nq", "out.prov.nq"]  # report: the rest is converted


def test_on_error_fail_writes_nothing(site: Path) -> None:
    m = write(site, GOOD + "P3,60,M,31/02/2019\n")
    r = convert(str(m), "-o", "out.nq", "--on-error", "fail")
    assert r.exit_code == 1
    assert r.stderr.strip() == (
        f"error: {site / 'data.csv'}, row 4, column 'dx_date', triples map patient in {m}: "
        "not a date in the format %Y-%m-%d or %d/%m/%Y: '31/02/2019'"
    )
    assert outputs(site) == []


def test_on_error_skip_row_drops_the_row(site: Path) -> None:
    m = write(site, GOOD + "P3,60,M,31/02/2019\n")
    r = convert(str(m), "-o", "out.nq", "--on-error", "skip-row")
    assert r.exit_code == 1
    assert "2 records" not in r.stderr and "3 records -> 8 quads" in r.stderr


def test_mapping_key_typo(site: Path) -> None:
    m = write(site, GOOD, mapping=MAPPING.format(data="data.csv", age="age").replace("    po:", "    pox:"))
    r = convert(str(m), "-o", "out.nq")
    assert r.exit_code == 2
    assert r.stderr.strip() == f"error: {m}:13:5: unknown key 'pox' in mapping 'patient' (did you mean 'po'?)"


def test_empty_file(site: Path) -> None:
    m = write(site, "")
    r = convert(str(m), "-o", "out.nq")
    assert r.exit_code == 3
    assert r.stderr.strip() == (
        f"error: {site / 'data.csv'}, triples map patient in {m}: the file is empty; expected a header row"
    )
    assert outputs(site) == []


def test_no_secret(site: Path, monkeypatch) -> None:
    monkeypatch.delenv("FAIRIFY_SECRET")
    m = write(site, GOOD)
    r = convert(str(m), "-o", "out.nq")
    assert r.exit_code == 2
    assert r.stderr.startswith(
        "error: the mapping pseudonymises identifiers but no site secret is set (set FAIRIFY_SECRET"
    )


def test_unknown_output_format(site: Path) -> None:
    m = write(site, GOOD)
    r = convert(str(m), "-o", "out.xyz")
    assert r.exit_code == 2
    assert (
        r.stderr.strip()
        == "error: cannot tell the RDF format of out.xyz (name the output .nt, .nq, .ttl or .trig)"
    )


def test_turtle_output(site: Path) -> None:
    m = write(site, GOOD)
    r = convert(str(m), "-o", "out.ttl", "--no-provenance")
    assert r.exit_code == 0, r.output
    assert outputs(site) == ["out.ttl"]
    assert "<http://example.org/Patient>" in (site / "out.ttl").read_text()


def test_mapping_init_then_convert(site: Path) -> None:
    (site / "export.csv").write_text(
        "patient_id;age;sex;diagnosis_date;surname\nA1;54;M;01/02/2019;Jansen\nA2;NA;F;15/03/2020;Peters\n"
        "A3;61;f;;Smit\n"
    )
    r = runner.invoke(app, ["mapping", "init", "export.csv", "-o", "site.yarrrml.yml"])
    assert r.exit_code == 0, r.output
    text = (site / "site.yarrrml.yml").read_text()
    assert "ffn:pseudonym" in text and "surname" in text.split("mappings:")[0]  # left out, named in a comment
    assert "$(surname)" not in text
    assert (site / "site.valuemaps" / "sex.csv").read_text().startswith("code,iri,label,count\n")
    r = convert("site.yarrrml.yml", "-o", "out.nq")
    assert r.exit_code == 1  # the value map is not filled in yet: every sex code is reported
    assert "code not in the value map sex.csv" in r.stderr
    out = (site / "out.nq").read_text()
    assert "Jansen" not in out and "A1" not in out
    assert '"2019-02-01"^^<http://www.w3.org/2001/XMLSchema#date>' in out


def test_mapping_compile(site: Path) -> None:
    m = write(site, GOOD)
    r = runner.invoke(app, ["mapping", "compile", str(m), "-o", "m.rml.ttl"])
    assert r.exit_code == 0, r.output
    assert "http://w3id.org/rml/" in (site / "m.rml.ttl").read_text()
    a = convert(str(m), "-o", "out_a.nq", "--no-provenance")
    b = convert("m.rml.ttl", "-o", "out_b.nq", "--no-provenance")
    assert a.exit_code == b.exit_code == 0
    assert sorted((site / "out_a.nq").read_text().splitlines()) == sorted(
        (site / "out_b.nq").read_text().splitlines()
    )


def test_help_everywhere() -> None:
    for args in (
        ["--help"],
        ["convert", "--help"],
        ["mapping", "--help"],
        ["mapping", "init", "--help"],
        ["query", "--help"],
    ):
        r = runner.invoke(app, args)
        assert r.exit_code == 0 and "Usage" in r.output


def test_exit_codes_are_documented() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for code in ("| 0 |", "| 1 |", "| 2 |", "| 3 |"):
        assert code in readme


@pytest.mark.skipif(os.name != "posix", reason="uses a subprocess with the installed script")
def test_no_traceback_from_the_real_entry_point(site: Path) -> None:
    import subprocess
    import sys

    m = write(site, GOOD, age="agee")
    p = subprocess.run(
        [sys.executable, "-m", "fairify.cli", "convert", str(m), "-o", "out.nq"],
        capture_output=True,
        text=True,
    )
    assert p.returncode == 2
    assert "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1
