"""Conversion speed: fairify against Morph-KGC and a hand-written floor, measured in one run.

    .venv/bin/python benchmarks/convert.py              # 100k and 1M rows, best of 3 runs
    .venv/bin/python benchmarks/convert.py --quick      # 100k rows, one run
    .venv/bin/python benchmarks/convert.py --rows 250000 --repeat 5 --no-polars

Every contender turns the same synthetic clinical CSV (17 columns, fixed seed, clean values) into
the same N-Triples (13 triples a row) and runs as a subprocess; its wall time and the peak resident
memory of its whole process tree (sampled from /proc every 50 ms) are measured from outside, so
interpreter start-up and worker processes count for everyone alike. The contenders:

- fairify through its CLI, without and with row provenance (the default);
- Morph-KGC running the same RML mapping file, installed in its own venv: it needs pandas < 3 and
  pyoxigraph < 0.4, which fairify's own venv cannot hold;
- floors: code written by hand for this one mapping, with no validation and no generality. The
  pyarrow floor streams the CSV in batches, builds every line with vectorised joins and writes each
  batch straight from its buffer; the polars floor (own venv) scans lazily and streams to the file.
  The faster of the two is "the floor" in the ratios.

First, all contenders convert 1,000 rows and their outputs are parsed with pyoxigraph and compared
as sets of triples ("outputs agree"). Generated data, venvs and outputs stay in benchmarks/.work/
(gitignored). The results are printed as Markdown (and kept in .work/results.md) for README.md.
Run it with fairify's venv: it imports ``fairify.demo`` for the data and pyoxigraph for the check.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / ".work"
MAPPING = HERE / "mappings" / "convert_bench.rml.ttl"
SEED = 42
CHECK_ROWS = 1_000
DEFAULT_ROWS = (100_000, 1_000_000)
POLL_SECONDS = 0.05
PAGE = os.sysconf("SC_PAGE_SIZE")
MIB = 1 << 20

# A set that installs and runs here (Python 3.11): Morph-KGC 2.10 wants pandas < 3 and
# pyoxigraph < 0.4; the rest of its dependencies are left to pip.
MORPH_PINS = ("morph-kgc==2.10.0", "pandas==2.3.3", "pyoxigraph==0.3.22", "numpy==2.4.6")
POLARS_PINS = ("polars==2.1.0",)

TARGET_VS_MORPH = 4.0  # fairify at least this many times faster than Morph-KGC
TARGET_VS_FLOOR = 1.5  # and at most this many times the floor's time
TARGET_PEAK = 1 << 30  # and under 1 GiB peak memory

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


FLOORS: dict[str, Callable[[str, str], None]] = {"pyarrow": floor_pyarrow, "polars": floor_polars}

# ---------------------------------------------------------------------------------------------
# Measuring a process tree from outside


@dataclass
class Run:
    seconds: float
    cpu: float  # user + system seconds of the process and the descendants it waited for
    peak: int  # bytes: the largest sum of resident memory over the process and its descendants
    returncode: int
    log: Path


def _tree_rss(root: int) -> int:
    """Resident memory of ``root`` and all its descendants, from /proc (Linux).

    Children are found through ``/proc/PID/task/TID/children``: far cheaper than reading every
    process's ``stat``, so the sampler takes little CPU from the run it measures.
    """
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm", "rb") as f:
                total += int(f.read().split()[1]) * PAGE
            for task in os.scandir(f"/proc/{pid}/task"):
                with open(f"{task.path}/children", "rb") as f:
                    todo.extend(int(child) for child in f.read().split())
        except (OSError, IndexError, ValueError):  # the process ended meanwhile
            pass
    return total


def measure(command: Sequence[str | Path], cwd: Path, log: Path) -> Run:
    """Wall time and peak tree memory of one run; the process's output goes to ``log``.

    A sampler thread polls /proc while the main thread blocks in ``wait4``, so the time is not
    rounded up to the polling interval. (``ru_maxrss`` is no help: a child started by vfork + exec
    inherits the benchmark's own high-water mark.)
    """
    os.sync()  # the previous run's dirty pages must not be written back on this run's time
    peak = 0
    done = threading.Event()
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [str(c) for c in command], cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=out
        )

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _tree_rss(proc.pid))
                done.wait(POLL_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(seconds, usage.ru_utime + usage.ru_stime, peak, proc.returncode, log)


def count_lines(path: Path) -> int:
    n = 0
    with open(path, "rb") as f:
        while block := f.read(1 << 24):
            n += block.count(b"\n")
    return n


def log_tail(path: Path, lines: int = 3) -> str:
    text = path.read_text(errors="replace").strip().splitlines() if path.exists() else []
    return " | ".join(line.strip() for line in text[-lines:]) or "no output"


# ---------------------------------------------------------------------------------------------
# Data, venvs and contenders


def dataset(rows: int) -> Path:
    """The cached synthetic clinical CSV of ``rows`` patients (made once per size and seed)."""
    path = WORK / "data" / f"clinical-{rows}-seed{SEED}.csv"
    if path.exists():
        return path
    try:
        from fairify.demo import generate_benchmark_csv
    except ImportError as e:
        raise SystemExit(f"fairify.demo.generate_benchmark_csv is needed for the data: {e}") from e
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    print(f"generating {rows:,} rows -> {path.relative_to(ROOT)}", flush=True)
    generate_benchmark_csv(tmp, rows, seed=SEED)
    tmp.replace(path)
    return path


def run_dir(rows: int) -> Path:
    """A folder holding the data as ``clinical.csv`` and a byte-identical copy of the mapping.

    The mapping names its source relatively: fairify resolves it against the mapping's folder,
    Morph-KGC against its working directory; here both are this folder.
    """
    folder = WORK / f"run-{rows}"
    (folder / "out").mkdir(parents=True, exist_ok=True)
    link = folder / "clinical.csv"
    target = dataset(rows)
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(target)
    shutil.copyfile(MAPPING, folder / MAPPING.name)
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


def fairify_bin() -> Path:
    here = Path(sys.executable).with_name("fairify")
    found = here if here.exists() else shutil.which("fairify")
    if not found:
        raise SystemExit("no fairify command next to this Python; run with fairify's venv")
    return Path(found)


def morph_command(python: Path, processes: int | None) -> Callable[[Path, Path], list[str | Path]]:
    def command(folder: Path, out: Path) -> list[str | Path]:
        ini = folder / "morph-kgc.ini"
        lines = [
            "[CONFIGURATION]",
            f"output_file = {out}",
            "output_format = N-TRIPLES",
            *([f"number_of_processes = {processes}"] if processes else []),
            "",
            "[ClinicalCSV]",
            f"mappings = {MAPPING.name}",
            "",
        ]
        ini.write_text("\n".join(lines))
        return [python, "-m", "morph_kgc", ini]

    return command


def contenders(args: argparse.Namespace) -> list[Contender]:
    fairify = fairify_bin()
    found: list[Contender] = [
        Contender(
            "fairify (no provenance)",
            "fairify",
            lambda folder, out: [fairify, "convert", folder / MAPPING.name, "-o", out, "--no-provenance"],
        ),
        Contender(
            "fairify (with provenance)",
            "fairify",
            lambda folder, out: [fairify, "convert", folder / MAPPING.name, "-o", out],
            extra_outputs=lambda out: [out.with_name(out.name.split(".")[0] + ".prov.nq")],
        ),
    ]
    if args.no_morph:
        found.append(Contender("Morph-KGC", "morph", None, "skipped (--no-morph)"))
    else:
        python, why = ensure_venv("morph-venv", MORPH_PINS, "import morph_kgc")
        command = morph_command(python, args.morph_processes) if python else None
        found.append(Contender("Morph-KGC", "morph", command, why))
    script = Path(__file__).resolve()
    found.append(
        Contender(
            "floor: pyarrow",
            "floor",
            lambda folder, out: [sys.executable, script, "--floor", "pyarrow", folder / "clinical.csv", out],
        )
    )
    if args.no_polars:
        found.append(Contender("floor: polars", "floor", None, "skipped (--no-polars)"))
    else:
        python, why = ensure_venv("polars-venv", POLARS_PINS, "import polars")
        found.append(
            Contender(
                "floor: polars",
                "floor",
                (
                    lambda folder, out, py=python: [
                        py,
                        script,
                        "--floor",
                        "polars",
                        folder / "clinical.csv",
                        out,
                    ]
                )
                if python
                else None,
                why,
            )
        )
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


def run_size(rows: int, everyone: list[Contender], repeat: int, keep: bool) -> list[Result]:
    """Each contender ``repeat`` times, round-robin so that drift hits everyone alike."""
    folder = run_dir(rows)
    results = [Result(c, rows, failed=c.unavailable) for c in everyone]
    for i in range(repeat):
        for result in results:
            c = result.contender
            if result.failed or c.command is None:
                continue
            out = output_path(folder, c)
            clear(c, out)
            print(f"  {rows:>9,} rows  {c.name:<26} run {i + 1}/{repeat} ...", end="", flush=True)
            run = measure(c.command(folder, out), folder, out.with_suffix(".log"))
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
            if not keep:
                clear(c, out)
    return results


def check_outputs(everyone: list[Contender]) -> str:
    """Convert 1,000 rows with every contender and compare the outputs as sets of triples."""
    import pyoxigraph as ox

    folder = run_dir(CHECK_ROWS)
    graphs: dict[str, frozenset[Any]] = {}
    problems: list[str] = []
    for c in everyone:
        if c.command is None:
            continue
        out = output_path(folder, c)
        clear(c, out)
        run = measure(c.command(folder, out), folder, out.with_suffix(".log"))
        if run.returncode != 0 or not out.exists():
            problems.append(f"{c.name} failed: {log_tail(run.log)}")
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
    by_name = {r.contender.name: r for r in results}
    morph = by_name.get("Morph-KGC")
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
    """fairify against the issue's targets: ≥ 4× Morph-KGC, ≤ 1.5× the floor, < 1 GiB."""
    by_name = {r.contender.name: r for r in results}
    morph = by_name.get("Morph-KGC")
    floors = [r.seconds for r in results if r.contender.kind == "floor" and r.seconds is not None]
    out = []
    for r in results:
        if r.contender.kind != "fairify" or r.seconds is None:
            continue
        checks = []
        if morph and morph.seconds:
            x = morph.seconds / r.seconds
            checks.append(f"{x:.1f}× faster than Morph-KGC ({'met' if x >= TARGET_VS_MORPH else 'MISSED'})")
        if floors:
            x = r.seconds / min(floors)
            checks.append(f"{x:.2f}× the floor's time ({'met' if x <= TARGET_VS_FLOOR else 'MISSED'})")
        peak = r.peak or 0
        checks.append(f"{peak / MIB:,.0f} MiB peak ({'met' if peak < TARGET_PEAK else 'MISSED'})")
        out.append(f"- {r.contender.name}, {r.rows:,} rows: " + "; ".join(checks))
    return out


def report(
    info: list[str], sizes: dict[int, list[Result]], agree: str, repeat: int, processes: int | None
) -> str:
    morph_workers = processes or 2 * (os.cpu_count() or 1)
    lines = [
        *info,
        f"- each figure: the best of {repeat} run(s) (other work on the machine only ever adds time), "
        f"largest peak; CPU s = user + system time of the whole process tree; Morph-KGC with "
        f"{morph_workers} processes{'' if processes else ' (its default, 2 × cores)'}",
        f"- outputs agree: {agree}",
        "",
    ]
    for rows, results in sizes.items():
        lines += [f"### {rows:,} rows", "", *table(results), "", *targets(results), ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, nargs="+", default=list(DEFAULT_ROWS), help="sizes to run")
    parser.add_argument("--quick", action="store_true", help="100k rows, one run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per contender and size (best counts)")
    parser.add_argument("--no-morph", action="store_true", help="skip Morph-KGC")
    parser.add_argument("--no-polars", action="store_true", help="skip the polars floor")
    parser.add_argument("--morph-processes", type=int, help="Morph-KGC workers (default: its own)")
    parser.add_argument("--keep", action="store_true", help="keep the outputs in .work/run-*/out")
    parser.add_argument("--floor", nargs=3, metavar=("KIND", "CSV", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.floor:  # a floor, run as its own process by the benchmark
        kind, csv_path, out = args.floor
        FLOORS[kind](csv_path, out)
        return 0
    if args.quick:
        args.rows, args.repeat = [100_000], 1
    WORK.mkdir(exist_ok=True)
    info = machine()  # before the runs: the load average should show what else was running
    everyone = contenders(args)
    print("checking that the outputs agree ...", flush=True)
    agree = check_outputs(everyone)
    print(f"outputs agree: {agree}", flush=True)
    sizes = {rows: run_size(rows, everyone, args.repeat, args.keep) for rows in args.rows}
    text = report(info, sizes, agree, args.repeat, args.morph_processes)
    (WORK / "results.md").write_text(text + "\n")
    print("\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
