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
    context = dg.build_sensor_context(cursor=cursor, instance=dg.DagsterInstance.ephemeral())
    return sensor(context), context.cursor


def test_sensor_starts_a_run_on_change_only(inbox, tmp_path):
    from lingpao.sample.writers import write_csv

    warehouse = tmp_path / "w.duckdb"
    sensor = build_recheck_sensor(JOB, Layout.resolve(inbox, warehouse))
    write_csv(inbox / "platform" / "p_20230801.csv", [PLATFORM_HEADERS, platform_record()], "utf-8")
    first, cursor = tick(sensor, None)
    assert isinstance(first, dg.RunRequest)
    again, same = tick(sensor, cursor)
    assert isinstance(again, dg.SkipReason) and same == cursor
    CorrectionStore(
        Layout.resolve(warehouse=warehouse).corrections
    ).corrections()  # a run reading the store creates the empty file
    assert isinstance(tick(sensor, cursor)[0], dg.SkipReason)
    (inbox / "cities" / "new.xlsx").write_bytes(b"x")
    changed, cursor = tick(sensor, cursor)
    assert isinstance(changed, dg.RunRequest)
    CorrectionStore(Layout.resolve(warehouse=warehouse).corrections).record(
        operator("甲"), [Correction("platform", "A", "direction", None, "科技创新发展", "r")]
    )
    corrected, cursor = tick(sensor, cursor)
    assert isinstance(corrected, dg.RunRequest)
    os.utime(inbox / "cities" / "new.xlsx", (1, 1))
    with run_lock(Layout.resolve(warehouse=warehouse).lock):
        waiting, held = tick(sensor, cursor)
    assert isinstance(waiting, dg.SkipReason) and held == cursor  # checked again after the run
    assert isinstance(tick(sensor, cursor)[0], dg.RunRequest)
