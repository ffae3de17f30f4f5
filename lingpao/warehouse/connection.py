"""Connections to the warehouse and the one way its tables are (re)written, through the schema."""

from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb
import pandas as pd

from lingpao.foundation.programme import Programme
from lingpao.foundation.schema import columns


def literal(text: object) -> str:
    """A SQL string literal (for the few places a value cannot be a parameter: macros, ATTACH)."""
    return "'" + str(text).replace("'", "''") + "'"


def is_lock_conflict(error: Exception) -> bool:
    """True when DuckDB refused a file because another process holds it (worth a retry)."""
    return "lock" in str(error).lower()


def connect_read_only(path: Path, retries: int = 20) -> duckdb.DuckDBPyConnection:
    """A short-lived read-only connection, retried while another process holds the file for
    writing; a damaged file fails at once (retrying cannot mend it)."""
    for attempt in range(retries):
        try:
            return duckdb.connect(str(path), read_only=True)
        except duckdb.IOException as error:
            if not is_lock_conflict(error):
                raise
            time.sleep(0.05 * (attempt + 1))
    return duckdb.connect(str(path), read_only=True)


_SOUND: dict[str, tuple[int, int, int] | None] = {}  # path -> the file DuckDB last opened there


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def set_aside_if_damaged(path: Path) -> str | None:
    """Move a warehouse file DuckDB cannot open out of the way (it is rebuilt from the inbox);
    returns the message saying so, or None when the file is sound or absent."""
    if not path.exists():
        return None
    seen = _identity(path)
    if seen is not None and _SOUND.get(str(path)) == seen:
        return None  # opened as sound in this process, untouched since (a run asks twice)
    try:
        duckdb.connect(str(path)).close()
        _SOUND[str(path)] = _identity(path)
        return None
    except duckdb.Error as error:
        if is_lock_conflict(error):
            return None  # in use by a reader, so not damaged: the run's connection waits for it
        stamp = time.strftime("%Y%m%dT%H%M%S")
        moved = path.with_name(f"{path.name}.damaged-{stamp}")
        os.replace(path, moved)
        wal = path.with_name(path.name + ".wal")
        if wal.exists():
            os.replace(wal, moved.with_name(moved.name + ".wal"))
        return (
            f"数据仓库 {path} 已损坏（{str(error).splitlines()[0][:200]}），已移至 {moved}，"
            "本次从收件箱重建。"
        )


def create_table(conn: duckdb.DuckDBPyConnection, name: str, programme: Programme) -> None:
    """(Re)create an empty table with the schema's columns."""
    spec = ", ".join(
        f'"{col}" {kind}' + (f" DEFAULT {int(programme.year)}" if col == "programme_year" else "")
        for col, kind in columns(name, programme).items()
    )
    conn.execute(f"CREATE OR REPLACE TABLE {name} ({spec})")


def replace_table(
    conn: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame, programme: Programme
) -> int:
    """Rebuild a table from a frame (columns by name; missing ones NULL); returns its rows."""
    wanted = columns(name, programme)
    frame = frame.reindex(columns=[c for c in wanted if c in frame.columns])
    create_table(conn, name, programme)
    if len(frame):
        conn.register("_incoming", frame)
        names = ", ".join(f'"{c}"' for c in frame.columns)
        conn.execute(f"INSERT INTO {name} ({names}) SELECT {names} FROM _incoming")
        conn.unregister("_incoming")
    return int(conn.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0])


def append_rows(
    conn: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame, programme: Programme
) -> None:
    """Append a frame's rows to a table (columns by name; the table's others NULL)."""
    wanted = [c for c in columns(name, programme) if c in frame.columns]
    conn.register("_rows", frame[wanted])
    try:
        names = ", ".join(f'"{c}"' for c in wanted)
        conn.execute(f"INSERT INTO {name} ({names}) SELECT {names} FROM _rows")
    finally:
        conn.unregister("_rows")


def replace_table_from_sql(
    conn: duckdb.DuckDBPyConnection, name: str, sql: str, programme: Programme
) -> int:
    """Rebuild a table from a query over the warehouse (columns matched by name)."""
    produced = {row[0] for row in conn.execute(f"DESCRIBE SELECT * FROM ({sql})").fetchall()}
    names = ", ".join(f'"{c}"' for c in columns(name, programme) if c in produced)
    create_table(conn, name, programme)
    conn.execute(f"INSERT INTO {name} ({names}) SELECT {names} FROM ({sql})")
    return int(conn.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0])


def read_frame(
    conn: duckdb.DuckDBPyConnection, sql: str, params: list | None = None
) -> pd.DataFrame:
    """A query's result as a pandas frame, through Arrow (much faster than `.df()`)."""
    return conn.sql(sql, params=params or None).to_arrow_table().to_pandas()
