"""SQL sources through SQLAlchemy (SQLite here): natural datatypes, NULLs, identifiers, errors."""

from __future__ import annotations

import sqlite3

import pytest

from fairify.errors import MappingError, SourceError
from fairify.mapping.model import Formulation
from fairify.sources import (
    XSD_BOOLEAN,
    XSD_DATE,
    XSD_DATETIME,
    XSD_DECIMAL,
    XSD_DOUBLE,
    XSD_HEXBINARY,
    XSD_INTEGER,
    XSD_TIME,
)
from fairify.sources.sql import quote_table

pytest.importorskip("sqlalchemy")


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "clinic.db"
    con = sqlite3.connect(path)
    con.executescript(
        """
        CREATE TABLE "Patients" (
            id INTEGER PRIMARY KEY, name TEXT, weight REAL, dose DECIMAL(6,2), smoker BOOLEAN,
            born DATE, seen TIMESTAMP, at TIME, photo BLOB, note VARCHAR(20), misc
        );
        INSERT INTO "Patients" VALUES
            (1, 'Zoë', 72.5, 5, 1, '1980-02-29', '2011-08-23 22:17:00', '08:30:00', X'00FF', '', 7),
            (2, 'Müller', 80, 0.25, 0, 'unknown', '2011-08-23T22:17:00.500', '23:59:59', NULL, 'NA', 'x'),
            (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
        CREATE TABLE visits (patient INTEGER, ward TEXT);
        INSERT INTO visits VALUES (1, 'ICU'), (1, 'CARD'), (2, 'ONC');
        """
    )
    con.commit()
    con.close()
    return path


COLUMNS = ["id", "name", "weight", "dose", "smoker", "born", "seen", "at", "photo", "note", "misc"]


@pytest.mark.parametrize("table", ["Patients", '"Patients"', "patients"])
def test_table_values_and_natural_datatypes(read_source, db, table):
    got = read_source(
        None, COLUMNS, formulation=Formulation.SQL, table=table, database=f"sqlite:///{db}", chunk_rows=2
    )
    assert got.rows == [1, 2, 3]
    assert [c.num_rows for c in got.chunks] == [2, 1]
    v, d = got.values, got.datatypes
    assert v["id"] == ["1", "2", "3"] and d["id"] == [XSD_INTEGER] * 3
    assert v["name"] == ["Zoë", "Müller", None] and d["name"][:2] == [None, None]
    assert v["weight"] == ["7.25E1", "8.0E1", None] and d["weight"][:2] == [XSD_DOUBLE] * 2
    assert v["dose"] == ["5.0", "0.25", None] and d["dose"][:2] == [XSD_DECIMAL] * 2
    assert v["smoker"] == ["true", "false", None] and d["smoker"][:2] == [XSD_BOOLEAN] * 2
    assert v["born"] == ["1980-02-29", "unknown", None] and d["born"][:2] == [XSD_DATE, None]
    assert v["seen"] == ["2011-08-23T22:17:00", "2011-08-23T22:17:00.5", None]
    assert d["seen"][:2] == [XSD_DATETIME] * 2
    assert v["at"] == ["08:30:00", "23:59:59", None] and d["at"][:2] == [XSD_TIME] * 2
    assert v["photo"] == ["00FF", None, None] and d["photo"][0] == XSD_HEXBINARY
    assert v["note"] == ["", "NA", None]  # SQL NULL is no value, never "None"
    assert v["misc"] == ["7", "x", None] and d["misc"][:2] == [XSD_INTEGER, None]


def test_query_with_join_keeps_declared_types(read_source, db):
    query = """SELECT p.id AS pid, p.born, v.ward, count(*) OVER () AS n
               FROM "Patients" p JOIN visits v ON v.patient = p.id ORDER BY p.id, v.ward;"""
    got = read_source(
        None,
        ["pid", "born", "ward", "n"],
        formulation=Formulation.SQL,
        query=query,
        database=f"sqlite:///{db}",
    )
    assert got.values == {
        "pid": ["1", "1", "2"],
        "born": ["1980-02-29", "1980-02-29", "unknown"],
        "ward": ["CARD", "ICU", "ONC"],
        "n": ["3", "3", "3"],
    }
    assert got.datatypes["born"] == [XSD_DATE, XSD_DATE, None]
    assert got.datatypes["n"] == [XSD_INTEGER] * 3  # an expression: typed by its value


def test_nulls_declared_on_the_source(read_source, db):
    got = read_source(
        None,
        ["note"],
        formulation=Formulation.SQL,
        table="Patients",
        database=f"sqlite:///{db}",
        nulls=("NA", ""),
    )
    assert got.values == {"note": [None, None, None]}


def test_relative_sqlite_path_is_relative_to_the_mapping(read_source, db):
    got = read_source(
        None, ["ward"], formulation=Formulation.SQL, table="visits", database="sqlite:///clinic.db"
    )
    assert got.values == {"ward": ["ICU", "CARD", "ONC"]}
    assert got.location == f"sqlite:///{db}"


def test_the_run_time_database_is_the_default(read_source, db):
    got = read_source(
        None, ["ward"], formulation=Formulation.SQL, table="visits", runtime_database=f"sqlite:///{db}"
    )
    assert got.values == {"ward": ["ICU", "CARD", "ONC"]}
    got = read_source(
        None,
        ["ward"],
        formulation=Formulation.SQL,
        table="visits",
        database="sqlite:///clinic.db",
        runtime_database="sqlite:///elsewhere.db",
    )
    assert got.values == {"ward": ["ICU", "CARD", "ONC"]}


def test_duplicate_column_names_are_an_error(read_source, db):
    with pytest.raises(SourceError, match="two columns named 'id'"):
        read_source(
            None,
            ["id"],
            formulation=Formulation.SQL,
            query='SELECT id, name AS id FROM "Patients"',
            database=f"sqlite:///{db}",
        )


def test_invalid_query_reports_the_database_message(read_source, db):
    with pytest.raises(SourceError) as err:
        read_source(
            None,
            ["id"],
            formulation=Formulation.SQL,
            query="SELEC id FROM visits",
            database=f"sqlite:///{db}",
        )
    assert 'near "SELEC": syntax error' in err.value.message
    assert "\n" not in err.value.message


def test_missing_table_is_named(read_source, db):
    with pytest.raises(SourceError) as err:
        read_source(None, ["id"], formulation=Formulation.SQL, table="Patient", database=f"sqlite:///{db}")
    assert "table Patient" in err.value.message
    assert "no such table" in err.value.message
    assert "'Patients'" in err.value.hint


def test_missing_column_is_a_mapping_error(read_source, db):
    with pytest.raises(MappingError) as err:
        read_source(None, ["wards"], formulation=Formulation.SQL, table="visits", database=f"sqlite:///{db}")
    assert "'ward'" in err.value.hint


def test_database_errors(read_source, tmp_path):
    with pytest.raises(SourceError, match="names no database"):
        read_source(None, ["a"], formulation=Formulation.SQL, table="t")
    with pytest.raises(SourceError, match="database file not found"):
        read_source(None, ["a"], formulation=Formulation.SQL, table="t", database="sqlite:///missing.db")
    assert not (tmp_path / "missing.db").exists()  # no empty database created by accident
    with pytest.raises(SourceError) as err:
        read_source(
            None, ["a"], formulation=Formulation.SQL, table="t", database="nosuchdialect://u:secret@h/db"
        )
    assert "secret" not in str(err.value)


def test_password_is_masked(read_source):
    # No PostgreSQL here: either the driver is missing or nothing listens on port 1 of loopback.
    with pytest.raises(SourceError) as err:
        read_source(
            None,
            ["a"],
            formulation=Formulation.SQL,
            table="t",
            database="postgresql://u:s3cret@127.0.0.1:1/db",
        )
    assert "s3cret" not in str(err.value)
    assert err.value.location.file == "postgresql://u:***@127.0.0.1:1/db"


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("Patients", "Patients"),
        ('"Patients"', '"Patients"'),
        ('clinic."My Table"', 'clinic."My Table"'),
        ('"a""b"', '"a""b"'),
        ("my table", '"my table"'),
        ("main.visits", "main.visits"),
    ],
)
def test_table_names_follow_r2rml_identifiers(table, expected):
    from sqlalchemy.dialects import sqlite

    assert quote_table(table, sqlite.dialect()) == expected
