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


def matching(text: str | None, columns: tuple[str, ...], alias: str) -> tuple[str, list]:
    """(SQL condition, parameters): any of the columns contains the text (plain text, any case)."""
    if not text or not text.strip():
        return "TRUE", []
    escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    parts = [f"coalesce(CAST({alias}.{c} AS VARCHAR), '') ILIKE ? ESCAPE '\\'" for c in columns]
    return "(" + " OR ".join(parts) + ")", [f"%{escaped}%"] * len(columns)


def limited(limit: int | None) -> str:
    return f" LIMIT {int(limit)}" if limit is not None else ""


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
        """For each reporting unit: the table the rules read (a submitted version, else the files
        put in the inbox), when it arrived, its rows, the version and who submitted it, and the
        open problems of that table (its rows' and the applications it lacks)."""
        p = self.programme
        units = [scope.unit] if scope.unit else p.units
        empty = {"unit": units, "files": "", "received": False, "arrived_at": None, "rows": 0}
        if not self.has("inbox_files"):
            return pd.DataFrame(empty)
        versions = self.has("city_table_versions")
        issues = self.has("dq_issues")
        frame = self.select(
            scope,
            f"""
            WITH units AS (SELECT unnest(?::VARCHAR[]) AS unit),
            files AS (
                SELECT u.unit, f.source_file, f.modified_at, f.rows
                FROM units u JOIN inbox_files f
                  ON f.folder = 'cities' AND f.status = 'read'
                 AND list_contains(string_split(coalesce(f.city, ''), '、'), u.unit)
            ),
            chosen AS (
                {
                "SELECT * FROM city_table_versions WHERE active"
                if versions
                else "SELECT NULL::VARCHAR AS unit, NULL::INTEGER AS version, NULL::VARCHAR AS file, "
                "NULL::VARCHAR AS submitted_by, NULL::TIMESTAMPTZ AS submitted_at, "
                "NULL::BOOLEAN AS late WHERE FALSE"
            }
            ),
            problems AS (
                {
                "SELECT i.city AS unit, i.source_file, i.rule FROM dq_issues i WHERE i.status = 'open'"
                if issues
                else "SELECT NULL AS unit, NULL AS source_file, NULL AS rule WHERE FALSE"
            }
            )
            SELECT u.unit,
                   coalesce(string_agg(DISTINCT f.source_file, '、' ORDER BY f.source_file), '') AS files,
                   count(f.source_file) > 0 AS received,
                   coalesce(any_value(c.submitted_at), max(f.modified_at)) AS arrived_at,
                   coalesce(sum(f.rows), 0)::BIGINT AS rows,
                   any_value(c.version) AS version,
                   any_value(c.submitted_by) AS submitted_by,
                   any_value(c.late) AS late,
                   (SELECT count(*) FROM problems x
                     WHERE x.unit = u.unit AND (x.rule = 'missing_in_city_table'
                        OR x.source_file IN (SELECT source_file FROM files WHERE unit = u.unit)))
                     AS open_problems
            FROM units u LEFT JOIN files f USING (unit) LEFT JOIN chosen c USING (unit)
            GROUP BY u.unit
            ORDER BY list_position(?::VARCHAR[], u.unit)""",
            [units, units],
        )
        frame["arrived_at"] = frame["arrived_at"].map(
            lambda t: None if t is None or pd.isna(t) else pd.Timestamp(t).tz_convert(p.timezone)
        )
        return frame if scope.records else frame.drop(columns=["files"])  # names: record details

    def table_versions(self, scope: Scope) -> pd.DataFrame:
        """Every submitted version of the city tables the scope may see, newest first."""
        self.require_records(scope)
        if not self.has("city_table_versions"):
            return pd.DataFrame(
                columns=["unit", "version", "submitted_at", "submitted_by", "late", "active"]
            )
        return self.select(
            scope,
            "SELECT unit, version, original_name, submitted_at, submitted_by, late, active, file "
            "FROM city_table_versions WHERE ? IS NULL OR unit = ? ORDER BY unit, version DESC",
            [scope.unit, scope.unit],
        )

    def unreadable_city_files(self, scope: Scope) -> pd.DataFrame:
        """City-table files not read, and why; a city bureau sees only those read as its own unit's.
        File names and reasons are record details: refused without record access."""
        self.require_records(scope)
        if not self.has("inbox_files"):
            return pd.DataFrame(columns=["source_file", "reason"])
        return self.select(
            scope,
            "SELECT source_file, reason FROM inbox_files WHERE folder = 'cities' "
            "AND status NOT IN ('read', 'superseded') "
            "AND (? IS NULL OR list_contains(string_split(coalesce(city, ''), '、'), ?)) ORDER BY 1",
            [scope.unit, scope.unit],
        )

    def longest_waiting(
        self, scope: Scope, filters: Filters, waiting_at: str, limit: int = 10
    ) -> pd.DataFrame:
        """Applications waiting longest at a stage (`submitted`: county's turn; `county_verified`: city's)."""
        if not self.has("application_facts"):
            return pd.DataFrame()
        condition, params = where(
            scope, filters, columns=("city", "cluster", "direction", "application_type")
        )
        return self.select(
            scope,
            f"""
            SELECT a.application_id, a.company_name, a.city, a.county, a.application_type,
                   a.since, a.days
            FROM application_facts a
            WHERE a.stage = ? AND {condition}
            ORDER BY a.since, a.application_id LIMIT {int(limit)}""",
            [waiting_at, *params],
        )

    def cluster_summary(self, scope: Scope, filters: Filters) -> pd.DataFrame:
        """Per cluster: applications by type, pool members already known there, new pool members this round."""
        if not self.has("application_facts"):
            return pd.DataFrame()
        condition, params = where(scope, filters)
        confirmed = ", ".join(f"'{s}'" for s in city_passed(self.programme, "pool_entry"))
        pool = (  # every application in view: one marked row per pool company and cluster
            "count(*) FILTER (WHERE first_pool_row)"
            if not scope.unit and not filters.active()
            else "count(DISTINCT credit_code) FILTER (WHERE in_pool)"
        )
        return self.select(
            scope,
            f"""
            SELECT coalesce(cluster, '(空或无效)') AS cluster, any_value(city) AS city, count(*) AS applications,
                   count(*) FILTER (WHERE application_type = 'pool_entry') AS pool_entry,
                   count(*) FILTER (WHERE application_type = 'certification') AS certification,
                   count(*) FILTER (WHERE application_type = 'info_update') AS info_update,
                   {pool} AS pool_members,
                   count(*) FILTER (WHERE application_type = 'pool_entry' AND stage IN ({confirmed})) AS newly_confirmed
            FROM application_facts a WHERE {condition}
            GROUP BY 1 ORDER BY applications DESC, cluster""",
            params,
        )

    def idle_clusters(self, scope: Scope, filters: Filters) -> pd.DataFrame:
        """Clusters of the list with no submitted application in scope."""
        if not self.has("application_facts", "clusters"):
            return pd.DataFrame()
        condition, params = where(scope, filters)
        unit = "AND c.city = ?" if scope.unit else ""
        cities = filters.city
        city_filter = f"AND c.city IN ({', '.join('?' * len(cities))})" if cities else ""
        return self.select(
            scope,
            f"""
            SELECT c.cluster, c.county, c.city FROM clusters c
            WHERE c.cluster NOT IN (SELECT cluster FROM application_facts a
                                    WHERE a.cluster IS NOT NULL AND {condition})
            {unit} {city_filter} ORDER BY c.city, c.cluster""",
            [*params, *([scope.unit] if scope.unit else []), *cities],
        )

    def _recommended(self, scope: Scope, filters: Filters, search: str | None):
        condition, params = where(scope, filters)
        found, more = matching(search, ("company_name", "cluster"), "a")
        stages = ", ".join(f"'{s}'" for s in city_passed(self.programme, "certification"))
        sql = (
            f"FROM application_facts a WHERE a.application_type = 'certification' "
            f"AND a.stage IN ({stages}) AND {condition} AND {found}"
        )
        return sql, [*params, *more]

    def recommended_companies(
        self,
        scope: Scope,
        filters: Filters,
        search: str | None = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        """Certifications the cities recommended, by cluster: company names only, never contact data
        (those whose name or cluster holds `search`; the first `limit`)."""
        if not self.has("application_facts"):
            return pd.DataFrame()
        sql, params = self._recommended(scope, filters, search)
        return self.select(
            scope,
            f"SELECT a.cluster, a.company_name, a.city, a.direction, a.stage {sql} "
            f"ORDER BY a.cluster, a.company_name{limited(limit)}",
            params,
        )

    def recommended_count(self, scope: Scope, filters: Filters, search: str | None = None) -> int:
        if not self.has("application_facts"):
            return 0
        sql, params = self._recommended(scope, filters, search)
        return int(self._query(f"SELECT count(*) AS n {sql}", params)["n"].iloc[0])

    def _shortlisted(
        self, scope: Scope, filters: Filters, search: str | None, direction: str | None
    ):
        condition, params = where(
            scope, filters, alias="s", columns=("city", "cluster", "direction")
        )
        found, more = matching(search, ("application_id", "company_name", "credit_code"), "s")
        chosen = "s.direction = ?" if direction else "TRUE"
        return (
            f"FROM shortlist s WHERE {condition} AND {found} AND {chosen}",
            [*params, *more, *([direction] if direction else [])],
        )

    def shortlist(
        self,
        scope: Scope,
        filters: Filters,
        search: str | None = None,
        limit: int | None = None,
        direction: str | None = None,
    ) -> pd.DataFrame:
        """The ranked shortlist in scope (of one direction; those matching `search`; the first
        `limit` by rank)."""
        if not self.has("shortlist"):
            return pd.DataFrame()
        sql, params = self._shortlisted(scope, filters, search, direction)
        return self.select(
            scope,
            f"SELECT * {sql} ORDER BY s.direction, s.rank_in_direction{limited(limit)}",
            params,
        )

    def shortlist_counts(
        self, scope: Scope, filters: Filters, search: str | None = None
    ) -> pd.DataFrame:
        """How many are on the shortlist per direction (in scope, matching `search`)."""
        if not self.has("shortlist"):
            return pd.DataFrame(columns=["direction", "rows"])
        sql, params = self._shortlisted(scope, filters, search, None)
        return self._query(
            f"SELECT s.direction, count(*) AS rows {sql} GROUP BY 1 ORDER BY 1", params
        )

    def _excluded(self, scope: Scope, filters: Filters, search: str | None):
        condition, params = where(
            scope, filters, alias="x", columns=("city", "cluster", "direction", "stage")
        )
        found, more = matching(search, ("application_id", "company_name", "reason_text"), "x")
        return f"FROM shortlist_exclusions x WHERE {condition} AND {found}", [*params, *more]

    def exclusions(
        self,
        scope: Scope,
        filters: Filters,
        search: str | None = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        if not self.has("shortlist_exclusions"):
            return pd.DataFrame()
        sql, params = self._excluded(scope, filters, search)
        return self.select(scope, f"SELECT * {sql} ORDER BY application_id{limited(limit)}", params)

    def exclusions_count(self, scope: Scope, filters: Filters, search: str | None = None) -> int:
        if not self.has("shortlist_exclusions"):
            return 0
        sql, params = self._excluded(scope, filters, search)
        return int(self._query(f"SELECT count(*) AS n {sql}", params)["n"].iloc[0])

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
