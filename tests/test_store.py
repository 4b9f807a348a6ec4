"""The Oxigraph store: one graph per source, atomic replacement, provenance, info, export, kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

import fairify
from fairify.errors import SourceError, UsageError
from fairify.provenance import PROVENANCE_GRAPH
from fairify.query import run_sparql
from fairify.store import (
    current_graphs,
    describe,
    export,
    history,
    info,
    open_store,
    source_iri,
    source_name,
    stale_graphs,
)
from tests.conftest import ROOT

G = "https://w3id.org/fairify/graph/"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def count(store: Path, sparql: str = COUNT) -> int:
    return int(run_sparql(open_store(store, read_only=True), sparql, columns={"n": "integer"})["n"][0])


def nt(path: Path, n: int, value: str = "x") -> Path:
    path.write_text("".join(f'<urn:s{i}> <urn:p> "{value}{i}" .\n' for i in range(n)))
    return path


def graphs(store: Path) -> set[str]:
    s = open_store(store, read_only=True)
    return {g.value for g in s.named_graphs()}


def test_source_names() -> None:
    assert source_name("out/clinical.nq") == "clinical"
    assert source_name("out/clinical.prov.nq") == "clinical.prov"
    assert source_name("mappings/hn_clinical.yarrrml.yml") == "hn_clinical"
    assert source_iri("a b") == G + "a%20b"


def test_load_puts_each_file_in_its_own_graph(tmp_path: Path) -> None:
    a = nt(tmp_path / "a.nt", 3)
    b = tmp_path / "b.nq"
    b.write_text("<urn:s> <urn:p> <urn:o2> <urn:g> .\n<urn:s> <urn:p> <urn:o3> .\n")
    t = tmp_path / "c.ttl"
    t.write_text("@prefix e: <urn:> . e:s e:p e:o4 .\n")
    result = fairify.load([a, b, t], tmp_path / "store")
    assert result.quads == 6
    assert [g.graph for g in result.graphs] == [G + "a/v1", G + "b/v1", G + "c/v1"]
    assert graphs(tmp_path / "store") == {G + "a/v1", G + "b/v1", G + "c/v1", PROVENANCE_GRAPH}
    # the named graph inside b.nq is merged into b's graph: the source is the unit replaced
    assert (
        count(tmp_path / "store", f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{G}b/v1> {{ ?s ?p ?o }} }}") == 2
    )


def test_reload_is_idempotent_and_recorded(tmp_path: Path) -> None:
    a = nt(tmp_path / "a.nt", 3)
    fairify.load([a], tmp_path / "store")
    again = fairify.load([a], tmp_path / "store")
    assert again.quads == 0 and again.graphs[0].status == "unchanged"
    assert again.graphs[0].graph == G + "a/v1"
    assert [h["status"] for h in history(tmp_path / "store")] == ["loaded", "unchanged"]


def test_changed_source_replaces_its_graph(tmp_path: Path) -> None:
    store = tmp_path / "store"
    fairify.load([nt(tmp_path / "a.nt", 5), nt(tmp_path / "b.nt", 2)], store)
    r = fairify.load([nt(tmp_path / "a.nt", 3, "new")], store)
    g = r.graphs[0]
    assert (g.status, g.graph, g.replaced, g.quads) == ("replaced", G + "a/v2", G + "a/v1", 3)
    assert G + "a/v1" not in graphs(store)  # the old version is deleted after the swap
    assert count(store) == 3 + 2 + count(
        store, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{PROVENANCE_GRAPH}> {{ ?s ?p ?o }} }}"
    )
    assert count(store, 'SELECT (COUNT(*) AS ?n) WHERE { ?s <urn:p> ?o FILTER(STRSTARTS(?o, "x")) }') == 2
    loads = history(store)
    assert loads[-1]["replaced"] == G + "a/v1" and loads[-1]["n"] == "3"


def test_provenance_of_a_load(tmp_path: Path) -> None:
    a = nt(tmp_path / "a.nt", 2)
    fairify.load([a], tmp_path / "store", validation={str(a): "conforms to shapes.ttl"})
    (src,) = info(tmp_path / "store").sources
    assert src.name == "a" and src.quads == 2 and src.validation == "conforms to shapes.ttl"
    assert src.used == [a.resolve().as_uri()]
    import hashlib

    assert src.sha256 == hashlib.sha256(a.read_bytes()).hexdigest()
    assert src.properties == {"urn:p": 2}


def test_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not found"):
        fairify.load([tmp_path / "missing.nt"], tmp_path / "store")
    odd = tmp_path / "data.xyz"
    odd.write_text("")
    with pytest.raises(UsageError, match=r"cannot tell the RDF format of data\.xyz"):
        fairify.load([odd], tmp_path / "store")
    broken = tmp_path / "broken.nt"
    broken.write_text("<urn:s> <urn:p> <urn:o> .\n<urn:s> <urn:p> .\n")
    with pytest.raises(SourceError, match=r"broken\.nt:2: not valid RDF"):
        fairify.load([broken], tmp_path / "store")
    assert current_graphs(open_store(tmp_path / "store")) == {}
    (tmp_path / "x").mkdir()
    nt(tmp_path / "x" / "a.nt", 1)
    with pytest.raises(UsageError, match="would both be the source 'a'"):
        fairify.load([nt(tmp_path / "a.nt", 1), tmp_path / "x" / "a.nt"], tmp_path / "store")
    with pytest.raises(UsageError, match="does not exist"):
        open_store(tmp_path / "nowhere")


def test_stale_versions_are_invisible_and_collected(tmp_path: Path) -> None:
    """The two windows a kill can hit: after the new version's bulk load, and before the old one's deletion."""
    store = tmp_path / "store"
    fairify.load([nt(tmp_path / "a.nt", 4)], store)
    s = open_store(store)
    # a load killed after its bulk load but before the swap: v2 exists but is not current
    s.bulk_load(
        input=b'<urn:new> <urn:p> "n" .\n', format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(G + "a/v2")
    )
    # a load killed while deleting the old version of another source: part of it is still there
    s.bulk_load(
        input=b'<urn:old> <urn:p> "o" .\n', format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(G + "b/v1")
    )
    assert {g.value for g in stale_graphs(s)} == {G + "a/v2", G + "b/v1"}
    del s
    assert count(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s <urn:p> ?o }") == 4
    assert set(info(store).stale) == {G + "a/v2", G + "b/v1"}
    r = fairify.load([nt(tmp_path / "a.nt", 2, "y")], store)  # the next write removes them first
    assert r.graphs[0].graph == G + "a/v2"  # the stale v2 was removed first; its name is free again
    assert graphs(store) == {G + "a/v2", PROVENANCE_GRAPH}


def test_export_and_describe(tmp_path: Path) -> None:
    store = tmp_path / "store"
    fairify.load([nt(tmp_path / "a.nt", 3)], store)
    dump = export(store, tmp_path / "dump.nq")
    quads = list(ox.parse(path=str(dump), format=ox.RdfFormat.N_QUADS))
    assert len(quads) == count(store)
    with pytest.raises(UsageError, match=r"cannot export to dump\.ttl"):
        export(store, tmp_path / "dump.ttl")
    ttl = describe(store, title="Test station", endpoint="http://127.0.0.1:7878/query")
    g = ox.Store()
    g.load(ttl.encode(), format=ox.RdfFormat.TURTLE)
    q = (
        "PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX void: <http://rdfs.org/ns/void#> "
        "PREFIX dcterms: <http://purl.org/dc/terms/> "
        "SELECT ?t ?n ?e WHERE { ?d a dcat:Dataset ; dcterms:title ?t ; void:triples ?n ; "
        "dcat:distribution/dcat:accessService/dcat:endpointURL ?e }"
    )
    (row,) = list(g.query(q))
    assert row["t"].value == "Test station" and int(row["n"].value) == count(store)
    assert row["e"].value == "http://127.0.0.1:7878/query"


# -- convert --store ------------------------------------------------------------------------------------

MAPPING = """\
prefixes:
  ex: http://example.org/
sources:
  people: [people.csv~csv]
mappings:
  person:
    sources: people
    s: ex:person/$(id)
    po:
      - [ex:age, $(age), xsd:integer]
"""


def test_convert_into_the_store_is_one_replaceable_graph(tmp_path: Path) -> None:
    (tmp_path / "m.yml").write_text(MAPPING)
    (tmp_path / "people.csv").write_text("id,age\n1,30\n2,40\n")
    store = tmp_path / "store"
    fairify.convert(tmp_path / "m.yml", store=store, secret=b"s" * 32)
    cur = current_graphs(open_store(store, read_only=True))
    assert cur == {G + "m": G + "m/v1"}
    data = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{G}m/v1> {{ ?s <http://example.org/age> ?o }} }}"
    assert count(store, data) == 2
    links = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{G}m/v1> {{ ?s <http://www.w3.org/ns/prov#wasDerivedFrom> ?o }} }}"
    assert count(store, links) == 2  # row links travel with the data they describe
    run = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{PROVENANCE_GRAPH}> {{ ?r a <http://www.w3.org/ns/prov#Activity> ; <http://www.w3.org/ns/prov#used> ?m }} }}"
    assert count(store, run) >= 2  # the conversion's PROV-O record, beside the load record
    (source,) = info(store, void=False).sources
    assert source.used == [(tmp_path / "people.csv").resolve().as_uri()]  # the load names what it read
    (tmp_path / "people.csv").write_text("id,age\n1,31\n")
    fairify.convert(tmp_path / "m.yml", store=store, secret=b"s" * 32)
    assert current_graphs(open_store(store, read_only=True)) == {G + "m": G + "m/v2"}
    assert count(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s <http://example.org/age> ?o }") == 1
    assert G + "m/v1" not in graphs(store)


def test_failed_conversion_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    (tmp_path / "m.yml").write_text(MAPPING)
    (tmp_path / "people.csv").write_text("id,age\n1,30\n")
    store = tmp_path / "store"
    fairify.convert(tmp_path / "m.yml", store=store, secret=b"s" * 32)
    before = count(store)
    (tmp_path / "people.csv").write_text("id,age\n1,30\n2,forty\n")
    with pytest.raises(fairify.DataError):
        fairify.convert(tmp_path / "m.yml", store=store, secret=b"s" * 32, on_error="fail")
    assert count(store) == before
    assert graphs(store) == {G + "m/v1", PROVENANCE_GRAPH}


# -- kill -9 ---------------------------------------------------------------------------------------------

LOADER = """
import sys
import fairify
print("start", flush=True)
fairify.load([sys.argv[2]], sys.argv[1], names=["big"])
print("done", flush=True)
"""


OLD, NEW = 100_000, 150_000


@pytest.fixture(scope="module")
def load_seconds(tmp_path_factory: pytest.TempPathFactory) -> float:
    """How long an unkilled replacing load takes here (bulk load, swap, then deleting the old version)."""
    tmp = tmp_path_factory.mktemp("timing")
    fairify.load([nt(tmp / "big.nt", OLD, "old")], tmp / "store", names=["big"])
    new = nt(tmp / "big2.nt", NEW, "new")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", LOADER, str(tmp / "store"), str(new)], check=True, env=_env())
    return time.perf_counter() - t0


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


@pytest.mark.slow
@pytest.mark.parametrize("fraction", [0.2, 0.45, 0.65, 0.8, 0.9, 0.97])
def test_kill_9_during_a_load_leaves_old_or_new(tmp_path: Path, load_seconds: float, fraction: float) -> None:
    """SIGKILL at points spread over a replacing load: during the bulk load, around the swap, and
    while the old version is being deleted. The store must open and answer with one whole version."""
    store = tmp_path / "store"
    fairify.load([nt(tmp_path / "big.nt", OLD, "old")], store, names=["big"])
    new = nt(tmp_path / "big2.nt", NEW, "new")
    p = subprocess.Popen(
        [sys.executable, "-c", LOADER, str(store), str(new)], stdout=subprocess.PIPE, env=_env()
    )
    assert p.stdout is not None and p.stdout.readline().strip() == b"start"
    time.sleep(load_seconds * fraction)
    p.send_signal(signal.SIGKILL)
    p.wait()
    n = count(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s <urn:p> ?o }")
    stale = len(stale_graphs(open_store(store, read_only=True)))
    print(
        f"kill at {fraction:.0%} of {load_seconds:.1f} s: {'new' if n == NEW else 'old' if n == OLD else n}, {stale} stale"
    )
    assert n in (OLD, NEW), n
    # and the next write cleans up whatever the kill left
    r = fairify.load([nt(tmp_path / "big.nt", 10, "again")], store, names=["big"])
    assert r.graphs[0].quads == 10
    assert stale_graphs(open_store(store)) == []
    assert count(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s <urn:p> ?o }") == 10


def test_cli_load_info_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from fairify.cli import main

    a = nt(tmp_path / "a.nt", 3)
    store = tmp_path / "store"

    def cli(*args: str) -> int:
        with pytest.raises(SystemExit) as exc:
            main(list(args))
        return int(exc.value.code or 0)

    assert cli("load", str(a), "--store", str(store), "--graph", "people") == 0
    assert "a.nt -> https://w3id.org/fairify/graph/people/v1: 3 quads (loaded)" in capsys.readouterr().err
    assert cli("store", "info", "--store", str(store), "--history") == 0
    text = capsys.readouterr().out
    assert (
        "people  <https://w3id.org/fairify/graph/people/v1>  3 quads" in text
        and "1 properties: urn:p 3" in text
    )
    assert cli("export", "--store", str(store), "-o", str(tmp_path / "d.nq")) == 0
    assert cli("store", "describe", "--store", str(store), "-o", str(tmp_path / "d.ttl")) == 0
    assert "dcat:Dataset" in (tmp_path / "d.ttl").read_text()
    assert cli("load", str(a), "--store", str(store), "--endpoint", "http://127.0.0.1:1/store") == 2
    assert ROOT.is_dir()
