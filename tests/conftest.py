"""Shared fixtures: the programme, hand-made inboxes, and one sample inbox run through the pipeline."""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from pathlib import Path

import duckdb
import pytest

from lingpao.access.signin import BELIEVE_NO_FORWARDING
from lingpao.foundation.layout import Layout
from lingpao.foundation.programme import load_programme
from lingpao.orchestration.run import build_report, run_pipeline
from lingpao.sample.generator import write_sample

# The sample is a 2023 round in an inbox without year folders: say so, as a province working on
# one round does (without it, such an inbox is the newest programme file's round).
os.environ["LINGPAO_YEAR"] = "2023"
# AppTest reads .streamlit/config.toml from the working directory; say it here too, whatever that is.
os.environ.setdefault("STREAMLIT_RUNNER_MAGIC_ENABLED", "false")
# The app refuses to serve unless its web server believes no X-Forwarded-For, as `lingpao dashboard`
# starts it; AppTest runs the app without a server, so say it as that command does.
os.environ.update(BELIEVE_NO_FORWARDING)


# Every process a test starts inherits this mark (one per pytest process, so parallel workers do
# not see each other's); what still carries it when a module is done was left behind by a test.
PROCESS_MARK = "PYTEST_LINGPAO_PROCESS_MARK"
os.environ[PROCESS_MARK] = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"


def marked_processes(mark: str | None = None) -> list[tuple[int, str]]:
    """(pid, command line) of every live process but this one started with the mark."""
    needle = f"{PROCESS_MARK}={mark or os.environ[PROCESS_MARK]}".encode()
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environment = Path(entry.path, "environ").read_bytes()
            command = Path(entry.path, "cmdline").read_bytes()
        except OSError:
            continue
        if needle in environment.split(b"\0"):
            found.append((int(entry.name), command.replace(b"\0", b" ").decode("utf-8", "replace")))
    return found


@pytest.fixture(scope="module", autouse=True)
def leaves_no_process_behind(request):
    """A module whose tests leave a process running (a server, a run, a browser) fails: the
    process is named, then killed, so it cannot hold a port or a file for the next module."""
    yield
    deadline = time.monotonic() + 10
    while (left := marked_processes()) and time.monotonic() < deadline:
        time.sleep(0.2)
    if left:
        for pid, _ in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        listed = "; ".join(f"{pid}: {command[:160]}" for pid, command in left)
        pytest.fail(f"{request.module.__name__} left processes running: {listed}", pytrace=False)


@pytest.fixture(scope="session")
def programme():
    return load_programme(2023)


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    """An empty inbox with its three folders."""
    for folder in ("platform", "cities", "registry"):
        (tmp_path / "inbox" / folder).mkdir(parents=True)
    return tmp_path / "inbox"


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory) -> dict:
    """A generated sample inbox, run once through the real pipeline: paths, key and summary."""
    base = tmp_path_factory.mktemp("sample")
    inbox = base / "inbox"
    key = write_sample(inbox, seed=7, applications=300)
    warehouse = base / "warehouse.duckdb"
    layout = Layout.resolve(inbox, warehouse)
    summary = run_pipeline(layout)
    assert summary.success, summary.failure
    build_report(layout)  # the report `lingpao run` starts after publishing, here and now
    return {
        "inbox": inbox,
        "warehouse": warehouse,
        "key": key,
        "summary": summary,
        "key_file": json.loads((inbox / "key.json").read_text(encoding="utf-8")),
    }


def query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute(sql, params or []).fetchall()


@pytest.fixture(scope="module")
def chromium():
    """One headless Chromium (Debian's) for a module's tests (each page gets its own context)."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, FLAGS

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield launched
        finally:
            launched.close()
