"""The station's Oxigraph store: load RDF files, one named graph per loaded source."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from fairify.errors import SourceError, UsageError

FORMATS = {
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".ttl": ox.RdfFormat.TURTLE,
    ".trig": ox.RdfFormat.TRIG,
}


@dataclass
class LoadResult:
    files: list[Path]
    quads: int


def open_store(path: str | Path, *, create: bool = False) -> ox.Store:
    p = Path(path)
    if not create and not p.exists():
        raise UsageError(
            f"store {p} does not exist", hint="create it with fairify load or fairify convert --store"
        )
    return ox.Store(str(p))


def load(files: list[str | Path], store: str | Path) -> LoadResult:
    """Bulk-load RDF files; triples of .nt/.ttl files go into a named graph named after the file."""
    s = open_store(store, create=True)
    paths = [Path(f) for f in files]
    for p in paths:
        if not p.is_file():
            raise SourceError(f"{p} not found")
        if p.suffix not in FORMATS:
            raise UsageError(f"cannot tell the RDF format of {p.name}", hint="use .nt, .nq, .ttl or .trig")
    before = len(s)
    for p in paths:
        fmt = FORMATS[p.suffix]
        graph = (
            None if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG) else ox.NamedNode(p.resolve().as_uri())
        )
        try:
            s.bulk_load(path=str(p), format=fmt, to_graph=graph)
        except SyntaxError as exc:
            raise SourceError(f"{p}: not valid RDF: {exc}") from exc
    s.optimize()
    s.flush()
    return LoadResult(paths, len(s) - before)
