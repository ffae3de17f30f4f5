"""The re-check sensor: a run when inbox files or corrections change, none otherwise or mid-run."""

import os

import dagster as dg

from lingpao.access.viewer import operator
from lingpao.corrections.store import Correction, CorrectionStore
from lingpao.foundation.layout import Layout
from lingpao.orchestration.sensors import build_recheck_sensor
from lingpao.warehouse.runlock import run_lock
from tests.helpers import PLATFORM_HEADERS, platform_record

JOB = dg.define_asset_job("everything", selection=dg.AssetSelection.all())


def tick(sensor, cursor):
    """One evaluation: the rounds it asks runs of (partition keys), or None when it skips."""
    context = dg.build_sensor_context(cursor=cursor, instance=dg.DagsterInstance.ephemeral())
    result = sensor(context)
    if isinstance(result, dg.SkipReason):
        return None, context.cursor
    assert isinstance(result, dg.SensorResult)
    return [r.partition_key for r in result.run_requests], result.cursor or context.cursor


def test_sensor_starts_a_run_on_change_only(inbox, tmp_path):
    from lingpao.sample.writers import write_csv

    warehouse = tmp_path / "w.duckdb"
    sensor = build_recheck_sensor(JOB, Layout.resolve(inbox, warehouse))
    write_csv(inbox / "platform" / "p_20230801.csv", [PLATFORM_HEADERS, platform_record()], "utf-8")
    first, cursor = tick(sensor, None)
    assert first == ["2023"]
    again, same = tick(sensor, cursor)
    assert again is None and same == cursor
    CorrectionStore(
        Layout.resolve(warehouse=warehouse).corrections
    ).corrections()  # a run reading the store creates the empty file
    assert tick(sensor, cursor)[0] is None
    (inbox / "cities" / "new.xlsx").write_bytes(b"x")
    changed, cursor = tick(sensor, cursor)
    assert changed == ["2023"]
    CorrectionStore(Layout.resolve(warehouse=warehouse).corrections).record(
        operator("甲"), [Correction("platform", "A", "direction", None, "科技创新发展", "r")]
    )
    corrected, cursor = tick(sensor, cursor)
    assert corrected == ["2023"]
    os.utime(inbox / "cities" / "new.xlsx", (1, 1))
    with run_lock(Layout.resolve(warehouse=warehouse).lock):
        waiting, held = tick(sensor, cursor)
    assert waiting is None and held == cursor  # checked again after the run
    assert tick(sensor, cursor)[0] == ["2023"]


def test_sensor_runs_only_the_rounds_that_changed_and_those_after(tmp_path):
    """Year folders: a change in one round's files asks a run of that round and of every later
    round (which reads the pool and the leaders it carries), never of an earlier one."""
    from lingpao.sample.writers import write_csv

    inbox = tmp_path / "inbox"
    for year in (2022, 2023, 2024):
        (inbox / str(year) / "registry").mkdir(parents=True)
    sensor = build_recheck_sensor(JOB, Layout.resolve(inbox, tmp_path / "w.duckdb"))
    first, cursor = tick(sensor, None)
    assert first == ["2022", "2023", "2024"]
    (inbox / "2023" / "platform").mkdir()
    write_csv(
        inbox / "2023" / "platform" / "p_20230801.csv",
        [PLATFORM_HEADERS, platform_record()],
        "utf-8",
    )
    changed, cursor = tick(sensor, cursor)
    assert changed == ["2023", "2024"]
    assert tick(sensor, cursor)[0] is None
