"""The expert shortlist: city-recommended certifications with no open error and full evidence, ranked."""

from __future__ import annotations

import dagster as dg
import pandas as pd
from dagster_duckdb import DuckDBResource

from assets.materialize import table_result
from assets.quality.catalogue import RULES
from assets.quality.issues import dq_issues
from assets.warehouse import open_warehouse, read_frame, replace_table, replace_table_from_sql
from pipelines.programme import Programme, city_passed
from pipelines.resources import InboxResource

# The score's parts: name -> SQL over an application row. Weights live in the programme file.
PARTS = {
    "rnd_intensity": "CASE WHEN revenue_last_year > 0 THEN rnd_last_year / revenue_last_year END",
    "revenue_growth": "CASE WHEN revenue_3y_ago > 0 AND revenue_last_year > 0 "
    "THEN pow(revenue_last_year / revenue_3y_ago, 0.5) - 1 END",
    "profit": "profit_last_year",
    "taxes": "taxes_last_year",
}
# Issues that keep a certification off the shortlist while open: every error, and missing evidence.
BLOCKING = "(severity = 'error' OR rule = 'evidence_incomplete')"


def classified_sql(programme: Programme) -> str:
    """Every submitted certification with its open blocking rules and whether its city recommended it."""
    passed = ", ".join(f"'{s}'" for s in city_passed(programme, "certification"))
    return f"""
        SELECT a.*, coalesce(e.rules, []) AS rules, coalesce(a.stage IN ({passed}), false) AS recommended
        FROM applications a
        LEFT JOIN (SELECT record_key, list(DISTINCT rule ORDER BY rule) AS rules FROM dq_issues
                   WHERE source = 'platform' AND status = 'open' AND {BLOCKING} GROUP BY 1) e
               ON e.record_key = a.application_id
        WHERE a.application_type = 'certification' AND a.stage IS DISTINCT FROM 'draft'"""


def shortlist_sql(programme: Programme) -> str:
    weights = programme.shortlist_weights
    unknown = set(weights) - set(PARTS)
    if unknown:
        raise ValueError(
            f"shortlist weights name unknown parts: {sorted(unknown)} (known: {sorted(PARTS)})"
        )
    parts = ", ".join(f"{sql} AS {name}" for name, sql in PARTS.items())
    scaled = ", ".join(
        f"CASE WHEN {n} IS NULL THEN 0.0 WHEN max({n}) OVER d = min({n}) OVER d THEN 1.0 "
        f"ELSE ({n} - min({n}) OVER d) / (max({n}) OVER d - min({n}) OVER d) END AS {n}_scaled"
        for n in PARTS
    )
    total = sum(weights.values()) or 1.0
    score = " + ".join(f"{w} * {n}_scaled" for n, w in weights.items())
    return f"""
        WITH eligible AS (
            SELECT *, {parts} FROM ({classified_sql(programme)}) WHERE recommended AND len(rules) = 0
        ), scaled AS (
            SELECT *, {scaled} FROM eligible WINDOW d AS (PARTITION BY direction)
        ), scored AS (SELECT *, round(100 * ({score}) / {total}, 2) AS score FROM scaled)
        SELECT *, row_number() OVER (PARTITION BY direction ORDER BY score DESC, application_id) AS rank_in_direction
        FROM scored ORDER BY direction, rank_in_direction"""


def exclusions(conn, programme: Programme) -> pd.DataFrame:
    """Every certification left off the shortlist, with reasons as ids and in Chinese."""
    frame = read_frame(
        conn,
        f"SELECT * FROM ({classified_sql(programme)}) "
        "WHERE NOT recommended OR len(rules) > 0 ORDER BY application_id",
    )
    reasons, texts = [], []
    for row in frame.itertuples():
        ids, words = [], []
        if not row.recommended:
            ids.append(f"stage:{row.stage}")
            label = programme.stage_labels.get(row.stage, row.stage_raw or "未知")
            words.append(f"当前环节为“{label}”，尚未经市级推荐")
        for rule in row.rules:
            ids.append(rule)
            words.append(f"{RULES[rule].name}（{rule}）")
        reasons.append(ids)
        texts.append("；".join(words))
    frame["reasons"], frame["reason_text"] = reasons, texts
    return frame


@dg.asset(group_name="marts", kinds={"duckdb"}, deps=[dq_issues])
def shortlist(inbox: InboxResource, warehouse: DuckDBResource) -> dg.MaterializeResult:
    """Certifications for the expert review, ranked within each direction by a transparent score."""
    with open_warehouse(warehouse) as conn:
        count = replace_table_from_sql(conn, "shortlist", shortlist_sql(inbox.programme()))
        return table_result(conn, "shortlist", count)


@dg.asset(group_name="marts", kinds={"duckdb"}, deps=[dq_issues])
def shortlist_exclusions(inbox: InboxResource, warehouse: DuckDBResource) -> dg.MaterializeResult:
    """Every certification not on the shortlist, and why (stage, rule ids)."""
    with open_warehouse(warehouse) as conn:
        count = replace_table(conn, "shortlist_exclusions", exclusions(conn, inbox.programme()))
        return table_result(conn, "shortlist_exclusions", count)
