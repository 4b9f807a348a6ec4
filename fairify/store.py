"""The station's Oxigraph store: one named graph per loaded source, replaced atomically.

How a load replaces a source's graph without ever exposing half of it
----------------------------------------------------------------------
Oxigraph's bulk loader is all or nothing (a parse error or a SIGKILL leaves none of the load)
and fast, but it can only add; deleting is slow (about 30k quads/s, and one ``DROP GRAPH`` of
3M quads held 4 GB for 10 minutes). Deleting the old version inside the transaction that
installs the new one would make every reload a huge transaction. So each load of source
``clinical`` goes into a fresh *version* graph ``…/graph/clinical/v<N>`` with ``bulk_load``;
then one small ``update`` transaction swaps the pointer
``<…/graph/clinical> fairify:currentGraph <…/graph/clinical/v<N>>`` in the provenance graph and
records the load; only then is the previous version deleted, in chunks. A version graph that is
not current (a load killed before the swap, or an old version killed during its deletion) is
*stale*: queries leave stale graphs out of their dataset and the next write removes them. So a
killed load always leaves the old or the new version visible, never both and never a part.

The provenance graph (``https://w3id.org/fairify/graph/provenance``) holds the pointers and a
PROV-O record of every load: the file, its SHA-256, times, quad count, validation result and
the version it replaced. Everything in a loaded file goes into its source's graph (named graphs
inside the file are merged into it): the source is the unit that is replaced.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import pyoxigraph as ox

from fairify.errors import FairifyError, Location, SourceError, UsageError
from fairify.provenance import PROVENANCE_GRAPH, sha256_file

FORMATS = {
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".ttl": ox.RdfFormat.TURTLE,
    ".trig": ox.RdfFormat.TRIG,
}
GRAPH_BASE = "https://w3id.org/fairify/graph/"
FAIRIFY = "https://w3id.org/fairify/ns#"
PROV = "http://www.w3.org/ns/prov#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
DCTERMS = "http://purl.org/dc/terms/"
VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
CURRENT = ox.NamedNode(FAIRIFY + "currentGraph")
PROV_G = ox.NamedNode(PROVENANCE_GRAPH)
_VERSION = re.compile(r"^(https://w3id\.org/fairify/graph/.+)/v(\d+)$")
DELETE_CHUNK = 50_000
ABORT_LINE = b"\n<urn:fairify:load-aborted> .\n"  # not N-Quads: makes the bulk loader drop the load


class StoreError(FairifyError):
    """The store cannot be opened, written or reached (exit code 3)."""


@dataclass
class GraphLoad:
    """One source loaded (or left as it was because its content did not change)."""

    name: str
    source: str  # the source's stable IRI, …/graph/<name>
    graph: str  # the named graph that now holds it, …/graph/<name>/v<N>
    quads: int
    sha256: str | None
    status: str  # "loaded", "replaced" or "unchanged"
    replaced: str | None = None
    path: Path | None = None
    seconds: float = 0.0


@dataclass
class LoadResult:
    files: list[Path]
    graphs: list[GraphLoad] = field(default_factory=list)

    @property
    def quads(self) -> int:
        """Quads written by this load (0 when every source was unchanged)."""
        return sum(g.quads for g in self.graphs if g.status != "unchanged")


# -- naming ------------------------------------------------------------------------------------------


def source_name(path: str | Path) -> str:
    """``out/clinical.nq`` -> ``clinical``; ``hn_clinical.yarrrml.yml`` -> ``hn_clinical``."""
    name = Path(path).name
    for suffix in (".gz", ".nt", ".nq", ".ttl", ".trig", ".yml", ".yaml", ".yarrrml", ".rml", ".r2rml"):
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
    return name


def source_iri(name: str) -> str:
    if not name or name.startswith("."):
        raise UsageError(f"invalid source name {name!r}")
    return GRAPH_BASE + urllib.parse.quote(name, safe="-._~")


def _term(v: Any) -> str:
    """An RDF term in SPARQL/N-Triples syntax, serialised by pyoxigraph (never pasted text)."""
    if isinstance(v, ox.NamedNode | ox.Literal | ox.BlankNode):
        return str(v)
    if isinstance(v, bool):
        return str(ox.Literal("true" if v else "false", datatype=ox.NamedNode(XSD + "boolean")))
    if isinstance(v, int):
        return str(ox.Literal(str(v), datatype=ox.NamedNode(XSD + "integer")))
    if isinstance(v, datetime):
        return str(ox.Literal(v.isoformat(), datatype=ox.NamedNode(XSD + "dateTime")))
    return str(ox.Literal(str(v)))


def _iri(v: str) -> str:
    return str(ox.NamedNode(v))


# -- opening -----------------------------------------------------------------------------------------


def open_store(path: str | Path, *, create: bool = False, read_only: bool = False) -> ox.Store:
    """Open the store; ``read_only`` does not take the write lock, so queries run beside a load."""
    p = Path(path)
    if not create and not (p / "CURRENT").exists():
        raise UsageError(
            f"store {p} does not exist", hint="create it with fairify load or fairify convert --store"
        )
    try:
        return ox.Store.read_only(str(p)) if read_only else ox.Store(str(p))
    except OSError as exc:
        hint = "another process is writing it" if "lock" in str(exc).lower() else None
        raise StoreError(f"cannot open the store {p}: {exc}", hint=hint) from exc


def current_graphs(store: ox.Store) -> dict[str, str]:
    """source IRI -> the version graph that holds it now (the pointers in the provenance graph)."""
    out: dict[str, str] = {}
    for q in store.quads_for_pattern(None, CURRENT, None, PROV_G):
        out[q.subject.value] = q.object.value
    return out


def stale_graphs(store: ox.Store) -> list[ox.NamedNode]:
    """Version graphs that are not current: a killed load's new version or an undeleted old one."""
    current = set(current_graphs(store).values())
    return [
        g
        for g in store.named_graphs()
        if isinstance(g, ox.NamedNode) and _VERSION.match(g.value) and g.value not in current
    ]


def query_dataset(store: ox.Store) -> dict[str, Any]:
    """Keyword arguments for ``Store.query``: the union of all graphs but the stale ones."""
    stale = {g.value for g in stale_graphs(store)}
    if not stale:
        return {"use_default_graph_as_union": True}
    graphs = [g for g in store.named_graphs() if not (isinstance(g, ox.NamedNode) and g.value in stale)]
    return {"default_graph": [ox.DefaultGraph(), *graphs], "named_graphs": graphs}


def collect_garbage(store: ox.Store) -> int:
    """Delete stale version graphs in chunks (each a small transaction); returns quads deleted."""
    deleted = 0
    for g in stale_graphs(store):
        deleted += _drop(store, g)
    return deleted


def _drop(store: ox.Store, g: ox.NamedNode) -> int:
    n = 0
    update = (
        f"DELETE {{ GRAPH {g} {{ ?s ?p ?o }} }} WHERE {{ {{ SELECT ?s ?p ?o WHERE "
        f"{{ GRAPH {g} {{ ?s ?p ?o }} }} LIMIT {DELETE_CHUNK} }} }}"
    )
    while next(store.quads_for_pattern(None, None, None, g), None) is not None:
        store.update(update)
        n += DELETE_CHUNK
    store.remove_graph(g)
    return n


def _next_version(store: ox.Store, source: str) -> str:
    n = 0
    for g in store.named_graphs():
        m = _VERSION.match(g.value) if isinstance(g, ox.NamedNode) else None
        if m and m.group(1) == source:
            n = max(n, int(m.group(2)))
    for graph in current_graphs(store).values():
        m = _VERSION.match(graph)
        if m and m.group(1) == source:
            n = max(n, int(m.group(2)))
    return f"{source}/v{n + 1}"


def _count(store: ox.Store, graph: str) -> int:
    rows = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {_iri(graph)} {{ ?s ?p ?o }} }}")
    return int(next(iter(rows))["n"].value)


def _current_sha(store: ox.Store, source: str) -> str | None:
    rows = store.query(
        f"SELECT ?sha WHERE {{ GRAPH {PROV_G} {{ {_iri(source)} <{FAIRIFY}currentGraph> ?g . "
        f"?load <{PROV}generated> ?g ; <{FAIRIFY}sha256> ?sha }} }} LIMIT 1"
    )
    row = next(iter(rows), None)
    return row["sha"].value if row is not None else None


# -- the swap: one transaction ------------------------------------------------------------------------


def _swap(
    store: ox.Store,
    *,
    source: str,
    name: str,
    graph: str | None,
    used: Iterable[str],
    started: datetime,
    quads: int,
    sha256: str | None,
    validation: str | None,
    status: str,
    extra: Iterable[tuple[str, str, Any]] = (),
    record: bytes = b"",
) -> str | None:
    """Point the source at ``graph`` and record the load, in one ``update`` (one transaction).

    Returns the version graph it replaced. ``graph=None`` records an unchanged reload.
    """
    from fairify import __version__

    old = current_graphs(store).get(source)
    load = f"urn:uuid:{uuid.uuid4()}"
    agent = f"https://w3id.org/fairify/software/{__version__}"
    triples: list[tuple[str, str, Any]] = [
        (load, RDF_TYPE, ox.NamedNode(PROV + "Activity")),
        (load, RDF_TYPE, ox.NamedNode(FAIRIFY + "Load")),
        (load, FAIRIFY + "source", ox.NamedNode(source)),
        (load, PROV + "startedAtTime", started),
        (load, PROV + "endedAtTime", datetime.now(UTC)),
        (load, PROV + "wasAssociatedWith", ox.NamedNode(agent)),
        (load, FAIRIFY + "status", status),
        (load, FAIRIFY + "quadCount", quads),
        (load, FAIRIFY + "validation", validation or "not validated"),
        (source, RDF_TYPE, ox.NamedNode(FAIRIFY + "Source")),
        (source, DCTERMS + "identifier", name),
        *extra,
    ]
    if sha256:
        triples.append((load, FAIRIFY + "sha256", sha256))
    for u in used:
        triples.append((load, PROV + "used", ox.NamedNode(u)))
    target = graph or old
    if target:
        triples.append((load, PROV + "generated" if graph else FAIRIFY + "kept", ox.NamedNode(target)))
    if graph:
        triples += [
            (graph, DCTERMS + "isVersionOf", ox.NamedNode(source)),
            (graph, PROV + "wasGeneratedBy", ox.NamedNode(load)),
            (source, FAIRIFY + "currentGraph", ox.NamedNode(graph)),
        ]
        if old:
            triples.append((load, FAIRIFY + "replaced", ox.NamedNode(old)))
    data = "\n".join(f"{_iri(s)} {_iri(p)} {_term(o)} ." for s, p, o in triples)
    if record:  # a conversion's PROV-O run record (N-Quads), parsed and re-serialised by pyoxigraph
        data += "\n" + "\n".join(
            f"{q.subject} {q.predicate} {q.object} ."
            for q in ox.parse(input=record, format=ox.RdfFormat.N_QUADS)
        )
    parts = []
    if graph:
        parts.append(
            f"DELETE {{ GRAPH {PROV_G} {{ {_iri(source)} {CURRENT} ?old }} }} "
            f"WHERE {{ GRAPH {PROV_G} {{ {_iri(source)} {CURRENT} ?old }} }}"
        )
    parts.append(f"INSERT DATA {{ GRAPH {PROV_G} {{\n{data}\n}} }}")
    store.update(" ;\n".join(parts))
    return old if graph else None


# -- loading files -------------------------------------------------------------------------------------


def _check_files(paths: list[Path], names: list[str]) -> None:
    for p in paths:
        if not p.is_file():
            raise SourceError(f"{p} not found")
        if p.suffix.lower() not in FORMATS:
            raise UsageError(f"cannot tell the RDF format of {p.name}", hint="use .nt, .nq, .ttl or .trig")
    seen: dict[str, Path] = {}
    for p, n in zip(paths, names, strict=True):
        if n in seen:
            raise UsageError(
                f"{seen[n]} and {p} would both be the source {n!r}",
                hint="load them separately or give each a name with --graph",
            )
        seen[n] = p


def load(
    files: list[str | Path],
    store: str | Path,
    *,
    names: list[str] | None = None,
    validation: dict[str, str] | None = None,
    optimize: bool = True,
) -> LoadResult:
    """Load RDF files, each into its own source graph; a reloaded source replaces its graph.

    A file whose SHA-256 equals that of its source's current version is not loaded again.
    ``validation`` maps a file (as given) to its SHACL result, recorded in the provenance.
    """
    paths = [Path(f) for f in files]
    names = names or [source_name(p) for p in paths]
    if len(names) != len(paths):
        raise UsageError("give one name per file")
    _check_files(paths, names)
    s = open_store(store, create=True)
    collect_garbage(s)
    result = LoadResult(paths)
    for p, name in zip(paths, names, strict=True):
        v = (validation or {}).get(str(p))
        result.graphs.append(_load_file(s, p, name, v))
    if optimize and any(g.status != "unchanged" for g in result.graphs):
        s.optimize()
    s.flush()
    return result


def _load_file(s: ox.Store, p: Path, name: str, validation: str | None) -> GraphLoad:
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    source = source_iri(name)
    sha = sha256_file(p)
    used = [p.resolve().as_uri()]
    current = current_graphs(s).get(source)
    if current and _current_sha(s, source) == sha:
        _swap(
            s, source=source, name=name, graph=None, used=used, started=started, quads=0,
            sha256=sha, validation=validation, status="unchanged",
        )  # fmt: skip
        return GraphLoad(name, source, current, _count(s, current), sha, "unchanged", path=p)
    graph = _next_version(s, source)
    fmt = FORMATS[p.suffix.lower()]
    try:
        merged = fmt == ox.RdfFormat.TRIG or (fmt == ox.RdfFormat.N_QUADS and not _triples_only(p))
        if not merged:
            try:  # an .nq file of triples parses as N-Triples, which refuses (and loads nothing) a quad
                nt = ox.RdfFormat.N_TRIPLES if fmt == ox.RdfFormat.N_QUADS else fmt
                s.bulk_load(path=str(p), format=nt, to_graph=ox.NamedNode(graph))
            except SyntaxError:
                if fmt != ox.RdfFormat.N_QUADS:
                    raise
                merged = True
        if merged:  # named graphs inside the file: merged into the source's graph
            g = ox.NamedNode(graph)
            s.bulk_extend(
                ox.Quad(q.subject, q.predicate, q.object, g) for q in ox.parse(path=str(p), format=fmt)
            )
    except SyntaxError as exc:
        raise SourceError(f"not valid RDF: {exc.msg}", Location(file=str(p), line=exc.lineno)) from exc
    quads = _count(s, graph)
    old = _swap(
        s, source=source, name=name, graph=graph, used=used, started=started, quads=quads,
        sha256=sha, validation=validation, status="replaced" if current else "loaded",
    )  # fmt: skip
    if old:
        _drop(s, ox.NamedNode(old))
    status = "replaced" if old else "loaded"
    return GraphLoad(name, source, graph, quads, sha, status, old, p, time.perf_counter() - t0)


def _triples_only(p: Path, sample: int = 1 << 20) -> bool:
    """Whether an N-Quads file's lines are all triples (then the bulk loader can name the graph).

    The first MiB decides; a file that turns out to name graphs further on is refused by the
    N-Triples parser, which loads nothing, and is then loaded the slow way.
    """
    with p.open("rb") as f:
        head = f.read(sample)
    for line in ox.parse(input=head[: head.rfind(b"\n") + 1], format=ox.RdfFormat.N_QUADS):
        if not isinstance(line.graph_name, ox.DefaultGraph):
            return False
    return True


# -- loading a stream (convert --store) ---------------------------------------------------------------


class GraphWriter:
    """N-Quads bytes streamed through a pipe into Oxigraph's bulk loader, as a new version graph.

    The conversion writes while the loader parses and indexes in its own threads (it releases
    the GIL), so converting and loading overlap. Nothing is visible before ``commit`` swaps the
    source's pointer; ``abort`` feeds the loader a line that is not N-Quads, so it drops the load.
    """

    def __init__(self, store: str | Path, name: str, *, lenient: bool = True):
        self.path = Path(store)
        self.name = name
        self.source = source_iri(name)
        self.started = datetime.now(UTC)
        self.count = 0
        self._store = open_store(self.path, create=True)
        collect_garbage(self._store)
        self.graph = _next_version(self._store, self.source)
        read, write = os.pipe()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._load, args=(read, lenient), daemon=True)
        self._thread.start()
        self.file: BinaryIO = os.fdopen(write, "wb", buffering=1 << 20)
        self._closed = False

    def _load(self, read: int, lenient: bool) -> None:
        try:
            self._store.bulk_load(
                path=f"/dev/fd/{read}",
                format=ox.RdfFormat.N_QUADS,
                to_graph=ox.NamedNode(self.graph),
                lenient=lenient,
            )
        except BaseException as exc:
            self._error = exc
        finally:
            os.close(read)  # the writer then gets EPIPE instead of blocking on a dead loader

    def write(self, data: bytes | memoryview) -> None:
        try:
            self.file.write(data)
        except BrokenPipeError:
            self._finish()
            raise StoreError(f"the store loader stopped: {self._error}") from self._error

    def _finish(self) -> None:
        if not self._closed:
            self._closed = True
            with contextlib.suppress(BrokenPipeError):
                self.file.close()
        self._thread.join()

    def commit(
        self,
        *,
        quads: int,
        used: Iterable[str] = (),
        validation: str | None = None,
        extra: Iterable[tuple[str, str, Any]] = (),
        record: bytes = b"",
        optimize: bool = True,
    ) -> GraphLoad:
        self._finish()
        if self._error is not None:
            raise StoreError(f"loading into {self.path} failed: {self._error}") from self._error
        s = self._store
        old = _swap(
            s, source=self.source, name=self.name, graph=self.graph, used=used, started=self.started,
            quads=quads, sha256=None, validation=validation, status="loaded", extra=extra, record=record,
        )  # fmt: skip
        if old:
            _drop(s, ox.NamedNode(old))
        if optimize:
            s.optimize()
        s.flush()
        self.close()
        return GraphLoad(
            self.name, self.source, self.graph, quads, None, "replaced" if old else "loaded", old
        )

    def abort(self) -> None:
        if not self._closed:
            with contextlib.suppress(BrokenPipeError):
                self.file.write(ABORT_LINE)
        self._finish()
        self.close()

    def close(self) -> None:
        self._store = None  # type: ignore[assignment]  # closes the store (refcount)


# -- information --------------------------------------------------------------------------------------


@dataclass
class SourceInfo:
    name: str
    source: str
    graph: str
    quads: int
    loaded: str | None = None
    used: list[str] = field(default_factory=list)
    sha256: str | None = None
    validation: str | None = None
    loads: int = 0
    classes: dict[str, int] = field(default_factory=dict)  # class -> instances
    properties: dict[str, int] = field(default_factory=dict)  # property -> triples


@dataclass
class StoreInfo:
    path: Path
    sources: list[SourceInfo]
    other_graphs: dict[str, int]  # graphs fairify did not load (and the default graph, as "")
    provenance_quads: int
    stale: list[str]

    @property
    def quads(self) -> int:
        return sum(s.quads for s in self.sources) + sum(self.other_graphs.values()) + self.provenance_quads


def _select(store: ox.Store, sparql: str, **kw: Any) -> Iterator[ox.QuerySolution]:
    yield from store.query(sparql, **kw)


def info(store: str | Path, *, void: bool = True) -> StoreInfo:
    """Graphs, quad counts, classes and properties (VoID) and the provenance of each load."""
    s = open_store(store, read_only=True)
    current = current_graphs(s)
    stale = [g.value for g in stale_graphs(s)]
    loads: dict[str, dict[str, Any]] = {}
    q = f"""
    SELECT ?source ?name ?load ?end ?sha ?validation ?used WHERE {{ GRAPH {PROV_G} {{
      ?source <{FAIRIFY}currentGraph> ?g ; <{DCTERMS}identifier> ?name .
      ?load <{PROV}generated> ?g ; <{PROV}endedAtTime> ?end .
      OPTIONAL {{ ?load <{FAIRIFY}sha256> ?sha }} OPTIONAL {{ ?load <{FAIRIFY}validation> ?validation }}
      OPTIONAL {{ ?load <{PROV}used> ?used }} }} }}"""
    for r in _select(s, q):
        d = loads.setdefault(r["source"].value, {"used": []})
        d["name"] = r["name"].value
        d["end"] = r["end"].value
        d["sha"] = r["sha"].value if r["sha"] is not None else None
        d["validation"] = r["validation"].value if r["validation"] is not None else None
        if r["used"] is not None and r["used"].value not in d["used"]:
            d["used"].append(r["used"].value)
    counts = {
        r["source"].value: int(r["n"].value)
        for r in _select(
            s,
            f"SELECT ?source (COUNT(?l) AS ?n) WHERE {{ GRAPH {PROV_G} {{ ?l <{FAIRIFY}source> ?source }} }} "
            "GROUP BY ?source",
        )
    }
    sources = []
    for src, graph in sorted(current.items()):
        d = loads.get(src, {"used": []})
        si = SourceInfo(
            name=d.get("name", src.rsplit("/", 1)[-1]),
            source=src,
            graph=graph,
            quads=_count(s, graph),
            loaded=d.get("end"),
            used=d["used"],
            sha256=d.get("sha"),
            validation=d.get("validation"),
            loads=counts.get(src, 0),
        )
        if void:
            si.classes, si.properties = _void(s, graph)
        sources.append(si)
    known = set(current.values()) | set(stale) | {PROVENANCE_GRAPH}
    others = {g.value: _count(s, g.value) for g in s.named_graphs() if g.value not in known}
    default = int(next(iter(s.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))["n"].value)
    if default:
        others[""] = default
    return StoreInfo(Path(store), sources, others, _count(s, PROVENANCE_GRAPH), stale)


def _void(s: ox.Store, graph: str) -> tuple[dict[str, int], dict[str, int]]:
    g = _iri(graph)
    classes = {
        r["c"].value: int(r["n"].value)
        for r in _select(
            s,
            f"SELECT ?c (COUNT(DISTINCT ?x) AS ?n) WHERE {{ GRAPH {g} {{ ?x a ?c }} }} GROUP BY ?c ORDER BY DESC(?n)",
        )
    }
    props = {
        r["p"].value: int(r["n"].value)
        for r in _select(
            s,
            f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ GRAPH {g} {{ ?x ?p ?o }} }} GROUP BY ?p ORDER BY DESC(?n)",
        )
    }
    return classes, props


def history(store: str | Path) -> list[dict[str, Any]]:
    """Every load recorded in the provenance graph, oldest first."""
    s = open_store(store, read_only=True)
    q = f"""
    SELECT ?load ?name ?status ?end ?n ?sha ?validation ?graph ?replaced WHERE {{ GRAPH {PROV_G} {{
      ?load a <{FAIRIFY}Load> ; <{FAIRIFY}source> ?src ; <{FAIRIFY}status> ?status ;
            <{PROV}endedAtTime> ?end ; <{FAIRIFY}quadCount> ?n .
      ?src <{DCTERMS}identifier> ?name .
      OPTIONAL {{ ?load <{FAIRIFY}sha256> ?sha }} OPTIONAL {{ ?load <{FAIRIFY}validation> ?validation }}
      OPTIONAL {{ ?load <{PROV}generated>|<{FAIRIFY}kept> ?graph }}
      OPTIONAL {{ ?load <{FAIRIFY}replaced> ?replaced }} }} }} ORDER BY ?end"""
    results = s.query(q)
    names = [v.value for v in results.variables]
    return [{k: (r[k].value if r[k] is not None else None) for k in names} for r in results]


# -- export and description ---------------------------------------------------------------------------


def export(store: str | Path, output: str | Path) -> Path:
    """Write the current graphs and the provenance graph as N-Quads or TriG (atomically)."""
    from fairify.engine.sinks import AtomicFile

    out = Path(output)
    fmt = {".nq": ox.RdfFormat.N_QUADS, ".trig": ox.RdfFormat.TRIG}.get(out.suffix.lower())
    if fmt is None:
        raise UsageError(
            f"cannot export to {out.name}", hint="name the dump .nq or .trig (it holds named graphs)"
        )
    s = open_store(store, read_only=True)
    stale = stale_graphs(s)
    f = AtomicFile(out)
    try:
        if not stale:
            s.dump(f.file, fmt)
        else:
            keep = {g.value for g in stale}
            quads = (
                q for q in s if not (isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value in keep)
            )
            ox.serialize(quads, f.file, fmt)
        f.commit()
    except BaseException:
        f.abort()
        raise
    return out


def describe(
    store: str | Path,
    *,
    title: str = "FAIR data station",
    description: str | None = None,
    publisher: str | None = None,
    endpoint: str | None = None,
    base: str = "https://w3id.org/fairify/station/",
    license: str | None = None,
) -> str:
    """A DCAT/VoID description of the station's dataset (Turtle), for catalogues to harvest."""
    from fairify import __version__

    si = info(store)
    ds = ox.NamedNode(base + "dataset")
    n = ox.NamedNode
    triples: list[ox.Triple] = []

    def add(s: ox.NamedNode | ox.BlankNode, p: str, o: Any) -> None:
        if isinstance(o, ox.NamedNode | ox.Literal | ox.BlankNode):
            obj = o
        elif isinstance(o, int):
            obj = ox.Literal(str(o), datatype=n(XSD + "integer"))
        else:
            obj = ox.Literal(str(o))
        triples.append(ox.Triple(s, n(p), obj))

    add(ds, RDF_TYPE, n(DCAT + "Dataset"))
    add(ds, RDF_TYPE, n(VOID + "Dataset"))
    add(ds, DCTERMS + "title", title)
    add(
        ds,
        DCTERMS + "description",
        description or f"Clinical data of a FAIR data station ({len(si.sources)} source(s)).",
    )
    if publisher:
        add(ds, DCTERMS + "publisher", ox.Literal(publisher))
    if license:
        add(ds, DCTERMS + "license", n(license))
    add(ds, VOID + "triples", si.quads)
    add(ds, DCTERMS + "conformsTo", n("http://www.cancerdata.org/roo/"))
    add(ds, DCAT + "keyword", "radiotherapy")
    add(ds, DCAT + "keyword", "head and neck cancer")
    modified = max((x.loaded for x in si.sources if x.loaded), default=None)
    if modified:
        add(ds, DCTERMS + "modified", ox.Literal(modified, datatype=n(XSD + "dateTime")))
    add(ds, PROV + "wasAttributedTo", n(f"https://w3id.org/fairify/software/{__version__}"))
    if endpoint:
        svc = n(base + "sparql")
        add(ds, DCAT + "distribution", n(base + "distribution/sparql"))
        dist = n(base + "distribution/sparql")
        add(dist, RDF_TYPE, n(DCAT + "Distribution"))
        add(dist, DCAT + "accessService", svc)
        add(svc, RDF_TYPE, n(DCAT + "DataService"))
        add(svc, DCAT + "endpointURL", n(endpoint))
        add(svc, DCAT + "servesDataset", ds)
        add(ds, VOID + "sparqlEndpoint", n(endpoint))
    all_classes: dict[str, int] = {}
    for src in si.sources:
        sub = n(src.source)
        add(ds, VOID + "subset", sub)
        add(sub, RDF_TYPE, n(VOID + "Dataset"))
        add(sub, DCTERMS + "title", src.name)
        add(sub, VOID + "triples", src.quads)
        add(sub, VOID + "classes", len(src.classes))
        add(sub, VOID + "properties", len(src.properties))
        if src.loaded:
            add(sub, DCTERMS + "modified", ox.Literal(src.loaded, datatype=n(XSD + "dateTime")))
        for c, k in src.classes.items():
            all_classes[c] = all_classes.get(c, 0) + k
    for i, (c, k) in enumerate(sorted(all_classes.items())):
        part = n(f"{base}dataset/class/{i}")
        add(ds, VOID + "classPartition", part)
        add(part, VOID + "class", n(c))
        add(part, VOID + "entities", k)
    prefixes = {"dcat": DCAT, "dcterms": DCTERMS, "void": VOID, "prov": PROV, "xsd": XSD}
    return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes).decode()


# -- loading into a remote store (SPARQL 1.1 Graph Store HTTP Protocol) ------------------------------


GSP_TYPES = {".nt": "application/n-triples", ".ttl": "text/turtle"}


def upload(
    files: list[str | Path],
    endpoint: str,
    *,
    names: list[str] | None = None,
    timeout: float = 600,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """PUT each file into ``<endpoint>?graph=<source IRI>`` (replacing that graph on the server).

    ``endpoint`` is the store's Graph Store Protocol URL (Oxigraph ``…/store``, Fuseki
    ``…/dataset/data``, GraphDB ``…/repositories/<id>/rdf-graphs/service``). Named graphs inside
    a file are merged into its source's graph, as for a local load. A record of each load is
    POSTed (added) to the provenance graph.
    """
    import tempfile

    paths = [Path(f) for f in files]
    names = names or [source_name(p) for p in paths]
    _check_files(paths, names)
    result = LoadResult(paths)
    for p, name in zip(paths, names, strict=True):
        started = datetime.now(UTC)
        t0 = time.perf_counter()
        source = source_iri(name)
        body, ctype, tmp = p, GSP_TYPES.get(p.suffix.lower()), None
        if ctype is None:  # N-Quads/TriG: drop the graph names into N-Triples first
            fd, tmpname = tempfile.mkstemp(suffix=".nt")
            os.close(fd)
            tmp = Path(tmpname)
            triples = (q.triple for q in ox.parse(path=str(p), format=FORMATS[p.suffix.lower()]))
            try:
                ox.serialize(triples, str(tmp), ox.RdfFormat.N_TRIPLES)
            except SyntaxError as exc:
                tmp.unlink(missing_ok=True)
                raise SourceError(
                    f"not valid RDF: {exc.msg}", Location(file=str(p), line=exc.lineno)
                ) from exc
            body, ctype = tmp, "application/n-triples"
        try:
            sha = sha256_file(p)
            with body.open("rb") as f:
                _http(
                    "PUT", _graph_url(endpoint, source), f, ctype, timeout, headers, size=body.stat().st_size
                )
        finally:
            if tmp is not None:
                tmp.unlink(missing_ok=True)
        load = f"urn:uuid:{uuid.uuid4()}"
        record = [
            (load, RDF_TYPE, ox.NamedNode(FAIRIFY + "Load")),
            (load, FAIRIFY + "source", ox.NamedNode(source)),
            (load, PROV + "used", ox.NamedNode(p.resolve().as_uri())),
            (load, PROV + "generated", ox.NamedNode(source)),
            (load, PROV + "startedAtTime", started),
            (load, PROV + "endedAtTime", datetime.now(UTC)),
            (load, FAIRIFY + "sha256", sha),
            (load, FAIRIFY + "status", "replaced"),
            (source, DCTERMS + "identifier", name),
        ]
        nt = "".join(f"{_iri(s)} {_iri(pr)} {_term(o)} .\n" for s, pr, o in record).encode()
        _http("POST", _graph_url(endpoint, PROVENANCE_GRAPH), nt, "application/n-triples", timeout, headers)
        result.graphs.append(
            GraphLoad(name, source, source, -1, sha, "replaced", path=p, seconds=time.perf_counter() - t0)
        )
    return result


def _graph_url(endpoint: str, graph: str) -> str:
    sep = "&" if "?" in endpoint else "?"
    return f"{endpoint}{sep}graph={urllib.parse.quote(graph, safe='')}"


def _http(
    method: str,
    url: str,
    body: Any,
    ctype: str,
    timeout: float,
    headers: dict[str, str] | None,
    size: int | None = None,
) -> None:
    h = {"Content-Type": ctype, **(headers or {})}
    if size is not None:
        h["Content-Length"] = str(size)
    req = urllib.request.Request(url, data=body, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            resp.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:300].decode("utf-8", "replace").strip()
        raise StoreError(f"{method} {url}: HTTP {exc.code} {exc.reason}: {detail}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise StoreError(f"{method} {url}: {getattr(exc, 'reason', exc)}") from exc
