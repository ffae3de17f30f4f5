"""Contact and evidence rules: a valid phone (phonenumbers, CN), every required evidence item."""

from __future__ import annotations

from lingpao.foundation.programme import Programme
from lingpao.quality.rules.rule import Rule, text


def _phone(row: dict, programme: Programme):
    raw = text(row.get("contact_phone_raw"))
    return (
        raw,
        "联系电话为空" if not raw else f"联系电话“{raw}”不是有效的手机或固定电话号码",
        None,
    )


def _evidence(row: dict, programme: Programme):
    missing = text(row.get("evidence_missing"))
    return missing, f"以下佐证材料未上传或未标明“是”：{missing}", None


RULES = [
    Rule(
        "phone_invalid",
        "warning",
        "联系电话无效",
        "suite",
        "contact_phone",
        _phone,
        advice="填写手机号码或带区号的固定电话",
    ),
    Rule("evidence_incomplete", "warning", "佐证材料不全", "suite", "evidence", _evidence),
]
