"""Batch work for stewards: a workbook of open issues to fill in, and applying it all or nothing."""

from __future__ import annotations

from pathlib import Path

import duckdb
import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from lingpao.corrections.fields import FIELD_LABELS
from lingpao.corrections.records import (
    correctable_field,
    correction_for,
    decision_for,
    issues_of,
    records_of,
)
from lingpao.corrections.store import Correction, Decision
from lingpao.exports.workbook import Sheet, new_workbook, save
from lingpao.foundation.programme import Programme
from lingpao.foundation.schema import REASON_LIMIT
from lingpao.ingest.corrected import current_text
from lingpao.labels import Labels
from lingpao.warehouse.connection import read_frame

HEADERS = [
    "问题编号",
    "来源",
    "记录",
    "所属市",
    "规则",
    "级别",
    "字段",
    "当前值",
    "建议修改",
    "问题说明",
    "处理",
    "新值",
    "原因",
]
ACTIONS = {"更正": "fix", "忽略": "waive", "重新打开": "reopen"}
FIELD_OF = {label: field for field, label in FIELD_LABELS.items()}  # the template shows labels


def write_template(
    conn: duckdb.DuckDBPyConnection,
    programme: Programme,
    out: Path | None = None,
    unit: str | None = None,
) -> bytes:
    """One row per open issue, with the current value and the suggested fix; 处理/新值/原因 to fill in."""
    issues = read_frame(
        conn,
        "SELECT * FROM dq_issues WHERE status = 'open' AND (? IS NULL OR city = ?) "
        "ORDER BY city, rule, record_key",
        [unit, unit],
    )
    labels = Labels(programme)
    workbook = new_workbook()
    sheet = Sheet(
        workbook.create_sheet("待更正"),
        f"{unit or '全省'}数据问题更正表",
        HEADERS,
        notes=[
            "填写“处理”（更正/忽略/重新打开）、“新值”（更正时）和“原因”（必填）；只有一个字段可更正时已填好“字段”，"
            "否则请选择要更正的字段（如 申报方向）。保存后运行：lingpao corrections apply 本文件"
        ],
    )
    records = {
        source: records_of(conn, source, list(issues.loc[issues["source"] == source, "record_key"]))
        for source in ("platform", "city_table")
    }
    for issue in issues.to_dict("records"):
        field = correctable_field(issue)
        record = records.get(issue["source"], {}).get(issue["record_key"]) if field else None
        sheet.row(
            [
                issue["issue_id"],
                labels.of("source", issue["source"]),
                issue["record_key"],
                issue["city"],
                labels.of("rule", issue["rule"]),
                labels.of("severity", issue["severity"]),
                labels.of("field", field or issue.get("field")),
                current_text(record, field) if record else None,
                issue.get("suggested_fix"),
                issue["detail"],
                None,
                None,
                None,
            ]
        )
    last = max(sheet.sheet.max_row, sheet.header_row + 1)
    for header, choices in (("处理", list(ACTIONS)), ("字段", list(FIELD_OF))):
        column = get_column_letter(HEADERS.index(header) + 1)
        listed = DataValidation(type="list", formula1=f'"{",".join(choices)}"', allow_blank=True)
        sheet.sheet.add_data_validation(listed)
        listed.add(f"{column}{sheet.header_row + 1}:{column}{last}")
    sheet.finish()
    return save(workbook, out)


def read_batch(
    path: Path, conn: duckdb.DuckDBPyConnection, programme: Programme
) -> tuple[list[Correction], list[Decision], list[str]]:
    """Every filled-in row as store entries, or the errors (with row numbers) that reject the file."""
    try:
        sheet = openpyxl.load_workbook(path, read_only=True, data_only=True).worksheets[0]
    except Exception as error:  # openpyxl raises many types for a file that is not a workbook
        return [], [], [f"文件“{path}”无法读取为 xlsx 工作簿（{type(error).__name__}）"]
    rows = list(sheet.iter_rows(values_only=True))
    header_at = next((i for i, r in enumerate(rows[:10]) if r and r[0] == "问题编号"), None)
    if header_at is None:
        return [], [], [f"文件“{path.name}”不是更正表：未找到“问题编号”表头"]
    header = [str(h) if h is not None else "" for h in rows[header_at]]
    missing = [h for h in ("问题编号", "字段", "处理", "新值", "原因") if h not in header]
    if missing:
        return [], [], [f"更正表缺少列：{'、'.join(missing)}"]
    filled = []
    for number, values in enumerate(rows[header_at + 1 :], start=header_at + 2):
        row = {
            h: ("" if v is None else str(v).strip()) for h, v in zip(header, values, strict=False)
        }
        if row.get("处理", "") or row.get("新值", ""):
            filled.append((number, row))
    # one look-up for every issue and every record named, not one per row
    issues = issues_of(conn, [row.get("问题编号", "") for _, row in filled])
    records = {
        source: records_of(
            conn, source, [i["record_key"] for i in issues.values() if i["source"] == source]
        )
        for source in ("platform", "city_table")
    }
    corrections, decisions, errors = [], [], []
    for number, row in filled:
        action_text, new_value, reason = (
            row.get("处理", ""),
            row.get("新值", ""),
            row.get("原因", ""),
        )
        where = f"第{number}行"
        action = ACTIONS.get(action_text or "更正")
        if action is None:
            errors.append(f"{where}：处理“{action_text}”无效（可填：更正、忽略、重新打开）")
            continue
        issue = issues.get(row.get("问题编号", ""))
        if issue is None:
            errors.append(
                f"{where}：问题编号“{row.get('问题编号', '')}”不存在（可能已在新数据中消失）"
            )
            continue
        if len(reason) > REASON_LIMIT:
            errors.append(f"{where}：原因过长（{len(reason)} 字，最多 {REASON_LIMIT} 字）")
            continue
        if action == "waive":
            if not reason:
                errors.append(f"{where}：忽略问题必须填写原因")
            else:
                decisions.append(decision_for(issue, "waived", reason))
            continue
        if action == "reopen":
            decisions.append(decision_for(issue, "reopened", reason or "重新打开"))
            continue
        field = FIELD_OF.get(row.get("字段", ""), row.get("字段", ""))
        if field not in FIELD_LABELS:
            errors.append(
                f"{where}：字段“{row.get('字段', '')}”不能更正，请选择一个字段，如 "
                f"{FIELD_LABELS[correctable_field(issue) or 'direction']}"
            )
            continue
        record = records.get(issue["source"], {}).get(issue["record_key"])
        if record is None:
            errors.append(f"{where}：记录“{issue['record_key']}”在当前数据中不存在")
            continue
        made = correction_for(conn, programme, issue, field, new_value, reason, record)
        if isinstance(made, str):
            errors.append(f"{where}：{made}")
        else:
            corrections.append(made[0])
            decisions.append(made[1])
    return corrections, decisions, errors
