"""Load speed: convert + load into an on-disk Oxigraph store, against Oxigraph's own bulk_load.

    .venv/bin/python benchmarks/load.py                 # 1M rows (about 13M triples)
    .venv/bin/python benchmarks/load.py --rows 100000   # quicker

All contenders run in one go on the same data (the 17-column synthetic clinical CSV of
``fairify.demo.generate_benchmark_csv``, mapped by ``benchmarks/mappings/convert_bench.rml.ttl``
to 13 triples a row), each in its own subprocess writing a fresh store, timed from outside:

- ``oxigraph bulk_load (file)``: ``Store.bulk_load`` of the finished N-Triples file alone (the
  file is written by fairify beforehand, untimed) - the reference of the target;
- ``+ optimize``: the same followed by ``Store.optimize()``, which queries need (a cohort query
  on an unoptimised store ran ~5x slower);
- ``fairify convert --store (stream, no optimize)``: CSV -> RDF streamed through a pipe into
  the bulk loader as a new version graph, then the atomic pointer swap (no compaction);
- ``fairify convert --store``: the same as the command runs it, with ``optimize``;
- ``fairify load (file)``: ``fairify load`` of the N-Triples file (SHA-256, bulk_load, count,
  swap, optimize).

Target: ``fairify convert --store (stream, no optimize)`` within 1.2x of ``bulk_load (file)``.
Data and stores live in benchmarks/.work/load/ (gitignored); results are printed as Markdown.
The machine is shared: other test runs may be going on, so figures vary between runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / ".work" / "load"
MAPPING = HERE / "mappings" / "convert_bench.rml.ttl"
SECRET = "benchmark-secret-not-used-by-this-mapping"
TARGET = 1.2

BULK = """
import sys, pyoxigraph as ox
s = ox.Store(sys.argv[1])
s.bulk_load(path=sys.argv[2], format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode("urn:bench"))
if sys.argv[3] == "1":
    s.optimize()
s.flush()
"""

STREAM = """
import sys
from pathlib import Path
from fairify.engine.engine import Engine, Options
from fairify.engine.sinks import StoreSink
from fairify.mapping import load_mapping
m = load_mapping(Path(sys.argv[2]))
sink = StoreSink(Path(sys.argv[1]), "clinical", optimize=sys.argv[3] == "1")
try:
    Engine(m, Options(secret=b"x" * 32, row_provenance=False)).run(sink, None)
    sink.commit()
except BaseException:
    sink.abort()
    raise
print(sink.count)
"""


def run(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system of the child and its threads)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def fresh(name: str) -> Path:
    p = WORK / name
    shutil.rmtree(p, ignore_errors=True)
    return p


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=1, help="interleaved runs of every contender (median)")
    args = ap.parse_args(argv)
    py = sys.executable
    fairify = str(Path(py).parent / "fairify")
    WORK.mkdir(parents=True, exist_ok=True)
    data = WORK / f"rows{args.rows}"
    data.mkdir(exist_ok=True)
    csv = data / "clinical.csv"
    if not csv.exists():
        from fairify.demo import generate_benchmark_csv

        generate_benchmark_csv(csv, args.rows)
    mapping = data / MAPPING.name
    shutil.copy(MAPPING, mapping)
    nt = data / "clinical.nt"
    if not nt.exists():
        env = {"FAIRIFY_SECRET": SECRET}
        run([fairify, "-q", "convert", str(mapping), "-o", str(nt), "--no-provenance"], env)
    triples = sum(1 for _ in nt.open("rb"))
    env = {"FAIRIFY_SECRET": SECRET}
    contenders: list[tuple[str, list[str], dict[str, str] | None]] = [
        ("oxigraph bulk_load (file)", [py, "-c", BULK, "{store}", str(nt), "0"], None),
        (
            "fairify convert --store (stream, no optimize)",
            [py, "-c", STREAM, "{store}", str(mapping), "0"],
            None,
        ),
        ("oxigraph bulk_load (file) + optimize", [py, "-c", BULK, "{store}", str(nt), "1"], None),
        (
            "fairify convert --store",
            [fairify, "-q", "convert", str(mapping), "--store", "{store}", "--no-provenance"],
            env,
        ),
        ("fairify load (file)", [fairify, "-q", "load", str(nt), "--store", "{store}"], None),
    ]
    times: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in contenders}
    for _ in range(args.repeat):  # interleaved, so that a busy spell on the shared machine hits all alike
        for i, (name, cmd, e) in enumerate(contenders):
            store = str(fresh(f"c{i}"))
            times[name].append(run([store if c == "{store}" else c for c in cmd], e))
            print(f"{name}: {times[name][-1][0]:.1f} s wall, {times[name][-1][1]:.1f} s CPU", flush=True)
    med = {
        n: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for n, v in times.items()
    }
    base, base_opt = med[contenders[0][0]][0], med[contenders[2][0]][0]
    print(
        f"\n{args.rows:,} rows, {triples:,} triples; {platform.machine()}, {os.cpu_count()} cores; "
        f"Python {platform.python_version()}; median of {args.repeat} interleaved run(s); load average "
        f"{os.getloadavg()[0]:.1f} at the end (shared machine)\n"
    )
    print("| contender | wall s | CPU s | triples/s | vs bulk_load | vs bulk_load + optimize |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, (wall, cpu) in med.items():
        print(
            f"| {name} | {wall:.1f} | {cpu:.1f} | {triples / wall:,.0f} | {wall / base:.2f}x | {wall / base_opt:.2f}x |"
        )
    ratio = med[contenders[1][0]][0] / base
    verdict = "met" if ratio <= TARGET else "NOT met"
    print(
        f"\ntarget: convert + load (stream) within {TARGET}x of bulk_load of the file: {ratio:.2f}x ({verdict})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
