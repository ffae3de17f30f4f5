"""Turn GX failures into `dq_issues` rows: the value seen, why it fails, a suggested fix."""

from __future__ import annotations

import pandas as pd

from assets.quality.catalogue import RULES
from assets.quality.fixes import suggest_code, suggest_direction, suggest_type
from assets.quality.gx_suites import Failure
from pipelines.programme import Programme


def _text(value: object) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def explain(
    rule: str, fact: pd.Series, record: pd.Series, programme: Programme
) -> tuple[str, str, str | None]:
    """(value seen, Chinese explanation, suggested fix or None) for one failing record."""
    code = _text(fact.get("credit_code"))
    if rule == "credit_code_format":
        raw = _text(record.get("credit_code_raw"))
        if not code:
            return raw, "统一社会信用代码为空", None
        return (
            raw,
            (
                f"统一社会信用代码“{raw}”规范化后为“{code}”（{len(code)}位），应为18位数字或大写字母"
                "（不含I、O、S、V、Z）"
            ),
            suggest_code(code),
        )
    if rule == "credit_code_checksum":
        return (
            code,
            (
                f"统一社会信用代码“{code}”的校验位（第18位）应为“{fact['expected_check_character']}”，"
                f"实际为“{fact['check_character']}”"
            ),
            suggest_code(code),
        )
    if rule == "credit_code_not_hebei":
        return (
            code,
            (
                f"统一社会信用代码“{code}”第3-4位登记管理机关行政区划码为“{fact['division_prefix']}”，"
                f"不是河北省（{programme.hebei_prefix}）"
            ),
            None,
        )
    if rule == "direction_invalid":
        raw = _text(record.get("direction_raw"))
        several = sum(label in raw for label in programme.directions.values()) > 1
        why = (
            "为空"
            if not raw
            else ("填写了多个方向，每项申报只能选一个" if several else "不是六个申报方向之一")
        )
        return raw, f"申报方向“{raw}”{why}", suggest_direction(raw, programme)
    if rule == "type_invalid":
        raw = _text(record.get("application_type_raw"))
        names = "、".join(
            f"“{t['label']}”" if not t["label"].startswith("“") else t["label"]
            for t in programme.types.values()
        )
        return (
            raw,
            f"申报类型“{raw}”{'为空' if not raw else '无法识别'}，应为{names}之一",
            suggest_type(raw, programme),
        )
    if rule == "submitted_outside_window":
        raw = _text(record.get("submitted_at_raw"))
        start, end = programme.window(fact["application_type"])
        label = programme.type_label(fact["application_type"])
        stamp = record.get("submitted_at")
        if stamp is None or pd.isna(stamp):
            return (
                raw,
                f"提交时间“{raw}”为空或无法识别，无法判断是否在{label}申报窗口（{start}至{end}）内",
                None,
            )
        local = pd.Timestamp(stamp).tz_convert(programme.timezone)
        return raw, f"提交时间{local:%Y-%m-%d %H:%M}不在{label}申报窗口（{start}至{end}）内", None
    if rule == "phone_invalid":
        raw = _text(record.get("contact_phone_raw"))
        return (
            raw,
            "联系电话为空" if not raw else f"联系电话“{raw}”不是有效的手机或固定电话号码",
            None,
        )
    if rule == "evidence_incomplete":
        missing = _text(fact.get("evidence_missing"))
        return missing, f"以下佐证材料未上传或未标明“是”：{missing}", None
    if rule == "stage_invalid":
        raw = _text(record.get("stage_raw"))
        return raw, f"当前环节“{raw}”无法识别", None
    raise KeyError(rule)


def describe_gx_failures(
    failures: list[Failure],
    source: str,
    facts: pd.DataFrame,
    records: pd.DataFrame,
    programme: Programme,
) -> pd.DataFrame:
    """One row per (rule, record), rules implied by a failed prerequisite left out."""
    failing = {(f.rule, f.record_key) for f in failures}
    facts_by_key = facts.set_index("record_key")
    records_by_key = records.set_index("record_key")
    rows, seen = [], set()
    for failure in failures:
        key = (failure.rule, failure.record_key)
        prerequisite = RULES[failure.rule].applies_unless
        if key in seen or (prerequisite and (prerequisite, failure.record_key) in failing):
            continue
        seen.add(key)
        fact, record = facts_by_key.loc[failure.record_key], records_by_key.loc[failure.record_key]
        value, note, fix = explain(failure.rule, fact, record, programme)
        rows.append(
            {
                "source": source,
                "record_key": failure.record_key,
                "rule": failure.rule,
                "credit_code": record.get("credit_code"),
                "city": record.get("city"),
                "field": failure.field,
                "value": value,
                "note": note,
                "suggested_fix": fix,
                "source_file": record.get("source_file"),
                "source_sheet": record.get("source_sheet"),
                "source_row": record.get("source_row"),
            }
        )
    return pd.DataFrame.from_records(rows)
