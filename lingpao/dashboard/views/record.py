"""申报详情: one application, whole: its values beside the file's text, its stages across the
platform's snapshots, its issues and what was decided, the city-table rows it matches, its unit's
table versions, and every correction, proposal and decision recorded for it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lingpao.access.roles import Forbidden
from lingpao.corrections.fields import FIELD_LABELS
from lingpao.corrections.store import StoreDamaged
from lingpao.dashboard import actions, data
from lingpao.dashboard.common import page
from lingpao.dashboard.show import file_name, missing, person, table, when
from lingpao.foundation.schema import REPORT_POINTS
from lingpao.quality.rules import RULES
from lingpao.queries import Applications

labels = data.labels()
programme = data.programme()
head = page("申报详情", "一项申报的全部信息：数值与原始填写、环节记录、问题与处理、汇总表中的行。")
if head is None:
    st.stop()
filters = head
q = data.queries(Applications)
application_id = st.query_params.get("id", "")
try:
    found = q.record(application_id) if application_id else None
except Forbidden:
    st.error("您的角色不能查看单项申报的明细。")
    st.stop()
if found is None:
    st.info(
        "请从申报列表或各页的表格中选择一项申报。"
        if not application_id
        else "没有这项申报，或它不在您可查看的范围内。"
    )
    st.page_link("views/applications.py", label="返回申报列表", icon=":material/search:")
    st.stop()

values = found["values"]
KINDS = {"application_type": "type", "direction": "direction", "stage": "stage"}


def shown(field: str, value: object) -> str:
    if missing(value):
        return ""
    if field in KINDS:
        return str(labels.of(KINDS[field], value))
    if isinstance(value, pd.Timestamp):
        return when(value)
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


st.subheader(f"{shown('company_name', values.get('company_name'))}（{application_id}）")
columns = st.columns(4)
columns[0].metric("当前环节", shown("stage", values.get("stage")))
columns[1].metric("申报类型", shown("application_type", values.get("application_type")))
columns[2].metric("所属市", shown("city", values.get("city")))
open_issues = found["issues"]
columns[3].metric(
    "未解决问题", int((open_issues["status"] == "open").sum()) if len(open_issues) else 0
)

st.markdown("**申报信息**（当前值为规范化、已更正后的值；原始值为文件中的填写）")
corrected = values.get("corrected_from")
hidden = set() if q.scope.contacts else {"contact_name", "contact_phone"}
rows = [
    {
        "字段": FIELD_LABELS.get(field, field),
        "当前值": shown(field, values.get(field)),
        "原始值": shown("", values.get(f"{field}_raw")),
        "已更正": "是" if isinstance(corrected, str) and f'"{field}"' in corrected else "",
    }
    for field in FIELD_LABELS
    if field in values and field not in hidden
]
rows += [
    {"字段": labels.column(point), "当前值": shown("", values.get(point))}
    for point in REPORT_POINTS
    if point in values
]
rows += [
    {
        "字段": f"佐证：{label}",
        "当前值": {True: "已上传", False: "未上传"}.get(values.get(f"ev_{item}"), ""),
    }
    for item, label in programme.evidence.items()
    if f"ev_{item}" in values
]
rows.append(
    {
        "字段": "来源",
        "当前值": f"{file_name(values.get('source_file'))} 第{values.get('source_row')}行",
    }
)
table(pd.DataFrame(rows), "r_values", pinned=("字段",))

st.markdown("**环节记录**（各次平台导出中看到的环节）")
history = found["history"]
if history.empty:
    st.caption("没有环节记录。")
else:
    table(
        pd.DataFrame(
            {
                "环节": labels.series("stage", history["stage"]),
                "首次出现时间": history["first_seen_at"].map(when),
                "平台导出文件": history["source_file"].map(file_name),
            }
        ),
        "r_history",
    )

st.markdown("**问题与处理**")
if open_issues.empty:
    st.caption("这项申报没有任何问题记录。")
else:
    table(
        pd.DataFrame(
            {
                "规则": open_issues["rule"].map(lambda r: RULES[r].name),
                "级别": labels.series("severity", open_issues["severity"]),
                "状态": labels.series("status", open_issues["status"]),
                "问题说明": open_issues["detail"],
                "建议修改": open_issues["suggested_fix"],
                "处理": labels.series("decision", open_issues["decision"]),
                "处理人": open_issues["decided_by"].map(person),
                "处理时间": open_issues["decided_at"].map(when),
                "原因": open_issues["decision_reason"],
            }
        ),
        "r_issues",
        pinned=("规则",),
    )

st.markdown("**市级汇总表中的行**（同一单位、同一统一社会信用代码）")
city_rows = found["city_rows"]
if city_rows.empty:
    st.caption("本单位的汇总表中没有这家企业。")
else:
    table(
        labels.frame(
            city_rows.assign(
                source_file=city_rows["source_file"].map(file_name),
            ).drop(columns=["record_key", "source_sheet"])
        ),
        "r_city_rows",
    )

st.markdown("**本单位汇总表的版本**")
versions = found["versions"]
if versions.empty:
    st.caption("本单位尚未网上报送汇总表。")
else:
    table(
        pd.DataFrame(
            {
                "版本": versions["version"].map(lambda v: f"第{int(v)}版"),
                "原文件名": versions["original_name"],
                "上报时间": versions["submitted_at"].map(when),
                "上报人": versions["submitted_by"].map(person)
                if "submitted_by" in versions
                else "",
                "逾期": versions["late"].map(lambda v: "是" if v is True else ""),
                "使用中": versions["active"].map(lambda v: "✔" if v is True else ""),
            }
        ),
        "r_versions",
    )

st.markdown("**更正、建议和处理记录**")
try:
    trail = actions.desk().store.history(q.scope, application_id)
except StoreDamaged as damaged:
    st.error(str(damaged))
    trail = pd.DataFrame()
if trail.empty:
    st.caption("尚无更正、建议或处理。")
else:
    table(
        pd.DataFrame(
            {
                "时间": trail["at"].map(when),
                "操作人": trail["who"].map(person),
                "类型": labels.series("entry", trail["kind"]),
                "字段": labels.series("field", trail["field"]),
                "原值": trail["old_value"],
                "新值": trail["new_value"],
                "处理": labels.series("decision", trail["decision"]),
                "原因": trail["reason"],
                "建议人": trail["proposed_by"].map(person),
            }
        ),
        "r_trail",
    )
