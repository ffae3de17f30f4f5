"""The pipeline's steps in order: what each Dagster asset does, and the same steps run without Dagster.

Each step is a plain function of a `Build` (a DuckDB connection, the round's inbox and programme, the
stewards' store) that writes its tables and returns what it did. The Dagster assets
(`lingpao.orchestration.assets`) call one step each; `build()` runs them all in order on any
connection (a warehouse file, or an in-memory database for a test that asks a question of the rules,
the stores or the pages and needs neither Dagster's events nor the Great Expectations report).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from lingpao.corrections.store import CorrectionStore
from lingpao.foundation.layout import Layout
from lingpao.foundation.programme import Programme, load_programme
from lingpao.ingest.build import (
    build_applications,
    build_city_submissions,
    build_correction_outcomes,
    build_platform_rows,
    build_registry,
    build_stage_history,
    platform_inputs_stamp,
)
from lingpao.ingest.cache import FileProgress, ScanReport, scan_inbox
from lingpao.ingest.safety import Limits
from lingpao.labels import FILE_STATUS, SEVERITY, STATUS
from lingpao.labels import STEPS as STEP_NAMES
from lingpao.marts.shortlist import exclusions, shortlist_sql
from lingpao.quality.issues import find_issues
from lingpao.quality.rules import RULES
from lingpao.quality.status import with_decisions
from lingpao.warehouse.connection import (
    replace_table,
    replace_table_from_sql,
    set_aside_if_damaged,
)
from lingpao.warehouse.publish import PublishRefused, publish, refusal
from lingpao.warehouse.runlock import run_lock


@dataclass
class Build:
    """What every step works on: the connection, the round's inbox and programme, the stewards'
    store (read once per build: the corrections and decisions a run applies are those of its start)."""

    conn: duckdb.DuckDBPyConnection
    inbox: Path
    programme: Programme
    store: CorrectionStore | None = None
    full: bool = False
    limits: Limits | None = None
    on_file: FileProgress | None = None  # hears of each inbox file as it is read
    _corrections: pd.DataFrame | None = field(default=None, repr=False)
    _decisions: pd.DataFrame | None = field(default=None, repr=False)

    def _store(self) -> CorrectionStore:
        if self.store is None:
            raise RuntimeError("this step reads the stewards' store: give the Build one")
        return self.store

    @property
    def corrections(self) -> pd.DataFrame:
        if self._corrections is None:
            self._corrections = self._store().corrections()
        return self._corrections

    @property
    def decisions(self) -> pd.DataFrame:
        if self._decisions is None:
            self._decisions = self._store().latest_decisions()
        return self._decisions


def scan(b: Build) -> ScanReport:
    """List and hash the inbox; read only the files whose content is not cached yet."""
    return scan_inbox(b.conn, b.inbox, b.programme, b.limits, full=b.full, on_file=b.on_file)


def platform_rows(b: Build) -> tuple[int, bool]:
    """Every row of every platform snapshot, normalised; (rows, kept from the last run)."""
    return build_platform_rows(b.conn, b.programme)


def applications(b: Build) -> tuple[int, int]:
    """Each application once, in its current state, corrected; (rows, corrections applied)."""
    return build_applications(b.conn, b.programme, b.corrections)


def city_submissions(b: Build) -> tuple[int, int]:
    """Every application row of every city table read, corrected; (rows, corrections applied)."""
    return build_city_submissions(b.conn, b.programme, b.corrections)


def stage_history(b: Build) -> int:
    return build_stage_history(b.conn, b.programme)


def correction_outcomes(b: Build) -> int:
    return build_correction_outcomes(b.conn, b.programme)


def registry(b: Build) -> tuple[int, int]:
    """The pool list and the cluster list; (pool rows, cluster rows)."""
    return build_registry(b.conn, b.programme)


def dq_issues(b: Build) -> pd.DataFrame:
    """Every failed rule on every record, with the stewards' decisions; the issues."""
    inputs = platform_inputs_stamp(b.conn, b.programme, b.corrections)
    issues = with_decisions(find_issues(b.conn, b.programme, inputs), b.decisions)
    replace_table(b.conn, "dq_issues", issues, b.programme)
    return issues


def shortlist(b: Build) -> int:
    return replace_table_from_sql(b.conn, "shortlist", shortlist_sql(b.programme), b.programme)


def shortlist_exclusions(b: Build) -> int:
    frame = exclusions(b.conn, b.programme)
    return replace_table(b.conn, "shortlist_exclusions", frame, b.programme)


# Every table-building step, in an order that respects what each reads.
STEPS = (
    scan,
    platform_rows,
    applications,
    city_submissions,
    stage_history,
    correction_outcomes,
    registry,
    dq_issues,
    shortlist,
    shortlist_exclusions,
)


def serve(b: Build, serving: Path, allow_shrink: bool = False) -> Path:
    """Publish the built tables as the serving copy (refused, with the reason, when the run would
    blank or halve what the pages show)."""
    reason = refusal(b.conn, serving, allow_shrink)
    if reason:
        raise PublishRefused(reason)
    return publish(b.conn, serving, b.programme)


def build(b: Build, serving: Path | None = None, allow_shrink: bool = False) -> None:
    """Every step in order on `b.conn`, then (given a path) the serving copy; no Dagster, no report."""
    for step in STEPS:
        step(b)
    if serving is not None:
        serve(b, serving, allow_shrink)


def run_build(
    layout: Layout,
    programme: Programme | None = None,
    full: bool = False,
    allow_shrink: bool = False,
) -> RunSummary:
    """What `lingpao run` builds and publishes, without Dagster and without the report: the same
    run lock, damaged-warehouse rule, store backup, steps and serving copy, and its summary. For a
    test asking a question of the rules, the stores or the pages, where the asset events and the
    Great Expectations report would only cost time."""
    programme = programme or load_programme()
    with run_lock(layout.lock):
        notice = set_aside_if_damaged(layout.warehouse)
        store = CorrectionStore(layout.corrections, layout.backups)
        failure = None
        try:
            store.backup()
            layout.warehouse.parent.mkdir(parents=True, exist_ok=True)
            with duckdb.connect(str(layout.warehouse)) as conn:
                conn.execute("SET enable_progress_bar = false")
                build(
                    Build(conn, layout.inbox, programme, store, full=full),
                    layout.serving,
                    allow_shrink,
                )
        except Exception as error:  # a failed run is a summary that says why, as a full run's is
            failure = str(error)
        summary = summarise(layout, failure is None, failure)
    summary.notices += [notice] if notice else []
    return summary


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
FOLDERS = {"platform": "平台导出", "cities": "市级汇总表", "registry": "参考名单"}
TABLES = {
    "applications": "申报",
    "stage_history": "环节记录",
    "city_submissions": "市级汇总表行",
    "pool_members": "培育库名单",
    "clusters": "集群名单",
    "dq_issues": "问题",
    "shortlist": "专家评审名单",
    "shortlist_exclusions": "未列入名单的认定申报",
}


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
    seconds: dict[str, float] = field(default_factory=dict)  # until published / the whole run
    report_started: bool = False  # the report of the published result follows in the background
    steps: dict[str, float] = field(default_factory=dict)  # seconds per Dagster step, slowest first

    def lines(self) -> list[str]:
        """The summary as a person reads it: Chinese names, no ids."""
        out = ["运行成功" if self.success else f"运行失败：{self.failure}"]
        out += [f"注意：{n}" for n in self.notices]
        if self.files:
            by_folder: dict[str, list[str]] = {}
            for folder, status, count in self.files:
                by_folder.setdefault(FOLDERS.get(folder, folder), []).append(
                    f"{FILE_STATUS.get(status, status)} {count}"
                )
            out.append("文件：" + "；".join(f"{f} {'、'.join(v)}" for f, v in by_folder.items()))
        if self.cache:
            out.append(
                f"本次读取 {self.cache.get('files_read', 0)} 个文件，"
                f"沿用缓存 {self.cache.get('files_reused', 0)} 个"
            )
        for name, status, reason in self.unreadable:
            out.append(f"  {FILE_STATUS.get(status, status)}：{Path(name).name}：{reason}")
        if self.tables:
            head = "结果" if self.success else "本次运行（未发布）的结果"
            out.append(
                f"{head}："
                + "，".join(f"{TABLES.get(t, t)} {n:,} 条" for t, n in self.tables.items())
            )
        if self.issues:
            out.append("未解决的问题（规则　级别　数量）：")
            out += [
                f"  {RULES[rule].name if rule in RULES else rule}　{SEVERITY.get(severity, severity)}"
                f"　{count:,}"
                for rule, severity, count in self.issues
            ]
        else:
            out.append("未解决的问题：无")
        if self.settled:
            out.append(
                "已处理："
                + "，".join(f"{STATUS.get(k, k)} {v:,}" for k, v in sorted(self.settled.items()))
            )
        if self.corrections:
            words = {"applied": "已应用", "superseded": "已被新数据取代"}
            out.append(
                "更正："
                + "，".join(f"{words.get(k, k)} {v:,}" for k, v in sorted(self.corrections.items()))
            )
        if self.report_started:
            out.append(f"数据质量报告正在后台生成，完成后见 {self.data_docs}")
        elif self.data_docs and Path(self.data_docs).exists():
            out.append(f"数据质量报告：{self.data_docs}")
        if "published" in self.seconds:
            out.append(
                f"用时：发布 {self.seconds['published']:.1f} 秒，全程 {self.seconds['total']:.1f} 秒"
            )
        if self.steps:
            slowest = list(self.steps.items())[:3]
            out.append(
                "最慢的步骤：" + "，".join(f"{STEP_NAMES.get(k, k)} {v:.1f} 秒" for k, v in slowest)
            )
        return out


def summarise(layout: Layout, success: bool, failure: str | None = None) -> RunSummary:
    summary = RunSummary(success=success, failure=failure)
    warehouse = layout.warehouse
    if not warehouse.exists():
        return summary
    docs = layout.gx_docs / "index.html"
    summary.data_docs = str(docs)
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
