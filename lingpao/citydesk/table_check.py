"""One city table checked before it is sent: read exactly as a run reads it, judged by the same rules
against the published warehouse, in an in-memory database (nothing is written anywhere)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from lingpao.foundation.programme import Programme
from lingpao.ingest.build import build_city_submissions, city_applications_sql
from lingpao.ingest.cache import CACHE_TABLES, content_hash, parse_file, salt_of
from lingpao.ingest.inbox import InboxFile
from lingpao.ingest.normalise import install
from lingpao.ingest.safety import Limits
from lingpao.labels import FIELDS, SEVERITY
from lingpao.quality.issues import finish, not_applied, sql_issues, suite_issues
from lingpao.quality.rules import RULES
from lingpao.quality.views import create_views
from lingpao.warehouse.connection import (
    create_table,
    literal,
    read_frame,
    replace_table_from_sql,
)
from lingpao.warehouse.rounds import schema_of, years_in

# The published tables the city-table rules read (the platform's side of the reconciliation).
PLATFORM_TABLES = ("applications", "pool_members", "clusters")
CARRIED_TABLES = ("carried_pool", "leaders_as_of")  # what earlier rounds carry into the round
UNIT_FROM = {"title": "标题", "sheet": "工作表名", "file_name": "文件名", "submission": "报送单位"}


@dataclass(frozen=True)
class Finding:
    """One problem the rules would raise: where (row), whose (company, code), what and what to do."""

    row: int | None  # the table's row; None for an application missing from the table
    company: str
    credit_code: str
    field: str  # Chinese field name
    value: str
    rule: str
    rule_name: str
    severity: str
    advice: str
    detail: str

    def line(self) -> str:
        where = f"第{self.row}行" if self.row is not None else "表中缺少"
        return "｜".join(
            [
                where,
                self.company or "（无企业名称）",
                self.credit_code or "（无代码）",
                self.field,
                f"“{self.value}”" if self.value else "（空）",
                f"{self.rule_name}（{SEVERITY[self.severity]}）",
                self.advice,
            ]
        )


@dataclass
class TableCheck:
    """What checking one file gave: the unit it was read as, its rows, and every finding."""

    file: str
    unit: str | None = None
    unit_from: str | None = None
    sheets: str = ""
    rows: int = 0
    unreadable: str | None = None  # why it cannot be read
    claimed_unit: str | None = None  # a unit the table names other than the one it is read as
    notices: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def readable(self) -> bool:
        return self.unreadable is None

    def heading(self) -> str:
        if not self.readable:
            return f"无法读取 {self.file}：{self.unreadable}"
        told = UNIT_FROM.get(self.unit_from or "", self.unit_from or "")
        return (
            f"读取为：{self.unit}（依据{told}）；工作表：{self.sheets}；申报 {self.rows} 行；"
            f"问题 {len(self.findings)} 项"
            f"（错误 {sum(f.severity == 'error' for f in self.findings)}）"
        )

    def lines(self) -> list[str]:
        out = [self.heading(), *[f"注意：{n}" for n in self.notices]]
        if self.findings:
            out.append("行｜企业名称｜统一社会信用代码｜字段｜填写的值｜问题｜如何更正")
            out += [f.line() for f in self.findings]
        return out

    def frame(self) -> pd.DataFrame:
        """The findings as a table for a page (Chinese column names)."""
        return pd.DataFrame(
            [
                {
                    "行": str(f.row) if f.row is not None else "表中缺少",
                    "企业名称": f.company,
                    "统一社会信用代码": f.credit_code,
                    "字段": f.field,
                    "填写的值": f.value,
                    "问题": f.rule_name,
                    "级别": SEVERITY[f.severity],
                    "如何更正": f.advice,
                    "说明": f.detail,
                }
                for f in self.findings
            ],
            columns=[
                "行",
                "企业名称",
                "统一社会信用代码",
                "字段",
                "填写的值",
                "问题",
                "级别",
                "如何更正",
                "说明",
            ],
        )


def _attach_platform(
    conn: duckdb.DuckDBPyConnection,
    served: Path | None,
    programme: Programme,
    platform_unit: str | None,
) -> str | None:
    """The published platform tables as views (or empty tables when nothing is published yet);
    of `platform_unit`'s applications only, when given (a city bureau's check never holds another
    unit's data, so nothing of it can reach a finding). Returns why the platform is not there."""
    why = "尚无已发布的平台数据"
    schema, present = None, set()
    if served is not None and served.exists():
        try:
            conn.execute("ATTACH ? AS served (READ_ONLY)", [str(served)])
            schema = (
                schema_of(programme.year)
                if programme.year in years_in(conn, "served")
                else "main"  # a copy of before the rounds
            )
            present = {
                r[0]
                for r in conn.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_catalog = 'served' AND table_schema = ?",
                    [schema],
                ).fetchall()
            }
        except duckdb.Error as error:
            why = f"已发布的数据文件无法读取（{str(error).splitlines()[0][:120]}）"
            present = set()
    for table in CARRIED_TABLES:
        if table in present:
            conn.execute(f"CREATE VIEW {table} AS SELECT * FROM served.{schema}.{table}")
        else:
            create_table(conn, table, programme)
    if not programme.has_platform:  # the table's own rows are the applications (built later)
        for table in PLATFORM_TABLES[1:]:
            if table in present:
                conn.execute(f"CREATE VIEW {table} AS SELECT * FROM served.{schema}.{table}")
            else:
                create_table(conn, table, programme)
        return None
    if set(PLATFORM_TABLES) <= present:
        for table in PLATFORM_TABLES:
            own = f" WHERE city = {literal(platform_unit)}" if platform_unit else ""
            own = own if table == "applications" else ""
            conn.execute(f"CREATE VIEW {table} AS SELECT * FROM served.{schema}.{table}{own}")
        return None
    for table in PLATFORM_TABLES:
        create_table(conn, table, programme)
    return why


def check_city_table(
    path: Path,
    programme: Programme,
    served: Path | None,
    unit: str | None = None,
    source_file: str | None = None,
    limits: Limits | None = None,
    platform_unit: str | None = None,
) -> TableCheck:
    """Read `path` as the city table of `unit` (else the unit it names) and return what the rules
    raise for it against the published warehouse `served`: the table's own rows (codes, labels,
    phones, reconciliation with the platform) and the unit's passed-on applications it lacks.
    `platform_unit`: the one unit whose platform data the check may use (a city bureau's own);
    None for the province's check, against every unit's."""
    name = source_file or Path(path).name
    result = TableCheck(file=name)
    entry = InboxFile(path=Path(path), folder="cities", name=name, unit=unit)
    with duckdb.connect() as conn:
        install(conn, programme)
        for table in (*CACHE_TABLES, "city_correction_outcomes"):
            create_table(conn, table, programme)
        file_hash = content_hash(entry.path, salt_of(entry, "city_table"))
        fields = parse_file(conn, entry, "city_table", file_hash, programme, limits)
        if fields["status"] != "read":
            result.unreadable = fields.get("reason") or "无法读取"
            return result
        result.unit, result.unit_from = fields.get("city"), fields.get("unit_from")
        result.sheets, result.claimed_unit = fields.get("sheets") or "", fields.get("claimed_unit")
        if fields.get("reason"):
            result.notices.append(fields["reason"])
        if "、" in (result.unit or ""):
            result.notices.append(f"表中各工作表分属{result.unit}：每个单位应单独报送")
        conn.execute(
            "CREATE TEMP TABLE checked_file AS SELECT ? AS file_hash, ? AS source_file, "
            "'cities' AS folder, 'read' AS status",
            [file_hash, name],
        )
        missing = _attach_platform(conn, served, programme, platform_unit)
        if missing:
            result.notices.append(f"{missing}：只检查了表格本身，未与平台申报比对")
        build_city_submissions(conn, programme, pd.DataFrame(), files="checked_file")
        if not programme.has_platform:
            replace_table_from_sql(
                conn, "applications", city_applications_sql(programme), programme
            )
        result.rows = int(conn.execute("SELECT count(*) FROM city_submissions").fetchall()[0][0])
        result.findings = _findings(conn, programme, set((result.unit or "").split("、")))
    return result


def table_issues(
    conn: duckdb.DuckDBPyConnection, programme: Programme, units: set[str]
) -> pd.DataFrame:
    """The issues a run would raise about the city table in `city_submissions`: its rows' own, and
    the units' applications it lacks (`missing_in_city_table`), as `dq_issues` rows."""
    create_views(conn, programme, phone_tables=("city_submissions",))
    parts = [suite_issues(conn, "city_submissions", programme)]
    if not programme.has_platform:  # its rows are the applications: every rule on them applies
        skipped = {r.id for r in not_applied(programme)}
        rules = [r for r in RULES.values() if r.sql and r.id not in skipped and r.source != "file"]
        parts += sql_issues(conn, rules, city_only=True)
    for rule in RULES.values() if programme.has_platform else []:
        if rule.sql and (rule.source == "city_table" or rule.reads_city_tables):
            frame = read_frame(conn, rule.sql)
            if rule.source != "city_table":
                frame = frame[frame["city"].isin(units)]
            frame["rule"], frame["source"] = rule.id, rule.source
            parts.append(frame)
    found = [p for p in parts if not p.empty]
    return finish(pd.concat(found, ignore_index=True)) if found else pd.DataFrame()


def _findings(
    conn: duckdb.DuckDBPyConnection, programme: Programme, units: set[str]
) -> list[Finding]:
    issues = table_issues(conn, programme, units)
    if issues.empty:
        return []
    companies = dict(
        conn.execute("SELECT record_key, company_name FROM city_submissions").fetchall()
    )
    companies.update(
        conn.execute(
            "SELECT record_key, company_name FROM applications WHERE city IN (SELECT unnest(?))",
            [sorted(units)],
        ).fetchall()
    )
    findings = []
    for issue in issues.to_dict("records"):
        rule = RULES[issue["rule"]]
        from_table = issue["source"] == "city_table"
        fix = issue.get("suggested_fix")
        advice = rule.advice
        if isinstance(fix, str) and fix:
            advice = f"{advice}（建议：{fix}）"
        findings.append(
            Finding(
                row=int(issue["source_row"]) if from_table else None,
                company=_text(companies.get(issue["record_key"])),
                credit_code=_text(issue.get("credit_code")),
                field="、".join(
                    FIELDS.get(f, f) for f in str(issue.get("field") or "").split(",") if f
                ),
                value=_text(issue.get("value")),
                rule=rule.id,
                rule_name=rule.name,
                severity=rule.severity,
                advice=advice,
                detail=_text(issue.get("note")),
            )
        )
    findings.sort(key=lambda f: (f.row is None, f.row or 0, f.rule))
    return findings


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value)
