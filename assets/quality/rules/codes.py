"""Credit-code rules (GB 32100-2015): format, check character, Hebei registration."""

from __future__ import annotations

from assets.foundation.programme import Programme
from assets.quality.fixes import suggest_code
from assets.quality.rules.rule import Rule, text


def _format(row: dict, programme: Programme):
    raw, code = text(row.get("credit_code_raw")), text(row.get("credit_code"))
    if not code:
        return raw, "统一社会信用代码为空", None
    return (
        raw,
        f"统一社会信用代码“{raw}”规范化后为“{code}”（{len(code)}位），应为18位数字或大写字母"
        "（不含I、O、S、V、Z）",
        suggest_code(code),
    )


def _checksum(row: dict, programme: Programme):
    code = text(row.get("credit_code"))
    return (
        code,
        f"统一社会信用代码“{code}”的校验位（第18位）应为“{row['expected_check_character']}”，"
        f"实际为“{row['check_character']}”",
        suggest_code(code),
    )


def _not_hebei(row: dict, programme: Programme):
    code = text(row.get("credit_code"))
    return (
        code,
        f"统一社会信用代码“{code}”第3-4位登记管理机关行政区划码为“{row['division_prefix']}”，"
        f"不是河北省（{programme.hebei_prefix}）",
        None,
    )


RULES = [
    Rule(
        "credit_code_format", "error", "统一社会信用代码格式错误", "suite", "credit_code", _format
    ),
    Rule(
        "credit_code_checksum",
        "error",
        "统一社会信用代码校验位错误",
        "suite",
        "credit_code",
        _checksum,
        applies_unless="credit_code_format",
    ),
    Rule(
        "credit_code_not_hebei",
        "error",
        "统一社会信用代码登记机关不在河北",
        "suite",
        "credit_code",
        _not_hebei,
        applies_unless="credit_code_format",
    ),
]
