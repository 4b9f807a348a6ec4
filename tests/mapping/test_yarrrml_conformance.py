"""The reference YARRRML parser's own cases, judged as ../shared/conformance/README.md says.

In scope: the YARRRML file and the RML/R2RML file the reference parser generated from it must become
the same model (after ``yarrrml_support.normalised``); a mapping that is invalid RML (no source, a
join without condition across sources) must be refused by both readers. Out of scope (logical
targets, LDES, Web of Things): refused with an error naming the feature. ``invalid/``: refused with
an error naming the file and line.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import rdflib
from rdflib.compare import to_isomorphic

import fairify
from fairify.errors import MappingError, UnsupportedFeatureError
from fairify.mapping.model import Formulation, Mapping
from fairify.mapping.yarrrml import read_yarrrml
from tests.conftest import needs_shared
from tests.mapping.yarrrml_support import (
    RESULTS,
    YARRRML,
    Case,
    describe_difference,
    feature_word,
    has_data,
    in_scope_cases,
    invalid_files,
    out_of_scope_files,
    same_model,
)

try:
    from fairify.mapping.rdf import read_rdf_mapping
except ImportError:  # the RDF reader is written alongside; until it exists the pairs cannot be judged
    read_rdf_mapping = None  # type: ignore[assignment]

# Cases that cannot match, and why. Keyed by the case folder; each reason is a defect of the case
# (or a deliberate fairify rule), never a shortcoming worked around in the reader.
KNOWN = {
    "example8/rml": "the YARRRML is not valid YAML: a double-quoted scalar uses the escape '\\:' "
    "(YAML 1.2 §5.7 has none); the reference parser's YAML library accepts it",
    "example8/r2rml": "the YARRRML is not valid YAML: a double-quoted scalar uses the escape '\\:' "
    "(YAML 1.2 §5.7 has none); the reference parser's YAML library accepts it",
    "prefix-expand": "fairify refuses an undeclared prefix in an IRI position ('sp:statement'); the reference "
    "parser logs an error and emits the IRI 'sp:statement'",
}
R2RML_FILE_SOURCE = (
    "R2RML cannot describe file sources: the reference parser's R2RML generator drops the YARRRML source and "
    "emits an rr:LogicalTable with neither table nor query, which is not a valid R2RML mapping"
)


def _read_yarrrml(case: Case) -> Mapping:
    return read_yarrrml(case.yarrrml if len(case.yarrrml) > 1 else case.yarrrml[0])


def _known_reason(case: Case) -> str | None:
    folder = str(case.rdf.parent.relative_to(YARRRML))
    if folder in KNOWN:
        return KNOWN[folder]
    if case.is_r2rml:
        try:
            y = _read_yarrrml(case)
        except MappingError:
            return None
        if any(tm.source.formulation is not Formulation.SQL for tm in y.triples_maps.values()):
            return R2RML_FILE_SOURCE
    return None


@pytest.mark.parametrize("case", in_scope_cases(), ids=lambda c: c.id)
def test_same_model(case: Case, request: pytest.FixtureRequest) -> None:
    needs_shared(YARRRML)
    if read_rdf_mapping is None:
        pytest.skip("fairify.mapping.rdf.read_rdf_mapping does not exist yet")
    reason = _known_reason(case)
    if reason:
        RESULTS["xfail"][case.id] = True
        request.applymarker(pytest.mark.xfail(reason=reason, strict=True))
    RESULTS["in scope"][case.id] = False
    y = r = None
    y_error = r_error = None
    try:
        y = _read_yarrrml(case)
    except MappingError as exc:
        y_error = exc
    try:
        r = read_rdf_mapping(case.rdf)
    except MappingError as exc:
        r_error = exc
    if y_error is not None or r_error is not None:
        assert y_error is not None, f"only the RDF reader refuses: {r_error}"
        assert r_error is not None, f"only the YARRRML reader refuses: {y_error}"
        assert not isinstance(y_error, UnsupportedFeatureError), y_error
        RESULTS["refused by both"][case.id] = True
        RESULTS["in scope"][case.id] = True
        return
    assert y is not None and r is not None
    assert same_model(y, r), describe_difference(y, r)
    RESULTS["in scope"][case.id] = True


@pytest.mark.parametrize("path", out_of_scope_files(), ids=lambda p: str(p.relative_to(YARRRML)))
def test_out_of_scope_refused(path: Path) -> None:
    needs_shared(YARRRML)
    key = str(path.relative_to(YARRRML))
    RESULTS["out of scope"][key] = False
    with pytest.raises(UnsupportedFeatureError) as info:
        read_yarrrml(path)
    message = str(info.value)
    assert feature_word(path).lower() in message.lower(), message
    assert info.value.location.file == str(path) and info.value.location.line is not None, message
    RESULTS["out of scope"][key] = True


@pytest.mark.parametrize("path", invalid_files(), ids=lambda p: p.name)
def test_invalid_refused(path: Path) -> None:
    needs_shared(YARRRML)
    RESULTS["invalid"][path.name] = False
    with pytest.raises(MappingError) as info:
        read_yarrrml(path)
    loc = info.value.location
    assert loc.file == str(path) and loc.line is not None, str(info.value)
    assert str(info.value).startswith(f"{path}:{loc.line}"), str(info.value)
    RESULTS["invalid"][path.name] = True


def _quads(path: Path) -> dict[str, rdflib.Graph]:
    """N-Quads as graph name → graph, so that datasets compare graph by graph."""
    ds = rdflib.Dataset()
    ds.parse(path, format="nquads")
    out: dict[str, rdflib.Graph] = {}
    for s, p, o, g in ds.quads((None, None, None, None)):
        key = "" if g is None or g == rdflib.graph.DATASET_DEFAULT_GRAPH_ID else str(g)
        out.setdefault(key, rdflib.Graph()).add((s, p, o))
    return out


@pytest.mark.parametrize("case", [c for c in in_scope_cases() if has_data(c)], ids=lambda c: c.id)
def test_same_output(case: Case, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """Where the case has input data, both mappings must give isomorphic N-Quads."""
    needs_shared(YARRRML)
    if read_rdf_mapping is None:
        pytest.skip("fairify.mapping.rdf.read_rdf_mapping does not exist yet")
    reason = _known_reason(case)
    if reason:
        request.applymarker(pytest.mark.xfail(reason=reason, strict=True))
    work = tmp_path / "case"
    shutil.copytree(case.rdf.parent, work)
    try:
        y = read_yarrrml([work / p.name for p in case.yarrrml])
        r = read_rdf_mapping(work / case.rdf.name)
    except MappingError:
        pytest.skip("a reader refuses this case (judged by test_same_model)")
    RESULTS["same output"][case.id] = False
    outputs = []
    errors: list[fairify.FairifyError] = []
    for name, model in (("yarrrml", y), ("rdf", r)):
        out = tmp_path / f"{name}.nq"
        try:
            fairify.convert(model, out, on_error="fail", provenance=False)
        except fairify.FairifyError as exc:  # e.g. a function the engine does not run
            errors.append(exc)
            continue
        outputs.append(_quads(out))
    if errors:
        assert len(errors) == 2 and type(errors[0]) is type(errors[1]), (
            f"only one mapping fails to run: {errors}"
        )
        RESULTS["same output"][case.id] = True
        RESULTS["both fail to run"][case.id] = True
        return
    a, b = outputs
    assert a.keys() == b.keys(), (sorted(a), sorted(b))
    for key in a:
        assert to_isomorphic(a[key]) == to_isomorphic(b[key]), (
            f"graph {key or 'default'}:\n{a[key].serialize(format='nt')}\n---\n{b[key].serialize(format='nt')}"
        )
    RESULTS["same output"][case.id] = True
