"""The warehouse's stable tables (contract §3.1) and the one way assets write them."""

from __future__ import annotations

import duckdb
import pandas as pd

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
    "applications": {**_APPLICATION, "snapshot_count": "INTEGER"},
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
    },
}


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
    create_table(conn, name)
    conn.execute(f"INSERT INTO {name} BY NAME {sql}")
    return int(conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0])


def read_frame(
    conn: duckdb.DuckDBPyConnection, sql: str, params: list | None = None
) -> pd.DataFrame:
    """A query's result as a pandas frame, through Arrow (much faster than `.df()`)."""
    return conn.sql(sql, params=params or None).to_arrow_table().to_pandas()
