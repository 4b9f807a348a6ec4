"""fairify: the toolkit of a FAIR data station.

Clinical tables and DICOM headers become RDF through standard declarative mappings (RML,
R2RML, YARRRML), are validated with SHACL, loaded into Oxigraph and queried with SPARQL
templates into typed DataFrames. The functions here are the whole Python API; the CLI calls
the same ones. (``fairify.convert``, ``fairify.query``, ``fairify.validate`` are these functions;
their modules are imported by name, e.g. ``from fairify.query import list_templates``.)

The submodules are imported on first use (PEP 562), so that ``import fairify`` and a CSV
conversion do not pay for pandas, rdflib, pyshacl or SPARQLWrapper.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from fairify.errors import (
    DataError,
    FairifyError,
    MappingError,
    SourceError,
    UnsupportedFeatureError,
    UsageError,
)

__version__ = "0.1.0"

if TYPE_CHECKING:
    from fairify.convert import ConversionResult, convert
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

# Public name -> the module that defines it, imported when the name is first looked up.
_LAZY = {
    "ConversionResult": "fairify.convert",
    "convert": "fairify.convert",
    "compile_mapping": "fairify.mapping",
    "load_mapping": "fairify.mapping",
    "query": "fairify.query",
    "load": "fairify.store",
    "validate": "fairify.validate",
}
# Names that are both a function here and a submodule of the same name defining it.
_SHADOWED = frozenset({"convert", "query", "validate"})


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """Keeps ``fairify.convert``/``query``/``validate`` the functions once their module is imported.

    Importing a submodule (``from fairify.query import list_templates``) makes the import system
    set it as an attribute of this package, which would hide the function of the same name; the
    function is kept instead, as when the submodules were imported eagerly here.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _SHADOWED and isinstance(value, types.ModuleType):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
