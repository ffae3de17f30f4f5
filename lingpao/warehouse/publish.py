"""The serving copy: the dashboard reads a consistent copy, published atomically after each run.

Every round is published, each in its schema (`round_<year>`), with the views of `main` over them.
A run of a round with a platform that read no platform snapshot, or that would drop more than half
of the round's applications the dashboard shows now, is not published (an empty or unmounted inbox
must not blank the dashboard).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from lingpao.foundation.programme import Programme
from lingpao.warehouse.connection import connect_read_only, literal
from lingpao.warehouse.rounds import MAIN_TABLES, is_internal, refresh_views, schema_of, years_in
from lingpao.warehouse.summaries import SUMMARY_TABLES, build_summaries


class PublishRefused(RuntimeError):
    """This run's result is not published; the message says why and what to do."""


def published_applications(served: Path, year: int) -> int | None:
    """Applications of round `year` in the current serving copy; None when there is none (or it
    cannot be read)."""
    if not served.exists():
        return None
    try:
        with connect_read_only(served) as conn:
            if year not in years_in(conn):
                return None
            return int(
                conn.execute(f"SELECT count(*) FROM {schema_of(year)}.applications").fetchall()[0][
                    0
                ]
            )
    except duckdb.Error:
        return None  # a damaged serving copy is replaced by this run


def refusal(
    conn: duckdb.DuckDBPyConnection, serving: Path, allow_shrink: bool, programme: Programme
) -> str | None:
    """Why this run of the round (the connection works in its schema) must not be published over
    the serving copy `serving`, or None."""
    if allow_shrink:
        return None
    year = programme.year
    if programme.has_platform:
        snapshots = conn.execute(
            "SELECT count(*) FROM inbox_files WHERE folder = 'platform' AND status = 'read'"
        ).fetchall()[0][0]
        if not snapshots:
            return (
                f"{year}年度的收件箱中没有可读的平台导出文件（platform/），本次结果未发布，"
                "仪表盘继续显示上次发布的数据。请检查收件箱是否为空或未挂载。"
            )
    now = int(conn.execute("SELECT count(*) FROM applications").fetchall()[0][0])
    before = published_applications(serving, year)
    if before and now * 2 < before:
        return (
            f"{year}年度本次只有 {now} 项申报，不到已发布的 {before} 项的一半，本次结果未发布。"
            "请检查收件箱是否缺少文件；确认无误后用 lingpao run --allow-shrink 发布。"
        )
    return None


PUBLISHED_STAMPS = (
    "_published_stamps"  # in each round of the serving copy: what each table was built from
)


def _catalog_tables(conn: duckdb.DuckDBPyConnection, catalog: str, schema: str) -> set[str]:
    rows = conn.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = ?",
        [catalog, schema],
    ).fetchall()
    return {r[0] for r in rows}


def served_tables(conn: duckdb.DuckDBPyConnection, year: int) -> list[str]:
    """The tables of a round that readers use."""
    catalog = conn.execute("SELECT current_database()").fetchall()[0][0]
    names = _catalog_tables(conn, catalog, schema_of(year))
    return sorted(n for n in names if not is_internal(n) and n != PUBLISHED_STAMPS)


def _stamps(conn: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    try:
        return dict(conn.execute(f"SELECT table_name, stamp FROM {table}").fetchall())
    except duckdb.Error:
        return {}


def publish(
    conn: duckdb.DuckDBPyConnection, target: Path, programmes: dict[int, Programme]
) -> Path:
    """Write the tables readers use of every round, each round's small aggregates for the pages,
    the cross-round tables and the views of `main`, into a new file beside `target` (the serving
    copy), then rename it into place: readers see the old copy or the new one, never half.
    Tables the serving copy already holds as built (the rounds a run did not touch, a large
    `applications` a re-check did not change) are kept by starting from a copy of it."""
    staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    staging.unlink(missing_ok=True)
    catalog = conn.execute("SELECT current_database()").fetchall()[0][0]
    years = years_in(conn)
    if target.exists():
        try:
            with connect_read_only(target):
                pass
            shutil.copyfile(target, staging)
        except duckdb.Error:  # a damaged copy: publish everything
            staging.unlink(missing_ok=True)
    conn.execute(f"ATTACH {literal(str(staging))} AS staging")
    try:
        for name in _catalog_tables(conn, "staging", "main") - set(MAIN_TABLES):
            conn.execute(f'DROP TABLE staging.main."{name}"')  # a copy of before the rounds
        for old in set(years_in(conn, "staging")) - set(years):
            conn.execute(f"DROP SCHEMA staging.{schema_of(old)} CASCADE")
        for year in years:
            _publish_round(conn, catalog, year, programmes.get(year))
        for table in MAIN_TABLES:
            if table in _catalog_tables(conn, catalog, "main"):
                conn.execute(
                    f'CREATE OR REPLACE TABLE staging.main."{table}" AS SELECT * FROM main."{table}"'
                )
        refresh_views(conn, into="staging")
    finally:
        conn.execute("DETACH staging")
    os.replace(staging, target)
    return target


def _publish_round(
    conn: duckdb.DuckDBPyConnection, catalog: str, year: int, programme: Programme | None
) -> None:
    """One round into the attached `staging`: its tables not already there as built, then (when
    any was copied) its aggregates, and its stamps. A round whose programme file cannot be read
    keeps the aggregates it was published with."""
    schema = schema_of(year)
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS staging.{schema}")
    tables = served_tables(conn, year)
    built = _stamps(conn, f"{schema}.build_stamps")
    published = _stamps(conn, f"staging.{schema}.{PUBLISHED_STAMPS}")
    kept = {t for t in tables if t in built and published.get(t) == built[t]}
    present = _catalog_tables(conn, "staging", schema)
    for table in sorted(present - set(tables) - {PUBLISHED_STAMPS, *SUMMARY_TABLES}):
        conn.execute(f'DROP TABLE staging.{schema}."{table}"')
    copied = [t for t in tables if t not in kept]
    for table in copied:
        conn.execute(
            f'CREATE OR REPLACE TABLE staging.{schema}."{table}" AS SELECT * FROM {schema}."{table}"'
        )
    if programme is not None and (copied or not set(SUMMARY_TABLES) <= present):
        conn.execute(f"USE {catalog}.{schema}")
        try:
            build_summaries(conn, programme, into=f"staging.{schema}")
        finally:
            conn.execute(f"USE {catalog}.main")
    conn.execute(
        f"CREATE OR REPLACE TABLE staging.{schema}.{PUBLISHED_STAMPS} "
        "(table_name VARCHAR, stamp VARCHAR)"
    )
    for table, stamp in built.items():
        if table in tables:
            conn.execute(
                f"INSERT INTO staging.{schema}.{PUBLISHED_STAMPS} VALUES (?, ?)", [table, stamp]
            )
