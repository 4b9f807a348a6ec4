"""``fairify.dicom.convert_dicom``: a DICOM archive to N-Quads with the generic model, no mapping needed.

Files are read in batches by a process pool (headers only); each worker de-identifies its
headers, builds their lines and returns them as N-Quads bytes, which the main process writes in
walk order through the atomic file or store sinks. At most ``2 x processes`` batches are in
flight, so memory stays flat however many files the archive holds. One bad file never stops the
run: it is reported with its path and reason, and counted.
"""

from __future__ import annotations

import os
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from fairify.dicom.deid import Policy, Profile
from fairify.dicom.dictionary import ID_BASE
from fairify.dicom.graph import Batch, Context, HeaderGraph
from fairify.dicom.walk import FileProblem, Skip, count_files, iter_files, read_header
from fairify.engine.sinks import FileSink, StoreSink
from fairify.errors import SourceError, UsageError
from fairify.provenance import RunRecord, now
from fairify.pseudonym import HOW_TO, load_secret, pseudonym

BATCH_FILES = 48
DEFAULT_SOURCE = "imaging"  # the store source of a DICOM conversion, unless named
MAX_LISTED = 10_000  # problems kept in the result (all are counted)


@dataclass
class BatchResult:
    data: bytes
    quads: int
    prov: bytes
    prov_quads: int
    converted: int
    problems: list[FileProblem]
    directories: int
    patients: set[str]
    studies: set[str]
    series: set[str]
    instances: set[str]


@dataclass
class DicomResult:
    """What a DICOM conversion did: counts, and every file it skipped or warned about, with the reason."""

    output: Path | None
    store: Path | None
    provenance: Path | None
    profile: Profile
    files: int = 0
    converted: int = 0
    directories: int = 0  # DICOMDIR index files met in a folder walk (their files are converted anyway)
    skipped: list[FileProblem] = field(default_factory=list)
    warnings: list[FileProblem] = field(default_factory=list)
    skipped_count: int = 0
    warning_count: int = 0
    patients: int = 0  # distinct, like studies and series (sets that grow with the series, not the files)
    studies: int = 0
    series: int = 0
    instances: int = 0  # SOP instances, distinct within each batch: memory stays flat in the file count
    quads: int = 0
    provenance_quads: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every file converted without a problem."""
        return self.skipped_count == 0 and self.warning_count == 0


# -------------------------------------------------------------------------------------- worker side

_CTX: Context | None = None


def _init(secret: bytes, profile: Profile, keyed: bool, root: str) -> None:
    global _CTX
    warnings.simplefilter("ignore")
    _CTX = Context(secret, Policy(profile), keyed_files=keyed, root=Path(root))


def convert_batch(paths: list[str], ctx: Context | None = None) -> BatchResult:
    """Read, de-identify and build the lines of a batch of files (in a worker, or in-process)."""
    ctx = ctx or _CTX
    assert ctx is not None, "worker not initialised"
    batch = Batch()
    problems: list[FileProblem] = []
    converted = directories = 0
    patients: set[str] = set()
    studies: set[str] = set()
    series: set[str] = set()
    instances: set[str] = set()
    for p in paths:
        path = Path(p)
        file_problems: list[FileProblem] = []
        one = Batch()
        try:
            header = read_header(path)
            file_problems += [FileProblem(p, n, skipped=False) for n in header.notes]
            summary = HeaderGraph(ctx, one, header, file_problems).build()
        except Skip as exc:
            if exc.directory:
                directories += 1
            else:
                problems.append(FileProblem(p, exc.reason))
            continue
        except Exception as exc:  # a header pydicom reads but cannot make sense of: skip, keep going
            problems.append(FileProblem(p, f"cannot be converted: {type(exc).__name__}: {exc}"[:300]))
            continue
        converted += 1
        problems += file_problems
        batch.iri_lines.update(one.iri_lines)
        batch.prov_lines.update(one.prov_lines)
        for mine, theirs in (
            (batch.lit_s, one.lit_s),
            (batch.lit_p, one.lit_p),
            (batch.lit_lex, one.lit_lex),
            (batch.lit_close, one.lit_close),
        ):
            mine.extend(theirs)
        for bucket, value in (
            (patients, summary.patient),
            (studies, summary.study),
            (series, summary.series),
            (instances, summary.instance),
        ):
            if value:
                bucket.add(value)
    data, n, prov, k = batch.nquads()
    return BatchResult(
        data, n, prov, k, converted, problems, directories, patients, studies, series, instances
    )


# -------------------------------------------------------------------------------------- main side


def _batches(paths: Iterator[Path], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for p in paths:
        batch.append(str(p))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def convert_dicom(
    source: str | Path,
    output: str | Path | None = None,
    *,
    store: str | Path | None = None,
    secret: bytes | None = None,
    secret_file: str | Path | None = None,
    profile: Profile | None = None,
    processes: int | None = None,
    provenance: bool = True,
    keyed_file_iris: bool = True,
    batch_files: int = BATCH_FILES,
    progress: Callable[[int, int | None], None] | None = None,
    name: str | None = None,
) -> DicomResult:
    """Convert every DICOM file under ``source`` (a folder, searched recursively, or a DICOMDIR).

    Writes ``output`` (.nq, .nt, .ttl, .trig) or loads ``store``; provenance goes beside the
    output as ``<name>.prov.nq``. ``profile`` sets the de-identification options (dates shifted
    by default). ``processes`` defaults to the CPU count; 1 runs in this process. ``progress``
    is called as ``progress(files_done, total)``. Nothing is written if the run fails.

    In a store the graph is one source, named ``name`` (default ``imaging``; never the folder's
    name, which may hold a patient identifier): a re-run replaces that graph as a whole. The files' provenance links go into it; the run record
    into the store's provenance graph, with the load.
    """
    from fairify.convert import open_sink
    from fairify.dicom.graph import PROV_END

    if (output is None) == (store is None):
        raise UsageError("give exactly one of an output file (-o) or a store (--store)")
    root = Path(source).expanduser().resolve()
    if not root.exists():
        raise SourceError(f"DICOM source not found: {root}")
    profile = profile or Profile()
    if secret is None:
        secret = load_secret(secret_file)
    if secret is None:
        raise UsageError(
            "DICOM conversion pseudonymises identifiers and UIDs but no site secret is set", hint=HOW_TO
        )
    processes = max(1, processes if processes is not None else (os.cpu_count() or 1))
    base = root if root.is_dir() else root.parent
    out_path = Path(output) if output is not None else None
    sink, prov_path = open_sink(output, store, name or DEFAULT_SOURCE, provenance)
    # A file of provenance beside the output; in a store, the files' links go into the source's
    # graph (replaced with it) and the run record into the provenance graph, with the load.
    prov_file = FileSink(prov_path, "nq") if provenance and prov_path else None
    in_store = sink if isinstance(sink, StoreSink) else None
    result = DicomResult(
        output=out_path, store=Path(store) if store else None, provenance=prov_path, profile=profile
    )
    total = count_files(root) if progress else None
    started = now()
    t0 = time.perf_counter()
    sets: tuple[set[str], set[str], set[str]] = (set(), set(), set())

    def take(r: BatchResult) -> None:
        sink.write_bytes(r.data)
        result.quads += r.quads
        if in_store is not None:
            in_store.count += r.quads
        if provenance:
            if prov_file is not None:
                prov_file.write_bytes(r.prov)
            elif in_store is not None:
                in_store.write_bytes(r.prov.replace(PROV_END.encode(), b" .\n"))
                in_store.count += r.prov_quads
            result.provenance_quads += r.prov_quads
        result.converted += r.converted
        result.directories += r.directories
        result.files += r.converted + r.directories + sum(1 for p in r.problems if p.skipped)
        for p in r.problems:
            listed, attr = (
                (result.skipped, "skipped_count") if p.skipped else (result.warnings, "warning_count")
            )
            setattr(result, attr, getattr(result, attr) + 1)
            if len(listed) < MAX_LISTED:
                listed.append(p)
        for mine, theirs in zip(sets, (r.patients, r.studies, r.series), strict=True):
            mine |= theirs
        result.instances += len(r.instances)
        if progress:
            progress(result.files, total)

    try:
        batches = _batches(iter_files(root), max(1, batch_files))
        if processes == 1:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ctx = Context(secret, Policy(profile), keyed_files=keyed_file_iris, root=base)
                for b in batches:
                    take(convert_batch(b, ctx))
        else:
            with ProcessPoolExecutor(
                processes, initializer=_init, initargs=(secret, profile, keyed_file_iris, str(base))
            ) as pool:
                inflight: deque[Future[BatchResult]] = deque()
                for b in batches:
                    inflight.append(pool.submit(convert_batch, b))
                    if len(inflight) >= 2 * processes:
                        take(inflight.popleft().result())
                while inflight:
                    take(inflight.popleft().result())
        result.patients, result.studies, result.series = (len(s) for s in sets)
        result.seconds = time.perf_counter() - t0
        if provenance:
            record = RunRecord(
                mapping=None,
                started=started,
                ended=now(),
                sources={_source_location(root, secret, keyed_file_iris): result.converted},
                outputs=[str(out_path or store)],
                quads=result.quads,
                issues=result.skipped_count + result.warning_count,
                options={"conversion": "fairify generic DICOM model", **profile.describe()},
                methods=profile.methods(),
            )
            if prov_file is not None:
                prov_file.write_bytes(record.nquads())
                prov_file.commit()
            elif in_store is not None:
                in_store.provenance().write_bytes(record.nquads())
        if in_store is not None:
            in_store.used = [_source_location(root, secret, keyed_file_iris)]
        sink.commit()
    except BaseException:
        sink.abort()
        if prov_file is not None:
            prov_file.abort()
        raise
    return result


def _source_location(root: Path, secret: bytes, keyed: bool) -> str:
    """How the run record names the archive: keyed like the files, or its file: IRI."""
    if keyed:
        return ID_BASE + "dicom/archive/" + pseudonym("dicom-archive:" + str(root), secret)
    return root.as_uri()
