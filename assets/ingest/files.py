"""The `inbox_files` log: one row per inbox file, read or not, and why."""

from __future__ import annotations

import duckdb
import pandas as pd

from assets.ingest.inbox import InboxFile
from assets.warehouse import TABLES


def file_record(file: InboxFile, kind: str, **values: object) -> dict:
    """A row of `inbox_files` for one file; `status` is `read`, `unreadable`, `ignored` or `skipped`."""
    record = {
        "source_file": file.name,
        "folder": file.folder,
        "kind": kind,
        "status": "read",
        "modified_at": file.modified_at,
    }
    record.update(values)
    return record


def listing_record(file: InboxFile, kind: str, **values: object) -> dict | None:
    """The log row of an entry that is not read (skipped, or a folder or dangling link), else None."""
    if file.skipped:
        return file_record(file, kind, status="skipped", reason=file.skipped, rows=0, **values)
    if file.problem:
        return file_record(file, kind, status="unreadable", reason=file.problem, rows=0, **values)
    return None


def record_files(conn: duckdb.DuckDBPyConnection, folder: str, records: list[dict]) -> None:
    """Replace the log rows of one inbox folder (each ingest asset owns its folder's rows)."""
    columns = ", ".join(f'"{c}" {k}' for c, k in TABLES["inbox_files"].items())
    conn.execute(f"CREATE TABLE IF NOT EXISTS inbox_files ({columns})")
    conn.execute("DELETE FROM inbox_files WHERE folder = ?", [folder])
    if records:
        frame = pd.DataFrame.from_records(records).reindex(columns=list(TABLES["inbox_files"]))
        frame["rows"] = frame["rows"].astype("Int64")
        conn.register("_files", frame)
        conn.execute("INSERT INTO inbox_files BY NAME SELECT * FROM _files")
        conn.unregister("_files")
