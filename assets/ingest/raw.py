"""Writing cached raw cells: one Arrow batch at a time, and dropping rows that hold no text."""

from __future__ import annotations

import duckdb
import pyarrow as pa


def insert_batch(conn: duckdb.DuckDBPyConnection, table: str, batch: pa.Table) -> None:
    """Append a batch of text columns (matched by name) to a raw table."""
    conn.register("_raw_batch", batch)
    try:
        conn.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _raw_batch")
    finally:
        conn.unregister("_raw_batch")


def keep_rows_with_text(
    conn: duckdb.DuckDBPyConnection, table: str, file_hash: str, columns: list[str]
) -> int:
    """Drop a file's rows whose mapped cells are all blank (after NFKC); returns the rows kept."""
    cells = ", ".join(f'"{c}"' for c in columns)
    conn.execute(
        f"DELETE FROM {table} WHERE file_hash = ? AND NOT regexp_matches(nfkc(concat_ws('', {cells})), '\\S')",
        [file_hash],
    )
    return int(
        conn.execute(f"SELECT count(*) FROM {table} WHERE file_hash = ?", [file_hash]).fetchall()[
            0
        ][0]
    )
