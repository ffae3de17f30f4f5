"""总览 (province staff): progress per city, type and stage against the windows and deadlines."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.express as px
import streamlit as st

from lingpao.dashboard import data
from lingpao.dashboard.charts import chart
from lingpao.dashboard.common import chart_safe, number, page
from lingpao.queries import CityDesk, Progress

programme = data.programme()
labels = data.labels()
head = page(
    "“领跑者”企业申报总览",
    "省级工作人员：各市、各集群、各方向、各环节的进度，对照申报窗口和截止时间。",
)
if head is None:
    st.stop()
filters = head
q = data.queries(Progress)
scope = q.scope

by_type = q.counts_by(["application_type"], filters)
per_type = (
    dict(zip(by_type["application_type"], by_type["applications"], strict=True))
    if len(by_type)
    else {}
)
columns = st.columns(4)
for column, (type_id, spec) in zip(columns, programme.types.items(), strict=False):
    column.metric(spec["label"], number(per_type.get(type_id, 0)))
columns[3].metric("草稿（未提交）", number(q.drafts(filters)))

kpis = q.figures("kpis", filters)
columns = st.columns(len(kpis))
for column, (label, _, count) in zip(columns, kpis, strict=True):
    column.metric(label, number(count))
returned_label, _, returned = q.returned(filters)
if returned:
    st.caption(f"另有{returned_label} {number(returned)} 项。")

left, right = st.columns(2)
with left:
    st.subheader("环节漏斗")
    funnel = pd.DataFrame(
        [(label, count) for label, _, count in q.figures("funnel", filters)],
        columns=["环节", "申报数"],
    )

    def funnel_chart(frame: pd.DataFrame):
        figure = px.funnel(frame, x="申报数", y="环节")
        figure.update_layout(height=320, margin={"t": 10, "b": 10, "l": 10, "r": 10})
        return figure

    chart("funnel", funnel, funnel_chart)
with right:
    st.subheader("每日提交")
    daily = q.daily_submissions(filters)
    if daily.empty:
        st.info("暂无已提交的申报。")
    else:
        daily["申报类型"] = labels.series("type", daily["application_type"])

        def daily_chart(frame: pd.DataFrame):
            figure = px.bar(
                frame,
                x="day",
                y="applications",
                color="申报类型",
                labels={"day": "提交日期", "applications": "申报数"},
            )
            for type_id, colour in zip(
                programme.types, ["#1f77b4", "#ff7f0e", "#2ca02c"], strict=False
            ):
                start, end = programme.window(type_id)
                figure.add_vrect(
                    x0=pd.Timestamp(start) - pd.Timedelta(hours=12),
                    x1=pd.Timestamp(end) + pd.Timedelta(hours=12),
                    fillcolor=colour,
                    opacity=0.07,
                    line_width=0,
                )
            due = pd.Timestamp(programme.city_tables_due) + pd.Timedelta(hours=12)
            figure.add_shape(
                type="line",
                x0=due,
                x1=due,
                y0=0,
                y1=1,
                yref="paper",
                line={"color": "#d62728", "dash": "dash"},
            )
            figure.add_annotation(
                x=due,
                y=1,
                yref="paper",
                text="市级汇总表截止",
                showarrow=False,
                font={"color": "#d62728"},
            )
            figure.update_layout(
                height=320, margin={"t": 20, "b": 10, "l": 10, "r": 10}, bargap=0.2
            )
            return figure

        chart("daily", daily, daily_chart, programme.year)
        windows = "；".join(
            f"{spec['label']} {programme.window(t)[0]:%m-%d}至{programme.window(t)[1]:%m-%d}"
            for t, spec in programme.types.items()
        )
        st.caption(
            f"阴影为申报窗口（{windows}），红线为市级汇总表截止日 {programme.city_tables_due:%m-%d}。"
        )

st.subheader("各市 × 申报类型 × 当前环节")
matrix = q.counts_by(["city", "application_type", "stage"], filters)
if matrix.empty:
    st.info("暂无已提交的申报。")
else:
    order = [s["id"] for s in programme.stages]
    matrix["stage"] = pd.Categorical(
        matrix["stage"], categories=order + ["(空或无效)"], ordered=True
    )
    table = matrix.pivot_table(
        index=["city", "application_type"],
        columns="stage",
        values="applications",
        aggfunc="sum",
        fill_value=0,
        observed=True,
    )
    table["合计"] = table.sum(axis=1)
    table = table.reset_index()
    table.columns = [labels.of("stage", c) for c in table.columns]
    st.dataframe(labels.frame(table), hide_index=True, key="city_type_stage")

st.subheader(f"市级汇总表（附件2）收到情况　截止 {programme.city_tables_due:%Y-%m-%d}")
tables = data.queries(CityDesk)
arrivals = tables.city_table_arrivals()
as_of = q.as_of()
due_end = pd.Timestamp(
    dt.datetime.combine(programme.city_tables_due, dt.time(23, 59, 59))
).tz_localize(programme.timezone)


def arrival_state(row: pd.Series) -> str:
    if row["arrived_at"] is None or pd.isna(row["arrived_at"]):
        return "逾期未交" if as_of > due_end else "未收到"
    return "逾期提交" if row["arrived_at"] > due_end else "已收到"


arrivals["状态"] = arrivals.apply(arrival_state, axis=1)
arrivals["收到时间"] = arrivals["arrived_at"].map(
    lambda t: "" if t is None or pd.isna(t) else f"{t:%Y-%m-%d %H:%M}"
)
received = int((arrivals["状态"].isin(["已收到", "逾期提交"])).sum())
st.metric("已收到", f"{received} / {len(arrivals)}")
present = arrivals["received"].fillna(False).astype(bool)
submitted = arrivals["version"].notna()
arrivals["版本"] = [
    f"第{int(v)}版（网上报送）" if online else ("收件箱文件" if there else "")
    for v, online, there in zip(arrivals["version"], submitted, present, strict=True)
]
if "submitted_by" in arrivals:  # a personal column: absent for viewers without contact access
    arrivals["submitted_by"] = arrivals["submitted_by"].astype("string").fillna("")
arrivals["未解决问题"] = [
    f"{int(n)} 项" if n and not pd.isna(n) else ("无" if online or there else "")
    for n, online, there in zip(arrivals["open_problems"], submitted, present, strict=True)
]
shown_columns = ["报送单位", "状态", "收到时间", "版本", "报送人", "申报行数", "未解决问题", "文件"]
arrivals = arrivals.rename(
    columns={"unit": "报送单位", "files": "文件", "rows": "申报行数", "submitted_by": "报送人"}
)  # 报送人 and 文件 are there only for viewers with contact and record access
st.dataframe(
    arrivals[[c for c in shown_columns if c in arrivals.columns]],
    hide_index=True,
    key="arrivals",
)
unreadable = tables.unreadable_city_files() if scope.records else pd.DataFrame()
if len(unreadable):
    st.warning(f"有 {len(unreadable)} 个汇总表文件未能读取，见下表。")
    st.dataframe(
        unreadable.rename(columns={"source_file": "文件", "reason": "原因"}),
        hide_index=True,
        key="unreadable_city_files",
    )

st.subheader("等待最久的申报")
left, right = st.columns(2)
for column, (title, stages, _) in zip((left, right), q.figures("waiting", filters), strict=False):
    with column:
        st.markdown(f"**{title}**")
        waiting = q.longest_waiting(filters, stages)
        if waiting.empty:
            st.info(f"没有{title}的申报。")
        else:
            waiting["since"] = waiting["since"].map(
                lambda t: f"{pd.Timestamp(t).tz_convert(programme.timezone):%m-%d %H:%M}"
            )
            shown = waiting[
                ["application_id", "company_name", "city", "application_type", "days", "since"]
            ]
            st.dataframe(labels.frame(shown), hide_index=True, key=f"waiting_{title}")

with st.expander("按市、集群、方向的申报数"):
    for dimension, heading in (
        ("city", "各市申报数"),
        ("cluster", "各集群申报数"),
        ("direction", "各申报方向申报数"),
    ):
        counts = labels.frame(q.application_counts(dimension, filters))
        st.markdown(f"**{heading}**")
        if counts.empty:
            st.info("暂无已提交的申报。")
            continue

        def counts_chart(frame: pd.DataFrame):
            figure = px.bar(chart_safe(frame), x=frame.columns[0], y="申报数", text="申报数")
            figure.update_layout(height=300, margin={"t": 10, "b": 10}, xaxis_title=None)
            return figure

        chart(f"chart_{dimension}", counts, counts_chart)
        st.dataframe(counts, hide_index=True, key=f"table_{dimension}")
