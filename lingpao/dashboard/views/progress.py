"""总览 (province staff): progress per city, type and stage against the windows and deadlines; every
figure leads to the applications it counts."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from lingpao.dashboard import data
from lingpao.dashboard.actions import download
from lingpao.dashboard.charts import chart, chosen_points
from lingpao.dashboard.common import chart_safe, go_to_list, go_to_record, list_link, page
from lingpao.dashboard.show import (
    chosen_cell,
    chosen_row,
    colours,
    day,
    file_name,
    number,
    person,
    table,
    unit_order,
    when,
)
from lingpao.queries import EMPTY, CityDesk, Progress

programme = data.programme()
labels = data.labels()
head = page(
    "“领跑者”企业申报总览",
    "各市、各集群、各方向、各环节的进度，对照申报窗口和截止时间；点击任一数字、图表或表格单元格可查看对应的申报。",
)
if head is None:
    st.stop()
filters = head
q = data.queries(Progress)
tables = data.queries(CityDesk)
scope = q.scope
type_label = labels.maps["type"]
type_of = {v: k for k, v in type_label.items()}
stage_of = {v: k for k, v in labels.maps["stage"].items()}

# -- applications by type, and by the programme's figures ------------------------------------------
by_type = q.counts_by(["application_type"], filters)
per_type = dict(zip(by_type["application_type"], by_type["applications"], strict=True))
columns = st.columns(len(programme.types) + 1)
for column, type_id in zip(columns, programme.types, strict=False):
    with column:
        st.metric(type_label[type_id], number(per_type.get(type_id, 0)))
        list_link("查看", filters, application_type=[type_id])
with columns[-1]:
    st.metric("草稿（未提交）", number(q.drafts(filters)))
    list_link("查看", filters, stage=["draft"])

kpis = q.figures("kpis", filters)
columns = st.columns(len(kpis))
for column, (label, stages, count) in zip(columns, kpis, strict=True):
    with column:
        st.metric(label, number(count))
        list_link("查看", filters, stage=stages)
returned_label, returned_stages, returned = q.returned(filters)
if returned:
    st.caption(f"另有{returned_label} {number(returned)} 项。")
    list_link(f"查看{returned_label}的申报", filters, stage=returned_stages)

left, right = st.columns(2)
with left:
    st.subheader("环节漏斗")
    st.caption("点击一段查看已到达该环节的申报。")
    funnel = q.figures("funnel", filters)
    frame = pd.DataFrame([(label, count) for label, _, count in funnel], columns=["环节", "申报数"])

    def funnel_chart(frame: pd.DataFrame) -> go.Figure:
        figure = go.Figure(
            go.Funnel(
                y=frame["环节"],
                x=frame["申报数"],
                customdata=list(range(len(frame))),
                textinfo="value",
                marker={"color": "#c0392b"},
            )
        )
        figure.update_layout(height=320, margin={"t": 10, "b": 10, "l": 10, "r": 10})
        return figure

    for point in chosen_points(chart("funnel", frame, funnel_chart, select=True), "funnel"):
        go_to_list(filters, stage=funnel[int(point["customdata"])][1])

with right:
    st.subheader("每日提交")
    daily = q.daily_submissions(filters)
    if daily.empty:
        st.info("暂无已提交的申报。")
    else:
        st.caption("点击柱子查看当天提交的这类申报。")

        def daily_chart(frame: pd.DataFrame) -> go.Figure:
            figure = go.Figure()
            hues = colours("type")
            for type_id in programme.types:
                rows = frame[frame["application_type"] == type_id]
                if rows.empty:
                    continue
                figure.add_bar(
                    x=pd.to_datetime(rows["day"]),
                    y=rows["applications"],
                    name=type_label[type_id],
                    marker_color=hues[type_label[type_id]],
                    customdata=[int(i) for i in rows.index],  # the row of `daily`
                )
            for type_id in programme.types:
                if "window" not in programme.types[type_id]:
                    continue
                start, end = programme.window(type_id)
                figure.add_vrect(
                    x0=pd.Timestamp(start) - pd.Timedelta(hours=12),
                    x1=pd.Timestamp(end) + pd.Timedelta(hours=12),
                    fillcolor=hues[type_label[type_id]],
                    opacity=0.07,
                    line_width=0,
                )
            due = pd.Timestamp(programme.city_tables_due) + pd.Timedelta(hours=12)
            figure.add_shape(
                type="line", x0=due, x1=due, y0=0, y1=1, yref="paper",
                line={"color": "#d62728", "dash": "dash"},
            )  # fmt: skip
            figure.add_annotation(
                x=due, y=1, yref="paper", text="市级汇总表截止", showarrow=False,
                font={"color": "#d62728"},
            )  # fmt: skip
            figure.update_layout(
                barmode="stack",
                height=380,
                margin={"t": 30, "b": 10, "l": 10, "r": 10},
                bargap=0.2,
                legend={"orientation": "h", "y": -0.45, "title": {"text": "申报类型"}},
                xaxis={"tickformat": "%-m月%-d日", "title": "提交日期", "dtick": 86400000},
                yaxis={"title": "申报数"},
            )
            return figure

        for point in chosen_points(
            chart("daily", daily, daily_chart, programme.year, select=True), "daily"
        ):
            chosen = daily.loc[int(point["customdata"])]
            go_to_list(
                filters,
                application_type=[chosen["application_type"]],
                day=pd.Timestamp(chosen["day"]).date(),
            )
        windows = "；".join(
            f"{spec['label']} {day(programme.window(t)[0])}至{day(programme.window(t)[1])}"
            for t, spec in programme.types.items()
            if "window" in spec
        )
        st.caption(
            f"阴影为申报窗口（{windows}），红线为市级汇总表截止日 {day(programme.city_tables_due)}。"
        )

# -- city x type x stage: every cell leads to what it counts ---------------------------------------
st.subheader("各市 × 申报类型 × 当前环节")
matrix = q.counts_by(["city", "application_type", "stage"], filters)
if matrix.empty:
    st.info("暂无已提交的申报。")
else:
    order = [s["id"] for s in programme.stages if s["id"] != "draft"]
    grid = matrix.pivot_table(
        index=["city", "application_type"],
        columns="stage",
        values="applications",
        aggfunc="sum",
        fill_value=0,
    )
    grid = grid.reindex(columns=[s for s in [*order, EMPTY] if s in grid.columns])
    grid["合计"] = grid.sum(axis=1)
    grid = grid.reset_index()
    grid["_unit"] = grid["city"].map(
        lambda c: programme.units.index(c) if c in programme.units else len(programme.units)
    )
    grid["_type"] = grid["application_type"].map(
        lambda t: list(programme.types).index(t) if t in programme.types else 9
    )
    grid = (
        grid.sort_values(["_unit", "_type"]).drop(columns=["_unit", "_type"]).reset_index(drop=True)
    )
    shown = grid.copy()
    shown["application_type"] = shown["application_type"].map(lambda t: type_label.get(t, t))
    shown.columns = ["所属市", "申报类型", *[labels.of("stage", c) for c in grid.columns[2:]]]
    st.caption("点击一个数字查看它所计的申报。")
    cell = chosen_cell(
        table(shown, "city_type_stage", pinned=("所属市", "申报类型"), select="single-cell"),
        "city_type_stage",
    )
    if cell is not None:
        row, column = cell
        chosen = grid.iloc[row]
        stage = None if column in ("合计", "所属市", "申报类型") else stage_of.get(column, column)
        go_to_list(
            filters,
            city=[chosen["city"]],
            application_type=[chosen["application_type"]],
            **({"stage": [stage]} if stage else {}),
        )

# -- the city tables ----------------------------------------------------------------------------------
st.subheader(f"市级汇总表（附件2）收到情况　截止 {programme.city_tables_due:%Y-%m-%d}")
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
received = int(arrivals["状态"].isin(["已收到", "逾期提交"]).sum())
st.metric("已收到", f"{received} / {len(arrivals)}")
present = arrivals["received"].fillna(False).astype(bool)
online = arrivals["version"].notna()
listing = pd.DataFrame(
    {
        "报送单位": arrivals["unit"],
        "状态": arrivals["状态"],
        "收到时间": arrivals["arrived_at"].map(when),
        "版本": [
            f"第{int(v)}版（网上报送）" if o else ("收件箱文件" if there else "")
            for v, o, there in zip(arrivals["version"], online, present, strict=True)
        ],
        **({"报送人": arrivals["submitted_by"].map(person)} if "submitted_by" in arrivals else {}),
        "申报行数": arrivals["rows"],
        "未解决问题": [
            (f"{int(n)} 项" if n else "无") if (o or there) else ""
            for n, o, there in zip(
                arrivals["open_problems"].fillna(0), online, present, strict=True
            )
        ],
        **(
            {
                "文件": arrivals["files"].map(
                    lambda f: "、".join(file_name(x) for x in str(f).split("、") if x)
                )
            }
            if "files" in arrivals
            else {}
        ),
    }
)
if scope.records:
    st.caption("点击一个单位的“未解决问题”查看这些问题。")
cell = chosen_cell(
    table(
        listing, "arrivals", pinned=("报送单位",), select="single-cell" if scope.records else None
    ),
    "arrivals",
)
if cell is not None and cell[1] == "未解决问题":
    st.switch_page(
        "views/quality.py",
        query_params={"city": str(arrivals.iloc[cell[0]]["unit"]), "year": str(programme.year)},
    )
unreadable = tables.unreadable_city_files() if scope.records else pd.DataFrame()
if len(unreadable):
    st.warning(f"有 {len(unreadable)} 个汇总表文件未能读取，见下表。")
    table(
        pd.DataFrame(
            {"文件": unreadable["source_file"].map(file_name), "原因": unreadable["reason"]}
        ),
        "unreadable_city_files",
    )
download(
    "下载全省汇总表（附件2格式，Excel）",
    "export",
    None,
    lambda: q.summary_workbook(),
    f"附件2汇总表_全省_{programme.year}.xlsx",
    key="download_summary",
)

# -- waiting longest ------------------------------------------------------------------------------------
st.subheader("等待最久的申报")
waits = q.figures("waiting", filters)
for title, stages, _ in waits:
    with st.container():
        st.markdown(f"**{title}**")
        waiting = q.longest_waiting(filters, stages)
        if waiting.empty:
            st.info(f"没有{title}的申报。")
            continue
        shown = pd.DataFrame(
            {
                "申报编号": waiting["application_id"],
                "企业名称": waiting["company_name"],
                "所属市": waiting["city"],
                "申报类型": labels.series("type", waiting["application_type"]),
                "已等待（天）": waiting["days"],
                "进入本环节": waiting["since"].map(when),
            }
        )
        picked = chosen_row(
            table(
                shown,
                f"waiting_{stages[0]}",
                pinned=("申报编号",),
                select="single-row" if scope.records else None,
            ),
            f"waiting_{stages[0]}",
        )
        if picked is not None:
            go_to_record(str(waiting.iloc[picked]["application_id"]), filters)

# -- applications per unit, cluster and direction ---------------------------------------------------------
with st.expander("按市、集群、方向的申报数", expanded=False):
    for dimension, heading in (
        ("city", "各市申报数"),
        ("cluster", "各集群申报数"),
        ("direction", "各申报方向申报数"),
    ):
        counts = q.application_counts(dimension, filters)
        st.markdown(f"**{heading}**")
        if counts.empty:
            st.info("暂无已提交的申报。")
            continue
        if dimension == "city":
            counts = counts.set_index("city").loc[unit_order(list(counts["city"]))].reset_index()
        ids = list(counts[dimension])
        shown = labels.frame(counts)
        names = list(shown.iloc[:, 0])

        def counts_chart(frame: pd.DataFrame, kind: str = dimension) -> go.Figure:
            hues = colours("direction") if kind == "direction" else {}
            figure = go.Figure(
                go.Bar(
                    x=list(frame.iloc[:, 0]),
                    y=frame["申报数"],
                    text=frame["申报数"],
                    customdata=list(range(len(frame))),
                    marker_color=[hues.get(n, "#1f77b4") for n in frame.iloc[:, 0]],
                )
            )
            figure.update_layout(
                height=300, margin={"t": 10, "b": 10}, xaxis={"tickangle": -40, "automargin": True}
            )
            return figure

        for point in chosen_points(
            chart(f"chart_{dimension}", chart_safe(shown), counts_chart, select=True),
            f"chart_{dimension}",
        ):
            go_to_list(filters, **{dimension: [ids[int(point["customdata"])]]})
        table(shown, f"table_{dimension}")
