"""数据治理: the issue queue; one issue with its record and source; correct, waive, reopen (stewards),
propose (city bureaus, for their own records); the proposals to accept or reject; the record's
trail; a re-check watched to its end; the workbooks to send and to fill in."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lingpao.corrections.fields import CORRECTABLE, FIELD_LABELS
from lingpao.corrections.records import correctable_field
from lingpao.corrections.store import StoreDamaged
from lingpao.dashboard import actions, data
from lingpao.dashboard.access import viewer
from lingpao.dashboard.common import page, searched, watch_run
from lingpao.dashboard.show import (
    chosen_row,
    file_name,
    missing,
    number,
    person,
    record_name,
    table,
    when,
)
from lingpao.foundation.schema import REASON_LIMIT, TEXT_LIMITS
from lingpao.quality.rules import RULES
from lingpao.queries import Quality

programme = data.programme()
labels = data.labels()
me = viewer()
head = page(
    "数据治理",
    "数据管理员逐条处理问题（更正、忽略、重新打开），审核各市的更正建议；每一步都有记录。"
    if me.may("correct")
    else "对本单位记录上的问题提出更正建议，数据管理员采纳后生效；每一步都有记录。"
    if me.may("propose")
    else "各单位的问题及其处理情况；更正和处理由数据管理员进行。",
)
if head is None:
    st.stop()
filters = head
q = data.queries(Quality)
scope = q.scope
desk = actions.desk()
KINDS = {"application_type": "type", "direction": "direction", "stage": "stage"}


def shown_value(field: str, value: object) -> str:
    """A stored value as people read it: labels for ids, local time for times, blank for none."""
    if missing(value):
        return ""
    if field in KINDS:
        return str(labels.of(KINDS[field], value))
    if isinstance(value, pd.Timestamp):
        return when(value)
    return str(value)


def done(message: str | None, success: str) -> None:
    """The outcome of an action: what was refused or wrong stays on the page; a success is said
    and the page drawn again, so every list shows it at once."""
    if message:
        st.error(message)
        return
    st.session_state["g_done"] = success
    st.rerun()


if "g_done" in st.session_state:
    st.success(st.session_state.pop("g_done"))

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
asked = st.query_params.get("issue")
if asked and asked in set(everything["issue_id"]) and st.session_state.get("g_asked") != asked:
    st.session_state["g_asked"] = (
        asked  # opened from 数据质量 on one issue: show it, whatever status
    )
    st.session_state["g_status"] = "all"
    st.session_state["g_rules"] = []
    st.session_state["g_severity"] = []

left, middle, right = st.columns(3)
status = left.selectbox(
    "状态",
    ["open", "waived", "fixed", "all"],
    key="g_status",
    format_func=lambda s: {**labels.maps["status"], "all": "全部"}[s],
)
rules = middle.multiselect(
    "规则",
    sorted(everything["rule"].unique(), key=lambda r: RULES[r].name),
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
    st.info(f"{waiting} 项处理已记录，待下次检查后生效。")

queue = searched(queue, "queue", ["record_key", "detail", "credit_code", "city"]).reset_index(
    drop=True
)
listing = pd.DataFrame(
    {
        "记录": [
            record_name(k, f, r)
            for k, f, r in zip(
                queue["record_key"], queue["source_file"], queue["source_row"], strict=True
            )
        ],
        "单位": queue["city"],
        "级别": labels.series("severity", queue["severity"]),
        "规则": queue["rule"].map(lambda r: RULES[r].name),
        "状态": labels.series("status", queue["status"]),
        "处理进度": queue["pending"].map(lambda d: "待重新检查" if isinstance(d, str) else ""),
        "问题说明": queue["detail"],
    }
)
st.session_state["_queue_ids"] = list(queue["issue_id"])  # the rows in order, as listed
st.caption("点选一行处理这条问题。")
picked = chosen_row(
    table(listing, "queue_table", pinned=("记录",), select="single-row"), "queue_table"
)
if picked is not None:
    st.session_state["g_issue"] = str(queue.iloc[picked]["issue_id"])
if asked and asked in set(queue["issue_id"]) and st.session_state.get("g_issue_from") != asked:
    st.session_state["g_issue_from"] = asked
    st.session_state["g_issue"] = asked
chosen_id = st.session_state.get("g_issue")
if len(queue) and chosen_id not in set(queue["issue_id"]):
    chosen_id = str(queue.iloc[0]["issue_id"])

if len(queue):
    issue = queue.set_index("issue_id").loc[chosen_id].to_dict() | {"issue_id": chosen_id}
    unit = issue["city"] if isinstance(issue.get("city"), str) else None
    st.subheader(
        f"处理：{record_name(issue['record_key'], issue.get('source_file'), issue.get('source_row'))}"
    )
    st.text(  # text, never markdown: the detail quotes values from inbox files
        f"{labels.maps['status'][issue['status']]} · {labels.maps['severity'][issue['severity']]} · "
        f"{RULES[issue['rule']].name}\n{issue['detail']}",
        width="stretch",
    )
    where = [
        f"文件 {file_name(issue.get('source_file'))}"
        if not missing(issue.get("source_file"))
        else "",
        f"工作表 {issue['source_sheet']}" if not missing(issue.get("source_sheet")) else "",
        f"第 {int(issue['source_row'])} 行" if not missing(issue.get("source_row")) else "",
    ]
    st.text("来源：" + "，".join(w for w in where if w), width="stretch")
    if issue["source"] == "platform" and scope.records:
        st.page_link(
            "views/record.py",
            label="查看这项申报的全部信息",
            query_params={"id": str(issue["record_key"]), "year": str(programme.year)},
            icon=":material/description:",
        )

    values = q.record(issue["source"], issue["record_key"])
    if values:
        fields = [f for f in CORRECTABLE.get(issue["source"], []) if f in values]
        table(
            pd.DataFrame(
                [
                    {
                        "字段": FIELD_LABELS[f],
                        "当前值": shown_value(f, values.get(f)),
                        "原始值": ""
                        if missing(values.get(f"{f}_raw"))
                        else str(values[f"{f}_raw"]),
                    }
                    for f in fields
                ]
            ),
            "record_values",
        )

    field = correctable_field(issue)
    fix = issue.get("suggested_fix")
    corrects, proposes = me.may("correct", unit), me.may("propose", unit)
    if isinstance(fix, str) and fix and field and (corrects or proposes):
        st.text(f"建议修改：{FIELD_LABELS[field]} 改为“{fix}”")
        if st.button("采用建议修改" if corrects else "提出此建议修改", key="apply_fix"):
            if corrects:
                done(
                    desk.correct(issue, field, fix, "采用建议修改"), "已记录更正，下次检查后生效。"
                )
            else:
                done(
                    desk.propose(issue, field, fix, "采用建议修改"),
                    "已提出更正建议，待数据管理员采纳。",
                )

    if issue["source"] in CORRECTABLE and (corrects or proposes):
        with st.form("correction_form", clear_on_submit=True):
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
                    done(
                        desk.correct(issue, chosen, new_value, reason),
                        "已记录更正，下次检查后生效。",
                    )
                else:
                    done(
                        desk.propose(issue, chosen, new_value, reason),
                        "已提出更正建议，待数据管理员采纳。",
                    )

    if issue["status"] == "open" and me.may("waive", unit):
        with st.form("waive_form", clear_on_submit=True):
            st.markdown("**忽略此问题**（如经核实无误）")
            reason = st.text_area("原因（必填）", key="w_reason", max_chars=REASON_LIMIT)
            if st.form_submit_button("忽略"):
                done(desk.decide(issue, "waived", reason), "已忽略，此问题在重新打开前保持忽略。")
    elif issue["status"] != "open" and me.may("reopen", unit):
        if st.button("重新打开", key="reopen"):
            done(desk.decide(issue, "reopened", "重新打开"), "已重新打开，下次检查后生效。")
    if not (corrects or proposes):
        st.caption("更正、忽略和重新打开由数据管理员处理；各市可对本单位的记录提出更正建议。")

    st.markdown("**处理记录**")
    history = desk.store.history(scope, issue["record_key"])
    if history.empty:
        st.caption("此记录尚无更正、建议或处理。")
    else:
        table(
            pd.DataFrame(
                {
                    "时间": history["at"].map(when),
                    "操作人": history["who"].map(person),
                    "类型": labels.series("entry", history["kind"]),
                    "字段": labels.series("field", history["field"]),
                    "原值": history["old_value"],
                    "新值": history["new_value"],
                    "处理": labels.series("decision", history["decision"]),
                    "原因": history["reason"],
                    "建议人": history["proposed_by"].map(person),
                }
            ),
            "history",
        )

st.subheader("更正建议" if me.may("accept_proposal") else "本单位的更正建议")
if proposals.empty:
    st.caption("暂无更正建议。")
else:
    proposals = proposals.reset_index(drop=True)
    listed = pd.DataFrame(
        {
            "时间": proposals["at"].map(when),
            "建议人": proposals["who"].map(person),
            "单位": proposals["city"],
            "记录": proposals["record_key"].map(record_name),
            "字段": labels.series("field", proposals["field"]),
            "原值": proposals["old_value"],
            "建议值": proposals["new_value"],
            "原因": proposals["reason"],
            "状态": proposals["settled"].map(lambda d: labels.maps["settled"].get(d, "待审核")),
            "审核人": proposals["settled_by"].map(person),
            "审核意见": proposals["settled_reason"],
        }
    )
    waiting_rows = proposals.index[proposals["settled"].isna()]
    may_settle = me.may("accept_proposal") and len(waiting_rows)
    if may_settle:
        st.caption("点选一条待审核的建议，采纳或退回。")
    picked = chosen_row(
        table(
            listed, "proposals_table", pinned=("记录",), select="single-row" if may_settle else None
        ),
        "proposals_table",
    )
    if picked is not None:
        st.session_state["p_chosen"] = int(proposals.iloc[picked]["id"])
    chosen_proposal = st.session_state.get("p_chosen")
    open_ids = set(proposals.loc[waiting_rows, "id"].astype(int))
    if may_settle and chosen_proposal in open_ids:
        row = proposals[proposals["id"] == chosen_proposal].iloc[0]
        with st.form("proposal_form", clear_on_submit=True):
            st.text(
                f"{person(row['who'])}建议：{record_name(row['record_key'])} 的"
                f"{labels.of('field', row['field'])}由“{row['old_value'] or ''}”改为“{row['new_value']}”"
            )
            verdict = st.radio(
                "审核",
                ["accept", "reject"],
                key="p_verdict",
                horizontal=True,
                format_func=lambda v: {"accept": "采纳", "reject": "退回"}[v],
            )
            note = st.text_input("审核意见（退回时必填）", key="p_reason", max_chars=REASON_LIMIT)
            if st.form_submit_button("提交审核"):
                done(
                    desk.settle(int(chosen_proposal), verdict == "accept", note),
                    "已采纳：更正已记录，下次检查后生效。" if verdict == "accept" else "已退回。",
                )

st.subheader("重新检查")
if me.may("run"):
    st.caption("更正和处理在下一次检查后生效；检查进度显示在页面顶部，完成后本页自动显示新结果。")
    if st.button("立即重新检查", key="recheck"):
        problem = desk.start_run()
        watch_run(problem, desk.ticket)
        done(problem, "已加入检查队列，与其他待检查的变更一并运行。")
else:
    st.caption("您提出的建议被采纳后，省工信厅的下一次检查会将其计入。")

st.subheader("下载")
left, right = st.columns(2)
with left:
    units = [scope.unit] if scope.unit else programme.units  # a city bureau gets its own list only
    feedback_unit = st.selectbox("反馈表：报送单位", units, key="g_feedback_unit")
    actions.download(
        f"下载{feedback_unit}问题反馈表（Excel）",
        "download_feedback",
        feedback_unit,
        lambda: q.feedback(feedback_unit),
        f"{feedback_unit}_问题反馈_{programme.year}.xlsx",
        key="download_feedback",
    )
with right:
    if me.may("correct"):
        st.caption(
            "批量更正：下载问题清单，填写“处理/新值/原因”后用 lingpao corrections apply 导入。"
        )
    actions.download(
        "下载批量更正模板（Excel）",
        "correct",
        None,
        lambda: q.corrections_template(),
        f"更正模板_{programme.year}.xlsx",
        key="download_corrections_template",
    )
