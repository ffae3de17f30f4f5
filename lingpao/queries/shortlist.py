"""专家评审's queries: the ranked shortlist per direction, the certifications left off and why, and
the shortlist workbook (no contact data)."""

from __future__ import annotations

import pandas as pd

from lingpao.exports.shortlist import write_shortlist
from lingpao.queries.base import Filters, Served, limited, matching


class Shortlist(Served):
    def _shortlisted(self, filters: Filters, search: str | None, direction: str | None):
        condition, params = self.where(filters, alias="s", columns=("city", "cluster", "direction"))
        found, more = matching(search, ("application_id", "company_name", "credit_code"), "s")
        chosen = "s.direction = ?" if direction else "TRUE"
        return (
            f"FROM shortlist s WHERE {condition} AND {found} AND {chosen}",
            [*params, *more, *([direction] if direction else [])],
        )

    def shortlist(
        self,
        filters: Filters,
        search: str | None = None,
        limit: int | None = None,
        direction: str | None = None,
    ) -> pd.DataFrame:
        """The ranked shortlist in scope (of one direction; those matching `search`; the first
        `limit` by rank)."""
        if not self.has("shortlist"):
            return pd.DataFrame()
        sql, params = self._shortlisted(filters, search, direction)
        return self.select(
            f"SELECT * {sql} ORDER BY s.direction, s.rank_in_direction{limited(limit)}", params
        )

    def shortlist_counts(self, filters: Filters, search: str | None = None) -> pd.DataFrame:
        """How many are on the shortlist per direction (in scope, matching `search`)."""
        if not self.has("shortlist"):
            return pd.DataFrame(columns=["direction", "rows"])
        sql, params = self._shortlisted(filters, search, None)
        return self._query(
            f"SELECT s.direction, count(*) AS rows {sql} GROUP BY 1 ORDER BY 1", params
        )

    def _excluded(self, filters: Filters, search: str | None):
        condition, params = self.where(
            filters, alias="x", columns=("city", "cluster", "direction", "stage")
        )
        found, more = matching(search, ("application_id", "company_name", "reason_text"), "x")
        return f"FROM shortlist_exclusions x WHERE {condition} AND {found}", [*params, *more]

    def exclusions(
        self, filters: Filters, search: str | None = None, limit: int | None = None
    ) -> pd.DataFrame:
        if not self.has("shortlist_exclusions"):
            return pd.DataFrame()
        sql, params = self._excluded(filters, search)
        return self.select(f"SELECT * {sql} ORDER BY application_id{limited(limit)}", params)

    def exclusions_count(self, filters: Filters, search: str | None = None) -> int:
        if not self.has("shortlist_exclusions"):
            return 0
        sql, params = self._excluded(filters, search)
        return int(self._query(f"SELECT count(*) AS n {sql}", params)["n"].iloc[0])

    def workbook(self, filters: Filters) -> bytes:
        """The shortlist workbook (one sheet per direction, no contact data), audited."""
        unit = self.scope.unit
        return self.download(
            "export_shortlist",
            unit,
            f"专家评审名单_{self.programme.year}.xlsx",
            lambda conn: write_shortlist(conn, self.programme, unit=unit),
        )
