"""Which fields a steward may correct, how new values are normalised (the ingest's SQL) and checked."""

from __future__ import annotations

import duckdb
import pandas as pd
from stdnum.cn import uscc

from assets.corrections.store import check_lengths
from assets.foundation.programme import Programme
from assets.foundation.schema import RAW_KEPT
from assets.foundation.text import fold_label
from assets.ingest.normalise import normalised_values
from assets.labels import FIELDS
from assets.quality.phones import VALID_KINDS, phone_kind

FIELD_LABELS = {f: FIELDS[f] for f in FIELDS if f not in ("application_id", "evidence")}
CORRECTABLE = {
    "platform": list(FIELD_LABELS),
    "city_table": [
        "credit_code",
        "company_name",
        "industry",
        "application_type",
        "direction",
        "qualification",
        "contact_name",
        "contact_phone",
    ],
}
RAW_COLUMNS = set(RAW_KEPT)  # fields whose file text ingest keeps as `<field>_raw`
# How ingest normalises each field (SQL over `f`, the folded text); other fields are cleaned text.
FIELD_SQL = {
    "credit_code": "norm_code(f)",
    "application_type": "type_of(f)",
    "direction": "direction_of(f)",
    "stage": "stage_of(f)",
    "city": "unit_of(f)",
    "contact_phone": "norm_phone(f)",
    "submitted_at": "parse_stamp(f)",
}
HINTS = {
    "credit_code": "应为18位且校验位正确",
    "application_type": "应为入库培育、“领跑者”企业认定或信息更新",
    "direction": "应为六个申报方向之一",
    "stage": "应为平台的环节名称",
    "city": "应为14个报送单位之一",
    "contact_phone": "应为有效的手机或固定电话",
    "submitted_at": "应为日期时间，如 2023-07-21 10:00",
}


def normalise_values(
    field: str,
    texts: list[str],
    programme: Programme,
    conn: duckdb.DuckDBPyConnection | None = None,
) -> list[object]:
    """The warehouse values of corrected texts of one field, exactly as ingest would normalise them;
    None for a text that is not a valid value."""
    own = conn is None
    conn = conn or duckdb.connect()
    try:
        texts = ["" if t is None else str(t) for t in texts]
        values = normalised_values(conn, programme, FIELD_SQL.get(field, "clean_label(f)"), texts)
    finally:
        if own:
            conn.close()
    if field == "credit_code":
        return [v if v and uscc.is_valid(v) else None for v in values]
    if field == "contact_phone":
        return [v if phone_kind(v) in VALID_KINDS else None for v in values]
    return [None if v is None or (not isinstance(v, str) and pd.isna(v)) else v for v in values]


def normalise_value(field: str, text: str, programme: Programme) -> object:
    return normalise_values(field, [text], programme)[0]


def check_values(
    source: str, items: list[tuple[str, str, str]], programme: Programme
) -> list[str | None]:
    """For (field, new text, reason) items: why each cannot be taken (in Chinese), or None.
    Values are normalised in one query per field, so a batch of thousands is checked at once."""
    problems: list[str | None] = [None] * len(items)
    by_field: dict[str, list[int]] = {}
    for index, (field, text, reason) in enumerate(items):
        if field not in CORRECTABLE.get(source, []):
            allowed = "、".join(FIELD_LABELS[f] for f in CORRECTABLE.get(source, []))
            problems[index] = f"字段“{field}”不能更正（可更正：{allowed}）"
            continue
        too_long = check_lengths(field, str(text or ""), reason)
        if too_long:
            problems[index] = f"{FIELD_LABELS[field]}：{too_long}"
            continue
        by_field.setdefault(field, []).append(index)
    if not by_field:
        return problems
    with duckdb.connect() as conn:
        for field, indexes in by_field.items():
            values = normalise_values(field, [items[i][1] for i in indexes], programme, conn)
            for index, value in zip(indexes, values, strict=True):
                if value is None:
                    hint = HINTS.get(field, "不能为空")
                    problems[index] = (
                        f"{FIELD_LABELS[field]}的新值“{items[index][1]}”无效（{hint}）"
                    )
    return problems


def check_value(
    source: str, field: str, text: str, programme: Programme, reason: str = ""
) -> str | None:
    """Why a new value (and its reason) cannot be taken (in Chinese), or None when it can."""
    return check_values(source, [(field, text, reason)], programme)[0]


def current_text(record: pd.Series | dict, field: str) -> str:
    """The value of a field as a person sees it in the source: the file's text where it is kept."""
    raw = record.get(f"{field}_raw") if field in RAW_COLUMNS else None
    value = raw if isinstance(raw, str) and raw else record.get(field)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value)


def same_value(a: str | None, b: str | None) -> bool:
    return fold_label(a) == fold_label(b)
