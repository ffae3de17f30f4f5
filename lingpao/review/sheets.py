"""Score sheets: one workbook per expert out, each filled workbook validated whole on its way back.

A sheet holds the expert's candidates only (no contact data), their report points, and one column
per criterion with its maximum; everything but the score cells is protected, and each score cell
accepts a number from 0 to its maximum. A hidden sheet carries a signed token naming the round, the
review's version and the expert, so that a sheet comes back as that expert's or not at all.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

import openpyxl
import pandas as pd
from itsdangerous import BadSignature, URLSafeSerializer
from openpyxl.styles import Alignment, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from lingpao.exports.workbook import Sheet, new_workbook, save
from lingpao.foundation.programme import Programme

SHEET = "评分表"
TOKEN_SHEET = "_lingpao"
SALT = "lingpao-score-sheet"
POINTS = [  # report points shown to the experts (the candidate's frozen figures)
    ("revenue_3y_ago", "营业收入{y1}（万元）", "#,##0.0"),
    ("revenue_2y_ago", "营业收入{y2}（万元）", "#,##0.0"),
    ("revenue_last_year", "营业收入{y3}（万元）", "#,##0.0"),
    ("rnd_intensity", "研发强度", "0.00%"),
    ("profit_last_year", "利润{y3}（万元）", "#,##0.0"),
    ("taxes_last_year", "上缴税金{y3}（万元）", "#,##0.0"),
    ("employees", "从业人员数", "#,##0"),
    ("qualification", "具体专项条件", None),
    ("evidence", "佐证材料", None),
]
FIXED = ["序号", "申报编号", "企业名称", "所属市", "所属集群", "申报方向"]


def criterion_header(name: str, maximum: float) -> str:
    return f"{name}（满分{maximum:g}）"


def point_headers(programme: Programme) -> list[tuple[str, str, str | None]]:
    years = {f"y{i}": y for i, y in enumerate(programme.report_years, start=1)}
    return [(key, label.format(**years), shown) for key, label, shown in POINTS]


def write_sheet(
    programme: Programme,
    secret: str,
    version: int,
    expert: dict,
    candidates: pd.DataFrame,
    directions: dict[str, str],
    out: Path | None = None,
) -> bytes:
    """One expert's score workbook: their `candidates` (rows of the review's candidates), the
    report points, a column per criterion; protected but for the score cells."""
    rules = programme.review
    points = point_headers(programme)
    criteria = [criterion_header(n, m) for n, m in rules.criteria.items()]
    headers = [*FIXED, *[label for _, label, _ in points], *criteria]
    workbook = new_workbook()
    sheet = Sheet(
        workbook.create_sheet(SHEET),
        f"{programme.year}年度“领跑者”企业认定专家评审评分表",
        headers,
        notes=[
            f"评审专家：{expert['name']}（编号 {expert['expert_id']}）　评审组：{expert['panel']}",
            "请在右侧各评分列填写分数（0 至满分，可含一位小数），每家企业每项都要评分；"
            "其他单元格已锁定。填好后保存并交回本文件，不要改动表格结构。",
        ],
    )
    formats = {len(FIXED) + i + 1: shown for i, (_, _, shown) in enumerate(points) if shown}
    first_score = len(FIXED) + len(points) + 1
    for position, row in enumerate(candidates.itertuples(), start=1):
        figures = row.points if isinstance(row.points, dict) else {}
        values = [
            position,
            row.application_id,
            row.company_name,
            row.city,
            row.cluster,
            directions.get(row.direction, row.direction),
            *[figures.get(key) for key, _, _ in points],
            *[None] * len(criteria),
        ]
        sheet.row(values, formats)
    sheet.finish()
    ws = sheet.sheet
    last = ws.max_row
    for offset, (name, maximum) in enumerate(rules.criteria.items()):
        column = get_column_letter(first_score + offset)
        check = DataValidation(
            type="decimal",
            operator="between",
            formula1="0",
            formula2=f"{maximum:g}",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="分数超出范围",
            error=f"{name}的分数应在 0 至 {maximum:g} 之间",
        )
        ws.add_data_validation(check)
        if last > sheet.header_row:
            check.add(f"{column}{sheet.header_row + 1}:{column}{last}")
        for number in range(sheet.header_row + 1, last + 1):
            cell = ws[f"{column}{number}"]
            cell.protection = Protection(locked=False)
            cell.alignment = Alignment(horizontal="center")
        ws.column_dimensions[column].width = max(ws.column_dimensions[column].width or 0, 12)
    ws.protection.sheet = True
    ws.protection.formatCells = False
    ws.protection.formatColumns = False
    token = workbook.create_sheet(TOKEN_SHEET)
    token["A1"] = URLSafeSerializer(secret, salt=SALT).dumps(
        {"year": programme.year, "version": version, "expert": str(expert["expert_id"])}
    )
    token.sheet_state = "veryHidden"
    token.protection.sheet = True
    return save(workbook, out)


@dataclass
class SheetReading:
    """What a filled sheet says, or why it cannot be taken (every problem, located)."""

    file_name: str
    expert_id: str | None = None
    year: int | None = None
    version: int | None = None
    scores: list[tuple[str, str, float]] = field(
        default_factory=list
    )  # (application, criterion, score)
    problems: list[str] = field(default_factory=list)
    sha256: str = ""


def read_sheet(
    data: bytes,
    file_name: str,
    programme: Programme,
    secret: str,
    version: int,
    assigned: dict[str, set[str]],
) -> SheetReading:
    """A returned sheet, checked whole: it is a sheet of this round's review (its current version)
    and of an expert it names; it holds every candidate assigned to that expert once and no other;
    every score is a number within its maximum. `assigned`: expert -> application ids."""
    reading = SheetReading(file_name=file_name, sha256=hashlib.sha256(data).hexdigest())
    try:
        workbook = openpyxl.load_workbook(BytesIO(data), data_only=True)
    except Exception:  # not a workbook openpyxl can read: said, never a traceback
        reading.problems.append(f"“{file_name}”不是可读取的 .xlsx 评分表")
        return reading
    if TOKEN_SHEET not in workbook.sheetnames or SHEET not in workbook.sheetnames:
        reading.problems.append(f"“{file_name}”不是本系统生成的评分表（缺少评分表或其标识）")
        return reading
    try:
        token = URLSafeSerializer(secret, salt=SALT).loads(workbook[TOKEN_SHEET]["A1"].value or "")
    except BadSignature:
        reading.problems.append(f"“{file_name}”的评分表标识无效（可能被改动，或不是本系统生成的）")
        return reading
    reading.expert_id, reading.year, reading.version = (
        str(token["expert"]),
        int(token["year"]),
        int(token["version"]),
    )
    if reading.year != programme.year or reading.version != version:
        reading.problems.append(
            f"“{file_name}”是{reading.year}年度第{reading.version}版评审的评分表，"
            f"当前为{programme.year}年度第{version}版评审"
        )
        return reading
    if reading.expert_id not in assigned:
        reading.problems.append(
            f"“{file_name}”的专家编号 {reading.expert_id} 不在本次评审的专家名单中"
        )
        return reading
    ws = workbook[SHEET]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    header_at = next(
        (i for i, r in enumerate(rows) if r and "申报编号" in [str(v).strip() for v in r if v]),
        None,
    )
    if header_at is None:
        reading.problems.append(f"工作表“{SHEET}”：找不到表头（“申报编号”）")
        return reading
    header = [str(v).strip() if v is not None else "" for v in rows[header_at]]
    criteria = programme.review.criteria
    columns = {}
    for name, maximum in criteria.items():
        label = criterion_header(name, maximum)
        if label not in header:
            reading.problems.append(f"工作表“{SHEET}”：缺少评分列“{label}”")
        else:
            columns[name] = header.index(label)
    id_column = header.index("申报编号")
    wanted, seen = assigned[reading.expert_id], set()
    for offset, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        application = row[id_column] if id_column < len(row) else None
        if application is None or str(application).strip() == "":
            if any(row[c] not in (None, "") for c in columns.values() if c < len(row)):
                reading.problems.append(f"工作表“{SHEET}”第{offset}行：有分数但没有申报编号")
            continue
        application = str(application).strip()
        where = f"工作表“{SHEET}”第{offset}行（申报编号 {application}）"
        if application not in wanted:
            reading.problems.append(f"{where}：不是分配给该专家评审的企业")
            continue
        if application in seen:
            reading.problems.append(f"{where}：同一企业出现了两次")
            continue
        seen.add(application)
        for name, column in columns.items():
            maximum = criteria[name]
            cell = f"{get_column_letter(column + 1)}{offset}"
            value = row[column] if column < len(row) else None
            label = f"{where}“{criterion_header(name, maximum)}”列（{cell}）"
            if value is None or (isinstance(value, str) and not value.strip()):
                reading.problems.append(f"{label}：未评分")
                continue
            try:
                score = (
                    float(str(value).strip())
                    if not isinstance(value, (int, float))
                    else float(value)
                )
            except ValueError:
                reading.problems.append(f"{label}：“{value}”不是数字")
                continue
            if isinstance(value, bool) or not 0 <= score <= maximum:
                reading.problems.append(f"{label}：{value} 超出 0 至 {maximum:g} 的范围")
                continue
            reading.scores.append((application, name, score))
    for application in sorted(wanted - seen):
        reading.problems.append(
            f"工作表“{SHEET}”：缺少分配给该专家的企业（申报编号 {application}）"
        )
    if reading.problems:
        reading.scores = []  # a sheet is taken whole or not at all
    return reading
