"""The demo mapping is written twice, in YARRRML and in RML: both must be the same mapping.

Reading a mapping runs no function, so no site secret is needed here.
"""

from __future__ import annotations

from fairify.mapping import load_mapping
from fairify.mapping.model import FunctionCall, TermMap
from tests.conftest import ROOT
from tests.mapping.yarrrml_support import describe_difference

MAPPINGS = ROOT / "mappings"


def test_yarrrml_and_rml_demo_mappings_are_the_same_model() -> None:
    yarrrml = load_mapping(MAPPINGS / "hn_clinical.yarrrml.yml")
    rml = load_mapping(MAPPINGS / "hn_clinical.rml.ttl")
    # Exact equality, without the conformance suite's normalisation.
    assert yarrrml.canonical() == rml.canonical(), describe_difference(yarrrml, rml, ("YARRRML", "RML"))


def test_demo_sources_declare_their_null_values() -> None:
    for name in ("hn_clinical.yarrrml.yml", "hn_clinical.rml.ttl"):
        sources = {tm.source for tm in load_mapping(MAPPINGS / name).triples_maps.values()}
        assert {s.nulls for s in sources} == {("", "NA", "Unknown", "n/a", "unknown"), ("", "NA", "n/a")}


def test_rml_return_of_the_default_output_is_the_default() -> None:
    """The RML file names ``ffn:output`` with rml:returnMap; YARRRML cannot: both mean the default."""
    rml = load_mapping(MAPPINGS / "hn_clinical.rml.ttl")
    calls = [
        tm.subject.term.expression
        for tm in rml.triples_maps.values()
        if isinstance(tm.subject.term.expression, FunctionCall)
    ]
    calls += [
        o.expression
        for tm in rml.triples_maps.values()
        for pom in tm.predicate_objects
        for o in pom.objects
        if isinstance(o, TermMap) and isinstance(o.expression, FunctionCall)
    ]
    assert calls and all(c.output is None for c in calls)
