"""A corpus of broken files beside a good inbox: the run succeeds, each broken entry is reported with
its reason, and every good file lands in full."""

from pathlib import Path

import pytest

from lingpao.sample.broken import write_broken_corpus
from lingpao.sample.generator import write_sample
from tests.conftest import query
from tests.helpers import run

ROWS_PER_FILE = """
    SELECT 'platform_rows', source_file, count(*) FROM platform_rows GROUP BY ALL UNION ALL
    SELECT 'city_submissions', source_file, count(*) FROM city_submissions GROUP BY ALL UNION ALL
    SELECT 'pool_members', source_file, count(*) FROM pool_members GROUP BY ALL
"""


@pytest.fixture(scope="module")
def corpus(sample_run, tmp_path_factory) -> tuple[Path, dict]:
    base = tmp_path_factory.mktemp("broken")
    write_sample(base / "inbox", seed=7, applications=300)  # the session sample's inbox, again
    expected = write_broken_corpus(base / "inbox")
    summary, warehouse = run(base / "inbox", base)
    return warehouse, expected, summary


def test_the_corpus_is_large_enough(corpus):
    _, expected, _ = corpus
    assert len(expected) >= 25


def test_each_broken_entry_is_reported_with_its_reason(corpus):
    warehouse, expected, summary = corpus
    logged = {
        name: (status, reason or "")
        for name, status, reason in query(
            warehouse, "SELECT source_file, status, reason FROM inbox_files"
        )
    }
    for name, want in expected.items():
        assert name in logged, f"{name} was not reported"
        status, reason = logged[name]
        assert status == want.status and want.reason in reason, (name, status, reason)
    issues = dict(query(warehouse, "SELECT record_key, rule FROM dq_issues WHERE source = 'file'"))
    for name, want in expected.items():
        if want.status == "unreadable":
            assert issues.get(name) == "file_unreadable", name
        elif want.status == "read":
            assert issues.get(name) == "table_empty", name
        else:
            assert name not in issues, name  # lock and hidden files are listed, not errors
    printed = "\n".join(summary.lines())
    assert "已跳过" in printed and "炸弹_20230802.xlsx" in printed


def test_every_good_file_lands_in_full(sample_run, corpus):
    warehouse, _, _ = corpus
    assert set(query(warehouse, ROWS_PER_FILE)) == set(
        query(sample_run["warehouse"], ROWS_PER_FILE)
    )
    for table in ("applications", "shortlist"):
        assert query(warehouse, f"SELECT count(*) FROM {table}") == query(
            sample_run["warehouse"], f"SELECT count(*) FROM {table}"
        )
