"""The demo cohort converted and loaded: whole, and split in two halves for two stations."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import fairify
from tests.conftest import ROOT

SECRET = b"test-secret-for-the-demo-cohort-0001"
DATA = ROOT / "examples" / "demo" / "data"
MAPPING = ROOT / "mappings" / "hn_clinical.rml.ttl"


def convert_demo(out: Path, data: Path = DATA) -> Path:
    """Convert the demo tables in ``data`` (laid out as in the repository) to ``out`` (.nq)."""
    if data == DATA:
        mapping = MAPPING
    else:  # the mapping reads ../examples/demo/data/*.csv relative to itself
        root = data.parent.parent.parent
        (root / "mappings").mkdir(parents=True, exist_ok=True)
        shutil.copytree(ROOT / "mappings" / "valuemaps", root / "mappings" / "valuemaps", dirs_exist_ok=True)
        mapping = root / "mappings" / MAPPING.name
        shutil.copy(MAPPING, mapping)
    fairify.convert(mapping, out, secret=SECRET)
    return out


def split_demo(tmp: Path) -> list[Path]:
    """Two copies of the demo data, each with half of the patients (and their treatments)."""
    with (DATA / "clinical.csv").open(newline="", encoding="utf-8") as f:
        clinical = list(csv.reader(f))
    with (DATA / "treatments.csv").open(newline="", encoding="utf-8") as f:
        treatments = list(csv.reader(f))
    head, rows = clinical[0], clinical[1:]
    halves = [rows[: len(rows) // 2], rows[len(rows) // 2 :]]
    out = []
    for i, half in enumerate(halves):
        data = tmp / f"station{i}" / "examples" / "demo" / "data"
        data.mkdir(parents=True)
        ids = {r[0] for r in half}
        with (data / "clinical.csv").open("w", newline="", encoding="utf-8") as f:
            csv.writer(f, lineterminator="\n").writerows([head, *half])
        with (data / "treatments.csv").open("w", newline="", encoding="utf-8") as f:
            csv.writer(f, lineterminator="\n").writerows(
                [treatments[0], *(r for r in treatments[1:] if r[1] in ids)]
            )
        out.append(data)
    return out


def demo_store(tmp: Path, data: Path = DATA) -> Path:
    nq = convert_demo(tmp / "clinical.nq", data)
    store = tmp / "store"
    fairify.load([nq, ROOT / "ontologies" / "hn_terms.ttl"], store)
    return store
