"""The expert shortlist: city-recommended certifications with no open error and full evidence, ranked."""

from __future__ import annotations

import pandas as pd

from lingpao.foundation.programme import Programme, city_passed
from lingpao.foundation.schema import evidence_columns
from lingpao.quality.rules import RULES
from lingpao.warehouse.connection import literal, read_frame

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
                   WHERE source IN ('platform', 'city_table') AND status = 'open' AND {BLOCKING}
                   GROUP BY 1) e
               ON e.record_key = a.record_key
        WHERE a.application_type = 'certification' AND a.stage IS DISTINCT FROM 'draft'"""


def shortlist_sql(programme: Programme) -> str:
    weights = programme.shortlist_weights
    unknown = set(weights) - set(PARTS)
    if unknown:
        raise ValueError(
            f"shortlist weights name unknown parts: {sorted(unknown)} (known: {sorted(PARTS)})"
        )
    parts = ", ".join(f"{sql} AS {name}" for name, sql in PARTS.items())
    uploaded = " + ".join(f"CASE WHEN {c} THEN 1 ELSE 0 END" for c in evidence_columns(programme))
    scaled = ", ".join(
        f"CASE WHEN {n} IS NULL THEN 0.0 WHEN max({n}) OVER d = min({n}) OVER d THEN 1.0 "
        f"ELSE ({n} - min({n}) OVER d) / (max({n}) OVER d - min({n}) OVER d) END AS {n}_scaled"
        for n in PARTS
    )
    total = sum(weights.values()) or 1.0
    score = " + ".join(f"{w} * {n}_scaled" for n, w in weights.items())
    return f"""
        WITH eligible AS (
            SELECT *, {parts}, {uploaded} AS evidence_uploaded
            FROM ({classified_sql(programme)}) WHERE recommended AND len(rules) = 0
        ), scaled AS (
            SELECT *, {scaled} FROM eligible WINDOW d AS (PARTITION BY direction)
        ), scored AS (SELECT *, round(100 * ({score}) / {total}, 2) AS score FROM scaled)
        SELECT *, row_number() OVER (PARTITION BY direction ORDER BY score DESC, application_id) AS rank_in_direction
        FROM scored ORDER BY direction, rank_in_direction"""


def exclusions(conn, programme: Programme) -> pd.DataFrame:
    """Every certification left off the shortlist, with reasons as ids and in Chinese (in SQL)."""
    stage_label = " ".join(
        f"WHEN {literal(k)} THEN {literal(v)}" for k, v in programme.stage_labels.items()
    )
    rule_name = " ".join(f"WHEN {literal(k)} THEN {literal(r.name)}" for k, r in RULES.items())
    return read_frame(
        conn,
        f"""
        SELECT *,
            list_concat(CASE WHEN NOT recommended THEN ['stage:' || coalesce(stage, 'None')]
                             ELSE []::VARCHAR[] END, rules) AS reasons,
            concat_ws('；',
                CASE WHEN NOT recommended THEN '当前环节为“' ||
                    CASE stage {stage_label} ELSE coalesce(nullif(stage_raw, ''), '未知') END
                    || '”，尚未经市级推荐' END,
                nullif(array_to_string(list_transform(rules, lambda r: CASE r {rule_name} END), '；'), '')
            ) AS reason_text
        FROM ({classified_sql(programme)})
        WHERE NOT recommended OR len(rules) > 0 ORDER BY application_id""",
    )
