"""总览's queries: applications by type, stage and day, the programme's figures, the city tables'
arrivals, the applications waiting longest."""

from __future__ import annotations

import pandas as pd

from lingpao.exports.summary import write_summary
from lingpao.queries.base import Filters, Served


class Progress(Served):
    """Counts of submitted applications (drafts apart), per the programme's figures."""

    def drafts(self, filters: Filters) -> int:
        if not self.has("application_counts"):
            return 0
        condition, params = self.where(
            filters, columns=("city", "cluster", "direction", "application_type")
        )
        frame = self.select(
            "SELECT coalesce(sum(a.applications), 0) AS n FROM application_counts a "
            f"WHERE a.stage = 'draft' AND {condition}",
            params,
        )
        return int(frame["n"].iloc[0])

    def _per_stage(self, filters: Filters) -> dict[str, int]:
        frame = self.counts_by(["stage"], filters)
        return dict(zip(frame["stage"], frame["applications"], strict=True)) if len(frame) else {}

    def figures(self, kind: str, filters: Filters) -> list[tuple[str, list[str], int]]:
        """The programme's figures of one kind (`kpis`, `funnel`, `waiting`): (label, the stages
        counted, how many applications are at one of them)."""
        n = self._per_stage(filters)
        return [
            (label, stages, sum(n.get(s, 0) for s in stages))
            for label, stages in self.programme.figures(kind)
        ]

    def returned(self, filters: Filters) -> tuple[str, list[str], int]:
        label, stages = self.programme.figure(self.programme.raw["progress"]["returned"])
        n = self._per_stage(filters)
        return label, stages, sum(n.get(s, 0) for s in stages)

    def daily_submissions(self, filters: Filters) -> pd.DataFrame:
        if not self.has("application_counts"):
            return pd.DataFrame(columns=["day", "application_type", "applications"])
        condition, params = self.where(filters)
        return self.select(
            "SELECT a.day, a.application_type, CAST(sum(a.applications) AS BIGINT) AS applications "
            "FROM application_counts a WHERE a.stage IS DISTINCT FROM 'draft' AND a.day IS NOT NULL "
            f"AND {condition} GROUP BY ALL ORDER BY 1, 2",
            params,
        )

    def longest_waiting(self, filters: Filters, stages: list[str], limit: int = 10) -> pd.DataFrame:
        """Applications waiting longest at one of `stages` (e.g. the county's turn)."""
        if not self.has("application_facts"):
            return pd.DataFrame()
        condition, params = self.where(
            filters, columns=("city", "cluster", "direction", "application_type")
        )
        marks = ", ".join("?" * len(stages))
        return self.select(
            f"""
            SELECT a.application_id, a.company_name, a.city, a.county, a.application_type,
                   a.stage, a.since, a.days
            FROM application_facts a
            WHERE a.stage IN ({marks}) AND {condition}
            ORDER BY a.since, a.application_id LIMIT {int(limit)}""",
            [*stages, *params],
        )

    def summary_workbook(self) -> bytes:
        """The province summary in the 附件2 layout (every unit, those that sent nothing included),
        audited."""
        return self.download(
            "export",
            None,
            f"附件2汇总表_全省_{self.programme.year}.xlsx",
            lambda conn: write_summary(conn, self.programme),
        )
