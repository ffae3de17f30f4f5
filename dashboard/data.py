"""Every dashboard query: short read-only connections to the serving copy, cached per version."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from assets.publish import serving_path
from pipelines.programme import Programme, load_programme
from pipelines.resources import warehouse_path

RETRIES = 20


@dataclass(frozen=True)
class Scope:
    """Which records a viewer may see: every unit (None) or one reporting unit."""

    unit: str | None = None

    def where(self, column: str = "city") -> tuple[str, list]:
        return (f"{column} = ?", [self.unit]) if self.unit else ("TRUE", [])


ALL_UNITS = Scope()


def database_file() -> Path | None:
    """The serving copy if published, else the warehouse itself; None when neither exists."""
    warehouse = warehouse_path()
    for candidate in (serving_path(warehouse), warehouse):
        if candidate.exists():
            return candidate
    return None


def version() -> tuple[str, int]:
    """Identity of the data now being served: changes whenever a run publishes a new copy."""
    path = database_file()
    return (str(path), path.stat().st_mtime_ns) if path else ("", 0)


def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection, retried while a writer holds the file."""
    for attempt in range(RETRIES):
        try:
            return duckdb.connect(str(path), read_only=True)
        except duckdb.IOException:
            time.sleep(0.05 * (attempt + 1))
    return duckdb.connect(str(path), read_only=True)


@st.cache_data(show_spinner=False, max_entries=512)
def _cached(data_version: tuple[str, int], sql: str, params: tuple) -> pd.DataFrame:
    path = Path(data_version[0])
    with _connect(path) as conn:
        return conn.sql(sql, params=list(params) or None).to_arrow_table().to_pandas()


def query(sql: str, params: list | tuple = ()) -> pd.DataFrame:
    """Run a query on the served data; an empty frame when nothing has been published yet."""
    current = version()
    if not current[0]:
        return pd.DataFrame()
    return _cached(current, sql, tuple(params))


def tables() -> set[str]:
    frame = query("SELECT table_name FROM information_schema.tables")
    return set(frame["table_name"]) if len(frame) else set()


@st.cache_resource
def programme() -> Programme:
    return load_programme()


def as_of() -> pd.Timestamp | None:
    """Export time of the newest platform snapshot read."""
    if "inbox_files" not in tables():
        return None
    frame = query(
        "SELECT max(snapshot_at) AS t FROM inbox_files WHERE folder = 'platform' AND status = 'read'"
    )
    value = frame["t"].iloc[0] if len(frame) else None
    return (
        None
        if value is None or pd.isna(value)
        else pd.Timestamp(value).tz_convert(programme().timezone)
    )


def application_counts(dimension: str, scope: Scope = ALL_UNITS) -> pd.DataFrame:
    """Current submitted (non-draft) applications per value of one column: city, cluster, direction."""
    if dimension not in {"city", "cluster", "direction", "application_type", "stage"}:
        raise ValueError(f"unknown dimension {dimension}")
    if "applications" not in tables():
        return pd.DataFrame(columns=[dimension, "applications"])
    where, params = scope.where()
    return query(
        f"SELECT coalesce({dimension}, '(空或无效)') AS {dimension}, count(*) AS applications "
        f"FROM applications WHERE stage IS DISTINCT FROM 'draft' AND {where} "
        f"GROUP BY ALL ORDER BY applications DESC, {dimension}",
        params,
    )


def headline(scope: Scope = ALL_UNITS) -> dict[str, int]:
    """Submitted applications, drafts, city tables received and open issues."""
    if "applications" not in tables():
        return {}
    where, params = scope.where()
    row = query(
        f"SELECT count(*) FILTER (WHERE stage IS DISTINCT FROM 'draft') AS submitted, "
        f"count(*) FILTER (WHERE stage = 'draft') AS drafts FROM applications WHERE {where}",
        params,
    ).iloc[0]
    return {"submitted": int(row["submitted"]), "drafts": int(row["drafts"])}
