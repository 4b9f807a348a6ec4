"""XML sources addressed with XPath 1.0 (lxml).

The iterator (an absolute XPath) selects the record nodes; each reference is an XPath relative to
a record node. Elements give their string value (all descendant text), attributes and text nodes
their text, and XPath functions their result (``count(x)`` → ``"3"``). A reference selecting
several nodes gives several values (a ``list<string>`` column when some record has more than one).
XML carries no types, so values are plain strings.

Namespace prefixes used in the XPaths are declared with source options ``("namespace",
"prefix=IRI")`` (or ``("xmlns:prefix", IRI)``). The parser never fetches DTDs or entities from
outside (no XXE).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from fairify.errors import Location, MappingError, SourceError
from fairify.mapping.model import LogicalSource
from fairify.sources._common import (
    Chunk,
    ReaderBase,
    codec_name,
    missing_reference_error,
    multi_valued_columns,
    row_numbers,
    unique,
)
from fairify.sources._stream import Opener, option


class XmlReader(ReaderBase):
    def __init__(self, source: LogicalSource, references: Sequence[str], *, path: Path, chunk_rows: int):
        from lxml import etree

        self.location = str(path)
        self._refs = unique(references)
        self._chunk_rows = chunk_rows
        self._nulls = set(source.nulls)
        self.namespaces = _namespaces(source.options)
        self.iterator = source.iterator or "/*"
        self._iterate = self._compile(self.iterator, "iterator")
        self._evaluators = [self._compile(ref, "reference") for ref in self._refs]
        opener = Opener(path, source.compression, option(source.options, "member"))
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=True,
            encoding=codec_name(source.encoding, self.location) if source.encoding else None,
        )
        stream = opener.open()
        try:
            self._tree = etree.parse(stream, parser)
        except etree.XMLSyntaxError as e:
            line = e.lineno if e.lineno else None
            message = str(e.msg) if e.msg else str(e)
            if "Document is empty" in message or ("Start tag expected" in message and line == 1):
                message = "the file is empty or not XML; expected a root element"
            raise SourceError(
                f"not well-formed XML: {message}", Location(file=self.location, line=line)
            ) from None
        finally:
            stream.close()
        try:
            nodes = self._iterate(self._tree)
        except etree.XPathEvalError as e:
            raise MappingError(f"the XPath iterator {self.iterator!r} cannot be evaluated: {e}") from None
        if not isinstance(nodes, list):
            raise MappingError(
                f"the XPath iterator {self.iterator!r} gives a {type(nodes).__name__}, not a set of nodes",
                Location(file=self.location),
            )
        self._nodes: list[Any] = nodes
        self._matched: set[str] = set()

    def _compile(self, path: str, what: str) -> Any:
        from lxml import etree

        try:
            return etree.XPath(path, namespaces=self.namespaces)
        except etree.XPathSyntaxError as e:
            raise MappingError(f"invalid XPath {what} {path!r}: {e}", Location(field=path)) from None

    def __iter__(self) -> Iterator[Chunk]:
        for start in range(0, len(self._nodes), self._chunk_rows):
            yield self._chunk(self._nodes[start : start + self._chunk_rows], start + 1)

    def _chunk(self, nodes: list[Any], first: int) -> Chunk:
        from lxml import etree

        columns = {}
        for ref, evaluate in zip(self._refs, self._evaluators, strict=True):
            values: list[list[str]] = []
            for node in nodes:
                try:
                    result = evaluate(node)
                except etree.XPathEvalError as e:
                    raise MappingError(
                        f"the XPath reference {ref!r} cannot be evaluated: {e}",
                        Location(file=self.location, row=first + len(values), field=ref),
                    ) from None
                found = _strings(result)
                if self._nulls:
                    found = [v for v in found if v not in self._nulls]
                values.append(found)
                if found:
                    self._matched.add(ref)
            columns[ref], _ = multi_valued_columns(values, [[None] * len(v) for v in values])
        return Chunk(columns=columns, datatypes={}, rows=row_numbers(first, len(nodes)))

    def unmatched_references(self) -> list[MappingError]:
        """After iterating: references that selected nothing in any record (see the JSON reader)."""
        names: dict[str, None] = {}
        for node in self._nodes[:100]:
            if hasattr(node, "iterchildren"):
                names.update(dict.fromkeys(str(c.tag) for c in node.iterchildren() if isinstance(c.tag, str)))
                names.update(dict.fromkeys("@" + str(a) for a in node.attrib))
        return [
            missing_reference_error(ref, list(names), location=self.location, what="element")
            for ref in self._refs
            if ref not in self._matched
        ]

    def close(self) -> None:
        self._nodes = []


def _strings(result: Any) -> list[str]:
    """XPath results as strings, the way XPath's ``string()`` would render each."""
    if isinstance(result, list):
        out = []
        for item in result:
            if isinstance(item, str):  # text nodes and attribute values (smart strings)
                out.append(str(item))
            elif hasattr(item, "itertext"):
                out.append("".join(item.itertext()))
            else:  # pragma: no cover - namespace nodes and the like
                out.append(str(item))
        return out
    if isinstance(result, bool):
        return ["true" if result else "false"]
    if isinstance(result, float):
        if result != result:
            return ["NaN"]
        if result.is_integer():
            return [str(int(result))]
        return [repr(result)]
    return [str(result)]


def _namespaces(options: tuple[tuple[str, str], ...]) -> dict[str, str]:
    namespaces: dict[str, str] = {}
    for key, value in options:
        k = key.lower()
        if k in ("namespace", "ns") and "=" in value:
            prefix, iri = value.split("=", 1)
            namespaces[prefix.strip()] = iri.strip()
        elif k.startswith(("xmlns:", "namespace:", "ns:")):
            namespaces[key.split(":", 1)[1]] = value
    return namespaces
