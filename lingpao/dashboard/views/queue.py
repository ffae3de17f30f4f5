"""数据治理: the issue queue; one record with its source; correct, waive, reopen (stewards), propose
(city bureaus, for their own records), proposals to accept or reject; history; re-check; feedback."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lingpao.corrections.fields import CORRECTABLE, FIELD_LABELS
from lingpao.corrections.records import correctable_field
from lingpao.corrections.store import StoreDamaged
from lingpao.dashboard import actions, data
from lingpao.dashboard.access import viewer
from lingpao.dashboard.common import number, page, searched
from lingpao.foundation.schema import REASON_LIMIT, TEXT_LIMITS
from lingpao.quality.rules import RULES
from lingpao.queries import Quality
from lingpao.warehouse.runqueue import RunQueue

programme = data.programme()
labels = data.labels()
head = page(
    "数据治理",
    "数据管理员逐条处理问题（更正、忽略、重新打开），审核各市的更正建议；各市对本单位记录提出更正建议；"
    "每一步都有记录。",
)
if head is None:
    st.stop()
filters = head
q = data.queries(Quality)
scope = q.scope
me = viewer()
desk = actions.desk()


KINDS = {"application_type": "type", "direction": "direction", "stage": "stage"}


def shown_value(field: str, value: object) -> str:
    """A stored value as people read it: labels for ids, local time for times, blank for none."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if field in KINDS:
        return str(labels.of(KINDS[field], value))
    if isinstance(value, pd.Timestamp):
        return f"{value.tz_convert(programme.timezone):%Y-%m-%d %H:%M}"
    return str(value)


def show(message: str | None, done: str) -> None:
    """The outcome of an action: what was refused or wrong, else what happens next."""
    st.error(message) if message else st.success(done)


try:
    latest = desk.store.latest_decisions()
    proposals = desk.store.proposals(scope)
except StoreDamaged as damaged:
    st.error(str(damaged))
    st.stop()

everything = q.issues(filters, status=None)
if everything.empty:
    st.success("没有任何问题记录。")
    st.stop()
pending = latest.set_index("issue_id")["decision"] if len(latest) else pd.Series(dtype=str)
everything["pending"] = [
    pending.get(i) if pending.get(i) != d else None
    for i, d in zip(everything["issue_id"], everything["decision"], strict=True)
]

left, middle, right = st.columns(3)
status = left.selectbox(
    "状态",
    ["open", "waived", "fixed", "all"],
    key="g_status",
    format_func=lambda s: {**labels.maps["status"], "all": "全部"}[s],
)
rules = middle.multiselect(
    "规则",
    sorted(everything["rule"].unique()),
    key="g_rules",
    placeholder="全部",
    format_func=lambda r: RULES[r].name,
)
severities = right.multiselect(
    "级别",
    ["error", "warning"],
    key="g_severity",
    placeholder="全部",
    format_func=lambda s: labels.maps["severity"][s],
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
    column.metric(labels.maps["status"][key], number(counts.get(key, 0)))
waiting = int(everything["pending"].notna().sum())
if waiting:
    st.info(f"{waiting} 项处理已记录，待下次运行重新检查后生效。")

queue = searched(queue, "queue", ["record_key", "detail", "credit_code", "city"])
shown = queue.assign(
    status=queue["status"].map(labels.maps["status"]),
    pending=queue["pending"].map(lambda d: "待重新检查" if isinstance(d, str) else ""),
)
st.dataframe(
    labels.frame(
        shown[["record_key", "city", "severity", "rule", "status", "pending", "detail"]]
    ).rename(columns={"pending": "处理进度"}),
    hide_index=True,
    key="queue_table",
)

if len(queue):
    st.subheader("处理一条问题")
    by_id = queue.set_index("issue_id")
    choice = st.selectbox(
        "问题",
        list(queue["issue_id"]),
        key="g_issue",
        format_func=lambda i: f"{by_id.at[i, 'record_key']} · {RULES[by_id.at[i, 'rule']].name}",
    )
    issue = by_id.loc[choice].to_dict() | {"issue_id": choice}
    unit = issue["city"] if isinstance(issue.get("city"), str) else None
    st.text(  # text, never markdown: the detail quotes values from inbox files
        f"{labels.maps['status'][issue['status']]} · {labels.maps['severity'][issue['severity']]} · {issue['detail']}",
        width="stretch",
    )
    where = [
        f"文件 {issue['source_file']}" if isinstance(issue.get("source_file"), str) else "",
        f"工作表 {issue['source_sheet']}"
        if isinstance(issue.get("source_sheet"), str) and issue["source_sheet"]
        else "",
        f"第 {int(issue['source_row'])} 行" if pd.notna(issue.get("source_row")) else "",
    ]
    st.text("来源：" + "，".join(w for w in where if w), width="stretch")

    values = q.record(issue["source"], issue["record_key"])
    if values:
        fields = [f for f in CORRECTABLE.get(issue["source"], []) if f in values]
        table = pd.DataFrame(
            [
                {
                    "字段": FIELD_LABELS[f],
                    "当前值": shown_value(f, values.get(f)),
                    "原始值": str(values.get(f"{f}_raw") or ""),
                }
                for f in fields
            ]
        )
        st.dataframe(table, hide_index=True, key="record_values")

    field = correctable_field(issue)
    fix = issue.get("suggested_fix")
    corrects, proposes = me.may("correct", unit), me.may("propose", unit)
    if isinstance(fix, str) and fix and field and (corrects or proposes):
        st.text(f"建议修改：{FIELD_LABELS[field]} 改为“{fix}”")
        if st.button("采用建议修改" if corrects else "提出此建议修改", key="apply_fix"):
            if corrects:
                show(
                    desk.correct(issue, field, fix, "采用建议修改"),
                    "已记录更正，下次运行后重新检查。",
                )
            else:
                show(
                    desk.propose(issue, field, fix, "采用建议修改"),
                    "已提出更正建议，待数据管理员采纳。",
                )

    if issue["source"] in CORRECTABLE and (corrects or proposes):
        with st.form("correction_form"):
            st.markdown("**录入更正**" if corrects else "**提出更正建议**（数据管理员采纳后生效）")
            options = CORRECTABLE[issue["source"]]
            chosen = st.selectbox(
                "字段",
                options,
                index=options.index(field) if field in options else 0,
                format_func=lambda f: FIELD_LABELS[f],
                key="c_field",
            )
            new_value = st.text_input("新值", key="c_value", max_chars=max(TEXT_LIMITS.values()))
            reason = st.text_input("原因（必填）", key="c_reason", max_chars=REASON_LIMIT)
            if st.form_submit_button("保存更正" if corrects else "提出建议"):
                if corrects:
                    show(
                        desk.correct(issue, chosen, new_value, reason),
                        "已记录更正，下次运行后重新检查。",
                    )
                else:
                    show(
                        desk.propose(issue, chosen, new_value, reason),
                        "已提出更正建议，待数据管理员采纳。",
                    )

    if issue["status"] == "open" and me.may("waive", unit):
        with st.form("waive_form"):
            st.markdown("**忽略此问题**（如经核实无误）")
            reason = st.text_area("原因（必填）", key="w_reason", max_chars=REASON_LIMIT)
            if st.form_submit_button("忽略"):
                show(desk.decide(issue, "waived", reason), "已忽略，此问题在重新打开前保持忽略。")
    elif issue["status"] != "open" and me.may("reopen", unit):
        if st.button("重新打开", key="reopen"):
            show(desk.decide(issue, "reopened", "重新打开"), "已重新打开，下次运行后生效。")
    if not (corrects or proposes):
        st.caption("更正、忽略和重新打开由数据管理员处理；各市可对本单位的记录提出更正建议。")

    st.markdown("**处理记录**")
    history = desk.store.history(scope, issue["record_key"])
    if history.empty:
        st.caption("此记录尚无更正、建议或处理。")
    else:
        history = history.assign(
            kind=labels.series("entry", history["kind"]),
            field=labels.series("field", history["field"]),
            decision=labels.series("decision", history["decision"]),
        )
        st.dataframe(
            history.rename(
                columns={
                    "at": "时间",
                    "who": "操作人",
                    "kind": "类型",
                    "field": "字段",
                    "old_value": "原值",
                    "new_value": "新值",
                    "decision": "处理",
                    "reason": "原因",
                    "proposed_by": "建议人",
                }
            )[["时间", "操作人", "类型", "字段", "原值", "新值", "处理", "原因", "建议人"]],
            hide_index=True,
            key="history",
        )

st.subheader("更正建议" if me.may("accept_proposal") else "本单位的更正建议")
if proposals.empty:
    st.caption("暂无更正建议。")
else:
    listed = proposals.assign(
        field=labels.series("field", proposals["field"]),
        状态=proposals["settled"].map(lambda d: labels.maps["settled"].get(d, "待审核")),
    ).rename(
        columns={
            "id": "编号",
            "at": "时间",
            "who": "建议人",
            "city": "所属市",
            "record_key": "记录",
            "field": "字段",
            "old_value": "原值",
            "new_value": "建议值",
            "reason": "原因",
            "settled_by": "审核人",
            "settled_reason": "审核意见",
        }
    )
    st.dataframe(
        listed[
            [
                "编号",
                "时间",
                "建议人",
                "所属市",
                "记录",
                "字段",
                "原值",
                "建议值",
                "原因",
                "状态",
                "审核人",
                "审核意见",
            ]
        ],
        hide_index=True,
        key="proposals_table",
    )
    waiting_ids = list(proposals.loc[proposals["settled"].isna(), "id"])
    if waiting_ids and me.may("accept_proposal"):
        with st.form("proposal_form"):
            chosen_id = st.selectbox("待审核的建议", waiting_ids, key="p_id")
            verdict = st.radio(
                "审核",
                ["accept", "reject"],
                key="p_verdict",
                horizontal=True,
                format_func=lambda v: {"accept": "采纳", "reject": "退回"}[v],
            )
            note = st.text_input("审核意见（退回时必填）", key="p_reason", max_chars=REASON_LIMIT)
            if st.form_submit_button("提交审核"):
                show(
                    desk.settle(int(chosen_id), verdict == "accept", note),
                    "已采纳：更正已记录，下次运行后生效。" if verdict == "accept" else "已退回。",
                )

st.subheader("重新检查与反馈")
left, right = st.columns(2)
with left:
    state = RunQueue(data.layout()).state()
    if state == "running":
        st.info("正在运行检查；此后的更正和上报将在本次运行结束后一并检查。")
    elif state == "queued":
        st.info("检查已排队，即将开始。")
    if me.may("run") and st.button("立即重新检查（运行 lingpao run）", key="recheck"):
        problem = desk.start_run()
        st.info(problem) if problem else st.success("已加入检查队列，与其他待检查的变更一并运行。")
with right:
    units = [scope.unit] if scope.unit else programme.units  # a city bureau gets its own list only
    feedback_unit = st.selectbox("反馈表：报送单位", units, key="g_feedback_unit")
    actions.download(
        f"下载{feedback_unit}问题反馈表",
        "download_feedback",
        feedback_unit,
        lambda: q.feedback(feedback_unit),
        f"{feedback_unit}_问题反馈_{programme.year}.xlsx",
        key="download_feedback",
    )
