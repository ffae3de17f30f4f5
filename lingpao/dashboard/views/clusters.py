"""集群 (leadership): the province's map, cluster-level summary, directions and types per cluster,
the recommended companies; company names allowed, contact data never. Every count leads to the
applications it counts."""

from __future__ import annotations

import json
from functools import cache

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.colors import sample_colorscale

from lingpao.dashboard import data
from lingpao.dashboard.charts import chart, chosen_points, count_colorbar
from lingpao.dashboard.common import (
    SHOWN_ROWS,
    chart_safe,
    count_caption,
    go_to_list,
    page,
    search_box,
)
from lingpao.dashboard.show import chosen_cell, colours, number, table, unit_order
from lingpao.foundation.programme import PROJECT_ROOT
from lingpao.queries import OFF_LIST, Clusters

MAP = PROJECT_ROOT / "data" / "reference" / "hebei_units.geojson"
programme = data.programme()
labels = data.labels()
KIND = {"direction": "direction", "application_type": "type"}
head = page(
    "县域特色产业集群概况",
    "各单位、各集群的申报、培育库和推荐认定情况（不含任何联系人信息）；点击地图、图表或表格查看对应的申报。",
)
if head is None:
    st.stop()
filters = head
q = data.queries(Clusters)

summary = q.cluster_summary(filters)
idle = q.idle_clusters(filters)
listed = summary[summary["cluster"] != OFF_LIST] if len(summary) else summary
columns = st.columns(4)
columns[0].metric("有申报的集群", number(len(listed)))
columns[1].metric("无申报的集群", number(len(idle)))
columns[2].metric("申报总数", number(summary["applications"].sum() if len(summary) else 0))
columns[3].metric("本轮确认入库", number(summary["newly_confirmed"].sum() if len(summary) else 0))


# -- the map of the 14 units ---------------------------------------------------------------------------
@cache
def shapes() -> dict[str, list]:
    """unit -> its polygons ([(lons, lats)] per ring), the overlays (定州, 辛集, 雄安新区) last."""
    found: dict[str, list] = {}
    collection = json.loads(MAP.read_text(encoding="utf-8"))
    for feature in sorted(collection["features"], key=lambda f: f["properties"]["layer"] != "city"):
        rings = [ring for polygon in feature["geometry"]["coordinates"] for ring in polygon]
        found.setdefault(feature["properties"]["unit"], []).extend(rings)
    return found


def centre(rings: list) -> tuple[float, float]:
    ring = max(rings, key=len)
    return sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)


st.subheader("各单位概况")
figures = q.unit_figures(filters).set_index("city")
measure = st.radio(
    "地图显示",
    ["applications", "pool_members", "certified"],
    horizontal=True,
    key="c_measure",
    format_func=lambda m: {
        "applications": "申报数",
        "pool_members": "培育库企业",
        "certified": "已认定",
    }[m],
)


def province_map(frame: pd.DataFrame, shown: str = measure) -> go.Figure:
    values = {u: int(frame[shown].get(u, 0)) if u in frame.index else 0 for u in programme.units}
    top = max(values.values()) or 1
    figure = go.Figure()
    for unit, rings in shapes().items():
        if unit not in values:
            continue
        colour = sample_colorscale("Blues", [0.08 + 0.85 * values[unit] / top])[0]
        lons, lats = [], []
        for ring in rings:
            lons += [p[0] for p in ring] + [None]
            lats += [p[1] for p in ring] + [None]
        figure.add_scatter(
            x=lons, y=lats, fill="toself", fillcolor=colour, mode="lines",
            line={"color": "white", "width": 1.2}, hoverinfo="skip", showlegend=False,
        )  # fmt: skip
    names = [u for u in programme.units if u in shapes()]
    spots = [centre(shapes()[u]) for u in names]
    figure.add_scatter(
        x=[s[0] for s in spots],
        y=[s[1] for s in spots],
        mode="markers+text",
        marker={"size": 26, "color": "rgba(0,0,0,0)"},
        text=[f"{u}<br>{values[u]:,}" for u in names],
        textfont={
            "size": 11,
            "color": ["white" if values[u] / top > 0.55 else "#1b2a3a" for u in names],
        },
        customdata=names,
        hovertext=[
            f"{u}：申报 {int(frame['applications'].get(u, 0)) if u in frame.index else 0} 项，"
            f"培育库企业 {int(frame['pool_members'].get(u, 0)) if u in frame.index else 0} 家，"
            f"已认定 {int(frame['certified'].get(u, 0)) if u in frame.index else 0} 家"
            for u in names
        ],
        hoverinfo="text",
        showlegend=False,
    )
    figure.add_scatter(  # the colour scale, from zero
        x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip",
        marker={"colorscale": [[0, sample_colorscale("Blues", [0.08])[0]],
                               [1, sample_colorscale("Blues", [0.93])[0]]],
                "cmin": 0, "cmax": top, "color": [0], "showscale": True,
                "colorbar": count_colorbar({"applications": "申报数", "pool_members": "培育库企业",
                                            "certified": "已认定"}[shown], top)},
    )  # fmt: skip
    figure.update_layout(
        height=620,
        margin={"t": 10, "b": 10, "l": 10, "r": 10},
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x", "scaleratio": 1.25},
        plot_bgcolor="white",
    )
    return figure


st.caption("点击单位名称查看该单位的申报。定州、辛集为省直管市，雄安新区含雄县、容城、安新三县。")
clicked = chart("province_map", figures, province_map, measure, select=True)
for point in chosen_points(clicked, "province_map"):
    go_to_list(filters, city=[str(point["customdata"])])

st.subheader("各集群申报与培育库")
if summary.empty:
    st.info("暂无已提交的申报。")
else:
    shown = labels.frame(summary).rename(columns={"cluster": "所属集群", "city": "所属市"})
    st.caption("点击一个数字查看它所计的申报。")
    cell = chosen_cell(
        table(shown, "cluster_summary", pinned=("所属集群",), select="single-cell"),
        "cluster_summary",
    )
    if cell is not None:
        row, column = cell
        cluster = str(summary.iloc[row]["cluster"])
        type_of = {labels.column(t): t for t in programme.types}
        go_to_list(
            filters,
            cluster=[cluster],
            **({"application_type": [type_of[column]]} if column in type_of else {}),
        )


def stacked_by_cluster(column: str, legend: str, height: int, key: str) -> None:
    """Submitted applications per cluster, stacked by a labelled column (direction or type), each
    value its one colour; a bar segment leads to its applications."""
    counts = q.counts_by(["cluster", column], filters)
    if counts.empty:
        st.info("暂无已提交的申报。")
        return
    kind = KIND[column]
    order = list(labels.maps[kind])
    totals = counts.groupby("cluster")["applications"].sum().sort_values(ascending=False)

    def stacked(frame: pd.DataFrame) -> go.Figure:
        figure = go.Figure()
        hues = colours(kind)
        for value in order:
            rows = frame[frame[column] == value].set_index("cluster").reindex(totals.index)
            if rows["applications"].fillna(0).sum() == 0:
                continue
            name = labels.of(kind, value)
            figure.add_bar(
                x=list(chart_safe(pd.DataFrame(index=totals.index)).index),
                y=rows["applications"].fillna(0),
                name=name,
                marker_color=hues[name],
                customdata=[[i, order.index(value)] for i in range(len(totals))],
            )
        figure.update_layout(
            barmode="stack",
            height=height,
            margin={"t": 10, "b": 10},
            xaxis={"title": "所属集群", "tickangle": -45, "automargin": True},
            yaxis={"title": "申报数"},
            legend={"orientation": "h", "y": 1.08, "title": {"text": legend}},
        )
        return figure

    for point in chosen_points(chart(key, counts, stacked, legend, height, select=True), key):
        position, value = point["customdata"]
        go_to_list(filters, cluster=[totals.index[int(position)]], **{column: [order[int(value)]]})


st.subheader("各集群申报方向")
stacked_by_cluster("direction", "申报方向", 460, "cluster_direction")

st.subheader("各单位 × 申报方向")
heat = q.counts_by(["city", "direction"], filters)
if heat.empty:
    st.info("暂无已提交的申报。")
else:
    grid = heat.pivot_table(
        index="city", columns="direction", values="applications", aggfunc="sum", fill_value=0
    )
    grid = grid.reindex(index=unit_order(list(grid.index)))
    grid = grid.reindex(columns=[d for d in programme.directions if d in grid.columns])

    def heat_map(frame: pd.DataFrame) -> go.Figure:
        figure = go.Figure(
            go.Heatmap(
                z=frame.values,
                x=[labels.of("direction", d) for d in frame.columns],
                y=list(frame.index),
                colorscale="Blues",
                zmin=0,  # from zero: a small count never looks like none
                text=frame.values,
                texttemplate="%{text}",
                customdata=[[[i, j] for j in range(frame.shape[1])] for i in range(frame.shape[0])],
                hovertemplate="%{y} · %{x}：%{z} 项<extra></extra>",
                colorbar=count_colorbar("申报数", frame.values.max() if frame.size else 0),
            )
        )
        figure.update_layout(
            height=max(260, 30 * len(frame) + 120),
            margin={"t": 10, "b": 10},
            xaxis={"side": "top"},
            yaxis={"autorange": "reversed"},
        )
        return figure

    st.caption("点击一个格子查看该单位该方向的申报。")
    for point in chosen_points(
        chart("city_direction", grid, heat_map, select=True), "city_direction"
    ):
        row, column = point["customdata"]
        go_to_list(filters, city=[grid.index[int(row)]], direction=[grid.columns[int(column)]])

st.subheader("各集群申报类型")
stacked_by_cluster("application_type", "申报类型", 400, "cluster_type")

st.subheader("市级推荐认定的企业")
search = search_box("recommended", "企业名称或集群")
companies = q.recommended_companies(filters, search=search, limit=SHOWN_ROWS)
total = q.recommended_count(filters, search)
if not total:
    st.info("暂无市级推荐认定的企业。" if not search else "没有符合搜索的企业。")
else:
    count_caption(total, len(companies), "家")
    table(labels.frame(companies), "recommended", pinned=("所属集群", "企业名称"))

st.subheader("无申报的集群")
if idle.empty:
    st.success("名单中的每个集群都有申报。")
else:
    table(
        idle.rename(
            columns={"cluster": "集群名称", "county": "所属县（市、区）", "city": "所属市"}
        ),
        "idle_clusters",
    )
