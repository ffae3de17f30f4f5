"""历年对比 and 企业档案: every round side by side (per unit or cluster: applications, pool entries,
certified, adjusted, leaders), this round's pace against the previous round's, and one company's
history across the rounds. Read from `main`'s views over the rounds; a city bureau's own unit only;
contact data never (none of these queries selects it)."""

from __future__ import annotations

import pandas as pd

from lingpao.foundation.programme import load_programme
from lingpao.queries.base import EMPTY, Filters, Served, matching


class Rounds(Served):
    def years(self) -> list[int]:
        """The rounds of the served copy, oldest first."""
        frame = self._query(
            "SELECT schema_name FROM information_schema.schemata "
            "WHERE catalog_name = current_database() AND starts_with(schema_name, 'round_')"
        )
        names = frame["schema_name"] if len(frame) else []
        return sorted(int(n.removeprefix("round_")) for n in names if n[-4:].isdigit())

    def _across(self, filters: Filters, alias: str, unit_column: str = "city") -> tuple[str, list]:
        """The viewer's unit and the sidebar's units and clusters, on a table of any round."""
        parts, params = ["TRUE"], []
        if self.scope.unit:
            parts.append(f"{alias}.{unit_column} = ?")
            params.append(self.scope.unit)
        for column, values in (("city", filters.city), ("cluster", filters.cluster)):
            chosen = [v for v in values if v != EMPTY]
            if chosen:
                target = unit_column if column == "city" else column
                parts.append(f"{alias}.{target} IN ({', '.join('?' * len(chosen))})")
                params += chosen
        return " AND ".join(parts), params

    def compare(self, dimension: str, filters: Filters) -> pd.DataFrame:
        """Per round and unit (`city`) or cluster: applications submitted, companies confirmed into
        the pool, certified, adjusted, and leaders at the round's end."""
        if dimension not in ("city", "cluster"):
            raise ValueError(f"unknown dimension {dimension}")
        years = self.years()
        if not years or not self.has("applications"):
            return pd.DataFrame()
        confirmed = ", ".join(f"'{s}'" for s in self.programme.reached("city_confirmed"))
        apps, app_params = self._across(filters, "a")
        held, held_params = self._across(filters, "l")
        decided = (
            "UNION SELECT programme_year, credit_code FROM main.certified"
            if self._main_has("certified")
            else ""
        )
        return self.select(
            f"""
            WITH apps AS (
                SELECT a.programme_year, coalesce(a.{dimension}, '{EMPTY}') AS {dimension},
                       a.application_type, a.stage, a.credit_code
                FROM main.applications a
                WHERE a.stage IS DISTINCT FROM 'draft' AND {apps}
            ), certified AS (
                SELECT programme_year, credit_code FROM main.applications
                WHERE application_type = 'certification' AND stage = 'certified' {decided}
            ), submitted AS (
                SELECT a.programme_year, a.{dimension}, count(*) AS applications,
                       count(DISTINCT a.credit_code) FILTER (
                           WHERE a.application_type = 'pool_entry' AND a.stage IN ({confirmed}))
                           AS pool_entries,
                       count(DISTINCT a.credit_code) FILTER (
                           WHERE (a.programme_year, a.credit_code) IN (SELECT * FROM certified))
                           AS certified
                FROM apps a GROUP BY ALL
            ), rounds AS (SELECT unnest(?::INTEGER[]) AS programme_year
            ), held AS (
                SELECT y.programme_year, coalesce(l.{dimension}, '{EMPTY}') AS {dimension},
                       count(*) FILTER (WHERE l.adjusted_year = y.programme_year) AS adjusted,
                       count(*) FILTER (WHERE l.since_year <= y.programme_year
                                        AND coalesce(l.adjusted_year, 9999) > y.programme_year)
                           AS leaders
                FROM main.leaders l CROSS JOIN rounds y WHERE {held} GROUP BY ALL
            )
            SELECT programme_year, {dimension},
                   coalesce(s.applications, 0) AS applications,
                   coalesce(s.pool_entries, 0) AS pool_entries,
                   coalesce(s.certified, 0) AS certified,
                   coalesce(h.adjusted, 0) AS adjusted, coalesce(h.leaders, 0) AS leaders
            FROM submitted s FULL JOIN held h USING (programme_year, {dimension})
            WHERE programme_year IN (SELECT programme_year FROM rounds)
            ORDER BY programme_year, applications DESC, {dimension}""",
            [*app_params, years, *held_params],
        )

    def _main_has(self, table: str) -> bool:
        frame = self._query(
            "SELECT count(*) AS n FROM information_schema.tables WHERE table_catalog = "
            "current_database() AND table_schema = 'main' AND table_name = ?",
            [table],
        )
        return bool(len(frame) and int(frame["n"].iloc[0]))

    def pace(self, year: int, filters: Filters) -> pd.DataFrame:
        """Applications received per day of rounds `year` and the one before, by days from each
        round's city-table deadline (a platform round by its submissions, a round without one by
        the arrival of its city tables): programme_year, offset, received, cumulative."""
        years = [y for y in self.years() if y in (year - 1, year)]
        if not years:
            return pd.DataFrame()
        condition, params = self._across(filters, "a")
        zone = self.programme.timezone
        frame = self.select(
            f"""
            SELECT a.programme_year,
                   CAST(timezone('{zone}', coalesce(a.submitted_at, f.modified_at)) AS DATE) AS day,
                   count(*) AS received
            FROM main.applications a
            LEFT JOIN main.inbox_files f
                   ON f.programme_year = a.programme_year AND f.source_file = a.source_file
            WHERE a.stage IS DISTINCT FROM 'draft' AND a.programme_year IN ({", ".join("?" * len(years))})
              AND coalesce(a.submitted_at, f.modified_at) IS NOT NULL AND {condition}
            GROUP BY ALL ORDER BY 1, 2""",
            [*years, *params],
        )
        if frame.empty:
            return frame
        due = {y: pd.Timestamp(load_programme(y).city_tables_due) for y in years}
        frame["offset"] = [
            int((pd.Timestamp(d) - due[y]).days)
            for y, d in zip(frame["programme_year"], frame["day"], strict=True)
        ]
        frame["cumulative"] = frame.groupby("programme_year")["received"].cumsum()
        return frame

    # -- one company across the rounds ------------------------------------------------------------
    def find_companies(self, text: str, limit: int = 50) -> pd.DataFrame:
        """Companies (by name or credit code) known in any round, the viewer's unit only."""
        if not text.strip():
            return pd.DataFrame(columns=["credit_code", "company_name", "city", "rounds"])
        found, params = matching(text, ("credit_code", "company_name"), "k")
        unit = "AND k.city = ?" if self.scope.unit else ""
        params += [self.scope.unit] if self.scope.unit else []
        return self.select(
            f"""
            WITH known AS (
                SELECT credit_code, company_name, city, programme_year FROM main.applications
                UNION ALL
                SELECT credit_code, company_name, city, since_year FROM main.leaders
            )
            SELECT k.credit_code, arg_max(k.company_name, k.programme_year) AS company_name,
                   arg_max(k.city, k.programme_year) AS city,
                   list(DISTINCT k.programme_year ORDER BY k.programme_year) AS rounds
            FROM known k WHERE k.credit_code IS NOT NULL AND {found} {unit}
            GROUP BY 1 ORDER BY 2 LIMIT {int(limit)}""",
            params,
        )

    def company(self, credit_code: str) -> dict[str, pd.DataFrame]:
        """Everything known of one company, by round: its applications and their stages, its
        issues and their outcome (with record access), and whether it is or was a leader."""
        unit = "AND city = ?" if self.scope.unit else ""
        extra = [self.scope.unit] if self.scope.unit else []
        history = {
            "applications": self.select(
                f"""SELECT programme_year, application_id, record_key, company_name, city, county,
                           cluster, application_type, direction, stage, submitted_at
                    FROM main.applications WHERE credit_code = ? {unit}
                    ORDER BY programme_year, application_type""",
                [credit_code, *extra],
            ),
            "leader": self.select(
                f"SELECT * FROM main.leaders WHERE credit_code = ? {unit}", [credit_code, *extra]
            ),
        }
        if self.scope.records:
            history["issues"] = self.select(
                f"""SELECT programme_year, rule, severity, status, detail, decision_reason
                    FROM main.dq_issues WHERE credit_code = ? {unit}
                    ORDER BY programme_year, severity, rule""",
                [credit_code, *extra],
            )
        return history
