"""The city tables' queries (上报汇总表, and 总览's arrivals): which table each unit sent and when,
the files not read, a unit's submitted versions and its pre-filled 附件2."""

from __future__ import annotations

import pandas as pd

from lingpao.citydesk.template import write_city_template
from lingpao.queries.base import Served


class CityDesk(Served):
    def city_table_arrivals(self) -> pd.DataFrame:
        """For each reporting unit: the table the rules read (a submitted version, else the files
        put in the inbox), when it arrived, its rows, the version and who submitted it, and the
        open problems of that table (its rows' and the applications it lacks)."""
        p = self.programme
        units = [self.scope.unit] if self.scope.unit else p.units
        empty = {"unit": units, "files": "", "received": False, "arrived_at": None, "rows": 0}
        if not self.has("inbox_files"):
            return pd.DataFrame(empty)
        versions = self.has("city_table_versions")
        issues = self.has("dq_issues")
        chosen = (
            "SELECT * FROM city_table_versions WHERE active"
            if versions
            else "SELECT NULL::VARCHAR AS unit, NULL::INTEGER AS version, NULL::VARCHAR AS file, "
            "NULL::VARCHAR AS submitted_by, NULL::TIMESTAMPTZ AS submitted_at, "
            "NULL::BOOLEAN AS late WHERE FALSE"
        )
        problems = (
            "SELECT i.city AS unit, i.source_file, i.rule FROM dq_issues i WHERE i.status = 'open'"
            if issues
            else "SELECT NULL AS unit, NULL AS source_file, NULL AS rule WHERE FALSE"
        )
        frame = self.select(
            f"""
            WITH units AS (SELECT unnest(?::VARCHAR[]) AS unit),
            files AS (
                SELECT u.unit, f.source_file, f.modified_at, f.rows
                FROM units u JOIN inbox_files f
                  ON f.folder = 'cities' AND f.status = 'read'
                 AND list_contains(string_split(coalesce(f.city, ''), '、'), u.unit)
            ),
            chosen AS ({chosen}),
            problems AS ({problems})
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
        return frame if self.scope.records else frame.drop(columns=["files"])  # record details

    def unreadable_city_files(self) -> pd.DataFrame:
        """City-table files not read, and why; a city bureau sees only those read as its own unit's.
        File names and reasons are record details: refused without record access."""
        self.require_records()
        if not self.has("inbox_files"):
            return pd.DataFrame(columns=["source_file", "reason"])
        unit = self.scope.unit
        return self.select(
            "SELECT source_file, reason FROM inbox_files WHERE folder = 'cities' "
            "AND status NOT IN ('read', 'superseded') "
            "AND (? IS NULL OR list_contains(string_split(coalesce(city, ''), '、'), ?)) ORDER BY 1",
            [unit, unit],
        )

    def table_versions(self) -> pd.DataFrame:
        """Every submitted version of the city tables the viewer may see, newest first."""
        self.require_records()
        if not self.has("city_table_versions"):
            return pd.DataFrame(
                columns=["unit", "version", "submitted_at", "submitted_by", "late", "active"]
            )
        return self.select(
            "SELECT unit, version, original_name, submitted_at, submitted_by, late, active, file "
            "FROM city_table_versions WHERE ? IS NULL OR unit = ? ORDER BY unit, version DESC",
            [self.scope.unit, self.scope.unit],
        )

    def template(self, unit: str) -> bytes:
        """The unit's 附件2 pre-filled from the platform (for whoever may submit its table), audited."""
        return self.download(
            "submit_table",
            unit,
            f"{unit}_附件2汇总表_预填_{self.programme.year}.xlsx",
            lambda conn: write_city_template(conn, self.programme, unit),
        )
