"""Phone numbers judged by phonenumbers (CN): the kind of each distinct number, cached in the warehouse."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import duckdb
import pandas as pd

from lingpao.foundation.programme import PROJECT_ROOT
from lingpao.ingest.phone_numbers import VALID_KINDS, judge_chunk, phone_kind

__all__ = ["VALID_KINDS", "phone_kind", "refresh_phone_kinds"]

PARALLEL_FROM = 100_000  # numbers: below this, starting processes costs more than it saves


def judge(phones: list[str]) -> list[str]:
    """The kind of each number; a national-size list is shared among the machine's cores (the
    library is pure Python, ~20 µs a number), each part judged by `python -m
    lingpao.ingest.phone_numbers` (a plain process: nothing of the caller is imported again)."""
    workers = min(os.cpu_count() or 1, 8)
    if len(phones) < PARALLEL_FROM or workers < 2:
        return judge_chunk(phones)
    size = -(-len(phones) // workers)
    chunks = [phones[i : i + size] for i in range(0, len(phones), size)]

    def judged(chunk: list[str]) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-m", "lingpao.ingest.phone_numbers"],
            input=json.dumps(chunk).encode("utf-8"),
            capture_output=True,
            cwd=PROJECT_ROOT,
            check=True,
        )
        kinds = json.loads(done.stdout)
        if len(kinds) != len(chunk):
            raise RuntimeError("phone worker returned a wrong number of kinds")
        return kinds

    with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
        return [kind for part in pool.map(judged, chunks) for kind in part]


def refresh_phone_kinds(conn: duckdb.DuckDBPyConnection, tables: list[str]) -> int:
    """Add to `phone_kinds` the numbers of these tables not judged yet; returns how many were new."""
    conn.execute("CREATE TABLE IF NOT EXISTS phone_kinds (phone VARCHAR PRIMARY KEY, kind VARCHAR)")
    union = " UNION ".join(
        f"SELECT contact_phone FROM {t} WHERE contact_phone IS NOT NULL" for t in tables
    )
    new = conn.execute(
        f"SELECT DISTINCT contact_phone FROM ({union}) WHERE contact_phone NOT IN "
        "(SELECT phone FROM phone_kinds)"
    ).fetchall()
    if new:
        frame = pd.DataFrame({"phone": [p for (p,) in new]})
        frame["kind"] = judge(list(frame["phone"]))
        conn.register("_phones", frame)
        conn.execute("INSERT INTO phone_kinds SELECT phone, kind FROM _phones")
        conn.unregister("_phones")
    return len(new)
