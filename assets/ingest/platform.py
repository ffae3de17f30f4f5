"""Platform snapshots: every row of every export, the current applications, and stage history."""

from __future__ import annotations

import dagster as dg
import pandas as pd
from dagster_duckdb import DuckDBResource

from assets.corrections.outcomes import correct, record_outcomes
from assets.ingest.files import file_record, listing_record, record_files
from assets.ingest.headers import find_header, records_below
from assets.ingest.inbox import list_files, snapshot_time
from assets.ingest.normalise import normalise_rows
from assets.ingest.readers import UnreadableFile, read_sheets
from assets.materialize import table_result
from assets.warehouse import open_warehouse, read_frame, replace_table, replace_table_from_sql
from pipelines.programme import Programme
from pipelines.resources import CorrectionsResource, InboxResource
from pipelines.text import is_blank


def read_platform_inbox(inbox, programme: Programme) -> tuple[pd.DataFrame, list[dict]]:
    """All rows of all platform snapshots (raw text columns) and one log record per file."""
    mapping = programme.headers("platform")
    required = programme.required_columns("platform")
    frames, records = [], []
    for file in list_files(inbox, "platform"):
        unread = listing_record(file, "platform_snapshot")
        if unread:
            records.append(unread)
            continue
        taken_at, taken_from = snapshot_time(file, programme.timezone)
        base = {"snapshot_at": taken_at, "snapshot_time_from": taken_from}
        try:
            sheets = read_sheets(file.path)
        except UnreadableFile as error:
            records.append(
                file_record(
                    file,
                    "platform_snapshot",
                    status="unreadable",
                    reason=str(error),
                    rows=0,
                    **base,
                )
            )
            continue
        rows, used, unmapped = [], [], []
        for sheet in sheets:
            match = find_header(sheet.rows, mapping, required)
            if match is None:
                continue
            used.append(sheet.name)
            unmapped += match.unmapped
            for row_number, record in records_below(sheet.rows, match):
                if all(is_blank(v) for v in record.values()):
                    continue
                record.update(
                    source_file=file.name, source_sheet=sheet.name, source_row=row_number, **base
                )
                rows.append(record)
        if not used:
            records.append(
                file_record(
                    file,
                    "platform_snapshot",
                    status="unreadable",
                    rows=0,
                    **base,
                    reason="未找到平台导出表头（需含“申报编号”“统一社会信用代码”）",
                )
            )
            continue
        frames.append(pd.DataFrame.from_records(rows))
        records.append(
            file_record(
                file,
                "platform_snapshot",
                rows=len(rows),
                sheets="、".join(s or "(csv)" for s in used),
                unmapped_headers="、".join(unmapped) or None,
                **base,
            )
        )
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return normalise_rows(frame, programme), records


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


@dg.asset(group_name="ingest", kinds={"duckdb"})
def platform_rows(inbox: InboxResource, warehouse: DuckDBResource) -> dg.MaterializeResult:
    """Every row of every platform snapshot in inbox/platform, normalised, with its source."""
    rows, records = read_platform_inbox(inbox.root, inbox.programme())
    with open_warehouse(warehouse) as conn:
        count = replace_table(conn, "platform_rows", rows)
        record_files(conn, "platform", records)
        return table_result(
            conn,
            "platform_rows",
            count,
            files=len(records),
            unreadable=sum(r["status"] != "read" for r in records),
        )


@dg.asset(group_name="ingest", kinds={"duckdb"}, deps=[platform_rows])
def applications(
    inbox: InboxResource, warehouse: DuckDBResource, corrections: CorrectionsResource
) -> dg.MaterializeResult:
    """Each application once, in its current state (the newest snapshot holding it), corrected."""
    fixes = corrections.store().corrections()
    with open_warehouse(warehouse) as conn:
        current = read_frame(conn, CURRENT_APPLICATIONS_SQL)
        current, outcomes = correct(
            current, fixes, "platform", current.get("application_id"), inbox.programme()
        )
        count = replace_table(conn, "applications", current)
        record_outcomes(conn, "platform", outcomes)
        applied = int(outcomes["applied"].sum()) if len(outcomes) else 0
        return table_result(conn, "applications", count, corrections_applied=applied)


@dg.asset(group_name="ingest", kinds={"duckdb"}, deps=[platform_rows])
def stage_history(warehouse: DuckDBResource) -> dg.MaterializeResult:
    """Each stage an application was seen at across the snapshots, with when it was first seen."""
    with open_warehouse(warehouse) as conn:
        count = replace_table_from_sql(conn, "stage_history", STAGE_HISTORY_SQL)
        return table_result(conn, "stage_history", count)
