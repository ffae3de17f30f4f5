"""The Dagster definitions load as `dagster dev` loads them, with every asset key and dependency."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from lingpao.orchestration.definitions import defs
from tests.conftest import query

CACHE = {
    "inbox_files",
    "file_cache",
    "raw_platform",
    "raw_city",
    "raw_pool",
    "raw_clusters",
    "city_table_versions",  # the city desk's submissions log, read with the inbox
}
EXPECTED_DEPS = {  # every table of the warehouse is an asset, with what it is built from
    **{table: set() for table in CACHE},
    "platform_rows": {"inbox_files", "raw_platform"},
    "applications": {"platform_rows", "city_submissions"},  # a round without a platform: its rows
    "platform_correction_outcomes": {"platform_rows", "city_submissions"},
    "stage_history": {"platform_rows"},
    "city_submissions": {"inbox_files", "raw_city"},
    "city_correction_outcomes": {"inbox_files", "raw_city"},
    "correction_outcomes": {"platform_correction_outcomes", "city_correction_outcomes"},
    "pool_members": {"inbox_files", "raw_pool", "raw_clusters", "file_cache"},  # one step
    "clusters": {"inbox_files", "raw_pool", "raw_clusters", "file_cache"},
    # the round's close as the province recorded it, copied from the review store
    **{
        table: {"applications"}
        for table in (
            "review_candidates",
            "review_assignments",
            "review_scores",
            "review_result",
            "notice",
            "notice_objections",
            "certified",
            "leader_checks",
        )
    },
    # what earlier rounds carry into the round: their pools, certified leaders and checks
    "carried_pool": {"pool_members", "applications", "certified", "leader_checks"},
    "leaders_as_of": {"pool_members", "applications", "certified", "leader_checks"},
    "dq_issues": {
        "applications",
        "city_submissions",
        "pool_members",
        "clusters",
        "inbox_files",
        "platform_rows",
        "carried_pool",
        "leaders_as_of",
    },
    "shortlist": {"dq_issues"},
    "shortlist_exclusions": {"dq_issues"},
    "data_docs": {"serving_warehouse"},
}


def test_every_asset_and_its_dependencies():
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert keys == set(EXPECTED_DEPS) | {"serving_warehouse"}
    for name, deps in EXPECTED_DEPS.items():
        parents = {k.to_user_string() for k in graph.get(dg.AssetKey(name)).parent_keys}
        assert parents == deps, name
    # the serving copy is published once everything but the report is built (found, not listed):
    # it depends on the last assets built, those no other asset is built from
    serving = dg.AssetKey("serving_warehouse")
    before = {k.to_user_string() for k in graph.get_ancestor_asset_keys(serving)}
    assert before == set(EXPECTED_DEPS) - {"data_docs"}
    built_from = {dep for deps in EXPECTED_DEPS.values() for dep in deps}
    served = {k.to_user_string() for k in graph.get(serving).parent_keys}
    assert served == before - built_from


def test_every_table_an_asset_writes_is_an_asset(sample_run):
    tables = {
        t
        for (t,) in query(
            sample_run["warehouse"],
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'round_2023'",
        )
    }
    # caches kept across runs: judged phones, the report, what each table was built from,
    # the platform-only rule failures reused while the platform files are unchanged, and the
    # fingerprint of the round's inputs
    internal = {"phone_kinds", "gx_reports", "build_stamps", "platform_issues", "round_inputs"}
    assert tables - internal == set(EXPECTED_DEPS) - {"data_docs"}
    across = {
        t
        for (t,) in query(
            sample_run["warehouse"],
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_type = 'BASE TABLE'",
        )
    }
    assert across == {"leaders", "round_builds"}  # the rest of main is a view over the rounds


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


def test_every_step_of_a_run_has_a_name_people_read():
    """A page or a terminal watching a run names its step in Chinese: each step of the job has a
    name, and no name is kept for a step that is gone."""
    from lingpao.labels import STEPS

    steps = {node.name for node in defs.resolve_job_def("everything").nodes}
    assert steps == set(STEPS)
