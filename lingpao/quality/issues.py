"""`dq_issues`: one row per failed rule on one record, with a stable id and a located message.

Every rule runs in SQL: the suites' expectations on the facts views, the cross-table rules, the file
rules. Each failure is then described by its rule (suite rules in Python, others in their SQL).
"""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath

import duckdb
import pandas as pd

from lingpao.foundation.programme import Programme
from lingpao.quality.rules import RULES
from lingpao.quality.rules.rule import Rule
from lingpao.quality.suites import SUITE_SOURCES, SUITES_DIR, failures_sql, suite_rules
from lingpao.quality.views import create_views
from lingpao.warehouse.connection import read_frame, replace_table
from lingpao.warehouse.stamps import is_current, mark

LOCATED = ["record_key", "credit_code", "city", "source_file", "source_sheet", "source_row"]


def issue_id(rule: str, source: str, record_key: str) -> str:
    """The same failure on the same record gives the same id on every run."""
    return hashlib.sha1("|".join([rule, source, record_key]).encode("utf-8")).hexdigest()[:16]


def location(file: str | None, sheet: str | None, row: int | None) -> str:
    """`文件 X 工作表“S”第 N 行`, leaving out what is unknown (a CSV has no sheet)."""
    parts = [f"文件“{PurePosixPath(file).name}”" if file else ""]
    if isinstance(sheet, str) and sheet:
        parts.append(f"工作表“{sheet}”")
    if row is not None and not pd.isna(row):
        parts.append(f"第{int(row)}行")
    return "".join(parts)


def suite_issues(conn: duckdb.DuckDBPyConnection, suite: str, programme: Programme) -> pd.DataFrame:
    """A suite's failures, one per (rule, record) (a rule implied by a failed prerequisite left out),
    each described by its rule."""
    failures = read_frame(conn, failures_sql(suite, programme))
    if failures.empty:
        return pd.DataFrame()
    failing = set(zip(failures["rule"], failures["record_key"], strict=True))
    rows, seen = [], set()
    for record in failures.to_dict("records"):
        rule, key = RULES[record["rule"]], (record["rule"], record["record_key"])
        if key in seen or (rule.applies_unless and (rule.applies_unless, key[1]) in failing):
            continue
        seen.add(key)
        value, note, fix = rule.describe(record, programme)
        rows.append(
            {
                **{column: record.get(column) for column in LOCATED},
                "source": SUITE_SOURCES[suite],
                "rule": rule.id,
                "field": record["field"],
                "value": value,
                "note": note,
                "suggested_fix": fix,
            }
        )
    return pd.DataFrame.from_records(rows)


def sql_issues(
    conn: duckdb.DuckDBPyConnection, rules: list[Rule] | None = None, city_only: bool = False
) -> list[pd.DataFrame]:
    """The failures of every rule checked by its own SQL (cross-table and file rules). In a round
    without a platform (`city_only`), the applications are the city tables' rows: a rule on the
    applications reports on them."""
    frames = []
    for rule in rules if rules is not None else list(RULES.values()):
        if rule.sql:
            frame = read_frame(conn, rule.sql)
            source = "city_table" if city_only and rule.source == "platform" else rule.source
            frame["rule"], frame["source"] = rule.id, source
            frames.append(frame)
    return frames


def not_applied(programme: Programme) -> list[Rule]:
    """The rules a round cannot apply: in a round without platform exports, those that need the
    platform's records (windows, evidence, stages, the reconciliation), and the cluster rule where
    its city tables have no cluster column. None in a round with a platform."""
    if programme.has_platform:
        return []
    on_city_rows = set(suite_rules("city_submissions"))
    skipped = [
        RULES[r] for r in suite_rules("applications") if r not in on_city_rows and r in RULES
    ]
    skipped += [r for r in RULES.values() if r.needs_platform]
    if "cluster" not in programme.headers("city_table"):
        skipped.append(RULES["cluster_unknown"])
    return list({r.id: r for r in skipped}.values())


def platform_only(rule: Rule) -> bool:
    """A rule on the platform's records alone (not on the city tables, not on files)."""
    return rule.source == "platform" and not rule.reads_city_tables


def rules_fingerprint() -> str:
    """Changes with the rules' code and suites (the files that decide what fails and how it reads)."""
    here = Path(__file__).resolve().parent
    files = sorted([*(here / "rules").glob("*.py"), *here.glob("*.py"), *SUITES_DIR.glob("*.json")])
    digest = hashlib.sha1()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def platform_part(
    conn: duckdb.DuckDBPyConnection, programme: Programme, inputs: str | None
) -> pd.DataFrame:
    """The platform's own failures: computed, or kept from the last run when `inputs` (the
    platform files, their corrections, the registry, the programme) and the rules are unchanged."""
    stamp = None if inputs is None else repr((inputs, rules_fingerprint()))
    if stamp is not None and is_current(conn, "platform_issues", stamp, programme):
        return read_frame(conn, "SELECT * FROM platform_issues")
    parts = [suite_issues(conn, "applications", programme)] + sql_issues(
        conn, [r for r in RULES.values() if platform_only(r)]
    )
    found = [p for p in parts if not p.empty]
    frame = pd.concat(found, ignore_index=True) if found else pd.DataFrame()
    if stamp is not None:
        replace_table(conn, "platform_issues", frame, programme)
        mark(conn, "platform_issues", stamp, programme)
    return frame


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
        place = location(row.source_file, row.source_sheet, row.source_row)
        if row.source == "platform" and ":" not in str(row.record_key):
            place = f"平台申报{row.record_key}（{place}）"
        where.append(place)
    issues["detail"] = [
        f"{w}：{RULES[r].name}。{n}"
        for w, r, n in zip(where, issues["rule"], issues["note"], strict=True)
    ]
    return issues.sort_values(["severity", "rule", "source", "record_key"]).reset_index(drop=True)


def find_issues(
    conn: duckdb.DuckDBPyConnection, programme: Programme, platform_inputs: str | None = None
) -> pd.DataFrame:
    """Every rule on every record: the suites as SQL on the facts, the SQL rules, the file rules.
    With `platform_inputs` (a stamp of what the platform's records are built from), the platform's
    own failures are kept from the last run when nothing they depend on changed."""
    create_views(conn, programme)
    if not programme.has_platform:  # the city tables are the applications
        skipped = {r.id for r in not_applied(programme)}
        parts = [
            suite_issues(conn, "city_submissions", programme),
            *sql_issues(conn, [r for r in RULES.values() if r.id not in skipped], city_only=True),
        ]
        found = [p for p in parts if not p.empty]
        return finish(pd.concat(found, ignore_index=True)) if found else pd.DataFrame()
    parts = [
        platform_part(conn, programme, platform_inputs),
        suite_issues(conn, "city_submissions", programme),
        *sql_issues(conn, [r for r in RULES.values() if not platform_only(r)]),
    ]
    found = [p for p in parts if not p.empty]
    return finish(pd.concat(found, ignore_index=True)) if found else pd.DataFrame()
