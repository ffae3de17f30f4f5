"""`lingpao run`: materialise every asset once, in-process, and summarise what landed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable

import dagster as dg

from lingpao.foundation.layout import Layout
from lingpao.foundation.programme import PROJECT_ROOT
from lingpao.orchestration.assets.ingest import FILE_READ
from lingpao.orchestration.definitions import ALL_ASSETS
from lingpao.orchestration.resources import ROUNDS, make_resources
from lingpao.pipeline import (
    RunSummary,
    inbox_rounds,
    round_fingerprints,
    rounds_to_build,
    summarise,
)
from lingpao.warehouse.connection import set_aside_if_damaged
from lingpao.warehouse.runlock import run_lock
from lingpao.warehouse.runqueue import RunQueue

REPORT = "data_docs"  # built after the run, in its own process (`start_report`)
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
Progress = Callable[..., None]  # told each step as it starts (its key), and what it is reading


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


def run_config(
    full: bool = False, allow_shrink: bool = False, fingerprint: str | None = None
) -> dict:
    """The run's configuration: read every file again (`full`), publish a shrunken run, the
    fingerprint of the round's inputs (recorded once published)."""
    return {
        **QUIET,
        "ops": {
            "inbox": {"config": {"full": full, "fingerprint": fingerprint}},
            "serving_warehouse": {"config": {"allow_shrink": allow_shrink}},
        },
    }


def _materialize(
    resources: dict,
    run_config: dict,
    instance: dg.DagsterInstance,
    progress: Progress | None,
    year: int,
):
    """`dagster.materialize` of every asset, with a run id known beforehand so that `progress`
    hears of each step as it starts (a page or a terminal shows where a long run is)."""
    selection = dg.AssetSelection.all() - dg.AssetSelection.assets(REPORT)
    defs = dg.Definitions(
        jobs=[dg.define_asset_job(name="lingpao_run", selection=selection)],
        assets=ALL_ASSETS,
        resources=resources,
    )
    job = defs.resolve_job_def("lingpao_run")
    run_id = str(uuid.uuid4())  # as Dagster makes them
    if progress is not None:

        def heard(entry, _cursor=None) -> None:
            event = entry.dagster_event
            if event is not None and event.event_type_value == "STEP_START" and event.step_key:
                progress(event.step_key)
            elif event is None and (entry.user_message or "").startswith(FILE_READ):
                progress(entry.step_key or "inbox", entry.user_message[len(FILE_READ) :])

        instance.event_log_storage.watch(run_id, None, heard)
    return job.execute_in_process(
        run_config=run_config,
        instance=instance,
        raise_on_error=False,
        run_id=run_id,
        partition_key=str(year),
    )


def build_report(layout: Layout, full: bool = False, year: int | None = None) -> list:
    """The Great Expectations report of every round of the published copy (or of round `year`),
    here and now (`lingpao report`); the top page links each round's."""
    from lingpao.foundation.programme import load_programme
    from lingpao.quality.gx_runner import write_index
    from lingpao.quality.report import report
    from lingpao.warehouse.connection import connect_read_only
    from lingpao.warehouse.rounds import years_in

    if not layout.serving.exists():
        return []
    with connect_read_only(layout.serving) as conn:
        years = years_in(conn)
    reports = []
    for chosen in [year] if year is not None else years:
        reports += report(layout.serving, load_programme(chosen), layout.docs_of(chosen), full)
    write_index(layout.gx_docs, {str(y): f"{y}年度" for y in years})
    return reports


def start_report(layout: Layout, full: bool = False) -> subprocess.Popen:
    """The Great Expectations report of what was just published, in a process of its own at a low
    priority (`lingpao report`): the run is done when its result is published, the report follows.
    Its output goes to the Data Docs folder's `report.log`."""
    layout.gx_docs.mkdir(parents=True, exist_ok=True)
    with (layout.gx_docs / "report.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "lingpao.cli", "report", *(["--full"] if full else [])],
            cwd=PROJECT_ROOT,
            env=dict(os.environ, **layout.environment()),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=lambda: os.nice(10),
        )


def run_pipeline(
    layout: Layout,
    allow_shrink: bool = False,
    full: bool = False,
    progress: Progress | None = None,
    report: bool = False,
    year: int | None = None,
) -> RunSummary:
    """Materialise every asset but the report once without a server; failures of records are data,
    not errors. With `report`, the Great Expectations report of the published result is then
    started in the background (`start_report`).

    Runs on one warehouse take turns (the warehouse resource holds a lock beside it); the dashboard
    is not blocked, as it reads the serving copy that each run replaces atomically at its end. Only
    inbox files whose content changed are read again (`full` reads all); a damaged warehouse is set
    aside and rebuilt from the inbox; `allow_shrink` publishes a run that holds under half the
    applications published now."""
    resources = make_resources(layout)
    instance = dg.DagsterInstance.ephemeral()  # (its first use in a process imports its storage)
    with run_lock(layout.lock):  # held through the summary; the resource takes it again
        started = time.time()
        notice = set_aside_if_damaged(layout.warehouse)
        rounds = inbox_rounds(layout, year)
        if year is not None and year not in rounds:
            return RunSummary(
                success=False,
                failure=f"收件箱中没有{year}年度的文件夹（{layout.inbox / str(year)}）",
            )
        fingerprints = round_fingerprints(layout, rounds)
        todo = rounds_to_build(layout, rounds, year, full, fingerprints)
        instance.add_dynamic_partitions(ROUNDS.name, [str(y) for y in sorted(rounds)])
        results, built = [], []
        for chosen in todo:
            config = run_config(full, allow_shrink, fingerprints[chosen])
            result = _materialize(resources, config, instance, progress, chosen)
            results.append(result)
            if not result.success:
                break
            built.append(chosen)
        finished = time.time()
        success = all(r.success for r in results)
        failure = None if success else failure_text(results[-1])
        if failure and len(todo) > 1:
            failure = f"{todo[len(built)]}年度：{failure}"
        shown = (built or [year or max(rounds)])[-1]
        summary = summarise(layout, success, failure, shown)
    summary.rounds = built
    summary.notices += [notice] if notice else []
    stats = [s for r in results for s in instance.get_run_step_stats(r.run_id)]
    published = [s.end_time for s in stats if s.step_key == "serving_warehouse" and s.end_time]
    timed: dict[str, float] = {}  # each step's time over the rounds built, slowest first
    for s in stats:
        if s.start_time and s.end_time:
            timed[s.step_key] = timed.get(s.step_key, 0.0) + s.end_time - s.start_time
    summary.steps = dict(sorted(timed.items(), key=lambda step: -step[1]))
    if success and published:
        summary.seconds = {"published": max(published) - started, "total": finished - started}
    if success and report and built:
        start_report(layout, full)
        summary.report_started = True
    for result in results:
        for materialization in result.asset_materializations_for_node("inbox"):
            for key in ("files_read", "files_reused"):
                if key in materialization.metadata:
                    summary.cache[key] = summary.cache.get(key, 0) + int(
                        materialization.metadata[key].value
                    )
    return summary


def run_queued(
    layout: Layout,
    report: bool = False,
    announce: Callable[[RunSummary], None] | None = None,
) -> RunSummary | None:
    """Take up the runs asked for on the warehouse (`RunQueue`): while requests wait, take them
    all and run the pipeline once for them (`announce` hears each run's summary); once none
    waits, build the report of the last result (`report`) before letting the runner's lock go, so
    a runner that is gone has finished everything it started. Returns the last run's summary, or
    None when another runner is at work (it takes up what waits) or nothing was asked for."""
    queue = RunQueue(layout)
    last = None
    while True:
        with queue.runner() as held:
            if not held:
                return last
            reported = True
            while True:
                while taken := queue.take():
                    queue.started(taken)
                    try:
                        summary = run_pipeline(layout, progress=queue.step)
                    except Exception as error:  # a run that cannot even start is a failed run
                        summary = RunSummary(
                            success=False, failure=f"{type(error).__name__}: {error}"
                        )
                    queue.finished(taken, summary.success, summary.failure, summary.lines())
                    if announce is not None:
                        announce(summary)
                    last, reported = summary, not summary.success
                if report and not reported:
                    build_report(layout)
                    reported = True
                if not queue.pending():  # asked for during the report: take it up first
                    break
        if not queue.pending():  # asked for after the lock was let go: take it up too
            return last
