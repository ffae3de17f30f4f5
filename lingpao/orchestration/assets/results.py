"""What an asset reports to Dagster: row counts and a small preview without personal data."""

from __future__ import annotations

import dagster as dg
import duckdb

from lingpao.foundation.schema import PERSONAL_COLUMNS


def table_result(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    asset_key: str | None = None,
    **extra: int,
) -> dg.MaterializeResult:
    """MaterializeResult with the table's row count and a five-row preview (no contact data)."""
    rows = int(conn.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
    cursor = conn.execute(f"SELECT * FROM {table} LIMIT 5")
    names = [d[0] for d in cursor.description]
    shown = [
        i for i, n in enumerate(names) if n not in PERSONAL_COLUMNS and not n.endswith("_raw")
    ][:8]
    columns = [names[i] for i in shown]
    preview = [[row[i] for i in shown] for row in cursor.fetchall()]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in preview]
    metadata = {"dagster/row_count": rows, "preview": dg.MetadataValue.md("\n".join(lines))}
    metadata.update(extra)
    return dg.MaterializeResult(asset_key=asset_key, metadata=metadata)
