"""Write ``dicom.ttl``: fairify's DICOM vocabulary, generated from pydicom's data dictionary.

Three parts:

* ``dcm:`` (``https://w3id.org/fairify/dicom#``): one property per tag that fairify may output
  (under any de-identification option), named by its 8 hex digits like the DICOM JSON model, with
  the keyword as ``rdfs:label``, and ``dcmo:vr``, ``dcmo:vm`` and ``dcmo:retired`` (only when
  true); the attribute's name is pydicom's (``pydicom.datadict.dictionary_description``). Attributes the de-identification always removes (names,
  private, binary, bulky) are not listed: they never appear in a graph.
* ``dcmo:`` (``https://w3id.org/fairify/dicom/model#``): the generic model's classes and
  properties (``fairify/dicom/graph.py``).
* ``tg263:`` (``https://w3id.org/fairify/tg263#``): the structure names of AAPM TG-263 that
  ``mappings/valuemaps/roi_names.csv`` maps ROI names to (fairify's IRIs; TG-263 has none).

    python ontologies/build_dicom_vocab.py           # write dicom.ttl
    python ontologies/build_dicom_vocab.py --check   # exit 1 if dicom.ttl is stale
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pydicom
from pydicom.datadict import DicomDictionary

from fairify.dicom.deid import Policy, Profile, Rule
from fairify.dicom.dictionary import DICOM_NS, MODEL_NS

OUTPUT = Path(__file__).resolve().parent / "dicom.ttl"
TG263_NS = "https://w3id.org/fairify/tg263#"

CLASSES = {
    "Patient": "A patient: the node the clinical tables name by the same keyed pseudonym.",
    "Study": "A DICOM study, named by its remapped Study Instance UID.",
    "Series": "A DICOM series, named by its remapped Series Instance UID.",
    "Instance": "A DICOM composite instance (one file), named by its remapped SOP Instance UID.",
    "FrameOfReference": "A frame of reference, named by its remapped Frame of Reference UID.",
    "Item": "An item of a sequence: the parent's IRI + tag + item number.",
    "ROI": "A region of interest of an RT Structure Set (an item of the Structure Set ROI Sequence), "
    "named <structure set instance>/roi/<ROI Number>.",
    "ROIContour": "An item of the ROI Contour Sequence (its contour points are not output).",
    "ROIObservation": "An item of the RT ROI Observations Sequence.",
    "FractionGroup": "An item of an RT Plan's Fraction Group Sequence, named <plan instance>/fraction-group/<number>.",
    "DoseReference": "An item of an RT Plan's Dose Reference Sequence (prescribed dose), "
    "named <plan instance>/dose-reference/<number>.",
    "Beam": "An item of an RT Plan's (Ion) Beam Sequence (its control points are not output), "
    "named <plan instance>/beam/<Beam Number>.",
    "Segment": "An item of a Segmentation's Segment Sequence, named <instance>/segment/<Segment Number>.",
}
PROPERTIES = {
    "hasStudy": "patient to study",
    "hasSeries": "study to series",
    "hasInstance": "series to instance",
    "frameOfReference": "instance to its frame of reference",
    "itemIndex": "the number of an item in its sequence, from 1",
    "hasROI": "structure set to its ROIs",
    "interpretedType": "an ROI's RT ROI Interpreted Type (GTV, CTV, PTV, ORGAN, ...), from its observation",
    "referencedInstance": "item to the instance its Referenced SOP Instance UID names",
    "referencedSeries": "item to the series its Series Instance UID names",
    "referencedStudy": "item to the study its Study Instance UID names",
    "referencedFrameOfReference": "item to the frame of reference its UID names",
    "referencedROI": "item to the ROI its Referenced ROI Number names (same structure set, or the one the "
    "object references)",
    "referencedBeam": "item to the beam its Referenced Beam Number names (same plan, or the referenced plan)",
    "referencedDoseReference": "item to the dose reference its number names (same plan, or the referenced plan)",
    "referencedFractionGroup": "item to the fraction group its number names (same plan, or the referenced "
    "plan: RT Dose ReferencedRTPlanSequence/ReferencedFractionGroupSequence)",
    "referencedSegment": "item to the segment its Referenced Segment Number names (same or referenced segmentation)",
    "references": "instance to an instance it references anywhere in its header",
    "referencesPlan": "instance (e.g. RT Dose) to the RT Plan of its Referenced RT Plan Sequence",
    "referencesStructureSet": "RT Plan to the RT Structure Set of its Referenced Structure Set Sequence",
    "referencesDose": "instance to the RT Dose of its Referenced Dose Sequence",
    "referencesSeries": "instance (e.g. RT Structure Set, Segmentation) to a series it references",
    "referencesStudy": "instance to a study it references",
    "referencesFrameOfReference": "instance to a frame of reference it references",
    "standardStructure": "ROI to the TG-263 structure its cleaned name maps to (mappings/dicom_rt.yarrrml.yml)",
    "vr": "the value representation of a DICOM attribute",
    "vm": "the value multiplicity of a DICOM attribute",
    "retired": "true for attributes the DICOM standard has retired",
}
DATATYPES = {"Unparsed": "A value that does not parse as its VR, kept as written (and reported)."}
# TG-263 primary names used by mappings/valuemaps/roi_names.csv.
TG263 = ("GTVp", "CTV_7000", "PTV_7000", "Parotid_L", "Parotid_R", "SpinalCord", "Brainstem", "Bone_Mandible")


def _lit(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render() -> str:
    policy = Policy(
        Profile(
            dates="keep",
            retain_patient_characteristics=True,
            retain_device_identity=True,
            retain_institution_identity=True,
        )
    )
    out = [
        "# fairify's DICOM vocabulary. Generated by ontologies/build_dicom_vocab.py from pydicom "
        f"{pydicom.__version__}'s data dictionary; do not edit.",
        f"@prefix dcm: <{DICOM_NS}> .",
        f"@prefix dcmo: <{MODEL_NS}> .",
        f"@prefix tg263: <{TG263_NS}> .",
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
        "",
        "# The generic model (fairify/dicom/graph.py)",
    ]
    for name, comment in CLASSES.items():
        out.append(f"dcmo:{name} a owl:Class ; rdfs:label {_lit(name)} ; rdfs:comment {_lit(comment)} .")
    for name, comment in PROPERTIES.items():
        out.append(f"dcmo:{name} a rdf:Property ; rdfs:label {_lit(name)} ; rdfs:comment {_lit(comment)} .")
    for name, comment in DATATYPES.items():
        out.append(f"dcmo:{name} a rdfs:Datatype ; rdfs:label {_lit(name)} ; rdfs:comment {_lit(comment)} .")
    out += ["", "# AAPM TG-263 structure names (fairify's IRIs for them)"]
    for name in TG263:
        out.append(f"tg263:{name} a owl:Class ; rdfs:label {_lit(name)} .")
    out += ["", "# One property per DICOM attribute fairify may output: label = keyword"]
    for tag in sorted(DicomDictionary):
        vr, vm, _, retired, keyword = DicomDictionary[tag]
        if not keyword or policy.rule(tag) is Rule.DROP:
            continue
        line = f"dcm:{tag:08X} rdfs:label {_lit(keyword)} ; dcmo:vr {_lit(vr)} ; dcmo:vm {_lit(vm)}"
        if retired:
            line += " ; dcmo:retired true"
        out.append(line + " .")
    text = "\n".join(out) + "\n"
    return text.replace(
        "@prefix dcm:", "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n@prefix dcm:", 1
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if dicom.ttl differs from what would be written"
    )
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        same = OUTPUT.is_file() and OUTPUT.read_text(encoding="utf-8") == text
        print(f"{OUTPUT}: {'up to date' if same else 'stale'}")
        return 0 if same else 1
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
