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


# Characters that NFKC turns into whitespace (`\s`) and nothing else: a row of only these is blank.
BLANK_AFTER_NFKC = "\t\n\f\r \u00a0\u2000-\u200a\u202f\u205f\u3000"


def keep_rows_with_text(
    conn: duckdb.DuckDBPyConnection, table: str, file_hash: str, columns: list[str]
) -> int:
    """Drop a file's rows whose mapped cells are all blank (after NFKC); returns the rows kept.
    Only rows made of characters NFKC could blank are normalised to find out (a handful)."""
    quoted = ", ".join(f'"{c}"' for c in columns)
    cells = f"concat_ws('', {quoted})"
    candidates = [
        r[0]
        for r in conn.execute(
            f"SELECT rowid FROM {table} WHERE file_hash = ? AND "
            f"NOT regexp_matches({cells}, '[^{BLANK_AFTER_NFKC}]')",
            [file_hash],
        ).fetchall()
    ]
    if candidates:
        conn.execute(
            f"DELETE FROM {table} WHERE rowid IN (SELECT unnest(?::BIGINT[])) "
            f"AND NOT regexp_matches(nfkc({cells}), '\\S')",
            [candidates],
        )
    return int(
        conn.execute(f"SELECT count(*) FROM {table} WHERE file_hash = ?", [file_hash]).fetchall()[
            0
        ][0]
    )
