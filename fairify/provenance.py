"""The PROV-O record of a conversion run: what was read, with which mapping, what came out.

Per-subject links to source rows are written by the engine as
``<subject> prov:wasDerivedFrom <file:///.../clinical.csv#row=12>`` (RFC 7111 row fragments);
this module writes the run-level record beside them.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rdflib import RDF, XSD, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, RDFS

FAIRIFY = Namespace("https://w3id.org/fairify/ns#")
PROVENANCE_GRAPH = "https://w3id.org/fairify/graph/provenance"


def sha256_file(path: Path, block: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(block):
            h.update(chunk)
    return h.hexdigest()


def file_iri(path: str | Path) -> URIRef:
    s = str(path)
    return URIRef(s) if "://" in s else URIRef(Path(s).resolve().as_uri())


@dataclass
class RunRecord:
    mapping: Path | None  # None: a conversion with no mapping file (fairify's generic DICOM model)
    started: datetime
    ended: datetime
    sources: dict[str, int]  # location -> records read
    outputs: list[str] = field(default_factory=list)
    quads: int = 0
    issues: int = 0
    options: dict[str, str] = field(default_factory=dict)
    # De-identification methods applied, as (IRI, label): DICOM CID 7050 codes for DICOM sources.
    methods: list[tuple[str, str]] = field(default_factory=list)

    def graph(self, g: Graph | None = None) -> Graph:
        from fairify import __version__

        g = Graph() if g is None else g
        g.bind("prov", PROV)
        g.bind("fairify", FAIRIFY)
        run = URIRef(f"urn:uuid:{uuid.uuid4()}")
        agent = URIRef(f"https://w3id.org/fairify/software/{__version__}")
        g.add((run, RDF.type, PROV.Activity))
        g.add((run, PROV.startedAtTime, Literal(self.started.isoformat(), datatype=XSD.dateTime)))
        g.add((run, PROV.endedAtTime, Literal(self.ended.isoformat(), datatype=XSD.dateTime)))
        g.add((run, PROV.wasAssociatedWith, agent))
        g.add((agent, RDF.type, PROV.SoftwareAgent))
        g.add((agent, DCTERMS.hasVersion, Literal(__version__)))
        g.add((run, FAIRIFY.quadCount, Literal(self.quads)))
        g.add((run, FAIRIFY.issueCount, Literal(self.issues)))
        for k, v in sorted(self.options.items()):
            g.add((run, FAIRIFY.option, Literal(f"{k}={v}")))
        for iri, label in self.methods:
            g.add((run, FAIRIFY.deidentificationMethod, URIRef(iri)))
            g.add((URIRef(iri), RDFS.label, Literal(label)))
        if self.mapping is not None:
            m = file_iri(self.mapping)
            g.add((run, PROV.used, m))
            g.add((m, RDF.type, FAIRIFY.Mapping))
            if self.mapping.is_file():
                g.add((m, FAIRIFY.sha256, Literal(sha256_file(self.mapping))))
        for loc, count in self.sources.items():
            s = file_iri(loc)
            g.add((run, PROV.used, s))
            g.add((s, RDF.type, FAIRIFY.Source))
            g.add((s, FAIRIFY.recordCount, Literal(count)))
            p = Path(loc)
            if "://" not in loc and p.is_file():
                g.add((s, FAIRIFY.sha256, Literal(sha256_file(p))))
        for out in self.outputs:
            o = file_iri(out)
            g.add((o, PROV.wasGeneratedBy, run))
        return g

    def nquads(self) -> bytes:
        """The record in the provenance named graph, as N-Quads."""
        ds = Dataset()
        self.graph(ds.graph(URIRef(PROVENANCE_GRAPH)))
        return ds.serialize(format="nquads", encoding="utf-8")


def now() -> datetime:
    return datetime.now(UTC)
