"""Term building: IRI-safe encoding, literal escaping, blank node labels, datatype checks."""

from __future__ import annotations

import pyarrow as pa
import pyoxigraph as ox
from hypothesis import given, settings
from hypothesis import strategies as st

from fairify.engine import terms as T
from fairify.engine.datatypes import invalid_mask

XSD = "http://www.w3.org/2001/XMLSchema#"


def _iri(value: str, *, iri: bool = True) -> str:
    encoded = T.encode_iri_values(pa.array([value]), iri=iri).to_pylist()[0]
    return f"http://example.com/patient/{encoded}/x"


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_any_value_gives_a_valid_iri(value: str) -> None:
    for iri in (True, False):
        text = _iri(value, iri=iri)
        assert ox.NamedNode(text).value == text  # oxiri rejects anything that is not an IRI
        assert not T.invalid_iri_mask(pa.array([text])).to_pylist()[0]


@settings(max_examples=400, deadline=None)
@given(st.text(), st.text())
def test_different_values_never_share_an_iri(a: str, b: str) -> None:
    if a != b:
        assert _iri(a) != _iri(b)
        assert _iri(a, iri=False) != _iri(b, iri=False)


def test_iri_safe_keeps_unicode_and_uri_safe_encodes_it() -> None:
    assert T.encode_iri_values(pa.array(["Zoë Smith"]), iri=True).to_pylist() == ["Zoë%20Smith"]
    assert T.encode_iri_values(pa.array(["Zoë Smith"]), iri=False).to_pylist() == ["Zo%C3%AB%20Smith"]
    assert T.encode_iri_values(pa.array(["a/b?c#d", None]), iri=True).to_pylist() == ["a%2Fb%3Fc%23d", None]


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_literal_escaping_round_trips_through_a_real_parser(value: str) -> None:
    line = T.literal_terms(pa.array([value])).to_pylist()[0]
    quads = list(ox.parse(f"<http://e/s> <http://e/p> {line} .\n".encode(), format=ox.RdfFormat.N_TRIPLES))
    assert quads[0].object.value == value


def test_blank_nodes_same_value_same_label() -> None:
    out = T.blank_terms(pa.array(["a b", "a b", "c", ""]), "b1_").to_pylist()
    assert out[0] == out[1] and out[0] != out[2] and out[3].startswith("_:b1_h")
    for label in out:
        ox.parse(f"{label} <http://e/p> <http://e/o> .\n".encode(), format=ox.RdfFormat.N_TRIPLES)


def test_datatype_checks_find_impossible_values() -> None:
    dates = pa.array(["2019-02-28", "2019-02-31", "31/02/2019", None, "2020-02-29"])
    assert invalid_mask(dates, XSD + "date").to_pylist() == [False, True, True, False, False]
    ints = pa.array(["12", "-3", "abc", "1.5", "+7"])
    assert invalid_mask(ints, XSD + "integer").to_pylist() == [False, False, True, True, False]
    assert invalid_mask(ints, "http://example.com/custom") is None
