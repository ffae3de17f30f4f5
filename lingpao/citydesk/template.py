"""A unit's 附件2 table pre-filled from the platform: what the city has passed on, ready to check and
send, with drop-down lists so that a hand edit keeps to the allowed types and directions."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from lingpao.exports.summary import city_table_cells, passed_on
from lingpao.exports.workbook import Sheet, new_workbook, save
from lingpao.foundation.programme import Programme

SPARE_ROWS = 200  # rows below the data that keep the drop-down lists, for rows a city adds
LISTS_SHEET = "下拉选项"


def unit_title(unit: str) -> str:
    """`保定市推荐“领跑者”企业培育及认定申报汇总表` (a unit that is no 市 keeps its own name)."""
    suffix = "" if unit.endswith(("市", "新区", "区", "县")) else "市"
    return f"{unit}{suffix}推荐“领跑者”企业培育及认定申报汇总表"


def _choice(sheet, workbook, column: int, labels: list[str], first: int, last: int, what: str):
    """A drop-down list of `labels` on rows first..last of a column; inline when it fits (read by
    every spreadsheet program), else from a hidden sheet."""
    inline = ",".join(labels)
    if (
        len(inline) <= 250
        and not any(c in inline for c in '"')
        and all("," not in x for x in labels)
    ):
        source = f'"{inline}"'
    else:
        lists = (
            workbook[LISTS_SHEET]
            if LISTS_SHEET in workbook.sheetnames
            else workbook.create_sheet(LISTS_SHEET)
        )
        lists.sheet_state = "hidden"
        letter = get_column_letter(lists.max_column + (1 if lists.max_row > 1 else 0))
        for row, label in enumerate(labels, start=1):
            lists[f"{letter}{row}"] = label
        source = f"'{LISTS_SHEET}'!${letter}$1:${letter}${len(labels)}"
    rule = DataValidation(
        type="list",
        formula1=source,
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=f"{what}无效",
        error=f"请从下拉列表中选择{what}",
        promptTitle=what,
        prompt=f"从下拉列表中选择{what}",
        showInputMessage=True,
    )
    letter = get_column_letter(column)
    rule.add(f"{letter}{first}:{letter}{last}")
    sheet.add_data_validation(rule)


def write_city_template(
    conn: duckdb.DuckDBPyConnection, programme: Programme, unit: str, out: Path | None = None
) -> bytes:
    """The unit's 附件2 workbook: title naming the unit, the header, one row per application the
    city passed on in the platform (pool entries and updates confirmed, certifications recommended),
    and drop-down lists for type and direction."""
    if unit not in programme.units:
        raise ValueError(f"“{unit}”不是报送单位")
    frame = passed_on(conn, programme, unit)
    mapping = programme.headers("city_table")
    headers = [spellings[0] for spellings in mapping.values()]
    types = {k: v["label"] for k, v in programme.types.items()}
    as_of = conn.execute("SELECT max(snapshot_at) FROM applications").fetchall()[0][0]
    stamp = f"{as_of.astimezone(ZoneInfo(programme.timezone)):%Y-%m-%d %H:%M}" if as_of else "—"
    workbook = new_workbook()
    sheet = Sheet(
        workbook.create_sheet(unit),
        unit_title(unit),
        headers,
        notes=[
            f"{programme.year}年度。按省平台数据（截至{stamp}）预填本单位已确认入库、已推荐的申报共"
            f"{len(frame)}项；请逐行核对，申报类型、申报方向从下拉列表选择，核对无误后上报。"
        ],
    )
    for seq, row in enumerate(frame.itertuples(), start=1):
        sheet.row(city_table_cells(seq, row, programme))
    sheet.finish()
    columns = list(mapping)
    first, last = sheet.header_row + 1, sheet.header_row + len(frame) + SPARE_ROWS
    for column, labels, what in (
        ("application_type", list(types.values()), "申报类型"),
        ("direction", list(programme.directions.values()), "申报方向"),
    ):
        if column in columns:
            _choice(sheet.sheet, workbook, columns.index(column) + 1, labels, first, last, what)
    return save(workbook, out)
