"""City summary tables (附件2): the application rows of each unit's xlsx, xls or docx table."""

from __future__ import annotations

import dagster as dg
import pandas as pd
from dagster_duckdb import DuckDBResource

from assets.corrections.outcomes import correct, record_outcomes
from assets.ingest.files import file_record, listing_record, record_files
from assets.ingest.headers import find_header, records_below
from assets.ingest.inbox import list_files
from assets.ingest.normalise import normalise_rows
from assets.ingest.readers import Sheet, UnreadableFile, read_sheets
from assets.materialize import table_result
from assets.warehouse import open_warehouse, replace_table
from pipelines.programme import Programme
from pipelines.resources import CorrectionsResource, InboxResource
from pipelines.text import fold, is_ellipsis

NOT_A_COMPANY = {"合计", "小计", "总计"}


def is_application_row(record: dict[str, str], header: dict[str, str]) -> bool:
    """True for a row naming a company or code; False for blank, `…`, `注：`, total or header rows."""
    values = [fold(v) for v in record.values()]
    filled = [v for v in values if v]
    if not filled:
        return False
    if filled[0].startswith(("注", "备注", "说明", "填表")):
        return False
    if record == header:  # a header repeated after a page break
        return False
    name, code = fold(record.get("company_name")), fold(record.get("credit_code"))
    if name in NOT_A_COMPANY or filled[0].replace(" ", "") in NOT_A_COMPANY:
        return False
    meaningful = [v for v in (name, code) if v and not is_ellipsis(v)]
    return bool(meaningful)


def reporting_unit(sheet: Sheet, header_row: int, file_stem: str, programme: Programme):
    """(unit, where it was found): the title above the header, else the sheet name, else the file name."""
    title_lines = sheet.preamble + [" ".join(r) for r in sheet.rows[:header_row]]
    for text, source in (
        ("".join(title_lines), "title"),
        (sheet.name, "sheet"),
        (file_stem, "file_name"),
    ):
        unit = programme.unit_in(text)
        if unit:
            return unit, source
    return None, None


def read_city_inbox(inbox, programme: Programme) -> tuple[pd.DataFrame, list[dict]]:
    """Application rows of every city table, with unit and source location, and the file log."""
    mapping = programme.headers("city_table")
    required = programme.required_columns("city_table")
    frames, records = [], []
    for file in list_files(inbox, "cities"):
        unread = listing_record(file, "city_table")
        if unread:
            records.append(unread)
            continue
        try:
            sheets = read_sheets(file.path)
        except UnreadableFile as error:
            records.append(
                file_record(file, "city_table", status="unreadable", reason=str(error), rows=0)
            )
            continue
        rows, used, units, reasons = [], [], set(), []
        for sheet in sheets:
            match = find_header(sheet.rows, mapping, required)
            if match is None:
                continue
            unit, unit_from = reporting_unit(sheet, match.row_index, file.path.stem, programme)
            if unit is None:
                reasons.append(
                    f"工作表“{sheet.name}”无法判断所属市（标题、工作表名、文件名均未写明）"
                )
                continue
            header = {c: sheet.rows[match.row_index][p] for p, c in match.columns.items()}
            used.append(sheet.name)
            units.add((unit, unit_from))
            for row_number, record in records_below(sheet.rows, match):
                if not is_application_row(record, header):
                    continue
                record.update(
                    source_file=file.name,
                    source_sheet=sheet.name,
                    source_row=row_number,
                    city_unit=unit,
                    unit_from=unit_from,
                )
                rows.append(record)
        if not used:
            reason = "；".join(reasons) or "未找到附件2表头（需含“企业名称”“统一社会信用代码”）"
            records.append(
                file_record(file, "city_table", status="unreadable", reason=reason, rows=0)
            )
            continue
        frames.append(pd.DataFrame.from_records(rows) if rows else pd.DataFrame())
        unit_names = sorted({u for u, _ in units})
        records.append(
            file_record(
                file,
                "city_table",
                rows=len(rows),
                sheets="、".join(used),
                city="、".join(unit_names),
                unit_from="、".join(sorted({s for _, s in units})),
                reason="；".join(reasons) or None,
            )
        )
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    out = normalise_rows(frame, programme)
    if len(out):
        out["city"] = frame["city_unit"]
        out["unit_from"] = frame["unit_from"]
    return out, records


@dg.asset(group_name="ingest", kinds={"duckdb"})
def city_submissions(
    inbox: InboxResource, warehouse: DuckDBResource, corrections: CorrectionsResource
) -> dg.MaterializeResult:
    """Every application row of every city summary table (附件2) in inbox/cities, corrected."""
    programme = inbox.programme()
    rows, records = read_city_inbox(inbox.root, programme)
    keys = (
        rows["source_file"] + ":" + rows["source_row"].astype(str)
        if len(rows)
        else pd.Series(dtype=str)
    )
    rows, outcomes = correct(rows, corrections.store().corrections(), "city_table", keys, programme)
    with open_warehouse(warehouse) as conn:
        count = replace_table(conn, "city_submissions", rows)
        record_files(conn, "cities", records)
        record_outcomes(conn, "city_table", outcomes)
        return table_result(
            conn,
            "city_submissions",
            count,
            files=len(records),
            unreadable=sum(r["status"] != "read" for r in records),
        )
