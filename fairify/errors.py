"""The one exception tree of fairify.

Every error the library raises on purpose is a ``FairifyError``; it carries where the problem is
(file, line/row, column, DICOM tag, mapping element) so that the CLI can print one readable line.

    FairifyError                      exit code 3 (anything else that stopped the run)
    ├── UsageError                    exit code 2 (bad options, missing secret, unknown template)
    ├── MappingError                  exit code 2 (the mapping is invalid: read before any data)
    │   └── UnsupportedFeatureError   exit code 2 (valid RML, but a feature fairify refuses)
    ├── SourceError                   exit code 3 (a source cannot be read: missing, ragged, bad encoding)
    └── DataError                     exit code 1 (values do not conform: bad datatype, unmapped code)

The library never prints or exits; ``fairify.cli`` maps ``exit_code`` to the process status.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Location:
    """Where a problem is. Every part is optional; ``str()`` gives the human form."""

    file: str | None = None
    line: int | None = None
    column: int | None = None
    row: int | None = None
    field: str | None = None
    tag: str | None = None
    element: str | None = None

    def __str__(self) -> str:
        parts: list[str] = []
        if self.file:
            head = self.file
            if self.line is not None:
                head += f":{self.line}"
                if self.column is not None:
                    head += f":{self.column}"
            parts.append(head)
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.field is not None:
            parts.append(f"column '{self.field}'")
        if self.tag is not None:
            parts.append(f"tag {self.tag}")
        if self.element is not None:
            parts.append(self.element)
        return ", ".join(parts)


class FairifyError(Exception):
    """Base class: a message plus an optional location."""

    exit_code = 3

    def __init__(self, message: str, location: Location | None = None, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.location = location or Location()
        self.hint = hint

    def __str__(self) -> str:
        where = str(self.location)
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class UsageError(FairifyError):
    exit_code = 2


class MappingError(FairifyError):
    exit_code = 2


class UnsupportedFeatureError(MappingError):
    pass


class SourceError(FairifyError):
    exit_code = 3


class DataError(FairifyError):
    exit_code = 1


@dataclass
class Issue:
    """A reported (not raised) data problem, e.g. a value that does not parse as its datatype."""

    message: str
    location: Location = field(default_factory=Location)
    value: str | None = None

    def __str__(self) -> str:
        where = str(self.location)
        return f"{where}: {self.message}" if where else self.message
