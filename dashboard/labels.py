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
}


def labelled(frame: pd.DataFrame, programme: Programme) -> pd.DataFrame:
    """Replace ids with Chinese labels in known columns and rename the columns for people."""
    out = frame.copy()
    for column, mapping in label_maps(programme).items():
        if column in out:
            out[column] = out[column].map(lambda v, m=mapping: m.get(v, v))
    return out.rename(columns=COLUMN_LABELS)
