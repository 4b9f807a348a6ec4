"""The functions a mapping may call (RML-FNML), implemented on whole columns.

fairify's own functions live in ``https://w3id.org/fairify/fn#`` (prefix ``ffn``): value maps,
date parsing, pseudonyms and string normalisation, the few things clinical conversions need
beyond RML. A handful of GREL/IDLab functions are also understood because YARRRML compiles
conditions into them. Any other function IRI is refused before data is read.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from fairify.engine.datatypes import strict_strptime
from fairify.errors import Location, MappingError, UnsupportedFeatureError, UsageError
from fairify.mapping.model import FAIRIFY_FN, Constant, FunctionCall
from fairify.pseudonym import HOW_TO, pseudonymise

GREL = "http://users.ugent.be/~bjdmeest/function/grel.ttl#"
IDLAB = "https://w3id.org/imec/idlab/function#"


@dataclass
class Result:
    """A function's output column; ``bad`` marks inputs it could not handle (reported by row)."""

    values: pa.Array
    bad: pa.Array | None = None
    problem: str = ""


@dataclass
class Context:
    mapping_dir: Path
    secret: bytes | None = None
    _tables: dict[Path, tuple[pa.Array, pa.Array]] = field(default_factory=dict)


Impl = Callable[[dict[str, pa.Array]], Result]


@dataclass(frozen=True)
class Spec:
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    constant: tuple[str, ...] = ()  # parameters that must be constants (known before data is read)
    build: Callable[[Context, dict[str, str], str], Impl] | None = None
    # Other IRIs a parameter is known by: (alternative, canonical). IDLab's equal is called with
    # GREL's value parameters by YARRRML and RMLMapper; the implementation sees canonical names.
    aliases: tuple[tuple[str, str], ...] = ()


def _norm(values: pa.Array) -> pa.Array:
    return pc.utf8_lower(pc.utf8_trim_whitespace(values))


def _blank_to_null(values: pa.Array) -> pa.Array:
    trimmed = pc.utf8_trim_whitespace(values)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), values)


def _value_map(ctx: Context, consts: dict[str, str], origin: str) -> Impl:
    path = (ctx.mapping_dir / consts[FAIRIFY_FN + "table"]).resolve()
    if path not in ctx._tables:
        ctx._tables[path] = _read_lookup(path, origin)
    codes, iris = ctx._tables[path]

    def run(args: dict[str, pa.Array]) -> Result:
        values = _blank_to_null(args[FAIRIFY_FN + "value"])
        idx = pc.index_in(_norm(values), value_set=codes)
        out = pc.take(iris, idx)
        bad = pc.and_(pc.is_valid(values), pc.is_null(idx))
        return Result(out, bad, f"code not in the value map {path.name}")

    return run


def _read_lookup(path: Path, origin: str) -> tuple[pa.Array, pa.Array]:
    if not path.is_file():
        raise MappingError(f"value map table {path} not found", Location(element=origin))
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or "code" not in reader.fieldnames or "iri" not in reader.fieldnames:
            raise MappingError(
                f"value map table must have the columns 'code' and 'iri'; found {reader.fieldnames}",
                Location(file=str(path), line=1),
            )
        seen: dict[str, str] = {}
        for i, row in enumerate(reader, start=2):
            code = (row["code"] or "").strip().lower()
            iri = (row["iri"] or "").strip()
            if not code:
                continue
            if code in seen and seen[code] != iri:
                raise MappingError(
                    f"code {row['code']!r} is mapped twice, to {seen[code]} and {iri}",
                    Location(file=str(path), line=i),
                )
            if iri:
                seen[code] = iri
    return pa.array(list(seen), pa.string()), pa.array(list(seen.values()), pa.string())


def _parse_date(ctx: Context, consts: dict[str, str], origin: str) -> Impl:
    formats = [f.strip() for f in consts[FAIRIFY_FN + "format"].split("|") if f.strip()]
    if not formats:
        raise MappingError("ffn:parseDate needs at least one format", Location(element=origin))

    def run(args: dict[str, pa.Array]) -> Result:
        values = pc.utf8_trim_whitespace(_blank_to_null(args[FAIRIFY_FN + "value"]))
        parsed = None
        for fmt in formats:
            attempt = strict_strptime(values, fmt)
            parsed = attempt if parsed is None else pc.coalesce(parsed, attempt)
        out = pc.strftime(parsed, "%Y-%m-%d")
        bad = pc.and_(pc.is_valid(values), pc.is_null(parsed))
        return Result(out, bad, f"not a date in the format {' or '.join(formats)}")

    return run


def _pseudonym(ctx: Context, consts: dict[str, str], origin: str) -> Impl:
    if ctx.secret is None:
        raise UsageError("the mapping pseudonymises identifiers but no site secret is set", hint=HOW_TO)
    secret = ctx.secret
    prefix = consts.get(FAIRIFY_FN + "prefix", "")

    def run(args: dict[str, pa.Array]) -> Result:
        values = _blank_to_null(args[FAIRIFY_FN + "value"])
        hashed = pseudonymise(values, secret)
        return Result(pc.binary_join_element_wise(prefix, hashed, "") if prefix else hashed)

    return run


def _unary(fn: Callable[[pa.Array], pa.Array], param: str) -> Callable[[Context, dict[str, str], str], Impl]:
    def build(ctx: Context, consts: dict[str, str], origin: str) -> Impl:
        return lambda args: Result(fn(args[param]))

    return build


def _normalize(values: pa.Array) -> pa.Array:
    return pc.utf8_lower(pc.replace_substring_regex(pc.utf8_trim_whitespace(values), r"\s+", " "))


def _equal(ctx: Context, consts: dict[str, str], origin: str) -> Impl:
    def run(args: dict[str, pa.Array]) -> Result:
        eq = pc.equal(args[IDLAB + "str"], args[IDLAB + "otherStr"])
        return Result(pc.if_else(eq, "true", "false"))

    return run


def _not_equal(ctx: Context, consts: dict[str, str], origin: str) -> Impl:
    def run(args: dict[str, pa.Array]) -> Result:
        eq = pc.equal(args[IDLAB + "str"], args[IDLAB + "otherStr"])
        return Result(pc.if_else(eq, "false", "true"))

    return run


def _true_condition(ctx: Context, consts: dict[str, str], origin: str) -> Impl:
    def run(args: dict[str, pa.Array]) -> Result:
        cond = pc.equal(pc.utf8_lower(args[IDLAB + "strBoolean"]), "true")
        return Result(
            pc.if_else(pc.fill_null(cond, False), args[IDLAB + "str"], pa.scalar(None, pa.string()))
        )

    return run


def _is_null(ctx: Context, consts: dict[str, str], origin: str) -> Impl:
    def run(args: dict[str, pa.Array]) -> Result:
        return Result(pc.if_else(pc.is_null(args[IDLAB + "str"]), "true", "false"))

    return run


V = FAIRIFY_FN + "value"
_EQUAL_ALIASES = ((GREL + "valueParameter", IDLAB + "str"), (GREL + "valueParameter2", IDLAB + "otherStr"))
FUNCTIONS: dict[str, Spec] = {
    FAIRIFY_FN + "valueMap": Spec(
        (V, FAIRIFY_FN + "table"), constant=(FAIRIFY_FN + "table",), build=_value_map
    ),
    FAIRIFY_FN + "parseDate": Spec(
        (V, FAIRIFY_FN + "format"), constant=(FAIRIFY_FN + "format",), build=_parse_date
    ),
    FAIRIFY_FN + "pseudonym": Spec(
        (V,), optional=(FAIRIFY_FN + "prefix",), constant=(FAIRIFY_FN + "prefix",), build=_pseudonym
    ),
    FAIRIFY_FN + "trim": Spec((V,), build=_unary(pc.utf8_trim_whitespace, V)),
    FAIRIFY_FN + "lower": Spec((V,), build=_unary(pc.utf8_lower, V)),
    FAIRIFY_FN + "upper": Spec((V,), build=_unary(pc.utf8_upper, V)),
    FAIRIFY_FN + "normalize": Spec((V,), build=_unary(_normalize, V)),
    GREL + "toUpperCase": Spec(
        (GREL + "valueParameter",), build=_unary(pc.utf8_upper, GREL + "valueParameter")
    ),
    GREL + "toLowerCase": Spec(
        (GREL + "valueParameter",), build=_unary(pc.utf8_lower, GREL + "valueParameter")
    ),
    GREL + "string_trim": Spec(
        (GREL + "valueParameter",), build=_unary(pc.utf8_trim_whitespace, GREL + "valueParameter")
    ),
    IDLAB + "equal": Spec((IDLAB + "str", IDLAB + "otherStr"), build=_equal, aliases=_EQUAL_ALIASES),
    IDLAB + "notEqual": Spec((IDLAB + "str", IDLAB + "otherStr"), build=_not_equal, aliases=_EQUAL_ALIASES),
    IDLAB + "trueCondition": Spec((IDLAB + "strBoolean", IDLAB + "str"), build=_true_condition),
    IDLAB + "isNull": Spec((IDLAB + "str",), build=_is_null),
}


def prepare(call: FunctionCall, ctx: Context, origin: str) -> Impl:
    """Check a call against its function's signature and bind its constant parameters."""
    spec = FUNCTIONS.get(call.function)
    if spec is not None and call.output is not None:
        raise UnsupportedFeatureError(
            f"function <{call.function}> has one output; the mapping asks for <{call.output}>",
            Location(element=origin),
        )
    if spec is None:
        raise UnsupportedFeatureError(
            f"function <{call.function}> is not supported",
            Location(element=origin),
            hint="fairify runs its ffn: functions (valueMap, parseDate, pseudonym, trim, lower, upper, "
            "normalize) and the GREL/IDLab functions YARRRML conditions use",
        )
    aliases = dict(spec.aliases)
    written: dict[str, str] = {}  # canonical parameter -> the IRI the call gives it by
    for p, _ in call.inputs:
        canonical = aliases.get(p, p)
        if written.setdefault(canonical, p) != p:
            raise MappingError(
                f"function <{call.function}> is given {written[canonical]} and {p}, which are the same parameter",
                Location(element=origin),
            )
    given = set(written)
    missing = [p for p in spec.required if p not in given]
    if missing:
        raise MappingError(
            f"function <{call.function}> is missing the parameter(s) {', '.join(_names(missing, spec))}",
            Location(element=origin),
        )
    unknown = {written[p] for p in given - set(spec.required) - set(spec.optional)}
    if unknown:
        raise MappingError(
            f"function <{call.function}> has no parameter(s) {', '.join(sorted(unknown))}",
            Location(element=origin),
            hint=f"its parameters are {', '.join(_names(spec.required + spec.optional, spec))}",
        )
    consts: dict[str, str] = {}
    for p, tm in call.inputs:
        canonical = aliases.get(p, p)
        if canonical in spec.constant:
            if not isinstance(tm.expression, Constant):
                raise MappingError(
                    f"parameter {p} of <{call.function}> must be a constant", Location(element=origin)
                )
            consts[canonical] = tm.expression.value
    if spec.build is None:
        raise UnsupportedFeatureError(
            f"function <{call.function}> has no implementation", Location(element=origin)
        )
    impl = spec.build(ctx, consts, origin)
    if not any(p in aliases for p in written.values()):
        return impl

    def run(args: dict[str, pa.Array]) -> Result:
        return impl({aliases.get(p, p): v for p, v in args.items()})

    return run


def _names(params: tuple[str, ...] | list[str], spec: Spec) -> list[str]:
    """Parameters as a message lists them: each with the other IRIs it is known by."""
    others: dict[str, list[str]] = {}
    for alternative, canonical in spec.aliases:
        others.setdefault(canonical, []).append(alternative)
    return [" or ".join([p, *others.get(p, [])]) for p in params]
