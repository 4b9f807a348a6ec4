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


def test_an_open_store_answers_like_its_folder(store: Path) -> None:
    from fairify.store import open_store

    opened = open_store(store, read_only=True)
    t = read_template(store.parent / "people.rq")
    for params in ({}, {"min_age": 18}):
        pd.testing.assert_frame_equal(query(t, opened, **params), query(t, store, **params))


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


# -- every parameter kind, bound locally and in the VALUES block sent to endpoints ----------------------

KINDS = """\
#+ description: One thing by each kind of parameter.
#+ params:
#+   - {name: name, kind: string}
#+   - {name: thing, kind: iri}
#+   - {name: age, kind: integer}
#+   - {name: score, kind: decimal}
#+   - {name: born, kind: date}
#+   - {name: member, kind: boolean}
#+   - {name: kind, kind: enum, values: {person: "http://example.org/Person"}}
#+   - {name: label, kind: enum, values: [a, b]}
#+ columns: {person: iri, n: string}
PREFIX ex: <http://example.org/>
SELECT ?person ?n ?name ?thing ?age ?score ?born ?member ?kind ?label WHERE {
  ?person a ?type ; ex:name ?n ; ex:age ?a .
  OPTIONAL { ?person ex:born ?b }
  OPTIONAL { ?person ex:member ?m }
  FILTER(COALESCE(?n = ?name, true))
  FILTER(COALESCE(?person = ?thing, true))
  FILTER(COALESCE(?a = ?age, true))
  FILTER(COALESCE(?a * 1.5 = ?score, true))
  FILTER(COALESCE(?b = ?born, ?born != ?born, true))
  FILTER(COALESCE(?m = ?member, ?member != ?member, true))
  FILTER(COALESCE(?type = ?kind, true))
  FILTER(COALESCE(?label = "a", true))
} ORDER BY ?person
"""

HOSTILE = [
    'Alice" || true || "',
    "Alice } ; ?x ?y ?z {",
    "x\n# comment",
    "SERVICE <http://127.0.0.1:1/> { ?a ?b ?c }",
    "?person",
    "'''",
    '\\"',
    ") } UNION { ?person ?p ?o } #",
    "<http://example.org/alice>",
    "1 || true",
    "true) || (true",
]
GOOD = {
    "name": ("Alice", 1),
    "thing": (f"{EX}bob", 1),
    "age": ("17", 1),
    "score": ("61.5", 1),
    "born": ("1984-02-03", 1),
    "member": ("true", 1),
    "kind": ("person", 2),
    "label": ("a", 2),
}


@pytest.fixture
def kinds(store: Path) -> Path:
    path = store.parent / "kinds.rq"
    path.write_text(KINDS)
    return path


@pytest.mark.parametrize("param", sorted(GOOD))
def test_each_kind_binds_locally(store: Path, kinds: Path, param: str) -> None:
    value, rows = GOOD[param]
    assert len(query(read_template(kinds), store, **{param: value})) == rows


@pytest.mark.parametrize("param", sorted(GOOD))
@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_cannot_change_the_query(store: Path, kinds: Path, param: str, value: str) -> None:
    """A hostile value is refused as not of its kind, or matches nothing: locally and in VALUES."""
    from fairify.query import with_values

    t = read_template(kinds)
    try:
        terms = bind(t, {param: value})
    except UsageError as exc:
        assert str(exc).startswith(f"template kinds, parameter {param}: ")
        return
    assert query(t, store, **{param: value}).empty
    text = with_values(t.sparql, terms)
    # the remote query is the template plus one VALUES row holding exactly one term
    assert text.replace(f"\n  VALUES (?{param}) {{ ({terms[param]}) }}\n", "", 1) == t.sparql
    s = ox.Store(str(store))
    assert run_sparql(s, text).dropna(subset=["person"]).empty


def test_values_block_binds_like_substitution(store: Path, kinds: Path) -> None:
    from fairify.query import with_values

    t = read_template(kinds)
    s = ox.Store(str(store))
    for param, (value, rows) in GOOD.items():
        terms = bind(t, {param: value})
        assert len(run_sparql(s, with_values(t.sparql, terms)).dropna(subset=["person"])) == rows, param


def test_ill_typed_values_become_na() -> None:
    from fairify.query import csv_to_frame

    data = b"a,b,c,d,e\n1,2.5,2020-01-02,true,x\n6O,bad,31/02/2019,maybe,y\n,,,,\n"
    df = csv_to_frame(
        data, list("abcde"), {"a": "integer", "b": "decimal", "c": "date", "d": "boolean", "e": "iri"}
    )
    assert df["a"].tolist()[0] == 1 and df["a"].isna().tolist() == [False, True, True]
    assert df["b"].isna().tolist() == [False, True, True] and df["c"].isna().tolist() == [False, True, True]
    assert df["d"].isna().tolist() == [False, True, True] and df["c"].dtype.kind == "M"
    assert str(df["a"].dtype) == "Int64" and str(df["e"].dtype) == "category"


# -- aggregate-only templates ---------------------------------------------------------------------------

AGG = """\
#+ description: people per age
#+ aggregate: true
#+ min_cell_count: 2
#+ count_columns: [n]
#+ params:
#+   - {name: min_count, kind: integer, default: 1}
#+ columns: {age: integer, n: integer}
PREFIX ex: <http://example.org/>
SELECT ?age (COUNT(?p) AS ?n) ?min_count WHERE { ?p ex:age ?age } GROUP BY ?age ?min_count
HAVING (COUNT(?p) >= ?min_count)
"""


def test_small_cells_are_suppressed_whatever_the_parameters(store: Path) -> None:
    s = ox.Store(str(store))
    s.update(
        "INSERT DATA { GRAPH <http://example.org/graph> { <http://example.org/carol> <http://example.org/age> 41 } }"
    )
    del s
    (store.parent / "agg.rq").write_text(AGG)
    t = read_template(store.parent / "agg.rq")
    assert query(t, store).to_dict("list") == {"age": [41], "n": [2]}  # Bob (17) alone: suppressed
    assert query(t, store, min_count=1).to_dict("list") == {"age": [41], "n": [2]}  # cannot go below 2
    assert query(t, store, min_count=3).empty


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("#+ aggregate: true\n#+ columns: {n: integer}\n", "must name its count column"),
        (
            "#+ aggregate: true\n#+ count_columns: [n]\n#+ columns: {n: string}\n",
            "must be declared as an integer",
        ),
        (
            "#+ aggregate: true\n#+ min_cell_count: 0\n#+ count_columns: [n]\n#+ columns: {n: integer}\n",
            "at least 1",
        ),
        ("#+ columns: {n: number}\n", "unknown type 'number'"),
    ],
)
def test_bad_aggregate_headers(tmp_path: Path, header: str, message: str) -> None:
    from fairify.errors import MappingError

    (tmp_path / "t.rq").write_text(header + "SELECT * WHERE { ?s ?p ?o }\n")
    with pytest.raises(MappingError, match=message):
        read_template(tmp_path / "t.rq")
