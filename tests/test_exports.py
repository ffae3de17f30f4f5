"""Exported workbooks, re-read: the 附件2 summary and the expert shortlist match the warehouse row for row."""

import subprocess
from pathlib import Path

import openpyxl
import pytest

from lingpao.foundation.programme import city_passed, load_programme
from tests.conftest import query
from tests.helpers import lingpao_cli

HEADERS = [
    "序号",
    "企业名称",
    "统一社会信用代码",
    "所属行业",
    "申报类型",
    "申报方向",
    "具体专项条件",
    "联系人",
    "联系电话",
]


def export(what: str, warehouse: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return lingpao_cli("export", what, "--out", out, "--warehouse", warehouse, *extra, timeout=300)


@pytest.fixture(scope="module")
def programme():
    return load_programme(2023)


def test_summary_in_the_fujian2_layout(sample_run, tmp_path, programme):
    out = tmp_path / "summary.xlsx"
    done = export("summary", sample_run["warehouse"], out)
    assert done.returncode == 0, done.stderr
    sheet = openpyxl.load_workbook(out)["汇总表"]
    assert "汇总表" in sheet["A1"].value and "A1" in {
        str(r).split(":")[0] for r in sheet.merged_cells.ranges
    }
    header_row = next(r for r in range(1, 6) if sheet.cell(r, 1).value == "序号")
    assert [c.value for c in sheet[header_row]] == HEADERS
    assert sheet.freeze_panes == f"A{header_row + 1}"
    assert all(sheet.column_dimensions[c].width > 8 for c in "BC")
    got, unit, seq = [], None, 0
    sections = []
    for row in sheet.iter_rows(min_row=header_row + 1, values_only=True):
        if row[0] and isinstance(row[0], str) and "项，汇总表" in row[0]:
            unit, seq = row[0].split("（")[0].removesuffix("市"), 0
            sections.append(unit)
            continue
        if row[1] == "（无已确认或推荐的申报）":
            continue
        seq += 1
        assert row[0] == seq  # 序号 restarts in each unit
        got.append((unit, *row[1:]))
    pairs = [(t, s) for t in programme.types for s in city_passed(programme, t)]
    types = {k: v["label"] for k, v in programme.types.items()}
    expected = []
    for row in query(
        sample_run["warehouse"],
        "SELECT city, company_name, credit_code, industry, application_type, direction, "
        "qualification, contact_name, contact_phone, stage FROM applications",
    ):
        if (row[4], row[9]) in pairs:
            expected.append(
                (
                    row[0],
                    row[1],
                    row[2],
                    row[3],
                    types[row[4]],
                    programme.directions.get(row[5]),
                    *row[6:9],
                )
            )
    assert sorted(got, key=str) == sorted(expected, key=str)
    assert sections == programme.units  # every unit, in the programme's order, sent or not
    units = [u for u, *_ in got]
    assert units == sorted(units, key=programme.units.index)  # grouped, in the notice's order


def test_shortlist_workbook_per_direction_without_contact_data(sample_run, tmp_path, programme):
    out = tmp_path / "shortlist.xlsx"
    assert export("shortlist", sample_run["warehouse"], out).returncode == 0
    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames == [*programme.directions.values(), "未列入名单"]
    got = []
    for direction, label in programme.directions.items():
        sheet = workbook[label]
        header_row = next(r for r in range(1, 6) if sheet.cell(r, 1).value == "排名")
        headers = [c.value for c in sheet[header_row]]
        assert {"申报编号", "统一社会信用代码", "综合得分", "研发强度"} <= set(headers)
        assert sheet.freeze_panes == f"A{header_row + 1}"
        for row in sheet.iter_rows(min_row=header_row + 1, values_only=True):
            record = dict(zip(headers, row, strict=True))
            assert record["申报编号"] and record["统一社会信用代码"]
            got.append(
                (
                    direction,
                    record["排名"],
                    record["申报编号"],
                    record["统一社会信用代码"],
                    round(record["综合得分"], 2),
                )
            )
    expected = query(
        sample_run["warehouse"],
        "SELECT direction, rank_in_direction, application_id, credit_code, "
        "round(score, 2) FROM shortlist",
    )
    assert sorted(got) == sorted(expected)
    cells = {
        str(c)
        for s in workbook
        for row in s.iter_rows(values_only=True)
        for c in row
        if c is not None
    }
    contacts = query(
        sample_run["warehouse"], "SELECT contact_name, contact_phone FROM applications"
    )
    leaked = [v for pair in contacts for v in pair if v and v in cells]
    assert leaked == []
    excluded = workbook["未列入名单"]
    assert (
        excluded.max_row - 2
        == query(sample_run["warehouse"], "SELECT count(*) FROM shortlist_exclusions")[0][0]
    )


def test_export_for_one_city_and_bad_arguments(sample_run, tmp_path):
    out = tmp_path / "bd.xlsx"
    assert export("summary", sample_run["warehouse"], out, "--city", "保定市").returncode == 0
    sections = [
        r[0]
        for r in openpyxl.load_workbook(out)["汇总表"].iter_rows(values_only=True)
        if isinstance(r[0], str) and "项，汇总表" in r[0]
    ]
    assert len(sections) == 1 and sections[0].startswith("保定市")
    bad = export("summary", sample_run["warehouse"], tmp_path / "x.xlsx", "--city", "北京")
    assert bad.returncode == 2 and "北京" in bad.stderr and "Traceback" not in bad.stderr
    missing = export("summary", tmp_path / "none.duckdb", tmp_path / "x.xlsx")
    assert missing.returncode == 2 and "lingpao run" in missing.stderr
