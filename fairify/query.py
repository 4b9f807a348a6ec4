"""SPARQL templates in ``queries/`` run against the store, endpoints or stations; typed DataFrames.

A template is a ``.rq`` file whose ``#+`` comment lines hold a YAML header (the decorator style
grlc made common): a description, its parameters with their kind and default, the type of
each result column and, for an aggregate-only template, its minimum cell count.

Parameters are bound as RDF terms, never pasted into the query text:

* locally by Oxigraph's substitutions, which follow SPARQL SEP-0007 and so require every
  parameter variable to be in the SELECT projection (in an aggregate query, in its GROUP BY
  too). Oxigraph folds ``BOUND(?param)`` of a substituted variable to false, so templates test
  optional parameters with ``COALESCE(?x = ?param, true)``;
* for a remote endpoint by a ``VALUES`` block at the start of the WHERE clause, holding the
  terms as pyoxigraph serialises them (``str(term)``), so quotes, braces, ``#``, newlines or
  ``SERVICE`` in a value stay inside a literal.

Parameter columns are dropped from the result. Results travel as SPARQL CSV and are parsed by
pyarrow under the declared column types (no Python loop per cell); a value that does not fit
its column's type becomes NA.

Aggregate-only templates (``aggregate: true``) declare ``min_cell_count`` and the column(s)
holding each group's count; rows whose count is below the minimum (or missing) are removed
before a result leaves this module, locally, from a served station, and in federation.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyoxigraph as ox
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from fairify.errors import FairifyError, Location, MappingError, UsageError

XSD = "http://www.w3.org/2001/XMLSchema#"
PARAM_KINDS = ("iri", "string", "integer", "decimal", "date", "boolean", "enum")
COLUMN_TYPES = {
    "string": pa.string(),
    "iri": pa.dictionary(pa.int32(), pa.string()),
    "integer": pa.int64(),
    "decimal": pa.float64(),
    "double": pa.float64(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us"),
    "boolean": pa.bool_(),
}
DEFAULT_QUERIES = Path(__file__).resolve().parent.parent / "queries"
DEFAULT_ONTOLOGIES = Path(__file__).resolve().parent.parent / "ontologies"
DEFAULT_MIN_CELL_COUNT = 10


class RemoteError(FairifyError):
    """A station or endpoint failed, timed out or answered something unusable (exit code 3)."""


@dataclass
class Param:
    name: str
    kind: str
    default: Any = None
    description: str = ""
    values: list[str] = field(default_factory=list)  # for kind 'enum': the allowed values
    iris: dict[str, str] = field(default_factory=dict)  # enum value -> IRI it binds to, if any


@dataclass
class Template:
    name: str
    path: Path
    sparql: str
    description: str = ""
    params: dict[str, Param] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    aggregate: bool = False
    min_cell_count: int = 0
    count_columns: list[str] = field(default_factory=list)


def _header(text: str) -> tuple[str, str]:
    head = "\n".join(line[2:] for line in text.splitlines() if line.startswith("#+"))
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#+"))
    return head, body


def read_template(path: str | Path) -> Template:
    path = Path(path)
    head, body = _header(path.read_text(encoding="utf-8"))
    try:
        meta = YAML(typ="safe").load(head) or {}
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise MappingError(
            f"invalid template header: {exc}", Location(file=str(path), line=mark.line + 1 if mark else None)
        ) from exc
    where = Location(file=str(path))
    params: dict[str, Param] = {}
    for p in meta.get("params", []) or []:
        kind = p.get("kind", "string")
        if kind not in PARAM_KINDS:
            raise MappingError(
                f"parameter {p.get('name')!r} has unknown kind {kind!r}",
                where,
                hint=f"kinds: {', '.join(PARAM_KINDS)}",
            )
        values = p.get("values", []) or []
        iris = {}
        if isinstance(values, dict):
            iris = {str(k): str(v) for k, v in values.items()}
            values = list(iris)
        params[p["name"]] = Param(
            p["name"], kind, p.get("default"), p.get("description", ""), [str(v) for v in values], iris
        )
    columns = {str(k): str(v) for k, v in (meta.get("columns") or {}).items()}
    for col, typ in columns.items():
        if typ not in COLUMN_TYPES:
            raise MappingError(
                f"column {col!r} has unknown type {typ!r}", where, hint=f"types: {', '.join(COLUMN_TYPES)}"
            )
    aggregate = bool(meta.get("aggregate", False))
    counts = meta.get("count_columns") or meta.get("count_column") or []
    counts = [counts] if isinstance(counts, str) else [str(c) for c in counts]
    min_cell = int(meta.get("min_cell_count", DEFAULT_MIN_CELL_COUNT if aggregate else 0))
    if aggregate:
        if not counts:
            raise MappingError(
                "an aggregate-only template must name its count column(s) (count_columns)", where
            )
        for c in counts:
            if columns.get(c) != "integer":
                raise MappingError(f"count column {c!r} must be declared as an integer column", where)
        if min_cell < 1:
            raise MappingError("min_cell_count must be at least 1", where)
    return Template(
        name=path.stem,
        path=path,
        sparql=body,
        description=str(meta.get("description", "")),
        params=params,
        columns=columns,
        aggregate=aggregate,
        min_cell_count=min_cell,
        count_columns=counts,
    )


def list_templates(folder: str | Path | None = None) -> list[Template]:
    folder = Path(folder) if folder else DEFAULT_QUERIES
    return [read_template(p) for p in sorted(folder.glob("*.rq"))]


def find_template(name: str, folder: str | Path | None = None) -> Template:
    folder = Path(folder) if folder else DEFAULT_QUERIES
    path = folder / f"{name}.rq"
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or not path.is_file():
        known = ", ".join(t.name for t in list_templates(folder)) or "none"
        raise UsageError(f"no query template {name!r} in {folder}", hint=f"templates: {known}")
    return read_template(path)


# -- binding -----------------------------------------------------------------------------------------


def bind(template: Template, values: dict[str, Any]) -> dict[str, ox.NamedNode | ox.Literal]:
    """Check and convert parameter values into RDF terms; unknown or ill-fitting ones are errors."""
    unknown = set(values) - set(template.params)
    if unknown:
        raise UsageError(
            f"template {template.name} has no parameter {', '.join(sorted(unknown))}",
            hint=f"parameters: {', '.join(template.params) or 'none'}",
        )
    out: dict[str, ox.NamedNode | ox.Literal] = {}
    for name, p in template.params.items():
        v = values.get(name, p.default)
        if v is None:
            continue
        out[name] = _term(template, p, v)
    return out


def _term(t: Template, p: Param, v: Any) -> ox.NamedNode | ox.Literal:
    def bad(expected: str) -> UsageError:
        return UsageError(f"template {t.name}, parameter {p.name}: {v!r} is not {expected}")

    s = str(v).lower() if isinstance(v, bool) else str(v)
    if p.kind == "iri":
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", s):
            raise bad("an absolute IRI")
        try:
            return ox.NamedNode(s)
        except ValueError:
            raise bad("an IRI") from None
    if p.kind == "enum":
        if s not in p.values:
            raise bad(f"one of {', '.join(p.values)}")
        return ox.NamedNode(p.iris[s]) if s in p.iris else ox.Literal(s)
    if p.kind == "integer":
        if not re.fullmatch(r"[+-]?\d{1,18}", s):
            raise bad("an integer")
        return ox.Literal(str(int(s)), datatype=ox.NamedNode(XSD + "integer"))
    if p.kind == "decimal":
        try:
            d = Decimal(s)
        except InvalidOperation:
            raise bad("a decimal number") from None
        if not d.is_finite():
            raise bad("a finite decimal number")
        return ox.Literal(format(d, "f"), datatype=ox.NamedNode(XSD + "decimal"))
    if p.kind == "date":
        try:
            return ox.Literal(date.fromisoformat(s).isoformat(), datatype=ox.NamedNode(XSD + "date"))
        except ValueError:
            raise bad("a date (YYYY-MM-DD)") from None
    if p.kind == "boolean":
        if s.lower() not in ("true", "false", "1", "0", "yes", "no"):
            raise bad("true or false")
        return ox.Literal(
            "true" if s.lower() in ("true", "1", "yes") else "false", datatype=ox.NamedNode(XSD + "boolean")
        )
    return ox.Literal(s)


def with_values(sparql: str, terms: dict[str, ox.NamedNode | ox.Literal]) -> str:
    """The query with a VALUES block binding ``terms`` at the start of its WHERE clause.

    Only pyoxigraph-serialised terms enter the text. The brace is found by a scanner that skips
    comments, strings and IRIs of the (trusted) template; the result is parsed once by
    pyoxigraph to be sure it is still one valid query.
    """
    if not terms:
        return sparql
    at = _where_brace(sparql)
    names = " ".join(f"?{k}" for k in terms)
    row = " ".join(str(v) for v in terms.values())
    block = f"\n  VALUES ({names}) {{ ({row}) }}\n"
    out = sparql[: at + 1] + block + sparql[at + 1 :]
    try:
        ox.Store().query(out)
    except SyntaxError as exc:  # the template, not the values: those are serialised terms
        raise UsageError(f"cannot bind parameters into this query: {exc}") from exc
    return out


_SKIP = re.compile(
    r'#[^\n]*|"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'|<[^<>\"{}|^`\\\s]*>"
)


def _where_brace(sparql: str) -> int:
    i = 0
    while i < len(sparql):
        m = _SKIP.match(sparql, i)
        if m:
            i = m.end()
            continue
        if sparql[i] == "{":
            return i
        i += 1
    raise UsageError("the query has no WHERE clause")


# -- running ---------------------------------------------------------------------------------------


def run_sparql(
    store: ox.Store, sparql: str, substitutions: dict | None = None, columns: dict[str, str] | None = None
) -> pd.DataFrame:
    """Run a SELECT and turn its CSV results into a DataFrame typed by ``columns``.

    The default graph is the union of all graphs (each loaded source is a named graph of its
    own), less the stale versions a killed load may have left (``fairify.store.query_dataset``).
    """
    from fairify.store import query_dataset

    subs = {ox.Variable(k): v for k, v in (substitutions or {}).items()}
    sparql = _expand(sparql)
    try:
        results = store.query(sparql, substitutions=subs, **query_dataset(store))
    except SyntaxError as exc:
        raise UsageError(f"invalid SPARQL: {exc}") from exc
    except (RuntimeError, ValueError) as exc:  # e.g. a substituted variable the query does not project
        raise UsageError(f"the query cannot run: {exc}") from exc
    if not isinstance(results, ox.QuerySolutions):
        raise UsageError("only SELECT queries return tables")
    names = [v.value for v in results.variables]
    data = results.serialize(format=ox.QueryResultsFormat.CSV)
    return csv_to_frame(data, names, columns or {})


def _expand(sparql: str) -> str:
    if "https://w3id.org/fairify/dicom#" in sparql:  # dcm:ROIName -> dcm:30060026
        from fairify.dicom.dictionary import expand_keywords

        return expand_keywords(sparql)
    return sparql


def csv_to_frame(data: bytes, names: list[str], columns: dict[str, str]) -> pd.DataFrame:
    """SPARQL CSV results -> DataFrame: pyarrow parses under the declared types in one pass.

    A value that does not fit its column's type (an ill-typed literal left in the graph, say)
    makes pyarrow refuse the fast pass; the columns are then read as text and each is converted
    with a vectorised check that turns the misfits into NA.
    """
    if not names:
        return pd.DataFrame()
    types = {n: COLUMN_TYPES.get(columns.get(n, "string"), pa.string()) for n in names}
    read = pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=16 << 20)
    parse = pacsv.ParseOptions(newlines_in_values=True)
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=read,
            parse_options=parse,
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                strings_can_be_null=True,
                null_values=[""],
                true_values=["true", "1"],
                false_values=["false", "0"],
            ),
        )
    except pa.ArrowInvalid:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=read,
            parse_options=parse,
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=True, null_values=[""]
            ),
        )
        return strings_to_frame(table, columns)
    return _to_pandas(table)


def strings_to_frame(table: pa.Table, columns: dict[str, str]) -> pd.DataFrame:
    """A table of text columns -> typed DataFrame; values that do not fit become NA."""
    out = []
    for name in table.column_names:
        col = pc.utf8_trim_whitespace(table.column(name).combine_chunks().cast(pa.string()))
        out.append(_convert(col, columns.get(name, "string")))
    return _to_pandas(pa.table(out, names=table.column_names))


_LEXICAL = {
    "integer": r"^[+-]?\d{1,18}$",
    "decimal": r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$",
    "double": r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$",
    "boolean": r"^(true|false|1|0)$",
    "date": r"^-?\d{4}-\d{2}-\d{2}",
    "datetime": r"^-?\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}",
}


def _convert(col: pa.Array, typ: str) -> pa.Array:
    if typ in ("string",):
        return col
    if typ == "iri":
        return col.dictionary_encode()
    ok = pc.fill_null(pc.match_substring_regex(col, _LEXICAL[typ]), False)
    kept = pc.if_else(ok, col, pa.scalar(None, pa.string()))
    if typ == "integer":
        return kept.cast(pa.int64())
    if typ in ("decimal", "double"):
        return kept.cast(pa.float64())
    if typ == "boolean":
        truth = pc.is_in(kept, value_set=pa.array(["true", "1"]))
        return pc.if_else(pc.is_null(kept), pa.scalar(None, pa.bool_()), truth)
    if typ == "date":
        return pc.strptime(pc.utf8_slice_codeunits(kept, 0, 10), "%Y-%m-%d", "s", error_is_null=True).cast(
            pa.date32()
        )
    return pc.strptime(pc.utf8_slice_codeunits(kept, 0, 19), "%Y-%m-%dT%H:%M:%S", "us", error_is_null=True)


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    # datetime64 rather than Python date objects: what pandas and ML code compute with.
    for i, f in enumerate(table.schema):
        if pa.types.is_date32(f.type):
            table = table.set_column(i, f.name, table.column(i).cast(pa.timestamp("s")))
        elif pa.types.is_timestamp(f.type) and f.type.tz is not None:
            table = table.set_column(i, f.name, table.column(i).cast(pa.timestamp(f.type.unit)))
    return table.to_pandas(types_mapper=_pandas_type)


def _pandas_type(t: pa.DataType) -> Any:
    if pa.types.is_int64(t):
        return pd.Int64Dtype()
    if pa.types.is_float64(t):
        return pd.Float64Dtype()
    if pa.types.is_boolean(t):
        return pd.BooleanDtype()
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return pd.StringDtype()
    return None


# -- suppression --------------------------------------------------------------------------------------


def suppress(df: pd.DataFrame, template: Template, min_count: int | None = None) -> tuple[pd.DataFrame, int]:
    """Remove the rows of an aggregate-only template whose count is below its minimum cell count.

    A missing count column or a missing count is treated as too small (fail closed). Returns
    the kept rows and how many were removed.
    """
    if not template.aggregate:
        return df, 0
    k = max(template.min_cell_count, min_count or 0)
    keep = pd.Series(True, index=df.index)
    for c in template.count_columns:
        if c not in df.columns:
            raise UsageError(f"template {template.name}: count column {c!r} is not in its results")
        keep &= df[c].fillna(0).astype("int64") >= k
    kept = df[keep.to_numpy()].reset_index(drop=True)
    return kept, int((~keep).sum())


# -- labels -------------------------------------------------------------------------------------------

_LABELS: dict[str, dict[str, str]] = {}


def ontology_labels(folder: str | Path | None = None) -> dict[str, str]:
    """IRI -> rdfs:label from the Turtle files in ``ontologies/`` (read once)."""
    folder = Path(folder) if folder else DEFAULT_ONTOLOGIES
    key = str(folder.resolve())
    if key not in _LABELS:
        s = ox.Store()
        for p in sorted(folder.glob("*.ttl")):
            s.load(path=str(p), format=ox.RdfFormat.TURTLE)
        q = "SELECT ?x (SAMPLE(?l) AS ?label) WHERE { ?x <http://www.w3.org/2000/01/rdf-schema#label> ?l } GROUP BY ?x"
        _LABELS[key] = {
            r["x"].value: r["label"].value for r in s.query(q) if isinstance(r["x"], ox.NamedNode)
        }
    return _LABELS[key]


def add_labels(df: pd.DataFrame, columns: dict[str, str], folder: str | Path | None = None) -> pd.DataFrame:
    """Replace the categories of IRI columns by their rdfs:label where the ontologies have one."""
    labels = ontology_labels(folder)
    for c, typ in columns.items():
        if typ == "iri" and c in df.columns and isinstance(df[c].dtype, pd.CategoricalDtype):
            cats = df[c].cat.categories
            new = [labels.get(x, x) for x in cats]
            df[c] = (
                df[c].cat.rename_categories(new)
                if len(set(new)) == len(new)
                else df[c].astype("string").map(labels).fillna(df[c].astype("string")).astype("category")
            )
    return df


# -- local, remote and federated ------------------------------------------------------------------------


def _template(name_or_template: str | Template, queries: str | Path | None) -> Template:
    if isinstance(name_or_template, Template):
        return name_or_template
    return find_template(name_or_template, queries)


def _open(store: str | Path | ox.Store) -> ox.Store:
    """A store given by its folder is opened read-only for the query; an open one is used as it is
    (ML code that queries in a loop keeps Oxigraph's caches warm that way; a store opened read-only
    may not see loads made after it was opened, so reopen it after one)."""
    if isinstance(store, ox.Store):
        return store
    from fairify.store import open_store

    return open_store(store, read_only=True)


def run_local(t: Template, store: str | Path | ox.Store, params: dict[str, Any]) -> pd.DataFrame:
    """A template on a local store: parameters bound by substitution; suppression applied."""
    subs = bind(t, params)
    try:
        df = run_sparql(_open(store), t.sparql, subs, t.columns)
    except UsageError as exc:
        raise UsageError(f"template {t.name} ({t.path}): {exc.message}") from exc
    df = df.drop(columns=[c for c in df.columns if c in t.params])
    return suppress(df, t, _min_param(t, params))[0]


def _min_param(t: Template, params: dict[str, Any]) -> int | None:
    """A template's own ``min_count`` parameter may raise its threshold, never lower it."""
    v = params.get("min_count", t.params["min_count"].default if "min_count" in t.params else None)
    return int(v) if v is not None and str(v).lstrip("+-").isdigit() else None


def run_endpoint(
    sparql: str,
    endpoint: str,
    columns: dict[str, str] | None = None,
    *,
    timeout: float = 60,
    headers: dict[str, str] | None = None,
) -> pd.DataFrame:
    """POST a query to a SPARQL 1.1 endpoint asking for CSV results; typed as ``columns``."""
    body = urllib.parse.urlencode({"query": sparql}).encode()
    req = urllib.request.Request(
        endpoint,
        data=body,
        method="POST",
        headers={
            "Accept": "text/csv",
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "fairify",
            **(headers or {}),
        },
    )
    data = _fetch(req, endpoint, timeout)
    head = data.split(b"\n", 1)[0].decode("utf-8", "replace").strip("\r\ufeff")
    names = [n.strip() for n in head.split(",")] if head else []
    return csv_to_frame(data, names, columns or {})


def _fetch(req: urllib.request.Request, where: str, timeout: float) -> bytes:
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:300].decode("utf-8", "replace").strip()
        with contextlib.suppress(ValueError, AttributeError):
            detail = json.loads(detail).get("error", detail)
        raise RemoteError(f"{where}: HTTP {exc.code}: {detail}") from exc
    except TimeoutError as exc:
        raise RemoteError(f"{where}: no answer within {timeout:g} s") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            raise RemoteError(f"{where}: no answer within {timeout:g} s") from exc
        raise RemoteError(f"{where}: {reason}") from exc


def run_remote(t: Template, endpoint: str, params: dict[str, Any], *, timeout: float = 60) -> pd.DataFrame:
    """A template on a SPARQL endpoint: parameters bound by a VALUES block of serialised terms."""
    sparql = with_values(_expand(t.sparql), bind(t, params))
    df = run_endpoint(sparql, endpoint, t.columns, timeout=timeout)
    df = df.drop(columns=[c for c in df.columns if c in t.params])
    return suppress(df, t, _min_param(t, params))[0]


def run_station(
    name: str, station: str, params: dict[str, Any], *, timeout: float = 60
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A named aggregate-only template at a station's API (``fairify serve --aggregate-only``).

    The station binds, runs and suppresses; this side only types the columns it declares.
    """
    url = station.rstrip("/") + "/templates/" + urllib.parse.quote(name, safe="")
    body = json.dumps({"params": {k: (v if isinstance(v, str) else str(v)) for k, v in params.items()}})
    req = urllib.request.Request(
        url,
        data=body.encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json", "User-Agent": "fairify"},
    )
    raw = _fetch(req, station, timeout)
    try:
        doc = json.loads(raw)
        columns: dict[str, str] = doc["columns"]
        names = list(columns)
        rows = doc["rows"]
    except (ValueError, KeyError, TypeError) as exc:
        raise RemoteError(f"{station}: not a fairify station answer") from exc
    arrays = [
        pa.array([None if r[i] is None else str(r[i]) for r in rows], type=pa.string())
        for i in range(len(names))
    ]
    df = strings_to_frame(pa.table(arrays, names=names), columns)
    return df, doc


@dataclass
class FederatedResult:
    """One DataFrame with a ``station`` column, and what went wrong where."""

    frame: pd.DataFrame
    errors: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)


def _station_names(urls: list[str]) -> list[tuple[str, str]]:
    """``NAME=URL`` or ``URL`` (named by its host:port) -> (name, url)."""
    out = []
    for u in urls:
        name, _, rest = u.partition("=")
        if rest and "://" not in name:
            out.append((name, rest))
        else:
            p = urllib.parse.urlparse(u)
            out.append((p.netloc or u, u))
    return out


def federate(
    name_or_template: str | Template | None = None,
    *,
    endpoints: list[str] | None = None,
    stations: list[str] | None = None,
    store: str | Path | ox.Store | None = None,
    sparql: str | None = None,
    queries: str | Path | None = None,
    timeout: float = 60,
    labels: bool = False,
    **params: Any,
) -> FederatedResult:
    """Ask every endpoint/station (and the local store, if given) at once; one frame back.

    A station that fails or times out is reported in ``errors``; the others' rows still come
    back. Template parameters are checked before anything is sent.
    """
    t = _template(name_or_template, queries) if name_or_template is not None else None
    if t is None and sparql is None:
        raise UsageError("give a template name or --sparql")
    if t is not None:
        bind(t, params)  # a bad parameter is an error before any station is asked
    if stations and t is None:
        raise UsageError("stations answer named templates only, not --sparql")
    if stations and t is not None and not t.aggregate:
        raise UsageError(
            f"template {t.name} is not aggregate-only; stations answer only aggregate-only templates"
        )
    jobs: list[tuple[str, Any]] = []
    if store is not None:
        jobs.append(("local", lambda: _one_local(t, store, sparql, params)))
    for nm, url in _station_names(endpoints or []):
        jobs.append((nm, lambda url=url: _one_remote(t, url, sparql, params, timeout)))
    for nm, url in _station_names(stations or []):
        jobs.append((nm, lambda url=url: run_station(t.name, url, params, timeout=timeout)[0]))  # type: ignore[union-attr]
    if not jobs:
        raise UsageError("give --store, --endpoint or --station")
    result = FederatedResult(pd.DataFrame())
    frames: list[pd.DataFrame] = []

    def timed(job: Any) -> tuple[pd.DataFrame, float]:
        t0 = time.perf_counter()
        return job(), time.perf_counter() - t0

    with ThreadPoolExecutor(max_workers=min(16, len(jobs))) as pool:
        futures = [(nm, pool.submit(timed, job)) for nm, job in jobs]
        for nm, fut in futures:
            try:
                df, secs = fut.result()
            except FairifyError as exc:
                result.errors[nm] = str(exc)
                continue
            result.seconds[nm] = secs
            result.rows[nm] = len(df)
            df.insert(0, "station", nm)
            frames.append(df)
    if frames:
        df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        df["station"] = df["station"].astype(pd.CategoricalDtype([nm for nm, _ in jobs]))
        for c, typ in (t.columns if t else {}).items():
            if typ == "iri" and c in df.columns and not isinstance(df[c].dtype, pd.CategoricalDtype):
                df[c] = df[c].astype("category")  # concat of different categories gives text
        if labels and t is not None:
            df = add_labels(df, t.columns)
        result.frame = df
    return result


def _one_local(
    t: Template | None, store: str | Path | ox.Store, sparql: str | None, params: dict
) -> pd.DataFrame:
    if t is not None:
        return run_local(t, store, params)
    return run_sparql(_open(store), sparql or "")


def _one_remote(
    t: Template | None, url: str, sparql: str | None, params: dict, timeout: float
) -> pd.DataFrame:
    if t is not None:
        return run_remote(t, url, params, timeout=timeout)
    return run_endpoint(sparql or "", url, timeout=timeout)


def query(
    name_or_template: str | Template,
    store: str | Path | ox.Store | None = None,
    *,
    endpoint: str | list[str] | None = None,
    station: str | list[str] | None = None,
    queries: str | Path | None = None,
    labels: bool = False,
    timeout: float = 60,
    **params: Any,
) -> pd.DataFrame:
    """Run a template: ``fairify.query("cohort_survival", store="./store", tstage="T3")``.

    ``store`` is a store folder or an open ``pyoxigraph.Store`` (``fairify.store.open_store``).

    With one store the result is that store's typed DataFrame. With endpoints or stations
    (``endpoint=[url, ...]``) it is their union with a ``station`` column; stations that failed
    are listed in ``df.attrs["errors"]`` (an error is raised only if none answered).
    """
    t = _template(name_or_template, queries)
    endpoints = [endpoint] if isinstance(endpoint, str) else list(endpoint or [])
    stations = [station] if isinstance(station, str) else list(station or [])
    if not endpoints and not stations:
        if store is None:
            raise UsageError(f"template {t.name}: give a store, an endpoint or a station")
        df = run_local(t, store, params)
        return add_labels(df, t.columns) if labels else df
    r = federate(
        t, endpoints=endpoints, stations=stations, store=store, timeout=timeout, labels=labels, **params
    )
    if r.errors and not r.rows:
        raise RemoteError(f"template {t.name}: no station answered: " + "; ".join(r.errors.values()))
    r.frame.attrs["errors"] = r.errors
    return r.frame
