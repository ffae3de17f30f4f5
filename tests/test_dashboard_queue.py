"""AppTest of the 数据治理 page: filtering, applying a suggested fix, waiving (a reason is required)."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lingpao.access.users import User, save_users
from lingpao.corrections.store import CorrectionStore
from lingpao.foundation.layout import Layout
from lingpao.foundation.programme import load_programme
from lingpao.pipeline import run_build
from tests.conftest import query
from tests.helpers import copy_warehouse

APP = str(Path(__file__).resolve().parent.parent / "lingpao" / "dashboard" / "app.py")
UNITS = load_programme(2023).units


@pytest.fixture
def warehouse(sample_run, tmp_path) -> Path:
    target = copy_warehouse(sample_run, tmp_path)
    steward = User(id="steward@example.com", role="steward", name="管理员甲")
    save_users(Layout.resolve(warehouse=target).users, {steward.id: steward}, UNITS)
    return target


def queue_page(warehouse: Path, monkeypatch) -> AppTest:
    monkeypatch.setenv("LINGPAO_WAREHOUSE", str(warehouse))
    at = AppTest.from_file(APP, default_timeout=180)
    at.user = {"email": "steward@example.com", "is_logged_in": True, "name": "管理员甲"}
    at.run()
    at.switch_page("views/queue.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> int:
    return int(next(m.value for m in at.metric if m.label == label).replace(",", ""))


def test_filtering_the_queue(warehouse, monkeypatch):
    at = queue_page(warehouse, monkeypatch)
    assert (
        metric(at, "当前列表")
        == query(warehouse, "SELECT count(*) FROM dq_issues WHERE status = 'open'")[0][0]
    )
    at.selectbox(key="g_status").select("all").run()
    assert metric(at, "当前列表") == query(warehouse, "SELECT count(*) FROM dq_issues")[0][0]
    at.multiselect(key="g_rules").select("missing_in_city_table").run()
    assert (
        metric(at, "当前列表")
        == query(warehouse, "SELECT count(*) FROM dq_issues WHERE rule = 'missing_in_city_table'")[
            0
        ][0]
    )
    at.multiselect(key="g_severity").select("warning").run()
    assert metric(at, "当前列表") == 0 and not at.exception


def pick(at: AppTest, issue_id: str) -> AppTest:
    """Choose an issue by clicking its row in the queue's table (all statuses listed)."""
    at.selectbox(key="g_status").set_value("all").run()
    table = next(d for d in at.dataframe if d.key == "queue_table")
    ids = list(at.session_state["_queue_ids"])
    at.session_state["queue_table"] = {
        "selection": {"rows": [ids.index(issue_id)], "columns": [], "cells": []}
    }
    assert table is not None
    return at.run()


def test_apply_a_suggested_fix_then_the_run_marks_it_fixed(sample_run, warehouse, monkeypatch):
    issue_id, record_key, fix = query(
        warehouse,
        "SELECT issue_id, record_key, suggested_fix FROM dq_issues "
        "WHERE rule = 'credit_code_format' AND suggested_fix IS NOT NULL",
    )[0]
    at = queue_page(warehouse, monkeypatch)
    pick(at, issue_id)
    at.button(key="apply_fix").click().run()
    assert not at.exception and any("已记录更正" in s.value for s in at.success)
    store = CorrectionStore(Layout.resolve(warehouse=warehouse).corrections)
    corrections = store.corrections()
    assert list(
        zip(
            corrections["record_key"],
            corrections["field"],
            corrections["new_value"],
            corrections["who"],
            strict=True,
        )
    ) == [(record_key, "credit_code", fix, "管理员甲")]
    assert list(store.decisions()["decision"]) == ["fixed"]
    assert run_build(Layout.resolve(sample_run["inbox"], warehouse)).success
    assert query(warehouse, "SELECT status FROM dq_issues WHERE issue_id = ?", [issue_id]) == [
        ("fixed",)
    ]
    assert query(
        warehouse, "SELECT credit_code FROM applications WHERE application_id = ?", [record_key]
    ) == [(fix,)]


def test_waiving_needs_a_reason(warehouse, monkeypatch):
    issue_id = query(
        warehouse,
        "SELECT issue_id FROM dq_issues WHERE rule = 'cluster_unknown' ORDER BY 1 LIMIT 1",
    )[0][0]
    at = queue_page(warehouse, monkeypatch)
    pick(at, issue_id)
    at.button[[b.label for b in at.button].index("忽略")].click().run()
    assert any("原因" in e.value for e in at.error)
    store = CorrectionStore(Layout.resolve(warehouse=warehouse).corrections)
    assert store.decisions().empty
    at.text_area(key="w_reason").input(
        "集群名单待省里更新"
    )  # inside the form: sent with its submit button
    at.button[[b.label for b in at.button].index("忽略")].click().run()
    decisions = store.decisions()
    assert list(
        zip(decisions["issue_id"], decisions["decision"], decisions["reason"], strict=True)
    ) == [(issue_id, "waived", "集群名单待省里更新")]


def test_a_city_proposes_on_the_page_and_a_steward_accepts_it(warehouse, monkeypatch):
    issue_id, unit = query(
        warehouse,
        "SELECT issue_id, city FROM dq_issues WHERE rule = 'direction_invalid' AND source = 'platform' "
        "AND city IS NOT NULL ORDER BY 1 LIMIT 1",
    )[0]
    layout = Layout.resolve(warehouse=warehouse)
    bureau = User(id="bureau@example.com", role="city", unit=unit, name="市局丙")
    steward = User(id="steward@example.com", role="steward", name="管理员甲")
    save_users(layout.users, {bureau.id: bureau, steward.id: steward}, UNITS)
    monkeypatch.setenv("LINGPAO_WAREHOUSE", str(warehouse))
    at = AppTest.from_file(APP, default_timeout=180)
    at.user = {"email": bureau.id, "is_logged_in": True}
    at.run()
    at.switch_page("views/queue.py").run()
    assert not [b for b in at.button if b.label in ("忽略", "重新打开")]  # a city never waives
    assert not [b for b in at.button if b.key == "recheck"]
    pick(at, issue_id)
    at.selectbox(key="c_field").set_value("direction")
    at.text_input(key="c_value").input("科技创新发展")
    at.text_input(key="c_reason").input("企业来函确认")
    at.button[[b.label for b in at.button].index("提出建议")].click().run()
    assert any("待数据管理员采纳" in s.value for s in at.success)
    store = CorrectionStore(layout.corrections)
    assert store.corrections().empty and len(store.proposals(steward.viewer("oidc").scope)) == 1

    at = queue_page(warehouse, monkeypatch)
    table = next(df.value for df in at.dataframe if "建议值" in df.value.columns)
    assert list(table["状态"]) == ["待审核"] and list(table["建议人"]) == [bureau.name]
    at.session_state["proposals_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()  # the steward clicks the proposal's row: its form opens
    at.button[[b.label for b in at.button].index("提交审核")].click().run()
    assert any("已采纳" in s.value for s in at.success)
    correction = store.corrections().iloc[0]
    assert (correction["who"], correction["proposed_by"]) == ("管理员甲", bureau.id)
