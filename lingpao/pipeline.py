"""The pipeline's steps in order: what each Dagster asset does, and the same steps run without Dagster.

Each step is a plain function of a `Build` (a DuckDB connection, the round's inbox and programme, the
stewards' store) that writes its tables and returns what it did. The Dagster assets
(`lingpao.orchestration.assets`) call one step each; `build()` runs them all in order on any
connection (a warehouse file, or an in-memory database for a test that asks a question of the rules,
the stores or the pages and needs neither Dagster's events nor the Great Expectations report).
"""

from __future__ import annotations

import hashlib
import os
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
from lingpao.ingest.cache import PARSER, FileProgress, ScanReport, scan_inbox
from lingpao.ingest.carried import build_carried, build_leaders
from lingpao.ingest.inbox import RoundInbox, rounds_of
from lingpao.ingest.safety import Limits
from lingpao.labels import FILE_STATUS, SEVERITY, STATUS
from lingpao.labels import STEPS as STEP_NAMES
from lingpao.marts.shortlist import exclusions, shortlist_sql
from lingpao.quality.issues import find_issues, rules_fingerprint
from lingpao.quality.rules import RULES
from lingpao.quality.status import with_decisions
from lingpao.review.store import ReviewStore
from lingpao.review.tables import certified_ids, write_tables
from lingpao.warehouse.connection import (
    replace_table,
    replace_table_from_sql,
    set_aside_if_damaged,
)
from lingpao.warehouse.publish import PublishRefused, publish, refusal
from lingpao.warehouse.rounds import (
    clear_single_round_layout,
    record_build,
    refresh_views,
    schema_of,
    tables_here,
    use_main,
    use_round,
    years_in,
)
from lingpao.warehouse.runlock import run_lock


@dataclass
class Build:
    """What every step works on: the connection, the round's inbox and programme, the stewards'
    store (read once per build: the corrections and decisions a run applies are those of its start)."""

    conn: duckdb.DuckDBPyConnection
    inbox: Path  # the round's folder (the whole inbox for an inbox of one round)
    programme: Programme
    store: CorrectionStore | None = None
    full: bool = False
    limits: Limits | None = None
    on_file: FileProgress | None = None  # hears of each inbox file as it is read
    prefix: str = ""  # before the round's file names (`2024/`), so that they are unique
    review: ReviewStore | None = None  # the decisions of the round's close
    fingerprint: str | None = None  # of the round's inputs, recorded once it is published
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
    """List and hash the round's inbox; read only the files whose content is not cached yet."""
    if b.fingerprint is not None:
        note_inputs(b.conn, b.fingerprint)
    return scan_inbox(
        b.conn, b.inbox, b.programme, b.limits, full=b.full, on_file=b.on_file, prefix=b.prefix
    )


def platform_rows(b: Build) -> tuple[int, bool]:
    """Every row of every platform snapshot, normalised; (rows, kept from the last run)."""
    return build_platform_rows(b.conn, b.programme)


def applications(b: Build) -> tuple[int, int]:
    """Each application once, in its current state, corrected, the province's certification over
    the platform's stage; (rows, corrections applied)."""
    certified = certified_ids(b.review, b.programme.year)
    return build_applications(b.conn, b.programme, b.corrections, certified)


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


def decisions(b: Build) -> dict[str, int]:
    """The round's close as recorded: the review, the notice, certification, the leaders' check."""
    return write_tables(b.conn, b.programme, b.review)


def carried(b: Build) -> tuple[int, int]:
    """What earlier rounds carry into this one: pool members, and the leaders as of this round."""
    return build_carried(b.conn, b.programme)


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
    city_submissions,
    applications,
    stage_history,
    correction_outcomes,
    decisions,
    registry,
    carried,
    dq_issues,
    shortlist,
    shortlist_exclusions,
)


def serve(b: Build, serving: Path, allow_shrink: bool = False) -> Path:
    """After the round is built: the leaders over every round, the views of `main`, what the round
    was built from; then the serving copy of every round (refused, with the reason, when this
    round's run would blank or halve what the pages show)."""
    reason = refusal(b.conn, serving, allow_shrink, b.programme)
    if reason:
        raise PublishRefused(reason)
    inputs = noted_inputs(b.conn)
    use_main(b.conn)
    try:
        build_leaders(b.conn, b.programme)
        refresh_views(b.conn)
        if inputs is not None:
            record_build(b.conn, b.programme.year, inputs)
        return publish(b.conn, serving, programmes_of(b.conn, b.programme))
    finally:
        use_round(b.conn, b.programme.year)


def programmes_of(conn: duckdb.DuckDBPyConnection, current: Programme) -> dict[int, Programme]:
    """The programme of every round the warehouse holds (the one being built as given)."""
    found = {}
    for year in years_in(conn):
        if year == current.year:
            found[year] = current
            continue
        try:
            found[year] = load_programme(year)
        except (OSError, ValueError):  # its file gone or broken: its published part is kept
            continue
    return found


def build(b: Build, serving: Path | None = None, allow_shrink: bool = False) -> None:
    """Every step of the round in order on `b.conn` (in the round's schema), then (given a path)
    the serving copy; no Dagster, no report."""
    use_round(b.conn, b.programme.year)
    for step in STEPS:
        step(b)
    if serving is not None:
        serve(b, serving, allow_shrink)


INPUTS_TABLE = "round_inputs"  # in a round's schema: the fingerprint of what its run read


def note_inputs(conn: duckdb.DuckDBPyConnection, fingerprint: str) -> None:
    conn.execute(
        f"CREATE OR REPLACE TABLE {INPUTS_TABLE} AS SELECT ? AS fingerprint", [fingerprint]
    )


def noted_inputs(conn: duckdb.DuckDBPyConnection) -> str | None:
    if INPUTS_TABLE not in tables_here(conn):
        return None
    rows = conn.execute(f"SELECT fingerprint FROM {INPUTS_TABLE}").fetchall()
    return rows[0][0] if rows else None


def single_round_year() -> int:
    """The round of an inbox without year folders: LINGPAO_YEAR, else the newest programme file's."""
    return load_programme().year


def inbox_rounds(layout: Layout, year: int | None = None) -> dict[int, RoundInbox]:
    """The inbox's rounds (an inbox without year folders is round `year`, else the default)."""
    return rounds_of(layout.inbox, year or single_round_year())


def _listing(folder: Path) -> list[str]:
    state = []
    for root, folders, files in os.walk(folder):
        folders.sort()
        for name in sorted(files):
            path = Path(root, name)
            try:
                stat = path.lstat()
            except OSError:
                continue
            state.append(f"{path.relative_to(folder).as_posix()}|{stat.st_size}|{stat.st_mtime_ns}")
    return state


def round_fingerprints(layout: Layout, rounds: dict[int, RoundInbox]) -> dict[int, str]:
    """What each round is built from, as a hash: its files (name, size, time), its programme file,
    the stewards' store, the reading and rule code, and the earlier rounds' (whose pool and
    leaders it reads). A round whose fingerprint differs from its last build's is built again."""
    store = CorrectionStore(layout.corrections).signature()
    store += "|" + ReviewStore(layout.review).signature()
    code = f"{PARSER}|{rules_fingerprint()}"
    found: dict[int, str] = {}
    previous = ""
    for year in sorted(rounds):
        try:
            raw = repr(sorted(load_programme(year).raw.items(), key=lambda kv: kv[0]))
        except (OSError, ValueError):
            raw = "missing"
        state = "\n".join([previous, raw, store, code, *_listing(rounds[year].folder)])
        found[year] = previous = hashlib.sha1(state.encode("utf-8")).hexdigest()
    return found


def _read(path: Path, query) -> object:
    """A query's answer on a database file opened read-only; None when absent or unreadable."""
    if not path.exists():
        return None
    try:
        with duckdb.connect(str(path), read_only=True) as conn:
            return query(conn)
    except duckdb.Error:
        return None


def rounds_to_build(
    layout: Layout,
    rounds: dict[int, RoundInbox],
    year: int | None,
    full: bool = False,
    current: dict[int, str] | None = None,
) -> list[int]:
    """The rounds a run builds: `year` alone when given, every round when `full`, else every round
    whose inputs changed since its last build, or that the serving copy lacks (a new round, a
    copy set aside as damaged). `current`: the rounds' fingerprints, when already taken."""
    if year is not None:
        return [year]
    if full:
        return sorted(rounds)

    def builds(conn: duckdb.DuckDBPyConnection) -> dict[int, str]:
        present = conn.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' "
            "AND table_name = 'round_builds'"
        ).fetchall()[0][0]
        if not present:
            return {}
        return dict(
            conn.execute("SELECT programme_year, fingerprint FROM main.round_builds").fetchall()
        )

    built = _read(layout.warehouse, builds) or {}
    served = set(_read(layout.serving, years_in) or [])
    current = current if current is not None else round_fingerprints(layout, rounds)
    return [y for y in sorted(rounds) if built.get(y) != current[y] or y not in served]


def run_build(
    layout: Layout,
    programme: Programme | None = None,
    full: bool = False,
    allow_shrink: bool = False,
    year: int | None = None,
) -> RunSummary:
    """What `lingpao run` builds and publishes, without Dagster and without the report: the same
    run lock, damaged-warehouse rule, store backup, steps and serving copy, and its summary, for
    every round whose inputs changed (or round `year`; a `programme` given is that round's). For a
    test asking a question of the rules, the stores or the pages, where the asset events and the
    Great Expectations report would only cost time."""
    if programme is not None:
        year = programme.year
    rounds = inbox_rounds(layout, year)
    built: list[int] = []
    with run_lock(layout.lock):
        notice = set_aside_if_damaged(layout.warehouse)
        store = CorrectionStore(layout.corrections, layout.backups)
        failure = None
        try:
            if year is not None and year not in rounds:
                raise ValueError(f"收件箱中没有{year}年度的文件夹（{layout.inbox / str(year)}）")
            fingerprints = round_fingerprints(layout, rounds)
            todo = rounds_to_build(layout, rounds, year, full, fingerprints)
            store.backup()
            ReviewStore(layout.review).backup(layout.backups)
            layout.warehouse.parent.mkdir(parents=True, exist_ok=True)
            with duckdb.connect(str(layout.warehouse)) as conn:
                conn.execute("SET enable_progress_bar = false")
                clear_single_round_layout(conn)
                for built_year in todo:
                    chosen = programme if programme is not None else load_programme(built_year)
                    where = rounds[built_year]
                    build(
                        Build(
                            conn,
                            where.folder,
                            chosen,
                            store,
                            full=full,
                            prefix=where.prefix,
                            fingerprint=fingerprints.get(built_year),
                            review=ReviewStore(layout.review),
                        ),
                        layout.serving,
                        allow_shrink,
                    )
                    built.append(built_year)
        except Exception as error:  # a failed run is a summary that says why, as a full run's is
            failure = str(error)
        summary = summarise(layout, failure is None, failure, (built or [year or max(rounds)])[-1])
    summary.rounds = built
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
    rounds: list[int] = field(default_factory=list)  # the rounds this run built, oldest first
    year: int | None = None  # the round the figures are of (the newest built)

    def lines(self) -> list[str]:
        """The summary as a person reads it: Chinese names, no ids."""
        out = ["运行成功" if self.success else f"运行失败：{self.failure}"]
        out += [f"注意：{n}" for n in self.notices]
        if self.success and self.rounds:
            out.append("本次更新：" + "、".join(f"{y}年度" for y in self.rounds))
        elif self.success:
            out.append("各年度的输入均无变化，未重新生成")
        if self.year is not None and (self.files or self.tables):
            out.append(f"以下为{self.year}年度：")
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


def summarise(
    layout: Layout, success: bool, failure: str | None = None, year: int | None = None
) -> RunSummary:
    """What the warehouse holds of round `year` (files, rows, issues), after a run."""
    summary = RunSummary(success=success, failure=failure, year=year)
    warehouse = layout.warehouse
    if not warehouse.exists():
        return summary
    docs = layout.gx_docs / "index.html"
    summary.data_docs = str(docs)
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        if year is None or year not in years_in(conn):
            return summary
        conn.execute(f"USE {schema_of(year)}")
        present = tables_here(conn)
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
