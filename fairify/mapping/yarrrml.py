"""Compile YARRRML (the KG-Construct community's YAML syntax for RML) into the internal model.

YARRRML is read with ruamel.yaml's round-trip loader so that every problem can be reported with
the file, line and column where it was written; every check happens here, before any data is
read. The result means what the reference parser's (RMLio/yarrrml-parser) generated RML means:
conditions become nested ``idlab-fn:trueCondition`` function calls, ``equal`` becomes
``idlab-fn:equal`` with GREL parameters, and joins between mappings become RML join conditions.

Features outside fairify's scope (logical targets, IncRML/LDES change detection, Web of Things
sources, RML-star) are refused with an ``UnsupportedFeatureError`` that names them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.tag import Tag

from fairify.errors import Location, MappingError, UnsupportedFeatureError
from fairify.mapping.langtag import is_language_tag
from fairify.mapping.model import (
    FAIRIFY_FN,
    RDF,
    RML,
    XSD,
    Constant,
    Expression,
    Formulation,
    FunctionCall,
    Join,
    LogicalSource,
    Mapping,
    ObjectMap,
    PredicateObjectMap,
    Reference,
    RefObjectMap,
    SubjectMap,
    Template,
    TemplatePart,
    TermMap,
    TermType,
    TriplesMap,
    constant_iri,
)
from fairify.mapping.template import escape_template_text

IDLAB_FN = "https://w3id.org/imec/idlab/function#"
GREL = "http://users.ugent.be/~bjdmeest/function/grel.ttl#"
RR = "http://www.w3.org/ns/r2rml#"
RDF_TYPE = RDF + "type"
RDF_LANGSTRING = RDF + "langString"
TRUE_CONDITION = IDLAB_FN + "trueCondition"
EQUAL = IDLAB_FN + "equal"
BOOLEAN_AND = GREL + "boolean_and"

# The RDFa 1.1 initial context (which the YARRRML specification predeclares), plus the function
# namespaces YARRRML documents use without declaring them, plus fairify's own functions.
DEFAULT_PREFIXES: dict[str, str] = {
    "as": "https://www.w3.org/ns/activitystreams#",
    "cc": "http://creativecommons.org/ns#",
    "cnt": "http://www.w3.org/2008/content#",
    "csvw": "http://www.w3.org/ns/csvw#",
    "ctag": "http://commontag.org/ns#",
    "dc": "http://purl.org/dc/terms/",
    "dc11": "http://purl.org/dc/elements/1.1/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dcterms": "http://purl.org/dc/terms/",
    "dqv": "http://www.w3.org/ns/dqv#",
    "duv": "https://www.w3.org/ns/duv#",
    "earl": "http://www.w3.org/ns/earl#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "gr": "http://purl.org/goodrelations/v1#",
    "grddl": "http://www.w3.org/2003/g/data-view#",
    "ht": "http://www.w3.org/2006/http#",
    "ical": "http://www.w3.org/2002/12/cal/icaltzd#",
    "ldp": "http://www.w3.org/ns/ldp#",
    "ma": "http://www.w3.org/ns/ma-ont#",
    "oa": "http://www.w3.org/ns/oa#",
    "odrl": "http://www.w3.org/ns/odrl/2/",
    "og": "http://ogp.me/ns#",
    "org": "http://www.w3.org/ns/org#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "prov": "http://www.w3.org/ns/prov#",
    "ptr": "http://www.w3.org/2009/pointers#",
    "qb": "http://purl.org/linked-data/cube#",
    "rdf": RDF,
    "rdfa": "http://www.w3.org/ns/rdfa#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "rev": "http://purl.org/stuff/rev#",
    "rif": "http://www.w3.org/2007/rif#",
    "rr": RR,
    "schema": "http://schema.org/",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "sioc": "http://rdfs.org/sioc/ns#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "skosxl": "http://www.w3.org/2008/05/skos-xl#",
    "sosa": "http://www.w3.org/ns/sosa/",
    "ssn": "http://www.w3.org/ns/ssn/",
    "time": "http://www.w3.org/2006/time#",
    "v": "http://rdf.data-vocabulary.org/#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "void": "http://rdfs.org/ns/void#",
    "wdr": "http://www.w3.org/2007/05/powder#",
    "wdrs": "http://www.w3.org/2007/05/powder-s#",
    "xhv": "http://www.w3.org/1999/xhtml/vocab#",
    "xml": "http://www.w3.org/XML/1998/namespace",
    "xsd": XSD,
    # Not in the RDFa context, but predeclared by the reference parser and used unprefixed in practice.
    "ex": "http://example.com/",
    "fno": "https://w3id.org/function/ontology#",
    "grel": GREL,
    "idlab-fn": IDLAB_FN,
    "ffn": FAIRIFY_FN,
}

# fairify's own functions: their parameters (required, optional), so that typos are caught early.
FAIRIFY_FUNCTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "valueMap": (("value", "table"), ()),
    "parseDate": (("value", "format"), ()),
    "pseudonym": (("value",), ("prefix",)),
    "trim": (("value",), ()),
    "lower": (("value",), ()),
    "upper": (("value",), ()),
    "normalize": (("value",), ()),
}

# URI schemes that are absolute IRIs, not prefixed names, when no prefix of that name is declared.
_SCHEMES = {"http", "https", "urn", "mailto", "file", "ftp", "tag", "data", "did", "doi", "geo", "tel"}

_IRI_FORBIDDEN = re.compile(r'[\s<>"{}|^`\\]')
_PREFIX_NAME = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_.-]*)?$")

# Reference formulations a source may name (the part after ``~`` in the shortcut, or
# ``referenceFormulation``).
_FORMULATIONS = {
    "csv": Formulation.CSV,
    "jsonpath": Formulation.JSONPATH,
    "json": Formulation.JSONPATH,
    "xpath": Formulation.XPATH,
    "xml": Formulation.XPATH,
    "dicom": Formulation.DICOM,  # fairify: a folder of DICOM files or a DICOMDIR (fairify.dicom.source)
}
_UNSUPPORTED_FORMULATIONS = {"xquery": "XQuery reference formulation", "css3": "CSS3 reference formulation"}

# Database ``type`` values of the specification; their SQL dialect is the default query formulation.
_DATABASE_TYPES = {
    "oracle", "mysql", "hsql", "postgresql", "db2", "informix", "ingres", "sapase", "sapsqlanywhere",
    "firebird", "mssqlserver", "mssql", "virtuoso", "sqlite",
}  # fmt: skip
_FILE_TYPES = {"localfile", "remotefile"}

# ``queryFormulation`` values, as SQL version identifiers (R2RML's ``rr:SQL2008`` and the dialect names
# the reference parser emits), in the RML namespace the RDF reader moves R2RML terms into.
_QUERY_FORMULATIONS = {
    "sql2008": RML + "SQL2008",
    "sql2011": RML + "SQL2011",
    "sql2016": RML + "SQL2016",
    "oracle": RML + "Oracle",
    "mysql": RML + "MySQL",
    "mssql": RML + "MSSQLServer",
    "mssqlserver": RML + "MSSQLServer",
    "hsql": RML + "HSQLDB",
    "postgresql": RML + "PostgreSQL",
    "db2": RML + "DB2",
    "ingres": RML + "Ingres",
    "firebird": RML + "Firebird",
    "virtuoso": RML + "Virtuoso",
}

# ---------------------------------------------------------------------------------------------
# Keys, with their shortcuts, at each level of a document.

_DOCUMENT_KEYS = {
    "prefixes": (),
    "base": (),
    "sources": ("source",),
    "mappings": ("mapping", "m"),
    "authors": ("author",),
    "external": (),
}
_MAPPING_KEYS = {
    "sources": ("source",),
    "subjects": ("subject", "s"),
    "predicateobjects": ("predicateobject", "po"),
    "graphs": ("graph", "g"),
    "conditions": ("condition", "c"),
}
_PO_KEYS = {
    "predicates": ("predicate", "p"),
    "inversepredicates": ("inversepredicate", "i", "iv"),
    "objects": ("object", "o"),
    "graphs": ("graph", "g"),
    "conditions": ("condition", "c"),
    "datatype": (),
    "language": (),
}
_TERM_KEYS = {
    "value": ("v",),
    "type": (),
    "function": ("fn", "f"),
    "parameters": ("pms",),
}
_SUBJECT_KEYS = dict(_TERM_KEYS)
_PREDICATE_KEYS = {"value": ("v",), "type": ()}
_GRAPH_KEYS = dict(_TERM_KEYS)
_OBJECT_KEYS = {
    **_TERM_KEYS,
    "datatype": (),
    "language": (),
    "conditions": ("condition", "c"),
    "mapping": (),
    "inversepredicates": ("inversepredicate", "i", "iv"),
}
_FUNCTION_KEYS = {**_TERM_KEYS, "datatype": (), "language": (), "mapping": ()}
_PARAMETER_KEYS = {"parameter": ("pm",), "value": ("v",), "from": (), "type": ()}
_SOURCE_KEYS = {
    "access": (),
    "type": (),
    "referenceFormulation": (),
    "iterator": (),
    "query": (),
    "queryFormulation": (),
    "table": (),
    "credentials": (),
    "encoding": (),
    "delimiter": (),
    "null": (),  # fairify extension: RML-IO's rml:null, the values read as NULL
    "dates": (),  # fairify extension, DICOM sources: shift (default), keep or remove
    "retain": (),  # fairify extension, DICOM sources: Annex E retain options, comma-separated
}
_CREDENTIAL_KEYS = {"username": (), "password": ()}
_AUTHOR_KEYS = {"name": (), "email": (), "website": (), "webid": ()}

# Keys of features fairify refuses, and the feature each one belongs to.
_TARGETS = "logical targets (YARRRML `targets`)"
_UNSUPPORTED_KEYS = {
    "targets": _TARGETS,
    "target": _TARGETS,
    "t": _TARGETS,
    "authentications": "logical targets with HTTP request authentication (YARRRML `authentications`)",
    "changeDetection": "IncRML / LDES change detection (YARRRML `changeDetection`)",
    "ldes": "IncRML / LDES event stream targets (YARRRML `ldes`)",
    "quoted": "RML-star quoted triples (YARRRML `quoted`)",
    "quotedNonAsserted": "RML-star non-asserted quoted triples (YARRRML `quotedNonAsserted`)",
    "contentType": "Web of Things sources (YARRRML `contentType`)",
    "operationType": "Web of Things sources (YARRRML `operationType`)",
    "security": "Web of Things security schemes (YARRRML `security`)",
}
_WOT = "Web of Things sources (YARRRML `type: wot`, `td:` thing descriptions)"

# ``loc``'s default: the location of the container itself (``None`` is a real key: ``null:``).
_ITSELF = object()


def read_yarrrml(path: str | Path | Sequence[str | Path]) -> Mapping:
    """Read one YARRRML file (or several that form one document) into the internal model.

    Several files are combined as the reference parser does: prefixes, sources and mappings of
    all of them are pooled, so one file may use a source or prefix another declares.
    """
    paths = [Path(path)] if isinstance(path, (str, Path)) else [Path(p) for p in path]
    if not paths:
        raise MappingError("no YARRRML file given")
    docs = [_load(p) for p in paths]
    return _Compiler(docs).compile()


# ---------------------------------------------------------------------------------------------
# Loading


class _StringResolver(VersionedResolver):
    """Keep every plain scalar as written: ``1.10`` stays the string ``1.10``; only null is null."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is ScalarNode and implicit[0]:
            if value in ("", "~", "null", "Null", "NULL"):
                return Tag(suffix="tag:yaml.org,2002:null")
            return self.DEFAULT_SCALAR_TAG
        return super().resolve(kind, value, implicit)


@dataclass
class _Doc:
    file: str
    root: CommentedMap | None


def _load(path: Path) -> _Doc:
    if not path.is_file():
        raise MappingError("YARRRML file not found", Location(file=str(path)))
    yaml = YAML(typ="rt")
    yaml.Resolver = _StringResolver
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise MappingError(f"not UTF-8 text: {exc.reason}", Location(file=str(path))) from exc
    try:
        root = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        loc = Location(
            file=str(path), line=mark.line + 1 if mark else None, column=mark.column + 1 if mark else None
        )
        raise MappingError(f"invalid YAML: {problem or 'cannot parse'}", loc) from exc
    except YAMLError as exc:
        raise MappingError(f"invalid YAML: {exc}", Location(file=str(path))) from exc
    if root is not None and not isinstance(root, CommentedMap):
        raise MappingError(
            "a YARRRML document must be a YAML mapping of keys", Location(file=str(path), line=1)
        )
    return _Doc(str(path), root)


# ---------------------------------------------------------------------------------------------
# Values: templates with $(references), prefixed names, escapes


@dataclass(frozen=True)
class _Value:
    """A parsed YARRRML value: text and references, with where it was written."""

    parts: tuple[TemplatePart, ...]
    loc: Location

    @property
    def is_constant(self) -> bool:
        return all(not p.is_reference for p in self.parts)

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.parts)


class _Compiler:
    def __init__(self, docs: list[_Doc]):
        self.docs = docs
        self.file = docs[0].file
        self.prefixes: dict[str, str] = dict(DEFAULT_PREFIXES)
        self.declared: dict[str, str] = {}
        self.base: str | None = None
        self.external: dict[str, str] = {}
        self.source_nodes: dict[str, tuple[str, Any, Location]] = {}
        self.sources: dict[str, LogicalSource] = {}
        self.mapping_nodes: dict[str, tuple[str, CommentedMap | None, Location]] = {}
        self.ref_locations: dict[RefObjectMap, Location] = {}
        self.tm_ids: dict[str, list[str]] = {}

    # -- locations and errors ----------------------------------------------------------------------
    def loc(self, container: Any, key: Any = _ITSELF, *, of_key: bool = False) -> Location:
        """Where ``container[key]`` (or the container itself) was written, 1-based.

        ``None`` is a key like any other (a bare ``null:`` key loads as ``None``).
        """
        try:
            if key is _ITSELF:
                line, col = container.lc.line, container.lc.col
            elif isinstance(container, CommentedMap):
                line, col = container.lc.key(key) if of_key else container.lc.value(key)
            elif isinstance(container, CommentedSeq):
                line, col = container.lc.item(key)
            else:
                return Location(file=self.file)
        except (AttributeError, KeyError, IndexError, TypeError):
            return Location(file=self.file)
        if line is None:
            return Location(file=self.file)
        return Location(file=self.file, line=line + 1, column=col + 1 if col is not None else None)

    def err(self, message: str, loc: Location, *, hint: str | None = None) -> MappingError:
        return MappingError(message, loc, hint=hint)

    def check_keys(
        self, node: CommentedMap, allowed: dict[str, tuple[str, ...]], what: str
    ) -> dict[str, Any]:
        """Refuse unknown keys (with a "did you mean") and out-of-scope ones; fold shortcuts.

        Returns the node's entries under their long key names, with the key each came from, so that
        later errors can point at the value.
        """
        names: dict[str, str] = {}
        for long, shorts in allowed.items():
            names[long] = long
            for s in shorts:
                names[s] = long
        for key in node:
            if _key_text(key) in _UNSUPPORTED_KEYS and _key_text(key) not in names:
                raise UnsupportedFeatureError(
                    f"{_UNSUPPORTED_KEYS[_key_text(key)]} is not supported by fairify",
                    self.loc(node, key, of_key=True),
                )
        out: dict[str, Any] = {}
        for key in node:
            k = _key_text(key)
            if k not in names:
                close = difflib.get_close_matches(k, sorted(names), n=1, cutoff=0.6)
                raise self.err(
                    f"unknown key '{k}' in {what}",
                    self.loc(node, key, of_key=True),
                    hint=f"did you mean '{close[0]}'?"
                    if close
                    else f"valid keys: {', '.join(sorted(allowed))}",
                )
            long = names[k]
            if long in out:
                raise self.err(
                    f"'{k}' repeats '{_key_text(out[long][0])}' in {what} (they are the same key)",
                    self.loc(node, key, of_key=True),
                )
            out[long] = (key, node[key])  # the key itself: `null:` is None
        return {long: (k, v) for long, (k, v) in out.items()}

    def scalar(self, value: Any, loc: Location, what: str) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (str, int, float)):
            return str(value)
        raise self.err(f"{what} must be a single value, found {_kind(value)}", loc)

    # -- document level ------------------------------------------------------------------------------
    def compile(self) -> Mapping:
        for doc in self.docs:
            self.file = doc.file
            if doc.root is not None:
                self.scan_unsupported(doc.root)
        self.file = self.docs[0].file
        if all(d.root is None or len(d.root) == 0 for d in self.docs):
            raise self.err("the YARRRML document is empty: it has no `mappings`", Location(file=self.file))
        for doc in self.docs:
            self.file = doc.file
            if doc.root is not None:
                self.read_document_header(doc.root)
        for doc in self.docs:
            self.file = doc.file
            if doc.root is None:
                continue
            entries = self.check_keys(doc.root, _DOCUMENT_KEYS, "the document")
            if "sources" in entries:
                self.collect_sources(doc.root, entries["sources"][0])
            if "mappings" in entries:
                self.collect_mappings(doc.root, entries["mappings"][0])
        self.file = self.docs[0].file
        if not self.mapping_nodes:
            raise self.err("the YARRRML document has no `mappings`", Location(file=self.file, line=1))
        for name, (file, node, loc) in self.source_nodes.items():
            self.file = file
            self.sources[name] = self.source(node, loc)
        return self.compile_mappings()

    def scan_unsupported(self, root: CommentedMap) -> None:
        """Refuse an out-of-scope document for its feature before anything else is checked.

        Keys that name user things (prefixes, external references, source, target and mapping
        names) are skipped; the most specific feature found wins (LDES documents also use targets).
        """
        found: list[tuple[int, str, Location]] = []
        rank = {"IncRML": 0, "Web of Things": 1, "RML-star": 2}

        def note(feature: str, loc: Location) -> None:
            order = next((r for k, r in rank.items() if k in feature), 3)
            found.append((order, feature, loc))

        def walk(node: Any, names_below: bool) -> None:
            if isinstance(node, CommentedMap):
                for key in node:
                    k = _key_text(key)
                    value = node[key]
                    if names_below:
                        walk(value, False)
                        continue
                    if k in _UNSUPPORTED_KEYS and k != "t":
                        note(_UNSUPPORTED_KEYS[k], self.loc(node, key, of_key=True))
                    if k == "type" and isinstance(value, str) and value.lower() == "wot":
                        note(_WOT, self.loc(node, key))
                    if k == "access" and isinstance(value, str) and value.startswith("td:"):
                        note(_WOT, self.loc(node, key))
                    if k in ("prefixes", "external"):
                        continue
                    walk(value, k in ("sources", "targets", "mappings", "mapping", "m", "authentications"))
            elif isinstance(node, CommentedSeq):
                for item in node:
                    walk(item, False)

        for key in root:
            k = _key_text(key)
            if k in ("prefixes", "external"):
                continue
            if k in _UNSUPPORTED_KEYS:
                note(_UNSUPPORTED_KEYS[k], self.loc(root, key, of_key=True))
            walk(root[key], k in ("sources", "targets", "mappings", "mapping", "m", "authentications"))
        if found:
            _, feature, loc = min(found, key=lambda f: f[0])
            raise UnsupportedFeatureError(f"{feature} is not supported by fairify", loc)

    def read_document_header(self, root: CommentedMap) -> None:
        """Prefixes, base, external references and authors: what mappings need before they compile."""
        entries = self.check_keys(root, _DOCUMENT_KEYS, "the document")
        if "prefixes" in entries:
            key, node = entries["prefixes"]
            loc = self.loc(root, key)
            if node is not None:
                if not isinstance(node, CommentedMap):
                    raise self.err(f"`prefixes` must map prefix names to IRIs, found {_kind(node)}", loc)
                for prefix in node:
                    p = str(prefix)
                    ploc = self.loc(node, prefix, of_key=True)
                    if not _PREFIX_NAME.match(p):
                        raise self.err(f"'{p}' is not a valid prefix name", ploc)
                    ns = self.scalar(node[prefix], self.loc(node, prefix), f"prefix '{p}'")
                    if ":" not in ns:
                        raise self.err(
                            f"prefix '{p}' must map to an absolute IRI, found {ns!r}", self.loc(node, prefix)
                        )
                    if p in self.declared and self.declared[p] != ns:
                        raise self.err(f"prefix '{p}' is declared twice with different IRIs", ploc)
                    self.declared[p] = ns
                    self.prefixes[p] = ns
        if "base" in entries:
            key, node = entries["base"]
            base = self.scalar(node, self.loc(root, key), "`base`")
            if ":" not in base:
                raise self.err(f"`base` must be an absolute IRI, found {base!r}", self.loc(root, key))
            if self.base is None:
                self.base = base
        if "external" in entries:
            key, node = entries["external"]
            if node is not None:
                if not isinstance(node, CommentedMap):
                    raise self.err("`external` must map names to values", self.loc(root, key))
                for name in node:
                    self.external[str(name)] = self.scalar(
                        node[name], self.loc(node, name), f"external '{name}'"
                    )
        if "authors" in entries:
            key, node = entries["authors"]
            self.check_authors(node, self.loc(root, key))

    def check_authors(self, node: Any, loc: Location) -> None:
        """Authors are metadata the model does not keep; they are checked so typos do not pass."""
        items = node if isinstance(node, CommentedSeq) else [node]
        for i, author in enumerate(items):
            aloc = self.loc(node, i) if isinstance(node, CommentedSeq) else loc
            if isinstance(author, CommentedMap):
                self.check_keys(author, _AUTHOR_KEYS, "an author")
            elif not isinstance(author, str):
                raise self.err(f"an author must be a string or a mapping, found {_kind(author)}", aloc)

    def collect_sources(self, root: CommentedMap, key: str) -> None:
        node = root[key]
        if node is None:
            return
        if not isinstance(node, CommentedMap):
            raise self.err("the document's `sources` must name each source", self.loc(root, key))
        for name in node:
            n = str(name)
            if n in self.source_nodes:
                raise self.err(f"source '{n}' is defined twice", self.loc(node, name, of_key=True))
            self.source_nodes[n] = (self.file, node[name], self.loc(node, name))

    def collect_mappings(self, root: CommentedMap, key: str) -> None:
        node = root[key]
        if node is None:
            return
        if not isinstance(node, CommentedMap):
            raise self.err("`mappings` must name each mapping", self.loc(root, key))
        for name in node:
            n = str(name)
            if n in self.mapping_nodes:
                raise self.err(f"mapping '{n}' is defined twice", self.loc(node, name, of_key=True))
            value = node[name]
            if value is not None and not isinstance(value, CommentedMap):
                raise self.err(
                    f"mapping '{n}' must be a mapping of keys, found {_kind(value)}", self.loc(node, name)
                )
            self.mapping_nodes[n] = (self.file, value, self.loc(node, name, of_key=True))

    # -- sources -------------------------------------------------------------------------------------
    def source(self, node: Any, loc: Location) -> LogicalSource:
        if isinstance(node, CommentedSeq):
            return self.shortcut_source([str(v) for v in node], node, loc)
        if isinstance(node, str):
            return self.shortcut_source([node], None, loc)
        if not isinstance(node, CommentedMap):
            raise self.err(
                f"a source must be a mapping or a [path~formulation, iterator] list, found {_kind(node)}", loc
            )
        if str(node.get("type", "")).lower() == "wot":
            raise UnsupportedFeatureError(f"{_WOT} are not supported by fairify", self.loc(node, "type"))
        e = self.check_keys(node, _SOURCE_KEYS, "a source")

        def get(k: str) -> str | None:
            if k not in e:
                return None
            key, v = e[k]
            return None if v is None else self.scalar(v, self.loc(node, key), f"`{k}`")

        access, stype, rf = get("access"), get("type"), get("referenceFormulation")
        iterator, query, qf, table = get("iterator"), get("query"), get("queryFormulation"), get("table")
        encoding, delimiter = get("encoding"), get("delimiter")
        nulls = self.nulls(node, e["null"][0]) if "null" in e else ()
        if "credentials" in e:
            key, creds = e["credentials"]
            if creds is not None:
                if not isinstance(creds, CommentedMap):
                    raise self.err(
                        "`credentials` must be a mapping with username and password", self.loc(node, key)
                    )
                self.check_keys(creds, _CREDENTIAL_KEYS, "credentials")
        if access is not None and access.startswith("td:"):
            raise UnsupportedFeatureError(f"{_WOT} are not supported by fairify", self.loc(node, "access"))
        if stype is not None:
            t = stype.lower()
            if t == "sparql":
                raise UnsupportedFeatureError(
                    "SPARQL endpoint sources are not supported by fairify", self.loc(node, "type")
                )
            if t not in _DATABASE_TYPES and t not in _FILE_TYPES:
                close = difflib.get_close_matches(t, sorted(_DATABASE_TYPES | _FILE_TYPES), n=1)
                raise self.err(
                    f"unknown source type '{stype}'",
                    self.loc(node, "type"),
                    hint=f"did you mean '{close[0]}'?" if close else None,
                )
        sql_version = None
        if qf is not None:
            if qf.lower() not in _QUERY_FORMULATIONS:
                close = difflib.get_close_matches(qf.lower(), sorted(_QUERY_FORMULATIONS), n=1)
                raise self.err(
                    f"unknown query formulation '{qf}'",
                    self.loc(node, "queryFormulation"),
                    hint=f"did you mean '{close[0]}'?" if close else None,
                )
            sql_version = _QUERY_FORMULATIONS[qf.lower()]
        is_db = (stype is not None and stype.lower() in _DATABASE_TYPES) or (
            access is None and (query is not None or table is not None)
        )
        if is_db:
            if query is not None and table is not None:
                raise self.err("a database source takes `query` or `table`, not both", loc)
            if query is None and table is None:
                raise self.err("a database source needs a `query` or a `table`", loc)
            if rf is not None and rf.lower() not in _FORMULATIONS:
                self.formulation(rf, self.loc(node, "referenceFormulation"))
            return LogicalSource(
                formulation=Formulation.SQL,
                database=access,
                table=table,
                query=query,
                sql_version=sql_version,
                nulls=nulls,
                encoding=_encoding(encoding),
            )
        if access is None:
            raise self.err("a source needs `access` (a file path or URL)", loc)
        if query is not None or table is not None:
            raise self.err(
                "`query` and `table` need a database source (give `type`, e.g. mysql or postgresql)", loc
            )
        formulation = (
            self.formulation(rf, self.loc(node, "referenceFormulation")) if rf is not None else _guess(access)
        )
        options = tuple((k, v) for k in ("dates", "retain") if (v := get(k)) is not None)
        if options and formulation is not Formulation.DICOM:
            raise self.err(f"`{options[0][0]}` is for DICOM sources only", self.loc(node, options[0][0]))
        source = self.file_source(formulation, access, iterator, delimiter, encoding, loc)
        return replace(source, nulls=nulls, options=options)

    def nulls(self, node: CommentedMap, key: Any) -> tuple[str, ...]:
        """A source's ``null``: a value or a list of values read as NULL (RML-IO's ``rml:null``).

        A fairify extension (YARRRML has no key for it), written ``"null":`` or bare ``null:``.
        The values are a set, kept sorted so that equal sources compare equal.
        """
        value = node[key]
        loc = self.loc(node, key, of_key=value is None)  # an empty value has no place of its own
        items = (
            [(v, self.loc(value, i)) for i, v in enumerate(value)]
            if isinstance(value, CommentedSeq)
            else [(value, loc)]
        )
        out = set()
        for item, iloc in items:
            if item is None:
                raise self.err(
                    '`null` takes the cell values to read as NULL, e.g. ["", NA]; found nothing',
                    iloc,
                    hint='write the empty string as ""',
                )
            out.add(self.scalar(item, iloc, "a `null` value"))
        return tuple(sorted(out))

    def shortcut_source(self, items: list[str], node: CommentedSeq | None, loc: Location) -> LogicalSource:
        """``[path~formulation]`` or ``[path~formulation, iterator]``."""
        if not items or len(items) > 2:
            raise self.err("a source shortcut is [path~formulation] or [path~formulation, iterator]", loc)
        first = items[0]
        if "~" not in first:
            raise self.err(
                f"source '{first}' has no reference formulation",
                self.loc(node, 0) if node is not None else loc,
                hint="write it as path~csv, path~jsonpath or path~xpath",
            )
        access, rf = first.rsplit("~", 1)
        formulation = self.formulation(rf, self.loc(node, 0) if node is not None else loc)
        iterator = items[1] if len(items) > 1 else None
        return self.file_source(formulation, access, iterator, None, None, loc)

    def formulation(self, name: str, loc: Location) -> Formulation:
        key = name.lower()
        if key in _UNSUPPORTED_FORMULATIONS:
            raise UnsupportedFeatureError(
                f"the {_UNSUPPORTED_FORMULATIONS[key]} is not supported by fairify", loc
            )
        if key not in _FORMULATIONS:
            close = difflib.get_close_matches(key, sorted(_FORMULATIONS), n=1)
            raise self.err(
                f"unknown reference formulation '{name}'",
                loc,
                hint=f"did you mean '{close[0]}'?" if close else "use csv, jsonpath or xpath",
            )
        return _FORMULATIONS[key]

    def file_source(
        self,
        formulation: Formulation,
        access: str,
        iterator: str | None,
        delimiter: str | None,
        encoding: str | None,
        loc: Location,
    ) -> LogicalSource:
        if not access:
            raise self.err("a source needs a path", loc)
        if formulation is Formulation.CSV and iterator is not None:
            raise self.err("a CSV source takes no iterator", loc)
        if formulation is not Formulation.CSV and delimiter is not None:
            raise self.err("`delimiter` is for CSV sources only", loc)
        if formulation is Formulation.JSONPATH and iterator is None:
            iterator = "$"
        if formulation is Formulation.XPATH and iterator is None:
            iterator = "/*"
        if delimiter == ",":
            delimiter = None
        return LogicalSource(
            formulation=formulation,
            path=access,
            iterator=iterator,
            delimiter=delimiter,
            encoding=_encoding(encoding),
        )

    def mapping_sources(self, node: CommentedMap, key: str, name: str) -> list[LogicalSource]:
        value = node[key]
        loc = self.loc(node, key)
        if value is None:
            raise self.err(f"mapping '{name}' has an empty `{key}`", loc)
        if isinstance(value, str):
            return [self.named_source(value, loc)]
        if isinstance(value, CommentedMap):
            return [self.source(value, loc)]
        if not isinstance(value, CommentedSeq) or len(value) == 0:
            raise self.err(f"`{key}` of mapping '{name}' must name or describe its sources", loc)
        # `sources: [data.json~jsonpath, $.items[*]]`: one source written as a flat shortcut list.
        if all(isinstance(v, str) for v in value) and 1 <= len(value) <= 2:
            first = str(value[0])
            rest = [str(v) for v in value[1:]]
            if (
                first not in self.sources
                and "~" in first
                and all(r not in self.sources and "~" not in r for r in rest)
            ):
                return [self.shortcut_source([first, *rest], value, loc)]
        out = []
        for i, item in enumerate(value):
            iloc = self.loc(value, i)
            if isinstance(item, str):
                if item in self.sources:
                    out.append(self.sources[item])
                elif "~" in item:
                    out.append(self.shortcut_source([item], None, iloc))
                else:
                    out.append(self.named_source(item, iloc))
            else:
                out.append(self.source(item, iloc))
        return out

    def named_source(self, name: str, loc: Location) -> LogicalSource:
        if name in self.sources:
            return self.sources[name]
        if "~" in name:
            return self.shortcut_source([name], None, loc)
        close = difflib.get_close_matches(name, sorted(self.sources), n=1)
        raise self.err(
            f"unknown source '{name}'",
            loc,
            hint=f"did you mean '{close[0]}'?" if close else "define it under the document's `sources`",
        )

    # -- mappings ------------------------------------------------------------------------------------
    def compile_mappings(self) -> Mapping:
        plans: dict[str, _Plan] = {}
        for name, (file, node, loc) in self.mapping_nodes.items():
            self.file = file
            plans[name] = self.plan(name, node, loc)
        tm_ids = self.tm_ids
        for name, plan in plans.items():
            n = len(plan.sources) * len(plan.subjects)
            tm_ids[name] = [name] if n == 1 else [f"{name}#{i + 1}" for i in range(n)]
        triples_maps: dict[str, TriplesMap] = {}
        pending_checks: list[tuple[str, RefObjectMap, Location]] = []
        for name, plan in plans.items():
            self.file = plan.file
            poms, inverse = self.predicate_objects(plan, pending_checks)
            ids = iter(tm_ids[name])
            for source in plan.sources:
                for subject in plan.subjects:
                    tm_id = next(ids)
                    triples_maps[tm_id] = TriplesMap(
                        id=tm_id,
                        source=source,
                        subject=SubjectMap(subject, (), plan.graphs),
                        predicate_objects=tuple(poms),
                        name=name,
                        origin=str(plan.loc),
                    )
                    if inverse and not subject.term_type.is_iri:
                        raise UnsupportedFeatureError(
                            "`inversepredicates` need IRI subjects: a blank node cannot be named twice",
                            plan.loc,
                        )
                    for i, (obj, pom) in enumerate(inverse):
                        inv_id = f"{tm_id}~inverse{i + 1}"
                        triples_maps[inv_id] = TriplesMap(
                            id=inv_id,
                            source=source,
                            subject=SubjectMap(obj, (), plan.graphs),
                            predicate_objects=(
                                PredicateObjectMap(pom.predicates, (subject,), pom.graphs, origin=pom.origin),
                            ),
                            name=name,
                            origin=str(plan.loc),
                        )
        for tm_id, rom, loc in pending_checks:
            child = triples_maps[tm_id]
            parent = triples_maps[rom.parent]
            if not rom.joins and parent.source != child.source:
                raise self.err(
                    f"mapping '{child.name}' refers to mapping '{parent.name}' without a condition, "
                    "but they read different sources",
                    loc,
                    hint="add a `condition` with `function: equal` to join them",
                )
        declared = dict(self.declared)
        return Mapping(
            triples_maps,
            base_iri=self.base,
            path=self.docs[0].file,
            dialect="yarrrml",
            prefixes=declared,
        )

    def plan(self, name: str, node: CommentedMap | None, loc: Location) -> _Plan:
        if node is None or len(node) == 0:
            raise self.err(f"mapping '{name}' is empty", loc)
        e = self.check_keys(node, _MAPPING_KEYS, f"mapping '{name}'")
        if "sources" not in e:
            raise self.err(
                f"mapping '{name}' has no `sources`",
                loc,
                hint="add `sources: [[path~csv]]` or name a source defined under the document's `sources`",
            )
        sources = self.mapping_sources(node, e["sources"][0], name)
        if "subjects" in e:
            key, value = e["subjects"]
            subjects = self.subjects(node, key, value, name)
        else:
            # The specification: a mapping without subjects generates blank nodes.
            subjects = [TermMap(Constant("", "blank"), TermType.BLANK_NODE, origin=str(loc))]
        if "conditions" in e:
            key, value = e["conditions"]
            conds = self.conditions(value, self.loc(node, key))
            subjects = [self.guard(s, conds) for s in subjects]
        graphs: tuple[TermMap, ...] = ()
        if "graphs" in e:
            key, value = e["graphs"]
            graphs = self.graphs(node, key, value)
        po = e.get("predicateobjects")
        return _Plan(name, self.file, node, loc, sources, subjects, graphs, po)

    def subjects(self, node: CommentedMap, key: str, value: Any, name: str) -> list[TermMap]:
        loc = self.loc(node, key)
        if value is None:
            return [TermMap(Constant("", "blank"), TermType.BLANK_NODE, origin=str(loc))]
        items: list[tuple[Any, Location]]
        if isinstance(value, CommentedSeq):
            if len(value) == 0:
                raise self.err(f"mapping '{name}' has an empty list of subjects", loc)
            items = [(v, self.loc(value, i)) for i, v in enumerate(value)]
        else:
            items = [(value, loc)]
        out = []
        for item, iloc in items:
            if isinstance(item, CommentedMap):
                out.append(self.subject_dict(item, iloc))
            else:
                text = self.scalar(item, iloc, "a subject")
                if text.strip() == "":
                    raise self.err(f"mapping '{name}' has an empty subject", iloc)
                out.append(self.term_from_text(text, iloc, role="subject"))
        return out

    def subject_dict(self, node: CommentedMap, loc: Location) -> TermMap:
        e = self.check_keys(node, _SUBJECT_KEYS, "a subject")
        tt = self.term_type(node, e, default=TermType.IRI, allowed=("iri", "blank"))
        if "function" in e:
            if "value" in e:
                raise self.err("a subject takes a `value` or a `function`, not both", loc)
            fn = self.function(node, e, loc)
            return TermMap(fn, tt, origin=str(loc))
        if "value" not in e or e["value"][1] is None:
            if tt is TermType.BLANK_NODE:
                return TermMap(Constant("", "blank"), TermType.BLANK_NODE, origin=str(loc))
            raise self.err("a subject needs a `value` or a `function`", loc)
        key, value = e["value"]
        text = self.scalar(value, self.loc(node, key), "a subject value")
        return self.term_from_text(text, self.loc(node, key), role="subject", term_type=tt)

    def graphs(self, node: Any, key: Any, value: Any) -> tuple[TermMap, ...]:
        loc = self.loc(node, key)
        if value is None:
            return ()
        items = (
            [(v, self.loc(value, i)) for i, v in enumerate(value)]
            if isinstance(value, CommentedSeq)
            else [(value, loc)]
        )
        out: list[TermMap] = []
        for item, iloc in items:
            if isinstance(item, CommentedMap):
                e = self.check_keys(item, _GRAPH_KEYS, "a graph")
                self.term_type(item, e, default=TermType.IRI, allowed=("iri",))
                if "function" in e:
                    out.append(TermMap(self.function(item, e, iloc), TermType.IRI, origin=str(iloc)))
                    continue
                if "value" not in e:
                    raise self.err("a graph needs a `value` or a `function`", iloc)
                k, v = e["value"]
                item, iloc = v, self.loc(item, k)
            text = self.scalar(item, iloc, "a graph")
            out.append(self.term_from_text(text, iloc, role="graph"))
        default_graphs = {RML + "defaultGraph", RR + "defaultGraph"}
        kept = []
        for g in out:
            if isinstance(g.expression, Constant) and g.expression.value in default_graphs:
                g = constant_iri(RML + "defaultGraph")
            kept.append(g)
        if all(
            isinstance(g.expression, Constant) and g.expression.value == RML + "defaultGraph" for g in kept
        ):
            return ()
        return tuple(dict.fromkeys(kept))

    # -- predicate-object maps -------------------------------------------------------------------------
    def predicate_objects(
        self, plan: _Plan, pending: list[tuple[str, RefObjectMap, Location]]
    ) -> tuple[list[PredicateObjectMap], list[tuple[TermMap, PredicateObjectMap]]]:
        poms: list[PredicateObjectMap] = []
        inverse: list[tuple[TermMap, PredicateObjectMap]] = []
        if plan.po is None:
            return poms, inverse
        key, value = plan.po
        loc = self.loc(plan.node, key)
        if value is None:
            return poms, inverse
        if not isinstance(value, CommentedSeq):
            raise self.err("`predicateobjects` must be a list", loc)
        for i, item in enumerate(value):
            iloc = self.loc(value, i)
            pom, inv, refs = self.predicate_object(plan, item, iloc)
            poms.append(pom)
            for ref in refs:
                for tm_id in self.tm_ids[plan.name]:
                    pending.append((tm_id, ref, self.ref_locations.get(ref, iloc)))
            inverse.extend(inv)
        return poms, inverse

    def predicate_object(
        self, plan: _Plan, item: Any, loc: Location
    ) -> tuple[PredicateObjectMap, list[tuple[TermMap, PredicateObjectMap]], list[RefObjectMap]]:
        """One entry of ``predicateobjects``: the POM, its inverse triples, its references to mappings."""
        datatype = language = None
        conditions: list[FunctionCall] = []
        graphs: tuple[TermMap, ...] = ()
        inverse_preds: list[TermMap] = []
        if isinstance(item, CommentedSeq):
            if len(item) < 2:
                raise self.err(
                    "a predicate-object needs a predicate and an object",
                    loc,
                    hint="write [predicate, object] or [predicate, object, datatype]",
                )
            if len(item) > 3:
                raise self.err(
                    "a predicate-object list takes at most [predicate, object, datatype or language~lang]",
                    loc,
                )
            pred_node, pred_loc = item[0], self.loc(item, 0)
            obj_node, obj_loc, obj_container, obj_key = item[1], self.loc(item, 1), item, 1
            if len(item) == 3:
                extra = self.scalar(item[2], self.loc(item, 2), "a datatype or language")
                if extra.endswith("~lang"):
                    language = (extra[: -len("~lang")], self.loc(item, 2))
                else:
                    datatype = (extra, self.loc(item, 2))
        elif isinstance(item, CommentedMap):
            e = self.check_keys(item, _PO_KEYS, "a predicate-object")
            if "predicates" not in e:
                raise self.err("a predicate-object needs `predicates` (p)", loc)
            pk, pred_node = e["predicates"]
            pred_loc = self.loc(item, pk)
            if "objects" not in e or e["objects"][1] is None:
                if "inversepredicates" in e:
                    raise self.err("`inversepredicates` need `objects`", loc)
                raise self.err("a predicate-object needs `objects` (o)", loc)
            ok, obj_node = e["objects"]
            obj_loc, obj_container, obj_key = self.loc(item, ok), item, ok
            if "datatype" in e:
                k, v = e["datatype"]
                datatype = (self.scalar(v, self.loc(item, k), "a datatype"), self.loc(item, k))
            if "language" in e:
                k, v = e["language"]
                language = (self.scalar(v, self.loc(item, k), "a language"), self.loc(item, k))
            if "graphs" in e:
                k, v = e["graphs"]
                graphs = self.graphs(item, k, v)
            if "conditions" in e:
                k, v = e["conditions"]
                conditions = self.conditions(v, self.loc(item, k))
            if "inversepredicates" in e:
                k, v = e["inversepredicates"]
                inverse_preds = self.predicates(v, self.loc(item, k))
        else:
            raise self.err(f"a predicate-object must be a list or a mapping, found {_kind(item)}", loc)
        predicates = self.predicates(pred_node, pred_loc)
        is_type = any(
            isinstance(p.expression, Constant) and p.expression.value == RDF_TYPE for p in predicates
        )
        objects = self.objects(obj_node, obj_loc, obj_container, obj_key, is_type, datatype, language, plan)
        if conditions:
            if any(isinstance(o, RefObjectMap) for o in objects):
                raise UnsupportedFeatureError(
                    "a predicate-object `condition` on an object that refers to another mapping is not "
                    "supported; put the condition on the object (a join condition)",
                    loc,
                )
            objects = [self.guard(o, conditions) for o in objects if isinstance(o, TermMap)]
        refs = [o for o in objects if isinstance(o, RefObjectMap)]
        pom = PredicateObjectMap(tuple(predicates), tuple(objects), graphs, origin=str(loc))
        inverse: list[tuple[TermMap, PredicateObjectMap]] = []
        if inverse_preds:
            for o in objects:
                if isinstance(o, RefObjectMap) or not o.term_type.is_iri:
                    raise UnsupportedFeatureError(
                        "`inversepredicates` are supported for IRI objects only",
                        self.loc(obj_container, obj_key),
                    )
                inverse.append((o, PredicateObjectMap(tuple(inverse_preds), (), graphs, origin=str(loc))))
        return pom, inverse, refs

    def predicates(self, node: Any, loc: Location) -> list[TermMap]:
        items = (
            [(v, self.loc(node, i)) for i, v in enumerate(node)]
            if isinstance(node, CommentedSeq)
            else [(node, loc)]
        )
        if not items:
            raise self.err("a predicate-object needs at least one predicate", loc)
        out = []
        for item, iloc in items:
            if isinstance(item, CommentedMap):
                e = self.check_keys(item, _PREDICATE_KEYS, "a predicate")
                self.term_type(item, e, default=TermType.IRI, allowed=("iri",))
                if "value" not in e:
                    raise self.err("a predicate needs a `value`", iloc)
                k, v = e["value"]
                item, iloc = v, self.loc(item, k)
            if item is None:
                raise self.err("a predicate-object needs a predicate", iloc)
            text = self.scalar(item, iloc, "a predicate")
            if text == "a":
                out.append(TermMap(Constant(RDF_TYPE, "iri"), TermType.IRI, origin=str(iloc)))
                continue
            out.append(self.term_from_text(text, iloc, role="predicate"))
        return out

    def objects(
        self,
        node: Any,
        loc: Location,
        container: Any,
        key: Any,
        is_type: bool,
        datatype: tuple[str, Location] | None,
        language: tuple[str, Location] | None,
        plan: _Plan,
    ) -> list[ObjectMap]:
        if isinstance(node, CommentedSeq):
            items = [(v, self.loc(node, i), node, i) for i, v in enumerate(node)]
        else:
            items = [(node, loc, container, key)]
        if not items:
            raise self.err("a predicate-object needs at least one object", loc)
        out: list[ObjectMap] = []
        for item, iloc, _, _ in items:
            if item is None:
                raise self.err("a predicate-object needs an object", iloc)
            if isinstance(item, CommentedMap):
                out.extend(self.object_dict(item, iloc, is_type, datatype, language, plan))
            elif isinstance(item, CommentedSeq):
                if not 1 <= len(item) <= 2:
                    raise self.err("an object list is [value] or [value, datatype or language~lang]", iloc)
                text = self.scalar(item[0], self.loc(item, 0), "an object")
                dt, lang = datatype, language
                if len(item) == 2:
                    extra = self.scalar(item[1], self.loc(item, 1), "a datatype or language")
                    if extra.endswith("~lang"):
                        lang, dt = (extra[: -len("~lang")], self.loc(item, 1)), None
                    else:
                        dt, lang = (extra, self.loc(item, 1)), None
                out.append(self.object_from_text(text, self.loc(item, 0), is_type, dt, lang))
            else:
                text = self.scalar(item, iloc, "an object")
                out.append(self.object_from_text(text, iloc, is_type, datatype, language))
        return out

    def object_from_text(
        self,
        text: str,
        loc: Location,
        is_type: bool,
        datatype: tuple[str, Location] | None,
        language: tuple[str, Location] | None,
        term_type: TermType | None = None,
    ) -> TermMap:
        if text.endswith("~iri"):
            text = text[: -len("~iri")]
            term_type = term_type or TermType.IRI
        if term_type is None:
            term_type = (
                TermType.IRI if is_type and datatype is None and language is None else TermType.LITERAL
            )
        tm = self.term_from_text(text, loc, role="object", term_type=term_type)
        return self.with_datatype_language(tm, datatype, language, loc)

    def with_datatype_language(
        self,
        tm: TermMap,
        datatype: tuple[str, Location] | None,
        language: tuple[str, Location] | None,
        loc: Location,
    ) -> TermMap:
        dt_iri: str | None = None
        dt_map: TermMap | None = None
        lang: str | None = None
        lang_map: TermMap | None = None
        if datatype is not None:
            text, dloc = datatype
            dterm = self.term_from_text(text, dloc, role="datatype")
            if isinstance(dterm.expression, Constant):
                dt_iri = dterm.expression.value
            else:
                dt_map = TermMap(dterm.expression, TermType.IRI, origin=str(dloc))
        if language is not None:
            text, lloc = language
            value = self.parse_value(text, lloc)
            if value.is_constant:
                tag = value.text
                if not is_language_tag(tag):
                    raise self.err(
                        f"invalid language tag '{tag}'", lloc, hint="use a BCP 47 tag such as 'en' or 'nl-BE'"
                    )
                lang = tag  # as written, like the RML reader
            else:
                lang_map = TermMap(self.expression(value, iri=False), TermType.LITERAL, origin=str(lloc))
            if dt_iri == RDF_LANGSTRING:
                dt_iri = None  # a language tag already makes the literal an rdf:langString
        if (dt_iri or dt_map) and (lang or lang_map):
            raise self.err("an object cannot have both a datatype and a language", loc)
        if (dt_iri or dt_map or lang or lang_map) and tm.term_type is not TermType.LITERAL:
            raise self.err(
                f"a datatype or language needs a literal object, but this object is {_tt_name(tm.term_type)}",
                loc,
            )
        return TermMap(
            tm.expression,
            tm.term_type,
            datatype=dt_iri,
            datatype_map=dt_map,
            language=lang,
            language_map=lang_map,
            origin=tm.origin,
        )

    def object_dict(
        self,
        node: CommentedMap,
        loc: Location,
        is_type: bool,
        datatype: tuple[str, Location] | None,
        language: tuple[str, Location] | None,
        plan: _Plan,
    ) -> list[ObjectMap]:
        e = self.check_keys(node, _OBJECT_KEYS, "an object")
        if "inversepredicates" in e:
            raise self.err("`inversepredicates` belong to the predicate-object, next to `predicates`", loc)
        if "mapping" in e:
            return self.referencing_objects(node, e, loc, plan)
        # The object's own datatype or language replaces the one its predicate-object gives.
        if "datatype" in e:
            k, v = e["datatype"]
            datatype = (self.scalar(v, self.loc(node, k), "a datatype"), self.loc(node, k))
            if "language" not in e:
                language = None
        if "language" in e:
            k, v = e["language"]
            language = (self.scalar(v, self.loc(node, k), "a language"), self.loc(node, k))
            if "datatype" not in e:
                datatype = None
        explicit_type = "type" in e
        default = TermType.IRI if is_type else TermType.LITERAL
        tt = self.term_type(node, e, default=default, allowed=("iri", "literal", "blank"))
        tm: TermMap
        if "function" in e:
            if "value" in e:
                raise self.err("an object takes a `value` or a `function`, not both", loc)
            fn = self.function(node, e, loc)
            tm = self.with_datatype_language(TermMap(fn, tt, origin=str(loc)), datatype, language, loc)
        elif "value" not in e or e["value"][1] is None:
            if tt is not TermType.BLANK_NODE:
                raise self.err("an object needs a `value`, a `function` or a `mapping`", loc)
            tm = TermMap(Constant("", "blank"), TermType.BLANK_NODE, origin=str(loc))
        else:
            k, v = e["value"]
            text = self.scalar(v, self.loc(node, k), "an object value")
            tm = self.object_from_text(
                text, self.loc(node, k), is_type, datatype, language, term_type=tt if explicit_type else None
            )
        if "conditions" in e:
            k, v = e["conditions"]
            tm = self.guard(tm, self.conditions(v, self.loc(node, k)))
        return [tm]

    def referencing_objects(
        self, node: CommentedMap, e: dict[str, Any], loc: Location, plan: _Plan
    ) -> list[ObjectMap]:
        for other in ("value", "function", "parameters", "datatype", "language"):
            if other in e:
                raise self.err(f"an object that refers to a mapping cannot have `{e[other][0]}`", loc)
        if "type" in e:
            self.term_type(node, e, default=TermType.IRI, allowed=("iri", "blank"))
        k, v = e["mapping"]
        mloc = self.loc(node, k)
        names = (
            [self.scalar(x, self.loc(v, i), "a mapping name") for i, x in enumerate(v)]
            if isinstance(v, CommentedSeq)
            else [self.scalar(v, mloc, "a mapping name")]
        )
        joins: tuple[Join, ...] = ()
        for n in names:
            if n not in self.mapping_nodes:
                close = difflib.get_close_matches(n, sorted(self.mapping_nodes), n=1)
                raise self.err(
                    f"unknown mapping '{n}'", mloc, hint=f"did you mean '{close[0]}'?" if close else None
                )
        if "conditions" in e:
            ck, cv = e["conditions"]
            joins = tuple(self.join_conditions(cv, self.loc(node, ck), names))
        out: list[ObjectMap] = []
        for n in names:
            for parent_id in self.tm_ids[n]:
                ref = RefObjectMap(parent_id, joins, origin=str(mloc))
                self.ref_locations.setdefault(ref, mloc)
                out.append(ref)
        return out

    # -- term maps from text -------------------------------------------------------------------------
    def term_from_text(
        self, text: str, loc: Location, *, role: str, term_type: TermType | None = None
    ) -> TermMap:
        """A subject, predicate, object, graph or datatype written as a string."""
        if role in ("subject", "predicate", "graph") and text.endswith("~iri"):
            text = text[: -len("~iri")]
        tt = term_type or (TermType.LITERAL if role == "object" else TermType.IRI)
        iri = tt.is_iri
        value = self.parse_value(text, loc, iri=iri)
        expr = self.expression(value, iri=iri)
        if role == "datatype" and not isinstance(expr, Constant):
            return TermMap(expr, TermType.IRI, origin=str(loc))
        if isinstance(expr, Constant):
            if tt is TermType.LITERAL:
                expr = Constant(expr.value, "literal")
            elif tt is TermType.BLANK_NODE:
                expr = Constant(expr.value, "blank")
            else:
                self.check_iri(expr.value, loc, relative=True)
        elif isinstance(expr, Template) and tt.is_iri:
            for part in expr.parts:
                bad = _IRI_FORBIDDEN.search(part.text)
                if not part.is_reference and bad:
                    raise self.err(f"{bad.group()!r} cannot stand in an IRI ({text!r})", loc)
        return TermMap(expr, tt, origin=str(loc))

    def check_iri(self, iri: str, loc: Location, *, relative: bool = False) -> None:
        """An absolute IRI; or, with ``relative`` and a declared ``base``, one relative to it."""
        bad = _IRI_FORBIDDEN.search(iri)
        if bad:
            raise self.err(f"{bad.group()!r} cannot stand in an IRI ({iri!r})", loc)
        scheme = iri.split(":", 1)[0] if ":" in iri else ""
        if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*$", scheme) or (relative and self.base is not None):
            return
        raise self.err(
            f"'{iri}' is not an absolute IRI",
            loc,
            hint="write a prefixed name (ex:name) or an absolute IRI, or declare a `base` for relative ones",
        )

    def parse_value(self, text: str, loc: Location, *, iri: bool = False) -> _Value:
        """Split ``text$(ref)text`` into parts, expand a leading prefix, apply escapes.

        Outside references ``\\:`` is a colon that is no prefix separator and ``\\(``, ``\\)``,
        ``\\$``, ``\\\\`` are the characters themselves; inside a reference ``\\(`` and ``\\)`` are
        brackets and a leading ``\\_`` marks a regular reference where ``_name`` would be external.
        """
        raw: list[tuple[str, str]] = []  # (kind, text): kind is "text", "ref" or "external"
        buf: list[str] = []
        i = 0
        n = len(text)
        while i < n:
            c = text[i]
            if c == "\\" and i + 1 < n and text[i + 1] in "()$\\":
                buf.append(text[i + 1])
                i += 2
                continue
            if c == "\\" and i + 1 < n and text[i + 1] == ":":
                buf.append("\0")  # a colon that is never a prefix separator
                i += 2
                continue
            if c == "$" and i + 1 < n and text[i + 1] == "(":
                name, regular, end = self.reference(text, i, loc)
                if buf:
                    raw.append(("text", "".join(buf)))
                    buf = []
                if not regular and name.startswith("_") and name[1:] in self.external:
                    raw.append(("external", self.external[name[1:]]))
                else:
                    raw.append(("ref", name))
                i = end
                continue
            buf.append(c)
            i += 1
        if buf:
            raw.append(("text", "".join(buf)))
        if raw and raw[0][0] == "text":
            raw[0] = ("text", self.expand_prefix(raw[0][1], loc, iri=iri))
        parts = [
            TemplatePart(t.replace("\0", ":"), False) if kind == "text" else TemplatePart(t, kind == "ref")
            for kind, t in raw
        ]
        return _Value(tuple(_merge_text(parts)), loc)

    def reference(self, text: str, start: int, loc: Location) -> tuple[str, bool, int]:
        """The reference that starts with ``$(`` at ``start``: (name, regular, index after it)."""
        j = start + 2
        n = len(text)
        ref: list[str] = []
        regular = False
        while j < n:
            d = text[j]
            if d == "\\" and j + 1 < n and text[j + 1] in "()\\":
                ref.append(text[j + 1])
                j += 2
                continue
            if d == "\\" and j + 1 < n and text[j + 1] == "_" and not ref:
                regular = True
                ref.append("_")
                j += 2
                continue
            if d == ")":
                name = "".join(ref)
                if name == "":
                    raise self.err(
                        f"invalid template {text!r}: empty reference '$()' at position {start + 1}", loc
                    )
                return name, regular, j + 1
            ref.append(d)
            j += 1
        raise self.err(
            f"invalid template {text!r}: '$(' at position {start + 1} is never closed",
            loc,
            hint="close the reference with ')', or escape a bracket as \\( or \\)",
        )

    def expand_prefix(self, text: str, loc: Location, *, iri: bool) -> str:
        """``ex:name`` → the IRI; ``http://…`` and escaped colons stay as they are.

        In IRI positions an unknown prefix is an error; in literals the text is kept as written
        (``12:30`` is a time, not a prefixed name).
        """
        colon = _first_unescaped_colon(text)
        if colon < 0:
            return text
        prefix, local = text[:colon], text[colon + 1 :]
        if local.startswith("//") or local.startswith(" ") or not _PREFIX_NAME.match(prefix):
            return text
        if prefix in self.prefixes:
            return self.prefixes[prefix] + local
        if not iri or prefix.lower() in _SCHEMES:
            return text
        close = difflib.get_close_matches(prefix, sorted(self.prefixes), n=1)
        raise self.err(
            f"unknown prefix '{prefix}' in '{text}'",
            loc,
            hint=f"did you mean '{close[0]}'?" if close else "declare it under `prefixes`",
        )

    def expression(self, value: _Value, *, iri: bool) -> Expression:
        parts = value.parts
        if not parts:
            return Constant("", "iri" if iri else "literal")
        if value.is_constant:
            return Constant(value.text, "iri" if iri else "literal")
        if len(parts) == 1:
            return Reference(parts[0].text)
        template = "".join(
            "{" + escape_template_text(p.text) + "}" if p.is_reference else escape_template_text(p.text)
            for p in parts
        )
        return Template(template, tuple(parts))

    def term_type(
        self, node: CommentedMap, e: dict[str, Any], *, default: TermType, allowed: tuple[str, ...]
    ) -> TermType:
        if "type" not in e:
            return default
        k, v = e["type"]
        text = self.scalar(v, self.loc(node, k), "`type`").lower()
        names = {"iri": TermType.IRI, "literal": TermType.LITERAL, "blank": TermType.BLANK_NODE}
        if text not in allowed:
            close = difflib.get_close_matches(text, list(allowed), n=1)
            raise self.err(
                f"`type: {text}` is not allowed here",
                self.loc(node, k),
                hint=f"did you mean '{close[0]}'?" if close else f"use one of: {', '.join(allowed)}",
            )
        return names[text]

    # -- functions and conditions --------------------------------------------------------------------
    def function(self, node: CommentedMap, e: dict[str, Any], loc: Location) -> FunctionCall:
        """``function`` + ``parameters`` of a term, a condition or a parameter value."""
        call, _ = self.function_with_sides(node, e, loc, join=False)
        return call

    def function_with_sides(
        self, node: CommentedMap, e: dict[str, Any], loc: Location, *, join: bool
    ) -> tuple[FunctionCall, set[str]]:
        """The function call, and which join sides (s, o) its parameters read."""
        fk, fv = e["function"]
        floc = self.loc(node, fk)
        ftext = self.scalar(fv, floc, "`function`")
        inputs: list[tuple[str, TermMap]] = []
        sides: set[str] = set()
        shortcut = _split_shortcut(ftext)
        if shortcut is not None:
            # `ex:fn(a = $(x), b = y)`: parameters without a prefix are in the function's namespace.
            ftext, pairs = shortcut
            if "parameters" in e:
                raise self.err("a function written with (…) parameters cannot also have `parameters`", floc)
            fn_iri = self.function_iri(ftext, floc)
            for pname, ptext in pairs:
                inputs.append((self.parameter_iri(pname, fn_iri, floc), self.input_from_text(ptext, floc)))
                sides.add("s")
        else:
            fn_iri = self.function_iri(ftext, floc)
            if "parameters" in e and e["parameters"][1] is not None:
                pk, pv = e["parameters"]
                if not isinstance(pv, CommentedSeq):
                    raise self.err("`parameters` must be a list", self.loc(node, pk))
                for i, p in enumerate(pv):
                    name, value, side = self.parameter(p, self.loc(pv, i), fn_iri, join)
                    inputs.append((name, value))
                    sides |= side
        self.check_function(fn_iri, inputs, floc)
        # Inputs are ordered by parameter, as the RDF reader orders them (RDF keeps no order among
        # rml:input); the sort is stable, so a repeated parameter (grel:array_join's p_array_a)
        # keeps the order written, which is the order of its list.
        return FunctionCall(fn_iri, tuple(sorted(inputs, key=lambda kv: kv[0]))), sides

    def input_from_text(self, text: str, loc: Location) -> TermMap:
        """A parameter value: ``$(x)`` is a reference, other text a constant literal (``~iri``: an IRI)."""
        tt = TermType.LITERAL
        if text.endswith("~iri"):
            text, tt = text[: -len("~iri")], TermType.IRI
        tm = self.term_from_text(text, loc, role="object", term_type=tt)
        return _input_view(tm)

    def parameter(self, p: Any, loc: Location, fn_iri: str, join: bool) -> tuple[str, TermMap, set[str]]:
        side = "s"
        side_given = False
        if isinstance(p, CommentedSeq):
            if not 2 <= len(p) <= 3:
                raise self.err("a parameter is [parameter, value] or [parameter, value, s|o]", loc)
            pname_text = self.scalar(p[0], self.loc(p, 0), "a parameter name")
            value_node, vloc = p[1], self.loc(p, 1)
            if len(p) == 3:
                side, side_given = self.side(p[2], self.loc(p, 2)), True
        elif isinstance(p, CommentedMap):
            e = self.check_keys(p, _PARAMETER_KEYS, "a parameter")
            if "parameter" not in e or "value" not in e:
                raise self.err("a parameter needs `parameter` and `value`", loc)
            pk, pv = e["parameter"]
            pname_text = self.scalar(pv, self.loc(p, pk), "a parameter name")
            vk, value_node = e["value"]
            vloc = self.loc(p, vk)
            if "from" in e:
                fk, fv = e["from"]
                side, side_given = self.side(fv, self.loc(p, fk)), True
            if "type" in e and isinstance(value_node, str):
                t = self.term_type(p, e, default=TermType.LITERAL, allowed=("iri", "literal"))
                if t is TermType.IRI and not value_node.endswith("~iri"):
                    value_node = value_node + "~iri"
        else:
            raise self.err(f"a parameter must be a list or a mapping, found {_kind(p)}", loc)
        if not side_given and fn_iri == EQUAL and pname_text == "str2":
            side = "o"
        pname = self.parameter_iri(pname_text, fn_iri, loc)
        if isinstance(value_node, CommentedMap):
            e = self.check_keys(value_node, _FUNCTION_KEYS, "a parameter value")
            if "function" not in e:
                raise self.err("a parameter value that is a mapping must be a `function`", vloc)
            if "mapping" in e and not join:
                raise self.err("`mapping` is only meaningful in a join condition", vloc)
            call, sides = self.function_with_sides(value_node, e, vloc, join=join)
            tm = TermMap(call, TermType.LITERAL, origin=str(vloc))
            if not sides:
                sides = {side}
            return pname, tm, sides
        if value_node is None:
            raise self.err(f"parameter '{pname_text}' has no value", vloc)
        text = self.scalar(value_node, vloc, "a parameter value")
        return pname, self.input_from_text(text, vloc), {side}

    def side(self, value: Any, loc: Location) -> str:
        text = self.scalar(value, loc, "a parameter side")
        sides = {"s": "s", "subject": "s", "o": "o", "object": "o"}
        if text not in sides:
            raise self.err(f"a parameter side is s (subject) or o (object), found '{text}'", loc)
        return sides[text]

    def function_iri(self, text: str, loc: Location) -> str:
        text = text.strip()
        if text == "equal":
            return EQUAL
        if ":" not in text:
            raise self.err(
                f"function '{text}' needs a prefix",
                loc,
                hint="write e.g. grel:toUpperCase or ffn:trim (only `equal` is known without a prefix)",
            )
        iri = self.expand_prefix(text, loc, iri=True)
        self.check_iri(iri, loc)
        if iri.startswith(FAIRIFY_FN):
            local = iri[len(FAIRIFY_FN) :]
            if local not in FAIRIFY_FUNCTIONS:
                close = difflib.get_close_matches(local, sorted(FAIRIFY_FUNCTIONS), n=1)
                raise self.err(
                    f"unknown fairify function 'ffn:{local}'",
                    loc,
                    hint=f"did you mean 'ffn:{close[0]}'?"
                    if close
                    else f"known: {', '.join(sorted(FAIRIFY_FUNCTIONS))}",
                )
        return iri

    def parameter_iri(self, name: str, fn_iri: str, loc: Location) -> str:
        """A parameter's IRI. Without a prefix it lives in the function's namespace (``equal``:
        ``str1``/``str2`` are GREL's value parameters)."""
        name = name.strip()
        if fn_iri == EQUAL and name in ("str1", "str2"):
            return GREL + ("valueParameter" if name == "str1" else "valueParameter2")
        if ":" in name:
            iri = self.expand_prefix(name, loc, iri=True)
            self.check_iri(iri, loc)
            return iri
        cut = max(fn_iri.rfind("#"), fn_iri.rfind("/"))
        if fn_iri == EQUAL:
            return GREL + name
        return fn_iri[: cut + 1] + name

    def check_function(self, fn_iri: str, inputs: list[tuple[str, TermMap]], loc: Location) -> None:
        if not fn_iri.startswith(FAIRIFY_FN):
            return
        local = fn_iri[len(FAIRIFY_FN) :]
        required, optional = FAIRIFY_FUNCTIONS[local]
        given = [p[len(FAIRIFY_FN) :] if p.startswith(FAIRIFY_FN) else p for p, _ in inputs]
        for g in given:
            if g not in required and g not in optional:
                choices = list(required + optional)
                close = difflib.get_close_matches(g, choices, n=1)
                raise self.err(
                    f"ffn:{local} has no parameter '{g}'",
                    loc,
                    hint=f"did you mean 'ffn:{close[0]}'?"
                    if close
                    else f"its parameters: {', '.join('ffn:' + c for c in choices)}",
                )
        for r in required:
            if r not in given:
                raise self.err(f"ffn:{local} needs the parameter ffn:{r}", loc)
        for g in set(given):
            if given.count(g) > 1:
                raise self.err(f"ffn:{local} is given ffn:{g} twice", loc)

    def conditions(self, value: Any, loc: Location) -> list[FunctionCall]:
        items = (
            [(v, self.loc(value, i)) for i, v in enumerate(value)]
            if isinstance(value, CommentedSeq)
            else [(value, loc)]
        )
        out = []
        for item, iloc in items:
            if not isinstance(item, CommentedMap):
                raise self.err(f"a condition must be a function with parameters, found {_kind(item)}", iloc)
            e = self.check_keys(item, _FUNCTION_KEYS, "a condition")
            if "function" not in e:
                raise self.err("a condition needs a `function`", iloc)
            if "mapping" in e:
                raise self.err("`mapping` belongs to an object, not to a condition", iloc)
            out.append(self.function(item, e, iloc))
        return out

    def guard(self, tm: TermMap, conditions: list[FunctionCall]) -> TermMap:
        """Wrap a term in ``idlab-fn:trueCondition`` per condition, as the reference parser does."""
        for cond in conditions:
            inner = TermMap(cond, TermType.LITERAL)
            value = _input_view(tm)
            call = FunctionCall(TRUE_CONDITION, ((IDLAB_FN + "str", value), (IDLAB_FN + "strBoolean", inner)))
            tm = TermMap(
                call,
                tm.term_type,
                datatype=tm.datatype,
                datatype_map=tm.datatype_map,
                language=tm.language,
                language_map=tm.language_map,
                origin=tm.origin,
            )
        return tm

    def join_conditions(self, value: Any, loc: Location, parents: list[str]) -> list[Join]:
        items = (
            [(v, self.loc(value, i)) for i, v in enumerate(value)]
            if isinstance(value, CommentedSeq)
            else [(value, loc)]
        )
        joins: list[Join] = []
        for item, iloc in items:
            if not isinstance(item, CommentedMap):
                raise self.err(
                    f"a join condition must be a function with parameters, found {_kind(item)}", iloc
                )
            joins.extend(self.join_condition(item, iloc, parents))
        return list(dict.fromkeys(joins))

    def join_condition(self, node: CommentedMap, loc: Location, parents: list[str]) -> list[Join]:
        e = self.check_keys(node, _FUNCTION_KEYS, "a join condition")
        if "function" not in e:
            raise self.err("a join condition needs a `function`", loc)
        if "mapping" in e:
            mk, mv = e["mapping"]
            if self.scalar(mv, self.loc(node, mk), "a mapping name") not in parents:
                raise self.err(
                    "the `mapping` of a nested join condition must be the object's mapping",
                    self.loc(node, mk),
                )
        fk, fv = e["function"]
        floc = self.loc(node, fk)
        ftext = self.scalar(fv, floc, "`function`")
        if _split_shortcut(ftext) is not None:
            call, _ = self.function_with_sides(node, e, loc, join=True)
            raise UnsupportedFeatureError(
                f"a join condition written as a function shortcut ({call.function}) cannot tell the child "
                "from the parent value; list its parameters with s/o",
                floc,
            )
        fn_iri = self.function_iri(ftext, floc)
        raw: list[tuple[Any, Location]] = []
        if "parameters" in e:
            pk, pv = e["parameters"]
            if not isinstance(pv, CommentedSeq):
                raise self.err("`parameters` must be a list", self.loc(node, pk))
            raw = [(p, self.loc(pv, i)) for i, p in enumerate(pv)]
        if fn_iri == BOOLEAN_AND:
            out: list[Join] = []
            for p, ploc in raw:
                value = _parameter_value(p)
                if not isinstance(value, CommentedMap):
                    raise UnsupportedFeatureError(
                        "grel:boolean_and in a join condition must combine conditions (functions)", ploc
                    )
                out.extend(self.join_condition(value, ploc, parents))
            return out
        params = [(*self.parameter(p, ploc, fn_iri, True), p, ploc) for p, ploc in raw]
        if fn_iri != EQUAL:
            raise UnsupportedFeatureError(
                f"a join condition with function <{fn_iri}>: only equal (idlab-fn:equal), or grel:boolean_and "
                "of equals, can be compiled to an RML join",
                floc,
            )
        if len(params) != 2:
            raise self.err(f"equal takes two parameters, found {len(params)}", loc)
        child = [tm for _, tm, sides, _, _ in params if sides == {"s"}]
        parent = [tm for _, tm, sides, _, _ in params if sides == {"o"}]
        if len(child) != 1 or len(parent) != 1:
            raise UnsupportedFeatureError(
                "a join condition must compare one value of this mapping (s) with one value of the referred "
                "mapping (o)",
                loc,
            )
        return [Join(_join_side(child[0]), _join_side(parent[0]))]


@dataclass
class _Plan:
    """A mapping after its sources, subjects and graphs are known, before its predicate-objects."""

    name: str
    file: str
    node: CommentedMap
    loc: Location
    sources: list[LogicalSource]
    subjects: list[TermMap]
    graphs: tuple[TermMap, ...]
    po: tuple[str, Any] | None


# ---------------------------------------------------------------------------------------------
# Helpers


def _key_text(key: Any) -> str:
    """A key as written: a bare ``null:`` key loads as ``None`` but means the word null."""
    return "null" if key is None else str(key)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, CommentedMap):
        return "a mapping"
    if isinstance(value, CommentedSeq):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def _tt_name(tt: TermType) -> str:
    return {TermType.BLANK_NODE: "a blank node", TermType.LITERAL: "a literal"}.get(tt, "an IRI")


def _encoding(encoding: str | None) -> str | None:
    if encoding is None:
        return None
    e = encoding.strip()
    return e.upper() if e.lower() in ("utf-8", "utf8", "utf-16", "utf16") else e


def _guess(access: str) -> Formulation:
    lower = access.lower()
    if lower.endswith((".json", ".json.gz")):
        return Formulation.JSONPATH
    if lower.endswith((".xml", ".xml.gz")):
        return Formulation.XPATH
    return Formulation.CSV


def _merge_text(parts: Iterable[TemplatePart]) -> list[TemplatePart]:
    out: list[TemplatePart] = []
    for p in parts:
        if not p.is_reference and out and not out[-1].is_reference:
            out[-1] = TemplatePart(out[-1].text + p.text, False)
        elif p.is_reference or p.text:
            out.append(p)
    return out


def _first_unescaped_colon(text: str) -> int:
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            i += 2
            continue
        if text[i] == ":":
            return i
        i += 1
    return -1


def _split_shortcut(text: str) -> tuple[str, list[tuple[str, str]]] | None:
    """``ex:fn(a = $(x), b = "y")`` → (``ex:fn``, [(a, $(x)), (b, y)]); None if not a shortcut."""
    text = text.strip()
    open_ = text.find("(")
    if open_ <= 0 or not text.endswith(")") or text[open_ - 1] == "$":
        return None
    name = text[:open_].strip()
    body = text[open_ + 1 : -1]
    pairs: list[tuple[str, str]] = []
    if body.strip() == "":
        return name, pairs
    pieces: list[str] = []
    buf: list[str] = []
    depth = 0
    quote = False
    for c in body:
        if c == '"':
            quote = not quote
        elif not quote and c == "(":
            depth += 1
        elif not quote and c == ")":
            depth -= 1
        if c == "," and depth == 0 and not quote:
            pieces.append("".join(buf))
            buf = []
            continue
        buf.append(c)
    pieces.append("".join(buf))
    for piece in pieces:
        if "=" not in piece:
            return None
        key, value = piece.split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
            value = value[1:-1]
        pairs.append((key.strip(), value))
    return name, pairs


def _parameter_value(p: Any) -> Any:
    if isinstance(p, CommentedSeq):
        return p[1] if len(p) > 1 else None
    if isinstance(p, CommentedMap):
        return p.get("value", p.get("v"))
    return None


def _input_view(tm: TermMap) -> TermMap:
    """A function input is a value, not an output term: only constants keep their term type."""
    if isinstance(tm.expression, Constant):
        return TermMap(tm.expression, tm.term_type, origin=tm.origin)
    return TermMap(tm.expression, TermType.LITERAL, origin=tm.origin)


def _join_side(tm: TermMap) -> TermMap:
    """Join values are compared as strings: an expression map with no output typing."""
    return TermMap(tm.expression, TermType.LITERAL, origin=tm.origin)
