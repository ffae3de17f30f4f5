"""The Dagster definitions of Lingpao: the assets of `lingpao/orchestration/assets` (collected, not
listed), the serving copy after all of them, the job, the re-check sensor and the resources; loadable
by `dagster dev` (paths from the environment, resolved once when the definitions load)."""

from __future__ import annotations

import dagster as dg

import lingpao.orchestration.assets
from lingpao.foundation.layout import Layout
from lingpao.orchestration.assets.serving import serving_asset
from lingpao.orchestration.resources import make_resources
from lingpao.orchestration.sensors import build_recheck_sensor

AFTER_PUBLISHING = {"data_docs"}  # built from what was published, so the dashboard never waits

BUILT = dg.load_assets_from_package_module(lingpao.orchestration.assets)
BEFORE = [
    key for asset in BUILT for key in asset.keys if key.to_user_string() not in AFTER_PUBLISHING
]
# The serving copy waits for the last of them, those nothing else is built from (the rest are
# upstream of these): at the start of its step Dagster looks up the latest version of each
# dependency, and thirty lookups where eight do cost a re-check a tenth of a second.
PARENTS = {dep for asset in BUILT for deps in asset.asset_deps.values() for dep in deps}
UPSTREAM = sorted(
    (key for key in BEFORE if key not in PARENTS), key=lambda key: key.to_user_string()
)
ALL_ASSETS = [*BUILT, serving_asset(UPSTREAM)]

everything = dg.define_asset_job("everything", selection=dg.AssetSelection.all())


def build_definitions(layout: Layout) -> dg.Definitions:
    """Definitions over one layout (an inbox, a warehouse and the files beside it)."""
    return dg.Definitions(
        assets=ALL_ASSETS,
        jobs=[everything],
        sensors=[build_recheck_sensor(everything, layout)],
        resources=make_resources(layout),
        executor=dg.in_process_executor,  # DuckDB takes one writer: steps run one after another
    )


defs = build_definitions(Layout.resolve())
