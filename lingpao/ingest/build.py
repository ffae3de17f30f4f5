"""The normalised tables, rebuilt in SQL from the parsed-file cache (no file is read here)."""

from __future__ import annotations

import duckdb
import pandas as pd

from lingpao.foundation.programme import Programme, city_passed
from lingpao.ingest.cache import SHIPPED_NAME, parser_stamp
from lingpao.ingest.corrected import apply_stored
from lingpao.ingest.normalise import (
    city_select,
    clusters_select,
    install,
    platform_select,
    pool_select,
)
from lingpao.ingest.platform import CURRENT_APPLICATIONS_SQL, STAGE_HISTORY_SQL
from lingpao.warehouse.connection import literal, replace_table, replace_table_from_sql
from lingpao.warehouse.stamps import is_current, mark

OUTCOME_TABLES = {
    "platform": "platform_correction_outcomes",
    "city_table": "city_correction_outcomes",
}


def platform_stamp(conn: duckdb.DuckDBPyConnection, programme: Programme) -> str:
    """What `platform_rows` is built from: the platform files read (hash, name, export time), the
    programme and the reading code."""
    files = conn.execute(
        "SELECT file_hash, source_file, snapshot_at, status FROM inbox_files "
        "WHERE folder = 'platform' ORDER BY ALL"
    ).fetchall()
    return repr((files, parser_stamp(programme)))


def platform_inputs_stamp(
    conn: duckdb.DuckDBPyConnection, programme: Programme, corrections: pd.DataFrame
) -> str:
    """What the platform's own rule failures depend on: the platform files, their corrections, the
    reference lists (pool, clusters) and the programme."""
    registry = conn.execute(
        "SELECT file_hash, source_file, status, kind FROM inbox_files WHERE folder = 'registry' "
        "UNION ALL SELECT file_hash, 'reference', status, kind FROM file_cache "
        "WHERE folder = 'reference' ORDER BY ALL"
    ).fetchall()
    return repr(
        (platform_stamp(conn, programme), corrections_stamp(corrections, "platform"), registry)
    )


def corrections_stamp(corrections: pd.DataFrame, source: str) -> str:
    mine = corrections[corrections["source"] == source] if len(corrections) else corrections
    return mine.to_csv(index=False)


def _count(conn: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])


def build_platform_rows(conn: duckdb.DuckDBPyConnection, programme: Programme) -> tuple[int, bool]:
    """Every row of every platform snapshot read, normalised, with its file, sheet and row;
    (rows, kept: True when no platform file changed since the table was built)."""
    stamp = platform_stamp(conn, programme)
    if is_current(conn, "platform_rows", stamp, programme):
        return _count(conn, "platform_rows"), True
    install(conn, programme)
    count = replace_table_from_sql(conn, "platform_rows", platform_select(programme), programme)
    mark(conn, "platform_rows", stamp, programme)
    return count, False


def build_corrected(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    source: str,
    sql: str,
    programme: Programme,
    corrections: pd.DataFrame,
    stamp: str | None = None,
) -> tuple[int, int]:
    """A table from SQL, then the stewards' corrections of its records; (rows, corrections applied).
    The outcome of every correction of the source goes to its outcomes table. With a `stamp` of its
    inputs, a table built from the same inputs and corrections is kept as it is."""
    outcomes_table = OUTCOME_TABLES[source]
    inputs = None if stamp is None else repr((stamp, corrections_stamp(corrections, source)))
    if (
        inputs is not None
        and is_current(conn, table, inputs, programme)
        and is_current(conn, outcomes_table, inputs, programme)
    ):
        applied = conn.execute(f"SELECT count(*) FROM {outcomes_table} WHERE applied").fetchall()
        return _count(conn, table), int(applied[0][0])
    install(conn, programme)
    count = replace_table_from_sql(conn, table, sql, programme)
    outcomes = apply_stored(conn, table, source, corrections, programme)
    replace_table(conn, outcomes_table, outcomes, programme)
    if inputs is not None:
        mark(conn, table, inputs, programme)
        mark(conn, outcomes_table, inputs, programme)
    return count, int(outcomes["applied"].sum()) if len(outcomes) else 0


def city_applications_sql(programme: Programme) -> str:
    """A round without platform exports: each row of a city table (read, not superseded, as
    corrected) is an application, at the stage its city's table puts it at (the first stage of the
    type's `city_passed`: recommended, or confirmed into the pool); its key is the row's, its
    number the round and the credit code."""
    stages = " ".join(
        f"WHEN {literal(t)} THEN {literal(city_passed(programme, t)[0])}"
        for t in programme.types
        if city_passed(programme, t)
    )
    stage = f"CASE application_type {stages} END" if stages else "NULL"
    year = programme.year
    # the application's number as people can say it: the round and the company's credit code
    # (stable when a city resends its table in another order); a row without a code of its own
    # by its unit and row
    number = f"""CASE WHEN credit_code IS NOT NULL
                           AND count(*) OVER (PARTITION BY credit_code) = 1
                      THEN '{year}-' || credit_code
                      ELSE '{year}-' || coalesce(city, '未识别单位') || '-第' || source_row || '行'
                           || CASE WHEN count(*) OVER (PARTITION BY city, source_row) > 1
                                   THEN '-' || row_number() OVER (
                                       PARTITION BY city, source_row ORDER BY record_key)
                                   ELSE '' END
                 END"""
    return f"""
        SELECT record_key, {number} AS application_id, credit_code, company_name, city, county,
               cluster, industry, application_type, direction, qualification, contact_name,
               contact_phone, {stage} AS stage, credit_code_raw, application_type_raw,
               direction_raw, contact_phone_raw, source_file, source_sheet, source_row,
               1 AS snapshot_count, corrected_from, correction_ids
        FROM city_submissions"""


def build_applications(
    conn: duckdb.DuckDBPyConnection,
    programme: Programme,
    corrections: pd.DataFrame,
    certified: list[str] | None = None,
) -> tuple[int, int]:
    """Each application once, in its current state (the newest snapshot holding it), corrected;
    kept when neither the platform files nor the platform corrections changed. In a round without
    platform exports, the city tables' rows (built first, corrected there). The applications the
    province `certified` are at `certified`, whatever stage the platform still shows."""
    certified = sorted(certified or [])
    if not programme.has_platform:
        count = replace_table_from_sql(
            conn, "applications", city_applications_sql(programme), programme
        )
        replace_table(conn, OUTCOME_TABLES["platform"], pd.DataFrame(), programme)
        applied = 0
    else:
        count, applied = build_corrected(
            conn,
            "applications",
            "platform",
            CURRENT_APPLICATIONS_SQL,
            programme,
            corrections,
            stamp=repr((platform_stamp(conn, programme), certified)),
        )
    if certified:
        conn.execute(
            "UPDATE applications SET stage = 'certified' WHERE stage IS DISTINCT FROM 'certified' "
            "AND application_id IN (SELECT unnest(?::VARCHAR[]))",
            [certified],
        )
    return count, applied


def build_city_submissions(
    conn: duckdb.DuckDBPyConnection,
    programme: Programme,
    corrections: pd.DataFrame,
    files: str = "inbox_files",
) -> tuple[int, int]:
    """Every application row of every city table read (those of the list `files`), normalised and
    corrected."""
    sql = city_select(programme, files)
    return build_corrected(conn, "city_submissions", "city_table", sql, programme, corrections)


def build_stage_history(conn: duckdb.DuckDBPyConnection, programme: Programme) -> int:
    """Each stage an application was seen at; kept when no platform file changed."""
    stamp = platform_stamp(conn, programme)
    if is_current(conn, "stage_history", stamp, programme):
        return _count(conn, "stage_history")
    count = replace_table_from_sql(conn, "stage_history", STAGE_HISTORY_SQL, programme)
    mark(conn, "stage_history", stamp, programme)
    return count


def build_correction_outcomes(conn: duckdb.DuckDBPyConnection, programme: Programme) -> int:
    union = " UNION ALL ".join(f"SELECT * FROM {t}" for t in OUTCOME_TABLES.values())
    return replace_table_from_sql(conn, "correction_outcomes", union, programme)


def build_registry(conn: duckdb.DuckDBPyConnection, programme: Programme) -> tuple[int, int]:
    """The pool list and the cluster list (the inbox's, else the shipped one); (pool, clusters)."""
    install(conn, programme)
    pool = replace_table_from_sql(conn, "pool_members", pool_select(programme), programme)
    clusters = replace_table_from_sql(
        conn, "clusters", clusters_select(programme, SHIPPED_NAME), programme
    )
    return pool, clusters
