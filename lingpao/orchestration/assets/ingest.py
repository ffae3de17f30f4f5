"""Ingest assets: the inbox scanned into the parsed-file cache; the normalised tables built from it."""

import dagster as dg

from lingpao import pipeline
from lingpao.ingest.build import OUTCOME_TABLES
from lingpao.ingest.cache import CACHE_TABLES
from lingpao.orchestration.assets.results import table_result
from lingpao.orchestration.resources import (
    ROUNDS,
    CorrectionsResource,
    InboxResource,
    WarehouseResource,
    building,
    round_of,
)
from lingpao.review.tables import TABLES as REVIEW_TABLES

DUCKDB = {"duckdb"}
FILE_READ = "读取文件 "  # the start of the log line of each file read (`lingpao.orchestration.run`)


class ScanConfig(dg.Config):
    """`full`: read every inbox file again, whatever the parsed-file cache holds; `fingerprint`:
    what the round's inputs were when the run was asked for (recorded once it is published, so
    that the next run knows whether the round changed)."""

    full: bool = False
    fingerprint: str | None = None


@dg.multi_asset(
    group_name="ingest",
    partitions_def=ROUNDS,
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
def inbox(
    context: dg.AssetExecutionContext,
    config: ScanConfig,
    inbox: InboxResource,
    warehouse: WarehouseResource,
):
    """List and hash the inbox; read only files whose content is not cached yet (each file read
    is logged, so a terminal or a page watching the run can say which)."""

    def reading(name: str, number: int, total: int) -> None:
        context.log.info(f"{FILE_READ}{number}/{total} {name}")

    with building(
        round_of(context),
        inbox,
        warehouse,
        full=config.full,
        on_file=reading,
        fingerprint=config.fingerprint,
    ) as b:
        report = pipeline.scan(b)
        yield table_result(
            b.conn,
            "inbox_files",
            asset_key="inbox_files",
            files_read=report.parsed,
            files_reused=report.reused,
            files_dropped=report.dropped,
        )
        for table in (*CACHE_TABLES, "city_table_versions"):
            yield table_result(b.conn, table, asset_key=table)


@dg.multi_asset(
    name="platform_rows",
    group_name="ingest",
    partitions_def=ROUNDS,
    specs=[
        dg.AssetSpec(
            "platform_rows",
            deps=["inbox_files", "raw_platform"],
            kinds=DUCKDB,
            description="Every row of every platform snapshot read, normalised, with its source.",
        ),
        dg.AssetSpec(
            "stage_history",
            deps=["platform_rows"],
            kinds=DUCKDB,
            description="Each stage an application was seen at across the snapshots, with when it "
            "was first seen.",
        ),
    ],
)
def platform_rows(
    context: dg.AssetExecutionContext, inbox: InboxResource, warehouse: WarehouseResource
):
    """The platform snapshots' rows, then the stages seen across them, in one step (each step of
    a run costs Dagster tens of milliseconds; a re-check is counted in them)."""
    with building(round_of(context), inbox, warehouse) as b:
        _, kept = pipeline.platform_rows(b)
        yield table_result(
            b.conn, "platform_rows", asset_key="platform_rows", kept_from_last_run=kept
        )
        pipeline.stage_history(b)
        yield table_result(b.conn, "stage_history", asset_key="stage_history")


def corrected_table(name: str, source: str, deps: list[str], description: str, step):
    """The asset of a table the stewards' corrections apply to, and of its corrections' outcomes."""
    outcomes = OUTCOME_TABLES[source]

    @dg.multi_asset(
        name=name,
        group_name="ingest",
        partitions_def=ROUNDS,
        specs=[
            dg.AssetSpec(name, deps=deps, kinds=DUCKDB, description=description),
            dg.AssetSpec(outcomes, deps=deps, kinds=DUCKDB),
        ],
    )
    def corrected(
        context: dg.AssetExecutionContext,
        inbox: InboxResource,
        warehouse: WarehouseResource,
        corrections: CorrectionsResource,
    ):
        with building(round_of(context), inbox, warehouse, corrections) as b:
            _, applied = step(b)
            yield table_result(b.conn, name, asset_key=name, corrections_applied=applied)
            yield table_result(b.conn, outcomes, asset_key=outcomes)

    return corrected


city_submissions = corrected_table(
    "city_submissions",
    "city_table",
    ["inbox_files", "raw_city"],
    "Every application row of every city summary table (附件2) read, corrected.",
    pipeline.city_submissions,
)
applications = corrected_table(
    "applications",
    "platform",
    ["platform_rows", "city_submissions"],
    "Each application once, in its current state (the newest snapshot holding it), corrected; "
    "in a round without platform exports, the city tables' rows.",
    pipeline.applications,
)


@dg.asset(
    group_name="ingest",
    kinds=DUCKDB,
    deps=["platform_correction_outcomes", "city_correction_outcomes"],
    partitions_def=ROUNDS,
)
def correction_outcomes(
    context: dg.AssetExecutionContext, inbox: InboxResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Every correction of the store: applied this run, or superseded by newer data, and why."""
    with building(round_of(context), inbox, warehouse) as b:
        pipeline.correction_outcomes(b)
        return table_result(b.conn, "correction_outcomes")


@dg.multi_asset(
    group_name="ingest",
    partitions_def=ROUNDS,
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
def registry(context: dg.AssetExecutionContext, inbox: InboxResource, warehouse: WarehouseResource):
    """Reference lists from inbox/registry (the shipped cluster list when the inbox has none)."""
    with building(round_of(context), inbox, warehouse) as b:
        pipeline.registry(b)
        yield table_result(b.conn, "pool_members", asset_key="pool_members")
        yield table_result(b.conn, "clusters", asset_key="clusters")


@dg.multi_asset(
    group_name="ingest",
    partitions_def=ROUNDS,
    specs=[
        dg.AssetSpec(table, deps=["applications"], kinds=DUCKDB, description=description)
        for table, description in REVIEW_TABLES.items()
    ],
)
def review_tables(
    context: dg.AssetExecutionContext,
    inbox: InboxResource,
    warehouse: WarehouseResource,
    corrections: CorrectionsResource,
):
    """The round's close as the province recorded it (review, notice, certification, the leaders'
    check), copied from the review store."""
    with building(round_of(context), inbox, warehouse, corrections) as b:
        pipeline.decisions(b)
        for table in REVIEW_TABLES:
            yield table_result(b.conn, table, asset_key=table)


@dg.multi_asset(
    group_name="ingest",
    partitions_def=ROUNDS,
    specs=[
        dg.AssetSpec(
            "carried_pool",
            deps=["pool_members", "applications", "certified", "leader_checks"],
            kinds=DUCKDB,
            description="Pool members carried from earlier rounds (as the round's pools say).",
        ),
        dg.AssetSpec(
            "leaders_as_of",
            deps=["pool_members", "applications", "certified", "leader_checks"],
            kinds=DUCKDB,
            description="Every leader as of the round: certified before it, not adjusted since.",
        ),
    ],
)
def carried(context: dg.AssetExecutionContext, inbox: InboxResource, warehouse: WarehouseResource):
    """What earlier rounds carry into this one (the rules read the pool and the leaders as of it)."""
    with building(round_of(context), inbox, warehouse) as b:
        pipeline.carried(b)
        yield table_result(b.conn, "carried_pool", asset_key="carried_pool")
        yield table_result(b.conn, "leaders_as_of", asset_key="leaders_as_of")
