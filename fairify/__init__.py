"""fairify: the toolkit of a FAIR data station.

Clinical tables and DICOM headers become RDF through standard declarative mappings (RML,
R2RML, YARRRML), are validated with SHACL, loaded into Oxigraph and queried with SPARQL
templates into typed DataFrames. The functions here are the whole Python API; the CLI calls
the same ones. (``fairify.query``, ``fairify.validate`` are these functions; their modules are
imported by name, e.g. ``from fairify.query import list_templates``.)
"""

from __future__ import annotations

__version__ = "0.1.0"

from fairify.convert import ConversionResult, convert
from fairify.errors import (
    DataError,
    FairifyError,
    MappingError,
    SourceError,
    UnsupportedFeatureError,
    UsageError,
)
from fairify.mapping import compile_mapping, load_mapping
from fairify.query import query
from fairify.store import load
from fairify.validate import validate

__all__ = [
    "ConversionResult",
    "DataError",
    "FairifyError",
    "MappingError",
    "SourceError",
    "UnsupportedFeatureError",
    "UsageError",
    "__version__",
    "compile_mapping",
    "convert",
    "load",
    "load_mapping",
    "query",
    "validate",
]
