"""What every page shares: its head, the shared filters (following the URL, so a link reproduces a
view and a count leads to its records), the way from a count to the list of what it counted, the
page's look (Chinese only, printable), and a run watched from start to published result."""

from __future__ import annotations

import datetime as dt
import time

import pandas as pd
import streamlit as st

from lingpao.dashboard import data
from lingpao.dashboard.show import number
from lingpao.labels import STEPS
from lingpao.queries import Filters
from lingpao.warehouse.runqueue import RunQueue

FILTER_LABELS = {
    "city": "所属市",
    "cluster": "所属集群",
    "direction": "申报方向",
    "application_type": "申报类型",
    "stage": "当前环节",
}
KINDS = {"direction": "direction", "application_type": "type", "stage": "stage"}
LIST_PAGE = "views/applications.py"
RECORD_PAGE = "views/record.py"
SHOWN_ROWS = 500  # nobody reads more at once; the search narrows the rest down

# The page's look: Streamlit's own English chrome hidden (menu, table toolbar, the uploader's
# instructions, which our own Chinese captions replace), and a print layout without the sidebar.
STYLE = """
<style>
[data-testid="stElementToolbar"] { display: none !important; }
[data-testid="stFileUploaderDropzoneInstructions"] { display: none !important; }
[data-testid="stFileUploaderDropzone"] button,
[data-testid="stFileUploaderDropzone"] button * { font-size: 0 !important; }
[data-testid="stFileUploaderDropzone"] button::after { content: "选择文件"; font-size: 0.9rem; }
[data-testid="stMainMenu"], [data-testid="stAppDeployButton"], [data-testid="stSkipToContent"] {
  display: none !important; }
[data-testid="stStatusWidget"] > * { display: none !important; }
[data-testid="stStatusWidget"]::after { content: "正在加载…"; font-size: 0.85rem; color: #555; }
@media print {
  [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stSidebarCollapsedControl"],
  [data-testid="stToolbar"], [data-testid="stDecoration"], .stButton, .stDownloadButton,
  [data-testid="stPageLink"], [data-testid="stExpanderToggleIcon"] { display: none !important; }
  .main .block-container, [data-testid="stMainBlockContainer"] {
    max-width: 100% !important; width: 100% !important; padding: 0.5cm !important; }
  [data-testid="stPlotlyChart"], .js-plotly-plot, .plot-container {
    width: 100% !important; break-inside: avoid; }
  [data-testid="stDataFrame"] { break-inside: avoid; }
  @page { size: A4 landscape; margin: 1cm; }
}
</style>
"""


def chrome() -> None:
    """The look every page shares (styles only: no script, no data)."""
    st.html(STYLE)


_MARKUP = str.maketrans({"<": "＜", ">": "＞", "&": "＆"})


def chart_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame for a Plotly chart whose texts show as typed: Plotly reads `<a href>`, `<b>` and
    entities in labels, so `<`, `>` and `&` from data become their full-width look-alikes."""

    def clean(value: object) -> object:
        return value.translate(_MARKUP) if isinstance(value, str) else value

    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(clean)
    out.index = out.index.map(clean)
    out.columns = out.columns.map(clean)
    return out


def search_box(key: str, placeholder: str) -> str | None:
    """A search box whose text the query itself applies (plain text, not a pattern)."""
    text = st.text_input("搜索", key=f"{key}_search", placeholder=placeholder)
    return text.strip() or None


def count_caption(total: int, shown: int, what: str = "条") -> None:
    """How many rows there are, and how many are shown when the table is capped."""
    if total > shown:
        st.caption(
            f"共 {number(total)} {what}，显示前 {number(shown)} {what}；请用搜索或筛选缩小范围。"
        )
    else:
        st.caption(f"共 {number(total)} {what}")


def searched(frame: pd.DataFrame, key: str, columns: list[str], what: str = "条") -> pd.DataFrame:
    """A search box over some columns (plain text, not a pattern) and the count found; the rows
    that match, at most SHOWN_ROWS of them, to show."""
    text = st.text_input(
        "搜索", key=f"{key}_search", placeholder="记录、企业名称、代码或说明中的文字"
    )
    if text.strip():
        needle = text.strip().lower()
        hit = pd.Series(False, index=frame.index)
        for column in columns:
            if column in frame:
                hit |= frame[column].astype(str).str.lower().str.contains(needle, regex=False)
        frame = frame[hit]
    count_caption(len(frame), min(len(frame), SHOWN_ROWS), what)
    return frame.head(SHOWN_ROWS)


# -- the shared filters ----------------------------------------------------------------------------
def _query_signature() -> tuple:
    return tuple(sorted((k, st.query_params.get(k, "")) for k in st.query_params))


def sidebar_filters() -> None:
    """Sidebar filters, rendered by the entry point (so they survive page switches). They follow
    the URL: a link, a count followed to its records or the back button sets them; choosing in the
    sidebar writes them back, so the URL always reproduces the view."""
    if data.served_problem():
        return
    published = data.rounds()
    if not published:
        return
    params = st.query_params
    navigated = st.session_state.get("_synced_query") != _query_signature()
    st.sidebar.header("筛选")
    year_key = "f_year"
    if year_key not in st.session_state or (navigated and "year" in params):
        wanted = params.get("year", "")
        st.session_state[year_key] = int(wanted) if wanted.isdigit() else published[-1]
    if st.session_state[year_key] not in published:  # a link to a round not published (yet)
        st.session_state["_missing_year"] = st.session_state[year_key]
        st.session_state[year_key] = published[-1]
    st.sidebar.selectbox(
        "申报年度",
        list(reversed(published)),  # the newest first
        key=year_key,
        format_func=lambda y: f"{y}年度",
    )
    served = data.queries()
    options = served.filter_options()  # a city bureau's: its own unit and its clusters only
    labels = data.labels()
    for column, label in FILTER_LABELS.items():
        key, kind = f"f_{column}", KINDS.get(column)
        if key not in st.session_state or navigated:
            raw = params.get(column, "")
            st.session_state[key] = [v for v in raw.split(",") if v in options[column]]
        st.sidebar.multiselect(
            label,
            options[column],
            key=key,
            format_func=lambda v, k=kind: labels.of(k, v) if k else v,
            placeholder="全部",
        )
    for column in FILTER_LABELS:
        values = st.session_state[f"f_{column}"]
        if values:
            st.query_params[column] = ",".join(values)
        elif column in st.query_params:
            del st.query_params[column]
    st.query_params["year"] = str(st.session_state[year_key])
    st.session_state["_synced_query"] = _query_signature()


def current_filters() -> Filters:
    """The filters the sidebar holds now."""
    chosen = {column: tuple(st.session_state.get(f"f_{column}", ())) for column in FILTER_LABELS}
    return Filters(**chosen, extra={"year": st.session_state.get("f_year", data.programme().year)})


def link_params(filters: Filters, **more: object) -> dict[str, str]:
    """The URL of a view: the filters (each replaced by `more` where given) and other values."""
    params: dict[str, str] = {"year": str(filters.extra.get("year", data.programme().year))}
    for column in FILTER_LABELS:
        values = more.pop(column, None)
        values = getattr(filters, column) if values is None else values
        if values:
            params[column] = ",".join(values)
    for name, value in more.items():
        if value not in (None, ""):
            params[name] = value.isoformat() if isinstance(value, dt.date) else str(value)
    return params


def list_link(label: str, filters: Filters, key: str | None = None, **more: object) -> None:
    """A link to 申报列表 showing exactly what a figure counted (its filters, and `more`)."""
    st.page_link(
        LIST_PAGE, label=label, query_params=link_params(filters, **more), icon=":material/search:"
    )


def go_to_list(filters: Filters, **more: object) -> None:
    """Open 申报列表 on exactly what a chosen bar, cell or row counted."""
    st.switch_page(LIST_PAGE, query_params=link_params(filters, **more))


def go_to_record(application_id: str, filters: Filters) -> None:
    st.switch_page(RECORD_PAGE, query_params=link_params(filters, id=application_id))


# -- the page --------------------------------------------------------------------------------------
def page(title: str, audience: str) -> Filters | None:
    """Render a page's head; None (after saying why) when there is no data to show."""
    chrome()
    st.title(title)
    st.caption(audience)
    problem = data.served_problem()
    if problem:
        st.error(problem)
        return None
    as_of = data.queries().as_of()
    if as_of is None:
        if data.rounds():
            st.info(f"尚无数据：{data.year()}年度的收件箱中没有可读的平台导出或市级汇总表。")
        else:
            st.info("尚无数据：请先运行 lingpao run 导入收件箱。")
        return None
    filters = current_filters()
    programme = data.programme()
    missing = st.session_state.pop("_missing_year", None)
    if missing is not None:
        st.warning(f"{missing}年度尚无已发布的数据，现显示{programme.year}年度。")
    source = "最新平台导出时间" if programme.has_platform else "最新收到的市级汇总表时间"
    st.caption(f"{programme.year}年度　数据截至 {as_of:%Y-%m-%d %H:%M}（{source}）")
    skipped = data.queries().rules_not_applied()
    if skipped:
        st.caption(
            f"{programme.year}年度没有平台申报数据：各市汇总表即为本年度的申报；"
            f"需要平台数据的规则不适用（{'、'.join(skipped)}）。"
        )
    outcome = st.session_state.get("_run_outcome")
    if outcome:
        (st.success if outcome[0] else st.error)(outcome[1])
    watch_published()
    return filters


# -- runs, watched ----------------------------------------------------------------------------------
STATES = {
    "idle": "",
    "queued": "检查已排队，即将开始",
    "running": "正在检查",
    "done": "检查完成",
    "failed": "检查未完成",
}


def run_status_text(status: dict, state: str) -> str:
    """One line on the run queue for a person: what it is doing, since when, or how it ended."""
    label = STATES.get(state, "")
    if state == "running":
        step = STEPS.get(status.get("step") or "", "")
        detail = f"（{status['detail']}）" if status.get("detail") else ""
        since = status.get("started_at")
        seconds = int(time.time() - since) if since else 0
        return f"{label}：{step or '准备中'}{detail}，已用 {seconds} 秒"
    if state in ("done", "failed") and status.get("finished_at"):
        finished = pd.Timestamp(status["finished_at"], unit="s", tz="UTC")
        moment = finished.tz_convert(data.programme().timezone)
        if state == "done":
            return f"{label}（{moment:%Y-%m-%d %H:%M}），结果已发布。"
        return f"{label}（{moment:%Y-%m-%d %H:%M}）：{status.get('failure') or '原因不明'}"
    return label


@st.fragment(run_every=2)
def _watch() -> None:
    """While a run is queued or going: its state and step, every two seconds; when the run this
    session asked for is over, the whole page again with its outcome; whenever a new result is
    published, the page with it."""
    queue = RunQueue(data.layout())
    state = queue.state()
    current = data.version()
    if st.session_state.setdefault("_published", current) != current:
        st.session_state["_published"] = current
        st.rerun()  # a new result: every figure of the page again
    ticket = st.session_state.get("_watch_ticket")
    if ticket is not None and queue.covered(ticket):
        del st.session_state["_watch_ticket"]
        status = queue.status()
        state = "done" if status.get("success") else "failed"
        text = run_status_text(status, state)
        if state == "failed" and not data.queries().viewer.may("run"):
            text = "检查未完成，省工信厅将处理；您的上报和建议已保存。"
        st.session_state["_run_outcome"] = (state == "done", text)
        st.rerun()
    if state in ("queued", "running") or ticket is not None:
        shown = state if state in ("queued", "running") else "queued"
        st.info(run_status_text(queue.status(), shown), icon="⏳")


def watch_run(problem: str | None, ticket: object) -> None:
    """This session asked for a run (unless `problem` refused it; `ticket` names the request):
    watch it to its end and say how it ended, even when it ends before the page sees it going."""
    if problem is None and isinstance(ticket, int):
        st.session_state["_watch_ticket"] = ticket
        st.session_state.pop("_run_outcome", None)


def watch_published() -> None:
    """Every page watches the run queue and the published copy (a fragment, re-run by itself).

    This is called as the page is drawn, so the copy it draws from is the one the page has seen:
    the watcher reruns the page only when its own timed run finds a newer one. (Rerunning from here
    would throw away the run in progress, and with it the click that started it: a 确认上报 made
    just after another unit's result was published did nothing.)"""
    st.session_state["_published"] = data.version()
    _watch()
