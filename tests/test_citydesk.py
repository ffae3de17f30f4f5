"""The city desk with real files: the pre-filled 附件2, `lingpao check` (and its agreement with a full
run), submissions kept by version, rollback, and who may submit for which unit."""

import contextlib
import datetime as dt
import io
import shutil
import time
from pathlib import Path

import duckdb
import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from lingpao.access.roles import Forbidden
from lingpao.access.users import User, save_users
from lingpao.access.viewer import Viewer
from lingpao.citydesk.table_check import check_city_table
from lingpao.citydesk.versions import TableVersions
from lingpao.cli import main
from lingpao.desk import Desk
from lingpao.exports.summary import passed_on
from lingpao.foundation.layout import Layout
from lingpao.foundation.programme import load_programme
from lingpao.sample.generator import write_sample
from lingpao.warehouse.runlock import is_running
from tests.conftest import marked_processes
from tests.helpers import shown

UNIT = "保定"
APP = str(Path(__file__).resolve().parent.parent / "lingpao" / "dashboard" / "app.py")
RECONCILING = ("missing_in_city_table", "missing_in_platform", "field_mismatch")
HEADER_ROW = 3  # title, the note, then the header


def lingpao(*argv: str) -> tuple[int, str]:
    """The real command line, in this process: exit code and what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([str(a) for a in argv])
    return code, out.getvalue()


def findings_of_run(served: Path, unit: str, source_file: str | None) -> set[tuple]:
    """(rule, row in the table or None, value) of the open issues a run raised about a unit's table:
    its rows' (from `source_file`) and the unit's applications missing from it."""
    with duckdb.connect(str(served), read_only=True) as conn:
        rows = conn.execute(
            "SELECT rule, CASE WHEN source = 'city_table' THEN source_row END, coalesce(value, '') "
            "FROM dq_issues WHERE status = 'open' AND "
            "(source_file = ? OR (rule = 'missing_in_city_table' AND city = ?))",
            [source_file, unit],
        ).fetchall()
    return {(rule, row, value) for rule, row, value in rows}


def break_template(template: Path, out: Path, programme) -> dict:
    """A hand-broken copy: a wrong check character, a direction not in the list, a row removed
    (each on a pool-entry or certification row, which the city table must hold)."""
    book = openpyxl.load_workbook(template)
    sheet = book.worksheets[0]
    needed = {programme.types[t]["label"] for t in ("pool_entry", "certification")}
    rows = [
        r
        for r in range(HEADER_ROW + 1, sheet.max_row + 1)
        if sheet.cell(r, 5).value in needed and sheet.cell(r, 3).value
    ]
    coded, directed, removed = rows[0], rows[1], rows[-1]
    code = sheet.cell(coded, 3).value
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    sheet.cell(coded, 3).value = wrong
    sheet.cell(directed, 6).value = "乱填方向"
    gone = {"company": sheet.cell(removed, 2).value, "code": sheet.cell(removed, 3).value}
    sheet.delete_rows(removed)  # the last such row: the rows above keep their numbers
    book.save(out)
    return {"coded": coded, "wrong_code": wrong, "directed": directed, "removed": gone}


@pytest.fixture(scope="module")
def desk(tmp_path_factory) -> dict:
    """A sample inbox run; the unit's template exported, submitted unchanged, checked broken,
    submitted broken, then rolled back, with what each step gave."""
    base = tmp_path_factory.mktemp("citydesk")
    inbox, warehouse = base / "inbox", base / "warehouse.duckdb"
    write_sample(inbox, seed=11, applications=400)
    where = ["--inbox", inbox, "--warehouse", warehouse]
    served = Layout.resolve(warehouse=warehouse).serving
    programme = load_programme(2023)
    assert lingpao("run", *where)[0] == 0
    with duckdb.connect(str(served), read_only=True) as conn:
        expected = passed_on(conn, programme, UNIT)
    template = base / "template.xlsx"
    assert lingpao("export", "city-template", "--unit", UNIT, "--out", template, *where)[0] == 0

    state: dict = {"base": base, "inbox": inbox, "warehouse": warehouse, "served": served}
    state["expected"] = expected
    state["template"] = template
    state["template_check"] = lingpao("check", template, *where)
    state["submit_1"] = lingpao("submit", template, "--unit", UNIT, "--who", "保定局", *where)
    versions = TableVersions(inbox, programme)
    first = versions.versions(UNIT)[0].file
    state["first"] = first
    with duckdb.connect(str(served), read_only=True) as conn:
        state["table_rows"] = conn.execute(
            "SELECT credit_code, application_type, company_name, direction FROM city_submissions "
            "WHERE source_file = ?",
            [first],
        ).fetchall()
    state["issues_1"] = findings_of_run(served, UNIT, first)

    broken = base / "broken.xlsx"
    state["broken"] = break_template(template, broken, programme)
    state["check"] = lingpao("check", broken, *where)
    state["check_result"] = check_city_table(broken, programme, served)
    state["submit_2"] = lingpao("submit", broken, "--unit", UNIT, "--who", "保定局", *where)
    second = versions.versions(UNIT)[1].file
    state["second"] = second
    state["issues_2"] = findings_of_run(served, UNIT, second)
    with duckdb.connect(str(served), read_only=True) as conn:
        state["files_2"] = dict(
            conn.execute(
                "SELECT source_file, status FROM inbox_files WHERE folder = 'cities'"
            ).fetchall()
        )
    state["rollback"] = lingpao("rollback", "--unit", UNIT, "--to", "1", *where)
    state["issues_rolled_back"] = findings_of_run(served, UNIT, first)
    with duckdb.connect(str(served), read_only=True) as conn:
        state["versions_table"] = conn.execute(
            "SELECT version, active, late FROM city_table_versions WHERE unit = ? ORDER BY 1",
            [UNIT],
        ).fetchall()
    return state


def test_template_holds_exactly_the_units_passed_on_applications(desk):
    expected = desk["expected"]
    assert len(expected) > 5
    want = sorted(
        zip(
            expected["credit_code"],
            expected["application_type"],
            expected["company_name"],
            expected["direction"],
            strict=True,
        ),
        key=repr,
    )
    assert sorted(desk["table_rows"], key=repr) == want
    code, printed = desk["template_check"]
    assert code == 0 and f"读取为：{UNIT}（依据标题）" in printed
    assert f"申报 {len(expected)} 行" in printed


def test_template_offers_drop_down_lists_for_type_and_direction(desk):
    programme = load_programme(2023)
    sheet = openpyxl.load_workbook(desk["template"]).worksheets[0]
    assert UNIT in sheet.cell(1, 1).value
    lists = {str(dv.sqref)[0]: dv.formula1 for dv in sheet.data_validations.dataValidation}
    assert set(lists) == {"E", "F"}
    for label in (t["label"] for t in programme.types.values()):
        assert label in lists["E"]
    for label in programme.directions.values():
        assert label in lists["F"]


def test_template_submitted_unchanged_raises_no_reconciliation_issue(desk):
    assert desk["submit_1"][0] == 0, desk["submit_1"][1]
    assert not {f for f in desk["issues_1"] if f[0] in RECONCILING}
    assert desk["issues_1"] == set() or all(f[0] not in RECONCILING for f in desk["issues_1"])


def test_check_reports_the_hand_broken_rows_and_fields(desk):
    code, printed = desk["check"]
    broken = desk["broken"]
    assert code == 0
    lines = printed.splitlines()
    assert lines[0].startswith(f"读取为：{UNIT}")
    checksum = [line for line in lines if line.startswith(f"第{broken['coded']}行｜")]
    assert any(broken["wrong_code"] in line and "校验位" in line for line in checksum), printed
    assert any("统一社会信用代码｜" in line for line in checksum)
    direction = [line for line in lines if line.startswith(f"第{broken['directed']}行｜")]
    assert any("申报方向｜“乱填方向”" in line for line in direction), printed
    missing = [line for line in lines if line.startswith("表中缺少｜")]
    assert any(broken["removed"]["company"] in line for line in missing), printed
    assert any(broken["removed"]["code"] in line for line in missing)


def test_check_agrees_with_a_full_run(desk):
    checked = {
        (f.rule, f.row, f.value)
        for f in desk["check_result"].findings  # read as the unit its title names
    }
    assert desk["issues_2"] == checked
    assert {"credit_code_checksum", "direction_invalid", "missing_in_city_table"} <= {
        rule for rule, _, _ in checked
    }


def test_both_versions_kept_newest_read_rollback_restores(desk):
    inbox = desk["inbox"]
    assert (inbox / desk["first"]).is_file() and (inbox / desk["second"]).is_file()
    assert desk["files_2"][desk["second"]] == "read"
    assert desk["files_2"][desk["first"]] == "superseded"
    emailed = [f for f, s in desk["files_2"].items() if UNIT in f and f.startswith("cities/")]
    assert emailed and all(desk["files_2"][f] == "superseded" for f in emailed)
    assert desk["issues_2"] != desk["issues_1"]
    assert desk["rollback"][0] == 0
    assert desk["issues_rolled_back"] == desk["issues_1"]
    assert [(v, a) for v, a, _ in desk["versions_table"]] == [(1, True), (2, False)]


def test_unreadable_or_unit_less_table_exits_2(desk, tmp_path):
    garbage = tmp_path / "汇总表.xlsx"
    garbage.write_bytes(b"not a workbook at all")
    code, printed = lingpao("check", garbage, "--warehouse", desk["warehouse"])
    assert code == 2 and "无法读取" in printed
    nameless = tmp_path / "表.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Sheet1"
    book.active.append(["序号", "企业名称", "统一社会信用代码"])
    book.active.append([1, "某公司", "91130100MA0000000X"])
    book.save(nameless)
    code, printed = lingpao("check", nameless, "--warehouse", desk["warehouse"])
    assert code == 2 and "--unit" in printed
    code, printed = lingpao("check", nameless, "--unit", UNIT, "--warehouse", desk["warehouse"])
    assert code == 0 and f"读取为：{UNIT}（依据报送单位）" in printed


def test_a_city_submits_for_its_own_unit_only(desk, tmp_path):
    programme = load_programme(2023)
    inbox = tmp_path / "inbox"
    layout = Layout.resolve(inbox=inbox, warehouse=tmp_path / "warehouse.duckdb")
    other = Viewer(id="sjz@example.com", role="city", unit="石家庄")
    data = desk["template"].read_bytes()
    with pytest.raises(Forbidden):
        TableVersions(inbox, programme).submit(other, UNIT, data, "t.xlsx")
    problem, _, version = Desk(layout, other, programme).submit_table(UNIT, "t.xlsx", data)
    assert version is None and "无权" in problem
    assert not (inbox / "submissions" / UNIT).exists()
    assert list(Desk(layout, other, programme).audit.entries(limit=1)["event"]) == ["refused"]
    with pytest.raises(Forbidden):
        TableVersions(inbox, programme).rollback(other, "石家庄", 1)
    own = Viewer(id="bd@example.com", role="city", unit=UNIT)
    with pytest.raises(Forbidden):
        TableVersions(inbox, programme).visible_to(own, "石家庄")


def test_a_submission_after_the_deadline_is_kept_and_marked_late(tmp_path):
    programme = load_programme(2023)
    versions = TableVersions(tmp_path, programme)
    bureau = Viewer(id="bd@example.com", role="city", unit=UNIT)
    zone = dt.timezone(dt.timedelta(hours=8))
    on_time = versions.submit(
        bureau, UNIT, b"x", "a.xlsx", at=dt.datetime(2023, 7, 30, 23, 0, tzinfo=zone)
    )
    late = versions.submit(
        bureau, UNIT, b"y", "a.xlsx", at=dt.datetime(2023, 7, 31, 8, 0, tzinfo=zone)
    )
    assert (on_time.version, on_time.late, late.version, late.late) == (1, False, 2, True)
    assert (tmp_path / on_time.file).read_bytes() == b"x"
    assert (tmp_path / late.file).read_bytes() == b"y"
    assert versions.active()[UNIT] == late


def test_upload_page_as_a_city_bureau(desk, tmp_path, monkeypatch):
    """The bureau uploads its table: the check is shown before anything is kept; submitting keeps
    a new version and starts a re-check."""
    base = tmp_path / "copy"
    shutil.copytree(desk["base"], base, ignore=shutil.ignore_patterns("*.lock"))
    warehouse = base / "warehouse.duckdb"
    save_users(
        Layout.resolve(warehouse=warehouse).users,
        {"bd@example.com": User(id="bd@example.com", role="city", unit=UNIT, name="保定局")},
        load_programme(2023).units,
    )
    monkeypatch.setenv("LINGPAO_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("LINGPAO_INBOX", str(base / "inbox"))
    at = AppTest.from_file(APP, default_timeout=180)
    at.user = {"email": "bd@example.com", "is_logged_in": True}
    at.run()
    at.switch_page("views/citydesk.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="d_unit").options == [UNIT]
    broken = (desk["base"] / "broken.xlsx").read_bytes()
    at.file_uploader(key="d_upload").set_value(
        ("保定汇总表.xlsx", broken, "application/xlsx")
    ).run()
    assert not at.exception, [e.value for e in at.exception]
    texts, frames = shown(at)
    assert any(t.startswith(f"读取为：{UNIT}") for t in texts)
    findings = next(f for f in frames if "如何更正" in f.columns)
    assert str(desk["broken"]["coded"]) in set(findings["行"])
    assert "乱填方向" in set(findings["填写的值"])
    versions = TableVersions(base / "inbox", load_programme(2023))
    before = len(versions.versions(UNIT))
    assert before == 2  # nothing kept by the check

    at.button(key="d_submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [s.value for s in at.success][-1].startswith("已上报第3版")
    assert len(versions.versions(UNIT)) == 3 and versions.active()[UNIT].version == 3
    served = Layout.resolve(warehouse=warehouse).serving
    published = served.stat().st_mtime_ns
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:  # the re-check runs in its own process
        if served.stat().st_mtime_ns != published and not is_running(
            Layout.resolve(warehouse=warehouse).lock
        ):
            break
        time.sleep(1)
    with duckdb.connect(str(served), read_only=True) as conn:
        active = conn.execute(
            "SELECT version FROM city_table_versions WHERE unit = ? AND active", [UNIT]
        ).fetchall()
    assert active == [(3,)], "the re-check read the submitted version"
    while marked_processes() and time.monotonic() < deadline:  # the runner's report follows
        time.sleep(0.5)


def test_progress_shows_each_units_version_submitter_and_open_problems(desk, monkeypatch):
    """总览's table of city tables, after the rollback: the unit's active version (1), who sent it,
    and its open problems; a unit that only e-mailed its table shows it came through the inbox."""
    monkeypatch.setenv("LINGPAO_WAREHOUSE", str(desk["warehouse"]))
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    table = next(f for f in shown(at)[1] if "版本" in f.columns).set_index("报送单位")
    row = table.loc[UNIT]
    assert row["版本"] == "第1版（网上报送）"
    assert "保定局" in row["报送人"]
    assert row["收到时间"]
    with duckdb.connect(str(desk["served"]), read_only=True) as conn:
        (open_problems,) = conn.execute(
            "SELECT count(*) FROM dq_issues WHERE status = 'open' AND city = ? "
            "AND (rule = 'missing_in_city_table' OR source_file = ?)",
            [UNIT, desk["first"]],
        ).fetchone()
    assert row["未解决问题"] == (f"{open_problems} 项" if open_problems else "无")
    emailed = table[table["版本"] == "收件箱文件"]  # came by e-mail: the file by its own name
    assert len(emailed) and all(f and "/" not in f for f in emailed["文件"])
    assert set(emailed["报送人"]) == {""}
