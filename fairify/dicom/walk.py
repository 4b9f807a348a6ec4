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
from typing import Any

import pydicom
from pydicom.errors import InvalidDicomError

from fairify.dicom.vr import _LONG_VRS, UNDEFINED, BadValue, Element, _items, _new

DEFER_BYTES = 16 * 1024
DICOMDIR_CLASS = "1.2.840.10008.1.3.10"
READ_BYTES = 64 * 1024
PIXEL_DATA = 0x7FE00010
NOT_DICOM = "not a DICOM file (no 'DICM' prefix and no data set at the start)"
IMPLICIT_LE, EXPLICIT_BE, DEFLATED = "1.2.840.10008.1.2", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99"


@dataclass
class Header:
    """A file's top-level elements by tag (raw: values are bytes, or None when deferred)."""

    path: Path
    elements: dict[int, Any]
    implicit: bool
    little: bool
    notes: list[str]


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
    """Does the file start with a group 0002/0008 element, little or big endian (a data set without preamble)?"""
    try:
        with path.open("rb") as f:
            head = f.read(8)
    except OSError:
        return False
    if len(head) < 8:
        return False
    return any(struct.unpack(e + "H", head[:2])[0] in (0x0002, 0x0008) for e in "<>")


def read_header(path: Path) -> Header:
    """The header of ``path``; ``Skip`` if it is not converted.

    Files with a preamble and meta header in a plain transfer syntax are parsed here, directly
    from their bytes (several times faster than building pydicom Datasets); anything else
    (no meta header, deflate, an encoding that does not parse) goes through pydicom.
    """
    try:
        header = _fast_header(path)
    except (BadValue, struct.error, UnicodeDecodeError):
        header = None
    except IsADirectoryError:
        raise Skip("a folder") from None
    except OSError as exc:
        raise Skip(f"cannot be read: {_reason(exc)}") from None
    if header is None:
        header = _pydicom_header(path)
    media = header.elements.get(0x00020002)
    if 0x00041220 in header.elements or (media is not None and _text(media) == DICOMDIR_CLASS):
        raise Skip(
            "a DICOMDIR (an index of a file set; its files are converted where they are)", directory=True
        )
    return header


def _text(elem: Any) -> str:
    v = elem.value
    if isinstance(v, bytes):
        return v.decode("ascii", "replace").strip("\x00 ")
    return str(v or "")


class _File:
    """A file read in blocks, addressed by absolute position."""

    def __init__(self, f: Any, size: int):
        self.f = f
        self.size = size
        self.base = 0
        self.buf = b""

    def ensure(self, pos: int, n: int) -> bool:
        """Make file[pos:pos+n] available in the buffer; False if the file ends first."""
        if pos + n > self.size:
            return False
        if pos >= self.base and pos + n <= self.base + len(self.buf):
            return True
        self.f.seek(pos)
        self.buf = self.f.read(max(n, READ_BYTES))
        self.base = pos
        return len(self.buf) >= n

    def view(self, pos: int, n: int) -> bytes:
        o = pos - self.base
        return self.buf[o : o + n]


def _fast_header(path: Path) -> Header | None:
    with path.open("rb") as f:
        size = os.fstat(f.fileno()).st_size
        r = _File(f, size)
        if not r.ensure(0, 132) or r.view(128, 4) != b"DICM":
            return None
        elements: dict[int, Any] = {}
        pos = _read_elements(r, 132, elements, implicit=False, little=True, meta=True)
        ts_elem = elements.get(0x00020010)
        if ts_elem is None:
            return None
        ts = _text(ts_elem)
        if ts == DEFLATED:
            return None
        implicit, little = ts == IMPLICIT_LE, ts != EXPLICIT_BE
        if not implicit and r.ensure(pos, 6):
            vr = r.view(pos + 4, 2)
            if not (65 <= vr[0] <= 90 and 65 <= vr[1] <= 90):
                return None  # says explicit, is not: let pydicom work it out
        _read_elements(r, pos, elements, implicit=implicit, little=little, meta=False)
        return Header(path, elements, implicit, little, [])


def _read_elements(
    r: _File, pos: int, out: dict[int, Any], *, implicit: bool, little: bool, meta: bool
) -> int:
    e = "<" if little else ">"
    head = struct.Struct(e + "HHI")  # tag + implicit length, or tag + VR + short length
    short = struct.Struct(e + "HH2sH")
    long_len = struct.Struct(e + "I")
    size = r.size
    while True:
        if not (r.base <= pos and pos + 12 <= r.base + len(r.buf)) and not r.ensure(pos, min(12, size - pos)):
            return pos
        o = pos - r.base
        buf = r.buf
        if len(buf) - o < 8:
            return pos
        if implicit:
            group, elem, length = head.unpack_from(buf, o)
            vr = None
            start = pos + 8
        else:
            group, elem, vr_bytes, length = short.unpack_from(buf, o)
            if not (65 <= vr_bytes[0] <= 90 and 65 <= vr_bytes[1] <= 90):
                if meta and group != 0x0002:
                    return pos
                raise BadValue("not a VR")
            vr = vr_bytes.decode("ascii")
            if vr_bytes in _LONG_VRS:
                if len(buf) - o < 12:
                    raise BadValue("truncated")
                (length,) = long_len.unpack_from(buf, o + 8)
                start = pos + 12
            else:
                start = pos + 8
        if meta and group != 0x0002:
            return pos
        tag = (group << 16) | elem
        if tag >= PIXEL_DATA:
            return pos
        if length == UNDEFINED:
            # a sequence of undefined length: parse it from the rest of the file
            if not r.ensure(start, size - start):
                raise BadValue("truncated")
            view = memoryview(r.buf)
            o = start - r.base
            _, after = _items(view, o, len(r.buf), implicit, little, _dictionary_vr)
            out[tag] = _new(Element, (tag, vr or "SQ", UNDEFINED, bytes(view[o:after]), little, start))
            pos = r.base + after
            continue
        if length > DEFER_BYTES:
            out[tag] = _new(Element, (tag, vr, length, None, little, start))
        elif (r.base <= start and start + length <= r.base + len(r.buf)) or r.ensure(start, length):
            o = start - r.base
            out[tag] = _new(Element, (tag, vr, length, r.buf[o : o + length], little, start))
        else:  # truncated: keep what there is; the builder reports it
            left = max(0, size - start)
            r.ensure(start, left)
            out[tag] = _new(Element, (tag, vr, length, r.view(start, left), little, start))
            return size
        pos = start + length


def _dictionary_vr(tag: int) -> str | None:
    from fairify.dicom.dictionary import entry

    info = entry(tag)
    return info[0] if info else None


def _pydicom_header(path: Path) -> Header:
    notes: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True, defer_size=DEFER_BYTES)
        except InvalidDicomError:
            # No preamble: pydicom reads it as a bare data set (little or big endian, implicit or
            # explicit VR, as it detects). Kept if it starts like one, or if what pydicom finds is
            # an instance (has a SOP Instance UID); otherwise it is not DICOM.
            starts_like_one = _looks_like_data_set(path)
            try:
                ds = pydicom.dcmread(path, stop_before_pixels=True, defer_size=DEFER_BYTES, force=True)
            except Exception as exc:
                if not starts_like_one:
                    raise Skip(NOT_DICOM) from None
                raise Skip(f"cannot be read as DICOM: {_reason(exc)}") from None
            if not starts_like_one and 0x00080018 not in ds:
                raise Skip(NOT_DICOM) from None
            notes.append("no DICOM preamble or file meta header: read as a bare data set")
        except IsADirectoryError:
            raise Skip("a folder") from None
        except Exception as exc:
            raise Skip(f"cannot be read as DICOM: {_reason(exc)}") from None
    elements: dict[int, Any] = {}
    meta = getattr(ds, "file_meta", None)
    if meta is not None:
        elements.update((e.tag + 0, e) for e in meta._dict.values())
    elements.update((e.tag + 0, e) for e in ds._dict.values())
    implicit = bool(getattr(ds, "is_implicit_VR", True) if ds.is_implicit_VR is not None else True)
    little = bool(ds.is_little_endian if ds.is_little_endian is not None else True)
    return Header(path, elements, implicit, little, notes)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:200] if text else type(exc).__name__
