"""Per-city feedback: the unit's records with open issues, failing cells highlighted, what to correct."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import duckdb
import pandas as pd
from openpyxl.styles import Alignment, PatternFill

from lingpao.exports.workbook import Sheet, new_workbook, save
from lingpao.foundation.programme import Programme
from lingpao.labels import SEVERITY
from lingpao.quality.rules import RULES
from lingpao.warehouse.connection import read_frame

FAILING = PatternFill("solid", fgColor="FFC7CE")
CITY_COLUMNS = [
    ("序号", "seq"),
    ("企业名称", "company_name"),
    ("统一社会信用代码", "credit_code_raw"),
    ("所属行业", "industry"),
    ("申报类型", "application_type_raw"),
    ("申报方向", "direction_raw"),
    ("具体专项条件", "qualification"),
    ("联系人", "contact_name"),
    ("联系电话", "contact_phone_raw"),
    ("文件", "source_file"),
    ("行号", "source_row"),
]
PLATFORM_COLUMNS = [
    ("申报编号", "application_id"),
    ("企业名称", "company_name"),
    ("统一社会信用代码", "credit_code_raw"),
    ("所属集群", "cluster"),
    ("申报类型", "application_type_raw"),
    ("申报方向", "direction_raw"),
    ("联系人", "contact_name"),
    ("联系电话", "contact_phone_raw"),
    ("提交时间", "submitted_at_raw"),
    ("当前环节", "stage_raw"),
    ("佐证材料", "evidence"),
]
# dq_issues.field -> the column whose cell is highlighted
CELL_OF = {
    "credit_code": "credit_code_raw",
    "company_name": "company_name",
    "application_type": "application_type_raw",
    "direction": "direction_raw",
    "contact_phone": "contact_phone_raw",
    "submitted_at": "submitted_at_raw",
    "cluster": "cluster",
    "evidence": "evidence",
    "application_id": "application_id",
    "stage": "stage_raw",
}
TODO = "需更正事项"


def own_name(path: object) -> object:
    """A file by its own name, without the inbox's folders."""
    return PurePosixPath(path).name if isinstance(path, str) and path else path


def uploaded(value: object) -> bool:
    """An evidence flag read back from the warehouse (True, numpy True, False, None or NA) as a bool."""
    return value is not None and not pd.isna(value) and bool(value)


def what_to_correct(issue: pd.Series) -> str:
    """One line: the rule and what exactly is wrong (the location is the row itself)."""
    detail = str(issue["detail"])
    return f"{RULES[issue['rule']].name}：{detail.split('：', 1)[1] if '：' in detail else detail}"


def _records_sheet(
    workbook, title: str, columns, records: pd.DataFrame, issues: pd.DataFrame, key
) -> int:
    sheet = Sheet(workbook.create_sheet(title), title, [h for h, _ in columns] + [TODO])
    for _, record in records.iterrows():
        mine = issues[issues["record_key"] == key(record)]
        lines = [
            f"{i}. {what_to_correct(issue)}"
            for i, (_, issue) in enumerate(mine.iterrows(), start=1)
        ]
        row = sheet.row(
            [own_name(record.get(c)) if c == "source_file" else record.get(c) for _, c in columns]
            + ["\n".join(lines)]
        )
        names = [c for _, c in columns]
        for fields in mine["field"].dropna():
            for field in str(fields).split(","):
                column = CELL_OF.get(field)
                if column in names:
                    sheet.sheet.cell(row, names.index(column) + 1).fill = FAILING
        sheet.sheet.cell(row, len(columns) + 1).alignment = Alignment(
            wrap_text=True, vertical="top"
        )
    sheet.finish()
    return len(records)


def write_feedback(
    conn: duckdb.DuckDBPyConnection, programme: Programme, unit: str, out: Path | None = None
) -> bytes:
    """The feedback workbook of one reporting unit: cover, city-table rows, platform applications, files."""
    issues = read_frame(
        conn,
        "SELECT * FROM dq_issues WHERE status = 'open' AND city = ? ORDER BY rule, record_key",
        [unit],
    )
    workbook = new_workbook()
    cover = Sheet(
        workbook.create_sheet("说明"),
        f"{unit}“领跑者”申报数据问题反馈（{programme.year}年度）",
        ["规则", "级别", "问题数"],
        notes=[
            f"请于 {programme.feedback_due:%Y年%m月%d日} 前更正以下问题，并重新报送市级汇总表或通知企业在平台修改。",
            "“汇总表问题”为本市汇总表（附件2）中的行，“平台申报问题”为本市企业在平台的申报；标红的单元格需要更正。",
            f"共 {len(issues)} 个问题。",
        ],
    )
    for rule, group in issues.groupby("rule", sort=True):
        cover.row(
            [
                RULES[rule].name,
                SEVERITY[RULES[rule].severity],
                len(group),
            ]
        )
    if issues.empty:
        cover.row(["无待更正问题", "", 0])
    cover.finish()
    city_issues = issues[issues["source"] == "city_table"]
    if len(city_issues):
        rows = read_frame(
            conn,
            "SELECT * FROM city_submissions WHERE record_key IN "
            "(SELECT unnest(?::VARCHAR[])) ORDER BY source_file, source_row",
            [list(city_issues["record_key"])],
        )
        _records_sheet(
            workbook,
            "汇总表问题",
            CITY_COLUMNS,
            rows,
            city_issues,
            key=lambda r: r["record_key"],
        )
    platform_issues = issues[issues["source"] == "platform"]
    if len(platform_issues):
        rows = read_frame(
            conn,
            "SELECT * FROM applications WHERE application_id IN (SELECT unnest(?::VARCHAR[])) "
            "ORDER BY application_id",
            [list(platform_issues["record_key"])],
        )
        evidence = [c for c in rows.columns if c.startswith("ev_")]
        names = {f"ev_{k}": v for k, v in programme.evidence.items()}
        rows["evidence"] = (
            rows[evidence].apply(
                lambda r: (
                    "、".join(f"{names[c]}未上传" for c in evidence if not uploaded(r[c])) or "齐全"
                ),
                axis=1,
            )
            if len(rows)
            else []
        )
        _records_sheet(
            workbook,
            "平台申报问题",
            PLATFORM_COLUMNS,
            rows,
            platform_issues,
            key=lambda r: r["application_id"],
        )
    file_issues = issues[issues["source"] == "file"]
    if len(file_issues):
        sheet = Sheet(workbook.create_sheet("文件问题"), "无法读取的文件", ["文件", TODO])
        for _, issue in file_issues.iterrows():
            sheet.row([own_name(issue["record_key"]), what_to_correct(issue)])
        sheet.finish()
    return save(workbook, out)
