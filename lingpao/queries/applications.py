"""申报列表 and 申报详情: the applications behind every count, and everything known of one.

The list takes the shared filters (and a submission day, a search) so that a figure of any page
leads to exactly the applications it counted: the same table (`application_facts` for submitted
applications; `applications` when drafts are asked for), the same conditions. Leadership sees the
list without contact data; one application's record (its raw values, stage history, issues,
decisions, the city-table rows it matches, its unit's table versions) needs record access.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from lingpao.queries.base import Filters, Served, limited, matching

LISTED = (
    "application_id",
    "company_name",
    "credit_code",
    "city",
    "county",
    "cluster",
    "application_type",
    "direction",
    "stage",
    "submitted_at",
)
SEARCHED = ("application_id", "company_name", "credit_code", "cluster", "county")


class Applications(Served):
    def _listed(self, filters: Filters, search: str | None, day: dt.date | None):
        condition, params = self.where(filters)
        found, more = matching(search, SEARCHED, "a")
        drafts = "draft" in filters.stage
        parts = [condition, found]
        if not drafts:
            parts.append("a.stage IS DISTINCT FROM 'draft'")  # as every count: submitted only
        if day is not None:
            parts.append(f"CAST(timezone('{self.programme.timezone}', a.submitted_at) AS DATE) = ?")
            more = [*more, day]
        return f"FROM applications a WHERE {' AND '.join(parts)}", [*params, *more]

    def count(self, filters: Filters, search: str | None = None, day: dt.date | None = None) -> int:
        if not self.has("applications"):
            return 0
        sql, params = self._listed(filters, search, day)
        return int(self._query(f"SELECT count(*) AS n {sql}", params)["n"].iloc[0])

    def listing(
        self,
        filters: Filters,
        search: str | None = None,
        day: dt.date | None = None,
        limit: int | None = 100,
        offset: int = 0,
    ) -> pd.DataFrame:
        """The applications counted by these filters (one page of them), with their open issues
        for whom may read records; newest submission first."""
        if not self.has("applications"):
            return pd.DataFrame(columns=list(LISTED))
        sql, params = self._listed(filters, search, day)
        issues = (
            ", (SELECT count(*) FROM dq_issues i WHERE i.source = 'platform' "
            "AND i.record_key = a.application_id AND i.status = 'open') AS open_issues"
            if self.scope.records and self.has("dq_issues")
            else ""
        )
        columns = ", ".join(f"a.{c}" for c in LISTED)
        return self.select(
            f"SELECT {columns}{issues}, a.contact_name, a.contact_phone {sql} "
            f"ORDER BY a.submitted_at DESC NULLS LAST, a.application_id{limited(limit, offset)}",
            params,
        )

    # -- one application ---------------------------------------------------------------------------
    def record(self, application_id: str) -> dict | None:
        """Everything known of one application in scope: `values` (its row), `history` (stages seen
        across snapshots), `issues` (with decisions), `city_rows` (rows of its unit's city table
        with its credit code), `versions` (its unit's submitted tables); None when not in scope."""
        self.require_records()
        if not self.has("applications"):
            return None
        found = self.select(
            "SELECT * FROM applications WHERE application_id = ? AND (? IS NULL OR city = ?)",
            [application_id, self.scope.unit, self.scope.unit],
        )
        if found.empty:
            return None
        values = found.iloc[0].to_dict()
        history = (
            self.select(
                "SELECT stage, first_seen_at, source_file FROM stage_history "
                "WHERE application_id = ? ORDER BY first_seen_at, source_file",
                [application_id],
            )
            if self.has("stage_history")
            else pd.DataFrame()
        )
        issues = (
            self.select(
                "SELECT issue_id, rule, severity, status, detail, suggested_fix, field, value, "
                "decision, decided_by, decided_at, decision_reason, source, record_key "
                "FROM dq_issues WHERE source = 'platform' AND record_key = ? "
                "ORDER BY status <> 'open', severity, rule",
                [application_id],
            )
            if self.has("dq_issues")
            else pd.DataFrame()
        )
        city_rows = (
            self.select(
                "SELECT record_key, source_file, source_sheet, source_row, company_name, "
                "credit_code, application_type, direction, qualification, contact_name, "
                "contact_phone FROM city_submissions "
                "WHERE credit_code = ? AND city IS NOT DISTINCT FROM ? ORDER BY source_file, "
                "source_row",
                [values.get("credit_code"), values.get("city")],
            )
            if self.has("city_submissions") and values.get("credit_code")
            else pd.DataFrame()
        )
        versions = (
            self.select(
                "SELECT version, original_name, submitted_at, submitted_by, late, active "
                "FROM city_table_versions WHERE unit = ? ORDER BY version DESC",
                [values.get("city")],
            )
            if self.has("city_table_versions") and values.get("city")
            else pd.DataFrame()
        )
        return {
            "values": values,
            "history": history,
            "issues": issues,
            "city_rows": city_rows,
            "versions": versions,
        }
