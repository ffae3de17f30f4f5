"""数据质量's and 数据治理's queries: the issues in scope, the record behind one, the rules' failures,
and the per-unit feedback workbooks (one unit, or all 14 as one zip)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd

from lingpao.corrections.batch import write_template
from lingpao.exports.archive import zip_folder
from lingpao.exports.feedback import write_feedback
from lingpao.queries.base import Filters, Served


class Quality(Served):
    def issues(self, filters: Filters, status: str | None = "open") -> pd.DataFrame:
        """Issues in scope; filters on cluster, direction, type or stage keep only platform issues
        that match."""
        self.require_records()
        if not self.has("dq_issues"):
            return pd.DataFrame()
        parts, params = ["TRUE"], []
        if status:
            parts.append("i.status = ?")
            params.append(status)
        if self.scope.unit:
            parts.append("i.city = ?")
            params.append(self.scope.unit)
        if filters.city:
            parts.append(f"i.city IN ({', '.join('?' * len(filters.city))})")
            params.extend(filters.city)
        narrowing = ("cluster", "direction", "application_type", "stage")
        if any(getattr(filters, c) for c in narrowing):
            condition, more = self.where(filters, columns=narrowing)
            parts.append(
                "i.source = 'platform' AND i.record_key IN "
                f"(SELECT application_id FROM applications a WHERE {condition})"
            )
            params.extend(more)
        return self.select(
            f"SELECT * FROM dq_issues i WHERE {' AND '.join(parts)} "
            "ORDER BY severity, rule, record_key",
            params,
        )

    def record(self, source: str, record_key: str) -> dict | None:
        """The warehouse row behind an issue's record (an application or a city-table row), if in
        scope."""
        self.require_records()
        if source == "platform" and self.has("applications"):
            sql = "SELECT * FROM applications WHERE application_id = ? AND (? IS NULL OR city = ?)"
        elif source == "city_table" and self.has("city_submissions"):
            sql = "SELECT * FROM city_submissions WHERE record_key = ? AND (? IS NULL OR city = ?)"
        else:
            return None
        frame = self.select(sql, [record_key, self.scope.unit, self.scope.unit])
        return frame.iloc[0].to_dict() if len(frame) else None

    def rule_failures(self) -> pd.DataFrame:
        """Per source and rule: records failing now (open or waived) and up to three values seen."""
        self.require_records()
        if not self.has("dq_issues"):
            return pd.DataFrame(columns=["source", "rule", "failing", "examples"])
        return self.select(
            "SELECT source, rule, count(*) AS failing, "
            "list(DISTINCT value ORDER BY value) FILTER (WHERE value IS NOT NULL)[1:3] AS examples "
            "FROM dq_issues WHERE status <> 'fixed' AND (? IS NULL OR city = ?) GROUP BY 1, 2",
            [self.scope.unit, self.scope.unit],
        )

    def feedback(self, unit: str) -> bytes:
        """One unit's feedback workbook (its records with open issues), audited."""
        name = f"{unit}_问题反馈_{self.programme.year}.xlsx"
        return self.download(
            "download_feedback",
            unit,
            name,
            lambda conn: write_feedback(conn, self.programme, unit),
        )

    def feedback_all(self) -> bytes:
        """Every unit's feedback workbook in one zip (province staff and stewards), audited."""

        def build(conn) -> bytes:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for unit in self.programme.units:
                    archive.writestr(
                        f"{unit}_问题反馈_{self.programme.year}.xlsx",
                        write_feedback(conn, self.programme, unit),
                    )
            return buffer.getvalue()

        return self.download("export", None, f"各单位问题反馈_{self.programme.year}.zip", build)

    def corrections_template(self) -> bytes:
        """The corrections workbook (one row per open issue in scope, to fill in and apply),
        for stewards, audited."""
        unit = self.scope.unit
        return self.download(
            "correct",
            unit,
            f"更正模板_{self.programme.year}.xlsx",
            lambda conn: write_template(conn, self.programme, unit=unit),
        )

    def data_docs(self, folder: Path) -> bytes:
        """The Great Expectations Data Docs as a zip (province staff and stewards), audited."""
        return self.download(
            "export", None, f"数据文档_{self.programme.year}.zip", lambda _: zip_folder(folder)
        )
