"""The warehouse's stable tables (contract §3.1) and the one way assets write them."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
from dagster_duckdb import DuckDBResource

from assets.ingest.normalise import RAW_KEPT, REPORT_POINTS

EVIDENCE_COLUMNS = [
    "ev_business_licence",
    "ev_audit_report",
    "ev_product_proof",
    "ev_ip_list",
    "ev_contracts",
    "ev_no_accident",
    "ev_social_responsibility",
    "ev_special_condition",
    "ev_authenticity",
]
# The longest text a person may enter: a corrected or proposed value of each field, and a reason.
TEXT_LIMITS = {
    "credit_code": 40,
    "company_name": 200,
    "city": 20,
    "county": 50,
    "cluster": 100,
    "industry": 100,
    "application_type": 40,
    "direction": 40,
    "qualification": 200,
    "contact_name": 50,
    "contact_phone": 40,
    "submitted_at": 40,
    "stage": 20,
}
REASON_LIMIT = 500

_SOURCE = {"source_file": "VARCHAR", "source_sheet": "VARCHAR", "source_row": "INTEGER"}
_APPLICATION = {
    "application_id": "VARCHAR",
    "credit_code": "VARCHAR",
    "company_name": "VARCHAR",
    "city": "VARCHAR",
    "county": "VARCHAR",
    "cluster": "VARCHAR",
    "industry": "VARCHAR",
    "application_type": "VARCHAR",
    "direction": "VARCHAR",
    "qualification": "VARCHAR",
    "contact_name": "VARCHAR",
    "contact_phone": "VARCHAR",
    "submitted_at": "TIMESTAMPTZ",
    "stage": "VARCHAR",
    "snapshot_at": "TIMESTAMPTZ",
    **{name: "DOUBLE" for name in REPORT_POINTS},
    **{name: "BOOLEAN" for name in EVIDENCE_COLUMNS},
    **{f"{name}_raw": "VARCHAR" for name in RAW_KEPT},
    **_SOURCE,
}
# Rows a steward corrected: JSON of field -> the value the correction replaced, and the correction ids.
_CORRECTED = {"corrected_from": "VARCHAR", "correction_ids": "INTEGER[]"}

TABLES: dict[str, dict[str, str]] = {
    "inbox_files": {
        "source_file": "VARCHAR",
        "folder": "VARCHAR",
        "kind": "VARCHAR",
        "status": "VARCHAR",
        "reason": "VARCHAR",
        "sheets": "VARCHAR",
        "rows": "INTEGER",
        "city": "VARCHAR",
        "unit_from": "VARCHAR",
        "snapshot_at": "TIMESTAMPTZ",
        "snapshot_time_from": "VARCHAR",
        "modified_at": "TIMESTAMPTZ",
        "unmapped_headers": "VARCHAR",
    },
    "platform_rows": {**_APPLICATION},
    "applications": {**_APPLICATION, "snapshot_count": "INTEGER", **_CORRECTED},
    "stage_history": {
        "application_id": "VARCHAR",
        "stage": "VARCHAR",
        "first_seen_at": "TIMESTAMPTZ",
        "source_file": "VARCHAR",
    },
    "city_submissions": {
        **_SOURCE,
        "city": "VARCHAR",
        "unit_from": "VARCHAR",
        "seq": "VARCHAR",
        "credit_code": "VARCHAR",
        "company_name": "VARCHAR",
        "industry": "VARCHAR",
        "application_type": "VARCHAR",
        "direction": "VARCHAR",
        "qualification": "VARCHAR",
        "contact_name": "VARCHAR",
        "contact_phone": "VARCHAR",
        "credit_code_raw": "VARCHAR",
        "application_type_raw": "VARCHAR",
        "direction_raw": "VARCHAR",
        "contact_phone_raw": "VARCHAR",
        **_CORRECTED,
    },
    "correction_outcomes": {
        "correction_id": "INTEGER",
        "source": "VARCHAR",
        "record_key": "VARCHAR",
        "field": "VARCHAR",
        "applied": "BOOLEAN",
        "note": "VARCHAR",
    },
    "pool_members": {
        "credit_code": "VARCHAR",
        "company_name": "VARCHAR",
        "status": "VARCHAR",
        "status_raw": "VARCHAR",
        "entry_year": "VARCHAR",
        "source_file": "VARCHAR",
        "source_row": "INTEGER",
    },
    "clusters": {"cluster": "VARCHAR", "county": "VARCHAR", "city": "VARCHAR", "source": "VARCHAR"},
    "shortlist": {
        "rank_in_direction": "INTEGER",
        "application_id": "VARCHAR",
        "credit_code": "VARCHAR",
        "company_name": "VARCHAR",
        "city": "VARCHAR",
        "county": "VARCHAR",
        "cluster": "VARCHAR",
        "direction": "VARCHAR",
        "stage": "VARCHAR",
        "score": "DOUBLE",
        "rnd_intensity": "DOUBLE",
        "revenue_growth": "DOUBLE",
        "profit": "DOUBLE",
        "taxes": "DOUBLE",
        "rnd_intensity_scaled": "DOUBLE",
        "revenue_growth_scaled": "DOUBLE",
        "profit_scaled": "DOUBLE",
        "taxes_scaled": "DOUBLE",
        **{name: "DOUBLE" for name in REPORT_POINTS},
    },
    "shortlist_exclusions": {
        "application_id": "VARCHAR",
        "credit_code": "VARCHAR",
        "company_name": "VARCHAR",
        "city": "VARCHAR",
        "cluster": "VARCHAR",
        "direction": "VARCHAR",
        "stage": "VARCHAR",
        "reasons": "VARCHAR[]",
        "reason_text": "VARCHAR",
    },
    "dq_issues": {
        "issue_id": "VARCHAR",
        "source": "VARCHAR",
        "record_key": "VARCHAR",
        "credit_code": "VARCHAR",
        "city": "VARCHAR",
        "rule": "VARCHAR",
        "severity": "VARCHAR",
        "detail": "VARCHAR",
        "status": "VARCHAR",
        "suggested_fix": "VARCHAR",
        **_SOURCE,
        "field": "VARCHAR",
        "value": "VARCHAR",
        "decision": "VARCHAR",
        "decided_by": "VARCHAR",
        "decided_at": "VARCHAR",
        "decision_reason": "VARCHAR",
    },
}


@contextmanager
def open_warehouse(resource: DuckDBResource) -> Iterator[duckdb.DuckDBPyConnection]:
    """The resource's write connection, closed even when the asset fails.

    dagster-duckdb's `get_connection` closes only on success, which leaves the file locked for
    the rest of the process after an error.
    """
    with resource.get_connection() as conn:
        try:
            yield conn
        finally:
            conn.close()


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


def set_aside_if_damaged(path: Path) -> str | None:
    """Move a warehouse file DuckDB cannot open out of the way (it is rebuilt from the inbox);
    returns the message saying so, or None when the file is sound or absent."""
    if not path.exists():
        return None
    try:
        duckdb.connect(str(path)).close()
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


def create_table(conn: duckdb.DuckDBPyConnection, name: str) -> None:
    columns = ", ".join(f'"{col}" {kind}' for col, kind in TABLES[name].items())
    conn.execute(f"CREATE OR REPLACE TABLE {name} ({columns})")


def replace_table(conn: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> int:
    """Rebuild a stable table from a frame (columns by name; missing ones NULL); returns its rows."""
    columns = TABLES[name]
    frame = frame.reindex(columns=[c for c in columns if c in frame.columns])
    create_table(conn, name)
    if len(frame):
        conn.register("_incoming", frame)
        names = ", ".join(f'"{c}"' for c in frame.columns)
        conn.execute(f"INSERT INTO {name} ({names}) SELECT {names} FROM _incoming")
        conn.unregister("_incoming")
    return int(conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0])


def replace_table_from_sql(conn: duckdb.DuckDBPyConnection, name: str, sql: str) -> int:
    """Rebuild a stable table from a query over the warehouse (columns matched by name)."""
    produced = {row[0] for row in conn.execute(f"DESCRIBE SELECT * FROM ({sql})").fetchall()}
    names = ", ".join(f'"{c}"' for c in TABLES[name] if c in produced)
    create_table(conn, name)
    conn.execute(f"INSERT INTO {name} ({names}) SELECT {names} FROM ({sql})")
    return int(conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0])


def read_frame(
    conn: duckdb.DuckDBPyConnection, sql: str, params: list | None = None
) -> pd.DataFrame:
    """A query's result as a pandas frame, through Arrow (much faster than `.df()`)."""
    return conn.sql(sql, params=params or None).to_arrow_table().to_pandas()
