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


@dg.multi_asset(
    name="shortlist",
    group_name="marts",
    partitions_def=ROUNDS,
    specs=[
        dg.AssetSpec(
            "shortlist",
            deps=["dq_issues"],
            kinds={"duckdb"},
            description="Certifications for the expert review, ranked within each direction by a "
            "transparent score.",
        ),
        dg.AssetSpec(
            "shortlist_exclusions",
            deps=["dq_issues"],
            kinds={"duckdb"},
            description="Every certification not on the shortlist, and why (stage, rules).",
        ),
    ],
)
def shortlist(
    context: dg.AssetExecutionContext, inbox: InboxResource, warehouse: WarehouseResource
):
    """The shortlist and what was left off it, in one step (each step of a run costs Dagster
    tens of milliseconds; a re-check is counted in them)."""
    with building(round_of(context), inbox, warehouse) as b:
        pipeline.shortlist(b)
        yield table_result(b.conn, "shortlist", asset_key="shortlist")
        pipeline.shortlist_exclusions(b)
        yield table_result(b.conn, "shortlist_exclusions", asset_key="shortlist_exclusions")
