"""Conversion speed: fairify against Morph-KGC and a hand-written floor, measured in one run.

    .venv/bin/python benchmarks/convert.py              # 100k and 1M rows, CSV, JSON and SQLite, best of 3
    .venv/bin/python benchmarks/convert.py --quick      # 100k rows, one run
    .venv/bin/python benchmarks/convert.py --rows 250000 --repeat 5 --no-polars --sources csv,json

Every contender turns the same synthetic clinical rows (17 columns, fixed seed, clean values) into
the same N-Triples (13 triples a row) and runs as a subprocess; its wall time and the peak resident
memory of its whole process tree (sampled from /proc every 50 ms) are measured from outside, so
interpreter start-up and worker processes count for everyone alike. The rows come in three forms
(``--sources``), each with its own mapping giving the same triples:

- ``csv``: the CSV itself (``mappings/convert_bench.rml.ttl``);
- ``json``: the same records as ``{"patients": [{...}, ...]}``, integer columns as JSON numbers
  (``mappings/convert_bench_json.rml.ttl``, JSONPath iterator ``$.patients[*]``);
- ``sqlite``: the same rows in the table ``patients`` of a SQLite file, typed columns
  (``mappings/convert_bench_sqlite.r2rml.ttl``, R2RML).

The contenders, for each form:

- fairify through its CLI, without and with row provenance (the default);
- Morph-KGC running the same mapping file, installed in its own venv: it needs pandas < 3 and
  pyoxigraph < 0.4, which fairify's own venv cannot hold;
- floors: code written by hand for this one mapping, with no validation and no generality. The
  pyarrow floor streams the CSV in batches, builds every line with vectorised joins and writes each
  batch straight from its buffer; the polars floor (own venv) scans lazily and streams to the file.
  The faster of the two is "the floor" in the ratios. For JSON, a pyarrow floor reads the file with
  ``pyarrow.json`` and builds the lines the same way; SQLite has no floor.

A run that exceeds ``--timeout`` seconds or ``--max-memory`` GiB (process tree) is stopped and
reported as such; a contender stopped at one size is not run at larger sizes.

First, all contenders convert 1,000 rows and their outputs are parsed with pyoxigraph and compared
as sets of triples, across all forms ("outputs agree"). Generated data, venvs and outputs stay in
benchmarks/.work/ (gitignored). The results are printed as Markdown (and kept in .work/results.md)
for README.md. Run it with fairify's venv: it imports ``fairify.demo`` for the data and pyoxigraph
for the check.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from proctree import Run, log_tail, measure

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / ".work"
MAPPINGS = {  # source form -> its mapping (all give the same 13 triples a row)
    "csv": HERE / "mappings" / "convert_bench.rml.ttl",
    "json": HERE / "mappings" / "convert_bench_json.rml.ttl",
    "sqlite": HERE / "mappings" / "convert_bench_sqlite.r2rml.ttl",
}
SOURCES = tuple(MAPPINGS)
DATA_NAMES = {"csv": "clinical.csv", "json": "clinical.json", "sqlite": "clinical.sqlite"}
LABELS = {"csv": "CSV", "json": "JSON", "sqlite": "SQLite"}
JSON_KEY = "patients"  # the JSON form is {"patients": [...]}
SQL_TABLE = "patients"
SEED = 42
CHECK_ROWS = 1_000
DEFAULT_ROWS = (100_000, 1_000_000)
MIB = 1 << 20

# A set that installs and runs here (Python 3.11): Morph-KGC 2.10 wants pandas < 3 and
# pyoxigraph < 0.4; the rest of its dependencies are left to pip (the sqlite extra brings
# SQLAlchemy and sql-metadata).
MORPH_PINS = ("morph-kgc[sqlite]==2.10.0", "pandas==2.3.3", "pyoxigraph==0.3.22", "numpy==2.4.6")
POLARS_PINS = ("polars==2.1.0",)

TARGET_VS_MORPH = 4.0  # fairify at least this many times faster than Morph-KGC
TARGET_VS_FLOOR = 1.5  # and at most this many times the floor's time
TARGET_PEAK = 1 << 30  # and under 1 GiB peak memory
DEFAULT_TIMEOUT = 1200.0  # seconds before a run is stopped
DEFAULT_MAX_MEMORY = 16.0  # GiB (process tree) before a run is stopped

# ---------------------------------------------------------------------------------------------
# The mapping, translated by hand for the floors (keep in step with convert_bench.rml.ttl)

NS = "http://example.org/ns#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SUBJECT = ("<http://example.org/patient/", "patient_id", ">")
TYPE_TAIL = f" <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{NS}Patient> .\n"
# (predicate local name, column, text before the value, text after it)
OBJECTS = (
    ("identifier", "patient_id", '"', '"'),
    ("ageAtDiagnosis", "age_at_diagnosis", '"', f'"^^<{XSD}integer>'),
    ("sex", "sex", "<http://example.org/sex/", ">"),
    ("tumourSite", "tumour_site", '"', '"'),
    ("tStage", "t_stage", "<http://example.org/tstage/", ">"),
    ("nStage", "n_stage", "<http://example.org/nstage/", ">"),
    ("mStage", "m_stage", "<http://example.org/mstage/", ">"),
    ("hpvStatus", "hpv_status", '"', '"'),
    ("smokingStatus", "smoking_status", '"', '"'),
    ("totalDoseGy", "rt_total_dose_gy", '"', f'"^^<{XSD}decimal>'),
    ("diagnosisDate", "diagnosis_date", '"', f'"^^<{XSD}date>'),
    ("overallSurvivalDays", "overall_survival_days", '"', f'"^^<{XSD}integer>'),
)
COLUMNS = list(dict.fromkeys([SUBJECT[1], *(column for _, column, _, _ in OBJECTS)]))


def floor_pyarrow(csv_path: str, out_path: str) -> None:
    """Streamed batches; per statement one vectorised join, written straight from Arrow's buffer."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pa_csv

    def write(f: Any, lines: pa.Array) -> None:
        _, offsets, data = lines.buffers()
        ends = np.frombuffer(offsets, np.int32)[lines.offset : lines.offset + len(lines) + 1]
        f.write(memoryview(data)[int(ends[0]) : int(ends[-1])])

    read = pa_csv.ReadOptions(block_size=1 << 20)  # 1 MiB blocks: fastest here, and little memory
    convert = pa_csv.ConvertOptions(include_columns=COLUMNS, column_types=dict.fromkeys(COLUMNS, pa.string()))
    reader = pa_csv.open_csv(csv_path, read_options=read, convert_options=convert)
    with open(out_path, "wb", buffering=0) as f:
        for batch in reader:
            subject = pc.binary_join_element_wise(SUBJECT[0], batch.column(SUBJECT[1]), SUBJECT[2], "")
            write(f, pc.binary_join_element_wise(subject, TYPE_TAIL, ""))
            for predicate, column, before, after in OBJECTS:
                head = f" <{NS}{predicate}> {before}"
                write(f, pc.binary_join_element_wise(subject, head, batch.column(column), after + " .\n", ""))


def floor_polars(csv_path: str, out_path: str) -> None:
    """A lazy scan, one ``concat_str`` of a row's 13 lines, streamed out by ``sink_csv``."""
    import polars as pl

    subject = pl.concat_str([pl.lit(SUBJECT[0]), pl.col(SUBJECT[1]), pl.lit(SUBJECT[2])])
    parts: list[Any] = [pl.col("__s"), pl.lit(TYPE_TAIL)]
    for i, (predicate, column, before, after) in enumerate(OBJECTS):
        tail = after + " ." + ("\n" if i < len(OBJECTS) - 1 else "")  # the writer ends the row
        parts += [pl.col("__s"), pl.lit(f" <{NS}{predicate}> {before}"), pl.col(column), pl.lit(tail)]
    (
        pl.scan_csv(csv_path, infer_schema=False)
        .select(pl.col(COLUMNS))
        .with_columns(__s=subject)
        .select(line=pl.concat_str(parts))
        .sink_csv(out_path, include_header=False, quote_style="never")
    )


def floor_pyarrow_json(json_path: str, out_path: str) -> None:
    """``pyarrow.json`` reads the whole document (one object: a row holding a list of structs),
    whose records are flattened to columns; then the lines are built as in the CSV floor."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.json as pa_json

    def write(f: Any, lines: pa.Array) -> None:
        _, offsets, data = lines.buffers()
        ends = np.frombuffer(offsets, np.int32)[lines.offset : lines.offset + len(lines) + 1]
        f.write(memoryview(data)[int(ends[0]) : int(ends[-1])])

    size = os.path.getsize(json_path)
    read = pa_json.ReadOptions(block_size=size + 1)  # the document is one JSON object
    table = pa_json.read_json(
        json_path, read_options=read, parse_options=pa_json.ParseOptions(newlines_in_values=True)
    )
    records = pc.list_flatten(table.column(JSON_KEY).combine_chunks())
    columns = {}
    for name in COLUMNS:
        column = records.field(name)
        if pa.types.is_timestamp(column.type):  # pyarrow reads ISO dates as timestamps
            column = column.cast(pa.date32())
        columns[name] = column.cast(pa.string())
    step = 1 << 16  # rows a batch: keeps the joined lines small
    with open(out_path, "wb", buffering=0) as f:
        for start in range(0, len(records), step):
            batch = {name: column.slice(start, step) for name, column in columns.items()}
            subject = pc.binary_join_element_wise(SUBJECT[0], batch[SUBJECT[1]], SUBJECT[2], "")
            write(f, pc.binary_join_element_wise(subject, TYPE_TAIL, ""))
            for predicate, column, before, after in OBJECTS:
                head = f" <{NS}{predicate}> {before}"
                write(f, pc.binary_join_element_wise(subject, head, batch[column], after + " .\n", ""))


FLOORS: dict[str, Callable[[str, str], None]] = {
    "pyarrow": floor_pyarrow,
    "polars": floor_polars,
    "pyarrow-json": floor_pyarrow_json,
}

# ---------------------------------------------------------------------------------------------


def count_lines(path: Path) -> int:
    n = 0
    with open(path, "rb") as f:
        while block := f.read(1 << 24):
            n += block.count(b"\n")
    return n


# ---------------------------------------------------------------------------------------------
# Data, venvs and contenders


def dataset(rows: int, source: str = "csv") -> Path:
    """The cached synthetic clinical data of ``rows`` patients in one form (made once per size).

    The CSV comes from ``fairify.demo``; the JSON and SQLite forms are made from it, row for row.
    """
    suffix = {"csv": "csv", "json": "json", "sqlite": "sqlite"}[source]
    path = WORK / "data" / f"clinical-{rows}-seed{SEED}.{suffix}"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.unlink(missing_ok=True)
    print(f"generating {rows:,} rows -> {path.relative_to(ROOT)}", flush=True)
    if source == "csv":
        try:
            from fairify.demo import generate_benchmark_csv
        except ImportError as e:
            raise SystemExit(f"fairify.demo.generate_benchmark_csv is needed for the data: {e}") from e
        generate_benchmark_csv(tmp, rows, seed=SEED)
    elif source == "json":
        write_json(dataset(rows, "csv"), tmp)
    else:
        write_sqlite(dataset(rows, "csv"), tmp)
    tmp.replace(path)
    return path


def _csv_batches(csv_path: Path) -> tuple[list[str], dict[str, str], Any]:
    """The CSV's header, each column's kind (integer, date or text, from the values) and a reader
    of it in batches of strings (the same text the CSV contenders read)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pa_csv

    def reader() -> Any:
        names = pa_csv.open_csv(csv_path).schema.names
        convert = pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()))
        return pa_csv.open_csv(csv_path, convert_options=convert)

    table = reader().read_all()
    kinds = {}
    for name in table.column_names:
        column = table.column(name)
        if pc.all(pc.match_substring_regex(column, r"^-?(0|[1-9][0-9]{0,17})$")).as_py():
            kinds[name] = "integer"  # int(text) gives the text back
        elif pc.all(pc.match_substring_regex(column, r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")).as_py():
            kinds[name] = "date"
        else:
            kinds[name] = "text"
    return table.column_names, kinds, reader()


def write_json(csv_path: Path, out: Path) -> None:
    """``{"patients": [...]}``, one object a line; integer columns as JSON numbers, the rest as
    strings (so that both engines give the CSV's lexical forms)."""
    import json

    names, kinds, reader = _csv_batches(csv_path)
    integers = [i for i, name in enumerate(names) if kinds[name] == "integer"]
    with open(out, "w", encoding="utf-8") as f:
        f.write(f'{{"{JSON_KEY}": [\n')
        first = True
        for batch in reader:
            rows = list(zip(*(batch.column(i).to_pylist() for i in range(len(names))), strict=True))
            for row in rows:
                values = list(row)
                for i in integers:
                    values[i] = int(values[i])
                f.write(("" if first else ",\n") + json.dumps(dict(zip(names, values, strict=True))))
                first = False
        f.write("\n]}\n")


def write_sqlite(csv_path: Path, out: Path) -> None:
    """The table ``patients`` with typed columns: INTEGER, DATE (ISO text) or TEXT."""
    import sqlite3

    names, kinds, reader = _csv_batches(csv_path)
    declared = {"integer": "INTEGER", "date": "DATE", "text": "TEXT"}
    integers = [i for i, name in enumerate(names) if kinds[name] == "integer"]
    columns = ", ".join(f'"{name}" {declared[kinds[name]]}' for name in names)
    with sqlite3.connect(out) as conn:
        conn.execute(f"CREATE TABLE {SQL_TABLE} ({columns})")
        insert = f"INSERT INTO {SQL_TABLE} VALUES ({', '.join('?' * len(names))})"
        for batch in reader:
            rows = [list(row) for row in zip(*(c.to_pylist() for c in batch.columns), strict=True)]
            for row in rows:
                for i in integers:
                    row[i] = int(row[i])
            conn.executemany(insert, rows)
    conn.close()


def run_dir(rows: int, sources: Sequence[str] = SOURCES) -> Path:
    """A folder holding the data (``clinical.csv``, ``.json``, ``.sqlite``) and byte-identical
    copies of the mappings.

    The file mappings name their source relatively: fairify resolves it against the mapping's
    folder, Morph-KGC against its working directory; here both are this folder.
    """
    folder = WORK / f"run-{rows}"
    (folder / "out").mkdir(parents=True, exist_ok=True)
    for source in sources:
        link = folder / DATA_NAMES[source]
        target = dataset(rows, source)
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(target)
        shutil.copyfile(MAPPINGS[source], folder / MAPPINGS[source].name)
    return folder


def ensure_venv(name: str, pins: Sequence[str], probe: str) -> tuple[Path | None, str]:
    """A venv under .work with ``pins`` installed: (its python, "") or (None, why not)."""
    venv = WORK / name
    python = venv / "bin" / "python"
    stamp = venv / "pins.txt"
    wanted = "\n".join(pins)
    if not (python.exists() and stamp.exists() and stamp.read_text() == wanted):
        print(f"installing {', '.join(pins)} into {venv.relative_to(ROOT)}", flush=True)
        shutil.rmtree(venv, ignore_errors=True)
        steps = [
            [sys.executable, "-m", "venv", str(venv)],
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *pins],
        ]
        for step in steps:
            done = subprocess.run(step, capture_output=True, text=True)
            if done.returncode != 0:
                lines = [
                    line
                    for line in (done.stderr or done.stdout).splitlines()
                    if line.strip() and "is ignored" not in line
                ]
                return None, f"cannot install {' '.join(pins)}: {' '.join(lines[-2:])[:300]}"
        stamp.write_text(wanted)
    check = subprocess.run([str(python), "-c", probe], capture_output=True, text=True)
    if check.returncode != 0:
        lines = check.stderr.strip().splitlines() or ["unknown error"]
        return None, f"installed but does not start: {lines[-1][:300]}"
    return python, ""


@dataclass
class Contender:
    name: str
    kind: str  # "fairify", "morph" or "floor"
    command: Callable[[Path, Path], list[str | Path]] | None  # (run folder, output) -> argv
    unavailable: str = ""
    extra_outputs: Callable[[Path], list[Path]] = lambda out: []
    source: str = "csv"  # the data form it reads


def fairify_bin() -> Path:
    here = Path(sys.executable).with_name("fairify")
    found = here if here.exists() else shutil.which("fairify")
    if not found:
        raise SystemExit("no fairify command next to this Python; run with fairify's venv")
    return Path(found)


def database_url(folder: Path) -> str:
    return f"sqlite:///{(folder / DATA_NAMES['sqlite']).absolute()}"


def fairify_command(fairify: Path, source: str, provenance: bool) -> Callable[[Path, Path], list[str | Path]]:
    def command(folder: Path, out: Path) -> list[str | Path]:
        argv: list[str | Path] = [fairify, "convert", folder / MAPPINGS[source].name, "-o", out]
        if source == "sqlite":
            argv += ["--db", database_url(folder)]
        return argv + ([] if provenance else ["--no-provenance"])

    return command


def morph_command(
    python: Path, processes: int | None, source: str
) -> Callable[[Path, Path], list[str | Path]]:
    def command(folder: Path, out: Path) -> list[str | Path]:
        ini = folder / f"morph-kgc-{source}.ini"
        lines = [
            "[CONFIGURATION]",
            f"output_file = {out}",
            "output_format = N-TRIPLES",
            *([f"number_of_processes = {processes}"] if processes else []),
            "",
            f"[Clinical{LABELS[source]}]",
            f"mappings = {MAPPINGS[source].name}",
            *([f"db_url = {database_url(folder)}"] if source == "sqlite" else []),
            "",
        ]
        ini.write_text("\n".join(lines))
        return [python, "-m", "morph_kgc", ini]

    return command


def floor_command(python: Path, kind: str, source: str) -> Callable[[Path, Path], list[str | Path]]:
    script = Path(__file__).resolve()
    return lambda folder, out: [python, script, "--floor", kind, folder / DATA_NAMES[source], out]


def contenders(args: argparse.Namespace) -> list[Contender]:
    fairify = fairify_bin()
    if args.no_morph:
        morph: tuple[Path | None, str] = (None, "skipped (--no-morph)")
    else:
        morph = ensure_venv("morph-venv", MORPH_PINS, "import morph_kgc, sqlalchemy")
    if args.no_polars:
        polars: tuple[Path | None, str] = (None, "skipped (--no-polars)")
    elif "csv" in args.sources:
        polars = ensure_venv("polars-venv", POLARS_PINS, "import polars")
    found: list[Contender] = []
    for source in args.sources:
        label = "" if source == "csv" else f"{LABELS[source]}: "
        found += [
            Contender(
                f"{label}fairify (no provenance)",
                "fairify",
                fairify_command(fairify, source, provenance=False),
                source=source,
            ),
            Contender(
                f"{label}fairify (with provenance)",
                "fairify",
                fairify_command(fairify, source, provenance=True),
                extra_outputs=lambda out: [out.with_name(out.name.split(".")[0] + ".prov.nq")],
                source=source,
            ),
        ]
        python, why = morph
        command = morph_command(python, args.morph_processes, source) if python else None
        found.append(Contender(f"{label}Morph-KGC", "morph", command, why, source=source))
        if source == "csv":
            found.append(
                Contender("floor: pyarrow", "floor", floor_command(Path(sys.executable), "pyarrow", source))
            )
            python, why = polars
            command = floor_command(python, "polars", source) if python else None
            found.append(Contender("floor: polars", "floor", command, why))
        elif source == "json":
            command = floor_command(Path(sys.executable), "pyarrow-json", source)
            found.append(Contender(f"{label}floor: pyarrow", "floor", command, source=source))
    return found


# ---------------------------------------------------------------------------------------------
# Running


@dataclass
class Result:
    contender: Contender
    rows: int
    runs: list[Run] = field(default_factory=list)
    triples: int | None = None
    note: str = ""
    failed: str = ""

    @property
    def seconds(self) -> float | None:
        return min(r.seconds for r in self.runs) if self.runs and not self.failed else None

    @property
    def cpu(self) -> float | None:
        return min(r.cpu for r in self.runs) if self.runs and not self.failed else None

    @property
    def peak(self) -> int | None:
        return max(r.peak for r in self.runs) if self.runs and not self.failed else None


def output_path(folder: Path, contender: Contender) -> Path:
    slug = "".join(ch if ch.isalnum() else "-" for ch in contender.name.lower()).strip("-")
    return folder / "out" / f"{'-'.join(filter(None, slug.split('-')))}.nt"


def clear(contender: Contender, out: Path) -> None:
    for path in [out, *contender.extra_outputs(out)]:
        path.unlink(missing_ok=True)


def run_size(
    rows: int, everyone: list[Contender], args: argparse.Namespace, stopped: dict[str, str]
) -> list[Result]:
    """Each contender ``args.repeat`` times, round-robin so that drift hits everyone alike.

    A contender stopped (time or memory limit) is not run again, at this size or larger ones;
    ``stopped`` carries that across sizes.
    """
    folder = run_dir(rows, args.sources)
    results = [Result(c, rows, failed=c.unavailable or stopped.get(c.name, "")) for c in everyone]
    limits = {"timeout": args.timeout, "max_memory": int(args.max_memory * (1 << 30))}
    for i in range(args.repeat):
        for result in results:
            c = result.contender
            if result.failed or c.command is None:
                continue
            out = output_path(folder, c)
            clear(c, out)
            print(f"  {rows:>9,} rows  {c.name:<34} run {i + 1}/{args.repeat} ...", end="", flush=True)
            run = measure(c.command(folder, out), cwd=folder, log=out.with_suffix(".log"), **limits)
            if run.stopped:
                result.failed = f"{run.stopped} ({run.peak / MIB:,.0f} MiB peak so far)"
                stopped[c.name] = f"not run: {run.stopped} at {rows:,} rows"
                print(f" {run.stopped}", flush=True)
                clear(c, out)
                continue
            if run.returncode != 0 or not out.exists():
                result.failed = f"failed (exit {run.returncode}): {log_tail(run.log)}"
                print(" failed", flush=True)
                continue
            print(f" {run.seconds:6.2f} s  {run.cpu:6.2f} CPU s  {run.peak / MIB:7.0f} MiB", flush=True)
            result.runs.append(run)
            if result.triples is None:
                result.triples = count_lines(out)
                extra = [p for p in c.extra_outputs(out) if p.exists()]
                if extra:
                    result.note = f"+ {sum(count_lines(p) for p in extra):,} provenance quads"
            if not args.keep:
                clear(c, out)
    return results


def check_outputs(everyone: list[Contender], sources: Sequence[str]) -> str:
    """Convert 1,000 rows with every contender, from every form of the data, and compare the
    outputs as sets of triples: all of them must be the same graph."""
    import pyoxigraph as ox

    folder = run_dir(CHECK_ROWS, sources)
    graphs: dict[str, frozenset[Any]] = {}
    problems: list[str] = []
    for c in everyone:
        if c.command is None:
            continue
        out = output_path(folder, c)
        clear(c, out)
        run = measure(
            c.command(folder, out),
            cwd=folder,
            log=out.with_suffix(".log"),
            timeout=DEFAULT_TIMEOUT,
            max_memory=DEFAULT_MAX_MEMORY * (1 << 30),
        )
        if run.returncode != 0 or not out.exists():
            problems.append(f"{c.name} failed: {run.stopped or log_tail(run.log)}")
            continue
        graphs[c.name] = frozenset(ox.parse(path=str(out), format=ox.RdfFormat.N_TRIPLES))
    if not graphs:
        return "no (nothing ran)"
    reference_name, reference = next(iter(graphs.items()))
    for name, triples in graphs.items():
        if triples != reference:
            missing, extra = len(reference - triples), len(triples - reference)
            example = next(iter(triples ^ reference))
            problems.append(
                f"{name}: {missing} triples missing, {extra} extra vs {reference_name}, e.g. {example}"
            )
    size = len(reference)
    verdict = "yes" if not problems else "no"
    names = ", ".join(graphs)
    detail = f"{len(graphs)} outputs ({names}), {size:,} triples each, for {CHECK_ROWS:,} rows"
    return f"{verdict}: {detail}" + "".join(f"\n  - {p}" for p in problems)


# ---------------------------------------------------------------------------------------------
# Reporting


def machine() -> list[str]:
    """What the numbers depend on: CPU, memory, software versions, the fairify commit."""
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    import pyarrow

    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "fairify"], capture_output=True, text=True
    ).stdout.strip()
    return [
        f"- date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"- machine: {cpu}, {os.cpu_count()} cores, {mem_kib / (1 << 20):.0f} GiB RAM, "
        f"{platform.system()} {platform.release()}; load average before the runs {load}",
        f"- fairify {commit or '?'}{' + uncommitted changes' if dirty else ''}, Python "
        f"{platform.python_version()}, pyarrow {pyarrow.__version__}",
        f"- Morph-KGC venv: {', '.join(MORPH_PINS)}; polars venv: {', '.join(POLARS_PINS)}",
    ]


def _ratio(value: float | None, fmt: str = "{:.2f}×") -> str:
    return fmt.format(value) if value is not None else "–"


def table(results: list[Result]) -> list[str]:
    morph = next((r for r in results if r.contender.kind == "morph"), None)
    floors = [r for r in results if r.contender.kind == "floor" and r.seconds is not None]
    floor = min(floors, key=lambda r: r.seconds or 0.0) if floors else None
    lines = [
        "| contender | rows | triples | seconds | CPU s | rows/s | peak MiB | speed-up vs Morph-KGC | time / floor |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        name = r.contender.name + (" ← floor" if r is floor else "")
        if r.seconds is None:
            lines.append(f"| {name} | {r.rows:,} | {r.failed or 'not run'} | | | | | | |")
            continue
        s = r.seconds
        vs_morph = morph.seconds / s if morph and morph.seconds else None
        vs_floor = s / floor.seconds if floor and floor.seconds else None
        triples = f"{r.triples:,}" + (f" ({r.note})" if r.note else "")
        lines.append(
            f"| {name} | {r.rows:,} | {triples} | {s:.2f} | {r.cpu or 0:.2f} | {r.rows / s:,.0f} "
            f"| {(r.peak or 0) / MIB:,.0f} "
            f"| {_ratio(vs_morph)} | {_ratio(vs_floor)} |"
        )
    counts = {r.triples for r in results if r.triples is not None}
    if len(counts) > 1:
        lines.append(f"\n**Triple counts differ between contenders: {sorted(counts)}**")
    return lines


def targets(results: list[Result]) -> list[str]:
    """fairify against the targets: ≥ 4× Morph-KGC; for CSV also ≤ 1.5× the floor and < 1 GiB
    (the JSON and SQLite forms are only measured against Morph-KGC: their floor and memory are
    reported without a verdict)."""
    morph = next((r for r in results if r.contender.kind == "morph"), None)
    floors = [r.seconds for r in results if r.contender.kind == "floor" and r.seconds is not None]
    out = []
    for r in results:
        if r.contender.kind != "fairify" or r.seconds is None:
            continue
        checks = []
        if morph and morph.seconds:
            x = morph.seconds / r.seconds
            checks.append(f"{x:.1f}× faster than Morph-KGC ({'met' if x >= TARGET_VS_MORPH else 'MISSED'})")
        elif morph:
            checks.append(f"Morph-KGC {morph.failed or 'not run'}")
        csv = r.contender.source == "csv"
        if floors:
            x = r.seconds / min(floors)
            verdict = f" ({'met' if x <= TARGET_VS_FLOOR else 'MISSED'})" if csv else ""
            checks.append(f"{x:.2f}× the floor's time{verdict}")
        peak = r.peak or 0
        verdict = f" ({'met' if peak < TARGET_PEAK else 'MISSED'})" if csv else ""
        checks.append(f"{peak / MIB:,.0f} MiB peak{verdict}")
        out.append(f"- {r.contender.name}, {r.rows:,} rows: " + "; ".join(checks))
    return out


def report(
    info: list[str],
    sizes: dict[int, list[Result]],
    agree: str,
    args: argparse.Namespace,
) -> str:
    processes = args.morph_processes
    morph_workers = processes or 2 * (os.cpu_count() or 1)
    lines = [
        *info,
        f"- each figure: the best of {args.repeat} run(s) (other work on the machine only ever adds time), "
        f"largest peak; CPU s = user + system time of the whole process tree; Morph-KGC with "
        f"{morph_workers} processes{'' if processes else ' (its default, 2 × cores)'}; a run is "
        f"stopped after {args.timeout:.0f} s or at {args.max_memory:g} GiB",
        f"- outputs agree: {agree}",
        "",
    ]
    for rows, results in sizes.items():
        for source in args.sources:
            mine = [r for r in results if r.contender.source == source]
            heading = f"### {rows:,} rows" + ("" if source == "csv" else f", {LABELS[source]}")
            lines += [heading, "", *table(mine), "", *targets(mine), ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, nargs="+", default=list(DEFAULT_ROWS), help="sizes to run")
    parser.add_argument("--quick", action="store_true", help="100k rows, one run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per contender and size (best counts)")
    parser.add_argument(
        "--sources",
        default=",".join(SOURCES),
        help=f"data forms to run, comma-separated (default: {','.join(SOURCES)})",
    )
    parser.add_argument("--no-morph", action="store_true", help="skip Morph-KGC")
    parser.add_argument("--no-polars", action="store_true", help="skip the polars floor")
    parser.add_argument("--morph-processes", type=int, help="Morph-KGC workers (default: its own)")
    parser.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT, help="stop a run after this many seconds"
    )
    parser.add_argument(
        "--max-memory",
        type=float,
        default=DEFAULT_MAX_MEMORY,
        help="stop a run whose process tree holds more than this many GiB",
    )
    parser.add_argument("--keep", action="store_true", help="keep the outputs in .work/run-*/out")
    parser.add_argument("--floor", nargs=3, metavar=("KIND", "DATA", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.floor:  # a floor, run as its own process by the benchmark
        kind, data_path, out = args.floor
        FLOORS[kind](data_path, out)
        return 0
    args.sources = list(dict.fromkeys(x.strip().lower() for x in args.sources.split(",") if x.strip()))
    unknown = [x for x in args.sources if x not in SOURCES]
    if unknown or not args.sources:
        parser.error(f"--sources: choose from {', '.join(SOURCES)} (got {', '.join(unknown) or 'none'})")
    if args.quick:
        args.rows, args.repeat = [100_000], 1
    WORK.mkdir(exist_ok=True)
    info = machine()  # before the runs: the load average should show what else was running
    everyone = contenders(args)
    print("checking that the outputs agree ...", flush=True)
    agree = check_outputs(everyone, args.sources)
    print(f"outputs agree: {agree}", flush=True)
    stopped: dict[str, str] = {}
    sizes = {rows: run_size(rows, everyone, args, stopped) for rows in args.rows}
    text = report(info, sizes, agree, args)
    (WORK / "results.md").write_text(text + "\n")
    print("\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
