"""Build stamps: what a table was last built from; a table whose inputs have not changed is kept.

A stamp is a hash of everything a build reads (the files' hashes and names, the programme, the
reading code, the corrections, the table's columns). `lingpao run --full` forgets every stamp.
"""

from __future__ import annotations

import hashlib

import duckdb

from lingpao.foundation.programme import Programme
from lingpao.foundation.schema import columns
from lingpao.warehouse.rounds import tables_here


def stamp_of(*parts: object) -> str:
    return hashlib.sha1(repr(parts).encode("utf-8")).hexdigest()


def _ensure(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS build_stamps (table_name VARCHAR PRIMARY KEY, stamp VARCHAR)"
    )


def is_current(
    conn: duckdb.DuckDBPyConnection, table: str, stamp: str, programme: Programme
) -> bool:
    """True when `table` exists with its columns and was last built from inputs stamped `stamp`."""
    _ensure(conn)
    stored = conn.execute("SELECT stamp FROM build_stamps WHERE table_name = ?", [table]).fetchall()
    if not stored or stored[0][0] != stamp_of(stamp, tuple(columns(table, programme).items())):
        return False
    return table in tables_here(conn)


def mark(conn: duckdb.DuckDBPyConnection, table: str, stamp: str, programme: Programme) -> None:
    """Record that `table` was just built from inputs stamped `stamp`."""
    _ensure(conn)
    conn.execute(
        "INSERT OR REPLACE INTO build_stamps VALUES (?, ?)",
        [table, stamp_of(stamp, tuple(columns(table, programme).items()))],
    )


def forget_all(conn: duckdb.DuckDBPyConnection) -> None:
    """Every table is built again on the next run (a full run, a new parser or programme)."""
    conn.execute("DROP TABLE IF EXISTS build_stamps")
