"""What every page shares: title, the data's as-of time, the filters (kept in the URL), formatting."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lingpao.dashboard import data
from lingpao.queries import Filters

FILTER_LABELS = {
    "city": "所属市",
    "cluster": "所属集群",
    "direction": "申报方向",
    "application_type": "申报类型",
    "stage": "当前环节",
}


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


SHOWN_ROWS = 500  # nobody reads more at once; the search narrows the rest down


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
    if len(frame) > SHOWN_ROWS:
        st.caption(
            f"共 {number(len(frame))} {what}，显示前 {SHOWN_ROWS} {what}；请用搜索或筛选缩小范围。"
        )
        return frame.head(SHOWN_ROWS)
    st.caption(f"共 {number(len(frame))} {what}")
    return frame


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


def number(value: object) -> str:
    """An integer for people: thousands separators, a dash for nothing."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "—"
    return f"{int(value):,}"


def sidebar_filters() -> None:
    """Sidebar filters, rendered by the entry point (so they survive page switches), initialised
    from the URL once and written back to it on every run so that a link reproduces the view."""
    served = data.queries()
    if data.served_problem() or served.as_of() is None:
        return
    options = served.filter_options()  # a city bureau's: its own unit and its clusters only
    labels = data.labels()
    kinds = {
        "city": None,
        "cluster": None,
        "direction": "direction",
        "application_type": "type",
        "stage": "stage",
    }
    params = st.query_params
    st.sidebar.header("筛选")
    years = [data.programme().year]
    year_key = "f_year"
    if year_key not in st.session_state:
        wanted = params.get("year", str(years[0]))
        st.session_state[year_key] = int(wanted) if wanted.isdigit() else years[0]
    st.sidebar.selectbox(
        "申报年度",
        years + ([st.session_state[year_key]] if st.session_state[year_key] not in years else []),
        key=year_key,
        format_func=lambda y: f"{y}年度",
    )
    chosen: dict[str, tuple[str, ...]] = {}
    for column, label in FILTER_LABELS.items():
        key = f"f_{column}"
        if key not in st.session_state:
            raw = params.get(column, "")
            st.session_state[key] = [v for v in raw.split(",") if v in options[column]]
        st.sidebar.multiselect(
            label,
            options[column],
            key=key,
            format_func=lambda v, k=kinds[column]: labels.of(k, v) if k else v,
            placeholder="全部",
        )
        chosen[column] = tuple(st.session_state[key])
    for column, values in chosen.items():
        if values:
            st.query_params[column] = ",".join(values)
        elif column in st.query_params:
            del st.query_params[column]
    st.query_params["year"] = str(st.session_state[year_key])


def current_filters() -> Filters:
    """The filters the sidebar holds now."""
    chosen = {column: tuple(st.session_state.get(f"f_{column}", ())) for column in FILTER_LABELS}
    return Filters(**chosen, extra={"year": st.session_state.get("f_year", data.programme().year)})


def page(title: str, audience: str) -> Filters | None:
    """Render a page's head; None (after saying why) when there is no data to show."""
    st.title(title)
    st.caption(audience)
    problem = data.served_problem()
    if problem:
        st.error(problem)
        return None
    as_of = data.queries().as_of()
    if as_of is None:
        st.info("尚无数据：请先运行 `lingpao run` 导入平台导出文件。")
        return None
    filters = current_filters()
    st.caption(f"数据截至 {as_of:%Y-%m-%d %H:%M}（最新平台导出时间）")
    if filters.extra.get("year") != data.programme().year:
        st.warning(
            f"{filters.extra.get('year')}年度无数据：当前数据仓库为{data.programme().year}年度。"
        )
        return None
    return filters
