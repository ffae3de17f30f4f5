"""集群's queries (leadership): applications and pool members per cluster, the clusters with no
applicant, the companies the cities recommended; company names only, never contact data."""

from __future__ import annotations

import pandas as pd

from lingpao.foundation.programme import city_passed
from lingpao.queries.base import OFF_LIST, Filters, Served, grouped, limited, matching, stage_list


class Clusters(Served):
    def cluster_summary(self, filters: Filters) -> pd.DataFrame:
        """Per cluster: applications by type, pool members already known there, new pool members
        this round."""
        if not self.has("application_facts"):
            return pd.DataFrame()
        condition, params = self.where(filters)
        confirmed = stage_list(city_passed(self.programme, "pool_entry"))
        pool = (  # every application in view: one marked row per pool company and cluster
            "count(*) FILTER (WHERE first_pool_row)"
            if not self.scope.unit and not filters.active()
            else "count(DISTINCT credit_code) FILTER (WHERE in_pool)"
        )
        per_type = ", ".join(
            f"count(*) FILTER (WHERE application_type = '{t}') AS {t}" for t in self.programme.types
        )
        return self.select(
            f"""
            SELECT * FROM (
            SELECT {grouped("cluster")},
                   CASE WHEN count(DISTINCT a.city) = 1 THEN any_value(a.city) ELSE '多个单位' END
                       AS city,
                   count(*) AS applications, {per_type},
                   {pool} AS pool_members,
                   count(*) FILTER (WHERE application_type = 'pool_entry' AND stage IN ({confirmed}))
                       AS newly_confirmed
            FROM application_facts a WHERE {condition}
            GROUP BY 1) ORDER BY cluster = '{OFF_LIST}', applications DESC, cluster""",
            params,
        )

    def idle_clusters(self, filters: Filters) -> pd.DataFrame:
        """Clusters of the list with no submitted application in scope."""
        if not self.has("application_facts", "clusters"):
            return pd.DataFrame()
        condition, params = self.where(filters)
        unit = "AND c.city = ?" if self.scope.unit else ""
        cities = filters.city
        city_filter = f"AND c.city IN ({', '.join('?' * len(cities))})" if cities else ""
        return self.select(
            f"""
            SELECT c.cluster, c.county, c.city FROM clusters c
            WHERE c.cluster NOT IN (SELECT cluster FROM application_facts a
                                    WHERE a.cluster IS NOT NULL AND {condition})
            {unit} {city_filter} ORDER BY c.city, c.cluster""",
            [*params, *([self.scope.unit] if self.scope.unit else []), *cities],
        )

    def _recommended(self, filters: Filters, search: str | None):
        condition, params = self.where(filters)
        found, more = matching(search, ("company_name", "cluster"), "a")
        stages = stage_list(city_passed(self.programme, "certification"))
        sql = (
            f"FROM application_facts a WHERE a.application_type = 'certification' "
            f"AND a.stage IN ({stages}) AND {condition} AND {found}"
        )
        return sql, [*params, *more]

    def recommended_companies(
        self, filters: Filters, search: str | None = None, limit: int | None = None
    ) -> pd.DataFrame:
        """Certifications the cities recommended, by cluster (those whose name or cluster holds
        `search`; the first `limit`)."""
        if not self.has("application_facts"):
            return pd.DataFrame()
        sql, params = self._recommended(filters, search)
        return self.select(
            f"SELECT {grouped('cluster')}, a.company_name, a.city, a.direction, a.stage {sql} "
            f"ORDER BY 1, a.company_name{limited(limit)}",
            params,
        )

    def recommended_count(self, filters: Filters, search: str | None = None) -> int:
        if not self.has("application_facts"):
            return 0
        sql, params = self._recommended(filters, search)
        return int(self._query(f"SELECT count(*) AS n {sql}", params)["n"].iloc[0])

    def unit_figures(self, filters: Filters) -> pd.DataFrame:
        """Per reporting unit: submitted applications, pool companies among them, certified ones
        (for the map of the province)."""
        if not self.has("application_facts"):
            return pd.DataFrame(columns=["city", "applications", "pool_members", "certified"])
        condition, params = self.where(filters)
        return self.select(
            f"""
            SELECT a.city, count(*) AS applications,
                   count(DISTINCT a.credit_code) FILTER (WHERE a.in_pool) AS pool_members,
                   count(*) FILTER (WHERE a.stage = 'certified') AS certified
            FROM application_facts a WHERE {condition} AND a.city IS NOT NULL GROUP BY 1""",
            params,
        )
