"""The Dagster definitions of Lingpao: every asset, resource and job, loadable by `dagster dev`."""

from __future__ import annotations

import dagster as dg

from assets.ingest.city_tables import city_submissions
from assets.ingest.platform import applications, platform_rows, stage_history
from assets.ingest.registry import registry
from assets.marts.shortlist import shortlist, shortlist_exclusions
from assets.publish import serving_warehouse
from assets.quality.issues import dq_issues
from pipelines.resources import make_resources
from pipelines.sensors import build_recheck_sensor

ALL_ASSETS = [
    platform_rows,
    applications,
    stage_history,
    city_submissions,
    registry,
    dq_issues,
    shortlist,
    shortlist_exclusions,
    serving_warehouse,
]

everything = dg.define_asset_job("everything", selection=dg.AssetSelection.all())


def build_definitions(inbox: str | None = None, warehouse: str | None = None) -> dg.Definitions:
    """Definitions over an inbox and a warehouse (defaults: environment, then contract paths)."""
    return dg.Definitions(
        assets=ALL_ASSETS,
        jobs=[everything],
        sensors=[build_recheck_sensor(everything, inbox, warehouse)],
        resources=make_resources(inbox, warehouse),
        executor=dg.in_process_executor,  # DuckDB takes one writer: steps run one after another
    )


defs = build_definitions()
