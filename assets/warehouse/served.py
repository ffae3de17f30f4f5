"""The queries behind the pages, on the served copy of the warehouse, each enforcing the viewer's scope.

Every query takes the viewer's `Scope` and the shared `Filters` and enforces the scope here, below the
pages: one reporting unit's rows only for a city bureau; no contact names or phones where the scope
has no contact access (columns removed from every result); no record-level issues, records or file
names where it has no record access (Forbidden).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from assets.access.roles import Forbidden
from assets.access.viewer import Scope
from assets.foundation.programme import Programme, city_passed
from assets.foundation.schema import PERSONAL_COLUMNS

FILTER_COLUMNS = ("city", "cluster", "direction", "application_type", "stage")
ALL_UNITS = Scope()  # province staff's and stewards' scope


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


def where(
    scope: Scope, filters: Filters, alias: str = "a", columns: tuple[str, ...] = FILTER_COLUMNS
):
    """(SQL condition, parameters) restricting rows to the scope and the filters."""
    parts, params = ["TRUE"], []
    if scope.unit:
        parts.append(f"{alias}.city = ?")
        params.append(scope.unit)
    for column in columns:
        values = getattr(filters, column)
        if values:
            parts.append(f"{alias}.{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)
    return " AND ".join(parts), params


class Served:
    """The queries of the pages on the served copy: `run(sql, params)` executes one (the dashboard
    caches it per published version); every query takes the viewer's scope and enforces it."""

    def __init__(self, run: Callable[[str, tuple], pd.DataFrame], programme: Programme) -> None:
        self.run = run
        self.programme = programme

    def scoped(self, scope: Scope, frame: pd.DataFrame) -> pd.DataFrame:
        """A result as the scope may see it: contact columns dropped without contact access."""
        if scope.contacts:
            return frame
        return frame.drop(columns=[c for c in PERSONAL_COLUMNS if c in frame.columns])

    def require_records(self, scope: Scope) -> None:
        """Record-level reads (issues, records, file names and reasons) need record access."""
        if not scope.records:
            raise Forbidden("此角色不能查看记录明细")

    def _query(self, sql: str, params: list | tuple = ()) -> pd.DataFrame:
        """Run a query on the served data; an empty frame when nothing has been published yet.
        Unscoped: for the data's shape (tables, as-of time, filter options) only."""
        return self.run(sql, tuple(params))

    def select(self, scope: Scope, sql: str, params: list | tuple = ()) -> pd.DataFrame:
        """A query's result as the scope may see it (the SQL restricts units; this drops contacts)."""
        return self.scoped(scope, self._query(sql, params))

    def tables(self) -> set[str]:
        frame = self._query("SELECT table_name FROM information_schema.tables")
        return set(frame["table_name"]) if len(frame) else set()

    def has(self, *names: str) -> bool:
        return set(names) <= self.tables()

    def as_of(self) -> pd.Timestamp | None:
        """Export time of the newest platform snapshot read."""
        if not self.has("inbox_files"):
            return None
        frame = self._query(
            "SELECT max(snapshot_at) AS t FROM inbox_files WHERE folder = 'platform' AND status = 'read'"
        )
        value = frame["t"].iloc[0] if len(frame) else None
        return (
            None
            if value is None or pd.isna(value)
            else pd.Timestamp(value).tz_convert(self.programme.timezone)
        )

    def filter_options(self) -> dict[str, list[str]]:
        """Values the filters offer: units and directions/types/stages from the programme, clusters from data."""
        p = self.programme
        clusters = (
            self._query(
                "SELECT DISTINCT cluster FROM clusters WHERE cluster IS NOT NULL UNION "
                "SELECT DISTINCT cluster FROM applications WHERE cluster IS NOT NULL ORDER BY 1"
            )
            if self.has("clusters", "applications")
            else pd.DataFrame({"cluster": []})
        )
        return {
            "city": p.units,
            "cluster": list(clusters["cluster"]),
            "direction": list(p.directions),
            "application_type": list(p.types),
            "stage": [s["id"] for s in p.stages],
        }

    def unit_clusters(self, unit: str) -> list[str]:
        """Clusters of one unit: those listed under it and those its applications name."""
        if not self.has("clusters", "applications"):
            return []
        frame = self._query(
            "SELECT cluster FROM clusters WHERE city = ? UNION SELECT cluster FROM applications "
            "WHERE city = ? AND cluster IS NOT NULL ORDER BY 1",
            [unit, unit],
        )
        return list(frame["cluster"])

    def counts_by(self, columns: list[str], scope: Scope, filters: Filters) -> pd.DataFrame:
        """Submitted applications counted per combination of columns (NULL shown as 空或无效)."""
        if not self.has("application_counts"):
            return pd.DataFrame(columns=[*columns, "applications"])
        condition, params = where(scope, filters)
        chosen = ", ".join(f"coalesce(a.{c}, '(空或无效)') AS {c}" for c in columns)
        return self.select(
            scope,
            f"SELECT {chosen}, CAST(sum(a.applications) AS BIGINT) AS applications "
            f"FROM application_counts a WHERE a.stage IS DISTINCT FROM 'draft' AND {condition} "
            f"GROUP BY ALL ORDER BY applications DESC, {', '.join(columns)}",
            params,
        )

    def application_counts(
        self, dimension: str, scope: Scope = ALL_UNITS, filters: Filters = NO_FILTERS
    ) -> pd.DataFrame:
        if dimension not in FILTER_COLUMNS:
            raise ValueError(f"unknown dimension {dimension}")
        return self.counts_by([dimension], scope, filters)

    def drafts(self, scope: Scope, filters: Filters) -> int:
        if not self.has("application_counts"):
            return 0
        condition, params = where(
            scope, filters, columns=("city", "cluster", "direction", "application_type")
        )
        return int(
            self.select(
                scope,
                "SELECT coalesce(sum(a.applications), 0) AS n FROM application_counts a "
                f"WHERE a.stage = 'draft' AND {condition}",
                params,
            )["n"].iloc[0]
        )

    def stage_buckets(self, scope: Scope, filters: Filters) -> dict[str, int]:
        """The progress KPIs: submitted, waiting at county, waiting at city, confirmed, recommended, certified."""
        frame = self.counts_by(["stage"], scope, filters)
        n = dict(zip(frame["stage"], frame["applications"], strict=True)) if len(frame) else {}
        recommended = self.programme.reached("city_recommended")
        exits = [st["id"] for st in self.programme.stages if st.get("exit_after")]
        return {
            "submitted": sum(n.values()),
            "county_pending": n.get("submitted", 0),
            "city_pending": n.get("county_verified", 0),
            "city_confirmed": n.get("city_confirmed", 0),
            "recommended": sum(n.get(s, 0) for s in recommended),
            "certified": n.get("certified", 0),
            "returned": sum(n.get(s, 0) for s in exits),
        }

    FUNNEL = [  # (label, the stage reached)
        ("已提交", "submitted"),
        ("县级审核通过", "county_verified"),
        ("市级确认或推荐", "city_confirmed"),
        ("省级评审", "province_review"),
        ("已认定", "certified"),
    ]

    def funnel(self, scope: Scope, filters: Filters) -> pd.DataFrame:
        frame = self.counts_by(["stage"], scope, filters)
        n = dict(zip(frame["stage"], frame["applications"], strict=True)) if len(frame) else {}
        rows = [
            (label, sum(n.get(s, 0) for s in self.programme.reached(stage)))
            for label, stage in self.FUNNEL
        ]
        return pd.DataFrame(rows, columns=["环节", "申报数"])

    def daily_submissions(self, scope: Scope, filters: Filters) -> pd.DataFrame:
        if not self.has("application_counts"):
            return pd.DataFrame(columns=["day", "application_type", "applications"])
        condition, params = where(scope, filters)
        return self.select(
            scope,
            "SELECT a.day, a.application_type, CAST(sum(a.applications) AS BIGINT) AS applications "
            "FROM application_counts a WHERE a.stage IS DISTINCT FROM 'draft' AND a.day IS NOT NULL "
            f"AND {condition} GROUP BY ALL ORDER BY 1, 2",
            params,
        )

    def city_table_arrivals(self, scope: Scope) -> pd.DataFrame:
        """For each reporting unit: its city table files, when they arrived, how many rows, any unreadable."""
        p = self.programme
        units = [scope.unit] if scope.unit else p.units
        files = (
            self.select(scope, "SELECT * FROM inbox_files WHERE folder = 'cities'")
            if self.has("inbox_files")
            else pd.DataFrame()
        )
        rows = []
        for unit in units:
            mine = (
                files[
                    files["city"].fillna("").str.split("、").map(lambda cities, u=unit: u in cities)
                ]
                if len(files)
                else files
            )
            read = mine[mine["status"] == "read"] if len(mine) else mine
            arrived = read["modified_at"].max() if len(read) else None
            rows.append(
                {
                    "unit": unit,
                    "files": "、".join(read["source_file"]) if len(read) else "",
                    "arrived_at": None
                    if arrived is None or pd.isna(arrived)
                    else pd.Timestamp(arrived).tz_convert(p.timezone),
                    "rows": int(read["rows"].sum()) if len(read) else 0,
                }
            )
        return pd.DataFrame(rows)

    def unreadable_city_files(self, scope: Scope) -> pd.DataFrame:
        """City-table files not read, and why; a city bureau sees only those read as its own unit's."""
        if not self.has("inbox_files"):
            return pd.DataFrame(columns=["source_file", "reason"])
        return self.select(
            scope,
            "SELECT source_file, reason FROM inbox_files WHERE folder = 'cities' AND status <> 'read' "
            "AND (? IS NULL OR list_contains(string_split(coalesce(city, ''), '、'), ?)) ORDER BY 1",
            [scope.unit, scope.unit],
        )

    def longest_waiting(
        self, scope: Scope, filters: Filters, waiting_at: str, limit: int = 10
    ) -> pd.DataFrame:
        """Applications waiting longest at a stage (`submitted`: county's turn; `county_verified`: city's)."""
        if not self.has("applications", "stage_history", "inbox_files"):
            return pd.DataFrame()
        condition, params = where(
            scope, filters, columns=("city", "cluster", "direction", "application_type")
        )
        return self.select(
            scope,
            f"""
            SELECT a.application_id, a.company_name, a.city, a.county, a.application_type,
                   coalesce(h.since, a.submitted_at) AS since,
                   date_diff('day', coalesce(h.since, a.submitted_at), (SELECT max(snapshot_at) FROM inbox_files WHERE folder = 'platform' AND status = 'read')) AS days
            FROM applications a
            LEFT JOIN (SELECT application_id, stage, max(first_seen_at) AS since FROM stage_history GROUP BY 1, 2) h
                   ON h.application_id = a.application_id AND h.stage = a.stage
            WHERE a.stage = ? AND {condition}
            ORDER BY since, a.application_id LIMIT {int(limit)}""",
            [waiting_at, *params],
        )

    def cluster_summary(self, scope: Scope, filters: Filters) -> pd.DataFrame:
        """Per cluster: applications by type, pool members already known there, new pool members this round."""
        if not self.has("applications", "clusters"):
            return pd.DataFrame()
        condition, params = where(scope, filters)
        confirmed = ", ".join(f"'{s}'" for s in city_passed(self.programme, "pool_entry"))
        return self.select(
            scope,
            f"""
            WITH apps AS (SELECT * FROM applications a WHERE a.stage IS DISTINCT FROM 'draft' AND {condition})
            SELECT coalesce(cluster, '(空或无效)') AS cluster, any_value(city) AS city, count(*) AS applications,
                   count(*) FILTER (WHERE application_type = 'pool_entry') AS pool_entry,
                   count(*) FILTER (WHERE application_type = 'certification') AS certification,
                   count(*) FILTER (WHERE application_type = 'info_update') AS info_update,
                   count(DISTINCT credit_code) FILTER (WHERE credit_code IN (SELECT credit_code FROM pool_members)) AS pool_members,
                   count(*) FILTER (WHERE application_type = 'pool_entry' AND stage IN ({confirmed})) AS newly_confirmed
            FROM apps GROUP BY 1 ORDER BY applications DESC, cluster""",
            params,
        )

    def idle_clusters(self, scope: Scope, filters: Filters) -> pd.DataFrame:
        """Clusters of the list with no submitted application in scope."""
        if not self.has("applications", "clusters"):
            return pd.DataFrame()
        condition, params = where(scope, filters)
        unit = "AND c.city = ?" if scope.unit else ""
        cities = filters.city
        city_filter = f"AND c.city IN ({', '.join('?' * len(cities))})" if cities else ""
        return self.select(
            scope,
            f"""
            SELECT c.cluster, c.county, c.city FROM clusters c
            WHERE c.cluster NOT IN (SELECT cluster FROM applications a
                                    WHERE a.cluster IS NOT NULL AND a.stage IS DISTINCT FROM 'draft' AND {condition})
            {unit} {city_filter} ORDER BY c.city, c.cluster""",
            [*params, *([scope.unit] if scope.unit else []), *cities],
        )

    def recommended_companies(self, scope: Scope, filters: Filters) -> pd.DataFrame:
        """Certifications the cities recommended, by cluster: company names only, never contact data."""
        if not self.has("applications"):
            return pd.DataFrame()
        condition, params = where(scope, filters)
        stages = ", ".join(f"'{s}'" for s in city_passed(self.programme, "certification"))
        return self.select(
            scope,
            f"""SELECT a.cluster, a.company_name, a.city, a.direction, a.stage FROM applications a
                         WHERE a.application_type = 'certification' AND a.stage IN ({stages}) AND {condition}
                         ORDER BY a.cluster, a.company_name""",
            params,
        )

    def shortlist(self, scope: Scope, filters: Filters) -> pd.DataFrame:
        if not self.has("shortlist"):
            return pd.DataFrame()
        condition, params = where(
            scope, filters, alias="s", columns=("city", "cluster", "direction")
        )
        return self.select(
            scope,
            f"SELECT * FROM shortlist s WHERE {condition} ORDER BY s.direction, s.rank_in_direction",
            params,
        )

    def exclusions(self, scope: Scope, filters: Filters) -> pd.DataFrame:
        if not self.has("shortlist_exclusions"):
            return pd.DataFrame()
        condition, params = where(
            scope, filters, alias="x", columns=("city", "cluster", "direction", "stage")
        )
        return self.select(
            scope,
            f"SELECT * FROM shortlist_exclusions x WHERE {condition} ORDER BY application_id",
            params,
        )

    def issues(self, scope: Scope, filters: Filters, status: str | None = "open") -> pd.DataFrame:
        """Issues in scope; filters on cluster, direction, type or stage keep only platform issues that match."""
        self.require_records(scope)
        if not self.has("dq_issues"):
            return pd.DataFrame()
        parts, params = ["TRUE"], []
        if status:
            parts.append("i.status = ?")
            params.append(status)
        if scope.unit:
            parts.append("i.city = ?")
            params.append(scope.unit)
        if filters.city:
            parts.append(f"i.city IN ({', '.join('?' * len(filters.city))})")
            params.extend(filters.city)
        if any(getattr(filters, c) for c in ("cluster", "direction", "application_type", "stage")):
            condition, more = where(
                ALL_UNITS, filters, columns=("cluster", "direction", "application_type", "stage")
            )
            parts.append(
                f"i.source = 'platform' AND i.record_key IN (SELECT application_id FROM applications a WHERE {condition})"
            )
            params.extend(more)
        return self.select(
            scope,
            f"SELECT * FROM dq_issues i WHERE {' AND '.join(parts)} ORDER BY severity, rule, record_key",
            params,
        )

    def record(self, scope: Scope, source: str, record_key: str) -> dict | None:
        """The warehouse row behind an issue's record (an application or a city-table row), if in scope."""
        self.require_records(scope)
        if source == "platform" and self.has("applications"):
            sql = "SELECT * FROM applications WHERE application_id = ? AND (? IS NULL OR city = ?)"
        elif source == "city_table" and self.has("city_submissions"):
            sql = "SELECT * FROM city_submissions WHERE record_key = ? AND (? IS NULL OR city = ?)"
        else:
            return None
        frame = self.select(scope, sql, [record_key, scope.unit, scope.unit])
        return frame.iloc[0].to_dict() if len(frame) else None

    def rule_failures(self, scope: Scope) -> pd.DataFrame:
        """Per source and rule: records failing now (open or waived) and up to three values seen."""
        self.require_records(scope)
        if not self.has("dq_issues"):
            return pd.DataFrame(columns=["source", "rule", "failing", "examples"])
        return self.select(
            scope,
            "SELECT source, rule, count(*) AS failing, "
            "list(DISTINCT value ORDER BY value) FILTER (WHERE value IS NOT NULL)[1:3] AS examples "
            "FROM dq_issues WHERE status <> 'fixed' AND (? IS NULL OR city = ?) GROUP BY 1, 2",
            [scope.unit, scope.unit],
        )
