"""The serving copy: the dashboard reads a consistent copy, published atomically after each run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.ingest.platform import stage_history
from assets.marts.shortlist import shortlist, shortlist_exclusions
from assets.warehouse import open_warehouse


def serving_path(warehouse: Path) -> Path:
    """Where the serving copy of a warehouse lives: beside it, `<name>.serving.duckdb`."""
    return warehouse.with_name(f"{warehouse.stem}.serving{warehouse.suffix or '.duckdb'}")


def readable_database(warehouse: Path) -> Path | None:
    """What readers open: the serving copy if published, else the warehouse; None if neither exists."""
    for candidate in (serving_path(warehouse), warehouse):
        if candidate.exists():
            return candidate
    return None


def publish(warehouse: Path) -> Path:
    """Copy a checkpointed warehouse next to its serving path, then rename it into place."""
    target = serving_path(warehouse)
    staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.copyfile(warehouse, staging)
    os.replace(staging, target)  # atomic: readers see the old copy or the new one, never half
    return target


@dg.asset(group_name="serving", deps=[shortlist, shortlist_exclusions, stage_history])
def serving_warehouse(warehouse: DuckDBResource) -> dg.MaterializeResult:
    """A read-only copy of the finished warehouse for the dashboard, swapped in atomically."""
    with open_warehouse(warehouse) as conn:
        conn.execute("CHECKPOINT")
    target = publish(Path(warehouse.database))
    return dg.MaterializeResult(metadata={"path": str(target), "bytes": target.stat().st_size})
