"""The ``fairify`` command. Thin: each command parses options and calls one library function.

Exit codes (also in the README):
  0  success
  1  the data did not conform (reported data errors, SHACL violations)
  2  usage error or invalid mapping/shapes (nothing was read)
  3  any other failure (a source could not be read, an internal error)
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console

from fairify.errors import FairifyError

if TYPE_CHECKING:  # imported where used: ``fairify --help`` and a CSV conversion need neither
    import pandas as pd
    from rich.progress import Progress

EXIT_OK, EXIT_NONCONFORMING, EXIT_USAGE, EXIT_FAILURE = 0, 1, 2, 3

app = typer.Typer(
    help="FAIR data station toolkit: convert clinical tables and DICOM to RDF, validate, load, query.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
mapping_app = typer.Typer(help="Draft, check and compile mappings.", no_args_is_help=True)
app.add_typer(mapping_app, name="mapping")

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


class _State:
    quiet = False
    # Run from the command line by ``main`` (not through CliRunner or ``main([...])``), and the
    # command allows ending the process without interpreter teardown (see _exit_now).
    console = False
    fast_exit = False


def _errors(f: Callable[..., None]) -> Callable[..., None]:
    """Turn a FairifyError into one line on stderr and its exit code (tests see the same)."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            f(*args, **kwargs)
        except FairifyError as exc:
            if os.environ.get("FAIRIFY_DEBUG") == "1":
                raise
            _fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted; nothing was written", 130)

    return wrapper


def _fail(message: str, code: int) -> NoReturn:
    err.print(f"error: {message}", markup=False)
    raise typer.Exit(code)


def _say(message: str) -> None:
    if not _State.quiet:
        err.print(message, markup=False)


@app.callback()
def _main(
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
) -> None:
    _State.quiet = quiet


def _pyarrow_without_pandas() -> None:
    """Stop pyarrow importing pandas (~0.15 s) in a CLI conversion, which has no pandas objects.

    pyarrow imports pandas the first time it converts any Python value (``pa.scalar``,
    ``pa.array``), only to ask whether the value is a pandas object. Here that first check runs
    with pandas hidden, so pyarrow records "no pandas"; should pandas be needed later in the
    process (``to_pandas``), pyarrow imports it then. Not done for library use, where the caller
    may hold pandas objects.
    """
    if "pandas" in sys.modules:
        return

    class _HidePandas:
        def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
            if name == "pandas" or name.startswith("pandas."):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)

    import pyarrow as pa

    hide = _HidePandas()
    sys.meta_path.insert(0, hide)
    try:
        pa.scalar(0)
    except Exception:  # pyarrow's internals changed: it may import pandas later, no harm done
        pass
    finally:
        sys.meta_path.remove(hide)


def _progress() -> tuple[Progress | None, Callable[[str, int], None] | None]:
    if _State.quiet or not sys.stderr.isatty():
        return None, None
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} records"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    tasks: dict[str, Any] = {}

    def update(location: str, rows: int) -> None:
        if location not in tasks:
            tasks[location] = progress.add_task(Path(location).name, total=None)
        progress.advance(tasks[location], rows)

    return progress, update


@app.command()
@_errors
def convert(
    mapping: Annotated[
        Path | None,
        typer.Argument(help="Mapping file: YARRRML (.yml) or RML/R2RML Turtle (.ttl); none with --dicom."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Output file: .nt, .nq, .ttl or .trig.")
    ] = None,
    store: Annotated[
        Path | None, typer.Option("--store", help="Load into this Oxigraph store folder instead.")
    ] = None,
    graph: Annotated[
        str | None,
        typer.Option(
            "--graph",
            help="Store: the source (named graph) to replace; default: the mapping's name, 'imaging' for --dicom.",
        ),
    ] = None,
    base_iri: Annotated[str | None, typer.Option("--base-iri", help="Base IRI for relative IRIs.")] = None,
    db: Annotated[
        str | None, typer.Option("--db", help="SQLAlchemy URL of the database SQL sources read.")
    ] = None,
    secret_file: Annotated[
        Path | None, typer.Option("--secret-file", help="File holding the site secret for pseudonyms.")
    ] = None,
    on_error: Annotated[
        str,
        typer.Option(
            "--on-error",
            help="A value that does not fit (bad datatype, unmapped code): report|skip-row|fail.",
        ),
    ] = "report",
    provenance: Annotated[
        bool, typer.Option("--provenance/--no-provenance", help="Write the PROV-O record and row links.")
    ] = True,
    dicom: Annotated[
        Path | None,
        typer.Option(
            "--dicom", help="Convert this DICOM folder (recursive) or DICOMDIR with the generic model."
        ),
    ] = None,
    dates: Annotated[
        str, typer.Option("--dates", help="DICOM dates: shift (keyed per-patient offset), keep or remove.")
    ] = "shift",
    retain: Annotated[
        list[str] | None,
        typer.Option(
            "--retain",
            help="DICOM: patient-characteristics, device-identity or institution-identity (repeatable).",
        ),
    ] = None,
    processes: Annotated[
        int | None, typer.Option("--processes", help="DICOM: worker processes (default: the CPU count).")
    ] = None,
    file_paths: Annotated[
        bool,
        typer.Option("--file-paths", help="DICOM: name files in provenance by path, not by keyed hash."),
    ] = False,
    validate_shapes: Annotated[
        Path | None,
        typer.Option(
            "--validate",
            help="SHACL shapes (file or folder): validate before writing/loading; a Violation stops it.",
        ),
    ] = None,
) -> None:
    """Convert sources to RDF through a mapping, or a DICOM archive with --dicom (no mapping needed)."""
    _State.fast_exit = store is None  # file outputs are committed (fsync, rename) or removed
    _pyarrow_without_pandas()  # before the DICOM pool forks its workers: they inherit it
    if dicom is not None:
        if mapping is not None:
            _fail("give a mapping file or --dicom, not both", EXIT_USAGE)
        if validate_shapes is not None:
            _fail("--validate is not wired into --dicom yet: run fairify validate on the output", EXIT_USAGE)
        _convert_dicom(
            dicom, output, store, secret_file, dates, retain or [], processes, provenance, file_paths, graph
        )
        return
    if mapping is None:
        _fail("give a mapping file, or --dicom FOLDER for the generic DICOM conversion", EXIT_USAGE)
    from fairify.convert import convert as run

    not_conforming: tuple[type[Exception], ...] = ()  # catches nothing unless --validate
    if validate_shapes is not None:
        from fairify.validate import NotConforming
        from fairify.validate import write as render_report

        not_conforming = (NotConforming,)
    progress, update = _progress()
    try:
        if progress:
            progress.start()
        result = run(
            mapping,
            output,
            store=store,
            base_iri=base_iri,
            database=db,
            secret_file=secret_file,
            on_error=on_error,
            provenance=provenance,
            progress=update,
            validate=validate_shapes,
            name=graph,
        )
    except not_conforming as exc:
        if progress:
            progress.stop()
            progress = None
        out.print(render_report(exc.report, "text"), markup=False, end="")  # type: ignore[attr-defined]
        _fail(str(exc), EXIT_NONCONFORMING)
    finally:
        if progress:
            progress.stop()
    records = sum(result.records.values())
    target = result.output or result.store
    _say(f"{records:,} records -> {result.quads:,} quads in {target} ({result.seconds:.1f} s)")
    if result.provenance:
        _say(f"provenance: {result.provenance}")
    if result.validation is not None:
        counts = ", ".join(f"{n} {k.lower()}(s)" for k, n in result.validation.counts_by_severity().items())
        _say(f"validation: {counts or 'conforms'} ({validate_shapes})")
        if result.validation.results:
            out.print(render_report(result.validation, "text"), markup=False, end="")
    if result.issues:
        for issue in result.issues:
            err.print(f"problem: {issue}", markup=False)
        _fail(
            f"{result.issue_count:,} value(s) did not fit their mapping; see the problems above",
            EXIT_NONCONFORMING,
        )


def _convert_dicom(
    source: Path,
    output: Path | None,
    store: Path | None,
    secret_file: Path | None,
    dates: str,
    retain: list[str],
    processes: int | None,
    provenance: bool,
    file_paths: bool,
    graph: str | None,
) -> None:
    """``convert --dicom``: one call to fairify.dicom.convert_dicom, then its summary; 1 if a file had a problem."""
    from fairify.dicom import Profile, convert_dicom

    profile = Profile.from_options({"dates": dates, "retain": ",".join(retain)})
    progress = None
    if not _State.quiet and sys.stderr.isatty():
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        progress = Progress(
            TextColumn("DICOM"),
            BarColumn(),
            TextColumn("{task.completed:,}/{task.total:,} files"),
            _rate_column(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        )
    task = progress.add_task("files", total=None) if progress else None

    def update(done: int, total: int | None) -> None:
        if progress is not None and task is not None:
            progress.update(task, completed=done, total=total)

    try:
        if progress:
            progress.start()
        r = convert_dicom(
            source,
            output,
            store=store,
            secret_file=secret_file,
            profile=profile,
            processes=processes,
            provenance=provenance,
            keyed_file_iris=not file_paths,
            progress=update if progress else None,
            name=graph,
        )
    finally:
        if progress:
            progress.stop()
    rate = r.files / r.seconds if r.seconds else 0
    _say(
        f"{r.converted:,} of {r.files:,} file(s) converted -> {r.quads:,} quads in {r.output or r.store} "
        f"({r.seconds:.1f} s, {rate:,.0f} files/s)"
    )
    _say(f"{r.patients:,} patient(s), {r.studies:,} study(ies), {r.series:,} series")
    if r.provenance:
        _say(f"provenance: {r.provenance}")
    _say("de-identified: " + "; ".join(label for _, label in profile.methods()))
    if r.directories:
        _say(f"{r.directories:,} DICOMDIR index file(s) not converted (the files they list are)")
    for kind, problems, count in (
        ("skipped", r.skipped, r.skipped_count),
        ("warning", r.warnings, r.warning_count),
    ):
        for p in problems[:MAX_LISTED]:
            err.print(f"{kind}: {p}", markup=False)
        if count > MAX_LISTED:
            err.print(f"{kind}: ... and {count - MAX_LISTED:,} more", markup=False)
    if not r.ok:
        _fail(
            f"{r.skipped_count:,} file(s) skipped, {r.warning_count:,} value(s) or file(s) with warnings; "
            "see above",
            EXIT_NONCONFORMING,
        )


MAX_LISTED = 50


def _rate_column() -> Any:
    """A progress column showing files per second (rich.progress is imported only with a progress bar)."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    class _RateColumn(ProgressColumn):
        def render(self, task: Any) -> Text:
            return Text(f"{task.speed or 0:,.0f} files/s")

    return _RateColumn()


@mapping_app.command("compile")
@_errors
def mapping_compile(
    mapping: Annotated[Path, typer.Argument(help="Mapping in any accepted dialect.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the RML Turtle here.")] = None,
) -> None:
    """Translate a mapping (YARRRML, legacy RML, R2RML) into canonical RML Turtle."""
    from fairify.mapping import compile_mapping

    text = compile_mapping(mapping, output)
    if output is None:
        out.print(text, markup=False, end="")
    else:
        _say(f"wrote {output}")


@mapping_app.command("check")
@_errors
def mapping_check(mapping: Annotated[Path, typer.Argument(help="Mapping in any accepted dialect.")]) -> None:
    """Read and check a mapping without touching any data."""
    from fairify.engine.engine import Engine, Options
    from fairify.mapping import load_mapping
    from fairify.pseudonym import load_secret

    m = load_mapping(mapping)
    Engine(m, Options(secret=load_secret() or b"check-only-secret-not-used"))
    _say(f"{mapping}: {len(m.triples_maps)} triples map(s), dialect {m.dialect}: ok")


@mapping_app.command("init")
@_errors
def mapping_init(
    table: Annotated[Path, typer.Argument(help="A table to draft a mapping for (CSV, TSV, Excel, Parquet).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the YARRRML draft.")],
    max_codes: Annotated[
        int,
        typer.Option("--max-codes", help="Columns with at most this many distinct values get a value map."),
    ] = 20,
) -> None:
    """Draft a YARRRML mapping from a table: one property per column, typed, with value-map stubs."""
    from fairify.mapping.init import init_mapping

    draft = init_mapping(table, output, max_codes=max_codes)
    _say(f"wrote {draft.mapping} ({len(draft.columns)} columns)")
    for path in draft.value_maps:
        _say(f"value map to fill in: {path}")


@app.command()
@_errors
def validate(
    data: Annotated[
        Path | None, typer.Argument(help="RDF file to check (.nt, .nq, .ttl, .trig); or give --store.")
    ] = None,
    shapes: Annotated[Path, typer.Option("--shapes", "-s", help="SHACL shapes file or folder.")] = Path(
        "shapes"
    ),
    store: Annotated[
        Path | None, typer.Option("--store", help="Validate this Oxigraph store instead of a file.")
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="auto (fast when it supports every shape), fast (compiled SPARQL on Oxigraph, "
            "pySHACL for what it cannot compile) or pyshacl.",
        ),
    ] = "auto",
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="Report format: text, json, turtle or csv.")
    ] = "text",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report here.")] = None,
    examples: Annotated[int, typer.Option("--examples", help="Examples to list per kind of problem.")] = 3,
    inference: Annotated[
        str, typer.Option("--inference", help="pySHACL inference before validating: none, rdfs, owlrl, both.")
    ] = "none",
) -> None:
    """Check a graph against SHACL shapes: exit 0 if it conforms, 1 on violations, 2 if it cannot run."""
    from fairify.validate import FORMATS
    from fairify.validate import validate as run
    from fairify.validate import write as render

    if fmt not in FORMATS:
        _fail(f"unknown report format {fmt!r}: use {', '.join(FORMATS)}", EXIT_USAGE)
    if (data is None) == (store is None):
        _fail("give a data file or --store (one of them)", EXIT_USAGE)
    from fairify.validate import fast

    # A file is checked in an in-memory copy: from the command line the process then ends without
    # freeing it (~8 s at 14M triples); no on-disk store is open, the report is written atomically.
    fast.keep_stores = _State.fast_exit = store is None and _State.console
    try:
        report = run(data, shapes, store=store, engine=engine, inference=inference)
    except FairifyError as exc:
        if os.environ.get("FAIRIFY_DEBUG") == "1":
            raise
        _fail(str(exc), EXIT_USAGE)  # validation could not run: exit 2, whatever the reason
    finally:
        fast.keep_stores = False
    text = render(report, fmt, examples=examples)
    if output is not None:
        from fairify.engine.sinks import write_atomic

        write_atomic(output, text.encode())
        counts = (
            ", ".join(f"{n} {s.lower()}(s)" for s, n in report.counts_by_severity().items()) or "conforms"
        )
        _say(f"{report.data}: {counts} -> {output}")
    else:
        out.print(text, markup=False, end="")
    if report.violations:
        raise typer.Exit(EXIT_NONCONFORMING)


@app.command()
@_errors
def load(
    files: Annotated[list[Path], typer.Argument(help="RDF files to load (.nt, .nq, .ttl, .trig).")],
    store: Annotated[
        Path | None, typer.Option("--store", help="Oxigraph store folder (created if missing).")
    ] = None,
    endpoint: Annotated[
        str | None,
        typer.Option(
            "--endpoint",
            help="Instead of a store: the Graph Store Protocol URL of a SPARQL 1.1 store "
            "(Oxigraph .../store, Fuseki .../data, GraphDB .../rdf-graphs/service).",
        ),
    ] = None,
    graph: Annotated[
        list[str] | None,
        typer.Option("--graph", help="Source name for each file, in order (default: the file name)."),
    ] = None,
    shapes: Annotated[
        Path | None,
        typer.Option("--shapes", help="Validate each file with these SHACL shapes; the result is recorded."),
    ] = None,
) -> None:
    """Load RDF files, one named graph per file; a reloaded file replaces its graph atomically."""
    from fairify.store import load as run
    from fairify.store import upload

    if (store is None) == (endpoint is None):
        _fail("give exactly one of --store or --endpoint", EXIT_USAGE)
    names = list(graph) if graph else None
    if names is not None and len(names) != len(files):
        _fail(f"--graph given {len(names)} time(s) for {len(files)} file(s)", EXIT_USAGE)
    if endpoint is not None:
        result = upload(list(files), endpoint, names=names)
        for g in result.graphs:
            _say(f"{g.path} -> <{g.source}> at {endpoint}")
        return
    validation = _validate_for_load(files, shapes) if shapes else None
    result = run(list(files), store, names=names, validation=validation)  # type: ignore[arg-type]
    for g in result.graphs:
        what = {"unchanged": "unchanged", "loaded": "loaded", "replaced": f"replaced {g.replaced}"}[g.status]
        _say(f"{g.path} -> {g.graph}: {g.quads:,} quads ({what})")
    _say(f"loaded {len(result.files)} file(s) into {store}: +{result.quads:,} quads")


def _validate_for_load(files: list[Path], shapes: Path) -> dict[str, str]:
    from fairify.validate import validate as run

    results = {}
    for f in files:
        report = run(f, shapes)
        n = len(getattr(report, "results", []) or [])
        results[str(f)] = (
            f"conforms to {shapes.name}" if report.conforms else f"{n} SHACL result(s) ({shapes.name})"
        )
        _say(f"{f}: {results[str(f)]}")
    return results


store_app = typer.Typer(help="Inspect and describe the station's store.", no_args_is_help=True)
app.add_typer(store_app, name="store")


@store_app.command("info")
@_errors
def store_info(
    store: Annotated[Path, typer.Option("--store", help="Oxigraph store folder.")],
    top: Annotated[int, typer.Option("--top", help="Classes and properties to list per graph.")] = 5,
    history: Annotated[bool, typer.Option("--history", help="List every recorded load.")] = False,
) -> None:
    """Graphs, quad counts, classes and properties (VoID) and the provenance of each load."""
    from fairify.store import history as loads
    from fairify.store import info

    i = info(store)
    out.print(f"{store}: {i.quads:,} quads in {len(i.sources)} source graph(s)", markup=False)
    for s in i.sources:
        out.print(f"\n{s.name}  <{s.graph}>  {s.quads:,} quads", markup=False)
        out.print(f"  loaded {s.loaded} from {', '.join(s.used) or '?'} ({s.loads} load(s))", markup=False)
        if s.sha256:
            out.print(f"  sha256 {s.sha256}", markup=False)
        out.print(f"  validation: {s.validation or 'not validated'}", markup=False)
        for label, items in (("classes", s.classes), ("properties", s.properties)):
            if items:
                shown = ", ".join(f"{_short(k)} {v:,}" for k, v in list(items.items())[:top])
                more = f" (+{len(items) - top} more)" if len(items) > top else ""
                out.print(f"  {len(items)} {label}: {shown}{more}", markup=False)
    for g, n in i.other_graphs.items():
        out.print(
            f"\n{'<' + g + '>' if g else 'default graph'}  {n:,} quads (not loaded by fairify)", markup=False
        )
    out.print(f"\nprovenance graph: {i.provenance_quads:,} quads", markup=False)
    if i.stale:
        out.print(f"stale versions (removed by the next load or serve): {', '.join(i.stale)}", markup=False)
    if history:
        for h in loads(store):
            out.print(
                f"{h['end']}  {h['name']}  {h['status']}  {int(h['n']):,} quads  {h['validation']}  {h['graph'] or ''}",
                markup=False,
            )


@store_app.command("describe")
@_errors
def store_describe(
    store: Annotated[Path, typer.Option("--store", help="Oxigraph store folder.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the Turtle here.")] = None,
    title: Annotated[str, typer.Option("--title", help="The dataset's title.")] = "FAIR data station",
    publisher: Annotated[str | None, typer.Option("--publisher", help="Who publishes it.")] = None,
    endpoint: Annotated[
        str | None, typer.Option("--endpoint", help="Public SPARQL endpoint URL to advertise.")
    ] = None,
    license: Annotated[str | None, typer.Option("--license", help="License IRI.")] = None,
) -> None:
    """A DCAT + VoID description of the station's dataset (Turtle) for FAIR catalogues."""
    from fairify.engine.sinks import write_atomic
    from fairify.store import describe

    text = describe(store, title=title, publisher=publisher, endpoint=endpoint, license=license)
    if output is None:
        out.print(text, markup=False, end="")
    else:
        write_atomic(output, text.encode())
        _say(f"wrote {output}")


@app.command()
@_errors
def export(
    store: Annotated[Path, typer.Option("--store", help="Oxigraph store folder.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Dump file: .nq or .trig.")],
) -> None:
    """Dump the store (current graphs and provenance) to N-Quads or TriG."""
    from fairify.store import export as run

    run(store, output)
    _say(f"wrote {output} ({output.stat().st_size:,} bytes)")


@app.command()
@_errors
def serve(
    store: Annotated[Path, typer.Option("--store", help="Oxigraph store folder.")],
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 7878,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    aggregate_only: Annotated[
        bool,
        typer.Option(
            "--aggregate-only", help="Serve only aggregate-only templates (suppressed), no SPARQL endpoint."
        ),
    ] = False,
    read_write: Annotated[
        bool, typer.Option("--read-write", help="Accept SPARQL updates and Graph Store writes.")
    ] = False,
    timeout: Annotated[int, typer.Option("--timeout", help="Query timeout in seconds.")] = 30,
    station: Annotated[
        str | None, typer.Option("--station", help="This station's name in aggregate answers.")
    ] = None,
    queries: Annotated[Path | None, typer.Option("--queries", help="Folder of templates.")] = None,
) -> None:
    """Serve the store: Oxigraph's read-only SPARQL endpoint, or the aggregate-only template API."""
    from fairify.serve import OxigraphServer, serve_aggregate

    if aggregate_only:
        if read_write:
            _fail("--aggregate-only serves no SPARQL endpoint to write to", EXIT_USAGE)
        _say(f"aggregate-only API on http://{host}:{port}/templates (Ctrl-C stops it)")
        serve_aggregate(store, host=host, port=port, queries=queries, station=station)
        return
    import signal

    def _stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt  # SIGTERM stops the server as Ctrl-C does

    signal.signal(signal.SIGTERM, _stop)
    server = OxigraphServer(store, host=host, port=port, read_only=not read_write, timeout_s=timeout)
    server.start()
    mode = "read-write" if read_write else "read-only"
    _say(f"SPARQL endpoint ({mode}) on {server.query_url} (Ctrl-C stops it)")
    try:
        code = server.wait()
    except KeyboardInterrupt:
        code = 0
    finally:
        server.stop()
    if code:
        _fail(f"the oxigraph server stopped (exit {code})", EXIT_FAILURE)


@app.command()
@_errors
def query(
    name: Annotated[str | None, typer.Argument(help="Template name in queries/ ('list' lists them).")] = None,
    store: Annotated[Path | None, typer.Option("--store", help="Oxigraph store folder.")] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="Template parameter NAME=VALUE.")
    ] = None,
    sparql: Annotated[
        str | None, typer.Option("--sparql", help="Run this SPARQL SELECT instead of a template.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write .csv, .parquet or .json.")
    ] = None,
    queries: Annotated[Path | None, typer.Option("--queries", help="Folder of templates.")] = None,
    endpoint: Annotated[
        list[str] | None,
        typer.Option("--endpoint", help="SPARQL endpoint [NAME=]URL to ask (repeatable: federation)."),
    ] = None,
    station: Annotated[
        list[str] | None,
        typer.Option("--station", help="Aggregate-only station API [NAME=]URL (repeatable)."),
    ] = None,
    labels: Annotated[
        bool, typer.Option("--labels", help="Show IRIs by their rdfs:label from ontologies/.")
    ] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for each station.")] = 60,
) -> None:
    """Run a SPARQL template (or --sparql) on the store or stations and show or save the typed table."""
    import pandas as pd
    from rich.table import Table

    from fairify.query import federate, list_templates

    if name == "list" or (name is None and sparql is None):
        table = Table(title="query templates")
        for col in ("name", "parameters", "description"):
            table.add_column(col)
        for t in list_templates(queries):
            params = ", ".join(
                f"{p.name}:{p.kind}" + (f"={p.default}" if p.default is not None else "")
                for p in t.params.values()
            )
            agg = f" [aggregate-only, cells < {t.min_cell_count} suppressed]" if t.aggregate else ""
            table.add_row(t.name, params, t.description + agg)
        out.print(table)
        return
    if store is None and not endpoint and not station:
        _fail("give --store, --endpoint or --station to query", EXIT_USAGE)
    params = dict(_split_param(p) for p in (param or []))
    if sparql is not None and params:
        _fail("--param applies to templates, not to --sparql", EXIT_USAGE)
    if not endpoint and not station:  # the local store alone: its errors keep their own exit codes
        from fairify.query import add_labels, find_template, run_local, run_sparql
        from fairify.store import open_store

        if sparql is not None:
            df = run_sparql(open_store(store, read_only=True), sparql)  # type: ignore[arg-type]
        else:
            t = find_template(name, queries)  # type: ignore[arg-type]
            df = run_local(t, store, params)  # type: ignore[arg-type]
            df = add_labels(df, t.columns) if labels else df
    else:
        result = federate(
            name if sparql is None else None,
            store=store,
            endpoints=endpoint,
            stations=station,
            sparql=sparql,
            queries=queries,
            timeout=timeout,
            labels=labels,
            **params,
        )
        for where, message in result.errors.items():
            err.print(f"station {where}: {message}", markup=False)
        if not result.rows:
            _fail("no station answered" if result.errors else "nothing to query", EXIT_FAILURE)
        df = result.frame
    if output is not None:
        _write_frame(df, output)
        _say(f"{len(df):,} rows -> {output}")
        return
    table = Table(title=f"{name or 'query'}: {len(df):,} rows")
    for col in df.columns:
        table.add_column(
            f"{col}\n[{df[col].dtype}]", justify="right" if df[col].dtype.kind in "iuf" else "left"
        )
    for row in df.head(50).itertuples(index=False):
        table.add_row(*("" if pd.isna(v) else _short(str(v)) for v in row))
    out.print(table)


def _split_param(text: str) -> tuple[str, str]:
    if "=" not in text:
        _fail(f"--param {text!r}: expected NAME=VALUE", EXIT_USAGE)
    k, v = text.split("=", 1)
    return k.strip(), v


def _short(iri: str) -> str:
    for ns, prefix in (
        ("http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl#", "ncit:"),
        ("http://www.cancerdata.org/roo/", "roo:"),
        ("http://www.w3.org/2001/XMLSchema#", "xsd:"),
    ):
        if iri.startswith(ns):
            return prefix + iri[len(ns) :]
    return iri


def _source_ref(iri: str) -> str:
    """``file:///.../clinical.csv#row=12`` -> ``clinical.csv row 12`` (relative to the current folder)."""
    from urllib.parse import unquote, urlparse

    u = urlparse(iri)
    if u.scheme != "file":
        return iri
    path = Path(unquote(u.path))
    with contextlib.suppress(ValueError):
        path = path.relative_to(Path.cwd())
    frag = u.fragment.replace("row=", "row ").replace("tag=", "tag ")
    return f"{path} {frag}".strip()


def _write_frame(df: pd.DataFrame, path: Path) -> None:
    from fairify.engine.sinks import AtomicFile

    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".json"):
        _fail(f"cannot write {path.name}: use .csv, .parquet or .json", EXIT_USAGE)
    f = AtomicFile(path)
    try:
        if suffix == ".csv":
            df.to_csv(f.file, index=False)
        elif suffix == ".parquet":
            df.to_parquet(f.file, index=False)
        else:
            f.file.write(df.to_json(orient="records", date_format="iso").encode())
        f.commit()
    except BaseException:
        f.abort()
        raise


@app.command("demo-data")
@_errors
def demo_data(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the CSV files into.")] = Path(
        "examples/demo/data"
    ),
    patients: Annotated[int, typer.Option("--patients", "-n", help="Number of patients.")] = 500,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same bytes).")] = 42,
) -> None:
    """Generate the synthetic head-and-neck cohort used by the demo and the benchmarks."""
    from fairify.demo import generate_cohort

    files = generate_cohort(out_dir, patients=patients, seed=seed)
    for name, path in files.items():
        _say(f"{name}: {path}")


def main(argv: list[str] | None = None) -> None:
    """Entry point. Commands already turn FairifyErrors into one line; this catches the rest.

    From the command line (``argv`` None), a conversion that wrote files ends without interpreter
    teardown (see ``_exit_now``); called with ``argv`` (tests, scripts) it always raises SystemExit.
    """
    _State.console, _State.fast_exit = argv is None, False
    try:
        code = app(args=argv, standalone_mode=False)
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.Abort:
        err.print("error: aborted", markup=False)
        code = 130
    except Exception as exc:
        show = getattr(exc, "show", None)
        if callable(show) and hasattr(exc, "exit_code"):  # a usage error from the option parser
            show()
            code = exc.exit_code
        elif os.environ.get("FAIRIFY_DEBUG") == "1":
            raise
        else:
            err.print(
                f"error: {type(exc).__name__}: {exc} (set FAIRIFY_DEBUG=1 for the traceback)", markup=False
            )
            code = EXIT_FAILURE
    if _State.console and _State.fast_exit:
        _exit_now(code or EXIT_OK)
    sys.exit(code or EXIT_OK)


def _exit_now(code: int) -> None:
    """End the process at once, skipping the interpreter's teardown (~0.05-0.2 s after a conversion).

    Tearing down frees every module and object one by one (pyarrow buffers, rdflib graphs,
    pydantic's schemas), which is time spent after the work is done. Used only by ``main`` from
    the command line, after a command that opened no on-disk store (Oxigraph/RocksDB is left to
    close normally) and whose files are already committed (fsync, rename) or removed. The atexit
    handlers still run (multiprocessing, logging) and stdout/stderr are flushed; if another
    non-daemon thread is alive or a flush fails, the normal exit is taken instead. Returns only then.
    """
    import atexit
    import threading

    main_thread = threading.main_thread()
    if any(t is not main_thread and t.is_alive() and not t.daemon for t in threading.enumerate()):
        return
    run_exitfuncs = getattr(atexit, "_run_exitfuncs", None)
    if run_exitfuncs is None:
        return
    streams = [s for s in (sys.stdout, sys.stderr) if s is not None]
    try:
        for stream in streams:
            stream.flush()
    except Exception:  # e.g. a closed pipe: let the normal exit report it
        return
    run_exitfuncs()  # prints, does not raise, what a handler raises
    for stream in streams:
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
