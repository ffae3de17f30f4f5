"""Look up the records and issues people act on, and turn an action into store entries."""

from __future__ import annotations

import duckdb
import pandas as pd

from lingpao.corrections.fields import CORRECTABLE, check_value
from lingpao.corrections.store import Correction, Decision, Proposal
from lingpao.foundation.programme import Programme
from lingpao.ingest.corrected import current_text
from lingpao.warehouse.connection import read_frame


def records_of(
    conn: duckdb.DuckDBPyConnection, source: str, record_keys: list[str]
) -> dict[str, dict]:
    """The warehouse rows behind record keys (application ids, or `file:row` of city tables)."""
    if source == "platform":
        sql = "SELECT application_id AS _key, * FROM applications WHERE application_id IN (SELECT unnest(?::VARCHAR[]))"
    elif source == "city_table":
        sql = "SELECT record_key AS _key, * FROM city_submissions WHERE record_key IN (SELECT unnest(?::VARCHAR[]))"
    else:
        return {}
    frame = read_frame(conn, sql, [list(record_keys)])
    return {row.pop("_key"): row for row in frame.to_dict("records")}


def record_of(conn: duckdb.DuckDBPyConnection, source: str, record_key: str) -> dict | None:
    """The warehouse row behind one record key, or None."""
    return records_of(conn, source, [record_key]).get(record_key)


def issues_of(conn: duckdb.DuckDBPyConnection, issue_ids: list[str]) -> dict[str, dict]:
    frame = read_frame(
        conn,
        "SELECT * FROM dq_issues WHERE issue_id IN (SELECT unnest(?::VARCHAR[]))",
        [list(issue_ids)],
    )
    return {row["issue_id"]: row for row in frame.to_dict("records")}


def issue_of(conn: duckdb.DuckDBPyConnection, issue_id: str) -> dict | None:
    return issues_of(conn, [issue_id]).get(issue_id)


def correctable_field(issue: dict) -> str | None:
    """The field an issue's correction would change, when there is exactly one and it may be corrected."""
    field = issue.get("field") or ""
    return field if field in CORRECTABLE.get(issue.get("source"), []) else None


def _text(value) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def correction_for(
    conn,
    programme: Programme,
    issue: dict,
    field: str,
    new_value: str,
    reason: str,
    record: dict | None = None,
) -> tuple[Correction, Decision] | str:
    """The correction of one field of an issue's record (and the decision that marks the issue fixed),
    or the reason it cannot be made. `record` saves the look-up when the caller has it."""
    if not (reason or "").strip():
        return "更正必须填写原因"
    problem = check_value(issue["source"], field, new_value, programme, reason)
    if problem:
        return problem
    record = record or record_of(conn, issue["source"], issue["record_key"])
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
        city=_text(record.get("city")),
    )
    return correction, decision_for(issue, "fixed", reason)


def proposal_for(
    conn, programme: Programme, issue: dict, field: str, new_value: str, reason: str
) -> Proposal | str:
    """A city bureau's proposal for an issue's record (checked like a correction), or why not."""
    made = correction_for(conn, programme, issue, field, new_value, reason)
    if isinstance(made, str):
        return made
    return Proposal(
        made[0],
        rule=issue.get("rule"),
        detail=_text(issue.get("detail")),
        credit_code=_text(issue.get("credit_code")),
    )


def decision_for(issue: dict, decision: str, reason: str) -> Decision:
    return Decision(
        issue_id=issue["issue_id"],
        source=issue["source"],
        record_key=issue["record_key"],
        rule=issue["rule"],
        decision=decision,
        reason=(reason or "").strip(),
        detail=_text(issue.get("detail")),
        city=_text(issue.get("city")),
        credit_code=_text(issue.get("credit_code")),
    )
