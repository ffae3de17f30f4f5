"""Look up the record and the issue a steward acts on, and turn an action into store entries."""

from __future__ import annotations

import duckdb
import pandas as pd

from assets.corrections.fields import CORRECTABLE, check_value, current_text
from assets.corrections.store import Correction, Decision
from assets.warehouse import read_frame
from pipelines.programme import Programme


def record_of(conn: duckdb.DuckDBPyConnection, source: str, record_key: str) -> dict | None:
    """The warehouse row behind a record key: an application, or a city-table row (`file:row`)."""
    if source == "platform":
        frame = read_frame(
            conn, "SELECT * FROM applications WHERE application_id = ?", [record_key]
        )
    elif source == "city_table":
        frame = read_frame(
            conn,
            "SELECT * FROM city_submissions WHERE source_file || ':' || source_row = ?",
            [record_key],
        )
    else:
        return None
    return frame.iloc[0].to_dict() if len(frame) else None


def issue_of(conn: duckdb.DuckDBPyConnection, issue_id: str) -> dict | None:
    frame = read_frame(conn, "SELECT * FROM dq_issues WHERE issue_id = ?", [issue_id])
    return frame.iloc[0].to_dict() if len(frame) else None


def correctable_field(issue: dict) -> str | None:
    """The field an issue's correction would change, when there is exactly one and it may be corrected."""
    field = issue.get("field") or ""
    return field if field in CORRECTABLE.get(issue.get("source"), []) else None


def correction_for(
    conn, programme: Programme, issue: dict, field: str, new_value: str, reason: str
) -> tuple[Correction, Decision] | str:
    """The correction of one field of an issue's record (and the decision that marks the issue fixed),
    or the reason it cannot be made."""
    if not (reason or "").strip():
        return "更正必须填写原因"
    problem = check_value(issue["source"], field, new_value, programme)
    if problem:
        return problem
    record = record_of(conn, issue["source"], issue["record_key"])
    if record is None:
        return f"记录“{issue['record_key']}”在当前数据中不存在"
    correction = Correction(
        source=issue["source"],
        record_key=issue["record_key"],
        field=field,
        old_value=current_text(record, field),
        new_value=str(new_value).strip(),
        reason=reason.strip(),
        issue_id=issue["issue_id"],
    )
    return correction, decision_for(issue, "fixed", reason)


def decision_for(issue: dict, decision: str, reason: str) -> Decision:
    def text(value):
        return (
            None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
        )

    return Decision(
        issue_id=issue["issue_id"],
        source=issue["source"],
        record_key=issue["record_key"],
        rule=issue["rule"],
        decision=decision,
        reason=(reason or "").strip(),
        detail=text(issue.get("detail")),
        city=text(issue.get("city")),
        credit_code=text(issue.get("credit_code")),
    )
