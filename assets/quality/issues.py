"""`dq_issues`: one row per failed rule on one record, with a stable id and a located message."""

from __future__ import annotations

import hashlib
from pathlib import Path

import dagster as dg
import pandas as pd
from dagster_duckdb import DuckDBResource

from assets.ingest.city_tables import city_submissions
from assets.ingest.platform import applications
from assets.ingest.registry import registry
from assets.quality.catalogue import RULES
from assets.quality.cross_rules import run_cross_rules
from assets.quality.describe import describe_gx_failures
from assets.quality.facts import application_facts, city_row_facts, suite_parameters
from assets.quality.gx_suites import SuiteRunner
from assets.quality.status import with_decisions
from assets.warehouse import open_warehouse, read_frame, replace_table
from pipelines.programme import Programme
from pipelines.resources import CorrectionsResource, InboxResource


def issue_id(rule: str, source: str, record_key: str) -> str:
    """The same failure on the same record gives the same id on every run."""
    return hashlib.sha1("|".join([rule, source, record_key]).encode("utf-8")).hexdigest()[:16]


def location(file: str | None, sheet: str | None, row: int | None) -> str:
    """`文件 X 工作表“S”第 N 行`, leaving out what is unknown (a CSV has no sheet)."""
    parts = [f"文件“{file}”" if file else ""]
    if isinstance(sheet, str) and sheet:
        parts.append(f"工作表“{sheet}”")
    if row is not None and not pd.isna(row):
        parts.append(f"第{int(row)}行")
    return "".join(parts)


def file_issues(files: pd.DataFrame) -> pd.DataFrame:
    """`file_unreadable` for every inbox file that could not be read or whose unit is unknown, and
    `table_empty` for a file read whose table has a header but no rows."""
    unreadable = files[files["status"] == "unreadable"]
    empty = files[(files["status"] == "read") & (files["rows"].fillna(0) == 0)]
    rows = [
        (row, "file_unreadable", f"文件无法读取：{row.reason}") for row in unreadable.itertuples()
    ] + [
        (row, "table_empty", "文件有表头但没有任何数据行，请检查是否导出或填写完整")
        for row in empty.itertuples()
    ]
    return pd.DataFrame.from_records(
        [
            {
                "source": "file",
                "record_key": row.source_file,
                "credit_code": None,
                "city": row.city,
                "rule": rule,
                "field": None,
                "value": None,
                "source_file": row.source_file,
                "note": note,
            }
            for row, rule, note in rows
        ]
    )


def finish(issues: pd.DataFrame) -> pd.DataFrame:
    """Ids, severity, status and the full Chinese detail (where, what rule, what exactly)."""
    if issues.empty:
        return issues
    issues = issues.drop_duplicates(["rule", "source", "record_key"]).copy()
    issues["issue_id"] = [
        issue_id(r, s, k)
        for r, s, k in zip(issues["rule"], issues["source"], issues["record_key"], strict=True)
    ]
    issues["severity"] = issues["rule"].map(lambda r: RULES[r].severity)
    issues["status"] = "open"
    where = []
    for row in issues.itertuples():
        place = location(
            row.source_file, getattr(row, "source_sheet", None), getattr(row, "source_row", None)
        )
        if row.source == "platform" and not str(row.record_key).count(":"):
            place = f"平台申报{row.record_key}（{place}）"
        where.append(place)
    issues["detail"] = [
        f"{w}：{RULES[r].name}。{n}"
        for w, r, n in zip(where, issues["rule"], issues["note"], strict=True)
    ]
    return issues.sort_values(["severity", "rule", "source", "record_key"]).reset_index(drop=True)


def find_issues(conn, programme: Programme, docs_dir: Path | None = None) -> pd.DataFrame:
    """Every rule on every record: GX suites on the facts frames, SQL rules, and unreadable files."""
    runner = SuiteRunner(docs_dir)
    parameters = suite_parameters(programme)
    app_facts = application_facts(conn, programme)
    city_facts = city_row_facts(conn)
    app_rows = read_frame(conn, "SELECT * FROM applications WHERE stage IS DISTINCT FROM 'draft'")
    city_rows = read_frame(
        conn, "SELECT source_file || ':' || source_row AS record_key, * FROM city_submissions"
    )
    parts = [
        describe_gx_failures(
            runner.validate("applications", app_facts, parameters),
            "platform",
            app_facts,
            app_rows.rename(columns={"application_id": "record_key"}),
            programme,
        ),
        describe_gx_failures(
            runner.validate("city_submissions", city_facts, parameters),
            "city_table",
            city_facts,
            city_rows,
            programme,
        ),
        run_cross_rules(conn, programme),
        file_issues(read_frame(conn, "SELECT * FROM inbox_files ORDER BY source_file")),
    ]
    runner.finish_docs()
    found = [p for p in parts if not p.empty]
    return finish(pd.concat(found, ignore_index=True)) if found else pd.DataFrame()


CHECKED_RULES = sorted(RULES)


@dg.asset(
    group_name="quality",
    kinds={"duckdb"},
    deps=[applications, city_submissions, registry],
    check_specs=[
        dg.AssetCheckSpec(name=rule, asset="dq_issues", description=RULES[rule].name)
        for rule in CHECKED_RULES
    ],
)
def dq_issues(inbox: InboxResource, warehouse: DuckDBResource, corrections: CorrectionsResource):
    """Every failed rule on every record (contract §3.2), one row each, with the stewards' decisions;
    one asset check per rule (counting the issues still open)."""
    programme = inbox.programme()
    docs_dir = Path(warehouse.database).parent / "gx_docs"
    with open_warehouse(warehouse) as conn:
        issues = with_decisions(
            find_issues(conn, programme, docs_dir), corrections.store().latest_decisions()
        )
        count = replace_table(conn, "dq_issues", issues)
    still_open = issues[issues["status"] == "open"] if len(issues) else issues
    counts = still_open["rule"].value_counts().to_dict() if len(still_open) else {}
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": count,
            "data_docs": dg.MetadataValue.path(str(docs_dir / "index.html")),
            **{f"issues/{rule}": int(n) for rule, n in counts.items()},
        }
    )
    for rule in CHECKED_RULES:
        failures = int(counts.get(rule, 0))
        yield dg.AssetCheckResult(
            check_name=rule,
            passed=failures == 0,
            severity=dg.AssetCheckSeverity.ERROR
            if RULES[rule].severity == "error"
            else dg.AssetCheckSeverity.WARN,
            metadata={"failures": failures, "severity": RULES[rule].severity},
        )
