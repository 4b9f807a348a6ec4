"""Canonical lexical forms (R2RML natural RDF literals) for typed values, one by one and vectorised."""

from __future__ import annotations

import datetime as dt
import decimal
import math

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fairify.sources import XSD_DECIMAL, XSD_DOUBLE, XSD_DURATION, XSD_INTEGER
from fairify.sources._lexical import (
    arrow_to_lexical,
    canonical_decimal,
    canonical_double,
    iso_duration,
    to_lexical,
)


@pytest.mark.parametrize(
    ("value", "lexical"),
    [
        (1.0, "1.0E0"),
        (0.1, "1.0E-1"),
        (-1234.5, "-1.2345E3"),
        (1e20, "1.0E20"),
        (1.5e-7, "1.5E-7"),
        (0.0, "0.0E0"),
        (-0.0, "-0.0E0"),
        (math.inf, "INF"),
        (-math.inf, "-INF"),
        (math.nan, "NaN"),
        (5e-324, "5.0E-324"),
    ],
)
def test_canonical_double(value, lexical):
    assert canonical_double(value) == lexical


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_vectorised_doubles_match_one_by_one(x):
    got, datatype = arrow_to_lexical(pa.array([x, None], pa.float64()))
    assert got.to_pylist() == [canonical_double(x), None]
    assert datatype == XSD_DOUBLE
    if math.isfinite(x):
        assert float(got[0].as_py()) == x  # the lexical form round-trips


@pytest.mark.parametrize(
    ("value", "lexical"),
    [
        ("5.00", "5.0"),
        ("-0.50", "-0.5"),
        ("120", "120.0"),
        ("-0.00", "0.0"),
        ("1E+3", "1000.0"),
        ("0.001", "0.001"),
    ],
)
def test_canonical_decimal(value, lexical):
    assert canonical_decimal(decimal.Decimal(value)) == lexical


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, (None, None)),
        (True, ("true", "http://www.w3.org/2001/XMLSchema#boolean")),
        (7, ("7", XSD_INTEGER)),
        (decimal.Decimal("7"), ("7", XSD_INTEGER)),  # an exact numeric without scale
        (decimal.Decimal("7.50"), ("7.5", XSD_DECIMAL)),
        (dt.date(2011, 8, 23), ("2011-08-23", "http://www.w3.org/2001/XMLSchema#date")),
        (
            dt.datetime(2011, 8, 23, 22, 17),
            ("2011-08-23T22:17:00", "http://www.w3.org/2001/XMLSchema#dateTime"),
        ),
        (
            dt.datetime(2011, 8, 23, 22, 17, 0, 250000),
            ("2011-08-23T22:17:00.25", "http://www.w3.org/2001/XMLSchema#dateTime"),
        ),
        (
            dt.datetime(2011, 8, 24, 0, 17, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            ("2011-08-23T22:17:00Z", "http://www.w3.org/2001/XMLSchema#dateTime"),
        ),
        (dt.time(22, 17), ("22:17:00", "http://www.w3.org/2001/XMLSchema#time")),
        (b"\x89PNG", ("89504E47", "http://www.w3.org/2001/XMLSchema#hexBinary")),
        (memoryview(b"\x00"), ("00", "http://www.w3.org/2001/XMLSchema#hexBinary")),
        (dt.timedelta(days=1, hours=2, seconds=3.5), ("P1DT2H3.5S", XSD_DURATION)),
        ("text", ("text", None)),
    ],
)
def test_to_lexical(value, expected):
    assert to_lexical(value) == expected


@pytest.mark.parametrize(
    ("td", "lexical"),
    [(dt.timedelta(0), "PT0S"), (dt.timedelta(minutes=90), "PT1H30M"), (dt.timedelta(days=-1), "-P1D")],
)
def test_iso_duration(td, lexical):
    assert iso_duration(td) == lexical


def test_arrow_binary_slices_and_lists():
    blobs = pa.array([b"\x01", None, b"\xab\xcd"]).slice(1)
    assert arrow_to_lexical(blobs)[0].to_pylist() == [None, "ABCD"]
    lists = pa.array([[1.5], [], None, [2.0, 3.0]], pa.list_(pa.float64())).slice(1)
    values, datatype = arrow_to_lexical(lists)
    assert values.to_pylist() == [[], None, ["2.0E0", "3.0E0"]]
    assert datatype == XSD_DOUBLE
