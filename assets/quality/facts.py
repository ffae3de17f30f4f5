"""The frames the GX suites validate: one row per record, with the facts each column rule reads."""

from __future__ import annotations

from functools import lru_cache

import duckdb
import pandas as pd
import phonenumbers

from assets.ingest.normalise import uploaded
from assets.warehouse import read_frame
from pipelines.programme import Programme

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
# GB 32100-2015 check character of an 18-character code, computed in SQL (fast on the hot path).
USCC_MACRO = f"""
CREATE OR REPLACE TEMP MACRO uscc_check_character(code) AS
  substr('{USCC_ALPHABET}', CAST((31 - list_sum(list_transform(range(17),
      lambda i: (strpos('{USCC_ALPHABET}', substr(code, CAST(i AS BIGINT) + 1, 1)) - 1)
                * {USCC_WEIGHTS}[CAST(i AS BIGINT) + 1])) % 31) % 31 AS BIGINT) + 1, 1)
"""
CODE_FACTS = """
    coalesce(credit_code, '') AS credit_code,
    CASE WHEN length(credit_code) = 18 THEN right(credit_code, 1) END AS check_character,
    CASE WHEN length(credit_code) = 18 THEN uscc_check_character(credit_code) END AS expected_check_character,
    CASE WHEN length(credit_code) = 18 THEN substr(credit_code, 3, 2) END AS division_prefix,
    coalesce(direction, '') AS direction,
    coalesce(application_type, '') AS application_type,
    contact_phone
"""


@lru_cache(maxsize=65536)
def phone_kind(phone: object) -> str:
    """`mobile`, `fixed_line`, `fixed_line_or_mobile`, or `invalid`/`missing`, by phonenumbers (CN)."""
    if not isinstance(phone, str) or not phone:
        return "missing"
    try:
        number = phonenumbers.parse(phone, "CN")
    except phonenumbers.NumberParseException:
        return "invalid"
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        return "invalid"
    kind = phonenumbers.number_type(number)
    return {
        phonenumbers.PhoneNumberType.MOBILE: "mobile",
        phonenumbers.PhoneNumberType.FIXED_LINE: "fixed_line",
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    }.get(kind, "other")


def _day(value) -> int:
    return int(f"{value:%Y%m%d}")


def evidence_missing(row: pd.Series, programme: Programme) -> str | None:
    """Chinese names of the required evidence items not uploaded (`否` or missing); None if complete."""
    if row["application_type"] not in programme.types:
        return None
    missing = [
        programme.evidence[item]
        for item in programme.required_evidence(row["application_type"])
        if not uploaded(row.get(f"ev_{item}"))
    ]
    return "、".join(missing) or None


def application_facts(conn: duckdb.DuckDBPyConnection, programme: Programme) -> pd.DataFrame:
    """Facts of every current, submitted (non-draft) application."""
    conn.execute(USCC_MACRO)
    evidence = ", ".join(f"ev_{item}" for item in programme.evidence)
    frame = read_frame(
        conn,
        f"""
        SELECT application_id AS record_key, {CODE_FACTS}, coalesce(stage, '') AS stage,
               coalesce(CAST(strftime(timezone('{programme.timezone}', submitted_at), '%Y%m%d') AS BIGINT), 0)
                   AS submitted_day,
               {evidence}
        FROM applications WHERE stage IS DISTINCT FROM 'draft' ORDER BY application_id""",
    )
    windows = {t: tuple(_day(d) for d in programme.window(t)) for t in programme.types}
    frame["window_start"] = (
        frame["application_type"].map(lambda t: windows.get(t, (None, None))[0]).astype("Int64")
    )
    frame["window_end"] = (
        frame["application_type"].map(lambda t: windows.get(t, (None, None))[1]).astype("Int64")
    )
    frame["submitted_day"] = frame["submitted_day"].astype("Int64")
    frame["phone_kind"] = frame["contact_phone"].map(phone_kind)
    frame["evidence_missing"] = (
        frame.apply(evidence_missing, axis=1, programme=programme) if len(frame) else None
    )
    return frame


def city_row_facts(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Facts of every application row of every city table; record_key is `file:row`."""
    conn.execute(USCC_MACRO)
    frame = read_frame(
        conn,
        f"""
        SELECT source_file || ':' || source_row AS record_key, {CODE_FACTS}
        FROM city_submissions ORDER BY source_file, source_row""",
    )
    frame["phone_kind"] = frame["contact_phone"].map(phone_kind)
    return frame


def suite_parameters(programme: Programme) -> dict:
    """Values the suites take from the programme year (`$PARAMETER` in expectations/*.json)."""
    return {
        "hebei_division_prefixes": [programme.hebei_prefix],
        "directions": list(programme.directions),
        "application_types": list(programme.types),
        "stages": [s["id"] for s in programme.stages],
    }
