"""数据治理 (data stewards): the issue queue; one record with its source, fix, waive or reopen; history."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from assets.corrections.fields import CORRECTABLE, FIELD_LABELS
from assets.corrections.records import correctable_field
from assets.exports.feedback import write_feedback
from assets.quality.catalogue import RULES
from assets.warehouse import connect_read_only
from dashboard import data, steward
from dashboard.common import number, page
from dashboard.labels import SEVERITY_LABELS, labelled
from pipelines.resources import warehouse_path
from pipelines.runlock import is_running

STATUS_LABELS = {"open": "未解决", "waived": "已忽略", "fixed": "已更正"}
programme = data.programme()
head = page(
    "数据治理",
    "数据管理员：逐条处理问题（更正、忽略、重新打开），记录可追溯；向各市发送问题反馈表。",
)
if head is None:
    st.stop()
scope, filters = head
who = steward.operator()

everything = data.issues(scope, filters, status=None)
if everything.empty:
    st.success("没有任何问题记录。")
    st.stop()
pending = steward.store().latest_decisions()
pending = pending.set_index("issue_id")["decision"] if len(pending) else pd.Series(dtype=str)
everything["pending"] = [
    pending.get(i) if pending.get(i) != d else None
    for i, d in zip(everything["issue_id"], everything["decision"], strict=True)
]

left, middle, right = st.columns(3)
status = left.selectbox(
    "状态",
    ["open", "waived", "fixed", "all"],
    key="g_status",
    format_func=lambda s: {**STATUS_LABELS, "all": "全部"}[s],
)
rules = middle.multiselect(
    "规则",
    sorted(everything["rule"].unique()),
    key="g_rules",
    placeholder="全部",
    format_func=lambda r: f"{RULES[r].name}（{r}）",
)
severities = right.multiselect(
    "级别",
    ["error", "warning"],
    key="g_severity",
    placeholder="全部",
    format_func=lambda s: SEVERITY_LABELS[s],
)
queue = everything
if status != "all":
    queue = queue[queue["status"] == status]
if rules:
    queue = queue[queue["rule"].isin(rules)]
if severities:
    queue = queue[queue["severity"].isin(severities)]
counts = everything["status"].value_counts()
columns = st.columns(4)
columns[0].metric("当前列表", number(len(queue)))
for column, key in zip(columns[1:], ("open", "waived", "fixed"), strict=True):
    column.metric(STATUS_LABELS[key], number(counts.get(key, 0)))
waiting = int(everything["pending"].notna().sum())
if waiting:
    st.info(f"{waiting} 项处理已记录，待下次运行重新检查后生效。")

shown = queue.assign(
    status=queue["status"].map(STATUS_LABELS),
    pending=queue["pending"].map(lambda d: "待重新检查" if isinstance(d, str) else ""),
)
st.dataframe(
    labelled(
        shown[["record_key", "city", "severity", "rule", "status", "pending", "detail"]], programme
    ).rename(columns={"pending": "处理进度"}),
    hide_index=True,
    key="queue_table",
)
if queue.empty:
    st.stop()

st.subheader("处理一条问题")
choice = st.selectbox(
    "问题",
    list(queue["issue_id"]),
    key="g_issue",
    format_func=lambda i: (lambda r: f"{r['record_key']} · {RULES[r['rule']].name}")(
        queue.set_index("issue_id").loc[i]
    ),
)
issue = queue.set_index("issue_id").loc[choice].to_dict() | {"issue_id": choice}
st.markdown(
    f"**{STATUS_LABELS[issue['status']]}** · {SEVERITY_LABELS[issue['severity']]} · {issue['detail']}"
)
where = [
    f"文件 {issue['source_file']}" if isinstance(issue.get("source_file"), str) else "",
    f"工作表 {issue['source_sheet']}"
    if isinstance(issue.get("source_sheet"), str) and issue["source_sheet"]
    else "",
    f"第 {int(issue['source_row'])} 行" if pd.notna(issue.get("source_row")) else "",
]
st.caption("来源：" + "，".join(w for w in where if w))

values = data.record(issue["source"], issue["record_key"])
if values:
    fields = [f for f in CORRECTABLE.get(issue["source"], []) if f in values]
    table = pd.DataFrame(
        [
            {
                "字段": FIELD_LABELS[f],
                "当前值": "" if pd.isna(values.get(f)) else str(values.get(f)),
                "原始值": str(values.get(f"{f}_raw") or ""),
            }
            for f in fields
        ]
    )
    st.dataframe(table, hide_index=True, key="record_values")

field = correctable_field(issue)
fix = issue.get("suggested_fix")
if isinstance(fix, str) and fix and field:
    if st.button(f"采用建议修改：{FIELD_LABELS[field]} 改为“{fix}”", key="apply_fix"):
        problem = steward.correct(issue, field, fix, "采用建议修改", who)
        st.error(problem) if problem else st.success("已记录更正，下次运行后重新检查。")

if issue["source"] in CORRECTABLE:
    with st.form("correction_form"):
        st.markdown("**录入更正**")
        options = CORRECTABLE[issue["source"]]
        chosen = st.selectbox(
            "字段",
            options,
            index=options.index(field) if field in options else 0,
            format_func=lambda f: FIELD_LABELS[f],
            key="c_field",
        )
        new_value = st.text_input("新值", key="c_value")
        reason = st.text_input("原因（必填）", key="c_reason")
        if st.form_submit_button("保存更正"):
            problem = steward.correct(issue, chosen, new_value, reason, who)
            st.error(problem) if problem else st.success("已记录更正，下次运行后重新检查。")

if issue["status"] == "open":
    with st.form("waive_form"):
        st.markdown("**忽略此问题**（如经核实无误）")
        reason = st.text_area("原因（必填）", key="w_reason")
        if st.form_submit_button("忽略"):
            problem = steward.decide(issue, "waived", reason, who)
            st.error(problem) if problem else st.success("已忽略，此问题在重新打开前保持忽略。")
elif st.button("重新打开", key="reopen"):
    problem = steward.decide(issue, "reopened", "重新打开", who)
    st.error(problem) if problem else st.success("已重新打开，下次运行后生效。")

st.markdown("**处理记录**")
history = steward.store().history(issue["record_key"])
if history.empty:
    st.caption("此记录尚无更正或处理。")
else:
    st.dataframe(
        history.rename(
            columns={
                "at": "时间",
                "who": "操作人",
                "kind": "类型",
                "field": "字段",
                "old_value": "原值",
                "new_value": "新值",
                "rule": "规则",
                "decision": "处理",
                "reason": "原因",
            }
        )[["时间", "操作人", "类型", "字段", "原值", "新值", "规则", "处理", "原因"]],
        hide_index=True,
        key="history",
    )

st.subheader("重新检查与反馈")
left, right = st.columns(2)
with left:
    if is_running(warehouse_path()):
        st.info("正在运行检查……完成后页面数据自动更新。")
    elif st.button("立即重新检查（运行 lingpao run）", key="recheck"):
        st.success("已开始运行。") if steward.start_recheck() else st.info("已有运行在进行。")
with right:
    units = [scope.unit] if scope.unit else programme.units  # a city bureau gets its own list only
    unit = st.selectbox("反馈表：报送单位", units, key="g_feedback_unit")
    with connect_read_only(data.database_file()) as conn:
        workbook = write_feedback(conn, programme, unit)
    st.download_button(
        f"下载{unit}问题反馈表",
        workbook,
        file_name=f"{unit}_问题反馈_{programme.year}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="download_feedback",
    )
