"""Label rules: the application type, the direction and the stage must be ones the programme knows."""

from __future__ import annotations

from lingpao.foundation.programme import Programme
from lingpao.quality.fixes import suggest_direction, suggest_type
from lingpao.quality.rules.rule import Rule, text


def _direction(row: dict, programme: Programme):
    raw = text(row.get("direction_raw"))
    several = sum(label in raw for label in programme.directions.values()) > 1
    why = (
        "为空"
        if not raw
        else ("填写了多个方向，每项申报只能选一个" if several else "不是六个申报方向之一")
    )
    return raw, f"申报方向“{raw}”{why}", suggest_direction(raw, programme)


def _type(row: dict, programme: Programme):
    raw = text(row.get("application_type_raw"))
    names = "、".join(
        f"“{t['label']}”" if not t["label"].startswith("“") else t["label"]
        for t in programme.types.values()
    )
    return (
        raw,
        f"申报类型“{raw}”{'为空' if not raw else '无法识别'}，应为{names}之一",
        suggest_type(raw, programme),
    )


def _stage(row: dict, programme: Programme):
    raw = text(row.get("stage_raw"))
    return raw, f"当前环节“{raw}”无法识别", None


RULES = [
    Rule(
        "direction_invalid",
        "error",
        "申报方向无效",
        "suite",
        "direction",
        _direction,
        advice="从下拉列表中选择申报方向",
    ),
    Rule(
        "type_invalid",
        "error",
        "申报类型无效",
        "suite",
        "application_type",
        _type,
        advice="从下拉列表中选择申报类型",
    ),
    Rule("stage_invalid", "warning", "当前环节无法识别", "suite", "stage", _stage, contract=False),
]
