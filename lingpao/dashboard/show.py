"""Everything a person reads on a page, said one way: times, numbers, files, names, tables, colours.

No page shows `None`, `nan` or `NaT`, a UTC time, an inbox path or an internal id: values pass
through these helpers first. Tables are drawn at their full height when short, their key columns
pinned when wide, and never offer a download of their own (the audited buttons do).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath

import pandas as pd
import streamlit as st

from lingpao.dashboard import data

SHORT = 60  # rows: a table this short is drawn whole, without a scroll box of its own


def missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def when(value: object, with_time: bool = True) -> str:
    """A moment in the programme's time zone, `2023-07-28 10:05`; empty for none."""
    if missing(value) or value == "":
        return ""
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        return str(value)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    local = stamp.tz_convert(data.programme().timezone)
    return f"{local:%Y-%m-%d %H:%M}" if with_time else f"{local:%Y-%m-%d}"


def day(value: dt.date | pd.Timestamp) -> str:
    """A day as people say it, `7月21日`."""
    stamp = pd.Timestamp(value)
    return f"{stamp.month}月{stamp.day}日"


def number(value: object) -> str:
    """An integer with thousands separators; a dash for nothing."""
    if missing(value):
        return "—"
    return f"{int(value):,}"


def file_name(source_file: object) -> str:
    """A file by its own name (no inbox folders); a submitted version by its version and the name
    it was sent under, when the versions are known to the page."""
    if missing(source_file) or not str(source_file):
        return ""
    text = str(source_file)
    return data.file_names().get(text) or PurePosixPath(text).name


def record_name(record_key: object, source_file: object = None, row: object = None) -> str:
    """A record as people find it: an application by its id, a table row as `文件 第N行`."""
    if missing(record_key):
        return ""
    key = str(record_key)
    if ":" in key and not missing(row):
        return f"{file_name(source_file if not missing(source_file) else key.rsplit(':', 1)[0])} 第{int(row)}行"
    if ":" in key:
        file, _, line = key.rpartition(":")
        return f"{file_name(file)} 第{line}行" if line.isdigit() else file_name(key)
    return file_name(key) if "/" in key else key  # a file's own issue: the file


def person(who: object) -> str:
    """Someone who acted, by name: the users file's display name (a city bureau's user by its
    bureau), else the text recorded."""
    if missing(who) or not str(who):
        return ""
    return data.people().get(str(who), str(who))


def text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame as a table shows it: no None/nan/NaT (empty instead), times local and plain."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            out[column] = series.map(when)
        elif series.dtype == object or pd.api.types.is_string_dtype(series):
            out[column] = series.map(lambda v: "" if missing(v) else v).astype(object)
        elif pd.api.types.is_bool_dtype(series):
            out[column] = series.map(lambda v: "是" if v is True else "")
        elif pd.api.types.is_numeric_dtype(series) and series.isna().any():
            # the grid would say "None": the numbers as they read, an empty cell for none
            out[column] = series.map(_plain_number).astype(object)
    return out


def _formatted(value: object, style: str | None) -> str:
    """A number as a NumberColumn of that format shows it; empty for none."""
    if missing(value):
        return ""
    if style == "percent":
        return f"{float(value):.2%}"
    if style and style.startswith("%"):
        return style % float(value)
    return _plain_number(value)


def _plain_number(value: object) -> str:
    if missing(value):
        return ""
    number = float(value)
    return f"{int(number):,}" if number.is_integer() else f"{number:,.2f}"


def table(
    frame: pd.DataFrame,
    key: str,
    pinned: Iterable[str] = (),
    formats: dict | None = None,
    select: str | None = None,
) -> object:
    """A table as people read it: short ones at their full height, wide ones with the `pinned`
    columns kept in view, no empty-value words; `select` ("single-row", "single-cell") makes a
    choice in it an event (returned)."""
    config = dict(formats or {})
    for column, setting in list(config.items()):
        if column in frame.columns and frame[column].isna().any():
            # a formatted column with empty cells: formatted here, so none reads "None"
            style = (setting or {}).get("type_config", {}).get("format")
            frame = frame.assign(**{column: frame[column].map(lambda v, f=style: _formatted(v, f))})
            del config[column]
    shown = text_frame(frame)
    for column in pinned:
        if column in shown.columns:
            config[column] = st.column_config.Column(pinned=True)
    options: dict = {
        "hide_index": True,
        "key": key,
        "column_config": config,
        "height": "content" if len(shown) <= SHORT else "auto",
        "width": "stretch",
    }
    if select:
        options.update(on_select="rerun", selection_mode=select)
    return st.dataframe(shown, **options)


def fresh(key: str, chosen: object) -> bool:
    """True the first time a choice is seen in the widget `key`: a selection a table or chart
    keeps (coming back to the page, or rerun by anything else) is acted on once only."""
    handled = st.session_state.setdefault("_handled", {})
    if not chosen or handled.get(key) == repr(chosen):
        handled[key] = repr(chosen) if chosen else None
        return False
    handled[key] = repr(chosen)
    return True


def selection(event: object) -> dict:
    """The selection of a table's or chart's event, as a mapping (the event is a dict-like state,
    or a plain dict when a test sets it)."""
    chosen = (
        event.get("selection") if isinstance(event, dict) else getattr(event, "selection", None)
    )
    return chosen if isinstance(chosen, dict) else {}


def chosen_row(event: object, key: str) -> int | None:
    """The row a single-row table's event newly chose, or None."""
    rows = selection(event).get("rows") or []
    return int(rows[0]) if rows and fresh(key, rows) else None


def chosen_cell(event: object, key: str) -> tuple[int, str] | None:
    """(row, column) a single-cell table's event newly chose, or None."""
    cells = selection(event).get("cells") or []
    if not cells or not fresh(key, cells):
        return None
    row, column = cells[0]
    return int(row), str(column)


# One colour per direction, type and stage, fixed by the programme's order (never by what a filter
# left on the page), and the same on every page.
PALETTE = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]


def colours(kind: str) -> dict[str, str]:
    """Label -> colour for a kind of id (`direction`, `type`, `stage`), in the programme's order."""
    labels = data.labels().maps[kind]
    return {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(labels.values())}


def unit_order(values: Sequence[str]) -> list[str]:
    """Units in the programme's order (others after them, as they come)."""
    units = data.programme().units
    return sorted(values, key=lambda v: units.index(v) if v in units else len(units))
