"""The submission window: a submission date inside its type's window of the programme year."""

from __future__ import annotations

import pandas as pd

from lingpao.foundation.programme import Programme
from lingpao.quality.rules.rule import Rule, text


def _outside(row: dict, programme: Programme):
    raw = text(row.get("submitted_at_raw"))
    start, end = programme.window(row["application_type"])
    label = programme.type_label(row["application_type"])
    stamp = row.get("submitted_at")
    if stamp is None or pd.isna(stamp):
        return (
            raw,
            f"提交时间“{raw}”为空或无法识别，无法判断是否在{label}申报窗口（{start}至{end}）内",
            None,
        )
    local = pd.Timestamp(stamp).tz_convert(programme.timezone)
    return raw, f"提交时间{local:%Y-%m-%d %H:%M}不在{label}申报窗口（{start}至{end}）内", None


RULES = [
    Rule(
        "submitted_outside_window",
        "error",
        "提交时间不在申报窗口内",
        "suite",
        "submitted_at",
        _outside,
    ),
]
