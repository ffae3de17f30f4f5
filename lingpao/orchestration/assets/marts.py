"""Marts: the expert shortlist and the certifications left off it, with why."""

import dagster as dg

from lingpao import pipeline
from lingpao.orchestration.assets.results import table_result
from lingpao.orchestration.resources import (
    ROUNDS,
    InboxResource,
    WarehouseResource,
    building,
    round_of,
)


@dg.asset(group_name="marts", kinds={"duckdb"}, deps=["dq_issues"], partitions_def=ROUNDS)
def shortlist(
    context: dg.AssetExecutionContext, inbox: InboxResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Certifications for the expert review, ranked within each direction by a transparent score."""
    with building(round_of(context), inbox, warehouse) as b:
        pipeline.shortlist(b)
        return table_result(b.conn, "shortlist")


@dg.asset(group_name="marts", kinds={"duckdb"}, deps=["dq_issues"], partitions_def=ROUNDS)
def shortlist_exclusions(
    context: dg.AssetExecutionContext, inbox: InboxResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Every certification not on the shortlist, and why (stage, rules)."""
    with building(round_of(context), inbox, warehouse) as b:
        pipeline.shortlist_exclusions(b)
        return table_result(b.conn, "shortlist_exclusions")
