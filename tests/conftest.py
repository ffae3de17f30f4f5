"""Shared fixtures: the programme, hand-made inboxes, and one sample inbox run through the pipeline."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest

from assets.foundation.programme import load_programme
from assets.sample.generator import write_sample
from pipelines.run import run_pipeline

# AppTest reads .streamlit/config.toml from the working directory; say it here too, whatever that is.
os.environ.setdefault("STREAMLIT_RUNNER_MAGIC_ENABLED", "false")


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
    summary = run_pipeline(str(inbox), str(warehouse))
    assert summary.success, summary.failure
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
