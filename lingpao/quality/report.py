"""The Great Expectations report: each suite validated when its input changed, and its agreement
with the SQL the hot path runs (the same expectations, the same failing records)."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
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
from lingpao.warehouse.connection import literal, read_frame
from lingpao.warehouse.rounds import schema_of, years_in

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


STATE = "reports.json"  # in the docs folder: what each suite's site was last built from


@contextlib.contextmanager
def _report_lock(docs_dir: Path) -> Iterator[None]:
    """One report at a time per docs folder (runs finishing together queue their reports)."""
    docs_dir.mkdir(parents=True, exist_ok=True)
    with (docs_dir / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _state(docs_dir: Path) -> dict:
    try:
        return json.loads((docs_dir / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def report(
    served: Path, programme: Programme, docs_dir: Path, full: bool = False
) -> list[SuiteReport]:
    """Validate, on the published copy `served` (read only), the suites whose input changed since
    their last report (all when `full`); rebuild their Data Docs sites and the index; compare each
    suite's failures with the SQL's. Built after the copy is published, so no page waits for it."""
    from lingpao.quality.gx_runner import SuiteRunner, write_index

    with _report_lock(docs_dir), duckdb.connect() as conn:
        conn.execute("SET enable_progress_bar = false")
        conn.execute(f"ATTACH {literal(str(served))} AS served (READ_ONLY)")
        rounds = years_in(conn, "served")
        conn.execute(
            f"USE served.{schema_of(programme.year)}" if programme.year in rounds else "USE served"
        )
        create_views(conn, programme, phone_tables=())
        state, runner, reports = _state(docs_dir), None, []
        # A round without a platform checks its city tables only (they are its applications).
        suites = list(SUITE_FACTS) if programme.has_platform else ["city_submissions"]
        for suite in suites:
            current = fingerprint(conn, suite, programme)
            stored = state.get(suite)
            if (
                stored
                and stored["fingerprint"] == current
                and not full
                and (docs_dir / suite / "index.html").exists()
            ):
                reports.append(
                    SuiteReport(
                        suite,
                        False,
                        stored["gx_failures"],
                        stored["sql_failures"],
                        stored["agrees"],
                    )
                )
                continue
            runner = runner or SuiteRunner(docs_dir)
            columns = ", ".join(_columns(suite))
            frame = read_frame(conn, f"SELECT {columns} FROM {SUITE_FACTS[suite]}")
            gx = {
                (f.rule, f.record_key)
                for f in runner.validate(suite, frame, suite_parameters(programme))
            }
            sql = sql_failures(conn, suite, programme)
            result = SuiteReport(suite, True, len(gx), len(sql), gx == sql)
            state[suite] = {
                "fingerprint": current,
                "gx_failures": result.gx_failures,
                "sql_failures": result.sql_failures,
                "agrees": result.agrees,
            }
            reports.append(result)
        write_index(docs_dir, {s: SUITE_LABELS[s] for s in suites})
        staged = docs_dir / f".{STATE}.tmp"
        staged.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
        os.replace(staged, docs_dir / STATE)
    return reports
