"""JSON (and JSON Lines) sources addressed with JSONPath.

The iterator selects the records; each reference is a JSONPath relative to a record. JSON is
schemaless, so a missing key is no value rather than an error, and a reference that hits an array
gives one value per element (a ``list<string>`` column when some record has several). Natural
datatypes follow RML's JSON table: numbers without fraction → xsd:integer, numbers with a fraction
or exponent → xsd:double (keeping the JSON lexical form), booleans → xsd:boolean, strings plain.

Simple paths (``$.a.b``, ``name``, ``$['Country Code']``, ``$.items[*].x``, ``[0]``) are evaluated
directly, which is many times faster than jsonpath-ng; anything else (filters, ``..``, slices)
goes to ``jsonpath_ng.ext``.

A document whose iterator selects the elements of one array reached by plain keys from the root
(``$[*]``, ``$.a[*]``, ``$.a.b.*``, ``$['a b'][*]``) is streamed: the records are decoded as the
text is read (see ``_Stream``), so memory stays at one chunk of records instead of the whole
document. Other iterators, and documents whose shape does not fit the path (the array
is an object, a key is missing), read the whole document as before. JSON Lines are read line by
line.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa

from fairify.errors import Location, MappingError, SourceError
from fairify.mapping.model import LogicalSource
from fairify.sources._common import (
    XSD_BOOLEAN,
    XSD_DOUBLE,
    XSD_INTEGER,
    Chunk,
    ReaderBase,
    apply_nulls,
    codec_name,
    missing_reference_error,
    multi_valued_columns,
    row_numbers,
    unique,
)
from fairify.sources._stream import Opener, option

Evaluator = Callable[[Any], list[Any]]


class JsonNumber(str):
    """A JSON number with a fraction or exponent, kept as written (``1.50`` stays ``1.50``)."""


def _constant(name: str) -> JsonNumber:
    return JsonNumber({"NaN": "NaN", "Infinity": "INF", "-Infinity": "-INF"}[name])


class JsonReader(ReaderBase):
    def __init__(self, source: LogicalSource, references: Sequence[str], *, path: Path, chunk_rows: int):
        self.location = str(path)
        self._refs = unique(references)
        self._chunk_rows = chunk_rows
        self._nulls = set(source.nulls)
        self._encoding = source.encoding
        self._opener = Opener(path, source.compression, option(source.options, "member"))
        self._lines = self._opener.inner_name.lower().endswith((".jsonl", ".ndjson"))
        self.iterator = source.iterator or "$"
        self._iterate = _compile(self.iterator, what="iterator")
        self._evaluators = [_compile(ref, what="reference") for ref in self._refs]
        self._plain_keys = [_plain_key(ref) for ref in self._refs]  # for the columnar fast path
        self._stream_keys = None if self._lines else _streamable(self.iterator)
        self._document = None if self._lines or self._stream_keys is not None else self._load()
        self.streamed = False  # whether the last read streamed the records
        self._matched: set[str] = set()
        self._keys: dict[str, None] = {}  # keys seen in records, for hints
        self._structured: dict[str, tuple[str, int]] = {}  # references that hit an array or object

    def _load(self) -> Any:
        stream = self._opener.open()
        try:
            data = bytes(stream.read())
        except (OSError, EOFError) as e:
            raise SourceError(f"cannot read the file: {e}", Location(file=self.location)) from e
        finally:
            stream.close()
        if not data.strip():
            raise SourceError("the file is empty; expected a JSON document", Location(file=self.location))
        return self._parse(data, line=None)

    def _parse(self, data: bytes, line: int | None) -> Any:
        try:
            if self._encoding:
                text = data.decode(codec_name(self._encoding, self.location))
            else:
                text = data.decode(json.detect_encoding(data))
            return json.loads(text.lstrip("\ufeff"), parse_float=JsonNumber, parse_constant=_constant)
        except json.JSONDecodeError as e:
            where = Location(file=self.location, line=e.lineno if line is None else line, column=e.colno)
            raise SourceError(f"not valid JSON: {e.msg}", where) from None
        except UnicodeDecodeError as e:
            raise SourceError(
                f"cannot decode the file: {e}",
                Location(file=self.location, line=line),
                hint="JSON is UTF-8; set the source's encoding if this file is not",
            ) from None

    def _documents(self) -> Iterator[Any]:
        if not self._lines:
            yield self._document
            return
        stream = self._opener.open()
        try:
            for number, raw in enumerate(_lines(stream), start=1):
                if raw.strip():
                    yield self._parse(raw, line=number)
        finally:
            stream.close()

    def _records(self) -> Iterator[Any]:
        if self._stream_keys is not None:
            stream = self._opener.open()
            try:
                elements = _Stream(stream, self._encoding, self.location).elements(self._stream_keys)
                self.streamed = elements is not None
                if elements is not None:
                    yield from elements
                    return
            finally:
                stream.close()
            # The document does not have the array the iterator names: evaluate it on the whole.
            self._document = self._load()
        for document in self._documents():
            yield from self._iterate(document)

    def __iter__(self) -> Iterator[Chunk]:
        record = 0
        batch: list[Any] = []
        for item in self._records():
            batch.append(item)
            if len(batch) >= self._chunk_rows:
                yield self._chunk(batch, record + 1)
                record += len(batch)
                batch = []
        if batch:
            yield self._chunk(batch, record + 1)

    def _chunk(self, items: list[Any], first: int) -> Chunk:
        columns = {}
        datatypes = {}
        if len(self._keys) < 1000:
            for item in items[:100]:
                if isinstance(item, dict):
                    self._keys.update(dict.fromkeys(item))
        for ref, evaluate, key in zip(self._refs, self._evaluators, self._plain_keys, strict=True):
            if key is not None:
                fast = self._plain_column(items, key)
                if fast is not None:
                    columns[ref], datatype = fast
                    if datatype is not None:
                        datatypes[ref] = datatype
                    if columns[ref].null_count < len(items):
                        self._matched.add(ref)
                    continue
            values: list[list[str]] = []
            types: list[list[str | None]] = []
            for item in items:
                vs: list[str] = []
                ts: list[str | None] = []
                for found in evaluate(item):
                    if isinstance(found, (list, dict)) and ref not in self._structured:
                        self._structured[ref] = (
                            "an array" if isinstance(found, list) else "an object",
                            first + len(values),
                        )
                    _collect(found, vs, ts)
                if self._nulls and any(v in self._nulls for v in vs):
                    keep = [i for i, v in enumerate(vs) if v not in self._nulls]
                    vs, ts = [vs[i] for i in keep], [ts[i] for i in keep]
                values.append(vs)
                types.append(ts)
                if vs:
                    self._matched.add(ref)
            columns[ref], datatype = multi_valued_columns(values, types)
            if datatype is not None:
                datatypes[ref] = datatype
        return Chunk(columns=columns, datatypes=datatypes, rows=row_numbers(first, len(items)))

    def _plain_column(self, items: list[Any], key: str) -> tuple[pa.Array, str | None] | None:
        """The column of a reference that is one plain key (``name``, ``$.name``), when every
        record is an object and the key holds only strings or only integers (or nothing): the
        common case, done without the per-value loop of ``_chunk``. None for anything else
        (arrays, objects, booleans, fractions, mixed types), which the general path handles;
        the result is the same either way."""
        try:
            raw = [item.get(key) for item in items]
        except AttributeError:  # some record is not an object
            return None
        kinds = set(map(type, raw))
        kinds.discard(type(None))
        if kinds <= {str}:
            column, datatype = pa.array(raw, pa.string()), None
        elif kinds == {int}:
            try:
                column = pa.array(raw, pa.int64()).cast(pa.string())
            except (OverflowError, pa.ArrowException):  # beyond 64 bits: Python's own text
                column = pa.array([None if v is None else str(v) for v in raw], pa.string())
            datatype = XSD_INTEGER
        else:
            return None
        if self._nulls:
            column = apply_nulls(column, list(self._nulls))
        if column.null_count == len(column):
            datatype = None
        return column, datatype

    def unmatched_references(self) -> list[MappingError]:
        """After iterating: the references that gave no value for any record, as errors to raise
        or report. JSON is schemaless, so the reader itself does not treat this as an error, but
        a reference that matches nothing anywhere is usually a typo (the RML test suite expects an
        error for it); each error's hint names the nearest keys the records have."""
        keys = [str(k) for k in self._keys]
        return [
            missing_reference_error(ref, keys, location=self.location, what="key", lookup=ref.lstrip("$.@"))
            for ref in self._refs
            if ref not in self._matched
        ]

    def structured_references(self) -> list[MappingError]:
        """After iterating: the references that selected a JSON array or object rather than values.

        The reader gives an array's elements (and an object's JSON text), as legacy RML engines do;
        RML-Core has no natural RDF literal for either and requires an error (its RMLTC0025b): a
        reference must select the values, e.g. ``$.amounts[*]``.
        """
        out = []
        for ref, (what, record) in self._structured.items():
            hint = (
                f"select its elements, e.g. {ref.rstrip()}[*]"
                if what == "an array"
                else "select a value in it"
            )
            out.append(
                MappingError(
                    f"the JSONPath reference {ref!r} selects {what}, not a value",
                    Location(file=self.location, row=record, field=ref),
                    hint=hint,
                )
            )
        return out

    def close(self) -> None:
        self._document = None


# ---------------------------------------------------------------------------------------------
# Streaming one array of a document

_WS = re.compile(r"[ \t\n\r]*")
_NEXT = re.compile(r"[ \t\n\r]*([,\]])[ \t\n\r]*")
_FIRST_KEY = re.compile(r'\{[ \t\n\r]*"(?:[^"\\]|\\.)*"')
_DECODER = json.JSONDecoder(parse_float=JsonNumber, parse_constant=_constant)
_BLOCK = 1 << 22  # bytes of input read at a time
_MARGIN = 64  # a value that ends this close to the end of the buffer may go on in the next block


def _streamable(iterator: str) -> list[str] | None:
    """The keys leading from the root to the array whose elements the iterator selects, or None
    when the iterator is anything else (and needs the whole document)."""
    steps = _simple_steps(iterator)
    if not steps or steps[-1][0] != "all" or any(kind != "key" for kind, _ in steps[:-1]):
        return None
    return [str(arg) for _, arg in steps[:-1]]


class _Stream:
    """A JSON document read block by block as text and decoded with the standard library's C
    scanner, a run of records at a time (``batch``) or one value at a time: the same decoder as the
    whole-document path, so values, number lexical forms and error messages are the same, and as
    fast (1M records: 9.2 s against 9.5 s whole, 0.3 GiB against 1.9 GiB peak), so every file that
    fits is streamed, whatever its size. ijson would stream too, but gives numbers as ``Decimal``
    (``8e1`` → ``8E+1``, ``1.5e3`` and ``15e2`` alike), losing the lexical form RML keeps, and
    rejects ``NaN``.

    ``buf[pos:]`` is the unread text; ``line`` and ``column`` are where ``buf`` starts in the file.
    A value is decoded only when it ends ``_MARGIN`` characters before the end of the buffer (or
    the file ends): a number cut by the block boundary (``1.`` of ``1.5``) would otherwise be read
    short; a value that fails to decode near the buffer's end is retried with more text.
    """

    def __init__(self, raw: Any, encoding: str | None, location: str):
        self.raw = raw
        self.location = location
        self.buf = ""
        self.pos = 0
        self.line = 1
        self.column = 1
        self.eof = False
        self.read_bytes = 0
        self.decoder: Any = None
        self.encoding = encoding
        self.started = False

    # -- text ---------------------------------------------------------------------------------

    def more(self, size: int | None = None) -> bool:
        """Append at least one more character to the buffer (dropping what was read); False at
        the end of the file."""
        size = size or _BLOCK
        while not self.eof:
            data = bytes(self.raw.read(size))
            if self.decoder is None:
                while len(data) < 4:  # enough to tell UTF-8, -16 and -32 apart
                    extra = bytes(self.raw.read(size))
                    if not extra:
                        break
                    data += extra
                codec = (
                    codec_name(self.encoding, self.location) if self.encoding else json.detect_encoding(data)
                )
                self.decoder = codecs.getincrementaldecoder(codec)("strict")
            pending = len(self.decoder.getstate()[0])  # bytes of a character cut by the last block
            try:
                text = self.decoder.decode(data, final=not data)
            except UnicodeDecodeError as e:
                before = e.object[: e.start].decode(e.encoding, "replace").count("\n")
                raise SourceError(
                    f"cannot decode the file: {e.encoding!r} codec can't decode byte 0x{e.object[e.start]:02x}"
                    f" in position {self.read_bytes - pending + e.start}: {e.reason}",
                    Location(file=self.location, line=self.where(len(self.buf))[0] + before),
                    hint="JSON is UTF-8; set the source's encoding if this file is not",
                ) from None
            self.read_bytes += len(data)
            self.eof = not data
            if not self.started:
                text = text.lstrip("\ufeff")
                self.started = bool(text)
            if text:
                dropped = self.buf[: self.pos]
                newline = dropped.rfind("\n")
                if newline < 0:
                    self.column += len(dropped)
                else:
                    self.line += dropped.count("\n")
                    self.column = len(dropped) - newline
                self.buf = self.buf[self.pos :] + text
                self.pos = 0
                return True
        return False

    def where(self, index: int) -> tuple[int, int]:
        """Line and column (1-based) in the file of ``buf[index]``."""
        newline = self.buf.rfind("\n", 0, index)
        if newline < 0:
            return self.line, self.column + index
        return self.line + self.buf.count("\n", 0, index), index - newline

    def error(self, message: str, index: int | None = None) -> SourceError:
        line, column = self.where(self.pos if index is None else index)
        return SourceError(
            f"not valid JSON: {message}", Location(file=self.location, line=line, column=column)
        )

    def peek(self) -> str:
        """The next character that is not whitespace ("" at the end of the file), not consumed."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.more():
                return ""

    def value(self) -> Any:
        """The JSON value at ``pos`` (after whitespace)."""
        self.peek()
        size = _BLOCK
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as e:
                cut = e.msg.startswith("Unterminated string") or e.pos >= len(self.buf) - _MARGIN
                if self.eof or not cut:
                    raise self.error(e.msg, e.pos) from None
            else:
                if self.eof or end <= len(self.buf) - _MARGIN:
                    self.pos = end
                    return value
            self.more(size)
            size *= 2  # a value longer than a block: read the rest in ever larger blocks

    def batch(self, boundary: str) -> list[Any] | None:
        """The records from ``pos`` up to the last ``boundary`` in the buffer, decoded in one call
        (the decoder then shares the key strings of all of them, which saves time and memory);
        [] when the buffer holds no boundary; None when the text up to it is not a run of whole
        records: ``boundary`` holds a quote, which no string can, but it may occur in a nested
        array; then the text is no JSON array with exactly those bounds, and the caller decodes
        record by record (which also reports any error in the data with its position)."""
        cut = self.buf.rfind(boundary, self.pos)
        if cut <= self.pos:
            return []
        text = "[" + self.buf[self.pos : cut] + "]"
        try:
            records, end = _DECODER.raw_decode(text)
        except json.JSONDecodeError:  # an error in the data is reported by the record-wise path
            return None
        if end != len(text):
            return None
        self.pos = cut + boundary.index(",") + 1
        return records

    def expect(self, char: str, message: str) -> None:
        if self.peek() != char:
            raise self.error(message)
        self.pos += 1

    # -- structure ----------------------------------------------------------------------------

    def elements(self, keys: list[str]) -> Iterator[Any] | None:
        """The elements of the array at ``keys``, decoded as they are read, or None (having read
        nothing of them) when the document has no array there."""
        if self.peek() == "":
            raise SourceError("the file is empty; expected a JSON document", Location(file=self.location))
        for key in keys:
            if self.peek() != "{" or not self.find(key):
                return None
        if self.peek() != "[":
            return None
        self.pos += 1
        return self.iterate(keys)

    def find(self, key: str) -> bool:
        """Move past ``"key":`` in the object at ``pos``; False (at the object's end) without it."""
        self.pos += 1  # {
        if self.peek() == "}":
            return False
        while True:
            if self.peek() != '"':
                raise self.error("Expecting property name enclosed in double quotes")
            name = self.value()
            self.expect(":", "Expecting ':' delimiter")
            if name == key:
                return True
            self.value()
            following = self.peek()
            if following == "}":
                return False
            if following != ",":
                raise self.error("Expecting ',' delimiter")
            self.pos += 1

    def iterate(self, keys: list[str]) -> Iterator[Any]:
        if self.peek() == "]":
            self.pos += 1
        else:
            boundary = None  # the text between two records, once seen: ',\n{"id"'
            misses = 0
            while True:
                if boundary is not None:
                    batch = self.batch(boundary)
                    if batch:
                        yield from batch
                        continue
                    if batch is None:
                        misses += 1
                        if misses > 3:  # the boundary text also occurs inside records
                            boundary = None
                yield self.value()
                match = _NEXT.match(self.buf, self.pos)
                if match is not None and match.end() < len(self.buf):
                    self.pos = match.end()
                    if match.group(1) == "]":
                        break
                    if boundary is None and not misses:
                        key = _FIRST_KEY.match(self.buf, self.pos)
                        if key is not None:
                            boundary = match.group() + key.group()
                    continue
                following = self.peek()  # at the end of the buffer: read on
                if following == "]":
                    self.pos += 1
                    break
                if following != ",":
                    raise self.error("Expecting ',' delimiter")
                self.pos += 1
        for key in reversed(keys):  # the rest of each enclosing object, checked but not kept
            while True:
                following = self.peek()
                if following == "}":
                    self.pos += 1
                    break
                if following != ",":
                    raise self.error("Expecting ',' delimiter")
                self.pos += 1
                if self.peek() != '"':
                    raise self.error("Expecting property name enclosed in double quotes")
                at = self.pos
                name = self.value()
                if name == key:
                    line, column = self.where(at)
                    raise SourceError(
                        f"the key {key!r} occurs twice in one object on the iterator's path",
                        Location(file=self.location, line=line, column=column),
                        hint="JSON object keys should be unique; remove or rename the duplicate",
                    )
                self.expect(":", "Expecting ':' delimiter")
                self.value()
        if self.peek() != "":
            raise self.error("Extra data")


def _lines(stream: Any) -> Iterator[bytes]:
    pending = b""
    while True:
        block = bytes(stream.read(1 << 20))
        if not block:
            break
        pending += block
        *complete, pending = pending.split(b"\n")
        yield from complete
    if pending:
        yield pending


def _collect(value: Any, values: list[str], types: list[str | None]) -> None:
    """Append the lexical value(s) of one JSON value: arrays give one value per element."""
    if value is None:
        return
    if isinstance(value, list):
        for element in value:
            _collect(element, values, types)
        return
    if isinstance(value, bool):
        values.append("true" if value else "false")
        types.append(XSD_BOOLEAN)
    elif isinstance(value, JsonNumber):
        values.append(str.__str__(value))
        types.append(XSD_DOUBLE)
    elif isinstance(value, int):
        values.append(str(value))
        types.append(XSD_INTEGER)
    elif isinstance(value, str):
        values.append(value)
        types.append(None)
    elif isinstance(value, dict):
        values.append(_dump(value))
        types.append(None)
    else:  # pragma: no cover - json.loads makes nothing else
        values.append(str(value))
        types.append(None)


def _dump(value: Any) -> str:
    """Compact JSON text of an object a reference selected (numbers as they were written)."""
    if isinstance(value, dict):
        return (
            "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + _dump(v) for k, v in value.items()) + "}"
        )
    if isinstance(value, list):
        return "[" + ",".join(_dump(v) for v in value) + "]"
    if isinstance(value, JsonNumber):
        return str.__str__(value)
    return json.dumps(value, ensure_ascii=False)


# ---------------------------------------------------------------------------------------------
# JSONPath

_SEGMENT = re.compile(
    r"""\.(?P<name>[^.\[\]'"*()?@$,:]+)
      | (?P<dotstar>\.\*)
      | \[\s*(?P<index>-?\d+)\s*\]
      | (?P<star>\[\s*\*\s*\])
      | \[\s*'(?P<sq>(?:[^'\\]|\\.)*)'\s*\]
      | \[\s*"(?P<dq>(?:[^"\\]|\\.)*)"\s*\]""",
    re.VERBOSE,
)


def _simple_steps(path: str) -> list[tuple[str, Any]] | None:
    """The steps of a plain path, or None when it needs a real JSONPath engine."""
    text = path.strip()
    if text[:1] in ("$", "@"):
        text = text[1:]
    elif text and text[0] not in ".[":
        text = "." + text
    steps: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(text):
        m = _SEGMENT.match(text, pos)
        if m is None:
            return None
        if m.group("name") is not None:
            steps.append(("key", m.group("name")))
        elif m.group("index") is not None:
            steps.append(("index", int(m.group("index"))))
        elif m.group("dotstar") or m.group("star"):
            steps.append(("all", None))
        else:
            quoted = m.group("sq") if m.group("sq") is not None else m.group("dq")
            steps.append(("key", re.sub(r"\\(.)", r"\1", quoted)))
        pos = m.end()
    return steps


def _walk(steps: list[tuple[str, Any]]) -> Evaluator:
    def evaluate(item: Any) -> list[Any]:
        current = [item]
        for kind, arg in steps:
            found: list[Any] = []
            for value in current:
                if kind == "key":
                    if isinstance(value, dict) and arg in value:
                        found.append(value[arg])
                elif kind == "index":
                    if isinstance(value, list) and -len(value) <= arg < len(value):
                        found.append(value[arg])
                elif isinstance(value, list):
                    found.extend(value)
                elif isinstance(value, dict):
                    found.extend(value.values())
            current = found
            if not current:
                break
        return current

    return evaluate


def _plain_key(path: str) -> str | None:
    """The key a reference names when it is one plain key step (``name``, ``$.name``, ``['a b']``)."""
    steps = _simple_steps(path)
    if steps is not None and len(steps) == 1 and steps[0][0] == "key":
        return str(steps[0][1])
    return None


@lru_cache(maxsize=512)
def _compile(path: str, what: str) -> Evaluator:
    steps = _simple_steps(path)
    if steps is not None:
        return _walk(steps)
    try:
        from jsonpath_ng.ext import parse

        expression = parse(path)
    except Exception as e:  # jsonpath-ng raises plain Exceptions for syntax errors
        where = Location(field=path if what == "reference" else None)
        raise MappingError(f"invalid JSONPath {what} {path!r}: {e}", where) from None

    def evaluate(item: Any) -> list[Any]:
        return [match.value for match in expression.find(item)]

    return evaluate
