"""DICOM conversion speed: fairify's whole conversion against plain pydicom header reading.

    .venv/bin/python benchmarks/dicom.py                 # 4,000 headers, median of 3 runs
    .venv/bin/python benchmarks/dicom.py --files 2000 --repeat 1

The corpus is copies of the DICOM files inside the pydicom wheel (every file both pydicom and
fairify read: CT, MR, RT Plan, RT Dose, SEG, US, SR, ...) with new Study, Series, SOP Instance and
Frame of Reference UIDs, so that every header is distinct; it is written once into
``benchmarks/.work/dicom-corpus-<files>/`` (gitignored). Each contender runs as a subprocess and is
timed from outside (interpreter and pool start-up included for everyone), with the peak resident
memory of its whole process tree sampled from /proc:

- the floor: ``pydicom.dcmread(path, stop_before_pixels=True)`` over every file, in one process and
  in a pool of 2 processes (batches of 64 files), doing nothing with the datasets;
- fairify: ``fairify convert --dicom`` (read, de-identify under the PS3.15 Annex E profile, build
  the triples and provenance, write N-Quads), with 1 and 2 processes.

Start-up (interpreter, imports, process pool) is timed on an empty folder and also reported
apart, so that the per-file rate can be compared without it. Memory flatness: fairify with 2
processes is also run on twice the files; its peak memory should not grow with them. Results are printed as Markdown (and kept in .work/dicom-results.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import warnings
from pathlib import Path

from proctree import log_tail, measure

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / ".work"
SECRET = "benchmark-secret-0123456789abcdef"

FLOOR = """
import sys, warnings, pydicom
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
warnings.simplefilter("ignore")
files = sorted(str(p) for p in Path(sys.argv[1]).rglob("*.dcm"))
def read(batch):
    for f in batch:
        pydicom.dcmread(f, stop_before_pixels=True)
    return len(batch)
procs = int(sys.argv[2])
if procs == 1:
    read(files)
else:
    with ProcessPoolExecutor(procs) as pool:
        sum(pool.map(read, [files[i:i + 64] for i in range(0, len(files), 64)]))
"""


def make_corpus(files: int, seed: int = 42) -> Path:
    """Copies of pydicom's test files with new UIDs: ``files`` distinct headers."""
    import pydicom
    import pydicom.data
    from pydicom.uid import generate_uid

    from fairify.dicom.walk import Skip, read_header

    out = WORK / f"dicom-corpus-{files}"
    if out.is_dir() and sum(1 for _ in out.rglob("*.dcm")) == files:
        return out
    out.mkdir(parents=True, exist_ok=True)
    sources = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for p in sorted((Path(pydicom.data.__file__).parent / "test_files").glob("*.dcm")):
            try:
                read_header(p)
                ds = pydicom.dcmread(p)
                if "SOPInstanceUID" in ds and ds.file_meta.get("TransferSyntaxUID"):
                    sources.append((p, ds))
            except (Skip, Exception):
                continue
        rng = random.Random(seed)
        i = 0
        while i < files:
            for p, ds in sources:
                if i >= files:
                    break
                for kw in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "FrameOfReferenceUID"):
                    if kw in ds:
                        setattr(ds, kw, generate_uid(entropy_srcs=[str(seed), str(i), kw, str(rng.random())]))
                ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
                try:
                    ds.save_as(out / f"{i // 500:03d}" / f"{i:06d}.dcm", enforce_file_format=False)
                except FileNotFoundError:
                    (out / f"{i // 500:03d}").mkdir()
                    ds.save_as(out / f"{i // 500:03d}" / f"{i:06d}.dcm", enforce_file_format=False)
                except Exception:
                    sources.remove((p, ds))
                    continue
                i += 1
    return out


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak tree memory of ``cmd``."""
    log = WORK / "dicom-run.log"
    r = measure(cmd, cwd=ROOT, log=log, env=env)
    if r.returncode not in (0, 1):  # 1: fairify listed the copies of the deliberately broken files
        raise SystemExit(f"{' '.join(cmd)} failed ({r.returncode}): {log_tail(log, 20)}")
    return r.seconds, r.peak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=4000, help="distinct headers (at least 2,000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per contender (median)")
    args = parser.parse_args(argv)
    corpus = make_corpus(args.files)
    double = make_corpus(2 * args.files)
    py = sys.executable
    fairify = str(Path(py).with_name("fairify"))
    env = {**os.environ, "FAIRIFY_SECRET": SECRET}
    env.pop("FAIRIFY_SECRET_FILE", None)
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        out = Path(tmp) / "imaging.nq"

        def convert(processes: int) -> list[str]:
            return [
                fairify,
                "-q",
                "convert",
                "--dicom",
                str(corpus),
                "-o",
                str(out),
                "--processes",
                str(processes),
            ]

        contenders = {
            "pydicom dcmread, 1 process (floor)": [py, "-c", FLOOR, str(corpus), "1"],
            "pydicom dcmread, 2 processes (floor)": [py, "-c", FLOOR, str(corpus), "2"],
            "fairify convert --dicom, 1 process": convert(1),
            "fairify convert --dicom, 2 processes": convert(2),
        }
        empty = Path(tmp) / "empty"
        empty.mkdir()
        runs: dict[str, list[tuple[float, int]]] = {name: [] for name in contenders}
        starts: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(max(1, args.repeat)):  # interleaved, so that a busy moment hits everyone
            for name, cmd in contenders.items():
                runs[name].append(run(cmd, env))
                swap = {str(corpus): str(empty), str(out): str(Path(tmp) / "empty.nq")}
                starts[name].append(run([swap.get(c, c) for c in cmd], env)[0])
        summary = {n: (statistics.median(s for s, _ in r), max(p for _, p in r)) for n, r in runs.items()}
        quads = sum(1 for _ in out.open("rb"))
        big, big_peak = run(
            [fairify, "-q", "convert", "--dicom", str(double), "-o", str(out), "--processes", "2"], env
        )
    floor2 = args.files / summary["pydicom dcmread, 2 processes (floor)"][0]
    lines = [
        f"DICOM conversion of {args.files:,} distinct headers (copies of pydicom's test files with new UIDs), "
        f"median of {args.repeat}; {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{quads:,} quads of data.",
        "",
        "| contender | files/s | % of the 2-process floor | seconds | start-up s | files/s after start-up | % | peak memory (process tree) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    start = {n: statistics.median(v) for n, v in starts.items()}
    floor2_steady = args.files / (
        summary["pydicom dcmread, 2 processes (floor)"][0] - start["pydicom dcmread, 2 processes (floor)"]
    )
    for name, (seconds, peak) in summary.items():
        rate = args.files / seconds
        steady = args.files / max(1e-9, seconds - start[name])
        lines.append(
            f"| {name} | {rate:,.0f} | {100 * rate / floor2:.0f} % | {seconds:.2f} | {start[name]:.2f} | "
            f"{steady:,.0f} | {100 * steady / floor2_steady:.0f} % | {peak / 2**20:,.0f} MiB |"
        )
    lines += [
        "",
        f"Memory with twice the files ({2 * args.files:,}), fairify with 2 processes: "
        f"{big_peak / 2**20:,.0f} MiB peak ({2 * args.files / big:,.0f} files/s).",
    ]
    text = "\n".join(lines) + "\n"
    (WORK / "dicom-results.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
