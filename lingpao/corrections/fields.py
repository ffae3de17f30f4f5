"""Which fields a steward may correct, how new values are normalised (the ingest's SQL) and checked."""

from __future__ import annotations

import duckdb

from lingpao.corrections.store import check_lengths
from lingpao.foundation.programme import Programme
from lingpao.ingest.corrected import normalise_values
from lingpao.labels import FIELDS

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
HINTS = {
    "credit_code": "应为18位且校验位正确",
    "application_type": "应为入库培育、“领跑者”企业认定或信息更新",
    "direction": "应为六个申报方向之一",
    "stage": "应为平台的环节名称",
    "city": "应为14个报送单位之一",
    "contact_phone": "应为有效的手机或固定电话",
    "submitted_at": "应为日期时间，如 2023-07-21 10:00",
}


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
