"""申报列表: the applications behind every count, by the shared filters (and a day, a search), page
by page, each opening its record."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from lingpao.dashboard import data
from lingpao.dashboard.common import go_to_record, page
from lingpao.dashboard.show import chosen_row, day, number, table
from lingpao.queries import Applications

PAGE_ROWS = 100
labels = data.labels()
head = page(
    "申报列表",
    "按左侧筛选条件列出的申报；从各页的数字、图表和表格点进来时，列出的正是被计数的申报。",
)
if head is None:
    st.stop()
filters = head
q = data.queries(Applications)

asked_day = st.query_params.get("day")
try:
    chosen_day = dt.date.fromisoformat(asked_day) if asked_day else None
except ValueError:
    chosen_day = None
left, right = st.columns([3, 1])
search = left.text_input(
    "搜索",
    value=st.query_params.get("q", ""),
    key="l_search",
    placeholder="申报编号、企业名称、统一社会信用代码、集群或县",
).strip()
if search:
    st.query_params["q"] = search
elif "q" in st.query_params:
    del st.query_params["q"]
if chosen_day is not None:
    right.text(f"提交日期：{day(chosen_day)}")
    if right.button("不限提交日期", key="l_all_days"):
        del st.query_params["day"]
        st.rerun()

total = q.count(filters, search or None, chosen_day)
pages = max(1, -(-total // PAGE_ROWS))
described = [
    "、".join(str(labels.of(kind, v)) if kind else v for v in getattr(filters, column))
    for column, kind in (
        ("city", None),
        ("cluster", None),
        ("application_type", "type"),
        ("direction", "direction"),
        ("stage", "stage"),
    )
    if getattr(filters, column)
]
st.subheader(f"共 {number(total)} 项申报")
if described:
    st.caption("筛选：" + "；".join(described))
if not total:
    st.info("没有符合条件的申报。")
    st.stop()
number_of_page = st.number_input(
    f"页码（共 {pages} 页，每页 {PAGE_ROWS} 项）",
    min_value=1,
    max_value=pages,
    value=1,
    step=1,
    key="l_page",
)
rows = q.listing(
    filters, search or None, chosen_day, limit=PAGE_ROWS, offset=(number_of_page - 1) * PAGE_ROWS
)
shown = labels.frame(rows)
st.caption("点选一行查看该申报的全部信息。" if q.scope.records else "")
event = table(
    shown,
    "l_table",
    pinned=("申报编号", "企业名称"),
    select="single-row" if q.scope.records else None,
)
chosen = chosen_row(event, "l_table")
if chosen is not None:
    go_to_record(str(rows.iloc[chosen]["application_id"]), filters)
