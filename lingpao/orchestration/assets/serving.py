"""The serving copy, published after every other table is built (its dependencies are found, not listed)."""

from collections.abc import Sequence
from pathlib import Path

import dagster as dg

from lingpao import pipeline
from lingpao.orchestration.resources import (
    ROUNDS,
    InboxResource,
    WarehouseResource,
    building,
    round_of,
)


class PublishConfig(dg.Config):
    """`allow_shrink`: publish even a run without a platform snapshot, or one holding under half
    the applications published now."""

    allow_shrink: bool = False


def serving_asset(upstream: Sequence[dg.AssetKey]) -> dg.AssetsDefinition:
    """The asset that publishes the warehouse once all of `upstream` are built."""

    @dg.asset(
        name="serving_warehouse", group_name="serving", deps=list(upstream), partitions_def=ROUNDS
    )
    def serving_warehouse(
        context: dg.AssetExecutionContext,
        config: PublishConfig,
        inbox: InboxResource,
        warehouse: WarehouseResource,
    ) -> dg.MaterializeResult:
        """A read-only copy of the finished warehouse for the dashboard (every round, with the
        leaders, the views over the rounds and the pages' small aggregate tables), swapped in
        atomically."""
        with building(round_of(context), inbox, warehouse) as b:
            target = pipeline.serve(b, Path(warehouse.serving), config.allow_shrink)
        return dg.MaterializeResult(metadata={"path": str(target), "bytes": target.stat().st_size})

    return serving_warehouse
