"""``fairify convert --dicom``: summary, exit 0 when every file converted, 1 when some were skipped."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from fairify.cli import app
from tests.dicom.conftest import DEMO_DICOM, PYDICOM_FILES, SECRET

runner = CliRunner()


def test_convert_dicom_demo_exits_0(tmp_path: Path) -> None:
    r = runner.invoke(
        app,
        ["convert", "--dicom", str(DEMO_DICOM), "-o", str(tmp_path / "i.nq"), "--processes", "1"],
        env={"FAIRIFY_SECRET": SECRET.decode()},
    )
    assert r.exit_code == 0, r.output
    assert "35 of 35 file(s) converted" in r.output and "5 patient(s)" in r.output
    assert "Clean Descriptors Option" in r.output
    assert (tmp_path / "i.nq").is_file() and (tmp_path / "i.prov.nq").is_file()


def test_convert_dicom_with_bad_files_exits_1_and_names_them(tmp_path: Path) -> None:
    r = runner.invoke(
        app,
        ["convert", "--dicom", str(PYDICOM_FILES), "-o", str(tmp_path / "p.nq"), "--processes", "1"],
        env={"FAIRIFY_SECRET": SECRET.decode()},
    )
    assert r.exit_code == 1, r.output
    assert "skipped: " in r.output and "README.txt: not a DICOM file" in r.output
    assert "badVR.dcm, tag NumberOfFrames (0028,0008)" in r.output
    assert (tmp_path / "p.nq").is_file()  # what converted is written


def test_usage_errors(tmp_path: Path) -> None:
    r = runner.invoke(app, ["convert", "-o", str(tmp_path / "x.nq")], env={"FAIRIFY_SECRET": SECRET.decode()})
    assert r.exit_code == 2 and "--dicom" in r.output
    r = runner.invoke(
        app,
        ["convert", "--dicom", str(DEMO_DICOM), "-o", str(tmp_path / "x.nq")],
        env={"FAIRIFY_SECRET": "", "FAIRIFY_SECRET_FILE": ""},
    )
    assert r.exit_code == 2 and "secret" in r.output
    r = runner.invoke(
        app,
        ["convert", "--dicom", str(DEMO_DICOM), "--dates", "blur", "-o", str(tmp_path / "x.nq")],
        env={"FAIRIFY_SECRET": SECRET.decode()},
    )
    assert r.exit_code == 2


def test_convert_dicom_into_a_store_twice_replaces_one_source_graph(tmp_path: Path) -> None:
    """The archive is one store source, ``imaging`` (never the folder's name, which may be a
    patient's): a second run replaces its graph atomically, and both loads are recorded."""
    from fairify.store import current_graphs, history, info, open_store

    store = tmp_path / "store"
    for _ in range(2):
        r = runner.invoke(
            app,
            ["convert", "--dicom", str(DEMO_DICOM), "--store", str(store), "--processes", "1"],
            env={"FAIRIFY_SECRET": SECRET.decode()},
        )
        assert r.exit_code == 0, r.output
    about = info(store, void=False)
    assert [s.name for s in about.sources] == ["imaging"] and about.other_graphs == {}
    (source,) = about.sources
    assert source.loads == 2 and source.graph.endswith("/v2")
    assert [u.rsplit("/", 1)[0] for u in source.used] == ["https://w3id.org/fairify/id/dicom/archive"]
    loads = history(store)
    assert [h["name"] for h in loads] == ["imaging"] * 2
    assert loads[0]["n"] == loads[1]["n"] == str(source.quads)
    assert loads[1]["replaced"] == loads[0]["graph"]
    s = open_store(store, read_only=True)
    assert list(current_graphs(s).values()) == [source.graph]
    n = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert int(next(iter(s.query(n)))[0].value) == source.quads + about.provenance_quads  # v1 is gone
    runs = """SELECT (COUNT(DISTINCT ?run) AS ?n) WHERE { GRAPH <https://w3id.org/fairify/graph/provenance> {
        ?run <http://www.w3.org/ns/prov#used> ?archive ; <https://w3id.org/fairify/ns#deidentificationMethod> ?m .
        FILTER(STRSTARTS(STR(?archive), "https://w3id.org/fairify/id/dicom/archive/")) } }"""
    assert int(next(iter(s.query(runs)))[0].value) == 2  # the run record of each conversion
    files = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{source.graph}> {{ ?x <http://www.w3.org/ns/prov#wasDerivedFrom> ?f }} }}"
    assert int(next(iter(s.query(files)))[0].value) > 35  # the files' links, in the source's graph


def test_convert_dicom_into_a_named_store_source(tmp_path: Path) -> None:
    from fairify.store import info

    store = tmp_path / "store"
    for name in ("ct-2024", "rt-2025"):
        r = runner.invoke(
            app,
            [
                "convert",
                "--dicom",
                str(DEMO_DICOM),
                "--store",
                str(store),
                "--processes",
                "1",
                "--graph",
                name,
            ],
            env={"FAIRIFY_SECRET": SECRET.decode()},
        )
        assert r.exit_code == 0, r.output
    assert sorted(s.name for s in info(store, void=False).sources) == ["ct-2024", "rt-2025"]
