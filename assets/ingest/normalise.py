"""Column normalisation of ingested rows (codes, units, labels, phones, dates, numbers)."""

from __future__ import annotations

import re

import pandas as pd

from pipelines.programme import Programme
from pipelines.text import clean_label, fold, normalise_code, normalise_phone

_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_CN_DATE = str.maketrans({"年": "-", "月": "-", "日": " ", "/": "-", ".": "-"})

RAW_KEPT = [
    "credit_code",
    "city",
    "application_type",
    "direction",
    "stage",
    "contact_phone",
    "submitted_at",
]
REPORT_POINTS = [
    "revenue_3y_ago",
    "revenue_2y_ago",
    "revenue_last_year",
    "profit_last_year",
    "taxes_last_year",
    "rnd_last_year",
    "employees",
]


def parse_timestamp(text: str, timezone: str) -> pd.Timestamp:
    """An Excel serial or a date string (2023-07-21 10:00, 2023/7/21, 2023年7月21日) as local time."""
    value = fold(text)
    if not value:
        return pd.NaT
    if _NUMBER.match(value):
        serial = float(value)
        if not 20000 <= serial <= 80000:
            return pd.NaT
        stamp = _EXCEL_EPOCH + pd.to_timedelta(round(serial * 86400), unit="s")
    else:
        cleaned = value.translate(_CN_DATE).strip()
        cleaned = re.sub(r"时|点", ":", cleaned).replace("分", "").replace("秒", "").strip(" :")
        stamp = pd.to_datetime(cleaned, errors="coerce")
        if stamp is pd.NaT:
            return pd.NaT
    if stamp.tzinfo is None:
        return stamp.tz_localize(timezone)
    return stamp.tz_convert(timezone)


def parse_number(text: str) -> float | None:
    """A figure such as `1,234.5` or `１２３４` as a float; None when it is not a number."""
    value = fold(text).replace(",", "").replace("，", "")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def uploaded(value: object) -> bool:
    """An evidence flag read back from the warehouse (True, numpy True, False, None or NA) as a bool."""
    return value is not None and not pd.isna(value) and bool(value)


def parse_flag(text: str) -> bool | None:
    """Evidence uploaded: 是 -> True, 否 -> False, anything else -> None."""
    value = fold(text).lower()
    if value in {"是", "有", "y", "yes", "true", "1", "√", "已上传"}:
        return True
    if value in {"否", "无", "n", "no", "false", "0", "×", "未上传"}:
        return False
    return None


def normalise_rows(frame: pd.DataFrame, programme: Programme) -> pd.DataFrame:
    """Canonical columns from raw text columns; the raw text of changed fields kept as `<col>_raw`."""
    out = pd.DataFrame(index=frame.index)
    tz = programme.timezone

    def col(name: str) -> pd.Series:
        if name in frame:
            return frame[name].fillna("").astype(str)
        return pd.Series([""] * len(frame), index=frame.index, dtype=str)

    for name in frame.columns:
        if name.startswith("source_") or name in {"snapshot_at", "snapshot_time_from", "city_unit"}:
            out[name] = frame[name]
    for name in [
        "application_id",
        "company_name",
        "county",
        "cluster",
        "industry",
        "qualification",
        "contact_name",
        "seq",
    ]:
        if name in frame:
            out[name] = col(name).map(clean_label)
    if "credit_code" in frame:
        out["credit_code"] = col("credit_code").map(normalise_code)
    if "city" in frame:
        out["city"] = col("city").map(lambda v: programme.unit_of(v) or clean_label(v))
    if "application_type" in frame:
        out["application_type"] = col("application_type").map(programme.type_of)
    if "direction" in frame:
        out["direction"] = col("direction").map(programme.direction_of)
    if "stage" in frame:
        out["stage"] = col("stage").map(programme.stage_of)
    if "contact_phone" in frame:
        out["contact_phone"] = col("contact_phone").map(normalise_phone)
    if "submitted_at" in frame:
        stamps = [parse_timestamp(v, tz) for v in col("submitted_at")]
        out["submitted_at"] = pd.Series(
            pd.DatetimeIndex(stamps, tz=tz) if stamps else pd.DatetimeIndex([], tz=tz),
            index=frame.index,
        )
    for name in REPORT_POINTS:
        if name in frame:
            out[name] = pd.to_numeric(col(name).map(parse_number), errors="coerce").astype(
                "Float64"
            )
    for name in [c for c in frame.columns if c.startswith("ev_")]:
        out[name] = col(name).map(parse_flag).astype("boolean")
    for name in RAW_KEPT:
        if name in frame:
            out[f"{name}_raw"] = col(name).map(lambda v: v if v != "" else None)
    return out
