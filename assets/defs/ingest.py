"""Ingest assets: the inbox scanned into the parsed-file cache; the normalised tables built from it in SQL."""

import dagster as dg

from assets.defs.results import table_result
from assets.ingest.build import (
    OUTCOME_TABLES,
    build_applications,
    build_city_submissions,
    build_correction_outcomes,
    build_platform_rows,
    build_registry,
    build_stage_history,
)
from assets.ingest.cache import CACHE_TABLES, scan_inbox
from pipelines.resources import CorrectionsResource, InboxResource, WarehouseResource

DUCKDB = {"duckdb"}


class ScanConfig(dg.Config):
    """`full`: read every inbox file again, whatever the parsed-file cache holds."""

    full: bool = False


@dg.multi_asset(
    group_name="ingest",
    specs=[
        dg.AssetSpec(
            "inbox_files",
            kinds=DUCKDB,
            description="Every inbox entry: read, unreadable, skipped or ignored, and why.",
        ),
        dg.AssetSpec(
            "city_table_versions",
            kinds=DUCKDB,
            description="Every submitted version of a city table: who, when, late, which is read.",
        ),
        *[
            dg.AssetSpec(table, kinds=DUCKDB, description="Parsed-file cache: cells as read.")
            for table in CACHE_TABLES
        ],
    ],
)
def inbox(config: ScanConfig, inbox: InboxResource, warehouse: WarehouseResource):
    """List and hash the inbox; read only files whose content is not cached yet."""
    with warehouse.connection() as conn:
        report = scan_inbox(conn, inbox.root, inbox.programme(), full=config.full)
        yield table_result(
            conn,
            "inbox_files",
            asset_key="inbox_files",
            files_read=report.parsed,
            files_reused=report.reused,
            files_dropped=report.dropped,
        )
        for table in (*CACHE_TABLES, "city_table_versions"):
            yield table_result(conn, table, asset_key=table)


@dg.asset(group_name="ingest", kinds=DUCKDB, deps=["inbox_files", "raw_platform"])
def platform_rows(inbox: InboxResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Every row of every platform snapshot read, normalised, with its source."""
    with warehouse.connection() as conn:
        _, kept = build_platform_rows(conn, inbox.programme())
        return table_result(conn, "platform_rows", kept_from_last_run=kept)


def corrected_table(name: str, source: str, deps: list[str], description: str, build):
    """The asset of a table the stewards' corrections apply to, and of its corrections' outcomes."""
    outcomes = OUTCOME_TABLES[source]

    @dg.multi_asset(
        name=name,
        group_name="ingest",
        specs=[
            dg.AssetSpec(name, deps=deps, kinds=DUCKDB, description=description),
            dg.AssetSpec(outcomes, deps=deps, kinds=DUCKDB),
        ],
    )
    def corrected(
        inbox: InboxResource, warehouse: WarehouseResource, corrections: CorrectionsResource
    ):
        fixes = corrections.store().corrections()
        with warehouse.connection() as conn:
            _, applied = build(conn, inbox.programme(), fixes)
            yield table_result(conn, name, asset_key=name, corrections_applied=applied)
            yield table_result(conn, outcomes, asset_key=outcomes)

    return corrected


applications = corrected_table(
    "applications",
    "platform",
    ["platform_rows"],
    "Each application once, in its current state (the newest snapshot holding it), corrected.",
    build_applications,
)
city_submissions = corrected_table(
    "city_submissions",
    "city_table",
    ["inbox_files", "raw_city"],
    "Every application row of every city summary table (附件2) read, corrected.",
    build_city_submissions,
)


@dg.asset(group_name="ingest", kinds=DUCKDB, deps=["platform_rows"])
def stage_history(inbox: InboxResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Each stage an application was seen at across the snapshots, with when it was first seen."""
    with warehouse.connection() as conn:
        build_stage_history(conn, inbox.programme())
        return table_result(conn, "stage_history")


@dg.asset(
    group_name="ingest",
    kinds=DUCKDB,
    deps=["platform_correction_outcomes", "city_correction_outcomes"],
)
def correction_outcomes(inbox: InboxResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Every correction of the store: applied this run, or superseded by newer data, and why."""
    with warehouse.connection() as conn:
        build_correction_outcomes(conn, inbox.programme())
        return table_result(conn, "correction_outcomes")


@dg.multi_asset(
    group_name="ingest",
    specs=[
        dg.AssetSpec(
            "pool_members",
            deps=["inbox_files", "raw_pool", "raw_clusters", "file_cache"],
            kinds=DUCKDB,
            description="The cultivation pool and the leaders.",
        ),
        dg.AssetSpec(
            "clusters",
            deps=["inbox_files", "raw_pool", "raw_clusters", "file_cache"],
            kinds=DUCKDB,
            description="The provincial cluster list.",
        ),
    ],
)
def registry(inbox: InboxResource, warehouse: WarehouseResource):
    """Reference lists from inbox/registry (the shipped cluster list when the inbox has none)."""
    with warehouse.connection() as conn:
        build_registry(conn, inbox.programme())
        yield table_result(conn, "pool_members", asset_key="pool_members")
        yield table_result(conn, "clusters", asset_key="clusters")
