"""历年对比: the rounds side by side for leadership and province staff — per unit or cluster,
applications, pool entries, certified, adjusted and leaders; this round's pace against the previous
round's at the same distance from its deadline. Aggregates only: no contact data."""

from __future__ import annotations

import dataclasses

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from lingpao.dashboard import data
from lingpao.dashboard.charts import chart, chosen_points
from lingpao.dashboard.common import go_to_list, page
from lingpao.dashboard.show import number, table, unit_order
from lingpao.labels import COLUMNS
from lingpao.queries.rounds import Rounds

head = page(
    "历年对比",
    "各年度（轮次）的申报、确认入库、认定、调整和领跑者数量，按单位或集群对比；"
    "本年度进度与上一年度同期对比。只含汇总数字，不含联系人信息。",
)
if head is None:
    st.stop()
filters = head
q = data.queries(Rounds)
programme = data.programme()
years = q.years()
METRICS = ["applications", "pool_entries", "certified", "adjusted", "leaders"]

by = st.radio("对比", ["所属市", "集群"], horizontal=True, key="r_by")
dimension = "city" if by == "所属市" else "cluster"
frame = q.compare(dimension, filters)
if frame.empty:
    st.info("没有可对比的数据。")
    st.stop()

totals = frame.groupby("programme_year")[METRICS].sum().reindex(years, fill_value=0)
year, previous = programme.year, programme.year - 1
columns = st.columns(len(METRICS))
for column, metric in zip(columns, METRICS, strict=True):
    now = int(totals.loc[year, metric]) if year in totals.index else 0
    before = int(totals.loc[previous, metric]) if previous in totals.index else None
    column.metric(
        f"{year}年{COLUMNS[metric]}",
        number(now),
        delta=None if before is None else f"{now - before:+,}（较{previous}年）",
        delta_color="off",
    )


def totals_chart(shown: pd.DataFrame) -> go.Figure:
    figure = go.Figure()
    palette = ["#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#ff7f0e"]
    for colour, metric in zip(palette, METRICS, strict=True):
        figure.add_bar(
            x=[f"{y}年度" for y in shown.index],
            y=shown[metric],
            name=COLUMNS[metric],
            marker_color=colour,
            customdata=list(range(len(shown))),  # the position of the round
        )
    figure.update_layout(
        barmode="group",
        height=340,
        margin={"t": 20, "b": 10, "l": 10, "r": 10},
        legend={"orientation": "h", "y": -0.2},
        yaxis={"title": "企业或申报数"},
    )
    return figure


st.subheader("各年度合计")
for point in chosen_points(chart("r_totals", totals, totals_chart, select=True), "r_totals"):
    chosen_year = int(totals.index[int(point["customdata"])])
    go_to_list(dataclasses.replace(filters, extra={"year": chosen_year}))
st.caption("点击柱形查看该年度的申报列表。领跑者（年末）：该年度结束时仍为领跑者的企业数。")

st.subheader(f"按{by}对比")
wide = frame.pivot_table(
    index=dimension, columns="programme_year", values=METRICS, aggfunc="sum", fill_value=0
)
wide.columns = [f"{y}年{COLUMNS[m]}" for m, y in wide.columns]
ordered = [  # the chosen round first (in view), then the earlier ones, newest first
    f"{y}年{COLUMNS[m]}"
    for y in sorted(years, key=lambda y: (y != year, -y))
    for m in METRICS
    if f"{y}年{COLUMNS[m]}" in wide
]
wide = wide[ordered].reset_index()
if dimension == "city":
    wide = wide.set_index("city").loc[unit_order(list(wide["city"]))].reset_index()
wide = wide.rename(columns={"city": "所属市", "cluster": "集群"})
table(wide, "r_table", pinned=(wide.columns[0],))

st.subheader(f"{year}年度进度与{previous}年度同期对比")
pace = q.pace(year, filters)
if pace.empty or previous not in set(pace["programme_year"]):
    st.info(f"没有{previous}年度的数据可供对比。")
    st.stop()


def pace_chart(shown: pd.DataFrame) -> go.Figure:
    figure = go.Figure()
    for chosen, colour in ((previous, "#9e9e9e"), (year, "#1f77b4")):
        rows = shown[shown["programme_year"] == chosen]
        figure.add_scatter(
            x=rows["offset"],
            y=rows["cumulative"],
            mode="lines+markers",
            name=f"{chosen}年度",
            line={"color": colour, "shape": "hv"},
        )
    figure.add_vline(x=0, line_dash="dash", line_color="#d62728")
    figure.update_layout(
        height=340,
        margin={"t": 20, "b": 10, "l": 10, "r": 10},
        legend={"orientation": "h", "y": -0.25},
        xaxis={"title": "距市级汇总表截止日（天，负数为截止前）"},
        yaxis={"title": "累计收到的申报"},
    )
    return figure


chart("r_pace", pace, pace_chart, year)
latest = pace[pace["programme_year"] == year]
if len(latest):
    today = int(latest["offset"].max())
    earlier = pace[(pace["programme_year"] == previous) & (pace["offset"] <= today)]
    before = int(earlier["cumulative"].max()) if len(earlier) else 0
    when = (
        f"截止日前 {-today} 天"
        if today < 0
        else ("截止日当天" if today == 0 else f"截止日后 {today} 天")
    )
    st.caption(
        f"至{when}：{year}年度累计 {number(int(latest['cumulative'].max()))} 项，"
        f"{previous}年度同期 {number(before)} 项。"
        "有平台的年度按企业提交时间，只有市级汇总表的年度按汇总表收到的时间。"
    )
