"""AppTest of the progress page: its numbers equal independent SQL on the same warehouse."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lingpao.foundation.layout import Layout
from lingpao.foundation.programme import load_programme
from tests.conftest import query

APP = str(Path(__file__).resolve().parent.parent / "lingpao" / "dashboard" / "app.py")


def open_app(warehouse: Path, monkeypatch) -> AppTest:
    monkeypatch.setenv("LINGPAO_WAREHOUSE", str(warehouse))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def table_by_heading(at: AppTest, first_column: str) -> dict:
    for frame in at.dataframe:
        value = frame.value
        if list(value.columns) == [first_column, "申报数"]:
            return dict(zip(value.iloc[:, 0], value.iloc[:, 1], strict=True))
    raise AssertionError(f"no table headed {first_column}")


def test_counts_match_sql(sample_run, monkeypatch):
    warehouse = sample_run["warehouse"]
    at = open_app(warehouse, monkeypatch)
    per_city = dict(
        query(
            warehouse, "SELECT city, count(*) FROM applications WHERE stage <> 'draft' GROUP BY 1"
        )
    )
    assert table_by_heading(at, "所属市") == per_city
    per_cluster = dict(
        query(
            warehouse,
            "SELECT CASE WHEN cluster IN (SELECT cluster FROM clusters) THEN cluster "
            "ELSE '不在集群名单中' END, count(*) FROM applications WHERE stage <> 'draft' "
            "GROUP BY 1",
        )
    )
    assert table_by_heading(at, "所属集群") == per_cluster
    labels = {**load_programme(2023).directions, None: "(空或无效)"}
    per_direction = {
        labels[d]: n
        for d, n in query(
            warehouse,
            "SELECT direction, count(*) FROM applications WHERE stage <> 'draft' GROUP BY 1",
        )
    }
    assert table_by_heading(at, "申报方向") == per_direction
    as_of = query(
        warehouse,
        "SELECT strftime(timezone('Asia/Shanghai', max(snapshot_at)), '%Y-%m-%d %H:%M') "
        "FROM inbox_files WHERE folder = 'platform' AND status = 'read'",
    )[0][0]
    assert any(as_of in c.value for c in at.caption)


@pytest.mark.parametrize("state", ["missing", "empty_inbox"])
def test_renders_without_data(tmp_path, monkeypatch, state, inbox):
    warehouse = tmp_path / "w.duckdb"
    if state == "empty_inbox":
        from lingpao.pipeline import run_build

        summary = run_build(Layout.resolve(inbox, warehouse))
        assert not summary.success and "没有可读的平台导出文件" in summary.failure
    at = open_app(warehouse, monkeypatch)
    assert any("尚无数据" in i.value for i in at.info)
