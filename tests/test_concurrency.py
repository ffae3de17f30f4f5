"""Safe concurrent use: the dashboard keeps serving consistent numbers while runs write."""

import subprocess
import sys
import time
from pathlib import Path

from lingpao.access.viewer import Viewer, operator
from lingpao.corrections.store import Correction, CorrectionStore
from lingpao.foundation.layout import Layout
from lingpao.foundation.programme import load_programme
from lingpao.orchestration.run import run_pipeline
from lingpao.queries import NO_FILTERS, Progress, Quality, Shortlist
from lingpao.warehouse.runlock import is_running
from tests.conftest import query

ROOT = Path(__file__).resolve().parent.parent


def start_run(inbox: Path, warehouse: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lingpao.cli",
            "run",
            "--no-report",  # the report a run starts after it is not what this test watches
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
    assert run_pipeline(Layout.resolve(inbox, warehouse)).success
    serving = Layout.resolve(warehouse=warehouse).serving
    programme, viewer = load_programme(2023), Viewer(id="p", role="province")

    def served() -> tuple:  # every read opens the served file again
        progress = Progress.on_file(serving, programme, viewer)
        return (
            progress.figures("kpis", NO_FILTERS)[0][2],
            len(Quality.on_file(serving, programme, viewer).issues(NO_FILTERS)),
            len(Shortlist.on_file(serving, programme, viewer).shortlist(NO_FILTERS)),
            int(progress.counts_by(["city"], NO_FILTERS)["applications"].sum()),
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
    assert run_pipeline(Layout.resolve(inbox, warehouse)).success
    key = next(
        k for k in sample_run["key_file"]["suggested_fixes"] if k.startswith("credit_code_format|")
    )
    record_key, fix = key.split("|")[1], sample_run["key_file"]["suggested_fixes"][key]
    old = query(
        warehouse, "SELECT credit_code FROM applications WHERE application_id = ?", [record_key]
    )[0][0]
    running = start_run(inbox, warehouse)
    deadline = time.monotonic() + 60
    while not is_running(Layout.resolve(warehouse=warehouse).lock) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert is_running(Layout.resolve(warehouse=warehouse).lock)
    store = CorrectionStore(Layout.resolve(warehouse=warehouse).corrections)
    store.record(
        operator("测试员"),
        [Correction("platform", record_key, "credit_code", old, fix, "运行中保存")],
    )
    assert running.wait(timeout=300) == 0
    assert list(store.corrections()["new_value"]) == [fix]
    assert run_pipeline(Layout.resolve(inbox, warehouse)).success
    assert query(
        warehouse, "SELECT credit_code FROM applications WHERE application_id = ?", [record_key]
    ) == [(fix,)]
