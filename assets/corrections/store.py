"""The corrections store: an append-only SQLite file beside the warehouse, never rebuilt by a run.

SQLite in WAL mode lets the dashboard, the CLI and a running pipeline read and append at once;
triggers refuse UPDATE and DELETE, so the audit trail cannot be rewritten.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

SCHEMA = """
CREATE TABLE IF NOT EXISTS corrections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL, who TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('platform', 'city_table')),
    record_key TEXT NOT NULL, field TEXT NOT NULL,
    old_value TEXT, new_value TEXT NOT NULL, reason TEXT NOT NULL,
    issue_id TEXT, batch TEXT
);
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL, who TEXT NOT NULL,
    issue_id TEXT NOT NULL, source TEXT NOT NULL, record_key TEXT NOT NULL, rule TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('fixed', 'waived', 'reopened')),
    reason TEXT NOT NULL, correction_id INTEGER, detail TEXT, city TEXT, credit_code TEXT, batch TEXT
);
CREATE TRIGGER IF NOT EXISTS corrections_append_only_u BEFORE UPDATE ON corrections
    BEGIN SELECT RAISE(ABORT, 'corrections are append-only'); END;
CREATE TRIGGER IF NOT EXISTS corrections_append_only_d BEFORE DELETE ON corrections
    BEGIN SELECT RAISE(ABORT, 'corrections are append-only'); END;
CREATE TRIGGER IF NOT EXISTS decisions_append_only_u BEFORE UPDATE ON decisions
    BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS decisions_append_only_d BEFORE DELETE ON decisions
    BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
"""


@dataclass(frozen=True)
class Correction:
    """A new value for one field of one record, and why."""

    source: str
    record_key: str
    field: str
    old_value: str | None
    new_value: str
    reason: str
    issue_id: str | None = None


@dataclass(frozen=True)
class Decision:
    """What a steward decided about one issue: fixed (by a correction), waived, or reopened."""

    issue_id: str
    source: str
    record_key: str
    rule: str
    decision: str
    reason: str
    detail: str | None = None
    city: str | None = None
    credit_code: str | None = None
    correction_id: int | None = None


def store_path(warehouse: Path) -> Path:
    """The store beside a warehouse (LINGPAO_CORRECTIONS overrides it)."""
    override = os.environ.get("LINGPAO_CORRECTIONS")
    return Path(override) if override else warehouse.parent / "corrections.sqlite"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class CorrectionStore:
    """Append corrections and decisions (each batch in one transaction); read them back as frames."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.executescript(SCHEMA)
        return conn

    def record(
        self,
        who: str,
        corrections: Iterable[Correction] = (),
        decisions: Iterable[Decision] = (),
        batch: str | None = None,
    ) -> list[int]:
        """Append corrections, then decisions, all or nothing; returns the correction ids.

        A decision whose `correction_id` is None and that follows corrections for the same record
        is linked to the last of them (a fix made by a correction)."""
        if not who or not who.strip():
            raise ValueError("操作人不能为空 (who is required)")
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            ids, last_for_record = [], {}
            at = _now()
            for c in corrections:
                cursor = conn.execute(
                    "INSERT INTO corrections (at, who, source, record_key, field, old_value, new_value, reason, "
                    "issue_id, batch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        at,
                        who.strip(),
                        c.source,
                        c.record_key,
                        c.field,
                        c.old_value,
                        c.new_value,
                        c.reason,
                        c.issue_id,
                        batch,
                    ),
                )
                ids.append(cursor.lastrowid)
                last_for_record[c.record_key] = cursor.lastrowid
            for d in decisions:
                if d.decision == "waived" and not (d.reason or "").strip():
                    raise ValueError(
                        f"忽略问题必须填写原因 (a waiver needs a reason): {d.record_key} {d.rule}"
                    )
                conn.execute(
                    "INSERT INTO decisions (at, who, issue_id, source, record_key, rule, decision, reason, "
                    "correction_id, detail, city, credit_code, batch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        at,
                        who.strip(),
                        d.issue_id,
                        d.source,
                        d.record_key,
                        d.rule,
                        d.decision,
                        d.reason.strip(),
                        d.correction_id or last_for_record.get(d.record_key),
                        d.detail,
                        d.city,
                        d.credit_code,
                        batch,
                    ),
                )
            conn.execute("COMMIT")
            return ids
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()

    def _frame(self, sql: str, params: tuple = ()) -> pd.DataFrame:
        conn = (
            self._connect()
        )  # creates the tables of a new store, so reading one is never an error
        try:
            return pd.read_sql_query(sql, conn, params=params)
        finally:
            conn.close()

    def corrections(self) -> pd.DataFrame:
        return self._frame("SELECT * FROM corrections ORDER BY id")

    def decisions(self) -> pd.DataFrame:
        return self._frame("SELECT * FROM decisions ORDER BY id")

    def latest_decisions(self) -> pd.DataFrame:
        """The last decision on each issue."""
        return self._frame(
            "SELECT * FROM decisions WHERE id IN (SELECT max(id) FROM decisions GROUP BY issue_id)"
        )

    def history(self, record_key: str | None = None) -> pd.DataFrame:
        """Corrections and decisions, oldest first, optionally of one record: the audit trail."""
        where = "WHERE record_key = ?" if record_key else ""
        params = (record_key, record_key) if record_key else ()
        return self._frame(
            f"""
            SELECT at, who, 'correction' AS kind, source, record_key, field, old_value, new_value, NULL AS rule,
                   NULL AS decision, reason, id FROM corrections {where}
            UNION ALL
            SELECT at, who, 'decision', source, record_key, NULL, NULL, NULL, rule, decision, reason, id
            FROM decisions {where}
            ORDER BY at, kind, id""",
            params,
        )

    def signature(self) -> str:
        """Changes whenever anything is appended (for the re-check sensor)."""
        if not self.path.exists():
            return "c0:0/d0:0"  # the same as an empty store: creating the file is no change
        conn = self._connect()
        try:
            c = conn.execute("SELECT count(*), coalesce(max(id), 0) FROM corrections").fetchone()
            d = conn.execute("SELECT count(*), coalesce(max(id), 0) FROM decisions").fetchone()
        finally:
            conn.close()
        return f"c{c[0]}:{c[1]}/d{d[0]}:{d[1]}"
