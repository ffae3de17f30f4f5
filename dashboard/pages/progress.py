"""总览: current applications per city, cluster and direction, and the data's as-of time."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from dashboard import data
from dashboard.labels import labelled

programme = data.programme()
st.title("“领跑者”企业申报总览")
as_of = data.as_of()
if as_of is None:
    st.info("尚无数据：请先运行 `lingpao run` 导入平台导出文件。")
    st.stop()
st.caption(f"数据截至 {as_of:%Y-%m-%d %H:%M}（最新平台导出时间）")

scope = data.ALL_UNITS
numbers = data.headline(scope)
left, right = st.columns(2)
left.metric("已提交申报", f"{numbers['submitted']:,}")
right.metric("草稿（未提交）", f"{numbers['drafts']:,}")

for dimension, heading in (
    ("city", "各市申报数"),
    ("cluster", "各集群申报数"),
    ("direction", "各申报方向申报数"),
):
    st.subheader(heading)
    counts = labelled(data.application_counts(dimension, scope), programme)
    if counts.empty:
        st.info("暂无已提交的申报。")
        continue
    label = counts.columns[0]
    chart = px.bar(counts, x=label, y="申报数", text="申报数")
    chart.update_layout(height=320, margin={"t": 10, "b": 10}, xaxis_title=None)
    st.plotly_chart(chart, width="stretch", key=f"chart_{dimension}")
    st.dataframe(counts, hide_index=True, key=f"table_{dimension}")
