"""Every term the demo mapping emits is declared, labelled, and, where ROO.owl has it, labelled as
ROO.owl labels it: consumers of the station filter on these exact IRIs."""

from __future__ import annotations

import csv
import importlib.util
import re
import sys
from functools import cache
from pathlib import Path

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, SKOS
from ruamel.yaml import YAML

from tests.conftest import SHARED, needs_shared

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGIES = ROOT / "ontologies"
MAPPINGS = ROOT / "mappings"
ROO_OWL = SHARED / "ontologies" / "roo" / "ROO.owl"
FAIRIFY = Namespace("https://w3id.org/fairify/ns#")
# Vocabularies of the mapping language and of RDF itself: not terms the mapping emits.
NOT_TERMS = (
    "http://w3id.org/rml/",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "http://www.w3.org/2000/01/rdf-schema#",
    "http://www.w3.org/2001/XMLSchema#",
    "https://w3id.org/fairify/mappings/",
    "https://w3id.org/fairify/id/",  # our instance namespaces (pseudonym prefixes)
)


@cache
def terms() -> Graph:
    g = Graph()
    for path in sorted(ONTOLOGIES.glob("*.ttl")):
        g.parse(path)
    return g


@cache
def roo() -> Graph:
    g = Graph()
    g.parse(ROO_OWL, format="xml")
    return g


def label(g: Graph, iri: str) -> set[str]:
    return {str(x) for x in g.objects(URIRef(iri), RDFS.label)}


def yarrrml_iris(path: Path) -> set[str]:
    """Prefixed names in a YARRRML file, expanded with its prefixes (ffn:, ncit:, roo:, obo:, ...)."""
    doc = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    prefixes: dict[str, str] = doc["prefixes"]
    out: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(k)
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
        elif isinstance(node, str):
            for m in re.finditer(r"(?<![\w/])([A-Za-z][\w-]*):([A-Za-z_][\w.-]*)", node.removesuffix("~iri")):
                if m.group(1) in prefixes:
                    out.add(prefixes[m.group(1)] + m.group(2))

    walk(doc["mappings"])
    return out


def turtle_iris(path: Path) -> set[str]:
    g = Graph()
    g.parse(path)
    return {str(t) for triple in g for t in triple if isinstance(t, URIRef)}


def value_map_rows() -> list[tuple[Path, dict[str, str]]]:
    rows = []
    for path in sorted((MAPPINGS / "valuemaps").glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as f:
            rows += [(path, r) for r in csv.DictReader(f)]
    return rows


def mapping_terms() -> dict[str, str]:
    """Every term IRI the mappings and value maps use -> the file that uses it."""
    found: dict[str, str] = {}
    for path in sorted(MAPPINGS.glob("*.yarrrml.yml")):
        found.update(dict.fromkeys(yarrrml_iris(path), path.name))
    for path in sorted(MAPPINGS.glob("*.ttl")):
        found.update(dict.fromkeys(turtle_iris(path), path.name))
    for path, r in value_map_rows():
        found[r["iri"]] = f"valuemaps/{path.name}"
    return {iri: where for iri, where in found.items() if not iri.startswith(NOT_TERMS)}


def test_the_mappings_use_terms() -> None:
    found = mapping_terms()
    assert "http://www.cancerdata.org/roo/P100018" in found
    assert "https://w3id.org/fairify/fn#pseudonym" in found
    assert len(found) > 60


def test_every_term_the_mappings_use_is_declared_with_a_label() -> None:
    g = terms()
    missing = {iri: where for iri, where in mapping_terms().items() if not label(g, iri)}
    assert not missing, f"declare these in ontologies/*.ttl with an rdfs:label: {missing}"


def test_hn_terms_lists_only_terms_the_mappings_use() -> None:
    g = Graph().parse(ONTOLOGIES / "hn_terms.ttl")
    declared = {str(t) for t in g.subjects(FAIRIFY.verificationStatus, None)}
    assert declared - set(mapping_terms()) == set()


def test_the_yarrrml_and_rml_mappings_use_the_same_terms() -> None:
    yml = {i for i in yarrrml_iris(MAPPINGS / "hn_clinical.yarrrml.yml") if not i.startswith(NOT_TERMS)}
    ttl = {i for i in turtle_iris(MAPPINGS / "hn_clinical.rml.ttl") if not i.startswith(NOT_TERMS)}
    assert yml == ttl - {"https://w3id.org/fairify/fn#output"}  # YARRRML leaves the return implicit


def test_value_maps_are_well_formed() -> None:
    g = terms()
    by_file: dict[Path, dict[str, str]] = {}
    for path, r in value_map_rows():
        assert set(r) == {"code", "iri", "label"}, path
        code = r["code"].strip().lower()
        seen = by_file.setdefault(path, {})
        assert seen.get(code, r["iri"]) == r["iri"], f"{path.name}: {r['code']!r} mapped to two IRIs"
        seen[code] = r["iri"]
        assert r["label"] in label(g, r["iri"]), f"{path.name}: label of {r['iri']} is not {r['label']!r}"


def test_every_value_map_the_mappings_name_exists() -> None:
    for path in [*MAPPINGS.glob("*.yarrrml.yml"), *MAPPINGS.glob("*.ttl")]:
        tables = set(re.findall(r"valuemaps/[\w.-]+\.csv", path.read_text(encoding="utf-8")))
        assert tables, path
        for t in tables:
            assert (MAPPINGS / t).is_file(), f"{path.name} names {t}"


def test_unverified_terms_are_flagged_with_a_note() -> None:
    g = terms()
    unverified = set(g.subjects(FAIRIFY.verificationStatus, Literal("unverified")))
    assert unverified, "the tumour sites and HPV status are not in ROO.owl"
    for t in unverified:
        assert list(g.objects(t, SKOS.editorialNote)), t
    for t in g.subjects(FAIRIFY.verificationStatus, None):
        assert len(list(g.objects(t, FAIRIFY.verificationStatus))) == 1, t


# ------------------------------------------------------------------------------------ against ROO.owl


def test_confirmed_labels_are_roo_labels() -> None:
    needs_shared(ROO_OWL)
    g, r = terms(), roo()
    confirmed = set(g.subjects(FAIRIFY.verificationStatus, Literal("confirmed")))
    assert len(confirmed) > 50
    for t in confirmed:
        ours = label(g, str(t))
        theirs = label(r, str(t))
        assert theirs, f"{t} is marked confirmed but ROO.owl does not have it"
        assert ours and ours <= theirs, f"{t}: our label {ours} is not ROO.owl's {theirs}"


def test_terms_roo_has_are_not_left_unverified() -> None:
    needs_shared(ROO_OWL)
    g, r = terms(), roo()
    for t in g.subjects(FAIRIFY.verificationStatus, Literal("unverified")):
        assert not label(r, str(t)) and (t, RDF.type, None) not in r, f"{t} is in ROO.owl: confirm it"


def test_every_ncit_and_roo_term_used_has_a_status() -> None:
    g = terms()
    for iri in mapping_terms():
        if iri.startswith(
            ("http://ncicb.nci.nih.gov/", "http://www.cancerdata.org/roo/", "http://purl.obolibrary.org/")
        ):
            assert list(g.objects(URIRef(iri), FAIRIFY.verificationStatus)), iri


def test_hn_terms_ttl_is_what_build_terms_writes() -> None:
    needs_shared(ROO_OWL)
    spec = importlib.util.spec_from_file_location("build_terms", ONTOLOGIES / "build_terms.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    checked = module.check(ROO_OWL)
    assert all(c.ok for c in checked)
    assert module.render(checked) == (ONTOLOGIES / "hn_terms.ttl").read_text(encoding="utf-8"), (
        "ontologies/hn_terms.ttl is stale: run python ontologies/build_terms.py"
    )


@pytest.mark.parametrize("path", sorted(ONTOLOGIES.glob("*.ttl")), ids=lambda p: p.name)
def test_ontology_files_parse(path: Path) -> None:
    assert len(Graph().parse(path)) > 10
