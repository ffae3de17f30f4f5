"""Credit-code rules (GB 32100-2015): format, check character, Hebei registration."""

from __future__ import annotations

from lingpao.foundation.programme import Programme
from lingpao.quality.fixes import suggest_code
from lingpao.quality.rules.rule import Rule, text


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
        "credit_code_format",
        "error",
        "统一社会信用代码格式错误",
        "suite",
        "credit_code",
        _format,
        advice="核对营业执照，填写18位统一社会信用代码",
    ),
    Rule(
        "credit_code_checksum",
        "error",
        "统一社会信用代码校验位错误",
        "suite",
        "credit_code",
        _checksum,
        applies_unless="credit_code_format",
        advice="代码校验位不符，核对营业执照上的代码逐位填写",
    ),
    Rule(
        "credit_code_not_hebei",
        "error",
        "统一社会信用代码登记机关不在河北",
        "suite",
        "credit_code",
        _not_hebei,
        applies_unless="credit_code_format",
        advice="核对代码；非河北省登记的企业不在本次申报范围",
    ),
]
