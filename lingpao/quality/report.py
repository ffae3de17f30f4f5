"""The Great Expectations report: each suite validated when its input changed, and its agreement
with the SQL the hot path runs (the same expectations, the same failing records)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from lingpao.foundation.programme import Programme
from lingpao.quality.suites import (
    SUITE_FACTS,
    expectation_columns,
    failures_sql,
    load_suite,
    suite_parameters,
)
from lingpao.quality.views import create_views
from lingpao.warehouse.connection import read_frame

SUITE_LABELS = {"applications": "平台申报", "city_submissions": "市级汇总表"}


@dataclass(frozen=True)
class SuiteReport:
    """One suite this run: validated anew or not, failures by GX and by SQL, and whether they agree."""

    suite: str
    validated: bool
    gx_failures: int
    sql_failures: int
    agrees: bool


def _columns(suite: str) -> list[str]:
    found = {c for e in load_suite(suite)["expectations"] for c in expectation_columns(e)}
    return ["record_key", *sorted(found)]


def fingerprint(conn: duckdb.DuckDBPyConnection, suite: str, programme: Programme) -> str:
    """Changes when the suite, its parameters or any value it checks changes."""
    columns = ", ".join(_columns(suite))
    count, mixed = conn.execute(
        f"SELECT count(*), bit_xor(hash({columns})) FROM {SUITE_FACTS[suite]}"
    ).fetchall()[0]
    facts = json.dumps([load_suite(suite), suite_parameters(programme)], sort_keys=True)
    return hashlib.sha1(f"{count}|{mixed}|{facts}".encode()).hexdigest()


def sql_failures(conn: duckdb.DuckDBPyConnection, suite: str, programme: Programme) -> set:
    frame = read_frame(
        conn, f"SELECT DISTINCT rule, record_key FROM ({failures_sql(suite, programme)})"
    )
    return set(zip(frame["rule"], frame["record_key"].astype(str), strict=True))


def report(
    conn: duckdb.DuckDBPyConnection, programme: Programme, docs_dir: Path, full: bool = False
) -> list[SuiteReport]:
    """Validate the suites whose input changed since their last report (all when `full`), rebuild
    their Data Docs sites and the index; compare each suite's failures with the SQL's."""
    from lingpao.quality.gx_runner import SuiteRunner, write_index

    create_views(conn, programme)
    conn.execute(
        "CREATE TABLE IF NOT EXISTS gx_reports (suite VARCHAR PRIMARY KEY, fingerprint VARCHAR, "
        "gx_failures INTEGER, sql_failures INTEGER, agrees BOOLEAN)"
    )
    runner, reports = None, []
    for suite in SUITE_FACTS:
        current = fingerprint(conn, suite, programme)
        stored = conn.execute(
            "SELECT fingerprint, gx_failures, sql_failures, agrees FROM gx_reports WHERE suite = ?",
            [suite],
        ).fetchall()
        stored = stored[0] if stored else None
        if (
            stored
            and stored[0] == current
            and not full
            and (docs_dir / suite / "index.html").exists()
        ):
            reports.append(SuiteReport(suite, False, stored[1], stored[2], stored[3]))
            continue
        runner = runner or SuiteRunner(docs_dir)
        frame = read_frame(conn, f"SELECT {', '.join(_columns(suite))} FROM {SUITE_FACTS[suite]}")
        gx = {
            (f.rule, f.record_key)
            for f in runner.validate(suite, frame, suite_parameters(programme))
        }
        sql = sql_failures(conn, suite, programme)
        result = SuiteReport(suite, True, len(gx), len(sql), gx == sql)
        conn.execute(
            "INSERT OR REPLACE INTO gx_reports VALUES (?, ?, ?, ?, ?)",
            [suite, current, result.gx_failures, result.sql_failures, result.agrees],
        )
        reports.append(result)
    write_index(docs_dir, SUITE_LABELS)
    return reports
