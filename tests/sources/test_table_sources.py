"""Excel and Parquet sources: lexical forms, natural datatypes, row numbers, errors."""

from __future__ import annotations

import datetime as dt
import decimal
import sys

import pyarrow as pa
import pyarrow.parquet as pq
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

openpyxl = pytest.importorskip("openpyxl")

# ---------------------------------------------------------------------------------------------
# Excel


@pytest.fixture
def workbook(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Patients"
    ws["B3"] = "id"
    ws["C3"] = "name"
    ws["D3"] = "admitted"
    ws["E3"] = "weight"
    ws["F3"] = "smoker"
    ws["G3"] = "born"
    ws.append([])  # row 4 stays empty in the sheet
    ws["B5"], ws["C5"], ws["D5"], ws["E5"], ws["F5"] = 1, "Zoë", dt.datetime(2023, 5, 1, 14, 30), 72.5, True
    ws["G5"] = dt.date(1980, 2, 29)
    ws["B7"], ws["C7"], ws["D7"], ws["E7"], ws["F7"] = 2.0, "Müller", dt.datetime(2023, 5, 2), 80.0, False
    ws["G7"] = "unknown"
    ws["B8"] = "=B5+B7"  # a formula: openpyxl wrote no cached value
    ws["C8"] = "NA"
    other = wb.create_sheet("Codes")
    other.append(["code", "label"])
    other.append(["I10", "Hypertension"])
    path = tmp_path / "clinic.xlsx"
    wb.save(path)
    return path


def test_excel_values_types_and_row_numbers(read_source, workbook):
    refs = ["id", "name", "admitted", "weight", "smoker", "born"]
    got = read_source(None, refs, name=workbook.name, formulation=Formulation.TABLE, chunk_rows=2)
    assert got.rows == [5, 7, 8]  # Excel's own row numbers; the empty row 6 is no record
    assert got.values["id"] == ["1", "2", None]
    assert got.datatypes["id"] == [XSD_INTEGER, XSD_INTEGER, None]
    assert got.values["name"] == ["Zoë", "Müller", "NA"]
    assert got.datatypes["name"] == [None, None, None]
    assert got.values["admitted"] == ["2023-05-01T14:30:00", "2023-05-02T00:00:00", None]
    assert got.datatypes["admitted"][:2] == [XSD_DATETIME, XSD_DATETIME]  # the cell format shows a time
    assert got.values["weight"] == ["72.5", "80", None]
    assert got.datatypes["weight"][:2] == [XSD_DOUBLE, XSD_INTEGER]
    assert got.values["smoker"] == ["true", "false", None]
    assert got.datatypes["smoker"][:2] == [XSD_BOOLEAN, XSD_BOOLEAN]
    assert got.values["born"] == ["1980-02-29", "unknown", None]
    assert got.datatypes["born"][:2] == [XSD_DATE, None]


def test_excel_sheet_option_and_nulls(read_source, workbook):
    got = read_source(None, ["code", "label"], name=workbook.name, options=(("sheet", "Codes"),))
    assert got.values == {"code": ["I10"], "label": ["Hypertension"]}
    assert got.rows == [2]
    got = read_source(None, ["name"], name=workbook.name, nulls=("NA",))
    assert got.values == {"name": ["Zoë", "Müller", None]}


def test_excel_errors(read_source, workbook, tmp_path):
    with pytest.raises(SourceError, match=r"no sheet 'Nope'.*'Patients', 'Codes'"):
        read_source(None, ["id"], name=workbook.name, options=(("sheet", "Nope"),))
    with pytest.raises(MappingError) as err:
        read_source(None, ["Name"], name=workbook.name)
    assert "'name'" in err.value.hint
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    with pytest.raises(SourceError, match=r"not a readable \.xlsx"):
        read_source(None, ["id"], name="broken.xlsx")
    empty = openpyxl.Workbook()
    empty.save(tmp_path / "empty.xlsx")
    with pytest.raises(SourceError, match="empty; expected a header row"):
        read_source(None, ["id"], name="empty.xlsx")


def test_excel_without_openpyxl(read_source, workbook, monkeypatch):
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    with pytest.raises(SourceError) as err:
        read_source(None, ["id"], name=workbook.name)
    assert "pip install 'fairify[excel]'" in str(err.value)


# ---------------------------------------------------------------------------------------------
# Parquet


def test_parquet_lexical_forms_and_natural_datatypes(read_source, tmp_path):
    table = pa.table(
        {
            "id": pa.array([1, 2, None], pa.int64()),
            "name": pa.array(["Zoë", None, "NA"]),
            "weight": pa.array([72.5, 80.0, 1e-7]),
            "ratio": pa.array([0.1, None, 2.5], pa.float32()),
            "dose": pa.array([decimal.Decimal("5.00"), decimal.Decimal("0.25"), None], pa.decimal128(6, 2)),
            "smoker": pa.array([True, False, None]),
            "born": pa.array([dt.date(1980, 2, 29), None, dt.date(2001, 1, 1)]),
            "seen": pa.array(
                [dt.datetime(2011, 8, 23, 22, 17), dt.datetime(2011, 8, 23, 22, 17, 0, 500000), None],
                pa.timestamp("us"),
            ),
            "seen_utc": pa.array(
                [dt.datetime(2011, 8, 23, 22, 17, tzinfo=dt.timezone(dt.timedelta(hours=2))), None, None],
                pa.timestamp("ms", tz="Europe/Brussels"),
            ),
            "at": pa.array([dt.time(8, 30), None, dt.time(23, 59, 59, 250000)]),
            "blob": pa.array([b"\x00\xff", None, b"AB"]),
            "codes": pa.array([["I10", "E11"], [], None], pa.list_(pa.string())),
            "ward": pa.array(["ICU", "ICU", "CARD"]).dictionary_encode(),
        }
    )
    pq.write_table(table, tmp_path / "t.parquet")
    refs = list(table.column_names)
    got = read_source(
        None, refs, name="t.parquet", formulation=Formulation.TABLE, chunk_rows=2, nulls=("NA",)
    )
    assert got.rows == [1, 2, 3]
    v, d = got.values, got.datatypes
    assert v["id"] == ["1", "2", None] and d["id"][0] == XSD_INTEGER
    assert v["name"] == ["Zoë", None, None] and d["name"] == [None] * 3
    assert v["weight"] == ["7.25E1", "8.0E1", "1.0E-7"] and d["weight"][0] == XSD_DOUBLE
    assert v["ratio"] == ["1.0E-1", None, "2.5E0"]
    assert v["dose"] == ["5.0", "0.25", None] and d["dose"][0] == XSD_DECIMAL
    assert v["smoker"] == ["true", "false", None] and d["smoker"][0] == XSD_BOOLEAN
    assert v["born"] == ["1980-02-29", None, "2001-01-01"] and d["born"][0] == XSD_DATE
    assert (
        v["seen"] == ["2011-08-23T22:17:00", "2011-08-23T22:17:00.5", None] and d["seen"][0] == XSD_DATETIME
    )
    assert v["seen_utc"] == ["2011-08-23T20:17:00Z", None, None]
    assert v["at"] == ["08:30:00", None, "23:59:59.25"] and d["at"][0] == XSD_TIME
    assert v["blob"] == ["00FF", None, "4142"] and d["blob"][0] == XSD_HEXBINARY
    assert v["codes"] == [["I10", "E11"], [], None]
    assert v["ward"] == ["ICU", "ICU", "CARD"]


def test_parquet_missing_column_and_bad_file(read_source, tmp_path):
    pq.write_table(pa.table({"patient_id": [1]}), tmp_path / "t.parquet")
    with pytest.raises(MappingError) as err:
        read_source(None, ["patientid"], name="t.parquet", formulation=Formulation.TABLE)
    assert "'patient_id'" in err.value.hint
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 nonsense")
    with pytest.raises(SourceError, match="cannot read the Parquet file"):
        read_source(None, ["x"], name="bad.parquet", formulation=Formulation.TABLE)


def test_parquet_without_references_counts_rows(read_source, tmp_path):
    pq.write_table(pa.table({"a": list(range(5))}), tmp_path / "t.parquet")
    got = read_source(None, [], name="t.parquet", formulation=Formulation.TABLE, chunk_rows=2)
    assert got.rows == [1, 2, 3, 4, 5]
