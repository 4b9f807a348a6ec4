"""SPARQL templates in ``queries/`` run against the store and return typed DataFrames.

A template is a ``.rq`` file whose ``#+`` comment lines hold a YAML header (the decorator style
grlc made common): a description, its parameters with their kind and default, and the type of
each result column. Parameters are bound as RDF terms, never pasted into the query text: locally
by Oxigraph's substitutions, which follow SPARQL SEP-0007 and so require every parameter
variable to be in the SELECT projection (in an aggregate query, in its GROUP BY too). Parameter
columns are dropped from the result.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyoxigraph as ox
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from fairify.errors import Location, MappingError, UsageError

XSD = "http://www.w3.org/2001/XMLSchema#"
PARAM_KINDS = ("iri", "string", "integer", "decimal", "date", "boolean", "enum")
COLUMN_TYPES = {
    "string": pa.string(),
    "iri": pa.string(),
    "integer": pa.int64(),
    "decimal": pa.float64(),
    "double": pa.float64(),
    "date": pa.date32(),
    "datetime": pa.timestamp("s"),
    "boolean": pa.bool_(),
}
DEFAULT_QUERIES = Path(__file__).resolve().parent.parent / "queries"


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
    params: dict[str, Param] = {}
    for p in meta.get("params", []) or []:
        kind = p.get("kind", "string")
        if kind not in PARAM_KINDS:
            raise MappingError(
                f"parameter {p.get('name')!r} has unknown kind {kind!r}",
                Location(file=str(path)),
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
    return Template(
        name=path.stem,
        path=path,
        sparql=body,
        description=str(meta.get("description", "")),
        params=params,
        columns={str(k): str(v) for k, v in (meta.get("columns") or {}).items()},
    )


def list_templates(folder: str | Path | None = None) -> list[Template]:
    folder = Path(folder) if folder else DEFAULT_QUERIES
    return [read_template(p) for p in sorted(folder.glob("*.rq"))]


def find_template(name: str, folder: str | Path | None = None) -> Template:
    folder = Path(folder) if folder else DEFAULT_QUERIES
    path = folder / f"{name}.rq"
    if not path.is_file():
        known = ", ".join(t.name for t in list_templates(folder)) or "none"
        raise UsageError(f"no query template {name!r} in {folder}", hint=f"templates: {known}")
    return read_template(path)


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

    s = str(v)
    if p.kind == "iri":
        try:
            return ox.NamedNode(s)
        except ValueError:
            raise bad("an IRI") from None
    if p.kind == "enum":
        if s not in p.values:
            raise bad(f"one of {', '.join(p.values)}")
        return ox.NamedNode(p.iris[s]) if s in p.iris else ox.Literal(s)
    if p.kind == "integer":
        if not re.fullmatch(r"[+-]?\d+", s):
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


def run_sparql(
    store: ox.Store, sparql: str, substitutions: dict | None = None, columns: dict[str, str] | None = None
) -> pd.DataFrame:
    """Run a SELECT and turn its CSV results into a DataFrame typed by ``columns``.

    The default graph is the union of all graphs: each loaded file is a named graph of its own.
    """
    subs = {ox.Variable(k): v for k, v in (substitutions or {}).items()}
    try:
        results = store.query(sparql, substitutions=subs, use_default_graph_as_union=True)
    except SyntaxError as exc:
        raise UsageError(f"invalid SPARQL: {exc}") from exc
    except RuntimeError as exc:  # e.g. a substituted variable that the query does not project
        raise UsageError(f"the query cannot run: {exc}") from exc
    if not isinstance(results, ox.QuerySolutions):
        raise UsageError("only SELECT queries return tables")
    names = [v.value for v in results.variables]
    data = results.serialize(format=ox.QueryResultsFormat.CSV)
    return csv_to_frame(data, names, columns or {})


def csv_to_frame(data: bytes, names: list[str], columns: dict[str, str]) -> pd.DataFrame:
    types = {n: COLUMN_TYPES.get(columns.get(n, "string"), pa.string()) for n in names}
    if not names:
        return pd.DataFrame()
    table = pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
        convert_options=pacsv.ConvertOptions(
            column_types=types,
            strings_can_be_null=True,
            null_values=[""],
            true_values=["true", "1"],
            false_values=["false", "0"],
        ),
    )
    # datetime64 rather than Python date objects: what pandas and ML code compute with.
    for i, col in enumerate(table.schema):
        if pa.types.is_date32(col.type):
            table = table.set_column(i, col.name, table.column(i).cast(pa.timestamp("s")))
    df = table.to_pandas(types_mapper=_pandas_type)
    for n in names:
        if columns.get(n) == "iri":
            df[n] = df[n].astype("category")
    return df


def _pandas_type(t: pa.DataType) -> Any:
    if pa.types.is_int64(t):
        return pd.Int64Dtype()
    if pa.types.is_float64(t):
        return pd.Float64Dtype()
    if pa.types.is_boolean(t):
        return pd.BooleanDtype()
    if pa.types.is_string(t):
        return pd.StringDtype()
    return None


def query(
    name_or_template: str | Template, store: str | Path, *, queries: str | Path | None = None, **params: Any
) -> pd.DataFrame:
    """Run a template from ``queries/`` on a store: ``fairify.query("cohort_by_stage", store="./store")``."""
    from fairify.store import open_store

    t = (
        name_or_template
        if isinstance(name_or_template, Template)
        else find_template(name_or_template, queries)
    )
    subs = bind(t, params)
    try:
        df = run_sparql(open_store(store), t.sparql, subs, t.columns)
    except UsageError as exc:
        raise UsageError(f"template {t.name} ({t.path}): {exc.message}") from exc
    return df.drop(columns=[c for c in df.columns if c in t.params])
