"""The temporary views the rules read: labelled current applications, stages passed on, shared
codes, and the facts each suite's expectations check (computed in SQL)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from lingpao.foundation.programme import Programme, city_passed
from lingpao.quality.phones import refresh_phone_kinds
from lingpao.warehouse.connection import literal

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
# GB 32100-2015 check character of an 18-character code, computed in SQL (fast on the hot path).
USCC_MACRO = f"""
CREATE OR REPLACE TEMP MACRO uscc_check_character(code) AS
  substr('{USCC_ALPHABET}', CAST((31 - list_sum(list_transform(range(17),
      lambda i: (strpos('{USCC_ALPHABET}', substr(code, CAST(i AS BIGINT) + 1, 1)) - 1)
                * {USCC_WEIGHTS}[CAST(i AS BIGINT) + 1])) % 31) % 31 AS BIGINT) + 1, 1)
"""
# Facts every suite shares (the code's parts, and text columns with NULL read as empty).
CODE_FACTS = """
    coalesce(credit_code, '') AS credit_code,
    coalesce(direction, '') AS direction,
    coalesce(application_type, '') AS application_type
"""
CODE_PARTS = """
    CASE WHEN length(credit_code) = 18 THEN right(credit_code, 1) END AS check_character,
    CASE WHEN length(credit_code) = 18 THEN uscc_check_character(credit_code) END AS expected_check_character,
    CASE WHEN length(credit_code) = 18 THEN substr(credit_code, 3, 2) END AS division_prefix,
    coalesce(p.kind, 'missing') AS phone_kind
"""


def _day(value: dt.date) -> int:
    return int(f"{value:%Y%m%d}")


def _evidence_missing(programme: Programme) -> str:
    """Chinese names of a type's required evidence items not uploaded, joined; NULL when complete."""
    cases = []
    for type_id in programme.types:
        items = ", ".join(
            f"CASE WHEN NOT coalesce(ev_{item}, false) THEN {literal(programme.evidence[item])} END"
            for item in programme.required_evidence(type_id)
        )
        cases.append(f"WHEN {literal(type_id)} THEN nullif(concat_ws('、', {items}), '')")
    return f"CASE application_type {' '.join(cases)} END"


def _window(programme: Programme, end: int) -> str:
    """The first (0) or last (1) day of the application's type's window; NULL for a type without
    one (nothing to check)."""
    cases = " ".join(
        f"WHEN {literal(t)} THEN {_day(programme.window(t)[end])}"
        for t in programme.types
        if programme.has_window(t)
    )
    return f"CASE application_type {cases} END" if cases else "CAST(NULL AS BIGINT)"


def create_views(
    conn: duckdb.DuckDBPyConnection,
    programme: Programme,
    phone_tables: tuple[str, ...] = ("applications", "city_submissions"),
) -> None:
    """(Re)create the temporary tables and views the rules and suites read on this connection
    (phones judged for `phone_tables`: a check of one city table judges only its own; none on a
    published copy, read only)."""
    labels = pd.DataFrame(
        [("stage", k, v) for k, v in programme.stage_labels.items()]
        + [("type", k, v["label"]) for k, v in programme.types.items()]
        + [("direction", k, v) for k, v in programme.directions.items()],
        columns=["kind", "id", "label"],
    )
    passed = pd.DataFrame(
        [(t, s) for t in programme.types for s in city_passed(programme, t)],
        columns=["application_type", "stage"],
    )
    conn.register("_labels", labels)
    conn.register("_passed", passed)
    conn.execute("CREATE OR REPLACE TEMP TABLE labels AS SELECT * FROM _labels")
    conn.execute("CREATE OR REPLACE TEMP TABLE city_passed_stage AS SELECT * FROM _passed")
    conn.unregister("_labels")
    conn.unregister("_passed")
    conn.execute("""
        CREATE OR REPLACE TEMP VIEW current_apps AS
        SELECT a.*, coalesce(st.label, a.stage_raw) AS stage_label,
               coalesce(ty.label, a.application_type_raw) AS type_label,
               coalesce(di.label, a.direction_raw) AS direction_label
        FROM applications a
        LEFT JOIN labels st ON st.kind = 'stage' AND st.id = a.stage
        LEFT JOIN labels ty ON ty.kind = 'type' AND ty.id = a.application_type
        LEFT JOIN labels di ON di.kind = 'direction' AND di.id = a.direction
        WHERE a.stage IS DISTINCT FROM 'draft'""")
    listed = ", ".join(map(literal, programme.pool_lists)) or "NULL"
    # The pool and the leaders as of the round: its own lists, and what earlier rounds carry.
    conn.execute(f"""
        CREATE OR REPLACE TEMP VIEW pool_now AS
        SELECT credit_code FROM pool_members
        WHERE credit_code IS NOT NULL AND coalesce(status, 'pool') IN ('pool', 'leader')
          AND kind IN ({listed})
        UNION SELECT credit_code FROM carried_pool WHERE credit_code IS NOT NULL""")
    conn.execute("""
        CREATE OR REPLACE TEMP VIEW leaders_now AS
        SELECT credit_code FROM pool_members
        WHERE kind = 'pool' AND status = 'leader' AND credit_code IS NOT NULL
        UNION SELECT credit_code FROM leaders_as_of WHERE status = 'active'""")
    conn.execute("""CREATE OR REPLACE TEMP VIEW multi_codes AS
        SELECT credit_code FROM current_apps WHERE credit_code IS NOT NULL GROUP BY 1 HAVING count(*) > 1""")
    conn.execute(USCC_MACRO)
    if phone_tables:  # a published copy (the report) holds the kinds judged by its run
        refresh_phone_kinds(conn, list(phone_tables))
    zone = literal(programme.timezone)
    conn.execute(f"""
        CREATE OR REPLACE TEMP VIEW app_facts AS
        SELECT a.* REPLACE ({CODE_FACTS.replace("AS", "AS").strip()}, coalesce(stage, '') AS stage),
               {CODE_PARTS},
               coalesce(CAST(strftime(timezone({zone}, submitted_at), '%Y%m%d') AS BIGINT), 0) AS submitted_day,
               {_window(programme, 0)} AS window_start,
               {_window(programme, 1)} AS window_end,
               {_evidence_missing(programme)} AS evidence_missing
        FROM applications a LEFT JOIN phone_kinds p ON p.phone = a.contact_phone
        WHERE a.stage IS DISTINCT FROM 'draft'""")
    conn.execute(f"""
        CREATE OR REPLACE TEMP VIEW city_facts AS
        SELECT s.* REPLACE ({CODE_FACTS.strip()}), {CODE_PARTS}
        FROM city_submissions s LEFT JOIN phone_kinds p ON p.phone = s.contact_phone""")
