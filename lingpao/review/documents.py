"""What the close of a round sends out: the review's result workbook, the notice list, the certified
and adjusted lists (Word from `data/templates/list.docx`, and workbooks, in the published layout),
and each unit's leader-check workbook. No contact data in any of them; no scores in the lists."""

from __future__ import annotations

import datetime as dt
from io import BytesIO
from pathlib import Path

import pandas as pd
from docxtpl import DocxTemplate
from openpyxl.styles import Protection
from openpyxl.worksheet.datavalidation import DataValidation

from lingpao.exports.workbook import Sheet, new_workbook, save
from lingpao.foundation.programme import PROJECT_ROOT, Programme

TEMPLATE = PROJECT_ROOT / "data" / "templates" / "list.docx"
LIST_HEADERS = ["序号", "企业名称", "所属市", "所属县（市、区）", "所属集群", "申报方向"]
CHECK_RESULTS = {"normal": "正常", "adjust": "建议调整"}
CHECK_HEADERS = ["序号", "统一社会信用代码", "企业名称", "所属集群", "认定年度", "核查结果", "原因"]


def cn_day(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _rows(frame: pd.DataFrame, programme: Programme, grouped: bool) -> list[dict]:
    """The list's groups (one per unit in the programme's order, or one without a heading), each
    with its rows numbered (continuously across the groups, as the published lists are)."""
    directions = programme.directions
    frame = frame.copy()
    order = {unit: i for i, unit in enumerate(programme.units)}
    frame["_unit_order"] = frame["city"].map(lambda u: order.get(u, len(order)))
    if grouped:
        frame = frame.sort_values(["_unit_order", "company_name"], kind="stable")
    groups, seq = [], 0
    for _, part in frame.groupby("_unit_order", sort=True) if grouped else [(None, frame)]:
        rows = []
        for row in part.itertuples():
            seq += 1
            rows.append(
                {
                    "seq": seq,
                    "company": row.company_name or "",
                    "city": row.city or "",
                    "county": row.county or "",
                    "cluster": row.cluster or "",
                    "direction": directions.get(row.direction, row.direction or ""),
                }
            )
        name = part["city"].iloc[0] if grouped and len(part) else ""
        groups.append({"unit": name or "", "count": len(rows), "rows": rows})
    return groups


def list_docx(
    frame: pd.DataFrame,
    programme: Programme,
    title: str,
    intro: str,
    closing: str,
    grouped: bool,
    out: Path | None = None,
) -> bytes:
    """A published list as a Word document (values escaped: a name is text, never markup)."""
    document = DocxTemplate(str(TEMPLATE))
    context = {
        "title": title,
        "intro": intro,
        "closing": closing,
        "groups": _rows(frame, programme, grouped),
    }
    document.render(context, autoescape=True)
    buffer = BytesIO()
    document.save(buffer)
    data = buffer.getvalue()
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    return data


def list_xlsx(
    frame: pd.DataFrame,
    programme: Programme,
    title: str,
    intro: str,
    grouped: bool,
    out: Path | None = None,
) -> bytes:
    """The same list as a workbook: a heading row per unit where grouped."""
    workbook = new_workbook()
    sheet = Sheet(
        workbook.create_sheet("名单"), title, LIST_HEADERS, notes=[intro] if intro else []
    )
    for group in _rows(frame, programme, grouped):
        if group["unit"]:
            sheet.section(f"{group['unit']}（{group['count']}家）")
        for row in group["rows"]:
            sheet.row(
                [
                    row["seq"],
                    row["company"],
                    row["city"],
                    row["county"],
                    row["cluster"],
                    row["direction"],
                ]
            )
    sheet.finish()
    return save(workbook, out)


def result_xlsx(
    result: pd.DataFrame,
    programme: Programme,
    progress: dict,
    with_scores: bool,
    experts: pd.DataFrame | None = None,
    out: Path | None = None,
) -> bytes:
    """The review's result: per panel the candidates ranked, their mean, spread, whether flagged
    and proposed; with `with_scores` (province and stewards), a second sheet of each expert's
    total per candidate (never for leadership)."""
    rules = programme.review
    workbook = new_workbook()
    headers = ["评审组", "组内排名", "申报编号", "企业名称", "所属市", "所属集群", "申报方向",
               "评分专家数", "平均分", "分差", "需讨论", "建议入选"]  # fmt: skip
    rule = []
    if rules.top_per_panel is not None:
        rule.append(f"各评审组前 {rules.top_per_panel} 名")
    if rules.floor is not None:
        rule.append(f"平均分不低于 {rules.floor:g} 分")
    notes = [
        f"评分表：已发出 {progress['sent']} 份，已交回 {progress['back']} 份，未交回 {progress['missing']} 份。",
        f"平均分：{rules.trim_from} 位及以上专家评分时去掉一个最高分和一个最低分；"
        f"分差超过 {rules.spread_flag:g} 分的标为需讨论。建议名单：{'且'.join(rule)}。",
    ]
    sheet = Sheet(
        workbook.create_sheet("评审结果"),
        f"{programme.year}年度“领跑者”企业认定专家评审结果",
        headers,
        notes,
    )
    directions = programme.directions
    for row in result.itertuples():
        sheet.row(
            [
                row.panel,
                None if pd.isna(row.rank_in_panel) else int(row.rank_in_panel),
                row.application_id,
                row.company_name,
                row.city,
                row.cluster,
                directions.get(row.direction, row.direction),
                f"{row.experts}/{row.assigned}",
                row.mean_score,
                row.spread,
                "是" if row.flagged else "",
                "是" if row.proposed else "",
            ],
            {9: "0.00", 10: "0.00"},
        )
    sheet.finish()
    if with_scores and experts is not None and len(result):
        ids = list(experts["expert_id"])
        names = dict(zip(experts["expert_id"], experts["name"], strict=True))
        detail = Sheet(
            workbook.create_sheet("各专家评分"),
            "各专家评分（合计分）",
            ["申报编号", "企业名称", *[f"{names[i]}（{i}）" for i in ids]],
        )
        for row in result.itertuples():
            detail.row([row.application_id, row.company_name, *[row.totals.get(i) for i in ids]])
        detail.finish()
    return save(workbook, out)


def check_template(
    leaders: pd.DataFrame, programme: Programme, unit: str, out: Path | None = None
) -> bytes:
    """A unit's yearly check of its leaders: one row per leader, 核查结果 chosen from 正常 / 建议调整,
    a reason for an adjustment; protected but for those two columns."""
    workbook = new_workbook()
    sheet = Sheet(
        workbook.create_sheet("核查表"),
        f"{unit}“领跑者”企业{programme.year}年度核查表",
        CHECK_HEADERS,
        notes=[
            "请逐家核查企业的经营情况，在“核查结果”列选择“正常”或“建议调整”；"
            "建议调整的须在“原因”列写明原因。其他单元格已锁定，请勿改动表格结构。"
        ],
    )
    for position, row in enumerate(leaders.itertuples(), start=1):
        sheet.row(
            [position, row.credit_code, row.company_name, row.cluster, row.since_year, None, None]
        )
    sheet.finish()
    ws = sheet.sheet
    first, last = sheet.header_row + 1, ws.max_row
    choice = DataValidation(
        type="list",
        formula1='"正常,建议调整"',
        allow_blank=True,
        showErrorMessage=True,
        error="请选择“正常”或“建议调整”",
    )
    ws.add_data_validation(choice)
    if last >= first:
        choice.add(f"F{first}:F{last}")
    for number in range(first, last + 1):
        for column in ("F", "G"):
            ws[f"{column}{number}"].protection = Protection(locked=False)
    ws.column_dimensions["F"].width = max(ws.column_dimensions["F"].width or 0, 12)
    ws.column_dimensions["G"].width = max(ws.column_dimensions["G"].width or 0, 30)
    ws.protection.sheet = True
    return save(workbook, out)
