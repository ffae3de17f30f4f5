"""`lingpao run`: materialise every asset once, in-process, and summarise what landed."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import dagster as dg
import duckdb

from lingpao.foundation.layout import Layout
from lingpao.orchestration.definitions import ALL_ASSETS
from lingpao.orchestration.resources import make_resources
from lingpao.warehouse.connection import set_aside_if_damaged
from lingpao.warehouse.runlock import run_lock
from lingpao.warehouse.runqueue import RunQueue

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
NOT_READ = {
    "unreadable": "无法读取 unreadable",
    "skipped": "已跳过 skipped",
    "ignored": "未使用 ignored",
    "superseded": "已被取代 superseded",
}
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
Progress = Callable[[str], None]  # told the key of each step as it starts


@dataclass
class RunSummary:
    """What a run read and wrote: files per folder and status, rows per table, issues per rule."""

    success: bool
    failure: str | None = None
    files: list[tuple] = field(default_factory=list)  # (folder, status, count)
    tables: dict[str, int] = field(default_factory=dict)
    issues: list[tuple] = field(default_factory=list)  # (rule, severity, count)
    unreadable: list[tuple] = field(default_factory=list)  # (file, status, reason)
    data_docs: str | None = None
    notices: list[str] = field(default_factory=list)  # e.g. a damaged warehouse set aside
    settled: dict[str, int] = field(default_factory=dict)  # fixed / waived issue counts
    corrections: dict[str, int] = field(default_factory=dict)  # applied / superseded
    cache: dict[str, int] = field(default_factory=dict)  # files read now / reused from the cache
    seconds: dict[str, float] = field(default_factory=dict)  # until published / with the report
    steps: dict[str, float] = field(default_factory=dict)  # seconds per Dagster step, slowest first

    def lines(self) -> list[str]:
        out = [
            "运行成功 (run succeeded)" if self.success else f"运行失败 (run failed): {self.failure}"
        ]
        out += [f"注意 notice: {n}" for n in self.notices]
        if self.files:
            out.append("文件 files: " + "; ".join(f"{f}/{s} {n}" for f, s, n in self.files))
        if self.cache:
            out.append(
                f"本次读取 read now {self.cache.get('files_read', 0)}，"
                f"沿用缓存 reused {self.cache.get('files_reused', 0)}"
            )
        for name, status, reason in self.unreadable:
            label = NOT_READ.get(status, status)
            out.append(f"  {label}: {name}: {reason}")
        if self.tables:
            head = (
                "表 tables"
                if self.success
                else "本次运行（未发布）的表 tables of this unpublished run"
            )
            out.append(f"{head}: " + ", ".join(f"{t} {n}" for t, n in self.tables.items()))
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
        if "published" in self.seconds:
            out.append(
                f"用时 time: 发布 published {self.seconds['published']:.1f} s，"
                f"含数据质量报告 with the report {self.seconds['total']:.1f} s"
            )
        if self.steps:
            slowest = list(self.steps.items())[:3]
            out.append(
                "最慢的步骤 slowest steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in slowest)
            )
        return out


def summarise(layout: Layout, success: bool, failure: str | None = None) -> RunSummary:
    summary = RunSummary(success=success, failure=failure)
    warehouse = layout.warehouse
    if not warehouse.exists():
        return summary
    docs = layout.gx_docs / "index.html"
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
                "SELECT source_file, status, reason FROM inbox_files WHERE status <> 'read' ORDER BY 1"
            ).fetchall()
        for table in SUMMARY_TABLES:
            if table in present:
                summary.tables[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchall()[0][
                    0
                ]
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
    """The root cause of each failure (a step, a resource, the run), one line each, without Dagster's
    wrapper text or a traceback."""
    lines: list[str] = []
    for event in result.all_events:
        error = getattr(event.event_specific_data, "error", None)
        if error is None:
            continue
        while error.cause is not None:
            error = error.cause
        message = error.message.strip()
        prefix = message.split(": ", 1)[0]
        if prefix.rsplit(".", 1)[-1] == error.cls_name:  # "package.module.Class: text" -> "text"
            message = message.split(": ", 1)[1]
        line = f"{event.step_key}: {message}" if event.step_key else message
        if not any(message in seen for seen in lines):
            lines.append(line)
    return "; ".join(lines) or "unknown failure"


def run_config(full: bool = False, allow_shrink: bool = False) -> dict:
    """The run's configuration: read every file again (`full`), publish a shrunken run."""
    return {
        **QUIET,
        "ops": {
            "inbox": {"config": {"full": full}},
            "serving_warehouse": {"config": {"allow_shrink": allow_shrink}},
            "data_docs": {"config": {"full": full}},
        },
    }


def _materialize(
    resources: dict, run_config: dict, instance: dg.DagsterInstance, progress: Progress | None
):
    """`dagster.materialize` of every asset, with a run id known beforehand so that `progress`
    hears of each step as it starts (a page or a terminal shows where a long run is)."""
    defs = dg.Definitions(
        jobs=[dg.define_asset_job(name="lingpao_run")], assets=ALL_ASSETS, resources=resources
    )
    job = defs.resolve_job_def("lingpao_run")
    run_id = str(uuid.uuid4())  # as Dagster makes them
    if progress is not None:

        def heard(entry, _cursor=None) -> None:
            event = entry.dagster_event
            if event is not None and event.event_type_value == "STEP_START" and event.step_key:
                progress(event.step_key)

        instance.event_log_storage.watch(run_id, None, heard)
    return job.execute_in_process(
        run_config=run_config, instance=instance, raise_on_error=False, run_id=run_id
    )


def run_pipeline(
    layout: Layout,
    allow_shrink: bool = False,
    full: bool = False,
    progress: Progress | None = None,
) -> RunSummary:
    """Materialise every asset once without a server; failures of records are data, not errors.

    Runs on one warehouse take turns (the warehouse resource holds a lock beside it); the dashboard
    is not blocked, as it reads the serving copy that each run replaces atomically at its end. Only
    inbox files whose content changed are read again (`full` reads all); a damaged warehouse is set
    aside and rebuilt from the inbox; `allow_shrink` publishes a run that holds under half the
    applications published now."""
    resources = make_resources(layout)
    with run_lock(layout.lock):  # held through the summary; the resource takes it again
        started = time.time()
        notice = set_aside_if_damaged(layout.warehouse)
        instance = dg.DagsterInstance.ephemeral()
        result = _materialize(resources, run_config(full, allow_shrink), instance, progress)
        finished = time.time()
        failure = None if result.success else failure_text(result)
        summary = summarise(layout, result.success, failure)
    summary.notices += [notice] if notice else []
    stats = instance.get_run_step_stats(result.run_id)
    published = [s.end_time for s in stats if s.step_key == "serving_warehouse" and s.end_time]
    timed = [(s.step_key, s.end_time - s.start_time) for s in stats if s.start_time and s.end_time]
    summary.steps = dict(sorted(timed, key=lambda step: -step[1]))
    if result.success and published:
        summary.seconds = {"published": published[0] - started, "total": finished - started}
    for materialization in result.asset_materializations_for_node("inbox"):
        for key in ("files_read", "files_reused"):
            if key in materialization.metadata:
                summary.cache[key] = int(materialization.metadata[key].value)
    return summary


def run_queued(layout: Layout) -> RunSummary | None:
    """Take up the runs asked for on the warehouse (`RunQueue`): while requests wait, take them
    all and run the pipeline once for them. Returns the last run's summary, or None when another
    runner is at work (it takes up what waits) or nothing was asked for."""
    queue = RunQueue(layout)
    last = None
    while True:
        with queue.runner() as held:
            if not held:
                return last
            while taken := queue.take():
                queue.started(taken)
                try:
                    summary = run_pipeline(layout, progress=queue.step)
                except Exception as error:  # a run that cannot even start is a failed run
                    summary = RunSummary(success=False, failure=f"{type(error).__name__}: {error}")
                queue.finished(taken, summary.success, summary.failure, summary.lines())
                last = summary
        if not queue.pending():  # asked for after the lock was let go: take it up too
            return last
