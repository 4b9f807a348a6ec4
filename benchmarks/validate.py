"""SHACL validation speed: fairify's fast engine against pySHACL and pyrudof, measured in one run.

    .venv/bin/python benchmarks/validate.py                    # 10k, 100k and 1M patients
    .venv/bin/python benchmarks/validate.py --patients 10000   # one size
    .venv/bin/python benchmarks/validate.py --timeout 600 --peers-up-to 100000
    .venv/bin/python benchmarks/validate.py --patients 1000000 --engines fairify   # fairify alone

Each size is a synthetic clinical graph in the shape `mappings/hn_clinical.*` produces (patient,
sex, age, diagnosis, survival, vital status: 14 triples a patient), with about 1% of the patients
given one planted error of a known kind, so the number of violations every engine must find is
known in advance (`expected`). All engines validate the same N-Triples file against the shipped
`shapes/hn_clinical.ttl` and run as subprocesses: wall time and the peak resident memory of the
process tree (sampled from /proc every 50 ms) are measured from outside, start-up included; the
data file is read once before each run, so every engine starts from a warm page cache.

- fairify: `fairify validate --engine fast --format json` (compiled SPARQL on Oxigraph, 2 threads);
- pySHACL: `pyshacl.validate` on an rdflib graph (the engine fairify falls back to);
- pyrudof (PyPI, installed into fairify's venv on first use): rudof's native SHACL engine.

Peers run up to `--peers-up-to` patients (default 100k: pySHACL needs 10+ minutes and pyrudof
16+ GB there) and are stopped after `--timeout` seconds. Data and reports stay in
benchmarks/.work/validate/ (gitignored); the table is printed as Markdown and kept in
.work/validate/results.md for benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from proctree import Run, log_tail, measure

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / ".work" / "validate"
SHAPES = ROOT / "shapes" / "hn_clinical.ttl"
SEED = 42
SIZES = (10_000, 100_000, 1_000_000)
ENGINES = ("fairify", "pyshacl", "pyrudof")
GB = 1 << 30

TARGET_VS_PYSHACL = 20.0  # fast engine at least this many times faster than pySHACL at 100k
TARGET_1M_SECONDS = 120.0  # and 1M patients in under 2 minutes
TARGET_1M_PEAK = 8 * GB  # with under 8 GB peak memory

# ---------------------------------------------------------------------------------------------
# The synthetic graph

NCIT = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl#"
ROO = "http://www.cancerdata.org/roo/"
XSD = "http://www.w3.org/2001/XMLSchema#"
ID = "https://w3id.org/fairify/id/"
TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"

# planted error -> (share of patients, violations it causes, of which from SPARQL-based constraints)
PLANTED = {
    "age_out_of_range": (0.002, 1, 0),  # 150: sh:maxInclusive
    "age_not_a_number": (0.001, 3, 0),  # "6O"^^xsd:integer: sh:datatype, and no bound compares
    "negative_survival": (0.002, 1, 0),  # -42: sh:minInclusive
    "unknown_sex_code": (0.001, 1, 0),  # a Sex node with no Male/Female class: qualifiedMinCount
    "missing_age": (0.001, 1, 0),  # no age at diagnosis: sh:minCount
    "two_ages": (0.001, 1, 0),  # two ages at diagnosis: sh:maxCount
    "death_without_survival": (0.001, 1, 1),  # event 1 and no survival: SPARQL-based
    "survival_without_event": (0.001, 1, 1),  # survival and no vital status: SPARQL-based
}


def generate(path: Path, patients: int, seed: int = SEED) -> Counter:
    """Write the graph; returns how many patients got each planted error."""
    rnd = random.Random(seed)
    kinds = list(PLANTED)
    bounds: list[float] = []
    acc = 0.0
    for k in kinds:
        acc += PLANTED[k][0]
        bounds.append(acc)
    planted: Counter = Counter()
    lines: list[str] = []
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", encoding="utf-8") as f:
        for _ in range(patients):
            h = f"{rnd.getrandbits(128):032x}"
            x = rnd.random()
            kind = next((k for k, b in zip(kinds, bounds, strict=True) if x < b), None)
            if kind:
                planted[kind] += 1
            p = f"<{ID}patient/{h}>"
            sex, age, surv, vital = (
                f"<{ID}{k}/{h}>"
                for k in ("biological-sex", "age-at-diagnosis", "survival-time", "vital-status")
            )
            age_value = {"age_out_of_range": '"150"', "age_not_a_number": '"6O"'}.get(
                kind, f'"{rnd.randint(25, 90)}"'
            )
            days = '"-42"' if kind == "negative_survival" else f'"{rnd.randint(30, 4000)}"'
            sex_class = (
                "C17998" if kind == "unknown_sex_code" else ("C20197" if rnd.random() < 0.7 else "C16576")
            )
            lines += [
                f"{p} {TYPE} <{NCIT}C16960> .",
                f"{p} <{ROO}P100018> {sex} .",
                f"{sex} {TYPE} <{NCIT}C28421> .",
                f"{sex} {TYPE} <{NCIT}{sex_class}> .",
                f"{p} <{ROO}P100029> <{ID}neoplasm/{h}> .",
            ]
            if kind != "missing_age":
                lines += [
                    f"{p} <{ROO}P100016> {age} .",
                    f"{age} {TYPE} <{NCIT}C25150> .",
                    f"{age} <{ROO}P100042> {age_value}^^<{XSD}integer> .",
                ]
            if kind == "two_ages":
                lines += [f"{p} <{ROO}P100016> <{ID}age-at-diagnosis/{h}-2> ."]
                lines += [f"<{ID}age-at-diagnosis/{h}-2> {TYPE} <{NCIT}C25150> ."]
                lines += [f'<{ID}age-at-diagnosis/{h}-2> <{ROO}P100042> "61"^^<{XSD}integer> .']
            if kind != "death_without_survival":
                lines += [
                    f"{p} <{ROO}P100311> {surv} .",
                    f"{surv} {TYPE} <{ROO}C100014> .",
                    f"{surv} <{ROO}P100042> {days}^^<{XSD}integer> .",
                ]
            if kind != "survival_without_event":
                dead = kind == "death_without_survival" or rnd.random() < 0.4
                lines += [
                    f"{p} <{ROO}P100028> {vital} .",
                    f"{vital} {TYPE} <{NCIT}C25717> .",
                    f"{vital} {TYPE} <{NCIT}{'C28554' if dead else 'C37987'}> .",
                ]
            if len(lines) >= 200_000:
                f.write("\n".join(lines) + "\n")
                lines.clear()
        if lines:
            f.write("\n".join(lines) + "\n")
    tmp.replace(path)
    return planted


def dataset(patients: int) -> tuple[Path, Counter, int]:
    """The cached graph of ``patients`` (made once per size and seed), its planted errors and size."""
    path = WORK / f"clinical-{patients}-seed{SEED}.nt"
    meta = path.with_suffix(".json")
    if not (path.exists() and meta.exists()):
        WORK.mkdir(parents=True, exist_ok=True)
        print(f"generating {patients:,} patients -> {path.relative_to(ROOT)}", flush=True)
        planted = generate(path, patients)
        meta.write_text(json.dumps({"planted": planted, "triples": count_lines(path)}))
    info = json.loads(meta.read_text())
    return path, Counter(info["planted"]), int(info["triples"])


def expected(planted: Counter, *, core_only: bool = False) -> int:
    return sum(n * (PLANTED[k][1] - (PLANTED[k][2] if core_only else 0)) for k, n in planted.items())


def count_lines(path: Path) -> int:
    n = 0
    with open(path, "rb") as f:
        while block := f.read(1 << 24):
            n += block.count(b"\n")
    return n


# ---------------------------------------------------------------------------------------------
# The engines, each run in its own process (``--engine NAME DATA OUT``)


def run_engine(engine: str, data: Path, out: Path) -> None:
    """Validate ``data`` with one engine and write {"violations": n, "by_component": {...}} to ``out``."""
    by: Counter = Counter()
    if engine == "pyshacl":
        import logging

        import pyshacl
        from rdflib import Graph
        from rdflib.namespace import SH

        logging.disable(logging.CRITICAL)
        g = Graph()
        g.parse(data, format="nt")
        _, report, _ = pyshacl.validate(g, shacl_graph=str(SHAPES), advanced=True)
        for r in report.objects(None, SH.result):
            if report.value(r, SH.resultSeverity) == SH.Violation:
                by[str(report.value(r, SH.sourceConstraintComponent)).rsplit("#", 1)[-1]] += 1
    elif engine == "pyrudof":
        import pyrudof

        rudof = pyrudof.Rudof(pyrudof.RudofConfig())
        rudof.read_data(str(data), format=pyrudof.RDFFormat.NTriples)
        rudof.read_shacl(str(SHAPES), format=pyrudof.ShaclFormat.Turtle)
        report = rudof.validate_shacl()
        for entry in report:
            if "Violation" in str(entry.severity):
                by[str(entry.constraint_component).rsplit("#", 1)[-1].rstrip(">")] += 1
    else:
        raise SystemExit(f"unknown engine {engine}")
    out.write_text(json.dumps({"violations": sum(by.values()), "by_component": by}))


def fairify_counts(report_json: Path) -> dict:
    doc = json.loads(report_json.read_text())
    by = Counter(r["component"].rsplit("#", 1)[-1] for r in doc["results"] if r["severity"] == "Violation")
    return {
        "violations": doc["violations"],
        "by_component": by,
        "engines": sorted(set(doc["engines"].values())),
    }


# ---------------------------------------------------------------------------------------------


def warm(path: Path) -> None:
    """Read the data once, so that every engine starts from the page cache (a peer's run may evict it)."""
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


# ---------------------------------------------------------------------------------------------


@dataclass
class Row:
    patients: int
    triples: int
    engine: str
    run: Run | None = None
    counts: dict = field(default_factory=dict)
    note: str = ""


def pyrudof_available() -> str:
    """ "" when pyrudof imports, else why not (it is installed into this venv on first use)."""
    try:
        import pyrudof  # noqa: F401

        return ""
    except ImportError:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "pyrudof"],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            return f"pip install pyrudof failed: {(done.stderr or done.stdout).strip().splitlines()[-1:]}"
        return ""


def bench(
    sizes: Sequence[int], timeout: float, peers_up_to: int, engines: Sequence[str] = ENGINES
) -> list[Row]:
    fairify = Path(sys.executable).with_name("fairify")
    rudof_missing = pyrudof_available() if "pyrudof" in engines else ""
    rows: list[Row] = []
    for n in sizes:
        data, planted, triples = dataset(n)
        for engine in (e for e in ENGINES if e in engines):
            row = Row(n, triples, engine)
            rows.append(row)
            if engine != "fairify" and n > peers_up_to:
                row.note = f"not run (over {peers_up_to:,} patients; see --peers-up-to)"
                continue
            if engine == "pyrudof" and rudof_missing:
                row.note = rudof_missing
                continue
            out = WORK / f"{engine}-{n}.json"
            out.unlink(missing_ok=True)
            if engine == "fairify":
                cmd = [
                    fairify,
                    "-q",
                    "validate",
                    data,
                    "--shapes",
                    SHAPES,
                    "--engine",
                    "fast",
                    "--format",
                    "json",
                    "-o",
                    out,
                ]
            else:
                cmd = [sys.executable, Path(__file__), "--engine", engine, data, out]
            print(f"  {n:>9,} patients  {engine:<8} ...", end="", flush=True)
            warm(data)
            row.run = measure(cmd, cwd=ROOT, log=WORK / f"{engine}-{n}.log", timeout=timeout)
            if row.run.stopped:
                row.note = f"stopped after {timeout:.0f} s"
            elif not out.exists():
                row.note = f"failed (exit {row.run.returncode}): {log_tail(row.run.log, 1)[:200]}"
            else:
                row.counts = fairify_counts(out) if engine == "fairify" else json.loads(out.read_text())
            print(f" {row.run.seconds:.1f} s, {row.run.peak / GB:.2f} GB {row.note}", flush=True)
        rows_n = [r for r in rows if r.patients == n]
        want, core = expected(planted), expected(planted, core_only=True)
        for r in rows_n:
            if r.counts:
                found = r.counts["violations"]
                r.counts["agrees"] = found == want
                if found == core and core != want:
                    r.note = "core constraints only (no SPARQL-based ones)"
    return rows


def markdown(rows: list[Row]) -> str:
    out = [
        "| patients | triples | engine | wall time | peak memory | violations found (expected) | agrees |",
        "|---:|---:|---|---:|---:|---|---|",
    ]
    for r in rows:
        _, planted, _ = dataset(r.patients)
        want = expected(planted)
        if r.run is None or not r.counts:
            time_s = f"{r.run.seconds:.0f} s+" if r.run and r.run.stopped else "—"
            out.append(f"| {r.patients:,} | {r.triples:,} | {r.engine} | {time_s} | — | {r.note} | — |")
            continue
        what = f"{r.counts['violations']:,} ({want:,}){' ' + r.note if r.note else ''}"
        out.append(
            f"| {r.patients:,} | {r.triples:,} | {r.engine} | {r.run.seconds:.1f} s | {r.run.peak / GB:.2f} GB "
            f"| {what} | {'yes' if r.counts.get('agrees') else 'NO'} |"
        )
    return "\n".join(out)


def verdict(rows: list[Row]) -> list[str]:
    lines = []
    by = {(r.patients, r.engine): r for r in rows}
    f100, p100 = by.get((100_000, "fairify")), by.get((100_000, "pyshacl"))
    if f100 and f100.run and p100 and p100.run:
        ratio = p100.run.seconds / f100.run.seconds
        bound = "at least " if p100.run.stopped else ""
        ok = ratio >= TARGET_VS_PYSHACL
        lines.append(
            f"- 100k: fast engine {bound}{ratio:.0f}x faster than pySHACL (target {TARGET_VS_PYSHACL:.0f}x): {'met' if ok else 'NOT met'}"
        )
    f1m = by.get((1_000_000, "fairify"))
    if f1m and f1m.run:
        finished = f1m.run.returncode in (0, 1)  # 1: the planted violations were found
        ok = finished and f1m.run.seconds < TARGET_1M_SECONDS and f1m.run.peak < TARGET_1M_PEAK
        lines.append(
            f"- 1M: {f1m.run.seconds:.0f} s and {f1m.run.peak / GB:.1f} GB (targets {TARGET_1M_SECONDS:.0f} s, "
            f"{TARGET_1M_PEAK / GB:.0f} GB): {'met' if ok else 'NOT met'}"
        )
    return lines


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--patients", type=int, action="append", help="a size (repeatable); default 10k, 100k, 1M"
    )
    ap.add_argument(
        "--timeout", type=float, default=900, help="seconds before a run is stopped (default 900)"
    )
    ap.add_argument("--peers-up-to", type=int, default=100_000, help="largest size pySHACL/pyrudof run on")
    ap.add_argument(
        "--engines",
        default=",".join(ENGINES),
        help=f"comma-separated engines to run (default all: {','.join(ENGINES)})",
    )
    ap.add_argument("--engine", nargs=3, metavar=("NAME", "DATA", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.engine:
        run_engine(args.engine[0], Path(args.engine[1]), Path(args.engine[2]))
        return
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = sorted(set(engines) - set(ENGINES))
    if unknown or not engines:
        ap.error(f"unknown engine(s) {', '.join(unknown) or '(none given)'}: use {', '.join(ENGINES)}")
    WORK.mkdir(parents=True, exist_ok=True)
    rows = bench(args.patients or SIZES, args.timeout, args.peers_up_to, engines)
    load = os.getloadavg()
    head = (
        f"{datetime.date.today()}, {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; load average {load[0]:.1f} at the end (a shared machine)"
    )
    text = "\n".join([head, "", markdown(rows), "", *verdict(rows)]) + "\n"
    (WORK / "results.md").write_text(text)
    print()
    print(text)


if __name__ == "__main__":
    main()
