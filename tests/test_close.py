"""The round closes (issue 18, contract §6): shortlist → review → score sheets out and back → result
→ 建议名单 → public notice over a holiday → objections → certification → leaders, and a later
round's info update by a certified company not flagged; the yearly check of the leaders."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import docx
import openpyxl
import pandas as pd
import pytest

from lingpao.access.audit import AuditLog
from lingpao.access.roles import Forbidden
from lingpao.access.viewer import Viewer
from lingpao.foundation.layout import Layout
from lingpao.foundation.programme import PROGRAMME_DIR, load_programme
from lingpao.pipeline import run_build
from lingpao.review.close import Close, published
from lingpao.review.documents import check_template, list_docx, list_xlsx, result_xlsx
from lingpao.review.sheets import SHEET, criterion_header
from lingpao.review.store import ReviewRefused, ReviewStore
from lingpao.sample.writers import write_csv, write_xlsx
from lingpao.warehouse.connection import connect_read_only
from lingpao.warehouse.rounds import enter_round
from tests.conftest import query
from tests.helpers import PLATFORM_HEADERS, lingpao_cli, platform_record

STEWARD = Viewer(id="zhang", name="张管理", role="steward", via="password")
LEADERSHIP = Viewer(id="li", name="李领导", role="leadership", via="password")
CRITERIA = load_programme(2023).review.criteria


def score_of(expert: str, application: str, criterion: str, maximum: float) -> float:
    """A deterministic score for a pair: what the expert 'gave' (the test knows every one)."""
    digest = hashlib.sha1(f"{expert}|{application}|{criterion}".encode()).digest()
    return round(maximum * (0.55 + 0.45 * digest[0] / 255), 1)


def fill(path: Path, expert: str, override: dict | None = None) -> bytes:
    """The expert's sheet filled in (as a person does in a spreadsheet): every score cell."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[SHEET]
    header_row = next(r for r in range(1, 10) if sheet.cell(r, 2).value == "申报编号")
    headers = [c.value for c in sheet[header_row]]
    for row in range(header_row + 1, sheet.max_row + 1):
        application = sheet.cell(row, 2).value
        for name, maximum in CRITERIA.items():
            column = headers.index(criterion_header(name, maximum)) + 1
            value = (override or {}).get(
                (application, name), score_of(expert, application, name, maximum)
            )
            sheet.cell(row, column).value = value
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def closing(sample_run, tmp_path_factory) -> dict:
    """The sample's 2023 round in an inbox of year folders, built, with a programmes folder that
    also holds a 2025 round (made with `programme new`) for the later info updates."""
    base = tmp_path_factory.mktemp("close")
    shutil.copytree(sample_run["inbox"], base / "inbox" / "2023")
    programmes = base / "programmes"
    shutil.copytree(PROGRAMME_DIR, programmes)
    made = lingpao_cli(
        "programme", "new", "2025", "--from", "2023",
        env={**os.environ, "LINGPAO_PROGRAMMES": str(programmes)},
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    layout = Layout.resolve(base / "inbox", base / "warehouse.duckdb")
    assert run_build(layout, year=2023).success
    return {"base": base, "layout": layout, "programmes": programmes}


def close_of(layout: Layout, year: int = 2023) -> Close:
    programme = load_programme(year)
    served = layout.readable()
    return Close(
        ReviewStore(layout.review),
        AuditLog(layout.audit),
        programme,
        lambda: enter_round(connect_read_only(served), programme.year),
    )


def write_experts(path: Path, candidates: pd.DataFrame) -> pd.DataFrame:
    """Five experts on the panel of the direction with most candidates (their totals trimmed),
    three on a combined panel for the rest; one works in a candidate's unit, one at a candidate."""
    counts = candidates["panel"].value_counts()
    big = counts.index[0]
    first = candidates[candidates["panel"] == big].iloc[0]
    other = candidates[candidates["panel"] != big].iloc[0]
    rows = [
        ["E01", "王一", "河北工业大学", first["city"], big],  # same unit as `first`
        ["E02", "赵二", "河北科技大学", "外省", big],
        ["E03", "钱三", "燕山大学", "外省", big],
        ["E04", "孙四", "河北大学", "外省", big],
        ["E05", "周五", "省工业技术研究院", "外省", big],
        ["C01", "吴六", other["company_name"], "外省", "综合"],  # works at `other`
        ["C02", "郑七", "河北经贸大学", "外省", "综合"],
        ["C03", "冯八", "石家庄铁道大学", "外省", "综合"],
    ]
    write_xlsx(
        path,
        [
            (
                "专家",
                [["2023年度专家名单"], ["专家编号", "姓名", "工作单位", "所在市", "评审组"], *rows],
                1,
            )
        ],
    )
    return pd.DataFrame(rows, columns=["expert_id", "name", "employer", "unit", "panel"])


def test_the_round_closes_end_to_end(closing, tmp_path, monkeypatch):
    layout, base = closing["layout"], closing["base"]
    close = close_of(layout)
    shortlist = query(layout.serving, "SELECT application_id FROM round_2023.shortlist")
    version, count = close.start_review(STEWARD)
    assert version == 1 and count == len(shortlist) > 0
    with pytest.raises(Forbidden):
        close.start_review(LEADERSHIP)  # leadership sees the lists, never runs the review
    candidates = close.store.candidates(2023)
    experts = write_experts(tmp_path / "experts.xlsx", candidates)
    close.load_experts(STEWARD, tmp_path / "experts.xlsx")
    sheets = close.write_sheets(STEWARD, tmp_path / "sheets")
    assert len(sheets) == len(experts)

    # conflict of interest: no expert's sheet holds a company of their own unit or employer
    by_id = experts.set_index("expert_id")
    contacts = {
        v
        for pair in query(layout.warehouse, "SELECT contact_name, contact_phone FROM applications")
        for v in pair
        if v
    }
    for path in sheets:
        workbook = openpyxl.load_workbook(path)
        assert workbook[SHEET].protection.sheet  # protected but for the score cells
        expert = path.stem.rsplit("_", 1)[1]
        rows = [
            r for r in workbook[SHEET].iter_rows(values_only=True) if r[1] and r[1] != "申报编号"
        ]
        held = candidates.set_index("application_id").loc[[r[1] for r in rows]]
        assert not (held["city"] == by_id.loc[expert, "unit"]).any(), expert
        assert not (held["company_name"] == by_id.loc[expert, "employer"]).any(), expert
        shown = {str(v) for r in rows for v in r if v is not None}
        assert not shown & contacts  # no contact name or phone
    pairs = close.store.assignments(2023)
    assert pairs["excluded_reason"].notna().sum() >= 2  # the exclusions are named

    # sheets back: one with a score out of range is refused whole, then sent right
    files = {p.stem.rsplit("_", 1)[1]: p for p in sheets}
    wrong_app = next(r for r in openpyxl.load_workbook(files["E02"])[SHEET].iter_rows(values_only=True)
                     if r[1] and r[1] != "申报编号")[1]  # fmt: skip
    bad = fill(files["E02"], "E02", {(wrong_app, "创新能力"): 31})
    with pytest.raises(ReviewRefused) as refused:
        close.import_sheet(STEWARD, bad, files["E02"].name)
    assert f"申报编号 {wrong_app}" in str(refused.value) and "创新能力（满分30）" in str(
        refused.value
    )
    assert "超出 0 至 30" in str(refused.value)
    assert close.store.scores(2023).empty  # nothing taken
    for expert, path in files.items():
        close.import_sheet(STEWARD, fill(path, expert), path.name)
    # E03 resubmits with other scores: the new sheet counts, both are kept
    changed = {
        (a, c): 5.0
        for a in set(pairs.loc[pairs["expert_id"] == "E03", "application_id"])
        for c in CRITERIA
    }
    assert (
        close.import_sheet(STEWARD, fill(files["E03"], "E03", changed), files["E03"].name)[1] == 2
    )
    assert (close.store.sheets(2023)["expert_id"] == "E03").sum() == 2
    assert close.progress()["missing"] == 0

    # the result: means (five experts: highest and lowest dropped), spread, rank, proposed
    result = close.result().set_index("application_id")
    scoring = pairs[pairs["excluded_reason"].isna()]
    rules = close.programme.review
    for application, group in scoring.groupby("application_id"):
        totals = sorted(
            sum(changed.get((application, c), score_of(e, application, c, m)) if e == "E03"
                else score_of(e, application, c, m) for c, m in CRITERIA.items())
            for e in group["expert_id"]
        )  # fmt: skip
        kept = totals[1:-1] if len(totals) >= rules.trim_from else totals
        assert result.loc[application, "mean_score"] == pytest.approx(
            sum(kept) / len(kept), abs=0.01
        )
        assert result.loc[application, "spread"] == pytest.approx(totals[-1] - totals[0], abs=0.01)
    expected = (result["rank_in_panel"] <= rules.top_per_panel) & (
        result["mean_score"] >= rules.floor
    )
    assert (result["proposed"] == expected).all() and result["proposed"].any()
    workbook = openpyxl.load_workbook(
        BytesIO(result_xlsx(close.result(), close.programme, close.progress(), False))
    )
    assert workbook.sheetnames == ["评审结果"]  # leadership's copy: no expert's scores

    # the public notice: five working days from 2023-09-27 end on 2023-10-09 (National Day, and
    # the make-up working days of 7 and 8 October)
    notice = close.start_notice(STEWARD, dt.date(2023, 9, 27), 5)
    assert notice["end"] == dt.date(2023, 10, 9)
    listed = close.notice_list()
    assert list(listed["application_id"]) == list(
        close.result().query("proposed").sort_values(["panel", "rank_in_panel"])["application_id"]
    )
    first, second = listed.iloc[0], listed.iloc[1]
    upheld = close.add_objection(
        STEWARD, first["company_name"], "该企业近三年发生过安全生产事故", raised_by="群众来信"
    )
    dismissed = close.add_objection(STEWARD, second["credit_code"], "对研发投入有疑问")
    with pytest.raises(ReviewRefused):
        close.add_objection(STEWARD, "不在名单的公司", "……")
    with pytest.raises(ReviewRefused, match="公示期"):
        close.certify(STEWARD, dt.date(2023, 10, 9))  # the last day of the notice
    with pytest.raises(ReviewRefused, match="未处理"):
        close.certify(STEWARD, dt.date(2023, 10, 10))
    close.decide_objection(STEWARD, upheld, True, "经核实，异议属实")
    close.decide_objection(STEWARD, dismissed, False, "研发费用专项审计报告齐全")
    certified = close.certify(STEWARD, dt.date(2023, 10, 10))
    assert set(certified["application_id"]) == set(listed["application_id"]) - {
        first["application_id"]
    }

    # the documents: the notice list and the certified list, in the published layout
    frame, title, intro, closing_line, grouped = published(close, "notice")
    document = docx.Document(
        BytesIO(list_docx(frame, close.programme, title, intro, closing_line, grouped))
    )
    table = document.tables[0]
    assert [c.text for c in table.rows[0].cells] == [
        "序号",
        "企业名称",
        "所属市",
        "所属县（市、区）",
        "所属集群",
        "申报方向",
    ]
    assert {r.cells[1].text for r in table.rows[1:]} == set(listed["company_name"])
    text = "\n".join(p.text for p in document.paragraphs)
    assert "2023年9月27日至2023年10月9日（5个工作日）" in text
    frame, title, intro, closing_line, grouped = published(close, "certified")
    certified_docx = tmp_path / "certified.docx"
    list_docx(frame, close.programme, title, intro, closing_line, grouped, certified_docx)
    rows = [[c.text for c in r.cells] for r in docx.Document(certified_docx).tables[0].rows[1:]]
    headings = [r[0] for r in rows if len(set(r)) == 1]  # a merged row per unit, in programme order
    units = [h.split("（")[0] for h in headings]
    assert units == [u for u in close.programme.units if u in set(frame["city"])]
    sheet = openpyxl.load_workbook(
        BytesIO(list_xlsx(frame, close.programme, title, intro, grouped))
    ).active
    assert sum(
        1 for r in sheet.iter_rows(values_only=True) if r[1] in set(frame["company_name"])
    ) == len(frame)
    pdf = subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(certified_docx)],
        capture_output=True, timeout=180,
    )  # fmt: skip
    assert pdf.returncode == 0 and (tmp_path / "certified.pdf").stat().st_size > 5000

    # certified in the warehouse, leaders from 2023; a 2025 info update by one is not flagged
    monkeypatch.setenv("LINGPAO_PROGRAMMES", str(closing["programmes"]))
    monkeypatch.delenv("LINGPAO_YEAR")
    codes = list(certified["credit_code"])
    outsider = listed.iloc[0]["credit_code"]  # removed by the upheld objection
    (base / "inbox" / "2025" / "platform").mkdir(parents=True)
    write_csv(
        base / "inbox" / "2025" / "platform" / "导出_20250725.csv",
        [PLATFORM_HEADERS,
         platform_record(申报编号="N1", 统一社会信用代码=codes[0], 申报类型="信息更新", 提交时间="2025-07-21 10:00:00"),
         platform_record(申报编号="N2", 统一社会信用代码=outsider, 申报类型="信息更新", 提交时间="2025-07-21 10:00:00")],
        "utf-8",
    )  # fmt: skip
    summary = run_build(layout)
    assert summary.success and summary.rounds == [2023, 2025], summary.lines()
    stages = dict(
        query(layout.warehouse, "SELECT application_id, stage FROM round_2023.applications")
    )
    assert all(stages[a] == "certified" for a in certified["application_id"])
    leaders = {c: (s, y, src) for c, s, y, src in query(
        layout.warehouse, "SELECT credit_code, status, since_year, source FROM leaders")}  # fmt: skip
    assert all(leaders[c] == ("active", 2023, "decision") for c in codes)
    flagged = {r for (r,) in query(
        layout.warehouse, "SELECT record_key FROM round_2025.dq_issues WHERE rule = 'info_update_not_leader'")}  # fmt: skip
    assert "N1" not in flagged and "N2" in flagged
    assert len(query(layout.warehouse, "SELECT * FROM round_2023.certified")) == len(certified)
    audit = AuditLog(layout.audit).entries(limit=500)
    assert {"review_start", "review_import", "notice_start", "objection_decide", "certify"} <= set(
        audit["event"]
    )


def test_the_yearly_check_of_the_leaders(closing, tmp_path, monkeypatch):
    monkeypatch.setenv("LINGPAO_PROGRAMMES", str(closing["programmes"]))
    layout = closing["layout"]
    close = close_of(layout)
    unit = query(
        layout.serving,
        "SELECT city FROM leaders WHERE status = 'active' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
    )[0][0]
    leaders = close.unit_leaders(STEWARD, unit)
    other = next(u for u in close.programme.units if u != unit)
    with pytest.raises(Forbidden):  # a city bureau fills in its own unit's check only
        close.unit_leaders(Viewer(id="c", role="city", unit=other, via="password"), unit)
    template = tmp_path / "check.xlsx"
    check_template(leaders, close.programme, unit, template)
    workbook = openpyxl.load_workbook(template)
    sheet = workbook["核查表"]
    header = next(r for r in range(1, 6) if sheet.cell(r, 2).value == "统一社会信用代码")
    for row in range(header + 1, sheet.max_row + 1):
        sheet.cell(row, 6).value = "正常"
    sheet.cell(header + 1, 6).value = "建议调整"  # without a reason: refused whole
    buffer = BytesIO()
    workbook.save(buffer)
    city = Viewer(id="c", role="city", unit=unit, via="password")
    with pytest.raises(ReviewRefused, match="须写明原因"):
        close.import_check(city, buffer.getvalue(), "check.xlsx", unit)
    sheet.cell(header + 1, 7).value = "连续两年亏损，已停产"
    buffer = BytesIO()
    workbook.save(buffer)
    assert close.import_check(city, buffer.getvalue(), "check.xlsx", unit) == len(leaders)
    with pytest.raises(Forbidden):
        close.confirm_adjustments(city)  # the province confirms
    done = close.confirm_adjustments(STEWARD)
    adjusted = leaders.iloc[0]["credit_code"]
    assert list(done["credit_code"]) == [adjusted]
    assert run_build(layout, year=2023).success
    row = query(
        layout.warehouse,
        "SELECT status, adjusted_year, reason FROM leaders WHERE credit_code = ?",
        [adjusted],
    )
    assert row == [("adjusted", 2023, "连续两年亏损，已停产")]


APP = str(Path(__file__).resolve().parent.parent / "lingpao" / "dashboard" / "app.py")


def test_the_review_page_per_role(closing, monkeypatch):
    """Stewards see each expert's scores and the objections; leadership the progress and the lists,
    never an expert's score; a city bureau its own companies' outcome only."""
    from streamlit.testing.v1 import AppTest

    from lingpao.access.users import User, save_users

    layout = closing["layout"]
    certified = ReviewStore(layout.review).certified(2023)
    unit = certified["city"].value_counts().index[0]
    users = {
        "steward": User(id="steward@example.com", role="steward", name="管理员"),
        "leadership": User(id="boss@example.com", role="leadership", name="领导"),
        "city": User(id="city@example.com", role="city", unit=unit, name="市局"),
    }
    save_users(layout.users, {u.id: u for u in users.values()}, load_programme(2023).units)
    monkeypatch.setenv("LINGPAO_WAREHOUSE", str(layout.warehouse))
    monkeypatch.setenv("LINGPAO_INBOX", str(layout.inbox))
    monkeypatch.setenv("LINGPAO_PROGRAMMES", str(closing["programmes"]))
    monkeypatch.setenv("LINGPAO_YEAR", "2023")

    def review_as(role: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=180)
        at.user = {"email": users[role].id, "is_logged_in": True}
        at.query_params["year"] = "2023"
        at.run()
        at.switch_page("views/review.py").run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    def columns(at: AppTest) -> set[str]:
        return {c for frame in at.dataframe for c in frame.value.columns}

    steward = review_as("steward")
    assert {"合计分", "专家编号", "异议内容"} <= columns(steward)
    objections = next(f.value for f in steward.dataframe if "异议内容" in f.value.columns)
    assert set(objections["处理"]) == {"异议成立", "异议不成立"}  # said, never the store's id
    assert objections["收到时间"].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d").all()
    downloads = {d.proto.label for d in steward.get("download_button")}
    assert {"下载认定名单（.docx）", "下载认定名单（.xlsx）", "下载评审结果（.xlsx）"} <= downloads
    leadership = review_as("leadership")
    assert not {"合计分", "专家编号", "异议内容", "提出人"} & columns(leadership)
    assert {"平均分", "建议入选"} <= columns(leadership)
    assert [b.key for b in leadership.button] == ["signout"]  # reads, never acts
    city = review_as("city")
    for frame in city.dataframe:
        if "所属市" in frame.value.columns:
            assert set(frame.value["所属市"]) <= {unit}, frame.value["所属市"].unique()
    assert not {"合计分", "专家编号"} & columns(city)
    own = query(
        layout.serving,
        "SELECT count(*) FROM round_2023.certified WHERE city = ?",
        [unit],
    )[0][0]
    figure = next(m for m in city.metric if m.label.startswith("认定"))
    assert figure.label == f"认定（{unit}）" and figure.value == f"{own} 家"  # its own, not all
    assert not {d.proto.label for d in city.get("download_button")} & downloads - {
        "下载核查表（.xlsx）"
    }  # the province's lists are not a city's to send on
