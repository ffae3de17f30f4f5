"""Roles: a city bureau sees its own unit only, leadership no steward pages, strangers nothing."""

import subprocess
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import query
from tests.helpers import copy_warehouse, lingpao_cli

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "lingpao" / "dashboard" / "app.py")


def users(warehouse: Path, *args: str) -> subprocess.CompletedProcess:
    return lingpao_cli("users", *args, "--warehouse", warehouse, timeout=120)


@pytest.fixture
def warehouse(sample_run, tmp_path) -> Path:
    target = copy_warehouse(sample_run, tmp_path)
    assert (
        users(
            target,
            "add",
            "baoding@example.com",
            "--role",
            "city",
            "--unit",
            "保定市",
            "--name",
            "保定局",
        ).returncode
        == 0
    )
    assert users(target, "add", "boss@example.com", "--role", "leadership").returncode == 0
    return target


def as_user(warehouse: Path, monkeypatch, email: str) -> AppTest:
    monkeypatch.setenv("LINGPAO_WAREHOUSE", str(warehouse))
    at = AppTest.from_file(APP, default_timeout=180)
    at.user = {"email": email, "is_logged_in": True}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> int:
    return int(next(m.value for m in at.metric if m.label == label).replace(",", "").split("/")[0])


def test_city_bureau_sees_its_own_unit_only(warehouse, monkeypatch):
    at = as_user(warehouse, monkeypatch, "Baoding@Example.com")
    assert (
        metric(at, "已提交")
        == query(
            warehouse, "SELECT count(*) FROM applications WHERE stage <> 'draft' AND city = '保定'"
        )[0][0]
    )
    assert at.multiselect(key="f_city").options == ["保定"]
    at.switch_page("views/quality.py").run()
    assert (
        metric(at, "未解决问题")
        == query(
            warehouse, "SELECT count(*) FROM dq_issues WHERE status = 'open' AND city = '保定'"
        )[0][0]
    )
    at.switch_page("views/queue.py").run()
    table = next(df.value for df in at.dataframe if "问题说明" in df.value.columns)
    assert set(table["单位"]) == {"保定"}
    assert at.selectbox(key="g_feedback_unit").options == ["保定"]
    for page in ("clusters", "shortlist"):  # not this role's: its address only says so
        with pytest.raises(ValueError, match="Could not find"):  # (tests/test_pages_by_role.py)
            at.switch_page(f"views/{page}.py")


def test_leadership_sees_no_steward_pages(warehouse, monkeypatch):
    at = as_user(warehouse, monkeypatch, "boss@example.com")
    at.switch_page("views/clusters.py").run()
    assert not at.exception and metric(at, "申报总数") > 0
    for page in ("queue", "quality", "record"):  # not this role's: its address only says so
        with pytest.raises(ValueError, match="Could not find"):  # (tests/test_pages_by_role.py)
            at.switch_page(f"views/{page}.py")


def test_a_stranger_sees_nothing_once_users_are_listed(warehouse, monkeypatch):
    at = as_user(warehouse, monkeypatch, "someone@example.com")
    assert any("访问权限" in e.value for e in at.error) and not at.metric


def test_users_command(warehouse):
    listed = users(warehouse, "list")
    assert "baoding@example.com" in listed.stdout and "保定" in listed.stdout
    bad = users(warehouse, "add", "x@example.com", "--role", "city", "--unit", "北京")
    assert bad.returncode == 2 and "北京" in bad.stderr and "Traceback" not in bad.stderr
    assert users(warehouse, "remove", "boss@example.com").returncode == 0
    assert "boss@example.com" not in users(warehouse, "list").stdout
