"""The CSV hot path on a hospital-sized export: 1M records, 17 columns, ~120 MB.

Marked slow (skip with ``-m 'not slow'``). The bound is loose so that a busy CI machine passes; on
the 2-core reference machine a read takes about one second.
"""

from __future__ import annotations

import time

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest

from fairify.mapping.model import Formulation, LogicalSource
from fairify.sources import open_source

ROWS = 1_000_000


def _export(path) -> list[str]:
    rng = np.random.default_rng(7)
    names = np.array(["Zoë", "Müller", "Anna", "Jan", "Émile", "Noor", "Piet", "Ines"])
    ids = np.arange(ROWS)
    columns = {
        "patient_id": ids,
        "mrn": pa.compute.binary_join_element_wise("MRN", pa.array(ids + 10_000_000).cast(pa.string()), ""),
        "first_name": names[rng.integers(0, len(names), ROWS)],
        "last_name": names[rng.integers(0, len(names), ROWS)],
        "sex": np.array(["F", "M", "U"])[rng.integers(0, 3, ROWS)],
        "birth_date": pa.array(rng.integers(-15_000, 10_000, ROWS), pa.int32()).cast(pa.date32()),
        "admission_ts": pa.array(rng.integers(1_670_000_000, 1_700_000_000, ROWS)).cast(pa.timestamp("s")),
        "discharge_ts": np.array(["", "2023-06-01 10:00:00"])[rng.integers(0, 2, ROWS)],
        "ward": np.array(["ICU", "CARD", "ONC", "PED"])[rng.integers(0, 4, ROWS)],
        "diagnosis_code": np.array(["I10", "E11.9", "J45", "C50.9"])[rng.integers(0, 4, ROWS)],
        "diagnosis_text": np.array(["Essential hypertension", "Type 2 diabetes, no complications", "Asthma"])[
            rng.integers(0, 3, ROWS)
        ],
        "weight_kg": np.round(rng.uniform(40, 120, ROWS), 1),
        "height_cm": rng.integers(150, 200, ROWS),
        "systolic": rng.integers(90, 180, ROWS),
        "diastolic": rng.integers(50, 110, ROWS),
        "smoker": np.array(["yes", "no", ""])[rng.integers(0, 3, ROWS)],
        "note": np.array(["", "stable", 'follow-up, "ok"', "line1\nline2"])[rng.integers(0, 4, ROWS)],
    }
    table = pa.table(columns)
    pa_csv.write_csv(table, path)
    return table.column_names


@pytest.mark.slow
def test_a_million_records_in_seconds(tmp_path):
    path = tmp_path / "export.csv"
    names = _export(path)
    assert path.stat().st_size > 100_000_000
    start = time.perf_counter()
    reader = open_source(LogicalSource(Formulation.CSV, path=path.name), names, base_dir=tmp_path)
    rows = 0
    last = 1
    for chunk in reader:
        rows += chunk.num_rows
        assert chunk.rows[0].as_py() == last + 1
        last = chunk.rows[-1].as_py()
        assert chunk.num_rows <= 200_000
    reader.close()
    elapsed = time.perf_counter() - start
    assert rows == ROWS and last == ROWS + 1
    print(
        f"\n{ROWS:,} records x {len(names)} columns ({path.stat().st_size / 1e6:.0f} MB) in {elapsed:.2f} s"
    )
    assert elapsed < 15
