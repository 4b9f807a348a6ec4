"""SPARQL templates: headers, parameter binding (never pasted into the text), typed results."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyoxigraph as ox
import pytest

from fairify.errors import UsageError
from fairify.query import bind, query, read_template, run_sparql

EX = "http://example.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"

TEMPLATE = """\
#+ description: People by name.
#+ params:
#+   - {name: name, kind: string, description: exact name}
#+   - {name: min_age, kind: integer, default: 0}
#+   - {name: born_after, kind: date}
#+   - {name: kind, kind: enum, values: {person: "http://example.org/Person"}}
#+ columns: {person: iri, age: integer, born: date, member: boolean}
PREFIX ex: <http://example.org/>
SELECT ?person ?age ?born ?member ?name ?min_age ?born_after ?kind WHERE {
  ?person a ?type ; ex:name ?n ; ex:age ?age .
  OPTIONAL { ?person ex:born ?born }
  OPTIONAL { ?person ex:member ?member }
  FILTER(COALESCE(?n = ?name, true))
  FILTER(?age >= ?min_age)
  FILTER(COALESCE(?born > ?born_after, ?born_after != ?born_after, true))
  FILTER(COALESCE(?type = ?kind, true))
} ORDER BY ?person
"""


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store"
    s = ox.Store(str(path))
    data = f"""
    <{EX}alice> a <{EX}Person> ; <{EX}name> "Alice" ; <{EX}age> 41 ; <{EX}born> "1984-02-03"^^<{XSD}date> ; <{EX}member> true .
    <{EX}bob> a <{EX}Person> ; <{EX}name> "Bob \\"}}# SERVICE" ; <{EX}age> 17 .
    """
    s.load(data.encode(), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(f"{EX}graph"))
    s.flush()
    del s
    (tmp_path / "people.rq").write_text(TEMPLATE)
    return path


def run(store: Path, **params) -> pd.DataFrame:
    return query(read_template(store.parent / "people.rq"), store, **params)


def test_typed_results(store: Path) -> None:
    df = run(store)
    assert list(df.columns) == ["person", "age", "born", "member"]  # parameters are dropped
    assert str(df["age"].dtype) == "Int64" and str(df["member"].dtype) == "boolean"
    assert str(df["person"].dtype) == "category" and df["born"].dtype.kind == "M"
    assert df["age"].tolist() == [41, 17]
    assert pd.isna(df["born"].iloc[1]) and pd.isna(df["member"].iloc[1])


def test_parameters_filter(store: Path) -> None:
    assert run(store, min_age=18)["age"].tolist() == [41]
    assert run(store, born_after="1980-01-01")["age"].tolist() == [41]
    assert len(run(store, kind="person")) == 2


@pytest.mark.parametrize(
    "value",
    [
        'Alice" || true || "',
        "Alice } ; ?x ?y ?z {",
        "x\n# comment",
        "SERVICE <http://127.0.0.1:1/> { ?a ?b ?c }",
        "?person",
    ],
)
def test_injection_cannot_change_the_query(store: Path, value: str) -> None:
    assert run(store, name=value).empty


def test_awkward_value_matches_exactly(store: Path) -> None:
    assert len(run(store, name='Bob "}# SERVICE')) == 1


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"min_age": "ten"}, "template people, parameter min_age: 'ten' is not an integer"),
        (
            {"born_after": "03/02/1984"},
            "template people, parameter born_after: '03/02/1984' is not a date (YYYY-MM-DD)",
        ),
        ({"kind": "robot"}, "template people, parameter kind: 'robot' is not one of person"),
        (
            {"colour": "red"},
            "template people has no parameter colour (parameters: name, min_age, born_after, kind)",
        ),
    ],
)
def test_bad_parameters(store: Path, params: dict, message: str) -> None:
    with pytest.raises(UsageError) as exc:
        bind(read_template(store.parent / "people.rq"), params)
    assert str(exc.value) == message


def test_ad_hoc_sparql(store: Path) -> None:
    s = ox.Store(str(store))
    df = run_sparql(s, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", columns={"n": "integer"})
    assert df["n"].tolist() == [8]
    with pytest.raises(UsageError, match="invalid SPARQL"):
        run_sparql(s, "SELECT WHERE {")
