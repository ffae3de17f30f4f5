"""数据质量 (province staff, data stewards, city bureaus): open issues by rule and unit; every cell
leads to the records behind it; the feedback workbooks; the rule sets' validation results."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from lingpao.dashboard import data
from lingpao.dashboard.actions import download
from lingpao.dashboard.charts import chart, chosen_points, count_colorbar
from lingpao.dashboard.common import chart_safe, link_params, page, searched
from lingpao.dashboard.show import chosen_row, number, record_name, table, unit_order
from lingpao.quality.rules import RULES
from lingpao.quality.suites import SUITE_SOURCES, load_suite
from lingpao.queries import Quality

programme = data.programme()
labels = data.labels()
head = page(
    "数据质量",
    "未解决的问题，按规则和单位；点击图中的格子或表中的一行查看对应的记录。",
)
if head is None:
    st.stop()
filters = head
q = data.queries(Quality)
scope = q.scope
NO_UNIT = "（未能确定单位）"

open_issues = q.issues(filters)
columns = st.columns(3)
columns[0].metric("未解决问题", number(len(open_issues)))
for column, severity in zip(columns[1:], ("error", "warning"), strict=True):
    column.metric(
        labels.of("severity", severity),
        number((open_issues["severity"] == severity).sum() if len(open_issues) else 0),
    )
if any(getattr(filters, c) for c in ("cluster", "direction", "application_type", "stage")):
    st.caption("已按集群、方向、类型或环节筛选：只显示平台申报上的问题。")

if open_issues.empty:
    st.success("没有未解决的问题。")
else:
    severity = st.radio(
        "级别",
        ["all", "error", "warning"],
        horizontal=True,
        key="q_severity",
        format_func=lambda v: {"all": "全部", **labels.maps["severity"]}[v],
    )
    shown = open_issues if severity == "all" else open_issues[open_issues["severity"] == severity]
    shown = shown.assign(
        规则=shown["rule"].map(lambda r: RULES[r].name),
        所属市=shown["city"].map(lambda c: c if isinstance(c, str) and c else NO_UNIT),
    )
    rule_of = {RULES[r].name: r for r in shown["rule"].unique()}
    matrix = shown.pivot_table(
        index="规则", columns="所属市", values="issue_id", aggfunc="count", fill_value=0
    )
    matrix = matrix[unit_order(list(matrix.columns))]
    st.subheader("规则 × 单位")
    st.caption("点击一个格子，下方列出这些问题。")

    def issue_map(frame: pd.DataFrame) -> go.Figure:
        figure = go.Figure(
            go.Heatmap(
                z=frame.values,
                x=list(frame.columns),
                y=list(frame.index),
                colorscale="Reds",
                zmin=0,  # the scale starts at zero: a small count never looks like none
                text=frame.values,
                texttemplate="%{text}",
                customdata=[[[i, j] for j in range(frame.shape[1])] for i in range(frame.shape[0])],
                hovertemplate="%{y} · %{x}：%{z} 项<extra></extra>",
                colorbar=count_colorbar("问题数", frame.values.max() if frame.size else 0),
            )
        )
        figure.update_layout(
            height=max(300, 34 * len(frame) + 140),
            margin={"t": 10, "b": 10},
            xaxis={"title": "单位", "side": "top", "automargin": True},
            yaxis={"title": "", "automargin": True, "autorange": "reversed"},
        )
        return figure

    clicked = chart("issue_matrix", chart_safe(matrix), issue_map, select=True)
    for point in chosen_points(clicked, "issue_matrix"):
        row, column = point["customdata"]
        st.session_state["q_rule"] = rule_of.get(matrix.index[int(row)], "all")
        st.session_state["q_city"] = matrix.columns[int(column)]

    st.subheader("问题记录")
    left, right = st.columns(2)
    rule = left.selectbox(
        "规则",
        ["all", *sorted(rule_of.values(), key=lambda r: RULES[r].name)],
        key="q_rule",
        format_func=lambda r: "全部" if r == "all" else RULES[r].name,
    )
    cities = unit_order(list(shown["所属市"].unique()))
    if st.session_state.get("q_city") not in (None, "all", *cities):
        st.session_state["q_city"] = "all"
    city = right.selectbox(
        "单位", ["all", *cities], key="q_city", format_func=lambda c: "全部" if c == "all" else c
    )
    records = shown
    if rule != "all":
        records = records[records["rule"] == rule]
    if city != "all":
        records = records[records["所属市"] == city]
    records = searched(records, "quality", ["record_key", "detail", "credit_code"])
    listing = pd.DataFrame(
        {
            "记录": [
                record_name(k, f, r)
                for k, f, r in zip(
                    records["record_key"],
                    records["source_file"],
                    records["source_row"],
                    strict=True,
                )
            ],
            "来源": labels.series("source", records["source"]),
            "单位": records["所属市"],
            "级别": labels.series("severity", records["severity"]),
            "规则": records["规则"],
            "问题说明": records["detail"],
            "建议修改": records["suggested_fix"],
        }
    )
    st.caption("点选一行到“数据治理”处理这条问题。")
    picked = chosen_row(
        table(listing, "issue_records", pinned=("记录",), select="single-row"), "issue_records"
    )
    if picked is not None:
        st.switch_page(
            "views/queue.py",
            query_params=link_params(filters, issue=str(records.iloc[picked]["issue_id"])),
        )

st.subheader("问题反馈表")
st.caption("每个单位一份：本单位记录上未解决的问题，逐条写明位置和如何更正，发回各市更正。")
units = [scope.unit] if scope.unit else programme.units
left, right = st.columns(2)
with left:
    unit = st.selectbox("报送单位", units, key="q_feedback_unit")
    download(
        f"下载{unit}问题反馈表（Excel）",
        "download_feedback",
        unit,
        lambda: q.feedback(unit),
        f"{unit}_问题反馈_{programme.year}.xlsx",
        key="q_download_feedback",
    )
with right:
    download(
        f"下载全部 {len(programme.units)} 个单位的问题反馈表（zip）",
        "export",
        None,
        lambda: q.feedback_all(),
        f"各单位问题反馈_{programme.year}.zip",
        key="q_download_feedback_all",
        mime="application/zip",
    )

st.subheader("规则集校验结果")
st.caption(
    "列规则由规则集（每张表一套）逐项校验；下表为每项检查当前不通过的记录数和示例值（已忽略的仍计入）。"
)
failures = q.rule_failures()
rows = []
for suite, source in SUITE_SOURCES.items():
    for expectation in load_suite(suite)["expectations"]:
        rule = expectation["meta"]["rule"]
        mine = failures[(failures["source"] == source) & (failures["rule"] == rule)]
        rows.append(
            {
                "数据表": labels.of("source", source),
                "规则": RULES[rule].name,
                "检查": labels.expectation(expectation),
                "不通过记录数": int(mine["failing"].sum()) if len(mine) else 0,
                "示例值": "、".join(map(str, mine["examples"].iloc[0])) if len(mine) else "",
            }
        )
table(pd.DataFrame(rows), "validation_results", pinned=("数据表", "规则"))
docs = data.layout().gx_docs
if scope.unit is None and (docs / "index.html").exists():
    st.caption("完整的数据质量报告（网页，可离线打开）随每次检查在后台生成。")
    download(
        "下载数据质量报告（zip）",
        "export",
        None,
        lambda: q.data_docs(docs),
        f"数据质量报告_{programme.year}.zip",
        key="download_docs",
        mime="application/zip",
    )
