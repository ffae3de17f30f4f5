"""The normalised tables, rebuilt in SQL from the parsed-file cache (no file is read here)."""

from __future__ import annotations

import duckdb
import pandas as pd

from assets.corrections.outcomes import apply_stored
from assets.foundation.programme import Programme
from assets.ingest.cache import SHIPPED_NAME
from assets.ingest.normalise import (
    city_select,
    clusters_select,
    install,
    platform_select,
    pool_select,
)
from assets.ingest.platform import CURRENT_APPLICATIONS_SQL, STAGE_HISTORY_SQL
from assets.warehouse.connection import replace_table, replace_table_from_sql

OUTCOME_TABLES = {
    "platform": "platform_correction_outcomes",
    "city_table": "city_correction_outcomes",
}


def build_platform_rows(conn: duckdb.DuckDBPyConnection, programme: Programme) -> int:
    """Every row of every platform snapshot read, normalised, with its file, sheet and row."""
    install(conn, programme)
    return replace_table_from_sql(conn, "platform_rows", platform_select(programme), programme)


def build_corrected(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    source: str,
    sql: str,
    programme: Programme,
    corrections: pd.DataFrame,
) -> tuple[int, int]:
    """A table from SQL, then the stewards' corrections of its records; (rows, corrections applied).
    The outcome of every correction of the source goes to its outcomes table."""
    install(conn, programme)
    count = replace_table_from_sql(conn, table, sql, programme)
    outcomes = apply_stored(conn, table, source, corrections, programme)
    replace_table(conn, OUTCOME_TABLES[source], outcomes, programme)
    return count, int(outcomes["applied"].sum()) if len(outcomes) else 0


def build_applications(
    conn: duckdb.DuckDBPyConnection, programme: Programme, corrections: pd.DataFrame
) -> tuple[int, int]:
    """Each application once, in its current state (the newest snapshot holding it), corrected."""
    return build_corrected(
        conn, "applications", "platform", CURRENT_APPLICATIONS_SQL, programme, corrections
    )


def build_city_submissions(
    conn: duckdb.DuckDBPyConnection, programme: Programme, corrections: pd.DataFrame
) -> tuple[int, int]:
    """Every application row of every city table read, normalised and corrected."""
    return build_corrected(
        conn, "city_submissions", "city_table", city_select(programme), programme, corrections
    )


def build_stage_history(conn: duckdb.DuckDBPyConnection, programme: Programme) -> int:
    return replace_table_from_sql(conn, "stage_history", STAGE_HISTORY_SQL, programme)


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
