"""集群 (leadership): cluster-level summary; company names allowed, contact data never."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from lingpao.dashboard import data
from lingpao.dashboard.charts import chart
from lingpao.dashboard.common import SHOWN_ROWS, chart_safe, count_caption, number, page, search_box
from lingpao.queries import Clusters

programme = data.programme()
labels = data.labels()
KIND = {"direction": "direction", "application_type": "type"}
head = page(
    "县域特色产业集群概况", "领导：各集群的申报、培育库和推荐认定情况（不含任何联系人信息）。"
)
if head is None:
    st.stop()
filters = head
q = data.queries(Clusters)
scope = q.scope

summary = q.cluster_summary(filters)
idle = q.idle_clusters(filters)
columns = st.columns(4)
columns[0].metric("有申报的集群", number(len(summary)))
columns[1].metric("无申报的集群", number(len(idle)))
columns[2].metric("申报总数", number(summary["applications"].sum() if len(summary) else 0))
columns[3].metric("本轮确认入库", number(summary["newly_confirmed"].sum() if len(summary) else 0))

st.subheader("各集群申报与培育库")
if summary.empty:
    st.info("暂无已提交的申报。")
else:
    st.dataframe(labels.frame(summary), hide_index=True, key="cluster_summary")


def stacked_by_cluster(column: str, legend: str, height: int, key: str) -> None:
    """Submitted applications per cluster, stacked by a labelled column (direction or type)."""
    counts = q.counts_by(["cluster", column], filters)
    if counts.empty:
        st.info("暂无已提交的申报。")
        return
    counts[legend] = labels.series(KIND[column], counts[column])

    def stacked(frame: pd.DataFrame):
        figure = px.bar(
            chart_safe(frame),
            x="cluster",
            y="applications",
            color=legend,
            labels={"cluster": "所属集群", "applications": "申报数"},
        )
        figure.update_layout(height=height, margin={"t": 10, "b": 10})
        return figure

    chart(key, counts, stacked, legend, height)


st.subheader("各集群申报方向")
stacked_by_cluster("direction", "申报方向", 380, "cluster_direction")

st.subheader("各市 × 申报方向")
heat = q.counts_by(["city", "direction"], filters)
if heat.empty:
    st.info("暂无已提交的申报。")
else:
    heat["方向"] = labels.series("direction", heat["direction"])
    grid = heat.pivot_table(
        index="city", columns="方向", values="applications", aggfunc="sum", fill_value=0
    )

    def heat_map(frame: pd.DataFrame):
        figure = px.imshow(
            chart_safe(frame),
            text_auto=True,
            aspect="auto",
            color_continuous_scale="Blues",
            labels={"x": "申报方向", "y": "所属市", "color": "申报数"},
        )
        figure.update_layout(height=420, margin={"t": 10, "b": 10})
        return figure

    chart("city_direction", grid, heat_map)

st.subheader("各集群申报类型")
stacked_by_cluster("application_type", "申报类型", 340, "cluster_type")

st.subheader("市级推荐认定的企业")
search = search_box("recommended", "企业名称或集群")
companies = q.recommended_companies(filters, search=search, limit=SHOWN_ROWS)
total = q.recommended_count(filters, search)
if not total:
    st.info("暂无市级推荐认定的企业。" if not search else "没有符合搜索的企业。")
else:
    count_caption(total, len(companies), "家")
    st.dataframe(labels.frame(companies), hide_index=True, key="recommended")

st.subheader("无申报的集群")
if idle.empty:
    st.success("名单中的每个集群都有申报。")
else:
    st.dataframe(
        idle.rename(
            columns={"cluster": "集群名称", "county": "所属县（市、区）", "city": "所属市"}
        ),
        hide_index=True,
        key="idle_clusters",
    )
