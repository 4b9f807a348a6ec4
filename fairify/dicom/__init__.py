"""DICOM headers to RDF, de-identified: the generic conversion and the DICOM logical source.

``convert_dicom(folder_or_dicomdir, "out/imaging.nq")`` converts every header with fairify's
generic model (``graph.py``) under the PS3.15 Annex E profile (``deid.py``); mappings read DICOM
through the ``DICOM`` reference formulation (``source.py``). See docs/architecture.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fairify.dicom.convert import DicomResult, convert_dicom
    from fairify.dicom.deid import Profile

__all__ = ["DicomResult", "Profile", "convert_dicom"]


def __getattr__(name: str) -> Any:  # lazy: importing fairify.dicom stays cheap
    if name in ("convert_dicom", "DicomResult"):
        from fairify.dicom import convert

        return getattr(convert, name)
    if name == "Profile":
        from fairify.dicom.deid import Profile

        return Profile
    raise AttributeError(name)
