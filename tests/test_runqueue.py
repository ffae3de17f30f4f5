"""Deadline day under load (issue 14): submissions and corrections that arrive while a run is going
are taken up by one following run, never lost and never one run each."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lingpao.access.viewer import Viewer
from lingpao.citydesk.template import write_city_template
from lingpao.dashboard.runs import request_run
from lingpao.desk import Desk
from lingpao.foundation.layout import Layout
from lingpao.foundation.programme import load_programme
from lingpao.orchestration.run import run_queued
from lingpao.warehouse.connection import connect_read_only
from lingpao.warehouse.runqueue import RunQueue
from tests.conftest import query
from tests.helpers import copy_warehouse

PROGRAMME = load_programme(2023)
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def base(sample_run, tmp_path) -> Path:
    copy_warehouse(sample_run, tmp_path)
    shutil.copytree(sample_run["inbox"], tmp_path / "inbox")
    return tmp_path


def wait_until(check, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_requests_during_a_run_share_the_next_run(base):
    warehouse, inbox = base / "warehouse.duckdb", base / "inbox"
    queue = RunQueue(Layout.resolve(warehouse=warehouse))
    first = queue.request("王芳", "保定上报第1版汇总表")
    worker = subprocess.Popen(  # the runner the dashboard starts
        [
            sys.executable,
            "-m",
            "lingpao.cli",
            "run",
            "--queued",
            "--inbox",
            str(inbox),
            "--warehouse",
            str(warehouse),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    wait_until(lambda: queue.status().get("state") == "running")
    later = [queue.request(f"市局{n}", f"第{n}个变更") for n in range(5)]
    assert (
        run_queued(Layout.resolve(inbox, warehouse)) is None
    )  # a runner is at work: it takes them
    assert queue.state() == "running" and len(queue.pending()) == 5
    output = worker.communicate(timeout=600)[0].decode("utf-8")
    assert worker.returncode == 0 and output.startswith("运行成功"), output
    status = queue.status()
    assert status["runs"] == 2, "the five later requests were taken up by one run"
    assert all(queue.covered(t) for t in [first, *later]) and not queue.pending()
    assert (
        status["state"] == "done"
        and status["success"]
        and status["summary"][0].startswith("运行成功")
    )
    assert queue.state() == "done"


def test_fourteen_submissions_in_a_few_minutes_are_two_or_three_runs(base):
    """All 14 units submit from their desks, one after another as fast as they can; each asks for a
    re-check through the dashboard's runner. Every version is kept and read, in at most three runs."""
    warehouse, inbox = base / "warehouse.duckdb", base / "inbox"
    layout = Layout.resolve(inbox, warehouse)
    with connect_read_only(layout.serving) as conn:
        tables = {unit: write_city_template(conn, PROGRAMME, unit) for unit in PROGRAMME.units}
    tickets = []
    for unit, data in tables.items():
        bureau = Viewer(id=f"{unit}@example.com", role="city", unit=unit, name=f"{unit}局")
        desk = Desk(
            layout,
            bureau,
            PROGRAMME,
            start_run=lambda who, why: tickets.append(request_run(layout, who, why)),
        )
        problem, _, version = desk.submit_table(unit, f"{unit}汇总表.xlsx", data)
        assert problem is None and version is not None, problem
    queue = RunQueue(Layout.resolve(warehouse=warehouse))
    assert len(tickets) == 14
    wait_until(
        lambda: all(queue.covered(t) for t in tickets) and queue.state() in ("done", "failed")
    )
    wait_until(lambda: not queue.runner_active(), 60)
    status = queue.status()
    assert status["success"], status.get("failure")
    assert 1 <= status["runs"] <= 3, f"{status['runs']} runs for 14 submissions"
    active = query(
        layout.serving, "SELECT unit, version FROM city_table_versions WHERE active ORDER BY 1"
    )
    assert sorted(u for u, _ in active) == sorted(PROGRAMME.units)
    log = base / "warehouse.duckdb.runs.log"
    assert "运行成功" in log.read_text(encoding="utf-8")
