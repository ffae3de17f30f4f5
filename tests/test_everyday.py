"""The everyday surface (the real app, AppTest): every count leads to exactly the records it counts,
a run started from a page is watched to its end, one record holds everything known of it, and the
workbooks print."""

from __future__ import annotations

import io
import os
import shutil
import time
from pathlib import Path
from urllib.parse import parse_qsl

import duckdb
import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from lingpao.access.viewer import Viewer
from lingpao.corrections.records import issue_of, proposal_for
from lingpao.corrections.store import CorrectionStore
from lingpao.exports.workbook import PAGE_WIDTH
from lingpao.foundation.layout import Layout
from lingpao.foundation.programme import load_programme
from lingpao.queries import Progress, Quality
from tests.conftest import marked_processes, query
from tests.helpers import copy_warehouse

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "lingpao" / "dashboard" / "app.py")
PROGRAMME = load_programme(2023)


@pytest.fixture
def warehouse(sample_run, tmp_path, monkeypatch) -> Path:
    target = copy_warehouse(sample_run, tmp_path)
    monkeypatch.setenv("LINGPAO_WAREHOUSE", str(target))
    monkeypatch.setenv("LINGPAO_INBOX", str(sample_run["inbox"]))
    return target


def app(page: str | None = None) -> AppTest:
    """The app as province staff on this machine (no users file), on one page."""
    at = AppTest.from_file(APP, default_timeout=180).run()
    if page:
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def listed(at: AppTest) -> int:
    """How many applications 申报列表 says it lists (`共 N 项申报`)."""
    heading = next(h.value for h in at.subheader if h.value.startswith("共 "))
    return int(heading.removeprefix("共 ").split(" ")[0].replace(",", ""))


def follow(at: AppTest, link) -> AppTest:
    """Open a page link as the browser would: its page with its query."""
    at.query_params.clear()
    at.query_params.update(dict(parse_qsl(link.proto.query_string)))
    return at.switch_page(f"views/{Path(link.proto.page).name}.py").run()


def test_a_kpi_a_heat_map_cell_and_a_table_count_lead_to_exactly_what_they_count(warehouse):
    served = Layout.resolve(warehouse=warehouse).serving
    # a KPI: 待县级审核 and its link
    at = app()
    shown = int(next(m for m in at.metric if m.label == "待县级审核").value.replace(",", ""))
    link = next(
        link for link in at.get("page_link") if link.proto.query_string.endswith("stage=submitted")
    )
    expected = query(served, "SELECT count(*) FROM applications WHERE stage = 'submitted'")[0][0]
    assert shown == expected > 0
    assert listed(follow(at, link)) == expected

    # a table count: 石家庄 × 入库培育 × 县级已审核 on 总览, chosen in its table
    at = app()
    grid = next(d for d in at.dataframe if d.key == "city_type_stage").value
    row = next(
        i for i, r in grid.iterrows() if r["所属市"] == "石家庄" and r["申报类型"] == "入库培育"
    )
    cell = int(grid.iloc[row]["县级已审核"])
    at.session_state["city_type_stage"] = {
        "selection": {"rows": [], "columns": [], "cells": [[row, "县级已审核"]]}
    }
    at.run()
    expected = query(
        served,
        "SELECT count(*) FROM applications WHERE city = '石家庄' AND application_type = "
        "'pool_entry' AND stage = 'county_verified'",
    )[0][0]
    assert cell == expected > 0 and listed(at) == expected
    assert at.query_params["stage"] == "county_verified"

    # a heat-map cell: 保定 × 科技创新发展 on 集群
    at = app("clusters")
    units = [
        u
        for u in PROGRAMME.units
        if u in {r[0] for r in query(served, "SELECT city FROM applications")}
    ]
    directions = [
        d
        for d in PROGRAMME.directions
        if d in {r[0] for r in query(served, "SELECT direction FROM applications")}
    ]
    at.session_state["city_direction"] = {  # a click on the cell of 保定 and 科技创新发展
        "selection": {
            "points": [{"customdata": [units.index("保定"), directions.index("innovation")]}],
            "point_indices": [0],
            "box": [],
            "lasso": [],
        }
    }
    at.run()
    expected = query(
        served,
        "SELECT count(*) FROM applications WHERE city = '保定' AND direction = 'innovation' "
        "AND stage IS DISTINCT FROM 'draft'",
    )[0][0]
    assert listed(at) == expected > 0
    assert (at.query_params["city"], at.query_params["direction"]) == ("保定", "innovation")


def test_one_record_holds_everything_known_of_it(warehouse):
    """From 申报列表, searched for an application with an open issue, its row opens 申报详情."""
    served = Layout.resolve(warehouse=warehouse).serving
    key = query(
        served,
        "SELECT record_key FROM dq_issues WHERE source = 'platform' AND status = 'open' "
        "AND rule = 'evidence_incomplete' LIMIT 1",
    )[0][0]
    at = app("applications")
    at.text_input(key="l_search").input(key).run()
    rows = next(d for d in at.dataframe if d.key == "l_table").value
    assert list(rows["申报编号"]) == [key]
    at.session_state["l_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.query_params["id"] == key
    tables = [d.value for d in at.dataframe]

    def having(column: str):
        return next(t for t in tables if column in t.columns)

    values = having("原始值")
    assert "来源" in set(values["字段"])
    history = having("首次出现时间")
    stages = query(served, "SELECT count(*) FROM stage_history WHERE application_id = ?", [key])
    assert len(history) == stages[0][0] > 0
    issues = having("问题说明")
    assert (
        len(issues)
        == query(
            served,
            "SELECT count(*) FROM dq_issues WHERE source = 'platform' AND record_key = ?",
            [key],
        )[0][0]
    )


def test_a_run_started_from_a_page_ends_showing_done_or_why_it_failed(warehouse, sample_run):
    """数据治理's 立即重新检查: the request is queued, a runner takes it up, and the page, polled as
    a browser's own refresh does, ends on the outcome: done, or (no platform export) why not."""

    def started() -> AppTest:
        at = app("queue")
        at.button(key="recheck").click().run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    def outcome(at: AppTest, seconds: float = 240) -> tuple[list[str], list[str]]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            at.run()
            done = [s.value for s in at.success if "检查完成" in s.value]
            failed = [e.value for e in at.error if "检查未完成" in e.value]
            if done or failed:
                return done, failed
            time.sleep(1)
        pytest.fail("the run never ended on the page")

    done, failed = outcome(started())
    assert done and not failed and "结果已发布" in done[0]
    deadline = time.monotonic() + 120
    while marked_processes() and time.monotonic() < deadline:
        time.sleep(0.5)  # the runner builds the report of what it published, then exits

    inbox = warehouse.parent / "inbox"  # the same inbox without its platform exports: refused
    shutil.copytree(sample_run["inbox"], inbox, ignore=shutil.ignore_patterns("platform"))
    (inbox / "platform").mkdir()
    os.environ["LINGPAO_INBOX"] = str(inbox)
    try:
        done, failed = outcome(started())
    finally:
        os.environ["LINGPAO_INBOX"] = str(sample_run["inbox"])
    assert failed and "没有可读的平台导出文件" in failed[0]
    deadline = time.monotonic() + 120
    while marked_processes() and time.monotonic() < deadline:
        time.sleep(0.5)  # the runner finishes its report and exits on its own


def test_a_duplicate_proposal_is_refused(warehouse):
    layout = Layout.resolve(warehouse=warehouse)
    with duckdb.connect(str(layout.serving), read_only=True) as conn:
        issue_id, unit = conn.execute(
            "SELECT issue_id, city FROM dq_issues WHERE rule = 'direction_invalid' "
            "AND source = 'platform' AND status = 'open' LIMIT 1"
        ).fetchall()[0]
        issue = issue_of(conn, issue_id)
        proposal = proposal_for(conn, PROGRAMME, issue, "direction", "科技创新发展", "企业确认")
    bureau = Viewer(id=f"{unit}@example.com", role="city", unit=unit)
    store = CorrectionStore(layout.corrections, layout.backups, layout.serving)
    store.propose(bureau, proposal)
    with pytest.raises(ValueError, match="已有相同的更正建议"):
        store.propose(bureau, proposal)
    assert len(store.proposals(bureau.scope)) == 1


def test_workbooks_print_on_a4_with_page_numbers_at_a_readable_scale(warehouse):
    layout = Layout.resolve(warehouse=warehouse)
    province = Viewer(id="p", role="province")
    files = {
        "summary": Progress.on_file(layout.serving, PROGRAMME, province).summary_workbook(),
        "feedback": Quality.on_file(layout.serving, PROGRAMME, province).feedback("保定"),
    }
    for name, data in files.items():
        book = load_workbook(io.BytesIO(data))
        for sheet in book.worksheets:
            assert str(sheet.page_setup.paperSize) == sheet.PAPERSIZE_A4, (name, sheet.title)
            assert sheet.sheet_properties.pageSetUpPr.fitToPage
            assert "&P" in sheet.oddFooter.center.text and "&N" in sheet.oddFooter.center.text
            widths = [
                sheet.column_dimensions[c].width
                for c in (cell.column_letter for cell in sheet[sheet.max_row])
            ]
            assert sum(widths) <= PAGE_WIDTH + 1, (name, sheet.title, sum(widths))
    summary = load_workbook(io.BytesIO(files["summary"])).active
    sections = [
        row[0].value
        for row in summary.iter_rows()
        if isinstance(row[0].value, str) and "项" in row[0].value and "汇总表" in row[0].value
    ]
    assert len(sections) == len(PROGRAMME.units)  # every unit, those that sent nothing too
    assert any("汇总表未报送" in s for s in sections)
