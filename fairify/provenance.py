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

FAIRIFY = "https://w3id.org/fairify/ns#"
PROVENANCE_GRAPH = "https://w3id.org/fairify/graph/provenance"

_PROV = "http://www.w3.org/ns/prov#"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
_DCT_HAS_VERSION = "http://purl.org/dc/terms/hasVersion"
_XSD = "http://www.w3.org/2001/XMLSchema#"


def sha256_file(path: Path, block: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(block):
            h.update(chunk)
    return h.hexdigest()


def _file_iri(path: str | Path) -> str:
    s = str(path)
    return s if "://" in s else Path(s).resolve().as_uri()


# A statement of the record: (subject IRI, predicate IRI, object), the object an IRI (str) or a
# literal (lexical form, datatype IRI or None for a plain string).
_Object = str | tuple[str, str | None]


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

    def statements(self) -> list[tuple[str, str, _Object]]:
        """The record as plain (subject, predicate, object) statements; see ``_Object``."""
        from fairify import __version__

        def integer(n: int) -> tuple[str, str]:
            return (str(n), _XSD + "integer")

        def date_time(d: datetime) -> tuple[str, str]:
            return (d.isoformat(), _XSD + "dateTime")

        def text(t: str) -> tuple[str, None]:
            return (t, None)

        run = f"urn:uuid:{uuid.uuid4()}"
        agent = f"https://w3id.org/fairify/software/{__version__}"
        out: list[tuple[str, str, _Object]] = [
            (run, _RDF_TYPE, _PROV + "Activity"),
            (run, _PROV + "startedAtTime", date_time(self.started)),
            (run, _PROV + "endedAtTime", date_time(self.ended)),
            (run, _PROV + "wasAssociatedWith", agent),
            (agent, _RDF_TYPE, _PROV + "SoftwareAgent"),
            (agent, _DCT_HAS_VERSION, text(__version__)),
            (run, FAIRIFY + "quadCount", integer(self.quads)),
            (run, FAIRIFY + "issueCount", integer(self.issues)),
        ]
        for k, v in sorted(self.options.items()):
            out.append((run, FAIRIFY + "option", text(f"{k}={v}")))
        for iri, label in self.methods:
            out.append((run, FAIRIFY + "deidentificationMethod", iri))
            out.append((iri, _RDFS_LABEL, text(label)))
        if self.mapping is not None:
            m = _file_iri(self.mapping)
            out.append((run, _PROV + "used", m))
            out.append((m, _RDF_TYPE, FAIRIFY + "Mapping"))
            if self.mapping.is_file():
                out.append((m, FAIRIFY + "sha256", text(sha256_file(self.mapping))))
        for loc, count in self.sources.items():
            s = _file_iri(loc)
            out.append((run, _PROV + "used", s))
            out.append((s, _RDF_TYPE, FAIRIFY + "Source"))
            out.append((s, FAIRIFY + "recordCount", integer(count)))
            p = Path(loc)
            if "://" not in loc and p.is_file():
                out.append((s, FAIRIFY + "sha256", text(sha256_file(p))))
        for output in self.outputs:
            out.append((_file_iri(output), _PROV + "wasGeneratedBy", run))
        return out

    def used(self) -> list[str]:
        """The IRIs of the sources the run read (what a store records a conversion's load used)."""
        return [_file_iri(loc) for loc in self.sources]

    def nquads(self) -> bytes:
        """The record in the provenance named graph, as N-Quads."""
        import pyoxigraph as ox

        graph = ox.NamedNode(PROVENANCE_GRAPH)
        quads = [
            ox.Quad(
                ox.NamedNode(s),
                ox.NamedNode(p),
                ox.NamedNode(o)
                if isinstance(o, str)
                else ox.Literal(o[0], datatype=ox.NamedNode(o[1]) if o[1] else None),
                graph,
            )
            for s, p, o in self.statements()
        ]
        return ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""


def now() -> datetime:
    return datetime.now(UTC)
