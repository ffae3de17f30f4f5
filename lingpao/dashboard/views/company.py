"""企业档案: one company across the rounds — every application and its stage, its issues and
their outcome, and whether it is, or was, a leader (since when, adjusted when and why)."""

from __future__ import annotations

import dataclasses

import streamlit as st

from lingpao.dashboard import data
from lingpao.dashboard.common import go_to_record, page
from lingpao.dashboard.show import chosen_row, table
from lingpao.labels import LEADER_SOURCE, LEADER_STATUS
from lingpao.queries.rounds import Rounds

head = page(
    "企业档案",
    "按企业名称或统一社会信用代码查找企业，查看它在各年度的申报、环节、问题和领跑者认定情况。",
)
if head is None:
    st.stop()
filters = head
q = data.queries(Rounds)
labels = data.labels()

asked = st.text_input(
    "查找企业",
    value=st.query_params.get("q", ""),
    key="c_search",
    placeholder="企业名称或统一社会信用代码",
).strip()
if asked:
    st.query_params["q"] = asked
found = q.find_companies(asked) if asked else None
code = st.query_params.get("code", "")
if found is not None:
    if found.empty:
        st.info("没有找到符合条件的企业。")
    else:
        shown = found.assign(rounds=found["rounds"].map(lambda ys: "、".join(f"{y}年" for y in ys)))
        shown = labels.frame(shown).rename(columns={"city": "所属市"})
        st.caption("点选一家企业查看其档案。")
        event = table(shown, "c_found", select="single-row")
        chosen = chosen_row(event, "c_found")
        if chosen is not None:
            st.query_params["code"] = str(found.iloc[chosen]["credit_code"])
            st.rerun()
if not code:
    st.stop()

history = q.company(code)
applications, leader = history["applications"], history["leader"]
if applications.empty and leader.empty:
    st.warning("没有这家企业的记录，或无权查看。")
    st.stop()
name = applications["company_name"].dropna().tolist() or leader["company_name"].dropna().tolist()
st.subheader(name[-1] if name else code)
st.text(f"统一社会信用代码：{code}")
if len(leader):
    row = leader.iloc[0]
    status = LEADER_STATUS.get(row["status"], row["status"])
    parts = [f"{int(row['since_year'])}年认定"] if row["since_year"] == row["since_year"] else []
    if row["status"] == "adjusted":
        parts.append(f"{int(row['adjusted_year'])}年调整：{row['reason'] or '未注明原因'}")
    parts.append(f"依据：{LEADER_SOURCE.get(row['source'], '')}")
    st.text(f"领跑者状态：{status}（{'；'.join(parts)}）")
else:
    st.text("领跑者状态：不是领跑者企业")

st.subheader("各年度的申报")
if applications.empty:
    st.info("没有申报记录。")
else:
    shown = labels.frame(
        applications.drop(columns=["record_key", "company_name"]).rename(
            columns={"programme_year": "programme_year"}
        )
    )
    st.caption("点选一行查看该申报的详情。" if q.scope.records else "")
    event = table(
        shown, "c_apps", pinned=("年度",), select="single-row" if q.scope.records else None
    )
    chosen = chosen_row(event, "c_apps")
    if chosen is not None:
        row = applications.iloc[chosen]
        in_round = dataclasses.replace(filters, extra={"year": int(row["programme_year"])})
        go_to_record(str(row["application_id"]), in_round)

if "issues" in history:
    st.subheader("各年度的问题")
    issues = history["issues"]
    if issues.empty:
        st.info("没有问题记录。")
    else:
        table(labels.frame(issues), "c_issues", pinned=("年度",))
