"""Safe concurrent use: the dashboard keeps serving consistent numbers while runs write."""

import subprocess
import sys
import time
from pathlib import Path

import streamlit as st

from assets.access.viewer import operator
from assets.corrections.store import Correction, CorrectionStore, store_path
from assets.warehouse.runlock import is_running
from pipelines.run import run_pipeline
from tests.conftest import query

ROOT = Path(__file__).resolve().parent.parent


def start_run(inbox: Path, warehouse: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipelines.cli",
            "run",
            "--inbox",
            str(inbox),
            "--warehouse",
            str(warehouse),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_dashboard_queries_during_several_runs(sample_run, tmp_path, monkeypatch):
    inbox, warehouse = sample_run["inbox"], tmp_path / "w.duckdb"
    assert run_pipeline(str(inbox), str(warehouse)).success
    monkeypatch.setenv("LINGPAO_WAREHOUSE", str(warehouse))
    from dashboard import data

    def served() -> tuple:
        st.cache_data.clear()  # every read opens the served file again
        return (
            data.served().stage_buckets(data.ALL_UNITS, data.NO_FILTERS)["submitted"],
            len(data.served().issues(data.ALL_UNITS, data.NO_FILTERS)),
            len(data.served().shortlist(data.ALL_UNITS, data.NO_FILTERS)),
            int(
                data.served()
                .counts_by(["city"], data.ALL_UNITS, data.NO_FILTERS)["applications"]
                .sum()
            ),
        )

    expected = served()
    assert expected[0] == expected[3] > 0
    runs = [
        start_run(inbox, warehouse) for _ in range(3)
    ]  # at once: the run lock makes them take turns
    reads, errors = 0, []
    while any(r.poll() is None for r in runs):
        try:
            assert served() == expected
        except Exception as error:  # any failure to read, or a half-written state, is recorded
            errors.append(repr(error))
        reads += 1
    assert [r.returncode for r in runs] == [0, 0, 0], [r.stderr.read() for r in runs]
    assert errors == [] and reads >= 10


def test_a_correction_saved_during_a_run_is_kept(sample_run, tmp_path):
    inbox, warehouse = sample_run["inbox"], tmp_path / "w.duckdb"
    assert run_pipeline(str(inbox), str(warehouse)).success
    key = next(
        k for k in sample_run["key_file"]["suggested_fixes"] if k.startswith("credit_code_format|")
    )
    record_key, fix = key.split("|")[1], sample_run["key_file"]["suggested_fixes"][key]
    old = query(
        warehouse, "SELECT credit_code FROM applications WHERE application_id = ?", [record_key]
    )[0][0]
    running = start_run(inbox, warehouse)
    deadline = time.monotonic() + 60
    while not is_running(warehouse) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert is_running(warehouse)
    store = CorrectionStore(store_path(warehouse))
    store.record(
        operator("测试员"),
        [Correction("platform", record_key, "credit_code", old, fix, "运行中保存")],
    )
    assert running.wait(timeout=300) == 0
    assert list(store.corrections()["new_value"]) == [fix]
    assert run_pipeline(str(inbox), str(warehouse)).success
    assert query(
        warehouse, "SELECT credit_code FROM applications WHERE application_id = ?", [record_key]
    ) == [(fix,)]
