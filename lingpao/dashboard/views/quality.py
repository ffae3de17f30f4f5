"""数据质量 (province staff, data stewards): open issues by city and rule, the records behind each count."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from lingpao.dashboard import data
from lingpao.dashboard.actions import download
from lingpao.dashboard.charts import chart
from lingpao.dashboard.common import chart_safe, number, page, searched
from lingpao.quality.rules import RULES
from lingpao.quality.suites import SUITE_SOURCES, load_suite
from lingpao.queries import Quality

programme = data.programme()
labels = data.labels()
head = page(
    "数据质量", "省级工作人员与数据管理员：未解决的问题，按市、规则和级别，可查看每条记录。"
)
if head is None:
    st.stop()
filters = head
q = data.queries(Quality)
scope = q.scope

open_issues = q.issues(filters)
columns = st.columns(3)
columns[0].metric("未解决问题", number(len(open_issues)))
columns[1].metric(
    labels.of("severity", "error"),
    number((open_issues["severity"] == "error").sum() if len(open_issues) else 0),
)
columns[2].metric(
    labels.of("severity", "warning"),
    number((open_issues["severity"] == "warning").sum() if len(open_issues) else 0),
)
if filters.active() and any(
    getattr(filters, c) for c in ("cluster", "direction", "application_type", "stage")
):
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
        所属市=shown["city"].fillna("(不明)"),
    )
    matrix = shown.pivot_table(
        index="规则", columns="所属市", values="issue_id", aggfunc="count", fill_value=0
    )
    st.subheader("规则 × 各市")
    if not matrix.empty:

        def issue_map(frame: pd.DataFrame):
            figure = px.imshow(
                chart_safe(frame),
                text_auto=True,
                aspect="auto",
                color_continuous_scale="Reds",
                labels={"x": "所属市", "y": "规则", "color": "问题数"},
            )
            figure.update_layout(height=max(300, 28 * len(frame) + 150), margin={"t": 10, "b": 10})
            return figure

        chart("issue_matrix", matrix, issue_map)
        st.dataframe(matrix.reset_index(), hide_index=True, key="issue_table")

    st.subheader("查看记录")
    left, right = st.columns(2)
    rules = sorted(shown["rule"].unique())
    rule = left.selectbox(
        "规则",
        ["all", *rules],
        key="q_rule",
        format_func=lambda r: "全部" if r == "all" else RULES[r].name,
    )
    cities = sorted(shown["所属市"].unique())
    city = right.selectbox(
        "所属市", ["all", *cities], key="q_city", format_func=lambda c: "全部" if c == "all" else c
    )
    records = shown
    if rule != "all":
        records = records[records["rule"] == rule]
    if city != "all":
        records = records[records["所属市"] == city]
    records = searched(records, "quality", ["record_key", "detail", "credit_code"])
    st.dataframe(
        labels.frame(
            records[["record_key", "source", "severity", "rule", "detail", "suggested_fix"]].fillna(
                ""
            )
        ),
        hide_index=True,
        key="issue_records",
    )

st.subheader("规则集校验结果（Great Expectations）")
st.caption(
    "列规则由 Great Expectations 规则集（expectations/*.json）校验；下表为每项检查当前不通过的记录数"
    "和示例值（已忽略的仍计入），不通过的记录见上方“查看记录”。"
)
failures = q.rule_failures()
rows = []
for suite, source in SUITE_SOURCES.items():
    source_label = labels.of("source", source)
    for expectation in load_suite(suite)["expectations"]:
        rule = expectation["meta"]["rule"]
        mine = failures[(failures["source"] == source) & (failures["rule"] == rule)]
        rows.append(
            {
                "数据表": source_label,
                "规则": RULES[rule].name,
                "检查": labels.expectation(expectation),
                "不通过记录数": int(mine["failing"].sum()) if len(mine) else 0,
                "示例值": "、".join(map(str, mine["examples"].iloc[0])) if len(mine) else "",
            }
        )
st.dataframe(pd.DataFrame(rows), hide_index=True, key="validation_results")
docs = data.layout().gx_docs
if scope.unit is None and (docs / "index.html").exists():
    st.text(f"完整的数据文档（HTML，可离线打开 index.html）在服务器目录：{docs}")
    download(
        "下载数据文档（zip）",
        "export",
        None,
        lambda: q.data_docs(docs),
        f"数据文档_{programme.year}.zip",
        key="download_docs",
        mime="application/zip",
    )
