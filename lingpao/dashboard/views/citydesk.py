"""上报汇总表 (city bureaus; the province for any unit): the pre-filled 附件2, an uploaded table checked
at once, submitted as a new version; the unit's versions, and for the province a rollback."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from lingpao.citydesk.versions import MAX_BYTES, SUFFIXES
from lingpao.dashboard import actions, data
from lingpao.dashboard.access import viewer
from lingpao.dashboard.actions import download
from lingpao.dashboard.common import page, watch_run
from lingpao.dashboard.show import person, table, when
from lingpao.queries import CityDesk

programme = data.programme()
me = viewer()
head = page(
    "上报市级汇总表（附件2）",
    "下载按平台数据预填的本单位汇总表，核对后上传，系统立即检查，确认后上报；每次上报都保存为新版本。"
    if me.scope.unit
    else "各单位的汇总表：代某单位下载预填表、检查和上报，查看各版本，必要时回退到较早的版本。",
)
if head is None:
    st.stop()
filters = head
q = data.queries(CityDesk)
scope = q.scope
desk = actions.desk()
if "d_done" in st.session_state:
    st.success(st.session_state.pop("d_done"))
units = [scope.unit] if scope.unit else programme.units
unit = st.selectbox("报送单位", units, key="d_unit", disabled=len(units) == 1)
due = programme.city_tables_due
st.caption(f"报送截止日期：{due:%Y-%m-%d}。截止后仍可上报，将标记为逾期。")
arrivals = q.city_table_arrivals()
current = arrivals[arrivals["unit"] == unit].iloc[0] if len(arrivals) else None
left, middle, right = st.columns(3)
if current is None or not current["received"]:
    left.metric("当前汇总表", "未收到")
else:
    version = current.get("version")
    left.metric(
        "当前汇总表",
        f"第{int(version)}版" if version is not None and pd.notna(version) else "收件箱中的文件",
    )
middle.metric("申报行数", int(current["rows"]) if current is not None else 0)
right.metric(
    "未解决问题",
    int(current["open_problems"]) if current is not None and "open_problems" in current else 0,
)

st.subheader("① 下载预填的汇总表")
st.caption(
    (
        "按省平台数据预填本单位已确认入库（入库培育、信息更新）和已推荐（认定）的申报；"
        if programme.has_platform
        else f"{programme.year}年度没有平台数据：按已收到的本单位汇总表预填；"
    )
    + "申报类型、申报方向带下拉选项。"
)
download(
    "下载预填汇总表（Excel）",
    "submit_table",
    unit,
    lambda: q.template(unit),
    f"{unit}_附件2汇总表_预填_{programme.year}.xlsx",
    key="download_template",
)

st.subheader("② 上传并检查")
st.caption(
    f"可上传 {'、'.join(s.lstrip('.') for s in SUFFIXES)} 文件，不超过 {MAX_BYTES // 2**20} MB；"
    "拖入下方方框或点“选择文件”。"
)
upload = st.file_uploader(
    "选择汇总表文件",
    type=[s.lstrip(".") for s in SUFFIXES],
    max_upload_size=MAX_BYTES // 2**20,  # MB; larger uploads never reach the check
    key="d_upload",
)
if upload is not None:
    content = upload.getvalue()
    digest = (unit, upload.name, hashlib.sha256(content).hexdigest())
    if st.session_state.get("d_checked_key") != digest:  # check once per file, not every rerun
        try:
            st.session_state["d_checked"] = desk.check_table(unit, upload.name, content)
        except PermissionError as refusal:
            st.session_state["d_checked"] = None
            st.error(str(refusal))
        st.session_state["d_checked_key"] = digest
    check = st.session_state.get("d_checked")
    if check is not None:
        if not check.readable:
            st.error("文件无法读取，不能上报。原因如下：")
            st.text(check.unreadable)  # text: the reason quotes sheet names from the file
        elif check.claimed_unit:  # said first and plainly: nothing of this table is checked
            st.error(
                f"这份汇总表写明是{check.claimed_unit}的，不能作为{unit}的汇总表检查或上报。"
                f"请上传{unit}自己的汇总表（可先下载上方预填的表）。"
            )
        else:
            errors = sum(f.severity == "error" for f in check.findings)
            left, middle, right = st.columns(3)
            left.metric("读取为", check.unit or "—")
            middle.metric("申报行数", check.rows)
            right.metric("问题（其中错误）", f"{len(check.findings)}（{errors}）")
            st.text(check.heading())
            for notice in check.notices:
                st.text(f"注意：{notice}")
            if check.findings:
                table(check.frame(), "d_findings", pinned=("行", "企业名称"))
                if any(f.row is None for f in check.findings):
                    st.caption("“表中缺少”：平台上本单位已确认或推荐、但表中没有的申报。")
            else:
                st.success("检查通过：未发现问题。")
            if me.may("submit_table", unit):
                note = "有问题也可以上报，省里会按问题反馈；" if check.findings else ""
                st.caption(f"{note}上报后保存为新版本（旧版本保留），并开始重新检查。")
                if st.button(f"确认上报{unit}汇总表", key="d_submit", type="primary"):
                    problem, _, version = desk.submit_table(unit, upload.name, content)
                    if version is None:
                        st.error("未上报。")
                        st.text(problem or "")
                    else:
                        late = "（逾期提交）" if version.late else ""
                        st.session_state["d_done"] = (
                            f"已上报第{version.version}版{late}，正在重新检查；完成后本页自动更新。"
                        )
                        st.session_state.pop("d_checked_key", None)
                        watch_run(None, desk.ticket)
                        st.rerun()

st.subheader("③ 已上报的版本")
versions = q.table_versions()
mine = versions[versions["unit"] == unit] if len(versions) else versions
kept = desk.versions.visible_to(me, unit)  # the log itself: newer than the last run
if not kept:
    st.info(f"{unit}尚未网上报送汇总表。")
else:
    active = desk.versions.active().get(unit)
    listing = pd.DataFrame(
        [
            {
                "版本": f"第{v.version}版",
                "上报时间": when(v.submitted_at),
                **({"上报人": person(v.who)} if scope.contacts else {}),
                "逾期": "是" if v.late else "",
                "原文件名": v.original_name,
                "使用中": "✔" if active == v else "",
            }
            for v in reversed(kept)
        ]
    )
    table(listing, "d_versions")
    if len(mine) < len(kept):
        st.caption("最新上报的版本将在本次检查完成后计入总览和问题清单。")
    if me.may("rollback_table", unit) and len(kept) > 1:
        with st.form("d_rollback"):
            target = st.selectbox(
                "回退到",
                [v.version for v in kept if v != active],
                format_func=lambda n: f"第{n}版",
                key="d_rollback_to",
            )
            if st.form_submit_button("回退并重新检查"):
                problem = desk.rollback_table(unit, int(target))
                if problem:
                    st.error("未回退。")
                    st.text(problem)
                else:
                    st.session_state["d_done"] = f"{unit}现使用第{target}版，正在重新检查。"
                    watch_run(None, desk.ticket)
                    st.rerun()
