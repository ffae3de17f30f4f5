"""Quality assets: `dq_issues` with one asset check per rule, and the Great Expectations report."""

from pathlib import Path

import dagster as dg

from lingpao import pipeline
from lingpao.foundation.layout import Layout
from lingpao.orchestration.assets.results import table_result
from lingpao.orchestration.resources import (
    ROUNDS,
    CorrectionsResource,
    InboxResource,
    WarehouseResource,
    building,
    round_of,
)
from lingpao.quality.report import report
from lingpao.quality.rules import RULES

CHECKED_RULES = sorted(RULES)


@dg.asset(
    group_name="quality",
    kinds={"duckdb"},
    deps=[
        "applications",
        "city_submissions",
        "pool_members",
        "clusters",
        "inbox_files",
        "platform_rows",
        "carried_pool",
        "leaders_as_of",
    ],
    partitions_def=ROUNDS,
    check_specs=[
        dg.AssetCheckSpec(name=rule, asset="dq_issues", description=RULES[rule].name)
        for rule in CHECKED_RULES
    ],
)
def dq_issues(
    context: dg.AssetExecutionContext,
    inbox: InboxResource,
    warehouse: WarehouseResource,
    corrections: CorrectionsResource,
):
    """Every failed rule on every record (contract §3.2), one row each, with the stewards' decisions;
    one asset check per rule (counting the issues still open)."""
    with building(round_of(context), inbox, warehouse, corrections) as b:
        issues = pipeline.dq_issues(b)
        result = table_result(b.conn, "dq_issues")
    still_open = issues[issues["status"] == "open"] if len(issues) else issues
    counts = still_open["rule"].value_counts().to_dict() if len(still_open) else {}
    yield dg.MaterializeResult(
        metadata={**result.metadata, **{f"issues/{rule}": int(n) for rule, n in counts.items()}}
    )
    for rule in CHECKED_RULES:
        failures = int(counts.get(rule, 0))
        yield dg.AssetCheckResult(
            check_name=rule,
            passed=failures == 0,
            severity=dg.AssetCheckSeverity.ERROR
            if RULES[rule].severity == "error"
            else dg.AssetCheckSeverity.WARN,
            metadata={"failures": failures, "severity": RULES[rule].severity},
        )


class ReportConfig(dg.Config):
    """`full`: validate every suite again, changed or not."""

    full: bool = False


@dg.asset(
    group_name="quality",
    deps=["serving_warehouse"],
    partitions_def=ROUNDS,
    check_specs=[
        dg.AssetCheckSpec(
            name="suites_agree_with_sql",
            asset="data_docs",
            description="Great Expectations finds exactly the failures the SQL rules find.",
        )
    ],
)
def data_docs(
    context: dg.AssetExecutionContext,
    config: ReportConfig,
    inbox: InboxResource,
    warehouse: WarehouseResource,
):
    """The Great Expectations Data Docs (offline) of the round, for the suites whose input changed;
    built after publishing, so the dashboard never waits for it."""
    year = round_of(context)
    docs = Layout.docs_folder(Path(warehouse.docs), year)
    suites = report(Path(warehouse.serving), inbox.programme(year), docs, full=config.full)
    yield dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(docs / "index.html")),
            **{f"validated/{s.suite}": s.validated for s in suites},
        }
    )
    yield dg.AssetCheckResult(
        check_name="suites_agree_with_sql",
        passed=all(s.agrees for s in suites),
        metadata={f"{s.suite}": f"GX {s.gx_failures} / SQL {s.sql_failures}" for s in suites},
    )
