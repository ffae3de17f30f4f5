"""Re-check: a Dagster sensor that starts a run when inbox files or the corrections change."""

from __future__ import annotations

import hashlib
from pathlib import Path

import dagster as dg

from lingpao.corrections.store import CorrectionStore
from lingpao.foundation.layout import Layout
from lingpao.foundation.settings import Settings
from lingpao.ingest.inbox import FOLDERS, list_files
from lingpao.warehouse.runlock import is_running


def inbox_state(inbox: Path) -> list[str]:
    """Name, size and modification time of every inbox entry (a dangling link counts by name)."""
    state = []
    for folder in FOLDERS:
        for f in list_files(inbox, folder):
            try:
                stat = f.path.lstat()
                state.append(f"{f.name}|{stat.st_size}|{stat.st_mtime_ns}")
            except OSError:
                state.append(f.name)
    return state


def fingerprint(layout: Layout) -> str:
    """Changes whenever an inbox file is added, removed or modified, or a correction is recorded."""
    state = inbox_state(layout.inbox) + [CorrectionStore(layout.corrections).signature()]
    return hashlib.sha1("\n".join(state).encode("utf-8")).hexdigest()


def _job_in_progress(context: dg.SensorEvaluationContext, job_name: str) -> bool:
    if context.instance is None:
        return False
    statuses = [
        dg.DagsterRunStatus.QUEUED,
        dg.DagsterRunStatus.STARTING,
        dg.DagsterRunStatus.STARTED,
    ]
    return bool(
        context.instance.get_runs(
            filters=dg.RunsFilter(job_name=job_name, statuses=statuses), limit=1
        )
    )


def build_recheck_sensor(
    job: dg.UnresolvedAssetJobDefinition, layout: Layout
) -> dg.SensorDefinition:
    @dg.sensor(
        job=job,
        minimum_interval_seconds=int(Settings.load().number("LINGPAO_SENSOR_SECONDS", 60)),
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Re-runs every asset when inbox files or the stewards' corrections change.",
    )
    def recheck_on_change(context: dg.SensorEvaluationContext):
        if is_running(layout.lock) or _job_in_progress(context, job.name):
            return dg.SkipReason("a run is in progress; changes are checked after it")
        current = fingerprint(layout)
        if current == context.cursor:
            return dg.SkipReason("inbox and corrections unchanged")
        context.update_cursor(current)
        return dg.RunRequest(run_key=current)

    return recheck_on_change
