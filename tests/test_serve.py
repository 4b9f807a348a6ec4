"""Serving: Oxigraph's read-only endpoint, two-station federation, the aggregate-only API, GSP loads."""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

import fairify
from fairify.query import federate, run_endpoint
from fairify.serve import OxigraphServer, aggregate_app, free_port
from tests.demo_stores import demo_store, split_demo

pytest.importorskip("starlette")


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("stations")
    out = {"all": demo_store(tmp / "all")}
    for i, data in enumerate(split_demo(tmp)):
        out[f"s{i}"] = demo_store(tmp / f"station{i}", data)
    return out


@pytest.fixture(scope="module")
def servers(stores: dict[str, Path]):
    running = [OxigraphServer(stores["s0"]).start(), OxigraphServer(stores["s1"]).start()]
    yield running
    for s in running:
        s.stop()


def endpoints(servers: list[OxigraphServer]) -> list[str]:
    return [f"s{i}={s.query_url}" for i, s in enumerate(servers)]


@pytest.mark.parametrize(
    ("template", "params"),
    [
        ("cohort_survival", {"tstage": "T3", "hpv": "positive"}),
        ("cohort_survival", {"min_age": 70}),
        ("dose_fractionation", {"n_fractions": 35}),
    ],
)
def test_two_stations_give_the_union_with_a_station_column(
    stores: dict[str, Path], servers: list[OxigraphServer], template: str, params: dict
) -> None:
    df = fairify.query(template, endpoint=endpoints(servers), **params)
    assert df.columns[0] == "station" and str(df["station"].dtype) == "category"
    assert df.attrs["errors"] == {}
    whole = fairify.query(template, store=stores["all"], **params)
    assert len(whole) > 0
    assert sorted(df["patient"].astype(str)) == sorted(whole["patient"].astype(str))
    for i in range(2):
        local = fairify.query(template, store=stores[f"s{i}"], **params)
        mine = df[df["station"] == f"s{i}"].drop(columns="station").reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, local, check_categorical=False)


def test_a_failing_station_is_reported_and_the_others_answer(
    stores: dict[str, Path], servers: list[OxigraphServer]
) -> None:
    dead = f"http://127.0.0.1:{free_port()}/query"
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts connections, never answers
    slow = f"http://127.0.0.1:{silent.getsockname()[1]}/query"
    try:
        t0 = time.monotonic()
        r = federate(
            "cohort_survival",
            endpoints=[*endpoints(servers), f"dead={dead}", f"slow={slow}"],
            timeout=2,
            tstage="T3",
        )
        assert time.monotonic() - t0 < 15
    finally:
        silent.close()
    assert set(r.errors) == {"dead", "slow"}
    assert "within 2 s" in r.errors["slow"]
    assert set(r.frame["station"].unique()) == {"s0", "s1"}
    assert r.rows["s0"] + r.rows["s1"] == len(
        fairify.query("cohort_survival", store=stores["all"], tstage="T3")
    )


def test_bad_parameter_is_an_error_before_any_station_is_asked(servers: list[OxigraphServer]) -> None:
    with pytest.raises(fairify.UsageError, match="template cohort_survival, parameter tstage: 'T9'"):
        fairify.query("cohort_survival", endpoint=endpoints(servers), tstage="T9")


def test_sparqlwrapper_reads_the_served_store(servers: list[OxigraphServer]) -> None:
    from SPARQLWrapper import CSV, SPARQLWrapper

    w = SPARQLWrapper(servers[0].query_url)
    w.setQuery(
        "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a <http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl#C16960> }"
    )
    w.setReturnFormat(CSV)
    assert w.query().convert().decode().split() == ["n", "250"]


def test_the_server_is_read_only(servers: list[OxigraphServer]) -> None:
    req = urllib.request.Request(
        servers[0].url + "/update",
        data=b"update=CLEAR%20ALL",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req, timeout=10)
    assert exc.value.code in (403, 404, 405)


def test_injection_through_an_endpoint(servers: list[OxigraphServer]) -> None:
    """A hostile string reaches the remote store only as one literal in the VALUES block."""
    from tests.test_query import HOSTILE

    for value in HOSTILE:
        df = fairify.query("imaging_structures", endpoint=servers[0].query_url, interpreted_type=value)
        assert df.empty


def test_load_into_a_remote_store_by_graph_store_protocol(tmp_path: Path) -> None:
    a = tmp_path / "a.nt"
    a.write_text("<urn:s> <urn:p> <urn:o> .\n<urn:s> <urn:p> <urn:o2> .\n")
    b = tmp_path / "b.nq"
    b.write_text("<urn:s> <urn:p> <urn:o3> <urn:g> .\n")
    with OxigraphServer(tmp_path / "remote", read_only=False) as srv:
        fairify.store.upload([a, b], srv.store_url)
        fairify.store.upload([a], srv.store_url)  # a reload replaces the graph: still 2 triples
        q = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
        df = run_endpoint(q, srv.query_url, {"n": "integer"})
    counts = dict(zip(df["g"], df["n"], strict=True))
    assert counts["https://w3id.org/fairify/graph/a"] == 2
    assert counts["https://w3id.org/fairify/graph/b"] == 1
    assert counts["https://w3id.org/fairify/graph/provenance"] > 0


# -- the aggregate-only API --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api(stores: dict[str, Path]):
    from starlette.testclient import TestClient

    with TestClient(aggregate_app(stores["all"], station="test")) as client:
        yield client


def test_api_lists_only_aggregate_templates(api) -> None:
    doc = api.get("/").json()
    assert doc["mode"] == "aggregate-only" and doc["station"] == "test"
    assert doc["templates"] == ["cohort_by_stage", "counts_by_site_stage", "data_completeness"]
    listing = {t["name"]: t for t in api.get("/templates").json()}
    assert listing["counts_by_site_stage"]["min_cell_count"] == 10
    assert [p["name"] for p in listing["counts_by_site_stage"]["params"]] == ["hpv", "min_count"]


def test_api_runs_a_template_with_suppression(api, stores: dict[str, Path]) -> None:
    from fairify.query import bind, find_template, run_sparql
    from fairify.store import open_store

    doc = api.get("/templates/counts_by_site_stage", params={"hpv": "positive"}).json()
    assert all(row[2] >= 10 for row in doc["rows"]) and doc["columns"]["patients"] == "integer"
    local = fairify.query("counts_by_site_stage", store=stores["all"], hpv="positive")
    assert [r[2] for r in doc["rows"]] == local["patients"].tolist()
    t = find_template("counts_by_site_stage")
    raw = run_sparql(
        open_store(stores["all"], read_only=True), t.sparql, bind(t, {"hpv": "positive", "min_count": 1})
    )
    assert (raw["patients"].astype(int) < 10).any()  # there were small cells to suppress
    low = api.post("/templates/counts_by_site_stage", json={"params": {"min_count": 1}}).json()
    assert min(r[2] for r in low["rows"]) >= 10 and low["min_cell_count"] == 10


def test_api_refuses_what_it_does_not_serve(api) -> None:
    r = api.get("/templates/cohort_survival")
    assert r.status_code == 404 and "no aggregate-only template 'cohort_survival'" in r.json()["error"]
    r = api.get("/templates/cohort_by_stage", params={"min_count": "ten"})
    assert r.status_code == 400
    assert r.json()["error"] == "template cohort_by_stage, parameter min_count: 'ten' is not an integer"
    r = api.get("/templates/cohort_by_stage", params={"colour": "red"})
    assert r.status_code == 400 and "has no parameter colour" in r.json()["error"]
    for path in ("/query?query=SELECT%20*%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D", "/store", "/update"):
        assert api.get(path).status_code == 404


def _uvicorn(app) -> tuple[object, str]:
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def test_query_stations_over_http(stores: dict[str, Path]) -> None:
    """``fairify query --station``: each station suppresses its own small cells before answering."""
    running = [_uvicorn(aggregate_app(stores[f"s{i}"], station=f"s{i}")) for i in range(2)]
    try:
        df = fairify.query("counts_by_site_stage", station=[url for _, url in running])
        assert set(df["station"].astype(str).str.split(":").str[0]) == {"127.0.0.1"}
        assert (df["patients"] >= 10).all()
        for i, (_, url) in enumerate(running):
            mine = df[df["station"] == url.split("//")[1]].drop(columns="station").reset_index(drop=True)
            local = fairify.query("counts_by_site_stage", store=stores[f"s{i}"])
            pd.testing.assert_frame_equal(mine, local, check_categorical=False, check_dtype=False)
        with pytest.raises(fairify.UsageError, match="not aggregate-only"):
            fairify.query("cohort_survival", station=running[0][1])
    finally:
        for server, _ in running:
            server.should_exit = True  # type: ignore[attr-defined]


def test_cli_federation_to_parquet(servers: list[OxigraphServer], tmp_path: Path, capsys) -> None:
    from fairify.cli import main

    out = tmp_path / "cohort.parquet"
    dead = f"http://127.0.0.1:{free_port()}/query"
    with pytest.raises(SystemExit) as exc:
        main(
            [
                "query",
                "cohort_survival",
                "--param",
                "tstage=T3",
                *(arg for e in [*endpoints(servers), f"dead={dead}"] for arg in ("--endpoint", e)),
                "-o",
                str(out),
            ]
        )
    assert exc.value.code == 0
    assert "station dead:" in capsys.readouterr().err
    df = pd.read_parquet(out)
    assert set(df["station"]) == {"s0", "s1"} and str(df["age"].dtype) == "Int64"
