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
    sent = tables_sent(conn)
    groups = {
        (city if isinstance(city, str) else None): rows
        for city, rows in frame.groupby("city", sort=False, dropna=False)
    }
    units = [unit] if unit else [*programme.units, *[c for c in groups if c not in programme.units]]
    for name in units:
        rows = groups.get(name, frame.iloc[0:0])
        shown = name or "所属市不明"
        suffix = "" if name in (None, "雄安新区") or name not in programme.units else "市"
        table = "" if name is None else ("，汇总表已报送" if name in sent else "，汇总表未报送")
        sheet.section(f"{shown}{suffix}（{len(rows)}项{table}）")
        if rows.empty:
            sheet.row(["", "（无已确认或推荐的申报）", *[""] * (len(headers) - 2)])
        for seq, row in enumerate(rows.itertuples(), start=1):
            sheet.row(city_table_cells(seq, row, programme))
    sheet.finish()
    return save(workbook, out)


def tables_sent(conn: duckdb.DuckDBPyConnection) -> set[str]:
    """The units whose city table was read (a submitted version or an inbox file)."""
    present = {
        r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    if "inbox_files" not in present:
        return set()
    rows = conn.execute(
        "SELECT DISTINCT unnest(string_split(coalesce(city, ''), '、')) FROM inbox_files "
        "WHERE folder = 'cities' AND status = 'read'"
    ).fetchall()
    return {r[0] for r in rows if r[0]}
