"""The pages' summaries built at publish time give what the same question asked of the full tables
gives; capped and searched queries give their part of the whole."""

import duckdb
import pandas as pd
import pytest

from lingpao.access.viewer import Viewer
from lingpao.foundation.layout import Layout
from lingpao.foundation.programme import city_passed, load_programme
from lingpao.queries import Clusters, Filters, Progress, Shortlist

PROVINCE = Viewer(id="p", role="province")


@pytest.fixture(scope="module")
def served(sample_run):
    conn = duckdb.connect(
        str(Layout.resolve(warehouse=sample_run["warehouse"]).serving), read_only=True
    )

    def run(sql: str, params: tuple) -> pd.DataFrame:
        return conn.sql(sql, params=list(params) or None).to_arrow_table().to_pandas()

    programme = load_programme(2023)
    pages = {page: page(run, programme, PROVINCE) for page in (Clusters, Progress, Shortlist)}
    yield pages, conn
    conn.close()


def test_pool_companies_per_cluster_match_a_distinct_count(served):
    q, conn = served
    fast = q[Clusters].cluster_summary(Filters()).set_index("cluster")["pool_members"]
    direct = dict(
        conn.execute(
            "SELECT CASE WHEN cluster IN (SELECT cluster FROM clusters) THEN cluster "
            "ELSE '不在集群名单中' END, count(DISTINCT credit_code) FILTER "
            "(WHERE credit_code IN (SELECT credit_code FROM pool_members)) FROM applications "
            "WHERE stage IS DISTINCT FROM 'draft' GROUP BY 1"
        ).fetchall()
    )
    assert fast.to_dict() == direct
    assert sum(direct.values()) > 0
    filtered = q[Clusters].cluster_summary(Filters(application_type=("pool_entry",)))
    assert filtered["applications"].sum() == filtered["pool_entry"].sum()


def test_longest_waiting_from_the_summary_matches_the_stage_history(served):
    q, conn = served
    for stage in ("submitted", "county_verified"):
        got = q[Progress].longest_waiting(Filters(), [stage], limit=1000)
        expected = conn.execute(
            """SELECT a.application_id, coalesce(h.since, a.submitted_at) AS since
               FROM applications a LEFT JOIN (SELECT application_id, stage, max(first_seen_at) AS since
                                              FROM stage_history GROUP BY 1, 2) h
                 ON h.application_id = a.application_id AND h.stage = a.stage
               WHERE a.stage = ? ORDER BY since, a.application_id""",
            [stage],
        ).fetchall()
        assert list(got["application_id"]) == [r[0] for r in expected]
        assert len(got) > 0


def test_capped_and_searched_queries_are_parts_of_the_whole(served):
    pages, _ = served
    q, c = pages[Shortlist], pages[Clusters]
    everything = q.shortlist(Filters())
    counts = q.shortlist_counts(Filters()).set_index("direction")["rows"]
    assert counts.sum() == len(everything)
    direction = counts.idxmax()
    first = q.shortlist(Filters(), limit=3, direction=direction)
    whole = everything[everything["direction"] == direction]
    assert list(first["application_id"]) == list(whole["application_id"][:3])
    name = whole["company_name"].iloc[0]
    found = q.shortlist(Filters(), search=name[2:8])
    assert name in set(found["company_name"])
    assert set(found["application_id"]) <= set(everything["application_id"])
    assert q.shortlist(Filters(), search="%_%").empty  # a search is text, not a pattern
    stages = city_passed(q.programme, "certification")
    recommended = c.recommended_companies(Filters())
    assert set(recommended["stage"]) <= set(stages)
    assert c.recommended_count(Filters()) == len(recommended)
    assert len(c.recommended_companies(Filters(), limit=2)) == min(2, len(recommended))
    excluded = q.exclusions(Filters())
    assert q.exclusions_count(Filters()) == len(excluded)
    assert isinstance(excluded, pd.DataFrame)
