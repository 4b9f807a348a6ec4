"""R2RML over SQL end to end: ``fairify convert --db --base-iri`` on SQLite, errors before output,
and the natural datatypes and identifier rules on a real PostgreSQL (skipped without one)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

import fairify
from fairify.cli import app
from fairify.engine.engine import Engine, Options
from fairify.errors import MappingError
from fairify.mapping import load_mapping

runner = CliRunner()
XSD = "http://www.w3.org/2001/XMLSchema#"
BASE = "http://example.com/base/"

# No @base: R2RML leaves the base IRI of the relative templates to the processor (--base-iri).
R2RML = r"""
@prefix rr: <http://www.w3.org/ns/r2rml#> .
@prefix ex: <http://example.com/ns#> .

<#Patients> a rr:TriplesMap ;
  rr:logicalTable [ rr:tableName "\"Patient\"" ] ;
  rr:subjectMap [ rr:template "patient/{\"ID\"}" ; rr:class ex:Patient ] ;
  rr:predicateObjectMap [ rr:predicate ex:name ; rr:objectMap [ rr:column "\"Name\"" ] ] ,
    [ rr:predicate ex:weight ; rr:objectMap [ rr:column "\"Weight\"" ] ] ,
    [ rr:predicate ex:visit ; rr:objectMap [ rr:parentTriplesMap <#Visits> ;
        rr:joinCondition [ rr:child "\"ID\"" ; rr:parent "\"Patient\"" ] ] ] .

<#Visits> a rr:TriplesMap ;
  rr:logicalTable [ rr:sqlQuery '''SELECT "VisitID", "Patient", "Ward" FROM "Visit"''' ] ;
  rr:subjectMap [ rr:template "visit/{\"VisitID\"}" ; rr:graph ex:visits ] ;
  rr:predicateObjectMap [ rr:predicate ex:ward ; rr:objectMap [ rr:column "\"Ward\"" ] ] .
"""
CREATE = """
CREATE TABLE "Patient" ("ID" INTEGER PRIMARY KEY, "Name" VARCHAR(20), "Weight" REAL);
INSERT INTO "Patient" VALUES (1, 'Zoë', 72.5), (2, NULL, NULL);
CREATE TABLE "Visit" ("VisitID" INTEGER, "Patient" INTEGER, "Ward" TEXT, "Note" TEXT);
INSERT INTO "Visit" VALUES (10, 1, 'ICU', 'x'), (11, 2, NULL, NULL);
"""


def mapping(tmp_path: Path, text: str = R2RML) -> Path:
    path = tmp_path / "r2rml.ttl"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "clinic.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(CREATE)
    conn.close()
    return f"sqlite:///{path}"


def lines(path: Path) -> set[str]:
    return set(path.read_text(encoding="utf-8").splitlines())


EXPECTED = {
    "<http://example.com/base/patient/1> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://example.com/ns#Patient> .",
    "<http://example.com/base/patient/2> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://example.com/ns#Patient> .",
    '<http://example.com/base/patient/1> <http://example.com/ns#name> "Zoë" .',
    f'<http://example.com/base/patient/1> <http://example.com/ns#weight> "7.25E1"^^<{XSD}double> .',
    "<http://example.com/base/patient/1> <http://example.com/ns#visit> <http://example.com/base/visit/10> .",
    "<http://example.com/base/patient/2> <http://example.com/ns#visit> <http://example.com/base/visit/11> .",
    '<http://example.com/base/visit/10> <http://example.com/ns#ward> "ICU" <http://example.com/ns#visits> .',
}


def test_cli_convert_with_db_and_base_iri(tmp_path: Path, db: str) -> None:
    out = tmp_path / "out.nq"
    r = runner.invoke(
        app,
        ["convert", str(mapping(tmp_path)), "--db", db, "--base-iri", BASE, "-o", str(out)],
    )
    assert r.exit_code == 0, r.output
    # SQL NULL gives no triple: no name or weight for patient 2, no ward for visit 11.
    assert lines(out) == EXPECTED
    assert "None" not in out.read_text() and "NULL" not in out.read_text()


def test_relative_template_without_base_iri_is_an_error(tmp_path: Path, db: str) -> None:
    out = tmp_path / "out.nq"
    r = runner.invoke(app, ["convert", str(mapping(tmp_path)), "--db", db, "-o", str(out)])
    assert r.exit_code == 2, r.output
    assert "relative IRI" in r.stderr and "--base-iri" in r.stderr
    assert not out.exists()


class RecordingSink:
    """A sink that fails the test on the first write: errors must come before any output."""

    allows_named_graphs = True

    def write(self, lines) -> None:
        raise AssertionError("output was written before the error")

    def write_bytes(self, data: bytes) -> None:
        raise AssertionError("output was written before the error")


def test_unselected_column_is_an_error_naming_triples_map_and_column_before_output(
    tmp_path: Path, db: str
) -> None:
    # The first triples map is fine and its rows would be written first; the second uses a
    # column its query does not select.
    text = R2RML.replace('rr:column "\\"Ward\\""', 'rr:column "\\"Note\\""')
    m = load_mapping(mapping(tmp_path, text), base_iri=BASE)
    engine = Engine(m, Options(database=db, row_provenance=False))
    with pytest.raises(MappingError) as err:
        engine.run(RecordingSink())  # type: ignore[arg-type]
    message = str(err.value)
    assert "'\"Note\"'" in message and "Visits" in message, message
    assert "the columns are" in message

    out = tmp_path / "out.nq"
    with pytest.raises(MappingError):
        fairify.convert(m, out, database=db, provenance=False)
    assert not out.exists()


def test_unknown_sql_version_is_an_error(tmp_path: Path, db: str) -> None:
    text = R2RML.replace("''' ]", "''' ; rr:sqlVersion rr:SQL1979 ]")
    assert "SQL1979" in text
    with pytest.raises(MappingError, match="SQL1979"):
        load_mapping(mapping(tmp_path, text))


# ---------------------------------------------------------------------------------------------
# PostgreSQL


PG_CREATE = """
CREATE TABLE "Patient" (
  "ID" integer PRIMARY KEY, "Name" varchar(20), "Weight" real, dose numeric, total numeric(6,2),
  smoker boolean, born date, seen timestamp, at time, photo bytea, code char(4)
);
INSERT INTO "Patient" VALUES
  (1, 'Zoë', 72.5, 5, 12.50, true, '1980-02-29', '2011-08-23 22:17:00.5', '08:30:00', '\\x00ff', 'AB'),
  (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
"""

PG_R2RML = r"""
@prefix rr: <http://www.w3.org/ns/r2rml#> .
@prefix ex: <http://example.com/ns#> .
<#P> a rr:TriplesMap ;
  rr:logicalTable [ rr:tableName "\"Patient\"" ] ;
  rr:subjectMap [ rr:template "http://example.com/p/{\"ID\"}/{photo}" ] ;
  rr:predicateObjectMap
    [ rr:predicate ex:name ; rr:objectMap [ rr:column "\"Name\"" ] ] ,
    [ rr:predicate ex:weight ; rr:objectMap [ rr:column "\"Weight\"" ] ] ,
    [ rr:predicate ex:dose ; rr:objectMap [ rr:column "DOSE" ] ] ,
    [ rr:predicate ex:total ; rr:objectMap [ rr:column "total" ] ] ,
    [ rr:predicate ex:smoker ; rr:objectMap [ rr:column "smoker" ] ] ,
    [ rr:predicate ex:born ; rr:objectMap [ rr:column "born" ] ] ,
    [ rr:predicate ex:seen ; rr:objectMap [ rr:column "seen" ] ] ,
    [ rr:predicate ex:at ; rr:objectMap [ rr:column "at" ] ] ,
    [ rr:predicate ex:photo ; rr:objectMap [ rr:column "photo" ] ] ,
    [ rr:predicate ex:code ; rr:objectMap [ rr:column "code" ] ] .
"""


@pytest.mark.postgres
def test_postgres_natural_datatypes_and_nulls(tmp_path: Path, postgres_server) -> None:
    url = postgres_server.database("sql_convert_types", PG_CREATE)
    path = tmp_path / "m.ttl"
    path.write_text(PG_R2RML, encoding="utf-8")
    out = tmp_path / "out.nq"
    fairify.convert(path, out, database=url, provenance=False)
    s = "<http://example.com/p/1/00FF>"
    assert lines(out) == {
        f'{s} <http://example.com/ns#name> "Zoë" .',
        f'{s} <http://example.com/ns#weight> "7.25E1"^^<{XSD}double> .',
        f'{s} <http://example.com/ns#dose> "5.0"^^<{XSD}decimal> .',  # NUMERIC is xsd:decimal
        f'{s} <http://example.com/ns#total> "12.5"^^<{XSD}decimal> .',
        f'{s} <http://example.com/ns#smoker> "true"^^<{XSD}boolean> .',
        f'{s} <http://example.com/ns#born> "1980-02-29"^^<{XSD}date> .',
        f'{s} <http://example.com/ns#seen> "2011-08-23T22:17:00.5"^^<{XSD}dateTime> .',
        f'{s} <http://example.com/ns#at> "08:30:00"^^<{XSD}time> .',
        f'{s} <http://example.com/ns#photo> "00FF"^^<{XSD}hexBinary> .',
        f'{s} <http://example.com/ns#code> "AB  " .',  # CHAR(4) is blank-padded
    }  # row 2: NULL photo, so no subject and no triples at all


@pytest.mark.postgres
def test_postgres_folds_undelimited_identifiers_to_lower_case(tmp_path: Path, postgres_server) -> None:
    url = postgres_server.database("sql_convert_types", PG_CREATE)
    path = tmp_path / "m.ttl"
    path.write_text(PG_R2RML.replace('rr:column "\\"Name\\""', 'rr:column "Name"'), encoding="utf-8")
    out = tmp_path / "out.nq"
    with pytest.raises(MappingError) as err:
        fairify.convert(path, out, database=url, provenance=False)
    assert "'Name'" in str(err.value) and "triples map" in str(err.value)
    assert '"Name"' in (err.value.hint or "")  # how to write it delimited
    assert not out.exists()
