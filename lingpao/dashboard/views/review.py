"""评审与认定: the round's close — the review's progress (sheets out, back, missing), its result and
the proposed list, the public notice and its objections, the certified list, and the units' yearly
check of their leaders. Province staff and stewards act here; leadership reads the progress and the
lists (never one expert's scores); a city bureau sees its own companies' outcome and sends its
leaders' check."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from zoneinfo import ZoneInfo

import streamlit as st

from lingpao.access.audit import AuditLog
from lingpao.access.roles import Forbidden
from lingpao.dashboard import data
from lingpao.dashboard.access import viewer
from lingpao.dashboard.common import page, watch_run
from lingpao.dashboard.runs import request_run
from lingpao.dashboard.show import day, number, table, when
from lingpao.labels import COLUMNS
from lingpao.queries.review import ReviewView
from lingpao.review.close import Close
from lingpao.review.documents import CHECK_RESULTS, check_template
from lingpao.review.store import ReviewRefused, ReviewStore

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADINGS = {
    **COLUMNS,
    "panel": "评审组",
    "rank_in_panel": "组内排名",
    "experts": "已评专家",
    "assigned": "应评专家",
    "mean_score": "平均分",
    "spread": "分差",
    "flagged": "需讨论",
    "proposed": "建议入选",
    "expert_id": "专家编号",
    "name": "姓名",
    "to_score": "评审企业数",
    "excluded": "回避",
    "versions": "交回版本",
    "last": "最近交回",
    "excluded_reason": "回避原因",
    "new_errors": "开始评审后新出现的错误",
    "decision": "处理",
    "decision_reason": "处理原因",
    "text": "异议内容",
    "received_at": "收到时间",
    "raised_by": "提出人",
    "id": "编号",
    "total": "合计分",
}

head = page(
    "评审与认定",
    "专家评审的进度和结果、建议名单、公示和异议、认定名单，以及各单位对领跑者的年度核查。",
)
if head is None:
    st.stop()
who = viewer()
programme = data.programme()
layout = data.layout()
close = Close(ReviewStore(layout.review), AuditLog(layout.audit), programme, data._connect)
view = ReviewView(close, who)
labels = data.labels()
acts = who.may("run_review")


SCORE_FORMATS = {
    "平均分": st.column_config.NumberColumn(format="%.2f"),
    "分差": st.column_config.NumberColumn(format="%.1f"),
    "合计分": st.column_config.NumberColumn(format="%.1f"),
}
# what the store records, as people say it; its moments in the programme's time
VALUES = {
    "decision": {
        "upheld": "异议成立",
        "dismissed": "异议不成立",
        "keep": "保留",
        "withdraw": "撤出",
    },
    "result": CHECK_RESULTS,
}
MOMENTS = ("received_at", "recorded_at", "decided_at", "last", "submitted_at", "confirmed_at")


def shown(frame, drop: tuple[str, ...] = ()):
    frame = frame.drop(columns=[c for c in drop if c in frame.columns])
    for column, names in VALUES.items():
        if column in frame:
            frame = frame.assign(**{column: frame[column].map(lambda v, n=names: n.get(v, v))})
    for column in MOMENTS:
        if column in frame:
            frame = frame.assign(**{column: frame[column].map(when)})
    if "direction" in frame:
        frame = frame.assign(
            direction=frame["direction"].map(lambda d: programme.directions.get(d, d))
        )
    return frame.rename(columns=HEADINGS)


def list_downloads(kind: str, label: str, stem: str, key: str) -> None:
    """A published list as the province publishes it, in Word and as a workbook (built on click)."""
    for suffix, mime in ((".docx", DOCX), (".xlsx", XLSX)):
        st.download_button(
            f"下载{label}（{suffix}）", data=lambda s=suffix: view.document(kind, s)[0],
            file_name=f"{stem}{suffix}", mime=mime, key=f"{key}{suffix}", on_click="ignore",
        )  # fmt: skip


def act(action, done: str, why: str) -> None:
    """Take a step of the close for the viewer; a refusal is said; then the warehouse follows."""
    try:
        action()
    except (ReviewRefused, Forbidden) as problem:
        st.error(str(problem))
        return
    ticket = request_run(layout, who.label, why)
    watch_run(None, ticket)
    st.session_state["_review_done"] = done
    st.rerun()


if message := st.session_state.pop("_review_done", None):
    st.success(message)

stage = view.stage()
steps = st.columns(4)
steps[0].metric("专家评审", f"第{stage['version']}版" if stage["version"] else "未开始")
notice = stage["notice"]
steps[1].metric(
    f"公示（{day(notice['start'])}起）" if notice else "公示",
    f"至{day(notice['end'])}" if notice else "未开始",
    help=f"{notice['start']} 至 {notice['end']}，{notice['working_days']}个工作日"
    if notice
    else None,
)
steps[2].metric(
    f"认定（{who.scope.unit}）" if who.scope.unit else "认定",
    f"{number(stage['certified'])} 家" if stage["closed"] else "未认定",
)
progress = view.progress() if stage["version"] else None
steps[3].metric(
    "评分表交回",
    f"{progress['back']}/{progress['sent']}" if progress and progress["sent"] else "—",
)

reviewing, result_tab, notice_tab, checks_tab = st.tabs(
    ["专家评审", "评审结果", "公示与认定", "领跑者核查"]
)

with reviewing:
    if stage["version"] is None:
        st.info(f"{programme.year}年度尚未开始专家评审。开始时将冻结当前的专家评审名单为候选企业。")
        if acts and st.button("开始专家评审", key="rv_start"):
            act(lambda: close.start_review(who), "已开始专家评审", "开始专家评审")
    elif not who.may("read_review_scores"):
        st.text(
            f"评分表已发出 {progress['sent']} 份，交回 {progress['back']} 份，未交回 {progress['missing']} 份。"
        )
    else:
        experts = view.sheets_by_expert()
        if experts.empty:
            st.info("尚未载入专家名单：上传专家名单（专家编号、姓名、工作单位、所在市、评审组）。")
            upload = st.file_uploader("专家名单", type=["xlsx", "xls", "csv"], key="rv_experts")
            if upload is not None and acts and st.button("载入专家名单并分组", key="rv_load"):
                target = (
                    layout.warehouse.parent
                    / "uploads"
                    / f"experts_{programme.year}{upload.name[-5:]}"
                )
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(upload.getvalue())
                act(lambda: close.load_experts(who, target), "已载入专家名单", "载入专家名单")
        else:
            st.subheader("评分表")
            table(shown(experts, ("year", "version", "employer", "unit")), "rv_experts_table")
            if progress["missing"]:
                st.warning(f"未交回：{'、'.join(progress['missing_ids'])}")
            if acts:

                def sheets_zip() -> bytes:
                    folder = layout.warehouse.parent / "uploads" / f"sheets_{programme.year}"
                    written = close.write_sheets(who, folder)
                    buffer = io.BytesIO()
                    with zipfile.ZipFile(buffer, "w") as bundle:
                        for path in written:
                            bundle.write(path, path.name)
                    return buffer.getvalue()

                st.download_button(
                    "下载全部评分表（zip）", data=sheets_zip, file_name=f"评分表_{programme.year}.zip",
                    mime="application/zip", key="rv_sheets", on_click="ignore",
                )  # fmt: skip
                filled = st.file_uploader(
                    "交回的评分表（可多选）",
                    type=["xlsx"],
                    accept_multiple_files=True,
                    key="rv_back",
                )
                if filled and st.button("导入评分表", key="rv_import"):
                    problems = []
                    for upload in filled:
                        try:
                            close.import_sheet(who, upload.getvalue(), upload.name)
                        except (ReviewRefused, Forbidden) as problem:
                            problems.append(f"{upload.name}：{problem}")
                    for problem in problems:
                        st.error(problem)
                    if len(problems) < len(filled):
                        watch_run(None, request_run(layout, who.label, "导入评分表"))
            excluded = view.exclusions()
            if len(excluded):
                st.caption("回避（专家与企业同市或同单位，不评该企业）：")
                table(shown(excluded, ("year", "version")), "rv_excluded")
        candidates = view.candidates()
        news = candidates[candidates["new_errors"] != ""]
        if len(news):
            st.subheader("开始评审后出现错误的候选企业")
            table(
                shown(
                    news,
                    (
                        "year",
                        "version",
                        "position",
                        "points",
                        "credit_code",
                        "county",
                        "preliminary_score",
                    ),
                ),
                "rv_news",
            )
            if acts:
                chosen = st.selectbox("候选企业", list(news["application_id"]), key="rv_pick",
                                      format_func=lambda a: news.set_index("application_id").loc[a, "company_name"])  # fmt: skip
                reason = st.text_input("处理原因", key="rv_reason", max_chars=500)
                keep, withdraw = st.columns(2)
                if keep.button("保留在评审中", key="rv_keep"):
                    act(
                        lambda: close.decide_candidate(who, chosen, True, reason),
                        "已保留",
                        "评审候选企业的处理",
                    )
                if withdraw.button("撤出评审", key="rv_withdraw"):
                    act(
                        lambda: close.decide_candidate(who, chosen, False, reason),
                        "已撤出",
                        "评审候选企业的处理",
                    )

with result_tab:
    result = view.result()
    if result.empty:
        st.info("尚无评审结果。")
    else:
        rules = programme.review
        st.caption(
            f"平均分：{rules.trim_from} 位及以上专家评分时去掉一个最高分和一个最低分；分差超过 "
            f"{rules.spread_flag:g} 分的标为需讨论。建议名单：各评审组前 {rules.top_per_panel} 名且平均分不低于 "
            f"{rules.floor:g} 分。"
        )
        st.metric("建议入选", number(int(result["proposed"].sum())))
        table(shown(result), "rv_result", pinned=("企业名称",), formats=SCORE_FORMATS)
        if not who.scope.unit:
            data_bytes = lambda: view.result_workbook()[0]  # noqa: E731
            st.download_button("下载评审结果（.xlsx）", data=data_bytes,
                               file_name=f"{programme.year}年度专家评审结果.xlsx", mime=XLSX,
                               key="rv_result_xlsx", on_click="ignore")  # fmt: skip
        if who.may("read_review_scores"):
            with st.expander("各专家评分（合计分）"):
                table(shown(view.scores()), "rv_scores")

with notice_tab:
    if notice is None:
        st.info("尚未开始公示。")
        if acts and stage["version"]:
            start = st.date_input("公示开始日期", key="nt_start", format="YYYY-MM-DD")
            days = st.number_input(
                "公示期（工作日）",
                min_value=1,
                max_value=30,
                value=programme.review.notice_days,
                key="nt_days",
            )
            if st.button("以建议名单开始公示", key="nt_begin"):
                act(lambda: close.start_notice(who, start, int(days)), "已开始公示", "开始公示")
    else:
        st.text(
            f"公示期：{notice['start']} 至 {notice['end']}（{notice['working_days']}个工作日，按国家法定节假日安排计算）"
        )
        listed = view.listed("notice")
        st.subheader(
            f"公示名单（{len(listed)} 家）"
            if not who.scope.unit
            else f"本单位在公示名单中的企业（{len(listed)} 家）"
        )
        table(
            shown(listed, ("notice_id", "position", "panel", "mean_score", "credit_code")),
            "nt_list",
        )
        if not who.scope.unit:
            list_downloads("notice", "公示名单", f"{programme.year}年度拟认定名单", "nt_doc")
        if who.may("read_review_scores"):
            objections = view.objections()
            st.subheader("异议")
            if objections.empty:
                st.info("尚无异议。")
            else:
                table(
                    shown(
                        objections,
                        ("year", "notice_id", "recorded_by", "recorded_at", "source", "decided_at"),
                    ),
                    "nt_objections",
                )
            if acts and not stage["closed"]:
                with st.form("nt_add"):
                    company = st.selectbox("企业", list(listed["company_name"]), key="nt_company")
                    text = st.text_area("异议内容", max_chars=2000, key="nt_text")
                    raised = st.text_input("提出人", max_chars=100, key="nt_by")
                    if st.form_submit_button("记录异议"):
                        act(
                            lambda: close.add_objection(who, company, text, raised_by=raised),
                            "已记录异议",
                            "记录异议",
                        )
                open_ones = (
                    objections[objections["decision"].isna()] if len(objections) else objections
                )
                if len(open_ones):
                    with st.form("nt_decide"):
                        number_ = st.selectbox("异议编号", list(open_ones["id"]), key="nt_number")
                        upheld = (
                            st.radio(
                                "处理", ["异议不成立", "异议成立（企业移出名单）"], key="nt_upheld"
                            )
                            != "异议不成立"
                        )
                        reason = st.text_input("理由", max_chars=500, key="nt_reason")
                        if st.form_submit_button("记录处理"):
                            act(
                                lambda: close.decide_objection(who, int(number_), upheld, reason),
                                "已记录处理",
                                "处理异议",
                            )
                today = dt.datetime.now(ZoneInfo(programme.timezone)).date()
                if st.button("认定（公示期满且异议均已处理后）", key="nt_certify"):
                    act(lambda: close.certify(who, today), "已认定", "认定")
    certified = view.listed("certified")
    if len(certified):
        st.subheader(
            f"认定名单（{len(certified)} 家）"
            if not who.scope.unit
            else f"本单位认定的企业（{len(certified)} 家）"
        )
        table(
            shown(
                certified, ("id", "year", "notice_id", "certified_at", "decided_by", "credit_code")
            ),
            "ct_list",
        )
        if not who.scope.unit:
            list_downloads("certified", "认定名单", f"{programme.year}年度认定名单", "ct_doc")

with checks_tab:
    st.caption(
        "各单位核查本单位领跑者企业的经营情况（正常 / 建议调整并写明原因），省级确认后调整。"
    )
    units = [who.scope.unit] if who.scope.unit else programme.units
    may_check = (
        who.may("submit_leader_check", who.scope.unit)
        if who.scope.unit
        else who.may("submit_leader_check")
    )
    if may_check:
        unit = st.selectbox("单位", units, key="ck_unit")
        try:
            leaders = close.unit_leaders(who, unit)
        except (Forbidden, ReviewRefused) as problem:
            st.error(str(problem))
            leaders = None
        if leaders is not None:
            st.text(f"{unit}现有领跑者企业 {len(leaders)} 家。")
            st.download_button(
                "下载核查表（.xlsx）", data=lambda: check_template(leaders, programme, unit),
                file_name=f"{unit}_领跑者核查表_{programme.year}.xlsx", mime=XLSX,
                key="ck_template", on_click="ignore",
            )  # fmt: skip
            filled = st.file_uploader("填好的核查表", type=["xlsx"], key="ck_back")
            if filled is not None and st.button("提交核查结果", key="ck_submit"):
                act(
                    lambda: close.import_check(who, filled.getvalue(), filled.name, unit),
                    "已提交核查结果",
                    f"{unit}领跑者核查",
                )
    checks = view.checks()
    if checks.empty:
        st.info(f"{programme.year}年度尚无单位提交领跑者核查。")
    else:
        st.text(
            f"已提交核查的单位 {checks['unit'].nunique()} 个，核查企业 {len(checks)} 家，"
            f"其中正常 {int((checks['result'] == 'normal').sum())} 家。"
        )
        adjust = checks[checks["result"] == "adjust"]
        st.subheader(f"建议调整（{len(adjust)} 家）")
        table(
            shown(
                adjust[["unit", "company_name", "cluster", "reason", "confirmed_by"]].rename(
                    columns={"unit": "city"}
                )
            ),
            "ck_adjust",
        )
        pending = adjust[adjust["confirmed_by"].isna()]
        if (
            who.may("confirm_adjustments")
            and len(pending)
            and st.button("确认调整", key="ck_confirm")
        ):
            act(lambda: close.confirm_adjustments(who), "已确认调整", "确认领跑者调整")
