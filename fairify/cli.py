"""The ``fairify`` command. Thin: each command parses options and calls one library function.

Exit codes (also in the README):
  0  success
  1  the data did not conform (reported data errors, SHACL violations)
  2  usage error or invalid mapping/shapes (nothing was read)
  3  any other failure (a source could not be read, an internal error)
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from fairify.errors import FairifyError

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


def _progress() -> tuple[Progress | None, Callable[[str, int], None] | None]:
    if _State.quiet or not sys.stderr.isatty():
        return None, None
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
    mapping: Annotated[Path, typer.Argument(help="Mapping file: YARRRML (.yml) or RML/R2RML Turtle (.ttl).")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Output file: .nt, .nq, .ttl or .trig.")
    ] = None,
    store: Annotated[
        Path | None, typer.Option("--store", help="Load into this Oxigraph store folder instead.")
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
) -> None:
    """Convert sources to RDF through a mapping."""
    from fairify.convert import convert as run

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
        )
    finally:
        if progress:
            progress.stop()
    records = sum(result.records.values())
    target = result.output or result.store
    _say(f"{records:,} records -> {result.quads:,} quads in {target} ({result.seconds:.1f} s)")
    if result.provenance:
        _say(f"provenance: {result.provenance}")
    if result.issues:
        for issue in result.issues:
            err.print(f"problem: {issue}", markup=False)
        _fail(
            f"{result.issue_count:,} value(s) did not fit their mapping; see the problems above",
            EXIT_NONCONFORMING,
        )


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
    """Entry point. Commands already turn FairifyErrors into one line; this catches the rest."""
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
    sys.exit(code or EXIT_OK)


if __name__ == "__main__":
    main()
