"""The warehouse's tables (contract §3.1 and ours): columns and types, record keys, text limits.

Evidence columns follow the programme file's evidence list, and the raw (cached) tables its header
mappings, so a year with other items needs no change here.
"""

from __future__ import annotations

from lingpao.foundation.programme import Programme

# Fields whose text as read from the file is kept beside the normalised value, as `<field>_raw`.
RAW_KEPT = [
    "credit_code",
    "city",
    "application_type",
    "direction",
    "stage",
    "contact_phone",
    "submitted_at",
]
REPORT_POINTS = [
    "revenue_3y_ago",
    "revenue_2y_ago",
    "revenue_last_year",
    "profit_last_year",
    "taxes_last_year",
    "rnd_last_year",
    "employees",
]
# (`submitted_by`: the official who submitted a city table.)
PERSONAL_COLUMNS = ("contact_name", "contact_phone", "contact_phone_raw", "submitted_by")
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


def row_key(file: str, row: str) -> str:
    """The SQL of a row's record key, `file:row`, from the SQL of its file and row number: the key
    of a city-table row and of a platform row without an application id (an application's key is
    its id). Built only while reading (`lingpao.ingest.normalise`); everything else reads the
    stored `record_key` column. This is the one place the key is spelt."""
    return f"{file} || ':' || {row}"


SOURCE = {"source_file": "VARCHAR", "source_sheet": "VARCHAR", "source_row": "INTEGER"}
CORRECTED = {"corrected_from": "VARCHAR", "correction_ids": "INTEGER[]"}
OUTCOMES = {
    "correction_id": "INTEGER",
    "source": "VARCHAR",
    "record_key": "VARCHAR",
    "field": "VARCHAR",
    "applied": "BOOLEAN",
    "note": "VARCHAR",
}
# What reading a file gave: cached per content, and shown for every inbox entry.
READ_RESULT = {
    "folder": "VARCHAR",
    "kind": "VARCHAR",
    "status": "VARCHAR",
    "reason": "VARCHAR",
    "sheets": "VARCHAR",
    "rows": "INTEGER",
    "city": "VARCHAR",
    "unit_from": "VARCHAR",
    "unmapped_headers": "VARCHAR",
}
FILE_LOG = {
    "source_file": "VARCHAR",
    **READ_RESULT,
    "snapshot_at": "TIMESTAMPTZ",
    "snapshot_time_from": "VARCHAR",
    "modified_at": "TIMESTAMPTZ",
    "file_hash": "VARCHAR",
    "size_bytes": "BIGINT",
}


def evidence_columns(programme: Programme) -> list[str]:
    """`ev_<item>` for every evidence item of the programme year."""
    return [f"ev_{item}" for item in programme.evidence]


def _application(programme: Programme) -> dict[str, str]:
    return {
        "record_key": "VARCHAR",
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
        **{name: "BOOLEAN" for name in evidence_columns(programme)},
        **{f"{name}_raw": "VARCHAR" for name in RAW_KEPT},
        **SOURCE,
    }


def _raw(programme: Programme, kind: str, extra: dict[str, str]) -> dict[str, str]:
    """A cached table of text cells as read: the file's content hash, where, and mapped columns."""
    columns = {"file_hash": "VARCHAR", **extra, "source_sheet": "VARCHAR", "source_row": "INTEGER"}
    return {**columns, **{name: "VARCHAR" for name in programme.headers(kind)}}


def tables(programme: Programme) -> dict[str, dict[str, str]]:
    """Every table of the warehouse with its columns and DuckDB types."""
    city_columns = ["seq", "credit_code", "company_name", "industry", "application_type"]
    return {
        "inbox_files": dict(FILE_LOG),
        "city_table_versions": {
            "unit": "VARCHAR",
            "version": "INTEGER",
            "file": "VARCHAR",
            "original_name": "VARCHAR",
            "submitted_by": "VARCHAR",
            "submitted_at": "TIMESTAMPTZ",
            "late": "BOOLEAN",
            "sha256": "VARCHAR",
            "active": "BOOLEAN",
        },
        "file_cache": {"file_hash": "VARCHAR", **READ_RESULT, "parser": "VARCHAR"},
        "raw_platform": _raw(programme, "platform", {}),
        "raw_city": _raw(programme, "city_table", {"unit": "VARCHAR", "unit_from": "VARCHAR"}),
        "raw_pool": _raw(programme, "pool", {}),
        "raw_clusters": _raw(programme, "clusters", {}),
        "platform_rows": _application(programme),
        "applications": {**_application(programme), "snapshot_count": "INTEGER", **CORRECTED},
        "stage_history": {
            "application_id": "VARCHAR",
            "stage": "VARCHAR",
            "first_seen_at": "TIMESTAMPTZ",
            "source_file": "VARCHAR",
        },
        "city_submissions": {
            "record_key": "VARCHAR",
            **SOURCE,
            "city": "VARCHAR",
            "unit_from": "VARCHAR",
            **{name: "VARCHAR" for name in city_columns},
            "direction": "VARCHAR",
            "qualification": "VARCHAR",
            "contact_name": "VARCHAR",
            "contact_phone": "VARCHAR",
            "county": "VARCHAR",
            "cluster": "VARCHAR",
            "credit_code_raw": "VARCHAR",
            "application_type_raw": "VARCHAR",
            "direction_raw": "VARCHAR",
            "contact_phone_raw": "VARCHAR",
            **CORRECTED,
        },
        "platform_correction_outcomes": dict(OUTCOMES),
        "city_correction_outcomes": dict(OUTCOMES),
        "correction_outcomes": dict(OUTCOMES),
        "pool_members": {
            "credit_code": "VARCHAR",
            "company_name": "VARCHAR",
            "status": "VARCHAR",
            "status_raw": "VARCHAR",
            "entry_year": "VARCHAR",
            "kind": "VARCHAR",  # pool (the province's registry) | city_pool (a city's own pool)
            "city": "VARCHAR",
            "cluster": "VARCHAR",
            "since_year": "INTEGER",
            "adjusted_year": "INTEGER",
            "reason": "VARCHAR",
            "source_file": "VARCHAR",
            "source_row": "INTEGER",
        },
        # What earlier rounds carry into this one: their confirmed pool entries and pool lists
        # (those of the pools the round counts), and the leaders as of this round.
        "carried_pool": {
            "credit_code": "VARCHAR",
            "company_name": "VARCHAR",
            "since_year": "INTEGER",
            "source": "VARCHAR",
        },
        "leaders_as_of": {
            "credit_code": "VARCHAR",
            "company_name": "VARCHAR",
            "city": "VARCHAR",
            "cluster": "VARCHAR",
            "since_year": "INTEGER",
            "status": "VARCHAR",  # active | adjusted, as of the round
            "adjusted_year": "INTEGER",
            "reason": "VARCHAR",
            "source": "VARCHAR",
        },
        # In `main`: every company that is, or was, a leader (contract §5).
        "leaders": {
            "credit_code": "VARCHAR",
            "company_name": "VARCHAR",
            "city": "VARCHAR",
            "cluster": "VARCHAR",
            "since_year": "INTEGER",
            "status": "VARCHAR",
            "adjusted_year": "INTEGER",
            "reason": "VARCHAR",
            "source": "VARCHAR",
        },
        "clusters": {
            "cluster": "VARCHAR",
            "county": "VARCHAR",
            "city": "VARCHAR",
            "source": "VARCHAR",
        },
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
            "evidence_uploaded": "INTEGER",
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
        # The close of the round (contract §6), copied from the review store by each run.
        "review_candidates": {
            "version": "INTEGER",
            "application_id": "VARCHAR",
            "credit_code": "VARCHAR",
            "company_name": "VARCHAR",
            "city": "VARCHAR",
            "county": "VARCHAR",
            "cluster": "VARCHAR",
            "direction": "VARCHAR",
            "panel": "VARCHAR",
            "preliminary_score": "DOUBLE",
            "decision": "VARCHAR",
            "decision_reason": "VARCHAR",
        },
        "review_assignments": {
            "version": "INTEGER",
            "expert_id": "VARCHAR",
            "application_id": "VARCHAR",
            "excluded_reason": "VARCHAR",
        },
        "review_scores": {
            "version": "INTEGER",
            "expert_id": "VARCHAR",
            "application_id": "VARCHAR",
            "criterion": "VARCHAR",
            "score": "DOUBLE",
            "sheet_version": "INTEGER",
        },
        "review_result": {
            "application_id": "VARCHAR",
            "company_name": "VARCHAR",
            "city": "VARCHAR",
            "cluster": "VARCHAR",
            "direction": "VARCHAR",
            "panel": "VARCHAR",
            "experts": "INTEGER",
            "mean_score": "DOUBLE",
            "spread": "DOUBLE",
            "flagged": "BOOLEAN",
            "rank_in_panel": "INTEGER",
            "proposed": "BOOLEAN",
        },
        "notice": {
            "start": "DATE",
            "end": "DATE",
            "working_days": "INTEGER",
            "companies": "INTEGER",
        },
        "notice_objections": {
            "objection_id": "INTEGER",
            "application_id": "VARCHAR",
            "received_at": "VARCHAR",
            "text": "VARCHAR",
            "decision": "VARCHAR",
            "reason": "VARCHAR",
            "decided_by": "VARCHAR",
        },
        "certified": {
            "application_id": "VARCHAR",
            "credit_code": "VARCHAR",
            "company_name": "VARCHAR",
            "city": "VARCHAR",
            "county": "VARCHAR",
            "cluster": "VARCHAR",
            "direction": "VARCHAR",
            "certified_at": "VARCHAR",
            "decided_by": "VARCHAR",
        },
        "leader_checks": {
            "credit_code": "VARCHAR",
            "company_name": "VARCHAR",
            "unit": "VARCHAR",
            "cluster": "VARCHAR",
            "result": "VARCHAR",
            "reason": "VARCHAR",
            "submitted_by": "VARCHAR",
            "confirmed_by": "VARCHAR",
        },
        # The platform's own rule failures, kept while the platform and registry do not change.
        "platform_issues": {
            "record_key": "VARCHAR",
            "credit_code": "VARCHAR",
            "city": "VARCHAR",
            **SOURCE,
            "source": "VARCHAR",
            "rule": "VARCHAR",
            "field": "VARCHAR",
            "value": "VARCHAR",
            "note": "VARCHAR",
            "suggested_fix": "VARCHAR",
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
            **SOURCE,
            "field": "VARCHAR",
            "value": "VARCHAR",
            "decision": "VARCHAR",
            "decided_by": "VARCHAR",
            "decided_at": "VARCHAR",
            "decision_reason": "VARCHAR",
        },
    }


# The contract's tables (§3.1): each row says its round.
ROUND_TABLES = (
    "applications",
    "stage_history",
    "city_submissions",
    "dq_issues",
    "shortlist",
    "review_candidates",
    "certified",
    "leader_checks",
)


def columns(name: str, programme: Programme) -> dict[str, str]:
    """The columns and types of one table."""
    found = tables(programme)[name]
    return {"programme_year": "INTEGER", **found} if name in ROUND_TABLES else found
