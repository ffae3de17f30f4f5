"""What earlier rounds carry into a round, and the leaders across rounds (contract §5).

Every fact about who is a leader is an event: certified in a year, or adjusted (动态调整) in a
year. The events come from the registry files of every round (a 领跑者 row: certified in its 认定年度;
a 已调整 row: adjusted in its 调整年度), from the platform (a certification at `certified` in a
round), and from the province's decisions (the review's certification and the leaders' check,
`main.certified` and `main.leader_checks`, when they exist). A company is a leader as of round Y
when it was certified before Y and not adjusted since; an adjustment in a round counts from the
next round on (the 2023 adjustments followed that year's check, after its info updates).

The pool as of round Y is this round's own lists (`pool_members`) and, carried: the pool entries
confirmed in earlier rounds (`rounds`), earlier rounds' registry pools (`registry`) and cities'
pools (`cities`), as the round's `pools` says, and every leader.
"""

from __future__ import annotations

import duckdb

from lingpao.foundation.programme import Programme
from lingpao.warehouse.connection import literal, replace_table_from_sql
from lingpao.warehouse.rounds import schema_of, tables_of, years_in

DECISION_TABLES = ("certified", "leader_checks")


def _main_tables(conn: duckdb.DuckDBPyConnection) -> set[str]:
    """The tables and views of `main` (the decisions are views over the rounds)."""
    rows = conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = "
        "current_database() AND table_schema = 'main'"
    ).fetchall()
    return {r[0] for r in rows}


def events_sql(conn: duckdb.DuckDBPyConnection, programme: Programme) -> str:
    """Every certification and adjustment known, one row each: credit_code, company_name, city,
    cluster, year, kind (`certified` | `adjusted`, or `seen`: an application that only tells where
    the company is), reason, source, programme_year (the round whose inputs say so)."""
    parts = []
    for year in years_in(conn):
        schema, present = schema_of(year), tables_of(conn, year)
        if "pool_members" in present:
            parts.append(f"""
                SELECT credit_code, company_name, city, cluster,
                       coalesce(since_year, {year - 1}) AS year,
                       'certified' AS kind, NULL AS reason, 'registry' AS source,
                       {year} AS programme_year
                FROM {schema}.pool_members WHERE kind = 'pool' AND status = 'leader'
                UNION ALL
                SELECT credit_code, company_name, city, cluster,
                       coalesce(adjusted_year, {year - 1}) AS year, 'adjusted' AS kind, reason,
                       'registry' AS source, {year} AS programme_year
                FROM {schema}.pool_members WHERE kind = 'pool' AND status = 'adjusted'""")
        if "applications" in present:
            parts.append(f"""
                SELECT credit_code, company_name, city, cluster, {year} AS year,
                       CASE WHEN application_type = 'certification' AND stage = 'certified'
                            THEN 'certified' ELSE 'seen' END AS kind,
                       NULL AS reason, 'platform' AS source, {year} AS programme_year
                FROM {schema}.applications WHERE stage IS DISTINCT FROM 'draft'""")
    decided = _main_tables(conn)
    if "certified" in decided:
        parts.append("""
            SELECT c.credit_code, c.company_name, c.city, c.cluster, c.programme_year AS year,
                   'certified' AS kind, NULL AS reason, 'decision' AS source, c.programme_year
            FROM main.certified c""")
    if "leader_checks" in decided:
        parts.append("""
            SELECT credit_code, company_name, unit AS city, cluster, programme_year AS year,
                   'adjusted' AS kind, reason, 'decision' AS source, programme_year
            FROM main.leader_checks WHERE result = 'adjust' AND confirmed_by IS NOT NULL""")
    if not parts:
        return (
            "SELECT NULL::VARCHAR AS credit_code, NULL::VARCHAR AS company_name, "
            "NULL::VARCHAR AS city, NULL::VARCHAR AS cluster, NULL::INTEGER AS year, "
            "NULL::VARCHAR AS kind, NULL::VARCHAR AS reason, NULL::VARCHAR AS source, "
            "NULL::INTEGER AS programme_year WHERE false"
        )
    union = " UNION ALL ".join(f"({p})" for p in parts)
    return f"SELECT * FROM ({union}) WHERE credit_code IS NOT NULL"


def leaders_sql(events: str, before: int | None = None) -> str:
    """One row per company that is or was a leader (of the events before round `before`, else of
    all): since when, active or adjusted (and when, why), and where the first certification came
    from. An adjustment in the year of a certification follows it."""
    condition = f"year < {int(before)}" if before is not None else "TRUE"
    return f"""
        WITH known AS (SELECT * FROM ({events}) WHERE {condition}),
        certified AS (
            SELECT credit_code, min(year) AS since_year, max(year) AS last_certified,
                   -- the first certification's source; in one year the province's decision
                   -- before the registry, the registry before the platform (which may lag)
                   arg_min(source, year * 10 + CASE source WHEN 'decision' THEN 0
                                                    WHEN 'registry' THEN 1 ELSE 2 END) AS source
            FROM known WHERE kind = 'certified' GROUP BY 1
        ),
        adjusted AS (
            SELECT credit_code, max(year) AS adjusted_year, arg_max(reason, year) AS reason
            FROM known WHERE kind = 'adjusted' GROUP BY 1
        ),
        named AS (
            SELECT credit_code, arg_max(company_name, year) AS company_name,
                   arg_max(city, year) AS city, arg_max(cluster, year) AS cluster
            FROM ({events}) WHERE company_name IS NOT NULL OR city IS NOT NULL GROUP BY 1
        )
        SELECT c.credit_code, n.company_name, n.city, n.cluster, c.since_year,
               CASE WHEN a.adjusted_year >= c.last_certified THEN 'adjusted' ELSE 'active' END
                   AS status,
               CASE WHEN a.adjusted_year >= c.last_certified THEN a.adjusted_year END
                   AS adjusted_year,
               CASE WHEN a.adjusted_year >= c.last_certified THEN a.reason END AS reason,
               c.source
        FROM certified c LEFT JOIN adjusted a USING (credit_code)
        LEFT JOIN named n USING (credit_code)
        ORDER BY c.since_year, c.credit_code"""


def carried_pool_sql(conn: duckdb.DuckDBPyConnection, programme: Programme, events: str) -> str:
    """The pool members earlier rounds carry into this one (as the round's `pools` says), and
    every leader as of this round."""
    year, pools = programme.year, programme.pools
    confirmed = ", ".join(literal(s) for s in programme.reached("city_confirmed"))
    parts = [
        f"SELECT credit_code, company_name, since_year, 'leader' AS source "
        f"FROM ({leaders_sql(events, year)}) WHERE status = 'active'"
    ]
    for earlier in years_in(conn):
        if earlier >= year:
            continue
        schema, present = schema_of(earlier), tables_of(conn, earlier)
        if "rounds" in pools and "applications" in present:
            parts.append(
                f"SELECT credit_code, company_name, {earlier} AS since_year, 'round' AS source "
                f"FROM {schema}.applications WHERE application_type = 'pool_entry' "
                f"AND stage IN ({confirmed})"
            )
        kinds = programme.pool_lists
        if kinds and "pool_members" in present:
            listed = ", ".join(literal(k) for k in kinds)
            parts.append(
                f"SELECT credit_code, company_name, {earlier} AS since_year, "
                f"CASE kind WHEN 'pool' THEN 'registry' ELSE 'city_pool' END AS source "
                f"FROM {schema}.pool_members WHERE kind IN ({listed}) "
                f"AND coalesce(status, 'pool') IN ('pool', 'leader')"
            )
    union = " UNION ALL ".join(parts)
    return f"""
        SELECT credit_code, arg_min(company_name, since_year) AS company_name,
               min(since_year) AS since_year, arg_min(source, since_year) AS source
        FROM ({union}) WHERE credit_code IS NOT NULL GROUP BY 1"""


def build_carried(conn: duckdb.DuckDBPyConnection, programme: Programme) -> tuple[int, int]:
    """`carried_pool` and `leaders_as_of` of the round being built (the connection works in its
    schema); (pool members carried, leaders as of the round)."""
    events = events_sql(conn, programme)
    pool = replace_table_from_sql(
        conn, "carried_pool", carried_pool_sql(conn, programme, events), programme
    )
    replace_table_from_sql(conn, "leaders_as_of", leaders_sql(events, programme.year), programme)
    leaders = conn.execute("SELECT count(*) FROM leaders_as_of WHERE status = 'active'").fetchall()
    return pool, int(leaders[0][0])


def build_leaders(conn: duckdb.DuckDBPyConnection, programme: Programme) -> int:
    """`main.leaders`: every company that is, or was, a leader, over every round."""
    sql = leaders_sql(events_sql(conn, programme))
    conn.execute(f"CREATE OR REPLACE TABLE main.leaders AS {sql}")
    return int(conn.execute("SELECT count(*) FROM main.leaders").fetchall()[0][0])
