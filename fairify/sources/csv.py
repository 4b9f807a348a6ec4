"""CSV and TSV sources: the hot path, streamed through Arrow's multi-threaded CSV reader.

Hospital exports are messy, so the reader first sniffs a sample (encoding, delimiter, header) and
then hands the whole stream to ``pyarrow.csv.open_csv`` with every requested column read as a
string: nothing is type-inferred and nothing becomes null except the source's declared ``rml:null``
values (CSV has no default null; an empty cell is ``""``). Quoted fields may span lines; record
numbers follow RFC 7111 (the header is row 1, the first record row 2, counting records rather than
physical lines; blank lines are skipped and not counted). On the rare error paths (ragged rows,
undecodable bytes) the file is scanned again with Python's ``csv`` module to tell the user exactly
where.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv

from fairify.errors import Location, SourceError
from fairify.mapping.model import LogicalSource
from fairify.sources._common import (
    Chunk,
    ReaderBase,
    check_duplicate_names,
    check_references,
    codec_name,
    missing_reference_error,
    row_numbers,
    unique,
)
from fairify.sources._stream import Opener, option, read_prefix

SAMPLE_BYTES = 1 << 20  # what the sniffers look at
SNIFF_RECORDS = 200  # records the delimiter sniffer parses
# Arrow parses in blocks and reads up to ~32 blocks ahead of the consumer, so the block size bounds
# memory (~100 MB); 1 MiB blocks read as fast as bigger ones (measured: ~0.4 s per 1M records).
BLOCK_SIZE = 1 << 20
CANDIDATE_DELIMITERS = (",", ";", "\t", "|")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class CsvReader(ReaderBase):
    """Reads the requested columns of one delimited text file in chunks of at most ``chunk_rows``."""

    def __init__(self, source: LogicalSource, references: Sequence[str], *, path: Path, chunk_rows: int):
        self.location = str(path)
        self._refs = unique(references)
        self._chunk_rows = chunk_rows
        self._nulls = list(dict.fromkeys(source.nulls))
        self._opener = Opener(path, source.compression, option(source.options, "member"))
        self._streams: list = []
        self._invalid_row: pa_csv.InvalidRow | None = None

        sample, whole = read_prefix(self._opener, SAMPLE_BYTES)
        self._codec, self._encoding_note = self._choose_encoding(sample, whole, source.encoding)
        text = _decode_sample(sample, self._codec, whole)
        if not text.strip():
            raise SourceError("the file is empty; expected a header row", Location(file=self.location))
        if not whole:  # the last line of the sample may be cut off
            cut = max(text.rfind("\n"), text.rfind("\r"))
            text = text[: cut + 1] if cut > 0 else text
        self.delimiter = self._choose_delimiter(source, text)
        self.header = _parse_header(text, self.delimiter)
        check_duplicate_names(self.header, location=self.location)
        check_references(self._refs, self.header, location=self.location)

    # ------------------------------------------------------------------------------------------
    # Sniffing

    def _choose_encoding(self, sample: bytes, whole: bool, declared: str | None) -> tuple[str, str]:
        """The Python codec to read with, and how it was chosen (for error messages)."""
        if declared:
            name = codec_name(declared, self.location)
            return ("utf-8-sig" if name == "utf-8" else name), f"the declared encoding {declared}"
        for bom, name in _BOMS:
            if sample.startswith(bom):
                return ("utf-8-sig" if name == "utf-8" else name), f"{name} (from its byte order mark)"
        try:
            codecs.getincrementaldecoder("utf-8")().decode(sample, final=whole)
            return "utf-8-sig", "utf-8 (detected)"
        except UnicodeDecodeError:
            pass
        guess = _utf16_without_bom(sample) or _guess_single_byte(sample)
        return guess, f"{guess} (detected from the first {len(sample):,} bytes)"

    def _choose_delimiter(self, source: LogicalSource, text: str) -> str:
        if source.delimiter:
            d = {"\\t": "\t", "tab": "\t", "\\u0009": "\t"}.get(source.delimiter.lower(), source.delimiter)
            if len(d) != 1:
                raise SourceError(
                    f"the delimiter must be one character, not {source.delimiter!r}",
                    Location(file=self.location),
                )
            return d
        if self._opener.inner_name.lower().endswith((".tsv", ".tab")):
            return "\t"
        return sniff_delimiter(text)

    # ------------------------------------------------------------------------------------------
    # Reading

    def _arrow_options(self, block_size: int):
        columns = self._refs or self.header[:1]  # no references: still count the records
        read = pa_csv.ReadOptions(
            use_threads=True,
            block_size=block_size,
            encoding="utf8" if self._codec == "utf-8-sig" else self._codec,
        )
        parse = pa_csv.ParseOptions(
            delimiter=self.delimiter,
            quote_char='"',
            double_quote=True,
            escape_char=False,
            newlines_in_values=True,  # measured: no slower here; without it a quoted newline breaks the run
            ignore_empty_lines=True,
            invalid_row_handler=self._on_invalid_row,
        )
        convert = pa_csv.ConvertOptions(
            column_types={c: pa.string() for c in columns},
            include_columns=columns,
            include_missing_columns=False,
            null_values=self._nulls,
            strings_can_be_null=bool(self._nulls),
            quoted_strings_can_be_null=bool(self._nulls),
            check_utf8=True,
        )
        return read, parse, convert

    def _on_invalid_row(self, row: pa_csv.InvalidRow) -> str:
        if len(self.header) > 1 and not row.text.strip():
            return "skip"  # a line of blanks: treated like an empty line
        if self._invalid_row is None:
            self._invalid_row = row
        return "error"

    def _open_arrow(self, block_size: int) -> pa_csv.CSVStreamingReader:
        read, parse, convert = self._arrow_options(block_size)
        stream = self._opener.native_path or self._opener.open()
        if not isinstance(stream, str):
            self._streams.append(stream)
        return pa_csv.open_csv(stream, read_options=read, parse_options=parse, convert_options=convert)

    def _batches(self) -> Iterator[pa.RecordBatch]:
        """Arrow's record batches; restarted with bigger blocks if one record exceeds a block."""
        block = BLOCK_SIZE
        done = 0  # records already handed out (a restart skips them)
        while True:
            seen = 0
            restart = False
            try:
                reader = self._open_arrow(block)
            except (pa.ArrowException, UnicodeDecodeError, OSError) as e:
                if _straddles(e) and block < (1 << 30):
                    block *= 4
                    continue
                raise self._translate(e, done) from e
            try:
                while True:
                    try:
                        batch = reader.read_next_batch()
                    except StopIteration:
                        return
                    except (pa.ArrowException, UnicodeDecodeError, OSError) as e:
                        if _straddles(e) and block < (1 << 30):
                            block *= 4
                            restart = True
                            break
                        raise self._translate(e, done) from e
                    n = batch.num_rows
                    if seen + n <= done:
                        seen += n
                        continue
                    if seen < done:
                        batch = batch.slice(done - seen)
                    seen += n
                    done = seen
                    yield batch
            finally:
                reader.close()
                self._close_streams()
            if not restart:  # pragma: no cover - the loop above returns or raises
                return

    def __iter__(self) -> Iterator[Chunk]:
        """Chunks of exactly ``chunk_rows`` records (the last may be shorter).

        Arrow's batches are one small block each (see ``BLOCK_SIZE``); consecutive batches are
        joined into one chunk, which costs one copy of the requested columns.
        """
        next_row = 2  # RFC 7111: the header is row 1
        step = self._chunk_rows
        pending: list[pa.RecordBatch] = []
        pending_rows = 0
        for batch in self._batches():
            if batch.num_rows == 0:
                continue
            pending.append(batch)
            pending_rows += batch.num_rows
            while pending_rows >= step:
                head, pending = _take(pending, step)
                pending_rows -= step
                yield self._chunk(head, next_row)
                next_row += step
        if pending_rows:
            head, _ = _take(pending, pending_rows)
            yield self._chunk(head, next_row)

    def _chunk(self, table: pa.Table, first_row: int) -> Chunk:
        return Chunk(
            columns={ref: table.column(ref).combine_chunks() for ref in self._refs},
            datatypes={},
            rows=row_numbers(first_row, table.num_rows),
        )

    def close(self) -> None:
        self._close_streams()

    def _close_streams(self) -> None:
        while self._streams:
            self._streams.pop().close()

    # ------------------------------------------------------------------------------------------
    # Errors: find where, in words a person can act on

    def _translate(self, error: BaseException, done: int) -> Exception:
        loc = Location(file=self.location)
        if self._invalid_row is not None:
            return self._ragged_error(self._invalid_row)
        message = str(error)
        if (
            isinstance(error, UnicodeDecodeError)
            or "invalid UTF8" in message
            or "invalid utf8" in message.lower()
        ):
            return self._decode_error()
        if isinstance(error, KeyError | pa.ArrowKeyError):
            for ref in self._refs:
                if ref in message:
                    return missing_reference_error(ref, self.header, location=self.location)
        first = message.splitlines()[0] if message else type(error).__name__
        return SourceError(f"cannot read the CSV file (after {done:,} records): {first}", loc)

    def _ragged_error(self, row: pa_csv.InvalidRow) -> SourceError:
        expected = len(self.header)
        found = self._locate_ragged()
        if found is None:
            return SourceError(
                f"a row has {row.actual_columns} fields, expected {row.expected_columns} "
                f"(the header has {expected})",
                Location(file=self.location),
            )
        number, line, fields = found
        return SourceError(
            f"row has {fields} fields, expected {expected} (the header has {expected})",
            Location(file=self.location, row=number, line=line),
            hint="check the delimiter and the quoting of that row",
        )

    def _text_stream(self) -> io.TextIOWrapper:
        raw = self._opener.open()
        buffered = io.BufferedReader(_Readable(raw), 1 << 20)
        return io.TextIOWrapper(buffered, encoding=self._codec, errors="replace", newline="")

    def _locate_ragged(self) -> tuple[int, int, int] | None:
        """(row number, first physical line, field count) of the first ragged record."""
        expected = len(self.header)
        with self._text_stream() as text, _large_fields():
            reader = csv.reader(text, delimiter=self.delimiter, quotechar='"', doublequote=True, strict=False)
            row = 0
            last_line = 0
            try:
                for record in reader:
                    start_line = last_line + 1
                    last_line = reader.line_num
                    if not record or (expected > 1 and len(record) == 1 and not record[0].strip()):
                        continue
                    row += 1
                    if row > 1 and len(record) != expected:
                        return row, start_line, len(record)
            except csv.Error:
                return None
        return None

    def _decode_error(self) -> SourceError:
        codec = "utf-8" if self._codec == "utf-8-sig" else self._codec
        where = _find_undecodable(self._opener, codec)
        loc = Location(file=self.location, line=where[1] if where else None)
        if where is None:
            return SourceError(
                f"the file is not valid {codec}; it was read as {self._encoding_note}",
                loc,
                hint="set the source's encoding (rml:encoding), e.g. cp1252 or latin-1",
            )
        offset, line, bad = where
        return SourceError(
            f"byte {bad} at byte offset {offset:,} (line {line}) is not valid {codec}; "
            f"the file was read as {self._encoding_note}",
            loc,
            hint="set the source's encoding (rml:encoding) to the one the file was written in, "
            "e.g. cp1252 or latin-1",
        )


# ---------------------------------------------------------------------------------------------
# Helpers


class _Readable(io.RawIOBase):
    """Adapts an Arrow or archive stream to what ``io.TextIOWrapper`` wants."""

    def __init__(self, stream):
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._stream.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        return n

    def close(self) -> None:
        if not self.closed:
            self._stream.close()
        super().close()


def _take(batches: list[pa.RecordBatch], n: int) -> tuple[pa.Table, list[pa.RecordBatch]]:
    """The first ``n`` records of ``batches`` as a table, and the batches left over."""
    table = pa.Table.from_batches(batches)
    return table.slice(0, n), table.slice(n).to_batches() if n < table.num_rows else []


@contextmanager
def _large_fields() -> Iterator[None]:
    """Lift the csv module's 128 KiB field limit: clinical notes can be longer."""
    old = csv.field_size_limit()
    csv.field_size_limit(max(old, 1 << 30))
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _straddles(error: BaseException) -> bool:
    return "straddl" in str(error)


def _decode_sample(sample: bytes, codec: str, whole: bool) -> str:
    return codecs.getincrementaldecoder(codec)(errors="replace").decode(sample, final=whole)


def _utf16_without_bom(sample: bytes) -> str | None:
    """UTF-16 text without a byte order mark: ASCII characters leave every other byte zero."""
    head = sample[:4096]
    if len(head) < 4 or head.count(0) < len(head) // 4:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd > 3 * max(1, even):
        return "utf-16-le"
    if even > 3 * max(1, odd):
        return "utf-16-be"
    return None


def _guess_single_byte(sample: bytes) -> str:
    """A non-UTF-8 sample: usually Windows-1252 in Western hospitals; else ask charset-normalizer.

    On a few accented names charset-normalizer's first answer is close to noise (Big5 for
    ``Zo\xeb``), so cp1252 wins unless another code page reads the text clearly better (Cyrillic,
    CJK). Only the lines with non-ASCII bytes are given to it: that is where the evidence is.
    """
    lines = [line for line in sample.splitlines() if any(b > 0x7F for b in line)]
    evidence = b"\n".join(lines)[:65536] or sample
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a declared dependency
        from_bytes = None
    if from_bytes is not None:
        matches = list(from_bytes(evidence))
        western = list(from_bytes(evidence, cp_isolation=["cp1252"]))
        best = min((m.chaos for m in matches), default=None)
        if western and (best is None or western[0].chaos <= best + 0.1):
            return "cp1252"
        if matches:
            first = min(matches, key=lambda m: m.chaos)
            return codecs.lookup(first.encoding).name
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def sniff_delimiter(text: str) -> str:
    """The candidate that splits the header into the most columns that the records agree with."""
    best = (0.0, 0, ",")
    for delimiter in CANDIDATE_DELIMITERS:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', strict=False)
        try:
            with _large_fields():
                records = [r for r in itertools.islice(reader, SNIFF_RECORDS * 2) if r][:SNIFF_RECORDS]
        except csv.Error:
            continue
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        body = records[1:] or records
        agreement = sum(len(r) == width for r in body) / len(body)
        score = (agreement, width, delimiter)
        if score[:2] > best[:2]:
            best = score
    return best[2]


def _parse_header(text: str, delimiter: str) -> list[str]:
    """The header: the first non-blank record."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', strict=False)
    with _large_fields(), contextlib.suppress(csv.Error):
        for record in reader:
            if record:
                return record
    return []  # pragma: no cover - the caller checked the sample is not blank


def _find_undecodable(opener: Opener, codec: str) -> tuple[int, int, str] | None:
    """(byte offset, line, the byte in hex) of the first byte ``codec`` cannot decode."""
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    offset = 0
    lines = 0
    stream = opener.open()
    try:
        while True:
            block = bytes(stream.read(1 << 20))
            pending = decoder.getstate()[0]
            try:
                text = decoder.decode(block, final=not block)
            except UnicodeDecodeError as e:
                data = pending + block
                before = data[: e.start].decode(codec, errors="replace")
                position = offset - len(pending) + e.start
                return position, lines + before.count("\n") + 1, f"0x{data[e.start]:02X}"
            lines += text.count("\n")
            offset += len(block)
            if not block:
                return None
    finally:
        stream.close()
