"""Marts: the expert shortlist and the certifications left off it, with why."""

from __future__ import annotations

import dagster as dg

from assets.defs.results import table_result
from assets.marts.shortlist import exclusions, shortlist_sql
from assets.warehouse.connection import replace_table, replace_table_from_sql
from pipelines.resources import InboxResource, WarehouseResource


@dg.asset(group_name="marts", kinds={"duckdb"}, deps=["dq_issues"])
def shortlist(inbox: InboxResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Certifications for the expert review, ranked within each direction by a transparent score."""
    programme = inbox.programme()
    with warehouse.connection() as conn:
        replace_table_from_sql(conn, "shortlist", shortlist_sql(programme), programme)
        return table_result(conn, "shortlist")


@dg.asset(group_name="marts", kinds={"duckdb"}, deps=["dq_issues"])
def shortlist_exclusions(
    inbox: InboxResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Every certification not on the shortlist, and why (stage, rules)."""
    programme = inbox.programme()
    with warehouse.connection() as conn:
        replace_table(conn, "shortlist_exclusions", exclusions(conn, programme), programme)
        return table_result(conn, "shortlist_exclusions")
