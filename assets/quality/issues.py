"""`dq_issues`: one row per failed rule on one record, with a stable id and a located message."""

from __future__ import annotations

import hashlib

import dagster as dg
import pandas as pd
from dagster_duckdb import DuckDBResource

from assets.ingest.city_tables import city_submissions
from assets.ingest.platform import applications
from assets.ingest.registry import registry
from assets.materialize import table_result
from assets.warehouse import read_frame, replace_table

SEVERITY = {"file_unreadable": "error"}


def issue_id(rule: str, source: str, record_key: str, field: str | None = None) -> str:
    """The same failure on the same record gives the same id on every run."""
    text = "|".join([rule, source, record_key, field or ""])
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def file_issues(files: pd.DataFrame) -> pd.DataFrame:
    """`file_unreadable` for every inbox file that could not be read or whose unit is unknown."""
    bad = files[files["status"] == "unreadable"]
    return pd.DataFrame.from_records(
        [
            {
                "issue_id": issue_id("file_unreadable", "file", row.source_file),
                "source": "file",
                "record_key": row.source_file,
                "credit_code": None,
                "city": row.city,
                "rule": "file_unreadable",
                "severity": SEVERITY["file_unreadable"],
                "detail": f"文件“{row.source_file}”无法读取：{row.reason}",
                "status": "open",
                "source_file": row.source_file,
            }
            for row in bad.itertuples()
        ]
    )


@dg.asset(group_name="quality", kinds={"duckdb"}, deps=[applications, city_submissions, registry])
def dq_issues(warehouse: DuckDBResource) -> dg.MaterializeResult:
    """Every failed rule on every record (contract §3.2), one row each."""
    with warehouse.get_connection() as conn:
        files = read_frame(conn, "SELECT * FROM inbox_files ORDER BY source_file")
        issues = file_issues(files)
        count = replace_table(conn, "dq_issues", issues)
        return table_result(conn, "dq_issues", count)
