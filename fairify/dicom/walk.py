"""Finding DICOM files (a folder tree or a DICOMDIR) and reading their headers, one bad file at a time.

A walk never stops on a file: anything that cannot be read as a DICOM header (not DICOM at all,
truncated before its data set, unreadable) becomes a ``FileProblem`` with its path and reason,
and the caller goes on. Headers are read with ``stop_before_pixels`` and with values over
``DEFER_BYTES`` deferred, so pixel data, contour points and control points cost no reading.
Files without a preamble or meta header are read as bare data sets when they start like one,
and reported.
"""

from __future__ import annotations

import os
import struct
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

DEFER_BYTES = 16 * 1024
DICOMDIR_CLASS = "1.2.840.10008.1.3.10"


@dataclass(frozen=True)
class FileProblem:
    """A problem with one file: ``skipped`` files were not converted; the others were, with a warning."""

    path: str
    reason: str
    skipped: bool = True
    tag: str | None = None

    def __str__(self) -> str:
        where = f"{self.path}, tag {self.tag}" if self.tag else self.path
        return f"{where}: {self.reason}"


class Skip(Exception):
    """This file is not converted (the message says why); ``directory`` marks a DICOMDIR index."""

    def __init__(self, reason: str, *, directory: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.directory = directory


def is_dicomdir(path: Path) -> bool:
    if path.name.upper() == "DICOMDIR":
        return True
    try:
        with path.open("rb") as f:
            head = f.read(512)
    except OSError:
        return False
    return head[128:132] == b"DICM" and DICOMDIR_CLASS.encode() in head


def iter_files(source: Path) -> Iterator[Path]:
    """Every file under a folder (sorted, recursively), the files a DICOMDIR lists, or one file."""
    if source.is_dir():
        yield from _walk(source)
    elif is_dicomdir(source):
        yield from dicomdir_files(source)
    else:
        yield source


def _walk(folder: Path) -> Iterator[Path]:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for e in entries:
        if e.is_dir(follow_symlinks=False):
            yield from _walk(Path(e.path))
        elif e.is_file():
            yield Path(e.path)


def count_files(source: Path) -> int:
    return sum(1 for _ in iter_files(source))


def dicomdir_files(path: Path) -> list[Path]:
    """The files a DICOMDIR's directory records reference, in record order, each once."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(path, force=True)
    out: dict[Path, None] = {}
    for record in ds.get("DirectoryRecordSequence", []):
        file_id = record.get("ReferencedFileID")
        if not file_id:
            continue
        parts = [file_id] if isinstance(file_id, str) else list(file_id)
        out[path.parent.joinpath(*parts)] = None
    return list(out)


def _looks_like_data_set(path: Path) -> bool:
    """Does the file start with a little-endian group 0002/0008 element (a data set without preamble)?"""
    try:
        with path.open("rb") as f:
            head = f.read(8)
    except OSError:
        return False
    if len(head) < 8:
        return False
    group, _ = struct.unpack("<HH", head[:4])
    return group in (0x0002, 0x0008)


def read_header(path: Path) -> tuple[Dataset, list[str]]:
    """The header of ``path`` and the warnings it gave; ``Skip`` if it is not converted."""
    notes: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True, defer_size=DEFER_BYTES)
        except InvalidDicomError:
            if not _looks_like_data_set(path):
                raise Skip("not a DICOM file (no 'DICM' prefix and no data set at the start)") from None
            try:
                ds = pydicom.dcmread(path, stop_before_pixels=True, defer_size=DEFER_BYTES, force=True)
            except Exception as exc:
                raise Skip(f"cannot be read as DICOM: {_reason(exc)}") from None
            notes.append("no DICOM preamble or file meta header: read as a bare data set")
        except IsADirectoryError:
            raise Skip("a folder") from None
        except Exception as exc:
            raise Skip(f"cannot be read as DICOM: {_reason(exc)}") from None
    meta = getattr(ds, "file_meta", None)
    media_class = meta.get("MediaStorageSOPClassUID") if meta is not None else None
    if media_class == DICOMDIR_CLASS or 0x00041220 in ds:
        raise Skip("a DICOMDIR (an index of a file set; its files are converted where they are)", directory=True)
    return ds, notes


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:200] if text else type(exc).__name__
