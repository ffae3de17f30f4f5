"""The dashboard's data: the served copy of the warehouse, attached read-only and cached per
published version; the queries themselves (and their scope checks) are `lingpao.queries`, one
object per page made for the session's viewer."""

from __future__ import annotations

import functools
import os
import time
from pathlib import Path
from typing import TypeVar

import duckdb
import pandas as pd
import streamlit as st

from lingpao.access.audit import AuditLog
from lingpao.access.users import UsersFileError, load_users
from lingpao.foundation.layout import Layout
from lingpao.foundation.programme import (
    Programme,
    available_years,
    load_programme,
    programmes_folder,
)
from lingpao.labels import Labels
from lingpao.queries import NO_FILTERS, Filters, Served
from lingpao.warehouse.connection import is_lock_conflict
from lingpao.warehouse.rounds import schema_of, years_in

__all__ = ["NO_FILTERS", "Filters", "queries"]
Page = TypeVar("Page", bound=Served)


def layout() -> Layout:
    """Where the served data and the files beside it are: resolved once per session (from the
    variables `lingpao dashboard` sets, else the defaults)."""
    if "layout" not in st.session_state:
        st.session_state["layout"] = Layout.resolve()
    return st.session_state["layout"]


def database_file() -> Path | None:
    return layout().readable()


def version() -> tuple[str, int, int]:
    """Identity of the data being served: changes whenever a run publishes a new copy (a new file
    put in place: another inode, another time)."""
    path = database_file()
    if not path:
        return ("", 0, 0)
    stat = path.stat()
    return (str(path), stat.st_mtime_ns, stat.st_ino)


@st.cache_resource(show_spinner=False, max_entries=2)
def _database(data_version: tuple[str, int, int]) -> duckdb.DuckDBPyConnection:
    """The published copy of one version, attached read-only to an in-memory database of its own
    and shared by every session (each query on its own cursor: a fraction of a millisecond, where
    opening the file for each query took ten). Its own database, because DuckDB hands out one
    instance per path: a connection kept to the path would go on reading the file a run has since
    replaced."""
    conn = duckdb.connect()
    conn.execute("SET enable_progress_bar = false")
    for attempt in range(20):  # the warehouse itself (nothing published yet) may be being written
        try:
            conn.execute("ATTACH ? AS served (READ_ONLY)", [data_version[0]])
            return conn
        except duckdb.IOException as error:
            if not is_lock_conflict(error) or attempt == 19:
                raise
            time.sleep(0.05 * (attempt + 1))
    return conn


def _enter(cursor: duckdb.DuckDBPyConnection, data_version: tuple, year: int | None) -> None:
    """Read round `year` of the served copy (a copy of before the rounds: as it is)."""
    if year is not None and year in _rounds(data_version):
        cursor.execute(f"USE served.{schema_of(year)}")
    else:
        cursor.execute("USE served")


# What depends only on the copy being served (and the programme files), kept per version in
# plain dicts: a page asks for its round a hundred times as it draws (every time and date shown
# is in its programme's time zone), and Streamlit's cache hashes its arguments on each call.
_PER_VERSION: dict[tuple, object] = {}


def _memo(key: tuple, make):
    value = _PER_VERSION.get(key, _PER_VERSION)
    if value is _PER_VERSION:  # (the dict itself: never a value)
        if len(_PER_VERSION) >= 1024:  # older versions and filters: dropped at once, made again
            _PER_VERSION.clear()
        value = _PER_VERSION[key] = make()
    return value


def _frozen(value: object) -> object:
    """Parameters as a key: lists (of an IN list) as tuples, the type kept (1 and 1.0 and True
    are one key to a dict, not to the query)."""
    if isinstance(value, list | tuple):
        return (type(value).__name__, *map(_frozen, value))
    return (type(value).__name__, value)


def _cached(
    data_version: tuple[str, int, int], year: int | None, sql: str, params: tuple
) -> pd.DataFrame:
    """A query's answer on one published version, asked once for every session (the copy never
    changes: a run publishes a new one). Each caller gets its own frame (pandas copies on write,
    so a page reshaping it leaves the kept one as it was)."""

    def ask() -> pd.DataFrame:
        with _database(data_version).cursor() as cursor:
            _enter(cursor, data_version, year)
            return cursor.sql(sql, params=list(params) or None).to_arrow_table().to_pandas()

    answer = _memo(("answer", data_version, year, sql, _frozen(params)), ask)
    return answer.copy(deep=False)


def _rounds(data_version: tuple[str, int, int]) -> list[int]:
    def read() -> list[int]:
        with _database(data_version).cursor() as cursor:
            return years_in(cursor, "served")

    return _memo(("rounds", data_version), read)


@functools.lru_cache(maxsize=8)
def _programmes_folder(told: str) -> Path:
    return programmes_folder()  # as told by LINGPAO_PROGRAMMES (`told`), else the shipped one


def _programme_files() -> tuple[str, int]:
    folder = _programmes_folder(os.environ.get("LINGPAO_PROGRAMMES", ""))
    try:
        return (str(folder), folder.stat().st_mtime_ns)  # a file added or removed changes it
    except OSError:
        return (str(folder), 0)


def rounds() -> list[int]:
    """The rounds published (oldest first) that have a programme file; none before a first run."""
    current = version()
    if not current[0]:
        return []
    try:
        published = _rounds(current)
    except duckdb.Error:  # a damaged copy: the pages say so (`served_problem`)
        return []
    files = _programme_files()
    known = _memo(("years", files), lambda: set(available_years(Path(files[0]))))
    return [y for y in published if y in known]


def year() -> int:
    """The round the pages show: the one chosen in the sidebar, else the newest published (else
    the configured one, before any run)."""
    published = rounds()
    chosen = st.session_state.get("f_year")
    if chosen in published:
        return int(chosen)
    return published[-1] if published else load_programme().year


def _run(sql: str, params: tuple, chosen: int | None = None) -> pd.DataFrame:
    current = version()
    if not current[0]:
        return pd.DataFrame()
    return _cached(current, chosen if chosen is not None else year(), sql, params)


def run_in(chosen: int):
    """A query runner on round `chosen` (a page comparing rounds reads each)."""
    return lambda sql, params: _run(sql, params, chosen)


def _connect() -> duckdb.DuckDBPyConnection:
    """A cursor on the copy being served now (the round chosen), for a workbook built on click."""
    current = version()
    if not current[0]:
        raise ValueError("尚无数据：请先运行 lingpao run")
    cursor = _database(current).cursor()
    _enter(cursor, current, year())
    return cursor


def _programme_file(chosen: int) -> tuple:
    """Round `chosen`'s programme file as it is now: edited or replaced, another key."""
    path = Path(_programme_files()[0]) / f"{chosen}.toml"
    try:
        stat = path.stat()
    except OSError:
        return (str(path), 0, 0)
    return (str(path), stat.st_mtime_ns, stat.st_size)


def _programme(chosen: int) -> Programme:
    """Round `chosen`'s programme (parsed once per version of its file: `read_programme`)."""
    return load_programme(chosen, Path(_programme_files()[0]))


def programme(chosen: int | None = None) -> Programme:
    """The programme of the round shown (or of round `chosen`)."""
    return _programme(chosen if chosen is not None else year())


def _labels(chosen: int) -> Labels:
    return _memo(("labels", chosen, _programme_file(chosen)), lambda: Labels(_programme(chosen)))


def labels() -> Labels:
    return _labels(year())


def queries(page: type[Page] = Served) -> Page:
    """A page's queries on the copy being served now, for this session's viewer."""
    return page(
        _run,
        programme(),
        st.session_state["viewer"],
        connect=_connect,
        audit=AuditLog(layout().audit),
    )


def served_problem() -> str | None:
    """Why the served copy cannot be read (e.g. damaged), in Chinese; None when it can be."""
    path = database_file()
    if path is None:
        return None
    try:
        _run("SELECT table_name FROM information_schema.tables", ())
    except duckdb.Error as error:
        if is_lock_conflict(error):
            return None
        first = str(error).splitlines()[0][:160]
        return f"数据文件 {path} 无法读取（{first}）。下次运行 lingpao run 将重新生成它。"
    return None


@st.cache_data(show_spinner=False, ttl=60)
def _people(users_file: str, units: tuple[str, ...]) -> dict[str, str]:
    try:
        users = load_users(Path(users_file), list(units)) or {}
    except UsersFileError:
        return {}
    return {
        uid: user.name or (f"{user.unit}工信局" if user.role == "city" else uid)
        for uid, user in users.items()
    }


def people() -> dict[str, str]:
    """Sign-in id -> the name people know (the users file's, a city bureau's user by its bureau)."""
    return _people(str(layout().users), tuple(programme().units))


def file_names() -> dict[str, str]:
    """A submitted table's stored path -> how people name it: the unit's version and the name it
    was sent under."""
    current, shown = version(), year()

    def read() -> dict[str, str]:
        frame = (
            _run("SELECT file, unit, version, original_name FROM city_table_versions", ())
            if "city_table_versions" in _tables()
            else pd.DataFrame()
        )
        return {
            row.file: f"{row.unit}第{int(row.version)}版（{row.original_name}）"
            for row in frame.itertuples()
        }

    return _memo(("file_names", current, shown), read)


def _tables() -> set[str]:
    frame = _run(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_catalog = current_database() AND table_schema = current_schema()",
        (),
    )
    return set(frame["table_name"]) if len(frame) else set()
