"""Check the head-and-neck terms against ROO.owl and write ``hn_terms.ttl``.

Consumers of Maastricht-style FAIR data stations filter on exact ROO/NCIt IRIs, so a wrong code
or a made-up label silently drops patients from their queries. Every term the demo mapping and
its value maps use is listed once below with the label we expect. For terms ROO.owl contains,
the label (and the OWL type and the parent class, when the parent is in the list too) is taken
from ROO.owl and must match; the rest are written with ``fairify:verificationStatus
"unverified"`` and a note, so they can be found and corrected in one place.

    python ontologies/build_terms.py            # verify, print a summary, write hn_terms.ttl
    python ontologies/build_terms.py --check    # verify only; exit 1 if hn_terms.ttl is stale
    python ontologies/build_terms.py --roo PATH # ROO.owl elsewhere than ../shared/ontologies/roo/
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

HERE = Path(__file__).resolve().parent
DEFAULT_ROO = HERE.parent.parent / "shared" / "ontologies" / "roo" / "ROO.owl"
OUTPUT = HERE / "hn_terms.ttl"

ROO_COMMIT = "95d1eab"
ROO_SOURCE = f"https://github.com/RadiationOncologyOntology/ROO/blob/{ROO_COMMIT}/owl/ROO.owl"

PREFIXES = {
    "ncit": "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl#",
    "roo": "http://www.cancerdata.org/roo/",
    "obo": "http://purl.obolibrary.org/obo/",
}
# The ontology each namespace belongs to (rdfs:isDefinedBy); ROO.owl is only where we read labels.
DEFINED_BY = {
    "ncit": "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl",
    "roo": "http://www.cancerdata.org/roo/",
    "obo": "http://purl.obolibrary.org/obo/uo.owl",
}


@dataclass(frozen=True)
class Term:
    curie: str
    label: str
    note: str = ""  # for unverified terms: why we use it and what to check

    @property
    def iri(self) -> str:
        prefix, local = self.curie.split(":", 1)
        return PREFIXES[prefix] + local


UNVERIFIED_SITE = (
    "NCIt anatomic-site code used for this site by Maastricht head-and-neck station scripts; "
    "not in ROO.owl and not checked against the NCI Thesaurus. Verify at https://evsexplore.semantics.cancer.gov."
)
UNVERIFIED_HPV = (
    "NCIt code used for this HPV status by Maastricht head-and-neck station scripts (with parent C14226); "
    "not in ROO.owl and not checked against the NCI Thesaurus. One unrelated project labels C128839 "
    "'PD-L1 Positive': verify before relying on it."
)

# (section title, terms). Order is the order of hn_terms.ttl.
SECTIONS: list[tuple[str, list[Term]]] = [
    (
        "Patient and identifier",
        [
            Term("ncit:C16960", "Patient"),
            Term("roo:C100060", "Person Identifier"),
            Term("roo:P100061", "has_person_identifier"),
            Term("roo:P100042", "has_value"),
            Term("roo:P100027", "has_unit"),
        ],
    ),
    (
        "Biological sex",
        [
            Term("roo:P100018", "has_biological_sex"),
            Term("ncit:C28421", "Sex"),
            Term("ncit:C20197", "Male"),
            Term("ncit:C16576", "Female"),
        ],
    ),
    (
        "Age at diagnosis",
        [
            Term("roo:P100016", "has_age_at_diagnosis"),
            Term("ncit:C25150", "Age"),
            Term("obo:UO_0000036", "year"),
        ],
    ),
    (
        "ECOG performance status",
        [
            Term("roo:P100218", "has_performance_status"),
            Term("ncit:C105721", "ECOG Performance Status"),
            Term("ncit:C105722", "ECOG Performance Status 0"),
            Term("ncit:C105723", "ECOG Performance Status 1"),
            Term("ncit:C105725", "ECOG Performance Status 2"),
            Term("ncit:C105726", "ECOG Performance Status 3"),
            Term("ncit:C105727", "ECOG Performance Status 4"),
            Term("ncit:C105728", "ECOG Performance Status 5"),
        ],
    ),
    (
        "Smoking status",
        [
            Term("roo:P100306", "has_smoking_status"),
            Term("ncit:C19796", "Smoking Status"),
            Term("ncit:C65108", "Never Smoker"),
            Term("ncit:C67148", "Former Smoker"),
            Term("ncit:C67147", "Current Smoker"),
        ],
    ),
    (
        "HPV status",
        [
            Term("roo:P100022", "has_finding"),
            Term("ncit:C128839", "HPV Positive", UNVERIFIED_HPV),
            Term("ncit:C131488", "HPV Negative", UNVERIFIED_HPV),
        ],
    ),
    (
        "Neoplasm and its location",
        [
            Term("roo:P100029", "is_diagnosed_with"),
            Term("ncit:C3262", "Neoplasm"),
            Term("roo:P100202", "has_location"),
            Term("ncit:C12762", "Oropharynx", UNVERIFIED_SITE),
            Term("ncit:C12420", "Larynx", UNVERIFIED_SITE),
            Term("ncit:C12246", "Hypopharynx", UNVERIFIED_SITE),
            Term("ncit:C12421", "Oral Cavity", UNVERIFIED_SITE),
            Term("ncit:C12423", "Nasopharynx", UNVERIFIED_SITE),
            Term("roo:P100251", "has_date_of_diagnosis"),
            Term("ncit:C25164", "Date"),
        ],
    ),
    (
        "Clinical T stage (ROO has no T4a/T4b: they map to T4)",
        [
            Term("roo:P100244", "has_clinical_t_stage"),
            Term("ncit:C48885", "Generic Primary Tumor TNM Finding"),
            Term("ncit:C48737", "TX Stage Finding"),
            Term("ncit:C48719", "T0 Stage Finding"),
            Term("ncit:C48738", "Tis Stage Finding"),
            Term("ncit:C48720", "T1 Stage Finding"),
            Term("ncit:C48724", "T2 Stage Finding"),
            Term("ncit:C48728", "T3 Stage Finding"),
            Term("ncit:C48732", "T4 Stage Finding"),
        ],
    ),
    (
        "Clinical N stage (ROO has no N2a/N2b/N2c: they map to N2)",
        [
            Term("roo:P100242", "has_clinical_n_stage"),
            Term("ncit:C48884", "Generic Regional Lymph Nodes TNM Finding"),
            Term("ncit:C48718", "NX Stage Finding"),
            Term("ncit:C48705", "N0 Stage Finding"),
            Term("ncit:C48706", "N1 Stage Finding"),
            Term("ncit:C48786", "N2 Stage Finding"),
            Term("ncit:C48714", "N3 Stage Finding"),
        ],
    ),
    (
        "Clinical M stage",
        [
            Term("roo:P100241", "has_clinical_m_stage"),
            Term("ncit:C48883", "Generic Distant Metastasis TNM Finding"),
            Term("ncit:C48704", "MX Stage Finding"),
            Term("ncit:C48699", "M0 Stage Finding"),
            Term("ncit:C48700", "M1 Stage Finding"),
        ],
    ),
    (
        "AJCC stage group, 7th edition (ROO has no Stage IVC: it maps to Stage IV)",
        [
            Term("roo:P100243", "has_clinical_stage"),
            Term("ncit:C28108", "Disease Stage Qualifier"),
            Term("ncit:C28051", "Stage 0"),
            Term("ncit:C27966", "Stage I"),
            Term("ncit:C28054", "Stage II"),
            Term("ncit:C27970", "Stage III"),
            Term("ncit:C27971", "Stage IV"),
            Term("ncit:C27979", "Stage IVA"),
            Term("ncit:C27980", "Stage IVB"),
            Term("roo:P100219", "has_AJCC_version"),
            Term("roo:C100052", "AJCC 7th Edition"),
        ],
    ),
    (
        "Treatment",
        [
            Term("roo:P100403", "treated_by"),
            Term("ncit:C15313", "Radiation Therapy"),
            Term("ncit:C94626", "Chemoradiotherapy"),
            Term("roo:C100349", "Radiation Therapy Alone"),
            Term("ncit:C15632", "Chemotherapy"),
            Term("ncit:C15329", "Surgical Procedure"),
            Term("ncit:C16033", "Follow-up"),
            Term("roo:P100024", "has_procedure"),
            Term("roo:P100252", "has_date_of_procedure"),
            Term("roo:P100023", "has_prescribed_radiation_dose"),
            Term("roo:C100057", "Prescribed Radiotherapy Total Treatment Dose"),
            Term("obo:UO_0000134", "gray"),
            Term("roo:P100224", "has_fraction_count"),
            Term("roo:C100354", "Number of Radiotherapy Fractions"),
        ],
    ),
    (
        "Vital status and survival",
        [
            Term("roo:P100028", "has_vital_status"),
            Term("ncit:C25717", "Vital Status"),
            Term("ncit:C28554", "Death"),
            Term("ncit:C37987", "Life"),
            Term("roo:P100311", "has_survival_time"),
            Term("roo:C100014", "Survival"),
            Term("obo:UO_0000033", "day"),
        ],
    ),
]

TERMS: list[Term] = [t for _, terms in SECTIONS for t in terms]


@dataclass
class Checked:
    term: Term
    in_roo: bool
    roo_labels: list[str]
    owl_type: str  # owl:Class, owl:ObjectProperty, owl:DatatypeProperty
    parents: list[str]  # CURIEs of ROO.owl parents that are in TERMS

    @property
    def ok(self) -> bool:
        return not self.in_roo or self.term.label in self.roo_labels


def curie(iri: str) -> str | None:
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return None


def check(roo_path: Path) -> list[Checked]:
    """Look every term up in ROO.owl: its labels, OWL type and listed parents."""
    g = Graph()
    g.parse(roo_path, format="xml")
    known = {t.iri for t in TERMS}
    out = []
    for t in TERMS:
        node = URIRef(t.iri)
        labels = sorted(str(lbl) for lbl in g.objects(node, RDFS.label))
        types = set(g.objects(node, RDF.type))
        in_roo = bool(labels) or bool(types)
        if OWL.ObjectProperty in types:
            owl_type = "owl:ObjectProperty"
        elif OWL.DatatypeProperty in types:
            owl_type = "owl:DatatypeProperty"
        else:
            owl_type = "owl:Class"
        parents = sorted(
            c
            for p in g.objects(node, RDFS.subClassOf)
            if isinstance(p, URIRef) and str(p) in known and (c := curie(str(p)))
        )
        out.append(Checked(t, in_roo, labels, owl_type, parents))
    return out


def _literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(checked: list[Checked]) -> str:
    """hn_terms.ttl, grouped by section; byte-identical for the same ROO.owl."""
    by_iri = {c.term.iri: c for c in checked}
    lines = [
        "# Head-and-neck terms used by mappings/hn_clinical.* and mappings/valuemaps/.",
        "# Written by ontologies/build_terms.py from ROO.owl; edit the script, not this file.",
        '# Labels of terms with verificationStatus "confirmed" were checked against ROO.owl at',
        f'# RadiationOncologyOntology/ROO @ {ROO_COMMIT}; "unverified" terms are not in ROO.owl.',
        "",
        "@prefix dcterms: <http://purl.org/dc/terms/> .",
        "@prefix fairify: <https://w3id.org/fairify/ns#> .",
        *(f"@prefix {p}: <{ns}> ." for p, ns in PREFIXES.items()),
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .",
        "",
        "<https://w3id.org/fairify/ontologies/hn_terms> a owl:Ontology ;",
        '    rdfs:label "fairify head-and-neck terms" ;',
        '    rdfs:comment "The ROO and NCIt terms the fairify head-and-neck demo mapping emits, with their '
        "labels as given in ROO.owl, and the terms in circulation that ROO.owl does not contain, flagged "
        'unverified." ;',
        f"    dcterms:source <{ROO_SOURCE}> ;",
        "    dcterms:license <https://www.apache.org/licenses/LICENSE-2.0> .",
        "",
    ]
    for title, terms in SECTIONS:
        lines += [f"# --- {title}", ""]
        for t in terms:
            c = by_iri[t.iri]
            prefix = t.curie.split(":", 1)[0]
            props = [
                f"a {c.owl_type}",
                f"rdfs:label {_literal(t.label)}",
                f"rdfs:isDefinedBy <{DEFINED_BY[prefix]}>",
            ]
            props += [f"rdfs:subClassOf {p}" for p in c.parents]
            if c.in_roo:
                props += [f"dcterms:source <{ROO_SOURCE}>", 'fairify:verificationStatus "confirmed"']
            else:
                props += ['fairify:verificationStatus "unverified"', f"skos:editorialNote {_literal(t.note)}"]
            lines.append(f"{t.curie} " + " ;\n    ".join(props) + " .\n")
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--roo", type=Path, default=DEFAULT_ROO, help=f"ROO.owl (default {DEFAULT_ROO})")
    parser.add_argument("--check", action="store_true", help="verify only; fail if hn_terms.ttl is stale")
    args = parser.parse_args(argv)
    if not args.roo.is_file():
        print(f"ROO.owl not found at {args.roo}; pass --roo", file=sys.stderr)
        return 2
    checked = check(args.roo)
    bad = [c for c in checked if not c.ok]
    for c in checked:
        if not c.in_roo:
            status = "UNVERIFIED (not in ROO.owl)"
        elif c.ok:
            status = "ok"
        else:
            status = f"LABEL MISMATCH: ROO.owl says {c.roo_labels}"
        print(f"{c.term.curie:16} {c.term.label:48} {status}")
    confirmed = sum(c.in_roo for c in checked)
    print(f"\n{len(checked)} terms: {confirmed} confirmed in ROO.owl, {len(checked) - confirmed} unverified")
    if bad:
        print(
            f"{len(bad)} label(s) differ from ROO.owl; fix SECTIONS in {Path(__file__).name}", file=sys.stderr
        )
        return 1
    text = render(checked)
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.is_file() else ""
        if current != text:
            print(f"{OUTPUT} is stale: run {Path(__file__).name} without --check", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
