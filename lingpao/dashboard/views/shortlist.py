"""专家评审 (review organisers): the ranked shortlist per direction, its score, and who is left off and why."""

from __future__ import annotations

import streamlit as st

from lingpao.dashboard import data
from lingpao.dashboard.actions import download
from lingpao.dashboard.common import (
    SHOWN_ROWS,
    count_caption,
    go_to_record,
    page,
    search_box,
)
from lingpao.dashboard.show import chosen_row, number, table
from lingpao.labels import weights_text
from lingpao.queries import Shortlist

programme = data.programme()
labels = data.labels()
head = page(
    "“领跑者”企业认定专家评审名单",
    "评审组织者：市级推荐、无未解决错误、佐证齐全的认定申报，按方向排名。",
)
if head is None:
    st.stop()
filters = head
q = data.queries(Shortlist)
scope = q.scope

per_direction = q.shortlist_counts(filters)
excluded_total = q.exclusions_count(filters)
listed = dict(zip(per_direction["direction"], per_direction["rows"], strict=True))
columns = st.columns(3)
columns[0].metric("列入名单", number(sum(listed.values())))
columns[1].metric("未列入的认定申报", number(excluded_total))
columns[2].metric("涉及方向", number(len(listed)))
if programme.has_platform:
    st.caption(
        "综合得分 = 各项在本方向内按最小-最大归一后的加权和 × 100；权重："
        f"{weights_text(programme.shortlist_weights)}。"
    )
else:
    st.caption(
        f"{programme.year}年度只有各市汇总表，没有平台导出的经营数据（研发费用、营业收入等），"
        "综合得分无法计算：名单内的排名不代表先后，请以专家评审为准。"
    )

SHOWN = [
    "rank_in_direction",
    "application_id",
    "company_name",
    "credit_code",
    "city",
    "cluster",
    "score",
    "rnd_intensity",
    "revenue_growth",
    "profit",
    "taxes",
    "revenue_3y_ago",
    "revenue_2y_ago",
    "revenue_last_year",
    "rnd_last_year",
    "employees",
    "evidence_uploaded",
]
FORMATS = {
    "综合得分": st.column_config.NumberColumn(format="%.2f"),
    "研发强度": st.column_config.NumberColumn(format="percent"),
    "营收年均增长率": st.column_config.NumberColumn(format="percent"),
    **{
        label: st.column_config.NumberColumn(format="localized")
        for label in (
            "利润（万元）",
            "上缴税金（万元）",
            "营业收入前三年（万元）",
            "营业收入前两年（万元）",
            "营业收入上年（万元）",
            "研发费用上年（万元）",
            "从业人员数",
        )
    },
}

if not listed:
    st.info("名单为空：尚无市级推荐、且无未解决错误和佐证缺失的认定申报。")
else:
    search = search_box("shortlist", "申报编号、企业名称或统一社会信用代码")
    found = dict(q.shortlist_counts(filters, search).set_index("direction")["rows"])
    directions = [d for d in programme.directions if d in listed]
    for tab, direction in zip(
        st.tabs([programme.directions[d] for d in directions]), directions, strict=True
    ):
        with tab:
            rows = q.shortlist(filters, search=search, limit=SHOWN_ROWS, direction=direction)
            count_caption(int(found.get(direction, 0)), len(rows), "家（按排名）")
            if len(rows):
                shown = labels.frame(rows[SHOWN])
                picked = chosen_row(
                    table(
                        shown,
                        f"shortlist_{direction}",
                        pinned=("排名", "企业名称"),
                        formats=FORMATS,
                        select="single-row" if q.scope.records else None,
                    ),
                    f"shortlist_{direction}",
                )
                if picked is not None:
                    go_to_record(str(rows.iloc[picked]["application_id"]), filters)

st.subheader("未列入名单的认定申报")
if not excluded_total:
    st.success("所有认定申报均已列入名单。")
else:
    search = search_box("exclusions", "申报编号、企业名称或原因")
    excluded = q.exclusions(filters, search=search, limit=SHOWN_ROWS)
    count_caption(q.exclusions_count(filters, search), len(excluded), "项")
    if len(excluded):
        table(
            labels.frame(
                excluded[
                    ["application_id", "company_name", "city", "direction", "stage", "reason_text"]
                ]
            ),
            "exclusions",
            pinned=("申报编号", "企业名称"),
        )

if q.has("shortlist"):
    download(
        "下载专家评审名单（Excel）",
        "export_shortlist",
        None,
        lambda: q.workbook(filters),
        f"专家评审名单_{programme.year}.xlsx",
        key="download_shortlist",
    )
