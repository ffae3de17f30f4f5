"""The stewards' corrections applied to a table during a run, and the outcome of each."""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from assets.corrections.apply import apply_corrections
from assets.corrections.fields import normalise_values
from assets.foundation.programme import Programme
from assets.warehouse.connection import append_rows, read_frame, replace_table


def apply_stored(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    source: str,
    corrections: pd.DataFrame,
    programme: Programme,
) -> pd.DataFrame:
    """Apply one source's corrections to the rows they name (not the whole table), in place; the
    outcome of each correction (applied, or superseded and why) as rows of `<source>` outcomes."""
    mine = corrections[corrections["source"] == source] if len(corrections) else corrections
    if mine.empty:
        return pd.DataFrame(
            columns=["correction_id", "source", "record_key", "field", "applied", "note"]
        )
    keys = sorted(set(mine["record_key"]))
    rows = read_frame(
        conn, f"SELECT * FROM {table} WHERE record_key IN (SELECT unnest(?::VARCHAR[]))", [keys]
    )
    normalised: dict[int, object] = {}
    for field, group in mine.groupby("field"):
        values = normalise_values(field, list(group["new_value"]), programme, conn)
        normalised.update(zip(group["id"], values, strict=True))
    corrected, outcomes = apply_corrections(rows, mine, source, rows["record_key"], normalised)
    corrected["corrected_from"] = corrected["corrected_from"].map(
        lambda d: json.dumps(d, ensure_ascii=False) if d else None
    )
    corrected["correction_ids"] = corrected["correction_ids"].map(lambda ids: ids or None)
    changed = corrected[corrected["correction_ids"].notna()]
    if len(changed):
        conn.execute(
            f"DELETE FROM {table} WHERE record_key IN (SELECT unnest(?::VARCHAR[]))",
            [list(changed["record_key"])],
        )
        append_rows(conn, table, changed, programme)
    by_id = mine.set_index("id")
    return pd.DataFrame(
        [
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
    )


def write_outcomes(
    conn: duckdb.DuckDBPyConnection, table: str, outcomes: pd.DataFrame, programme: Programme
) -> int:
    return replace_table(conn, table, outcomes, programme)
