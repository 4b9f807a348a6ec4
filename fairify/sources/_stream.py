"""Opening (possibly compressed) source files as one decompressed byte stream.

Readers sniff a sample first and then read the whole stream, so a source is opened more than once;
``Opener`` remembers how. gzip, bz2 and zstd are decompressed natively by Arrow (fast, no Python
in the loop); xz, zip and tar members go through the standard library's streaming readers.
"""

from __future__ import annotations

import lzma
import tarfile
import zipfile
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

import pyarrow as pa

from fairify.errors import Location, SourceError

# Names RML-IO (rml:gzip, rml:zip, rml:targz, rml:tarxz, rml:none) and people use for the same thing.
_ALIASES = {
    "": None,
    "none": None,
    "gzip": "gzip",
    "gz": "gzip",
    "zip": "zip",
    "bz2": "bz2",
    "bzip2": "bz2",
    "xz": "xz",
    "lzma": "xz",
    "zstd": "zstd",
    "zst": "zstd",
    "tar": "tar",
    "targz": "targz",
    "tgz": "targz",
    "tarxz": "tarxz",
    "txz": "tarxz",
    "tarbz2": "tarbz2",
}

_SUFFIXES = (
    (".tar.gz", "targz"),
    (".tgz", "targz"),
    (".tar.xz", "tarxz"),
    (".txz", "tarxz"),
    (".tar.bz2", "tarbz2"),
    (".tar", "tar"),
    (".gz", "gzip"),
    (".bz2", "bz2"),
    (".xz", "xz"),
    (".zst", "zstd"),
    (".zip", "zip"),
)


def compression_of(path: Path, declared: str | None) -> str | None:
    """The compression to undo: the declared one (an RML-IO name or IRI) or the file suffix's."""
    if declared:
        key = declared.rsplit("/", 1)[-1].rsplit("#", 1)[-1].lower().replace(".", "").replace("-", "")
        if key not in _ALIASES:
            raise SourceError(
                f"unknown compression {declared!r}; expected one of gzip, zip, targz, tarxz, bz2, xz, zstd, none",
                Location(file=str(path)),
            )
        return _ALIASES[key]
    name = path.name.lower()
    for suffix, kind in _SUFFIXES:
        if name.endswith(suffix):
            return kind
    return None


class Opener:
    """Opens the decompressed content of one source file, as often as a reader needs it."""

    def __init__(self, path: Path, compression: str | None = None, member: str | None = None):
        self.path = path
        self.compression = compression_of(path, compression)
        self.member = member
        self.inner_name = self._inner_name()

    def _inner_name(self) -> str:
        """The name of the data inside (``x.tsv.gz`` → ``x.tsv``), used to guess the format."""
        if self.compression in (None,):
            return self.path.name
        if self.compression in ("zip", "tar", "targz", "tarxz", "tarbz2"):
            with ExitStack() as stack:
                self._open_archive_member(stack)
                return Path(self._member_name).name
        name = self.path.name
        for suffix, kind in _SUFFIXES:
            if kind == self.compression and name.lower().endswith(suffix):
                return name[: -len(suffix)]
        return name

    @property
    def native_path(self) -> str | None:
        """The plain file path when Arrow can open the file itself (fastest)."""
        return str(self.path) if self.compression is None else None

    def open(self) -> IO[bytes] | pa.NativeFile:
        """A fresh binary stream of the decompressed content; the caller closes it."""
        path = str(self.path)
        try:
            if self.compression is None:
                return pa.OSFile(path, "rb")
            if self.compression in ("gzip", "bz2", "zstd"):
                return pa.input_stream(path, compression=self.compression)
            if self.compression == "xz":
                return lzma.open(path, "rb")  # type: ignore[return-value]
            stack = ExitStack()
            try:
                member = self._open_archive_member(stack)
            except BaseException:
                stack.close()
                raise
            return _Closing(member, stack)  # type: ignore[return-value]
        except SourceError:
            raise
        except (OSError, pa.ArrowException, zipfile.BadZipFile, tarfile.TarError, lzma.LZMAError) as e:
            raise SourceError(
                f"cannot open the file ({self.compression or 'uncompressed'}): {e}", Location(file=path)
            ) from e

    def _open_archive_member(self, stack: ExitStack) -> IO[bytes]:
        path = str(self.path)
        if self.compression == "zip":
            archive: Any = stack.enter_context(zipfile.ZipFile(path))
            names = [i.filename for i in archive.infolist() if not i.is_dir()]
            name = self._pick_member(names)
            self._member_name = name
            return stack.enter_context(archive.open(name))
        mode = {"tar": "r:", "targz": "r:gz", "tarxz": "r:xz", "tarbz2": "r:bz2"}[self.compression or "tar"]
        archive = stack.enter_context(tarfile.open(path, mode))  # noqa: SIM115 (closed by the stack)
        members = {m.name: m for m in archive.getmembers() if m.isfile()}
        name = self._pick_member(list(members))
        self._member_name = name
        handle = archive.extractfile(members[name])
        if handle is None:  # pragma: no cover - isfile() members always have content
            raise SourceError(f"cannot read {name!r} in the archive", Location(file=path))
        return stack.enter_context(handle)

    def _pick_member(self, names: list[str]) -> str:
        """The member named by the ``member`` option, or the archive's only file."""
        data = [n for n in names if not Path(n).name.startswith(".") and "__MACOSX" not in n]
        if self.member is not None:
            for n in names:
                if n == self.member or Path(n).name == self.member:
                    return n
            raise SourceError(
                f"the archive has no member {self.member!r}; it has: {', '.join(names) or 'no files'}",
                Location(file=str(self.path)),
            )
        if len(data) == 1:
            return data[0]
        raise SourceError(
            f"the archive has {len(data)} files ({', '.join(data[:5])}{', …' if len(data) > 5 else ''}); "
            "expected exactly one",
            Location(file=str(self.path)),
            hint="name the file to read with the source option member=NAME",
        )


class _Closing:
    """A member stream that also closes its archive when closed."""

    def __init__(self, stream: IO[bytes], stack: ExitStack):
        self._stream = stream
        self._stack = stack
        self.closed = False

    def read(self, n: int = -1) -> bytes:
        return self._stream.read(n)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._stack.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_prefix(opener: Opener, size: int) -> tuple[bytes, bool]:
    """The first ``size`` bytes of the content and whether that is all of it."""
    stream = opener.open()
    try:
        data = stream.read(size + 1)
    except (OSError, EOFError, pa.ArrowException, zipfile.BadZipFile, tarfile.TarError, lzma.LZMAError) as e:
        raise SourceError(f"cannot read the file: {e}", Location(file=str(opener.path))) from e
    finally:
        stream.close()
    data = bytes(data)
    return data[:size], len(data) <= size


def option(options: tuple[tuple[str, str], ...], name: str) -> str | None:
    for key, value in options:
        if key.lower() == name.lower():
            return value
    return None
