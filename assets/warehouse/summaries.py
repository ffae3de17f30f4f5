"""Small aggregate tables built at publish time, so the pages never scan every application."""

from __future__ import annotations

import duckdb

from assets.foundation.programme import Programme
from assets.ingest.normalise import literal

SUMMARY_TABLES = ("application_counts",)


def build_summaries(
    conn: duckdb.DuckDBPyConnection, programme: Programme, into: str = "staging"
) -> int:
    """`application_counts` in the attached serving copy `into`: applications per unit, cluster,
    direction, type, stage and local day of submission (every filter of the pages is one of these
    columns); returns its rows."""
    zone = literal(programme.timezone)
    conn.execute(f"""
        CREATE OR REPLACE TABLE {into}.application_counts AS
        SELECT city, cluster, direction, application_type, stage,
               CAST(timezone({zone}, submitted_at) AS DATE) AS day, count(*) AS applications
        FROM applications GROUP BY ALL""")
    return int(conn.execute(f"SELECT count(*) FROM {into}.application_counts").fetchall()[0][0])
