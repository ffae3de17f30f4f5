"""What every page's queries share: the filters, the viewer's scope bound once, and the guards.

A page's queries are an object made for one viewer (`Served(run, programme, viewer)`): every query
restricts itself to the viewer's scope here, below the pages (one reporting unit's rows only for a
city bureau; no contact names or phones without contact access, removed from every result; no
record-level issues, records or file names without record access: Forbidden).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from lingpao.access.audit import AuditLog
from lingpao.access.roles import Forbidden
from lingpao.access.viewer import Scope, Viewer
from lingpao.foundation.programme import Programme
from lingpao.foundation.schema import PERSONAL_COLUMNS
from lingpao.quality.issues import not_applied
from lingpao.warehouse.connection import connect_read_only, read_frame
from lingpao.warehouse.rounds import enter_round

FILTER_COLUMNS = ("city", "cluster", "direction", "application_type", "stage")
# Values a count may be grouped under besides the ids themselves, and what they select.
EMPTY = "(空或无效)"  # an empty or unrecognised value (NULL)
OFF_LIST = "不在集群名单中"  # a cluster not on the provincial cluster list (or none)
Runner = Callable[[str, tuple], pd.DataFrame]  # (sql, params) on the served copy -> result
Connector = Callable[[], duckdb.DuckDBPyConnection]  # a read-only connection, for a workbook


@dataclass(frozen=True)
class Filters:
    """The shared page filters; an empty tuple means no restriction."""

    city: tuple[str, ...] = ()
    cluster: tuple[str, ...] = ()
    direction: tuple[str, ...] = ()
    application_type: tuple[str, ...] = ()
    stage: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def active(self) -> bool:
        return any(getattr(self, c) for c in FILTER_COLUMNS)


NO_FILTERS = Filters()


def matching(text: str | None, columns: tuple[str, ...], alias: str) -> tuple[str, list]:
    """(SQL condition, parameters): any of the columns contains the text (plain text, any case)."""
    if not text or not text.strip():
        return "TRUE", []
    escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    parts = [f"coalesce(CAST({alias}.{c} AS VARCHAR), '') ILIKE ? ESCAPE '\\'" for c in columns]
    return "(" + " OR ".join(parts) + ")", [f"%{escaped}%"] * len(columns)


def limited(limit: int | None, offset: int = 0) -> str:
    return (f" LIMIT {int(limit)}" if limit is not None else "") + (
        f" OFFSET {int(offset)}" if offset else ""
    )


def where(
    scope: Scope, filters: Filters, alias: str = "a", columns: tuple[str, ...] = FILTER_COLUMNS
) -> tuple[str, list]:
    """(SQL condition, parameters) restricting rows to the scope and the filters."""
    parts, params = ["TRUE"], []
    if scope.unit:
        parts.append(f"{alias}.city = ?")
        params.append(scope.unit)
    for column in columns:
        values = [v for v in getattr(filters, column) if v not in (EMPTY, OFF_LIST)]
        chosen = []
        if values:
            chosen.append(f"{alias}.{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)
        if EMPTY in getattr(filters, column):
            chosen.append(f"{alias}.{column} IS NULL")
        if OFF_LIST in getattr(filters, column):
            chosen.append(
                f"({alias}.{column} IS NULL OR {alias}.{column} NOT IN "
                f"(SELECT cluster FROM clusters WHERE cluster IS NOT NULL))"
            )
        if chosen:
            parts.append("(" + " OR ".join(chosen) + ")")
    return " AND ".join(parts), params


def grouped(column: str, alias: str = "a") -> str:
    """A column as counts group it: a cluster not on the cluster list under OFF_LIST (never as a
    cluster of its own), an empty or unknown value under EMPTY."""
    if column == "cluster":
        return (
            f"CASE WHEN {alias}.cluster IN (SELECT cluster FROM clusters WHERE cluster IS NOT NULL) "
            f"THEN {alias}.cluster ELSE '{OFF_LIST}' END AS cluster"
        )
    return f"coalesce({alias}.{column}, '{EMPTY}') AS {column}"


def stage_list(stages: list[str]) -> str:
    """Stage ids as a SQL list (ids come from the programme file, never from a person)."""
    return ", ".join("'" + s.replace("'", "''") + "'" for s in stages) or "NULL"


class Served:
    """One viewer's queries on the served copy: `run(sql, params)` executes one (the dashboard
    caches it per published version); `connect()` opens the copy for a workbook; downloads are
    recorded in `audit`."""

    def __init__(
        self,
        run: Runner,
        programme: Programme,
        viewer: Viewer,
        connect: Connector | None = None,
        audit: AuditLog | None = None,
    ) -> None:
        self.run, self.programme, self.viewer = run, programme, viewer
        self.scope: Scope = viewer.scope
        self._connect, self.audit = connect, audit
        self._tables: set[str] | None = None  # asked for often as a page draws

    @classmethod
    def on_file(
        cls, path: Path, programme: Programme, viewer: Viewer, audit: AuditLog | None = None
    ):
        """The queries on a published file, each in its own short read-only connection (the
        command line, a test; the dashboard keeps one attached copy per version instead)."""

        def connect() -> duckdb.DuckDBPyConnection:
            return enter_round(connect_read_only(path), programme.year)

        def run(sql: str, params: tuple) -> pd.DataFrame:
            with connect() as conn:
                return read_frame(conn, sql, list(params))

        return cls(run, programme, viewer, connect=connect, audit=audit)

    # -- guards --------------------------------------------------------------------------------
    def scoped(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A result as the viewer may see it: contact columns dropped without contact access."""
        if self.scope.contacts:
            return frame
        return frame.drop(columns=[c for c in PERSONAL_COLUMNS if c in frame.columns])

    def require_records(self) -> None:
        """Record-level reads (issues, records, file names and reasons) need record access."""
        if not self.scope.records:
            raise Forbidden("此角色不能查看记录明细")

    def _query(self, sql: str, params: list | tuple = ()) -> pd.DataFrame:
        """Run a query on the served data; an empty frame when nothing has been published yet.
        Unscoped: for the data's shape (tables, as-of time, filter options, counts) only."""
        return self.run(sql, tuple(params))

    def select(self, sql: str, params: list | tuple = ()) -> pd.DataFrame:
        """A query's result as the viewer may see it (the SQL restricts units; this drops contacts)."""
        return self.scoped(self._query(sql, params))

    def where(
        self, filters: Filters, alias: str = "a", columns: tuple[str, ...] = FILTER_COLUMNS
    ) -> tuple[str, list]:
        return where(self.scope, filters, alias, columns)

    # -- the data's shape ------------------------------------------------------------------------
    def tables(self) -> set[str]:
        """The tables of the round being read (not those `main` would lend it); read once per
        object (one is made for each time a page is drawn)."""
        if self._tables is None:
            frame = self._query(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_catalog = current_database() AND table_schema = current_schema()"
            )
            self._tables = set(frame["table_name"]) if len(frame) else set()
        return self._tables

    def rules_not_applied(self) -> list[str]:
        """The names of the rules this round cannot apply (a round without platform exports)."""
        return [rule.name for rule in not_applied(self.programme)]

    def has(self, *names: str) -> bool:
        return set(names) <= self.tables()

    def as_of(self) -> pd.Timestamp | None:
        """Export time of the newest platform snapshot read; in a round without platform exports,
        the time the newest city table read arrived."""
        if not self.has("inbox_files"):
            return None
        if self.programme.has_platform:
            sql = (
                "SELECT max(snapshot_at) AS t FROM inbox_files "
                "WHERE folder = 'platform' AND status = 'read'"
            )
        else:
            sql = (
                "SELECT max(modified_at) AS t FROM inbox_files "
                "WHERE folder = 'cities' AND status = 'read'"
            )
        frame = self._query(sql)
        value = frame["t"].iloc[0] if len(frame) else None
        return (
            None
            if value is None or pd.isna(value)
            else pd.Timestamp(value).tz_convert(self.programme.timezone)
        )

    def filter_options(self) -> dict[str, list[str]]:
        """Values the filters offer, in the programme's order: units (a city bureau: its own),
        directions, types and stages from the programme, clusters from the data."""
        p = self.programme
        clusters = self.unit_clusters(self.scope.unit)
        return {
            "city": [self.scope.unit] if self.scope.unit else p.units,
            "cluster": clusters,
            "direction": list(p.directions),
            "application_type": list(p.types),
            "stage": [s["id"] for s in p.stages],
        }

    def unit_clusters(self, unit: str | None) -> list[str]:
        """The clusters of the list (of one unit, or all), and OFF_LIST when some application
        names a cluster that is not on it."""
        if not self.has("clusters", "applications"):
            return []
        listed = self._query(
            "SELECT DISTINCT cluster FROM clusters WHERE cluster IS NOT NULL "
            "AND (? IS NULL OR city = ?) ORDER BY 1",
            [unit, unit],
        )
        off = self._query(
            "SELECT count(*) AS n FROM applications WHERE (? IS NULL OR city = ?) "
            "AND (cluster IS NULL OR cluster NOT IN (SELECT cluster FROM clusters "
            "WHERE cluster IS NOT NULL))",
            [unit, unit],
        )
        return list(listed["cluster"]) + ([OFF_LIST] if int(off["n"].iloc[0]) else [])

    # -- counts (every page's) -------------------------------------------------------------------
    def counts_by(self, columns: list[str], filters: Filters) -> pd.DataFrame:
        """Submitted applications counted per combination of columns (NULL shown as 空或无效)."""
        if not self.has("application_counts"):
            return pd.DataFrame(columns=[*columns, "applications"])
        condition, params = self.where(filters)
        chosen = ", ".join(grouped(c) for c in columns)
        return self.select(
            f"SELECT {chosen}, CAST(sum(a.applications) AS BIGINT) AS applications "
            f"FROM application_counts a WHERE a.stage IS DISTINCT FROM 'draft' AND {condition} "
            f"GROUP BY ALL ORDER BY applications DESC, {', '.join(columns)}",
            params,
        )

    def application_counts(self, dimension: str, filters: Filters) -> pd.DataFrame:
        if dimension not in FILTER_COLUMNS:
            raise ValueError(f"unknown dimension {dimension}")
        return self.counts_by([dimension], filters)

    # -- workbooks -------------------------------------------------------------------------------
    def download(self, action: str, unit: str | None, what: str, build) -> bytes:
        """A workbook (or zip) the viewer may have, built on the served copy and audited:
        `build(conn)` returns its bytes. Forbidden (and audited as refused) otherwise."""
        try:
            self.viewer.require(action, unit)
        except Forbidden as refusal:
            if self.audit is not None:
                self.audit.record("refused", self.viewer, f"download {what}: {refusal}")
            raise
        if self._connect is None:
            raise ValueError("尚无已发布的数据")
        with self._connect() as conn:
            data = build(conn)
        if self.audit is not None:
            self.audit.record("download", self.viewer, what)
        return data
