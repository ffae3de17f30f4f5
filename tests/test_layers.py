"""The floors: the dashboard loads neither Dagster nor Great Expectations; runs take turns however
they are started; nothing a person sees names an internal id."""

import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from lingpao.foundation.layout import Layout
from lingpao.warehouse.runlock import is_running, run_lock
from tests.helpers import round_instance

ROOT = Path(__file__).resolve().parent.parent


def test_the_dashboard_imports_no_dagster_and_no_gx():
    modules = [
        "lingpao.dashboard.data",
        "lingpao.dashboard.access",
        "lingpao.dashboard.actions",
        "lingpao.dashboard.common",
    ]
    script = (
        "import sys, runpy, importlib\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "import pathlib\n"
        "for page in sorted(pathlib.Path('lingpao/dashboard/views').glob('*.py')):\n"
        "    compile(page.read_text(), str(page), 'exec')\n"
        "loaded = [m for m in ('dagster', 'dagster_duckdb', 'great_expectations') if m in sys.modules]\n"
        "print(','.join(loaded) or 'none')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "none"


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports"))],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env={**__import__("os").environ, "PYTHONPATH": str(root)},
    )


def test_an_upward_import_breaks_the_floors(tmp_path):
    """The contract holds today, and a copy of the code with one import going up a floor (the
    warehouse reaching for the ingest, as the SQL quoting helper once made it) fails it."""
    shutil.copytree(
        ROOT / "lingpao", tmp_path / "lingpao", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    kept = lint_imports(tmp_path)
    assert kept.returncode == 0, kept.stdout[-3000:]
    upward = tmp_path / "lingpao" / "warehouse" / "upward.py"
    upward.write_text("from lingpao.ingest.normalise import install  # noqa: F401\n")
    broken = lint_imports(tmp_path)
    assert broken.returncode != 0
    assert "Floors import downward only BROKEN" in " ".join(broken.stdout.split())
    assert "lingpao.warehouse.upward -> lingpao.ingest.normalise" in broken.stdout


def test_the_pages_import_no_dagster_and_no_gx(sample_run, monkeypatch):
    """Render every page (as the app does) in a fresh interpreter and look at what it loaded."""
    script = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        "at = AppTest.from_file('lingpao/dashboard/app.py', default_timeout=120).run()\n"
        "for page in ('quality', 'queue', 'shortlist', 'clusters'):\n"
        "    at.switch_page(f'views/{page}.py').run()\n"
        "    assert not at.exception, [e.value for e in at.exception]\n"
        "print(','.join(m for m in ('dagster', 'great_expectations') if m in sys.modules) or 'none')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**__import__("os").environ, "LINGPAO_WAREHOUSE": str(sample_run["warehouse"])},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "none"


def test_a_run_started_through_the_definitions_waits_for_a_run_in_progress(sample_run, tmp_path):
    """As the Dagster UI and the sensor start runs: the job of the definitions, in-process."""
    from lingpao.orchestration.definitions import build_definitions

    warehouse = tmp_path / "w.duckdb"
    defs = build_definitions(Layout.resolve(sample_run["inbox"], warehouse))
    job = defs.resolve_job_def("everything")
    finished: dict[str, float] = {}
    held = threading.Event()

    def in_progress() -> None:  # another run holding the warehouse for a while
        with run_lock(Layout.resolve(warehouse=warehouse).lock):
            held.set()
            time.sleep(3)
            finished["other"] = time.time()

    other = threading.Thread(target=in_progress)
    other.start()
    held.wait(10)
    assert is_running(Layout.resolve(warehouse=warehouse).lock)
    instance = round_instance(2023)
    result = job.execute_in_process(instance=instance, partition_key="2023")
    other.join()
    assert result.success
    first_step = min(
        entry.timestamp
        for entry in instance.all_logs(result.run_id)
        if entry.dagster_event and entry.dagster_event.event_type_value == "STEP_START"
    )
    assert first_step >= finished["other"]  # no step ran before the other run let go
    assert not is_running(Layout.resolve(warehouse=warehouse).lock)
