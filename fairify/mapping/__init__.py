"""Mapping languages: every dialect is read into one model (``fairify.mapping.model``)."""

from __future__ import annotations

from pathlib import Path

from fairify.errors import Location, MappingError
from fairify.mapping.model import Mapping

YAML_SUFFIXES = (".yml", ".yaml", ".yarrrml")


def load_mapping(path: str | Path, *, base_iri: str | None = None) -> Mapping:
    """Read a YARRRML, RML, legacy RML or R2RML file, chosen by its content and suffix."""
    path = Path(path)
    if not path.exists():
        raise MappingError("mapping file not found", Location(file=str(path)))
    if path.is_dir():
        raise MappingError("is a folder; expected a mapping file", Location(file=str(path)))
    if path.suffix.lower() in YAML_SUFFIXES:
        from fairify.mapping.yarrrml import read_yarrrml

        mapping = read_yarrrml(path)
        if base_iri and not mapping.base_iri:
            mapping.base_iri = base_iri
        return mapping
    from fairify.mapping.rdf import read_rdf_mapping

    return read_rdf_mapping(path, base_iri=base_iri)


def compile_mapping(path: str | Path, output: str | Path | None = None) -> str:
    """Any accepted dialect as canonical RML Turtle; written atomically to ``output`` if given."""
    from fairify.mapping.writer import to_rml_turtle

    text = to_rml_turtle(load_mapping(path))
    if output is not None:
        from fairify.engine.sinks import write_atomic

        write_atomic(Path(output), text.encode("utf-8"))
    return text


__all__ = ["Mapping", "compile_mapping", "load_mapping"]
