"""The province summary in the 附件2 layout: what the cities have passed on, grouped by unit."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from lingpao.exports.workbook import Sheet, new_workbook, save
from lingpao.foundation.programme import Programme, city_passed
from lingpao.warehouse.connection import read_frame


def passed_on(
    conn: duckdb.DuckDBPyConnection, programme: Programme, unit: str | None = None
) -> pd.DataFrame:
    """Applications the cities passed on: pool entries and info updates at city_confirmed or later,
    certifications at city_recommended or later; in unit order, then by application id."""
    pairs = [(t, s) for t in programme.types for s in city_passed(programme, t)]
    values = ", ".join(f"('{t}', '{s}')" for t, s in pairs)
    order = ", ".join(f"'{u}'" for u in programme.units)
    frame = read_frame(
        conn,
        f"""
        SELECT a.* FROM applications a
        JOIN (VALUES {values}) p(application_type, stage) USING (application_type, stage)
        WHERE ? IS NULL OR a.city = ?
        ORDER BY coalesce(list_position([{order}], a.city), 99), a.city, a.application_id""",
        [unit, unit],
    )
    return frame


def city_table_cells(seq: int, row, programme: Programme) -> list:
    """One row of the 附件2 layout from an application (a row of `passed_on`): labels, not ids."""
    return [
        seq,
        row.company_name,
        row.credit_code,
        row.industry,
        programme.types.get(row.application_type, {}).get("label"),
        programme.directions.get(row.direction, row.direction_raw),
        row.qualification,
        row.contact_name,
        row.contact_phone,
    ]


def write_summary(
    conn: duckdb.DuckDBPyConnection,
    programme: Programme,
    out: Path | None = None,
    unit: str | None = None,
) -> bytes:
    """The 附件2-layout workbook; one section per reporting unit, 序号 restarting in each."""
    frame = passed_on(conn, programme, unit)
    headers = [
        spellings[0] for spellings in programme.headers("city_table").values()
    ]  # the 附件2 header
    workbook = new_workbook()
    scope = f"{unit}" if unit else "河北省"
    sheet = Sheet(
        workbook.create_sheet("汇总表"),
        f"{scope}推荐“领跑者”企业培育及认定申报汇总表",
        headers,
        notes=[
            f"{programme.year}年度，共{len(frame)}项（入库培育、信息更新为市级已确认入库及以后，认定为市级已推荐及以后）"
        ],
    )
    for city, rows in frame.groupby("city", sort=False, dropna=False):
        name = city if isinstance(city, str) else "(所属市不明)"
        sheet.section(
            f"{name}{'' if name in ('雄安新区', '(所属市不明)') else '市'}（{len(rows)}项）"
        )
        for seq, row in enumerate(rows.itertuples(), start=1):
            sheet.row(city_table_cells(seq, row, programme))
    sheet.finish()
    return save(workbook, out)
