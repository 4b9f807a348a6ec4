"""Loading RDF files into the Oxigraph store."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

import fairify
from fairify.errors import SourceError, UsageError


def test_load_puts_each_triples_file_in_its_own_graph(tmp_path: Path) -> None:
    a = tmp_path / "a.nt"
    a.write_text("<urn:s> <urn:p> <urn:o> .\n")
    b = tmp_path / "b.nq"
    b.write_text("<urn:s> <urn:p> <urn:o2> <urn:g> .\n")
    result = fairify.load([a, b], tmp_path / "store")
    assert result.quads == 2
    store = ox.Store(str(tmp_path / "store"))
    graphs = {str(q.graph_name) for q in store}
    assert graphs == {f"<{a.resolve().as_uri()}>", "<urn:g>"}


def test_reload_is_idempotent(tmp_path: Path) -> None:
    a = tmp_path / "a.nt"
    a.write_text("<urn:s> <urn:p> <urn:o> .\n")
    fairify.load([a], tmp_path / "store")
    assert fairify.load([a], tmp_path / "store").quads == 0


def test_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not found"):
        fairify.load([tmp_path / "missing.nt"], tmp_path / "store")
    odd = tmp_path / "data.xyz"
    odd.write_text("")
    with pytest.raises(UsageError, match=r"cannot tell the RDF format of data\.xyz"):
        fairify.load([odd], tmp_path / "store")
    broken = tmp_path / "broken.nt"
    broken.write_text("<urn:s> <urn:p> .\n")
    with pytest.raises(SourceError, match=r"broken\.nt: not valid RDF"):
        fairify.load([broken], tmp_path / "store")
