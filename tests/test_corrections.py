"""The corrections store and its effect on runs: survive snapshots, supersede, reopen, waive."""

import json
import sqlite3

import pytest

from lingpao.access.viewer import Scope, operator
from lingpao.corrections.store import Correction, CorrectionStore, Decision
from lingpao.foundation.layout import Layout
from lingpao.sample.writers import write_csv
from tests.conftest import query
from tests.helpers import PLATFORM_HEADERS, city_row, code, platform_record, run, write_inbox


def store_for(warehouse) -> CorrectionStore:
    return CorrectionStore(Layout.resolve(warehouse=warehouse).corrections)


def issue(warehouse, rule: str, record_key: str) -> dict:
    rows = query(
        warehouse,
        "SELECT issue_id, source, record_key, rule, status, decision FROM dq_issues "
        "WHERE rule = ? AND record_key = ?",
        [rule, record_key],
    )
    assert rows, f"no {rule} on {record_key}"
    return dict(
        zip(
            ["issue_id", "source", "record_key", "rule", "status", "decision"], rows[0], strict=True
        )
    )


def decision(found: dict, kind: str, reason: str = "核实") -> Decision:
    return Decision(
        issue_id=found["issue_id"],
        source=found["source"],
        record_key=found["record_key"],
        rule=found["rule"],
        decision=kind,
        reason=reason,
    )


def snapshot(inbox, name: str, *rows):
    write_csv(inbox / "platform" / name, [PLATFORM_HEADERS, *rows], "utf-8")


def test_the_store_is_append_only(tmp_path):
    store = CorrectionStore(tmp_path / "c.sqlite")
    store.record(
        operator("甲"), [Correction("platform", "A", "direction", "x", "科技创新发展", "核实")]
    )
    with (
        sqlite3.connect(tmp_path / "c.sqlite") as conn,
        pytest.raises(sqlite3.DatabaseError, match="append-only"),
    ):
        conn.execute("UPDATE corrections SET new_value = 'y'")
    with (
        sqlite3.connect(tmp_path / "c.sqlite") as conn,
        pytest.raises(sqlite3.DatabaseError, match="append-only"),
    ):
        conn.execute("DELETE FROM corrections")
    with pytest.raises(ValueError, match="原因"):
        store.record(
            operator("甲"),
            decisions=[Decision("i", "platform", "A", "phone_invalid", "waived", "  ")],
        )
    with pytest.raises(ValueError, match="操作人"):
        store.record(operator(" "), [Correction("platform", "A", "direction", "x", "y", "z")])
    assert (
        len(store.corrections()) == 1 and len(store.decisions()) == 0
    )  # the failed batches left nothing


def test_correction_survives_a_newer_snapshot_with_its_audit(inbox, tmp_path):
    snapshot(
        inbox,
        "p_20230722.csv",
        platform_record(申报编号="A", 统一社会信用代码=code(1), 申报方向="科技创新"),
    )
    _, warehouse = run(inbox, tmp_path)
    found = issue(warehouse, "direction_invalid", "A")
    assert found["status"] == "open"
    store_for(warehouse).record(
        operator("王管理员"),
        [Correction("platform", "A", "direction", "科技创新", "科技创新发展", "按申报材料")],
        [decision(found, "fixed")],
    )
    run(inbox, tmp_path)
    assert query(
        warehouse, "SELECT direction, direction_raw, corrected_from FROM applications"
    ) == [("innovation", "科技创新", json.dumps({"direction": "科技创新"}, ensure_ascii=False))]
    assert issue(warehouse, "direction_invalid", "A")["status"] == "fixed"
    snapshot(
        inbox,
        "p_20230726.csv",
        platform_record(
            申报编号="A", 统一社会信用代码=code(1), 申报方向="科技创新", 当前环节="县级已审核"
        ),
    )
    run(inbox, tmp_path)
    assert query(warehouse, "SELECT direction, stage FROM applications") == [
        ("innovation", "county_verified")
    ]
    assert issue(warehouse, "direction_invalid", "A")["status"] == "fixed"
    history = store_for(warehouse).history(Scope(), "A")
    assert list(history["kind"]) == ["correction", "decision"] and set(history["who"]) == {
        "王管理员"
    }


def test_a_fixed_issue_failing_again_reopens(inbox, tmp_path):
    snapshot(
        inbox,
        "p_20230722.csv",
        platform_record(申报编号="A", 统一社会信用代码=code(1), 联系电话="1381234567"),
    )
    _, warehouse = run(inbox, tmp_path)
    found = issue(warehouse, "phone_invalid", "A")
    store_for(warehouse).record(
        operator("王"),
        [Correction("platform", "A", "contact_phone", "1381234567", "13812345678", "电话核实")],
        [decision(found, "fixed")],
    )
    run(inbox, tmp_path)
    assert issue(warehouse, "phone_invalid", "A")["status"] == "fixed"
    # the company edits its phone on the platform, wrongly again: its value stands, and the issue reopens
    snapshot(
        inbox,
        "p_20230726.csv",
        platform_record(申报编号="A", 统一社会信用代码=code(1), 联系电话="12345"),
    )
    run(inbox, tmp_path)
    reopened = issue(warehouse, "phone_invalid", "A")
    assert (reopened["status"], reopened["decision"]) == ("open", "fixed")
    assert query(warehouse, "SELECT contact_phone FROM applications") == [("12345",)]
    assert query(warehouse, "SELECT applied FROM correction_outcomes") == [(False,)]


def test_a_waiver_persists_until_reopened(inbox, tmp_path):
    snapshot(
        inbox,
        "p_20230722.csv",
        platform_record(申报编号="A", 统一社会信用代码=code(1), 所属集群="未列名集群"),
    )
    _, warehouse = run(inbox, tmp_path)
    found = issue(warehouse, "cluster_unknown", "A")
    store_for(warehouse).record(
        operator("李"), decisions=[decision(found, "waived", "新认定集群，名单待更新")]
    )
    run(inbox, tmp_path)
    assert issue(warehouse, "cluster_unknown", "A")["status"] == "waived"
    snapshot(
        inbox,
        "p_20230726.csv",
        platform_record(
            申报编号="A", 统一社会信用代码=code(1), 所属集群="未列名集群", 当前环节="县级已审核"
        ),
    )
    run(inbox, tmp_path)
    assert issue(warehouse, "cluster_unknown", "A")["status"] == "waived"
    assert query(
        warehouse,
        "SELECT count(*) FROM dq_issues WHERE status = 'open' AND rule = 'cluster_unknown'",
    ) == [(0,)]
    store_for(warehouse).record(
        operator("李"), decisions=[decision(found, "reopened", "名单未更新")]
    )
    run(inbox, tmp_path)
    assert issue(warehouse, "cluster_unknown", "A")["status"] == "open"


def test_city_table_rows_are_corrected_too(inbox, tmp_path):
    write_inbox(
        inbox,
        [platform_record(申报编号="A", 统一社会信用代码=code(1), 当前环节="市级已确认入库")],
        cities={"石家庄": [city_row(1, "河北测试有限公司", code(1), direction="科技创新")]},
    )
    _, warehouse = run(inbox, tmp_path)
    found = issue(warehouse, "direction_invalid", "cities/石家庄.xlsx:3")
    store_for(warehouse).record(
        operator("赵"),
        [
            Correction(
                "city_table",
                "cities/石家庄.xlsx:3",
                "direction",
                "科技创新",
                "科技创新发展",
                "采用建议修改",
            )
        ],
        [decision(found, "fixed")],
    )
    run(inbox, tmp_path)
    assert query(warehouse, "SELECT direction, direction_raw FROM city_submissions") == [
        ("innovation", "科技创新")
    ]
    assert query(warehouse, "SELECT status FROM dq_issues") == [("fixed",)]
