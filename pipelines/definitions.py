"""The Dagster definitions of Lingpao: the assets of `assets/defs` (collected, not listed), the serving
copy after all of them, the job, the re-check sensor and the resources; loadable by `dagster dev`."""

from __future__ import annotations

import dagster as dg

import assets.defs
from assets.defs.serving import serving_asset
from pipelines.resources import make_resources
from pipelines.sensors import build_recheck_sensor

AFTER_PUBLISHING = {"data_docs"}  # built from what was published, so the dashboard never waits

BUILT = dg.load_assets_from_package_module(assets.defs)
UPSTREAM = sorted(
    (key for asset in BUILT for key in asset.keys if key.to_user_string() not in AFTER_PUBLISHING),
    key=lambda key: key.to_user_string(),
)
ALL_ASSETS = [*BUILT, serving_asset(UPSTREAM)]

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
