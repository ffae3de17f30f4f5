"""The serving copy: the dashboard reads a consistent copy, published atomically after each run.

A run that read no platform snapshot, or that would drop more than half of the applications the
dashboard shows now, is not published (an empty or unmounted inbox must not blank the dashboard).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from lingpao.foundation.programme import Programme
from lingpao.warehouse.connection import connect_read_only, literal
from lingpao.warehouse.summaries import SUMMARY_TABLES, build_summaries


class PublishRefused(RuntimeError):
    """This run's result is not published; the message says why and what to do."""


def published_applications(served: Path) -> int | None:
    """Applications in the current serving copy; None when there is none (or it cannot be read)."""
    if not served.exists():
        return None
    try:
        with connect_read_only(served) as conn:
            return int(conn.execute("SELECT count(*) FROM applications").fetchall()[0][0])
    except duckdb.Error:
        return None  # a damaged serving copy is replaced by this run


def refusal(conn: duckdb.DuckDBPyConnection, serving: Path, allow_shrink: bool) -> str | None:
    """Why this run must not be published over the serving copy `serving`, or None."""
    snapshots = conn.execute(
        "SELECT count(*) FROM inbox_files WHERE folder = 'platform' AND status = 'read'"
    ).fetchall()[0][0]
    if not snapshots and not allow_shrink:
        return (
            "收件箱中没有可读的平台导出文件（platform/），本次结果未发布，仪表盘继续显示上次发布的数据。"
            "请检查收件箱是否为空或未挂载。"
        )
    now = int(conn.execute("SELECT count(*) FROM applications").fetchall()[0][0])
    before = published_applications(serving)
    if before and now * 2 < before and not allow_shrink:
        return (
            f"本次只有 {now} 项申报，不到已发布的 {before} 项的一半，本次结果未发布。"
            "请检查收件箱是否缺少文件；确认无误后用 lingpao run --allow-shrink 发布。"
        )
    return None


# What readers never need: the parsed-file cache, every snapshot row (the warehouse keeps them for
# SQL tools), and the caches of values kept across runs (but the phones' kinds, which the report
# reads on the published copy).
NOT_SERVED = (
    "file_cache",
    "raw_",
    "platform_rows",
    "gx_reports",
    "build_stamps",
    "platform_issues",
)


def served_tables(conn: duckdb.DuckDBPyConnection) -> list[str]:
    names = [
        r[0]
        for r in conn.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND NOT temporary"
        ).fetchall()
    ]
    return sorted(n for n in names if not n.startswith(NOT_SERVED))


PUBLISHED_STAMPS = "_published_stamps"  # in the serving copy: what each kept table was built from


def already_published(conn: duckdb.DuckDBPyConnection, target: Path) -> set[str]:
    """Tables the serving copy already holds as this run built them (same build stamp): copying the
    serving copy is then cheaper than copying them again."""
    if not target.exists():
        return set()
    stamps = conn.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND table_name = 'build_stamps'"
    ).fetchall()[0][0]
    if not stamps:
        return set()
    try:
        with connect_read_only(target) as served:
            published = dict(served.execute(f"SELECT * FROM {PUBLISHED_STAMPS}").fetchall())
    except duckdb.Error:  # an older or damaged copy: publish everything
        return set()
    current = dict(conn.execute("SELECT table_name, stamp FROM build_stamps").fetchall())
    return {t for t, stamp in current.items() if published.get(t) == stamp}


def publish(conn: duckdb.DuckDBPyConnection, target: Path, programme: Programme) -> Path:
    """Write the tables readers use, and the pages' small aggregates, into a new file beside
    `target` (the serving copy), then rename it into place: readers see the old copy or the new one, never half.
    Tables the serving copy already holds as built (a large `applications` a re-check did not
    change) are kept by starting from a copy of it."""
    staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    staging.unlink(missing_ok=True)
    tables = served_tables(conn)
    kept = already_published(conn, target) & set(tables)
    if kept:
        shutil.copyfile(target, staging)
    conn.execute(f"ATTACH {literal(str(staging))} AS staging")
    try:
        present = {
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'staging'"
            ).fetchall()
        }
        for table in sorted(present - set(tables) - {PUBLISHED_STAMPS, *SUMMARY_TABLES}):
            conn.execute(f'DROP TABLE staging."{table}"')
        for table in tables:
            if table not in kept:
                conn.execute(
                    f'CREATE OR REPLACE TABLE staging."{table}" AS SELECT * FROM "{table}"'
                )
        build_summaries(conn, programme, into="staging")
        conn.execute(
            f"CREATE OR REPLACE TABLE staging.{PUBLISHED_STAMPS} (table_name VARCHAR, stamp VARCHAR)"
        )
        if "build_stamps" in {r[0] for r in conn.execute("SHOW TABLES").fetchall()}:
            conn.execute(
                f"INSERT INTO staging.{PUBLISHED_STAMPS} SELECT * FROM build_stamps "
                "WHERE table_name IN (SELECT unnest(?::VARCHAR[]))",
                [tables],
            )
    finally:
        conn.execute("DETACH staging")
    os.replace(staging, target)
    return target
