"""``fairify mapping init``: draft a YARRRML mapping from a table a steward has never mapped.

The draft is a starting point that already runs: one property per column with an inferred
datatype, the missing-value tokens the table uses declared as nulls, identifier columns
pseudonymised, direct identifiers left out, and for coded columns a value-map table listing
every code found, to be filled in with ontology IRIs.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from fairify.engine.sinks import write_atomic
from fairify.errors import UsageError
from fairify.mapping.model import Formulation, LogicalSource
from fairify.sources import open_source

MISSING_TOKENS = (
    "",
    "NA",
    "N/A",
    "n/a",
    "na",
    "NULL",
    "null",
    "None",
    "NaN",
    "nan",
    "-",
    ".",
    "?",
    "missing",
)
SAMPLE_ROWS = 50_000
SITE_VOCAB = "https://example.org/site/vocab#"
PATIENT_PREFIX = "https://example.org/site/patient/"

_ID = re.compile(r"(^|_|\b)(patient|subject|person|case|record|mrn|pat)?_?(id|nr|number|no|mrn)$", re.I)
_DIRECT = re.compile(
    r"(^|_)(name|first_?name|last_?name|surname|given_?name|birth|dob|date_?of_?birth|address|street|"
    r"zip|post_?code|phone|telephone|email|e_?mail|ssn|bsn|nhs|insurance)($|_)",
    re.I,
)
_DATE_FORMATS = [
    ("%Y-%m-%d", r"^\d{4}-\d{2}-\d{2}$"),
    ("%d/%m/%Y", r"^\d{1,2}/\d{1,2}/\d{4}$"),
    ("%m/%d/%Y", r"^\d{1,2}/\d{1,2}/\d{4}$"),
    ("%d-%m-%Y", r"^\d{1,2}-\d{1,2}-\d{4}$"),
    ("%d.%m.%Y", r"^\d{1,2}\.\d{1,2}\.\d{4}$"),
    ("%Y%m%d", r"^\d{8}$"),
]


@dataclass
class ColumnDraft:
    name: str
    kind: str  # identifier | direct-identifier | integer | decimal | date | coded | string | empty
    datatype: str | None = None
    date_formats: list[str] = field(default_factory=list)
    codes: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class Draft:
    mapping: Path
    columns: list[ColumnDraft]
    value_maps: list[Path]
    nulls: list[str]


def _slug(name: str) -> str:
    s = re.sub(r"[^0-9A-Za-z]+", "_", name).strip("_").lower()
    return s or "column"


def _camel(name: str) -> str:
    parts = [p for p in re.split(r"[^0-9A-Za-z]+", name) if p]
    if not parts:
        return "value"
    s = parts[0].lower() + "".join(p[:1].upper() + p[1:].lower() for p in parts[1:])
    return s if s[0].isalpha() else "c" + s


def _all_match(values: pa.Array, pattern: str) -> bool:
    return len(values) > 0 and bool(pc.all(pc.match_substring_regex(values, pattern)).as_py())


def _infer(name: str, values: pa.Array, max_codes: int) -> ColumnDraft:
    if _DIRECT.search(name):
        return ColumnDraft(name, "direct-identifier")
    if len(values) == 0:
        return ColumnDraft(name, "empty")
    if _ID.search(name):
        return ColumnDraft(name, "identifier")
    trimmed = pc.utf8_trim_whitespace(values)
    distinct = pc.value_counts(trimmed)
    n_distinct = len(distinct)
    if _all_match(trimmed, r"^[+-]?\d+$"):
        # Small integers repeated many times are codes (ECOG 0-4, event 0/1); otherwise counts.
        if n_distinct <= min(max_codes, 6) and len(trimmed) >= 10 * n_distinct:
            return _coded(name, distinct)
        return ColumnDraft(name, "integer", "xsd:integer")
    if _all_match(trimmed, r"^[+-]?(\d+\.?\d*|\.\d+)$"):
        return ColumnDraft(name, "decimal", "xsd:decimal")
    formats = []
    for fmt, pattern in _DATE_FORMATS:
        matches = pc.match_substring_regex(trimmed, pattern)
        parsed = pc.strptime(trimmed.filter(matches), fmt, "s", error_is_null=True)
        if pc.sum(matches).as_py() and parsed.null_count == 0:
            formats.append((fmt, pc.sum(matches).as_py()))
    if formats:
        ok = pa.array([False] * len(trimmed))
        chosen: list[str] = []
        for fmt, _ in sorted(formats, key=lambda f: -f[1]):
            pattern = dict(_DATE_FORMATS)[fmt]
            m = pc.match_substring_regex(trimmed, pattern)
            if pc.any(pc.and_(m, pc.invert(ok))).as_py():
                chosen.append(fmt)
                ok = pc.or_(ok, m)
        if pc.all(ok).as_py():
            return ColumnDraft(name, "date", "xsd:date", date_formats=chosen)
    if n_distinct <= max_codes:
        return _coded(name, distinct)
    return ColumnDraft(name, "string")


def _pair(key: str, value: str) -> CommentedSeq:
    """``[ffn:value, $(col)]`` written on one line, as YARRRML examples do."""
    seq = CommentedSeq([key, value])
    seq.fa.set_flow_style()
    return seq


def _coded(name: str, distinct: pa.StructArray) -> ColumnDraft:
    codes = sorted(
        zip(distinct.field("values").to_pylist(), distinct.field("counts").to_pylist(), strict=True)
    )
    return ColumnDraft(name, "coded", codes=[(str(v), int(c)) for v, c in codes])


def _source_for(table: Path) -> LogicalSource:
    suffix = table.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".parquet"):
        return LogicalSource(Formulation.TABLE, path=str(table))
    if suffix in (".csv", ".tsv", ".txt", ".gz", ".zip"):
        return LogicalSource(Formulation.CSV, path=str(table))
    raise UsageError(
        f"cannot draft a mapping for {table.name}", hint="give a .csv, .tsv, .xlsx or .parquet table"
    )


def _sample(table: Path) -> tuple[dict[str, pa.Array], LogicalSource]:
    """The first rows of every column (tabular readers expose their ``header``)."""
    source = _source_for(table)
    with open_source(source, [], base_dir=Path.cwd()) as probe:
        names = list(getattr(probe, "header", []) or [])
    if not names:
        raise UsageError(f"{table} has no header row to draft a mapping from")
    reader = open_source(source, names, base_dir=Path.cwd(), chunk_rows=SAMPLE_ROWS)
    try:
        chunk = next(iter(reader), None)
    finally:
        reader.close()
    if chunk is None:
        raise UsageError(f"{table} has a header but no rows to learn from")
    return {k: chunk.columns[k].cast(pa.string()) for k in names}, source


def init_mapping(table: str | Path, output: str | Path, *, max_codes: int = 20) -> Draft:
    """Write a YARRRML draft for ``table`` to ``output`` (and value-map tables beside it)."""
    table = Path(table)
    output = Path(output)
    if not table.is_file():
        raise UsageError(f"table {table} not found")
    columns, _ = _sample(table)
    nulls = sorted(
        {t for col in columns.values() for t in MISSING_TOKENS if pc.any(pc.equal(col, t)).as_py()},
        key=str.lower,
    )
    drafts = []
    for name, col in columns.items():
        values = (
            col.filter(pc.invert(pc.is_in(col, value_set=pa.array(nulls, pa.string())))) if nulls else col
        )
        drafts.append(_infer(name, values.drop_null(), max_codes))

    stem = output.name.split(".")[0]
    vm_dir = output.parent / f"{stem}.valuemaps"
    rel_table = Path(_relpath(table, output.parent))
    value_maps: list[Path] = []

    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    doc = CommentedMap()
    doc["prefixes"] = CommentedMap(
        [
            ("site", SITE_VOCAB),
            ("xsd", "http://www.w3.org/2001/XMLSchema#"),
            ("ffn", "https://w3id.org/fairify/fn#"),
        ]
    )
    doc.yaml_set_start_comment(
        f"Draft mapping for {table.name}, written by `fairify mapping init`.\n"
        "Replace the site: terms with ontology terms (NCIT, ROO, ...) and fill in the value maps."
    )
    source = CommentedMap([("access", str(rel_table)), ("referenceFormulation", "csv")])
    if _source_for(table).formulation is Formulation.TABLE:
        source["referenceFormulation"] = "table"
    if nulls:
        source["null"] = CommentedSeq(nulls)
    doc["sources"] = CommentedMap([(_slug(stem) or "table", source)])

    ident = next((d for d in drafts if d.kind == "identifier"), None)
    m = CommentedMap()
    m["sources"] = CommentedSeq([_slug(stem) or "table"])
    if ident is not None:
        m["s"] = CommentedMap(
            [
                ("function", "ffn:pseudonym"),
                (
                    "parameters",
                    CommentedSeq(
                        [
                            _pair("ffn:value", f"$({ident.name})"),
                            _pair("ffn:prefix", PATIENT_PREFIX),
                        ]
                    ),
                ),
                ("type", "iri"),
            ]
        )
    else:
        first = drafts[0].name
        m["s"] = f"https://example.org/site/record/$({first})"
    po = CommentedSeq()
    po.append(_pair("a", "site:Record"))
    for d in drafts:
        pred = f"site:{_camel(d.name)}"
        if d.kind in ("identifier", "direct-identifier", "empty"):
            continue
        if d.kind == "coded":
            vm = vm_dir / f"{_slug(d.name)}.csv"
            value_maps.append(vm)
            rel = _relpath(vm, output.parent)
            po.append(
                CommentedMap(
                    [
                        ("p", pred),
                        (
                            "o",
                            CommentedMap(
                                [
                                    ("function", "ffn:valueMap"),
                                    (
                                        "parameters",
                                        CommentedSeq(
                                            [
                                                _pair("ffn:value", f"$({d.name})"),
                                                _pair("ffn:table", rel),
                                            ]
                                        ),
                                    ),
                                    ("type", "iri"),
                                ]
                            ),
                        ),
                    ]
                )
            )
        elif d.kind == "date" and d.date_formats != ["%Y-%m-%d"]:
            po.append(
                CommentedMap(
                    [
                        ("p", pred),
                        (
                            "o",
                            CommentedMap(
                                [
                                    ("function", "ffn:parseDate"),
                                    (
                                        "parameters",
                                        CommentedSeq(
                                            [
                                                _pair("ffn:value", f"$({d.name})"),
                                                _pair("ffn:format", "|".join(d.date_formats)),
                                            ]
                                        ),
                                    ),
                                    ("datatype", "xsd:date"),
                                ]
                            ),
                        ),
                    ]
                )
            )
        elif d.datatype:
            seq = CommentedSeq([pred, f"$({d.name})", d.datatype])
            seq.fa.set_flow_style()
            po.append(seq)
        else:
            po.append(_pair(pred, f"$({d.name})"))
    m["po"] = po
    left_out = [d.name for d in drafts if d.kind == "direct-identifier"]
    doc["mappings"] = CommentedMap([(_slug(stem) or "record", m)])
    if left_out:
        doc.yaml_set_comment_before_after_key(
            "mappings",
            before="Left out as direct identifiers (privacy by default): " + ", ".join(left_out),
        )
    if ident is not None:
        m.yaml_set_comment_before_after_key(
            "s",
            before=f"'{ident.name}' is an identifier: only its keyed pseudonym reaches the graph",
            indent=4,
        )

    buf = io.StringIO()
    yaml.dump(doc, buf)
    write_atomic(output, buf.getvalue().encode("utf-8"))
    for d, vm in zip([d for d in drafts if d.kind == "coded"], value_maps, strict=True):
        _write_value_map(vm, d)
    return Draft(output, drafts, value_maps, nulls)


def _write_value_map(path: Path, draft: ColumnDraft) -> None:
    """Codes found, most frequent first; ``iri`` is left empty for the steward to fill in."""
    if path.exists():
        return  # never overwrite a steward's work
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["code", "iri", "label", "count"])
    for code, count in sorted(draft.codes, key=lambda c: (-c[1], c[0])):
        w.writerow([code, "", "", count])
    write_atomic(path, buf.getvalue().encode("utf-8"))


def _relpath(path: Path, start: Path) -> str:
    return os.path.relpath(path.resolve(), start.resolve())
