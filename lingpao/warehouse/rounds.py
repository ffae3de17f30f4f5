"""Every round in one warehouse: each round's tables in a schema of its own, `round_<year>`.

A run of one round works inside its schema only (`use_round`), so it never changes another round's
rows. The `main` schema holds what spans the rounds: a view per round table over every round (each
row with its `programme_year`, so `SELECT … FROM applications` in any SQL tool sees every round),
the leaders, and what each round was last built from (`round_builds`, so a run rebuilds only the
rounds whose inputs changed).

DuckDB looks a name up in the current schema, then in `main`: a round that lacks a table would read
the view over every round instead. Every round is therefore built with every table, and what is
present is asked of the current schema only (`tables_here`).
"""

from __future__ import annotations

import datetime as dt
import re

import duckdb

PREFIX = "round_"
# Tables of a round that readers never need: the parsed-file cache, every snapshot row (the
# warehouse keeps them for SQL tools), the caches of values kept across runs, the stamps.
INTERNAL = (
    "file_cache",
    "raw_",
    "platform_rows",
    "gx_reports",
    "build_stamps",
    "platform_issues",
    "round_inputs",
)
# Tables of a round with no view in `main` (caches and stamps; `platform_rows` has one, for SQL).
VIEWLESS = ("file_cache", "raw_", "gx_reports", "build_stamps", "round_inputs", "platform_issues")
# Tables of `main` itself (not views over the rounds): the cross-round facts.
MAIN_TABLES = ("leaders", "round_builds")


def schema_of(year: int) -> str:
    return f"{PREFIX}{int(year)}"


def use_round(conn: duckdb.DuckDBPyConnection, year: int) -> None:
    """Work inside round `year`'s schema (made on first use) on this connection."""
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema_of(year)}")
    conn.execute(f"USE {schema_of(year)}")


def use_main(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("USE main")


def years_in(conn: duckdb.DuckDBPyConnection, catalog: str | None = None) -> list[int]:
    """The rounds a database holds (of the attached `catalog`, else the current one), oldest first."""
    rows = conn.execute(
        "SELECT schema_name FROM information_schema.schemata "
        "WHERE catalog_name = coalesce(?, current_database()) AND starts_with(schema_name, ?)",
        [catalog, PREFIX],
    ).fetchall()
    return sorted(
        int(name[len(PREFIX) :]) for (name,) in rows if re.fullmatch(r"\d{4}", name[len(PREFIX) :])
    )


def tables_here(conn: duckdb.DuckDBPyConnection) -> set[str]:
    """The tables and views of the current schema (not those `main` would lend it)."""
    rows = conn.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_catalog = current_database() AND table_schema = current_schema()"
    ).fetchall()
    return {r[0] for r in rows}


def tables_of(conn: duckdb.DuckDBPyConnection, year: int, catalog: str | None = None) -> set[str]:
    rows = conn.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_catalog = coalesce(?, current_database()) AND table_schema = ?",
        [catalog, schema_of(year)],
    ).fetchall()
    return {r[0] for r in rows}


def is_internal(table: str) -> bool:
    return table.startswith(INTERNAL)


def clear_single_round_layout(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """A warehouse of before the rounds kept one round's tables in `main`: drop them (they are
    rebuilt from the inbox into the round's schema). Returns what was dropped."""
    rows = conn.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND NOT temporary"
    ).fetchall()
    names = {name for (name,) in rows}
    if "applications" not in names:  # the rounds' layout already
        return []
    dropped = sorted(names - set(MAIN_TABLES))
    for name in dropped:
        conn.execute(f'DROP TABLE main."{name}"')
    return dropped


def refresh_views(conn: duckdb.DuckDBPyConnection, into: str | None = None) -> list[str]:
    """In `main` (of the attached database `into`, else of this one): one view per round table over
    every round that has it, `programme_year` first. Returns the views."""
    catalog = into or None
    prefix = f"{into}." if into else ""
    years = years_in(conn, catalog)
    by_table: dict[str, list[int]] = {}
    for year in years:
        for table in sorted(tables_of(conn, year, catalog)):
            if not table.startswith(VIEWLESS):
                by_table.setdefault(table, []).append(year)
    present = conn.execute(
        "SELECT view_name FROM duckdb_views() WHERE database_name = coalesce(?, current_database()) "
        "AND schema_name = 'main' AND NOT internal",
        [catalog],
    ).fetchall()
    for (name,) in present:
        if name not in by_table:
            conn.execute(f'DROP VIEW {prefix}main."{name}"')
    with_year = _tables_with_year(conn, catalog)
    for table, in_years in by_table.items():
        parts = []
        for year in in_years:
            source = f'{schema_of(year)}."{table}"'
            if (schema_of(year), table) in with_year:
                parts.append(f"SELECT programme_year, * EXCLUDE (programme_year) FROM {source}")
            else:
                parts.append(f"SELECT {int(year)} AS programme_year, * FROM {source}")
        conn.execute(
            f'CREATE OR REPLACE VIEW {prefix}main."{table}" AS ' + " UNION ALL BY NAME ".join(parts)
        )
    return sorted(by_table)


def _tables_with_year(conn, catalog: str | None) -> set[tuple[str, str]]:
    """(schema, table) of every table of the database that has a `programme_year` column (one
    query of DuckDB's catalog: asking information_schema table by table cost a quarter second)."""
    return set(
        conn.execute(
            "SELECT schema_name, table_name FROM duckdb_columns() WHERE database_name = "
            "coalesce(?, current_database()) AND column_name = 'programme_year'",
            [catalog],
        ).fetchall()
    )


def _ensure_builds(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS main.round_builds (programme_year INTEGER PRIMARY KEY, "
        "fingerprint VARCHAR, built_at TIMESTAMPTZ)"
    )


def built_from(conn: duckdb.DuckDBPyConnection) -> dict[int, str]:
    """Round -> the fingerprint of the inputs it was last built from."""
    _ensure_builds(conn)
    return dict(
        conn.execute("SELECT programme_year, fingerprint FROM main.round_builds").fetchall()
    )


def record_build(conn: duckdb.DuckDBPyConnection, year: int, fingerprint: str) -> None:
    _ensure_builds(conn)
    conn.execute(
        "INSERT OR REPLACE INTO main.round_builds VALUES (?, ?, ?)",
        [int(year), fingerprint, dt.datetime.now(dt.UTC)],
    )


def enter_round(conn: duckdb.DuckDBPyConnection, year: int) -> duckdb.DuckDBPyConnection:
    """On a connection to a published copy or the warehouse: read round `year` (when the file holds
    it; a file of before the rounds is read as it is). Returns the connection."""
    if year in years_in(conn):
        conn.execute(f"USE {schema_of(year)}")
    return conn
