"""The expert shortlist workbook: one sheet per direction, the score and its parts, no contact data."""

from __future__ import annotations

from pathlib import Path

import duckdb

from lingpao.exports.workbook import Sheet, new_workbook, save
from lingpao.foundation.programme import Programme
from lingpao.labels import weights_text
from lingpao.warehouse.connection import read_frame

COLUMNS = [  # (header, column, number format)
    ("排名", "rank_in_direction", "0"),
    ("申报编号", "application_id", None),
    ("统一社会信用代码", "credit_code", None),
    ("企业名称", "company_name", None),
    ("所属市", "city", None),
    ("所属县（市、区）", "county", None),
    ("所属集群", "cluster", None),
    ("综合得分", "score", "0.0"),
    ("研发强度", "rnd_intensity", "0.0%"),
    ("营收年均增长率", "revenue_growth", "0.0%"),
    ("利润（万元）", "profit", "#,##0"),
    ("上缴税金（万元）", "taxes", "#,##0"),
    ("研发强度得分", "rnd_intensity_scaled", "0.00"),
    ("增长得分", "revenue_growth_scaled", "0.00"),
    ("利润得分", "profit_scaled", "0.00"),
    ("税金得分", "taxes_scaled", "0.00"),
    ("营业收入前三年（万元）", "revenue_3y_ago", "#,##0"),
    ("营业收入前两年（万元）", "revenue_2y_ago", "#,##0"),
    ("营业收入上年（万元）", "revenue_last_year", "#,##0"),
    ("研发费用上年（万元）", "rnd_last_year", "#,##0"),
    ("从业人员数", "employees", "#,##0"),
]
EXCLUDED = [
    ("申报编号", "application_id"),
    ("统一社会信用代码", "credit_code"),
    ("企业名称", "company_name"),
    ("所属市", "city"),
    ("申报方向", "direction"),
    ("未列入原因", "reason_text"),
]


def write_shortlist(
    conn: duckdb.DuckDBPyConnection,
    programme: Programme,
    out: Path | None = None,
    unit: str | None = None,
) -> bytes:
    """Sheets per direction (in the programme's order) and one of the certifications left off, with why."""
    ranked = read_frame(
        conn,
        "SELECT * FROM shortlist WHERE ? IS NULL OR city = ? ORDER BY direction, rank_in_direction",
        [unit, unit],
    )
    workbook = new_workbook()
    weights = weights_text(programme.shortlist_weights)
    formats = {i: f for i, (_, _, f) in enumerate(COLUMNS, start=1) if f}
    for direction, label in programme.directions.items():
        rows = ranked[ranked["direction"] == direction]
        sheet = Sheet(
            workbook.create_sheet(label),
            f"{programme.year}年度“领跑者”企业认定专家评审名单——{label}",
            [h for h, _, _ in COLUMNS],
            notes=[
                f"共{len(rows)}家；综合得分=各项在本方向内按最小-最大归一后的加权和×100，权重：{weights}"
            ],
        )
        for row in rows.itertuples():
            sheet.row([getattr(row, column) for _, column, _ in COLUMNS], formats)
        sheet.finish()
    excluded = read_frame(
        conn,
        "SELECT * FROM shortlist_exclusions WHERE ? IS NULL OR city = ? ORDER BY application_id",
        [unit, unit],
    )
    sheet = Sheet(
        workbook.create_sheet("未列入名单"),
        "未列入专家评审名单的认定申报及原因",
        [h for h, _ in EXCLUDED],
    )
    for row in excluded.itertuples():
        values = [getattr(row, c) for _, c in EXCLUDED]
        values[4] = programme.directions.get(values[4], values[4])
        sheet.row(values)
    sheet.finish()
    return save(workbook, out)
