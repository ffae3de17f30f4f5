"""Which fields a steward may correct, how a new value is checked, and how it is normalised."""

from __future__ import annotations

import pandas as pd
from stdnum.cn import uscc

from assets.corrections.store import check_lengths
from assets.ingest.normalise import RAW_KEPT, parse_timestamp
from assets.quality.facts import phone_kind
from pipelines.programme import Programme
from pipelines.text import clean_label, fold_label, normalise_code, normalise_phone

FIELD_LABELS = {
    "credit_code": "统一社会信用代码",
    "company_name": "企业名称",
    "city": "所属市",
    "county": "所属县（市、区）",
    "cluster": "所属集群",
    "industry": "所属行业",
    "application_type": "申报类型",
    "direction": "申报方向",
    "qualification": "具体专项条件",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
    "submitted_at": "提交时间",
    "stage": "当前环节",
}
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


def normalise_value(field: str, text: str, programme: Programme) -> object:
    """The warehouse value for a corrected field's text; None when the text is not a valid value."""
    text = "" if text is None else str(text)
    if field == "credit_code":
        code = normalise_code(text)
        return code if code and uscc.is_valid(code) else None
    if field == "application_type":
        return programme.type_of(text)
    if field == "direction":
        return programme.direction_of(text)
    if field == "stage":
        return programme.stage_of(text)
    if field == "city":
        return programme.unit_of(text)
    if field == "contact_phone":
        phone = normalise_phone(text)
        return (
            phone if phone_kind(phone) in {"mobile", "fixed_line", "fixed_line_or_mobile"} else None
        )
    if field == "submitted_at":
        stamp = parse_timestamp(text, programme.timezone)
        return None if pd.isna(stamp) else stamp
    return clean_label(text)


def check_value(
    source: str, field: str, text: str, programme: Programme, reason: str = ""
) -> str | None:
    """Why a new value (and its reason) cannot be taken (in Chinese), or None when it can."""
    if field not in CORRECTABLE.get(source, []):
        allowed = "、".join(FIELD_LABELS[f] for f in CORRECTABLE.get(source, []))
        return f"字段“{field}”不能更正（可更正：{allowed}）"
    too_long = check_lengths(field, str(text or ""), reason)
    if too_long:
        return f"{FIELD_LABELS[field]}：{too_long}"
    if normalise_value(field, text, programme) is None:
        label = FIELD_LABELS[field]
        hints = {
            "credit_code": "应为18位且校验位正确",
            "application_type": "应为入库培育、“领跑者”企业认定或信息更新",
            "direction": "应为六个申报方向之一",
            "stage": "应为平台的环节名称",
            "city": "应为14个报送单位之一",
            "contact_phone": "应为有效的手机或固定电话",
            "submitted_at": "应为日期时间，如 2023-07-21 10:00",
        }
        return f"{label}的新值“{text}”无效（{hints.get(field, '不能为空')}）"
    return None


def current_text(record: pd.Series | dict, field: str) -> str:
    """The value of a field as a person sees it in the source: the file's text where it is kept."""
    raw = record.get(f"{field}_raw") if field in RAW_COLUMNS else None
    value = raw if isinstance(raw, str) and raw else record.get(field)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value)


def same_value(a: str | None, b: str | None) -> bool:
    return fold_label(a) == fold_label(b)
