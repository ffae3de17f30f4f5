"""Batch corrections through the CLI (all or nothing, rows named) and the per-city feedback workbook."""

from pathlib import Path, PurePosixPath

import openpyxl
import pytest

from lingpao.corrections.store import CorrectionStore
from lingpao.foundation.layout import Layout
from lingpao.quality.rules import RULES
from tests.conftest import query
from tests.helpers import copy_warehouse, lingpao_cli


@pytest.fixture
def warehouse(sample_run, tmp_path) -> Path:
    """A private copy of the sample warehouse (and serving copy) so corrections stay in this test."""
    return copy_warehouse(sample_run, tmp_path)


def fill(template: Path, out: Path, choose) -> dict[int, dict]:
    """Fill rows chosen by `choose(row) -> (处理, 新值, 原因) | None`; returns the filled rows by number."""
    book = openpyxl.load_workbook(template)
    sheet = book.active
    header_row = next(r for r in range(1, 8) if sheet.cell(r, 1).value == "问题编号")
    header = [c.value for c in sheet[header_row]]
    filled = {}
    for number in range(header_row + 1, sheet.max_row + 1):
        row = {h: sheet.cell(number, i + 1).value for i, h in enumerate(header)}
        action = choose(row)
        if action:
            for name, value in zip(("处理", "新值", "原因"), action, strict=True):
                sheet.cell(number, header.index(name) + 1).value = value
            filled[number] = row
    book.save(out)
    return filled


def test_template_apply_and_log(warehouse, tmp_path):
    template = tmp_path / "template.xlsx"
    assert (
        lingpao_cli(
            "corrections", "template", str(template), "--warehouse", str(warehouse)
        ).returncode
        == 0
    )
    rows = list(openpyxl.load_workbook(template).active.iter_rows(values_only=True))
    ids = {r[0] for r in rows[3:]}
    assert ids == {
        i for (i,) in query(warehouse, "SELECT issue_id FROM dq_issues WHERE status = 'open'")
    }

    def good(row):
        if row["建议修改"]:
            return "更正", row["建议修改"], "采用建议修改"
        if row["规则"] == RULES["cluster_unknown"].name:
            return "忽略", None, "集群名单待更新"
        return None

    filled = fill(template, tmp_path / "good.xlsx", good)
    bad_rows = dict(filled)

    def with_bad(row):
        if row["规则"] == RULES["phone_invalid"].name:
            return "更正", "12", "电话核实"  # an invalid phone
        if row["规则"] == RULES["evidence_incomplete"].name:
            return "忽略", None, None  # a waiver without a reason
        return good(row)

    bad_rows = fill(template, tmp_path / "bad.xlsx", with_bad)
    store = CorrectionStore(Layout.resolve(warehouse=warehouse).corrections)
    done = lingpao_cli(
        "corrections",
        "apply",
        str(tmp_path / "bad.xlsx"),
        "--warehouse",
        str(warehouse),
        "--who",
        "测试员",
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    phone_row = next(n for n, r in bad_rows.items() if r["规则"] == RULES["phone_invalid"].name)
    evidence_row = next(
        n for n, r in bad_rows.items() if r["规则"] == RULES["evidence_incomplete"].name
    )
    assert f"第{phone_row}行" in done.stderr and f"第{evidence_row}行" in done.stderr
    assert store.corrections().empty and store.decisions().empty  # nothing half-applied

    done = lingpao_cli(
        "corrections",
        "apply",
        str(tmp_path / "good.xlsx"),
        "--warehouse",
        str(warehouse),
        "--who",
        "测试员",
    )
    assert done.returncode == 0, done.stderr
    suggested = [r for r in filled.values() if r["建议修改"]]
    assert len(store.corrections()) == len(suggested) > 0
    assert set(store.decisions()["decision"]) == {"fixed", "waived"}
    log = lingpao_cli("corrections", "log", "--warehouse", str(warehouse))
    assert log.returncode == 0 and "测试员" in log.stdout and "采用建议修改" in log.stdout


def test_unknown_issue_is_rejected_with_its_row(warehouse, tmp_path):
    template = tmp_path / "template.xlsx"
    lingpao_cli("corrections", "template", str(template), "--warehouse", str(warehouse))
    book = openpyxl.load_workbook(template)
    sheet = book.active
    sheet.cell(4, 1).value = "0000000000000000"
    header_row = next(r for r in range(1, 8) if sheet.cell(r, 1).value == "问题编号")
    header = [c.value for c in sheet[header_row]]
    sheet.cell(4, header.index("处理") + 1).value = "忽略"
    sheet.cell(4, header.index("原因") + 1).value = "原因"
    book.save(tmp_path / "unknown.xlsx")
    done = lingpao_cli(
        "corrections", "apply", str(tmp_path / "unknown.xlsx"), "--warehouse", str(warehouse)
    )
    assert done.returncode == 2 and "第4行" in done.stderr and "0000000000000000" in done.stderr
    not_a_workbook = tmp_path / "x.xlsx"
    not_a_workbook.write_text("hello")
    done = lingpao_cli("corrections", "apply", str(not_a_workbook), "--warehouse", str(warehouse))
    assert done.returncode == 2 and "x.xlsx" in done.stderr and "Traceback" not in done.stderr


FIELD_COLUMN = {
    "credit_code": "统一社会信用代码",
    "company_name": "企业名称",
    "application_type": "申报类型",
    "direction": "申报方向",
    "contact_phone": "联系电话",
    "submitted_at": "提交时间",
    "cluster": "所属集群",
    "evidence": "佐证材料",
    "application_id": "申报编号",
}


def own_key(record_key: str) -> str:
    """A record key as the workbook shows its record: the file by its own name, and the row."""
    if ":" not in record_key:
        return record_key
    file, _, row = record_key.rpartition(":")
    return f"{PurePosixPath(file).name}:{row}"


@pytest.mark.parametrize("unit_rank", [0, 1])
def test_feedback_workbook_holds_exactly_the_units_open_issues(sample_run, tmp_path, unit_rank):
    warehouse = sample_run["warehouse"]
    unit = query(
        warehouse,
        "SELECT city FROM dq_issues WHERE city IS NOT NULL AND status = 'open' "
        "GROUP BY 1 ORDER BY count(*) DESC, 1",
    )[unit_rank][0]
    out = tmp_path / "fb.xlsx"
    done = lingpao_cli(
        "export", "feedback", "--city", unit, "--out", str(out), "--warehouse", str(warehouse)
    )
    assert done.returncode == 0, done.stderr
    book = openpyxl.load_workbook(out)
    expected = query(
        warehouse,
        "SELECT source, record_key, rule, field FROM dq_issues WHERE city = ? AND status = 'open'",
        [unit],
    )
    assert "说明" in book.sheetnames and "2023年08月04日" in "".join(
        str(c.value) for c in book["说明"]["A"]
    )
    cover = {
        r[0]: r[2]
        for r in book["说明"].iter_rows(min_row=1, values_only=True)
        if isinstance(r[2], int)
    }
    assert sum(cover.values()) == len(expected)
    seen = []
    for title, source, key in (
        ("汇总表问题", "city_table", lambda r: f"{r['文件']}:{r['行号']}"),
        ("平台申报问题", "platform", lambda r: r["申报编号"]),
    ):
        if title not in book.sheetnames:
            assert not [e for e in expected if e[0] == source]
            continue
        sheet = book[title]
        header = [c.value for c in sheet[2]]
        for number in range(3, sheet.max_row + 1):
            row = {h: sheet.cell(number, i + 1).value for i, h in enumerate(header)}
            mine = [e for e in expected if e[0] == source and own_key(e[1]) == key(row)]
            lines = row["需更正事项"].split("\n")
            assert len(lines) == len(mine) > 0
            seen += [(source, key(row), rule) for _, _, rule, _ in mine]
            if "佐证材料" in row:  # the evidence state the city sees
                incomplete = any(rule == "evidence_incomplete" for _, _, rule, _ in mine)
                assert (row["佐证材料"] == "齐全") != incomplete, row["佐证材料"]
            marked = {
                header[i]
                for i in range(len(header))
                if sheet.cell(number, i + 1).fill.fgColor.rgb.endswith("FFC7CE")
            }
            wanted = {
                FIELD_COLUMN[f]
                for *_, fields in mine
                if fields
                for f in fields.split(",")
                if FIELD_COLUMN.get(f) in header
            }
            assert marked == wanted, (title, number)
    assert sorted(seen) == sorted((s, own_key(k), r) for s, k, r, _ in expected if s != "file")
