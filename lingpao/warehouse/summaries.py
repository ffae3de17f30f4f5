"""Small aggregate tables built at publish time, so the pages never scan every application."""

from __future__ import annotations

import duckdb

from lingpao.foundation.programme import Programme
from lingpao.warehouse.connection import literal

SUMMARY_TABLES = ("application_counts", "application_facts")


def build_summaries(
    conn: duckdb.DuckDBPyConnection, programme: Programme, into: str = "staging"
) -> int:
    """In the attached serving copy `into`: `application_counts`, applications per unit, cluster,
    direction, type, stage and local day of submission (every filter of the pages is one of these
    columns); and `application_facts`, one slim row per submitted application with how long it has
    been at its stage and whether its company is in the pool. Returns the counts' rows."""
    zone = literal(programme.timezone)
    kinds = ", ".join(map(literal, programme.pool_lists)) or "NULL"
    conn.execute(f"""
        CREATE OR REPLACE TABLE {into}.application_counts AS
        SELECT city, cluster, direction, application_type, stage,
               CAST(timezone({zone}, submitted_at) AS DATE) AS day, count(*) AS applications
        FROM applications GROUP BY ALL""")
    conn.execute(f"""
        CREATE OR REPLACE TABLE {into}.application_facts AS
        WITH as_of AS (
            SELECT max(snapshot_at) AS t FROM inbox_files WHERE folder = 'platform' AND status = 'read'
        ), seen AS (
            SELECT application_id, stage, max(first_seen_at) AS since FROM stage_history GROUP BY 1, 2
        )
        SELECT a.application_id, a.company_name, a.credit_code, a.city, a.county, a.cluster,
               a.direction, a.application_type, a.stage,
               coalesce(h.since, a.submitted_at) AS since,
               date_diff('day', coalesce(h.since, a.submitted_at), (SELECT t FROM as_of)) AS days,
               coalesce(a.credit_code IN (
                   SELECT credit_code FROM pool_members
                   WHERE credit_code IS NOT NULL AND kind IN ({kinds})
                     AND coalesce(status, 'pool') IN ('pool', 'leader')
                   UNION SELECT credit_code FROM carried_pool WHERE credit_code IS NOT NULL), false)
                   AS in_pool
        FROM applications a
        LEFT JOIN seen h ON h.application_id = a.application_id AND h.stage = a.stage
        WHERE a.stage IS DISTINCT FROM 'draft'""")
    # One row per (cluster, pool company) marked, so an unfiltered count of pool companies per
    # cluster needs no DISTINCT over every application.
    conn.execute(f"""
        CREATE OR REPLACE TABLE {into}.application_facts AS
        SELECT *, in_pool AND row_number() OVER (
                      PARTITION BY cluster, credit_code, in_pool ORDER BY application_id) = 1
                  AS first_pool_row
        FROM {into}.application_facts""")
    return int(conn.execute(f"SELECT count(*) FROM {into}.application_counts").fetchall()[0][0])
