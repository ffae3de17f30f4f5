"""City summary tables (附件2): the application rows of a unit's xlsx, xls or docx table."""

from __future__ import annotations

import duckdb

from lingpao.foundation.programme import Programme
from lingpao.foundation.text import fold, is_ellipsis
from lingpao.ingest.headers import find_header
from lingpao.ingest.raw import insert_batch
from lingpao.ingest.readers import Sheet, cell_text
from lingpao.ingest.tables import table_batches

NOT_A_COMPANY = {"合计", "小计", "总计"}


def is_application_row(record: dict[str, str], header: dict[str, str]) -> bool:
    """True for a row naming a company or code; False for blank, `…`, `注：`, total or header rows.
    (Folds only the cells it looks at: it runs on every row of every city table.)"""
    name, code = fold(record.get("company_name")), fold(record.get("credit_code"))
    if not any(v and not is_ellipsis(v) for v in (name, code)):
        return False  # blank rows, `…` rows and notes without a company or code
    first = fold(next((v for v in record.values() if v and v.strip()), ""))
    if first.startswith(("注", "备注", "说明", "填表")):
        return False
    if record == header:  # a header repeated after a page break
        return False
    return name not in NOT_A_COMPANY and first.replace(" ", "") not in NOT_A_COMPANY


def reporting_unit(sheet: Sheet, header_row: int, file_stem: str, programme: Programme):
    """(unit, where it was found): the title above the header, else the sheet name, else the file name."""
    title_lines = sheet.preamble + [" ".join(r) for r in sheet.head[:header_row]]
    for text, source in (
        ("".join(title_lines), "title"),
        (sheet.name, "sheet"),
        (file_stem, "file_name"),
    ):
        unit = programme.unit_in(text)
        if unit:
            return unit, source
    return None, None


def parse_city_table(
    conn: duckdb.DuckDBPyConnection,
    sheets: list[Sheet],
    file_hash: str,
    file_stem: str,
    programme: Programme,
    unit: str | None = None,
) -> dict:
    """The application rows of every sheet with the 附件2 header into `raw_city`; the log fields.
    `unit`: the unit the table was submitted for (else told by title, sheet or file name)."""
    mapping, required = programme.headers("city_table"), programme.required_columns("city_table")
    used, units, reasons, rows, claimed = [], set(), [], 0, set()
    for sheet in sheets:
        match = find_header(sheet.head, mapping, required)
        if match is None:
            continue
        told, told_from = reporting_unit(sheet, match.row_index, file_stem, programme)
        sheet_unit, unit_from = (unit, "submission") if unit else (told, told_from)
        if unit and told and told != unit:
            claimed.add(told)
            reasons.append(f"工作表“{sheet.name}”写明为{told}，按报送单位{unit}读取")
        if sheet_unit is None:
            reasons.append(f"工作表“{sheet.name}”无法判断所属市（标题、工作表名、文件名均未写明）")
            continue
        header = {c: sheet.head[match.row_index][p] for p, c in match.columns.items()}

        def keep(row: list, match=match, header=header) -> bool:
            record = {
                c: cell_text(row[p]) if p < len(row) else "" for p, c in match.columns.items()
            }
            return is_application_row(record, header)

        used.append(sheet.name)
        units.add((sheet_unit, unit_from))
        constants = {
            "file_hash": file_hash,
            "source_sheet": sheet.name,
            "unit": sheet_unit,
            "unit_from": unit_from,
        }
        for batch in table_batches(sheet, match, list(mapping), constants, keep=keep):
            insert_batch(conn, "raw_city", batch)
            rows += batch.num_rows
    if not used:
        reason = "；".join(reasons) or "未找到附件2表头（需含“企业名称”“统一社会信用代码”）"
        return {"status": "unreadable", "reason": reason}
    return {
        "status": "read",
        "rows": rows,
        "sheets": "、".join(used),
        "city": "、".join(sorted({u for u, _ in units})),
        "unit_from": "、".join(sorted({s for _, s in units})),
        "reason": "；".join(reasons) or None,
        "claimed_unit": "、".join(sorted(claimed)) or None,  # not kept: for `lingpao check`
    }
