"""The pipeline's steps in order: what each Dagster asset does, and the same steps run without Dagster.

Each step is a plain function of a `Build` (a DuckDB connection, the round's inbox and programme, the
stewards' store) that writes its tables and returns what it did. The Dagster assets
(`lingpao.orchestration.assets`) call one step each; `build()` runs them all in order on any
connection (a warehouse file, or an in-memory database for a test that asks a question of the rules,
the stores or the pages and needs neither Dagster's events nor the Great Expectations report).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from lingpao.corrections.store import CorrectionStore
from lingpao.foundation.programme import Programme
from lingpao.ingest.build import (
    build_applications,
    build_city_submissions,
    build_correction_outcomes,
    build_platform_rows,
    build_registry,
    build_stage_history,
    platform_inputs_stamp,
)
from lingpao.ingest.cache import ScanReport, scan_inbox
from lingpao.ingest.safety import Limits
from lingpao.marts.shortlist import exclusions, shortlist_sql
from lingpao.quality.issues import find_issues
from lingpao.quality.status import with_decisions
from lingpao.warehouse.connection import replace_table, replace_table_from_sql
from lingpao.warehouse.publish import PublishRefused, publish, refusal


@dataclass
class Build:
    """What every step works on: the connection, the round's inbox and programme, the stewards'
    store (read once per build: the corrections and decisions a run applies are those of its start)."""

    conn: duckdb.DuckDBPyConnection
    inbox: Path
    programme: Programme
    store: CorrectionStore | None = None
    full: bool = False
    limits: Limits | None = None
    _corrections: pd.DataFrame | None = field(default=None, repr=False)
    _decisions: pd.DataFrame | None = field(default=None, repr=False)

    def _store(self) -> CorrectionStore:
        if self.store is None:
            raise RuntimeError("this step reads the stewards' store: give the Build one")
        return self.store

    @property
    def corrections(self) -> pd.DataFrame:
        if self._corrections is None:
            self._corrections = self._store().corrections()
        return self._corrections

    @property
    def decisions(self) -> pd.DataFrame:
        if self._decisions is None:
            self._decisions = self._store().latest_decisions()
        return self._decisions


def scan(b: Build) -> ScanReport:
    """List and hash the inbox; read only the files whose content is not cached yet."""
    return scan_inbox(b.conn, b.inbox, b.programme, b.limits, full=b.full)


def platform_rows(b: Build) -> tuple[int, bool]:
    """Every row of every platform snapshot, normalised; (rows, kept from the last run)."""
    return build_platform_rows(b.conn, b.programme)


def applications(b: Build) -> tuple[int, int]:
    """Each application once, in its current state, corrected; (rows, corrections applied)."""
    return build_applications(b.conn, b.programme, b.corrections)


def city_submissions(b: Build) -> tuple[int, int]:
    """Every application row of every city table read, corrected; (rows, corrections applied)."""
    return build_city_submissions(b.conn, b.programme, b.corrections)


def stage_history(b: Build) -> int:
    return build_stage_history(b.conn, b.programme)


def correction_outcomes(b: Build) -> int:
    return build_correction_outcomes(b.conn, b.programme)


def registry(b: Build) -> tuple[int, int]:
    """The pool list and the cluster list; (pool rows, cluster rows)."""
    return build_registry(b.conn, b.programme)


def dq_issues(b: Build) -> pd.DataFrame:
    """Every failed rule on every record, with the stewards' decisions; the issues."""
    inputs = platform_inputs_stamp(b.conn, b.programme, b.corrections)
    issues = with_decisions(find_issues(b.conn, b.programme, inputs), b.decisions)
    replace_table(b.conn, "dq_issues", issues, b.programme)
    return issues


def shortlist(b: Build) -> int:
    return replace_table_from_sql(b.conn, "shortlist", shortlist_sql(b.programme), b.programme)


def shortlist_exclusions(b: Build) -> int:
    frame = exclusions(b.conn, b.programme)
    return replace_table(b.conn, "shortlist_exclusions", frame, b.programme)


# Every table-building step, in an order that respects what each reads.
STEPS = (
    scan,
    platform_rows,
    applications,
    city_submissions,
    stage_history,
    correction_outcomes,
    registry,
    dq_issues,
    shortlist,
    shortlist_exclusions,
)


def serve(b: Build, serving: Path, allow_shrink: bool = False) -> Path:
    """Publish the built tables as the serving copy (refused, with the reason, when the run would
    blank or halve what the pages show)."""
    reason = refusal(b.conn, serving, allow_shrink)
    if reason:
        raise PublishRefused(reason)
    return publish(b.conn, serving, b.programme)


def build(b: Build, serving: Path | None = None, allow_shrink: bool = False) -> None:
    """Every step in order on `b.conn`, then (given a path) the serving copy; no Dagster, no report."""
    for step in STEPS:
        step(b)
    if serving is not None:
        serve(b, serving, allow_shrink)
