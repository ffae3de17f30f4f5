"""`lingpao run`: materialise every asset once, in-process, and summarise what landed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.definitions import ALL_ASSETS
from pipelines.resources import make_resources, warehouse_path
from pipelines.runlock import run_lock

SUMMARY_TABLES = [
    "applications",
    "stage_history",
    "city_submissions",
    "pool_members",
    "clusters",
    "dq_issues",
    "shortlist",
    "shortlist_exclusions",
]
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass
class RunSummary:
    """What a run read and wrote: files per folder and status, rows per table, issues per rule."""

    success: bool
    failure: str | None = None
    files: list[tuple] = field(default_factory=list)  # (folder, status, count)
    tables: dict[str, int] = field(default_factory=dict)
    issues: list[tuple] = field(default_factory=list)  # (rule, severity, count)
    unreadable: list[tuple] = field(default_factory=list)  # (file, reason)
    data_docs: str | None = None
    settled: dict[str, int] = field(default_factory=dict)  # fixed / waived issue counts
    corrections: dict[str, int] = field(default_factory=dict)  # applied / superseded

    def lines(self) -> list[str]:
        out = [
            "运行成功 (run succeeded)" if self.success else f"运行失败 (run failed): {self.failure}"
        ]
        if self.files:
            out.append("文件 files: " + "; ".join(f"{f}/{s} {n}" for f, s, n in self.files))
        for name, reason in self.unreadable:
            out.append(f"  无法读取 unreadable: {name}: {reason}")
        if self.tables:
            out.append("表 tables: " + ", ".join(f"{t} {n}" for t, n in self.tables.items()))
        if self.issues:
            out.append("未解决问题 open issues (rule, severity, count):")
            out += [f"  {rule:<28} {severity:<8} {count}" for rule, severity, count in self.issues]
        else:
            out.append("未解决问题 open issues: none")
        if self.settled:
            out.append(
                "已处理 settled: " + ", ".join(f"{k} {v}" for k, v in sorted(self.settled.items()))
            )
        if self.corrections:
            out.append(
                "更正 corrections: "
                + ", ".join(f"{k} {v}" for k, v in sorted(self.corrections.items()))
            )
        if self.data_docs:
            out.append(f"数据质量报告 Data Docs: {self.data_docs}")
        return out


def summarise(warehouse: Path, success: bool, failure: str | None = None) -> RunSummary:
    summary = RunSummary(success=success, failure=failure)
    if not warehouse.exists():
        return summary
    docs = warehouse.parent / "gx_docs" / "index.html"
    summary.data_docs = str(docs) if docs.exists() else None
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        present = {
            r[0]
            for r in conn.execute("SELECT table_name FROM information_schema.tables").fetchall()
        }
        if "inbox_files" in present:
            summary.files = conn.execute(
                "SELECT folder, status, count(*) FROM inbox_files GROUP BY ALL ORDER BY ALL"
            ).fetchall()
            summary.unreadable = conn.execute(
                "SELECT source_file, reason FROM inbox_files WHERE status <> 'read' ORDER BY 1"
            ).fetchall()
        for table in SUMMARY_TABLES:
            if table in present:
                summary.tables[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        if "dq_issues" in present:
            summary.issues = conn.execute(
                "SELECT rule, severity, count(*) FROM dq_issues WHERE status = 'open' GROUP BY ALL "
                "ORDER BY severity, count(*) DESC, rule"
            ).fetchall()
            summary.settled = dict(
                conn.execute(
                    "SELECT status, count(*) FROM dq_issues WHERE status <> 'open' GROUP BY 1"
                ).fetchall()
            )
        if "correction_outcomes" in present:
            summary.corrections = dict(
                conn.execute(
                    "SELECT CASE WHEN applied THEN 'applied' ELSE 'superseded' END, count(*) "
                    "FROM correction_outcomes GROUP BY 1"
                ).fetchall()
            )
    return summary


def failure_text(result) -> str:
    """The root cause of each failed step, one line each (no Dagster wrapper text, no traceback)."""
    lines = []
    for event in result.all_events:
        if event.event_type_value != "STEP_FAILURE" or not event.step_failure_data.error:
            continue
        error = event.step_failure_data.error
        while error.cause is not None:
            error = error.cause
        lines.append(f"{event.step_key}: {error.message.strip()}")
    return "; ".join(lines) or "unknown failure"


def run_pipeline(inbox: str | None = None, warehouse: str | None = None) -> RunSummary:
    """Materialise every asset once without a server; failures of records are data, not errors.

    Runs on one warehouse take turns (a run lock beside it); the dashboard is not blocked, as it
    reads the serving copy that each run replaces atomically at its end."""
    resources = make_resources(inbox, warehouse)
    with run_lock(warehouse_path(warehouse)):
        result = dg.materialize(
            ALL_ASSETS,
            resources=resources,
            instance=dg.DagsterInstance.ephemeral(),
            raise_on_error=False,
            run_config=QUIET,
        )
    failure = None if result.success else failure_text(result)
    return summarise(warehouse_path(warehouse), result.success, failure)
