"""Corrections applied to a table during a run, and the `correction_outcomes` rows that say so."""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from assets.corrections.apply import apply_corrections
from assets.warehouse import TABLES
from pipelines.programme import Programme


def correct(
    frame: pd.DataFrame,
    corrections: pd.DataFrame,
    source: str,
    keys: pd.Series,
    programme: Programme,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The frame with corrections applied (ready for the warehouse) and one outcome row each."""
    if frame.empty:
        mine = corrections[corrections["source"] == source] if len(corrections) else corrections
        return frame, pd.DataFrame(
            [
                {
                    "correction_id": c.id,
                    "source": source,
                    "record_key": c.record_key,
                    "field": c.field,
                    "applied": False,
                    "note": "记录已不存在",
                }
                for c in mine.itertuples()
            ]
        )
    corrected, outcomes = apply_corrections(frame, corrections, source, keys, programme)
    corrected["corrected_from"] = corrected["corrected_from"].map(
        lambda d: json.dumps(d, ensure_ascii=False) if d else None
    )
    corrected["correction_ids"] = corrected["correction_ids"].map(lambda ids: ids or None)
    by_id = corrections.set_index("id") if len(corrections) else None
    rows = [
        {
            "correction_id": o["correction_id"],
            "source": source,
            "record_key": by_id.at[o["correction_id"], "record_key"],
            "field": by_id.at[o["correction_id"], "field"],
            "applied": o["applied"],
            "note": o["note"],
        }
        for o in outcomes
    ]
    return corrected, pd.DataFrame(rows)


def record_outcomes(conn: duckdb.DuckDBPyConnection, source: str, outcomes: pd.DataFrame) -> None:
    """Replace one source's rows of `correction_outcomes` (each ingest asset owns its source's rows)."""
    columns = ", ".join(f'"{c}" {k}' for c, k in TABLES["correction_outcomes"].items())
    conn.execute(f"CREATE TABLE IF NOT EXISTS correction_outcomes ({columns})")
    conn.execute("DELETE FROM correction_outcomes WHERE source = ?", [source])
    if len(outcomes):
        conn.register("_outcomes", outcomes)
        conn.execute("INSERT INTO correction_outcomes BY NAME SELECT * FROM _outcomes")
        conn.unregister("_outcomes")
