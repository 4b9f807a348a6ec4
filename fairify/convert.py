"""``fairify.convert``: a mapping and its sources to an RDF file or an Oxigraph store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fairify.errors import UsageError
from fairify.mapping import load_mapping
from fairify.mapping.model import Mapping
from fairify.provenance import RunRecord, now
from fairify.pseudonym import load_secret

if TYPE_CHECKING:
    from fairify.engine.engine import IssueSummary
    from fairify.engine.sinks import FileSink, StoreSink
    from fairify.validate import Report


@dataclass
class ConversionResult:
    output: Path | None
    store: Path | None
    provenance: Path | None
    quads: int
    records: dict[str, int]
    issues: list[IssueSummary] = field(default_factory=list)
    seconds: float = 0.0
    validation: Report | None = None  # the SHACL report of --validate (it conformed, or only warned)

    @property
    def issue_count(self) -> int:
        return sum(i.count for i in self.issues)


def provenance_path(output: Path) -> Path:
    """``out/clinical.nq`` -> ``out/clinical.prov.nq``: the run record and row links beside the output."""
    name = output.name.split(".")[0] if "." in output.name else output.name
    return output.with_name(f"{name}.prov.nq")


def open_sink(
    output: str | Path | None, store: str | Path | None, name: str, provenance: bool
) -> tuple[FileSink | StoreSink, Path | None]:
    """The sink of a conversion, and the provenance side file beside an output file (None in a
    store, where the row links travel with the data into the source ``name``'s graph)."""
    from fairify.engine.sinks import FileSink, StoreSink, output_format

    if output is None:
        return StoreSink(Path(store), name), None  # type: ignore[arg-type]
    out_path = Path(output)
    output_format(out_path)
    return FileSink(out_path), (provenance_path(out_path) if provenance else None)


def convert(
    mapping: str | Path | Mapping,
    output: str | Path | None = None,
    *,
    store: str | Path | None = None,
    base_iri: str | None = None,
    database: str | None = None,
    secret: bytes | None = None,
    secret_file: str | Path | None = None,
    on_error: str = "report",
    provenance: bool = True,
    chunk_rows: int = 100_000,
    progress: Callable[[str, int], None] | None = None,
    validate: str | Path | None = None,
    validate_engine: str = "auto",
    name: str | None = None,
) -> ConversionResult:
    """Run ``mapping`` over its sources, writing ``output`` (.nt/.nq/.ttl/.trig) or loading ``store``.

    Data problems are collected in the result (``on_error='report'``), drop their rows
    (``'skip-row'``) or stop the run with a ``DataError`` (``'fail'``); nothing is written on failure.
    With ``validate`` (SHACL shapes), the output is validated before it is committed: a Violation
    raises ``fairify.validate.NotConforming`` and nothing is written or loaded.
    """
    # Imported here, not at the top: the DICOM conversion imports this module (``open_sink``) too.
    from fairify.engine.engine import Engine, Options
    from fairify.engine.sinks import FileSink, StoreSink
    from fairify.store import source_name

    if (output is None) == (store is None):
        raise UsageError("give exactly one of an output file (-o) or a store (--store)")
    if validate is not None:
        from fairify.validate.shapes import Shapes, read_shapes

        Shapes(read_shapes(validate))  # a bad shapes file stops the run before any data is read
    m = mapping if isinstance(mapping, Mapping) else load_mapping(mapping, base_iri=base_iri)
    if secret is None:
        secret = load_secret(secret_file)
    options = Options(
        base_iri=base_iri,
        secret=secret,
        on_error=on_error,
        database=database,
        chunk_rows=chunk_rows,
        row_provenance=provenance,
    )
    engine = Engine(m, options, progress=progress)
    out_path = Path(output) if output is not None else None
    # In a store: one named graph per mapping (or ``name``), e.g. .../graph/hn_clinical, replaced as
    # a whole on reconversion.
    sink, prov_path = open_sink(output, store, name or source_name(m.path or "converted"), provenance)
    prov_sink: Any = None
    if provenance:
        prov_sink = FileSink(prov_path, "nq") if prov_path else sink.provenance()  # type: ignore[union-attr]
    started = now()
    try:
        stats = engine.run(sink, prov_sink)
        record = RunRecord(
            mapping=Path(m.path) if m.path else Path("."),
            started=started,
            ended=now(),
            sources=stats.records,
            outputs=[str(out_path or store)],
            quads=stats.quads,
            issues=stats.issue_count,
            options={"on_error": on_error, **({"base_iri": base_iri} if base_iri else {})},
        )
        if prov_sink is not None:
            prov_sink.write_bytes(record.nquads())
        if isinstance(sink, StoreSink):
            sink.used = record.used()
        report = _gate(sink, prov_sink, validate, validate_engine) if validate is not None else None
        if prov_sink is not None:
            prov_sink.commit()
        sink.commit()
    except BaseException:
        sink.abort()
        if prov_sink is not None:
            prov_sink.abort()
        raise
    return ConversionResult(
        output=out_path,
        store=Path(store) if store is not None else None,
        provenance=prov_path,
        quads=stats.quads,
        records=stats.records,
        issues=list(stats.issues.values()),
        seconds=(record.ended - started).total_seconds(),
        validation=report,
    )


def _gate(sink: Any, prov_sink: Any, shapes: str | Path, engine: str) -> Report:
    """``--validate``: check the converted output before it is committed or loaded.

    Raises ``NotConforming`` (nothing is then written or loaded) when SHACL finds a Violation;
    warnings and infos let the output through, and the report is returned.
    """
    from fairify.engine.sinks import FileSink, StoreSink
    from fairify.validate import NotConforming, validate

    if isinstance(sink, StoreSink):
        store, graph = sink.staged()
        report = validate(store=store, graphs=[graph], shapes=shapes, engine=engine)
    else:
        path, fmt = sink.staged()
        prov = prov_sink.staged()[0] if isinstance(prov_sink, FileSink) else None
        report = validate(path, shapes, engine=engine, data_format=fmt, provenance=prov)
        report.data = str(sink.path)
    if report.violations:
        raise NotConforming(report)
    if isinstance(sink, StoreSink):
        sink.validation = (
            f"conforms to {Path(shapes).name}"
            if report.conforms
            else (f"{len(report.results)} SHACL warning(s) or info(s) ({Path(shapes).name})")
        )
    return report
