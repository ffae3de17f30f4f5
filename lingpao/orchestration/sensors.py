"""Re-check: a Dagster sensor that starts a run of each round whose inputs changed (inbox files of
the round, the stewards' corrections, its programme file, an earlier round it carries from)."""

from __future__ import annotations

import json

import dagster as dg

from lingpao.foundation.layout import Layout
from lingpao.foundation.settings import Settings
from lingpao.orchestration.resources import ROUNDS
from lingpao.pipeline import inbox_rounds, round_fingerprints
from lingpao.warehouse.runlock import is_running


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
        description="Re-runs each round whose inbox files, corrections or programme changed.",
    )
    def recheck_on_change(context: dg.SensorEvaluationContext):
        if is_running(layout.lock) or _job_in_progress(context, job.name):
            return dg.SkipReason("a run is in progress; changes are checked after it")
        rounds = inbox_rounds(layout)
        current = {str(y): f for y, f in round_fingerprints(layout, rounds).items()}
        seen = json.loads(context.cursor) if context.cursor else {}
        changed = sorted(y for y, f in current.items() if seen.get(y) != f)
        if not changed:
            return dg.SkipReason("inbox, corrections and programmes unchanged")
        known = (
            set(context.instance.get_dynamic_partitions(ROUNDS.name)) if context.instance else set()
        )
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(
                    run_key=f"{year}:{current[year]}",
                    partition_key=year,
                    run_config={"ops": {"inbox": {"config": {"fingerprint": current[year]}}}},
                )
                for year in changed
            ],
            dynamic_partitions_requests=[ROUNDS.build_add_request(sorted(set(current) - known))]
            if set(current) - known
            else [],
            cursor=json.dumps(current, sort_keys=True),
        )

    return recheck_on_change
