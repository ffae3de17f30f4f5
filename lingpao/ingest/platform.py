"""Platform snapshots: a snapshot's rows into the cache, the current applications, stage history."""

from __future__ import annotations

import duckdb

from lingpao.foundation.programme import Programme
from lingpao.ingest.headers import find_header
from lingpao.ingest.raw import insert_batch, keep_rows_with_text
from lingpao.ingest.readers import MultiLineRecords, Sheet
from lingpao.ingest.tables import table_batches


def parse_platform(
    conn: duckdb.DuckDBPyConnection, sheets: list[Sheet], file_hash: str, programme: Programme
) -> dict:
    """Every sheet with the platform header into `raw_platform`; the file's log fields."""
    mapping, required = programme.headers("platform"), programme.required_columns("platform")
    used, unmapped = [], []
    for sheet in sheets:
        match = find_header(sheet.head, mapping, required)
        if match is None:
            continue
        used.append(sheet.name or "(csv)")
        unmapped += match.unmapped
        constants = {"file_hash": file_hash, "source_sheet": sheet.name}
        try:
            for batch in table_batches(sheet, match, list(mapping), constants):
                insert_batch(conn, "raw_platform", batch)
        except MultiLineRecords:  # a cell holds a line break: read again, record by record
            conn.execute("DELETE FROM raw_platform WHERE file_hash = ?", [file_hash])
            for batch in table_batches(sheet, match, list(mapping), constants, exact=True):
                insert_batch(conn, "raw_platform", batch)
    if not used:
        return {
            "status": "unreadable",
            "reason": "未找到平台导出表头（需含“申报编号”“统一社会信用代码”）",
        }
    rows = keep_rows_with_text(conn, "raw_platform", file_hash, list(mapping))
    return {
        "status": "read",
        "rows": rows,
        "sheets": "、".join(used),
        "unmapped_headers": "、".join(unmapped) or None,
    }


CURRENT_APPLICATIONS_SQL = """
SELECT * EXCLUDE (position) FROM (
    SELECT *,
        row_number() OVER (PARTITION BY application_id
                           ORDER BY snapshot_at DESC, source_file DESC, source_row) AS position,
        count(DISTINCT source_file) OVER (PARTITION BY application_id) AS snapshot_count
    FROM platform_rows
    WHERE application_id IS NOT NULL
) WHERE position = 1
"""

STAGE_HISTORY_SQL = """
WITH per_snapshot AS (
    SELECT application_id, stage, snapshot_at, source_file,
           lag(stage) OVER (PARTITION BY application_id ORDER BY snapshot_at, source_file) AS previous
    FROM (SELECT DISTINCT ON (application_id, source_file) application_id, stage, snapshot_at, source_file
          FROM platform_rows WHERE application_id IS NOT NULL
          ORDER BY application_id, source_file, source_row)
)
SELECT application_id, stage, snapshot_at AS first_seen_at, source_file
FROM per_snapshot
WHERE previous IS NULL OR previous IS DISTINCT FROM stage
ORDER BY application_id, first_seen_at
"""
