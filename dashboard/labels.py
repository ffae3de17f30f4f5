"""Chinese labels for the canonical ids shown to people, from the programme configuration."""

from __future__ import annotations

import pandas as pd

from pipelines.programme import Programme


def label_maps(programme: Programme) -> dict[str, dict[str, str]]:
    return {
        "direction": programme.directions,
        "application_type": {k: v["label"] for k, v in programme.types.items()},
        "stage": programme.stage_labels,
    }


def label_of(column: str, values: pd.Series, programme: Programme) -> pd.Series:
    """The Chinese labels of a column of ids (direction, type, stage); unknown values unchanged."""
    mapping = label_maps(programme).get(column, {})
    return values.map(lambda v: mapping.get(v, v))


COLUMN_LABELS = {
    "city": "所属市",
    "cluster": "所属集群",
    "direction": "申报方向",
    "application_type": "申报类型",
    "stage": "当前环节",
    "applications": "申报数",
    "county": "所属县（市、区）",
    "company_name": "企业名称",
    "credit_code": "统一社会信用代码",
    "application_id": "申报编号",
    "rank_in_direction": "排名",
    "score": "综合得分",
    "rnd_intensity": "研发强度",
    "revenue_growth": "营收年均增长率",
    "profit": "利润（万元）",
    "taxes": "上缴税金（万元）",
    "revenue_3y_ago": "营业收入前三年（万元）",
    "revenue_2y_ago": "营业收入前两年（万元）",
    "revenue_last_year": "营业收入上年（万元）",
    "rnd_last_year": "研发费用上年（万元）",
    "employees": "从业人员数",
    "evidence_uploaded": "佐证材料（已传/9）",
    "reason_text": "未列入原因",
    "pool_entry": "入库培育",
    "certification": "认定",
    "info_update": "信息更新",
    "pool_members": "培育库企业",
    "newly_confirmed": "本轮确认入库",
    "rule": "规则",
    "severity": "级别",
    "detail": "问题说明",
    "suggested_fix": "建议修改",
    "record_key": "记录",
    "source": "来源",
    "status": "状态",
    "since": "进入本环节",
    "days": "已等待（天）",
}
SEVERITY_LABELS = {"error": "错误", "warning": "警告"}
SOURCE_LABELS = {"platform": "平台申报", "city_table": "市级汇总表", "file": "文件"}


def labelled(frame: pd.DataFrame, programme: Programme) -> pd.DataFrame:
    """Replace ids with Chinese labels in known columns and rename the columns for people."""
    out = frame.copy()
    for column in label_maps(programme):
        if column in out:
            out[column] = label_of(column, out[column], programme)
    if "severity" in out:
        out["severity"] = out["severity"].map(lambda v: SEVERITY_LABELS.get(v, v))
    if "source" in out:
        out["source"] = out["source"].map(lambda v: SOURCE_LABELS.get(v, v))
    return out.rename(columns=COLUMN_LABELS)
