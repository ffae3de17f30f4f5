"""Nothing is lost: an empty or shrunken inbox does not blank the dashboard, damaged files are named
and handled (the warehouse rebuilt, the serving copy replaced, the corrections store left alone)."""

import sqlite3
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lingpao.access.viewer import operator
from lingpao.corrections.fields import check_value
from lingpao.corrections.store import Correction, CorrectionStore
from lingpao.foundation.layout import Layout
from lingpao.foundation.programme import load_programme
from lingpao.orchestration.run import run_pipeline
from lingpao.review.store import ReviewStore
from tests.conftest import query
from tests.helpers import copy_warehouse, lingpao_cli, platform_record, write_inbox

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def published(sample_run, tmp_path) -> Path:
    return copy_warehouse(sample_run, tmp_path)


def test_an_empty_inbox_does_not_publish(published, tmp_path, inbox):
    served = Layout.resolve(warehouse=published).serving
    before = served.read_bytes()
    done = lingpao_cli("run", "--inbox", str(inbox), "--warehouse", str(published))
    assert done.returncode == 1 and "没有可读的平台导出文件" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    assert served.read_bytes() == before
    missing = lingpao_cli(
        "run", "--inbox", str(tmp_path / "unmounted"), "--warehouse", str(published)
    )
    assert missing.returncode == 2 and "收件箱不存在" in missing.stderr


def test_a_run_dropping_over_half_is_not_published_unless_allowed(published, inbox):
    write_inbox(inbox, [platform_record(申报编号="ONLY1")])
    served = Layout.resolve(warehouse=published).serving
    before = query(served, "SELECT count(*) FROM applications")[0][0]
    refused = run_pipeline(Layout.resolve(inbox, published))
    assert (
        not refused.success
        and "不到已发布的" in refused.failure
        and "--allow-shrink" in refused.failure
    )
    assert query(served, "SELECT count(*) FROM applications")[0][0] == before
    assert run_pipeline(Layout.resolve(inbox, published), allow_shrink=True).success
    assert query(served, "SELECT application_id FROM applications") == [("ONLY1",)]


def test_a_damaged_warehouse_is_rebuilt_from_the_inbox(sample_run, published):
    published.write_bytes(b"not a database at all" * 100)
    summary = run_pipeline(Layout.resolve(sample_run["inbox"], published))
    assert summary.success and any("已损坏" in n and "重建" in n for n in summary.notices)
    assert list(published.parent.glob("warehouse.duckdb.damaged-*"))
    assert query(published, "SELECT count(*) FROM applications") == query(
        sample_run["warehouse"], "SELECT count(*) FROM applications"
    )


def test_a_damaged_serving_copy_is_named_then_replaced(
    sample_run, published, monkeypatch, tmp_path
):
    served = Layout.resolve(warehouse=published).serving
    served.write_bytes(b"\x00garbage" * 512)
    monkeypatch.setenv("LINGPAO_WAREHOUSE", str(published))
    at = AppTest.from_file(
        str(ROOT / "lingpao" / "dashboard" / "app.py"), default_timeout=180
    ).run()
    assert not at.exception and not at.metric
    assert any(str(served) in e.value and "lingpao run" in e.value for e in at.error)
    exported = lingpao_cli(
        "export", "summary", "--out", str(tmp_path / "s.xlsx"), "--warehouse", str(published)
    )
    assert exported.returncode == 2 and str(served) in exported.stderr
    assert "Traceback" not in exported.stderr
    assert run_pipeline(Layout.resolve(sample_run["inbox"], published)).success
    assert query(served, "SELECT count(*) FROM applications")[0][0] > 0


def test_a_damaged_store_stops_the_run_and_is_left_alone(sample_run, published):
    layout = Layout.resolve(warehouse=published)
    store = CorrectionStore(layout.corrections, layout.backups)
    store.record(
        operator("王"), [Correction("platform", "X", "direction", None, "科技创新发展", "r")]
    )
    with ReviewStore(layout.review).transaction():
        pass  # the review store exists
    assert run_pipeline(
        Layout.resolve(sample_run["inbox"], published)
    ).success  # backs the stores up
    (review_backup,) = layout.backups.glob(f"{layout.review.stem}-*.sqlite")
    tables = {t for (t,) in sqlite3.connect(review_backup).execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}  # fmt: skip
    assert {"reviews", "scores", "certifications"} <= tables
    backup = store.newest_backup()
    assert backup is not None and CorrectionStore(backup).corrections()["new_value"].tolist() == [
        "科技创新发展"
    ]
    layout.corrections.write_bytes(b"this is not SQLite" * 64)
    damaged = layout.corrections.read_bytes()
    served = layout.serving.read_bytes()
    summary = run_pipeline(Layout.resolve(sample_run["inbox"], published))
    assert not summary.success
    assert str(layout.corrections) in summary.failure and str(backup) in summary.failure
    assert layout.corrections.read_bytes() == damaged and layout.serving.read_bytes() == served


def test_backups_rotate(tmp_path):
    store = CorrectionStore(tmp_path / "corrections.sqlite")
    store.record(
        operator("王"), [Correction("platform", "X", "direction", None, "科技创新发展", "r")]
    )
    made = [store.backup(keep=3) for _ in range(5)]
    kept = sorted(store.backups.glob("corrections-*.sqlite"))
    assert kept == sorted(made[-3:]) and store.newest_backup() == made[-1]
    review = ReviewStore(tmp_path / "review.sqlite")
    with review.transaction():
        pass
    made = [review.backup(tmp_path / "backups", keep=2) for _ in range(4)]
    assert sorted((tmp_path / "backups").glob("review-*.sqlite")) == sorted(made[-2:])


def test_corrections_have_length_limits(tmp_path):
    programme = load_programme(2023)
    assert "过长" in check_value("platform", "cluster", "集" * 32000, programme)
    assert "过长" in check_value("platform", "direction", "科技创新发展", programme, "因" * 501)
    store = CorrectionStore(tmp_path / "c.sqlite")
    with pytest.raises(ValueError, match="过长"):
        store.record(
            operator("王"), [Correction("platform", "X", "cluster", None, "集" * 32000, "r")]
        )
    assert store.corrections().empty
