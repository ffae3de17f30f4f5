"""Marts: the expert shortlist and the certifications left off it, with why."""

from __future__ import annotations

import dagster as dg

from lingpao import pipeline
from lingpao.orchestration.assets.results import table_result
from lingpao.orchestration.resources import InboxResource, WarehouseResource, building


@dg.asset(group_name="marts", kinds={"duckdb"}, deps=["dq_issues"])
def shortlist(inbox: InboxResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Certifications for the expert review, ranked within each direction by a transparent score."""
    with building(inbox, warehouse) as b:
        pipeline.shortlist(b)
        return table_result(b.conn, "shortlist")


@dg.asset(group_name="marts", kinds={"duckdb"}, deps=["dq_issues"])
def shortlist_exclusions(
    inbox: InboxResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Every certification not on the shortlist, and why (stage, rules)."""
    with building(inbox, warehouse) as b:
        pipeline.shortlist_exclusions(b)
        return table_result(b.conn, "shortlist_exclusions")
