"""The Dagster definitions load as `dagster dev` loads them, with every asset key and dependency."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from pipelines.definitions import defs

EXPECTED_DEPS = {
    "platform_rows": set(),
    "applications": {"platform_rows"},
    "stage_history": {"platform_rows"},
    "city_submissions": set(),
    "pool_members": set(),
    "clusters": set(),
    "dq_issues": {"applications", "city_submissions", "pool_members", "clusters"},
    "shortlist": {"dq_issues"},
    "shortlist_exclusions": {"dq_issues"},
    "serving_warehouse": {"shortlist", "shortlist_exclusions", "stage_history"},
}


def test_every_asset_and_its_dependencies():
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert keys >= set(EXPECTED_DEPS)
    for name, deps in EXPECTED_DEPS.items():
        parents = {k.to_user_string() for k in graph.get(dg.AssetKey(name)).parent_keys}
        assert parents == deps, name


def test_resources_and_job_resolve():
    assert defs.resolve_job_def("everything") is not None
    assert {"warehouse", "inbox"} <= set(defs.resources)


def test_dagster_cli_validates_the_code_location(tmp_path):
    """What `dagster dev` does first: load pyproject's module as a code location."""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [str(Path(sys.executable).with_name("dagster")), "definitions", "validate"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, DAGSTER_HOME=str(tmp_path)),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Validation successful" in done.stdout + done.stderr


def test_recheck_sensor_targets_the_full_job():
    sensor = defs.resolve_sensor_def("recheck_on_change")
    assert sensor.job_name == "everything"
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
