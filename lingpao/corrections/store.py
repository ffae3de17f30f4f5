"""The corrections store: an append-only SQLite file beside the warehouse, never rebuilt by a run.

SQLite in WAL mode lets the dashboard, the CLI and a running pipeline read and append at once;
triggers refuse UPDATE and DELETE, so the audit trail cannot be rewritten. Every write names its
actor and is refused here, not on a page, when the actor's role or unit does not allow it: a
steward corrects, waives, reopens and accepts proposals; a city bureau only proposes, for its own
unit, and a proposal changes nothing until a steward accepts it.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from lingpao.access.viewer import Scope, Viewer
from lingpao.foundation.schema import REASON_LIMIT, TEXT_LIMITS

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
CREATE TABLE IF NOT EXISTS proposals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL, who TEXT NOT NULL, role TEXT NOT NULL, unit TEXT,
    source TEXT NOT NULL CHECK (source IN ('platform', 'city_table')),
    record_key TEXT NOT NULL, field TEXT NOT NULL,
    old_value TEXT, new_value TEXT NOT NULL, reason TEXT NOT NULL,
    issue_id TEXT, rule TEXT, detail TEXT, city TEXT NOT NULL, credit_code TEXT
);
CREATE TABLE IF NOT EXISTS proposal_decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL, who TEXT NOT NULL, role TEXT NOT NULL,
    proposal_id INTEGER NOT NULL UNIQUE,
    decision TEXT NOT NULL CHECK (decision IN ('accepted', 'rejected')),
    reason TEXT NOT NULL, correction_id INTEGER
);
CREATE TRIGGER IF NOT EXISTS corrections_append_only_u BEFORE UPDATE ON corrections
    BEGIN SELECT RAISE(ABORT, 'corrections are append-only'); END;
CREATE TRIGGER IF NOT EXISTS corrections_append_only_d BEFORE DELETE ON corrections
    BEGIN SELECT RAISE(ABORT, 'corrections are append-only'); END;
CREATE TRIGGER IF NOT EXISTS decisions_append_only_u BEFORE UPDATE ON decisions
    BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS decisions_append_only_d BEFORE DELETE ON decisions
    BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS proposals_append_only_u BEFORE UPDATE ON proposals
    BEGIN SELECT RAISE(ABORT, 'proposals are append-only'); END;
CREATE TRIGGER IF NOT EXISTS proposals_append_only_d BEFORE DELETE ON proposals
    BEGIN SELECT RAISE(ABORT, 'proposals are append-only'); END;
CREATE TRIGGER IF NOT EXISTS proposal_decisions_append_only_u BEFORE UPDATE ON proposal_decisions
    BEGIN SELECT RAISE(ABORT, 'proposal decisions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS proposal_decisions_append_only_d BEFORE DELETE ON proposal_decisions
    BEGIN SELECT RAISE(ABORT, 'proposal decisions are append-only'); END;
"""
# Columns added after the first release: a store written by an older Lingpao gains them on open.
ADDED_COLUMNS = {
    "corrections": {
        "role": "TEXT",
        "city": "TEXT",
        "proposal_id": "INTEGER",
        "proposed_by": "TEXT",
    },
    "decisions": {"role": "TEXT"},
}
DECISION_ACTIONS = {"fixed": "correct", "waived": "waive", "reopened": "reopen"}
KEEP_BACKUPS = 10


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
    city: str | None = None


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


@dataclass(frozen=True)
class Proposal:
    """A city bureau's suggested correction of one field of one of its own records."""

    correction: Correction
    rule: str | None = None
    detail: str | None = None
    credit_code: str | None = None


class StoreDamaged(RuntimeError):
    """The store file is not a readable SQLite database; it is never repaired automatically."""


class StoreNotWritable(StoreDamaged):
    """The store is sound but cannot be written here (read-only file or folder, no permission)."""


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def check_lengths(field: str, new_value: str, reason: str) -> str | None:
    """Why a value or reason is too long (in Chinese), or None."""
    limit = TEXT_LIMITS.get(field, 200)
    if len(new_value or "") > limit:
        return f"新值过长（{len(new_value)} 字，最多 {limit} 字）"
    if len(reason or "") > REASON_LIMIT:
        return f"原因过长（{len(reason)} 字，最多 {REASON_LIMIT} 字）"
    return None


class CorrectionStore:
    """Append corrections, decisions and proposals (each call in one transaction); read them back.

    `served`: the published warehouse, where the store looks up the unit of every record it is
    asked to correct or propose for: the unit comes from the record, never from the caller."""

    def __init__(self, path: Path, backups: Path | None = None, served: Path | None = None) -> None:
        self.path = Path(path)
        self.backups = Path(backups) if backups else self.path.parent / "backups"
        self.served = Path(served) if served else None

    def record_units(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str | None]:
        """The reporting unit of each (source, record key) in the published warehouse; a record that
        is not there is left out. ValueError when nothing has been published."""
        import duckdb

        from lingpao.warehouse.connection import connect_read_only

        if self.served is None or not self.served.exists():
            raise ValueError("尚无已发布的数据，无法核对记录所属单位；请先运行 lingpao run")
        wanted = sorted(set(keys))
        sql = {
            "platform": "SELECT application_id, city FROM applications WHERE application_id IN "
            "(SELECT unnest(?::VARCHAR[]))",
            "city_table": "SELECT record_key, city FROM city_submissions WHERE record_key "
            "IN (SELECT unnest(?::VARCHAR[]))",
        }
        found: dict[tuple[str, str], str | None] = {}
        try:
            with connect_read_only(self.served) as conn:
                for source, query in sql.items():
                    mine = [key for s, key in wanted if s == source]
                    if mine:
                        for key, city in conn.execute(query, [mine]).fetchall():
                            found[(source, key)] = city
        except duckdb.Error as error:
            raise ValueError(
                f"已发布的数据文件无法读取（{str(error).splitlines()[0][:120]}），无法核对记录所属单位"
            ) from None
        return found

    def _own_units(self, corrections: list[Correction]) -> list[Correction]:
        """The corrections with the unit of the record each names, looked up here (a record that
        is not in the published data is refused)."""
        if not corrections or self.served is None:
            return corrections
        units = self.record_units((c.source, c.record_key) for c in corrections)
        missing = [c.record_key for c in corrections if (c.source, c.record_key) not in units]
        if missing:
            raise ValueError(f"记录“{missing[0]}”在已发布的数据中不存在")
        return [replace(c, city=units[(c.source, c.record_key)]) for c in corrections]

    # -- opening, damage, backups ------------------------------------------------------------
    def newest_backup(self) -> Path | None:
        found = sorted(self.backups.glob(f"{self.path.stem}-*.sqlite"))
        return found[-1] if found else None

    def _damaged(self, error: Exception) -> StoreDamaged:
        if self._not_writable(error):
            return StoreNotWritable(
                f"更正记录库 {self.path} 不可写（只读，或没有写入该文件及所在文件夹的权限），"
                "文件本身未损坏，不需要恢复备份；请检查权限后重试。"
            )
        backup = self.newest_backup()
        advice = (
            f"最新备份：{backup}。请核对后用备份替换该文件（cp “{backup}” “{self.path}”），再运行"
            if backup
            else "没有备份；请从其他副本恢复该文件，或将其移走后重新开始记录"
        )
        return StoreDamaged(
            f"更正记录库 {self.path} 已损坏，未自动修改（{type(error).__name__}: {error}）。{advice}。"
        )

    def _not_writable(self, error: Exception) -> bool:
        text = str(error).lower()
        if isinstance(error, PermissionError) or "readonly" in text or "read-only" in text:
            return True
        if "unable to open" in text:  # sqlite cannot create the file, its journal or its WAL
            folder = self.path.parent
            return not os.access(folder, os.W_OK) or (
                self.path.exists() and not os.access(self.path, os.W_OK)
            )
        return False

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.executescript(SCHEMA)
            for table, columns in ADDED_COLUMNS.items():
                present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
                for column, kind in columns.items():
                    if column not in present:
                        conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        except (sqlite3.DatabaseError, OSError) as error:
            raise self._damaged(error) from None
        return conn

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """An open store for one call; a write the file refuses (read-only, no permission) is
        StoreNotWritable, a store busy for longer than the timeout a message to try again."""
        conn = self._connect()
        try:
            yield conn
        except sqlite3.OperationalError as error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if self._not_writable(error):
                raise self._damaged(error) from None
            raise ValueError(f"更正记录库暂时无法写入（{error}），请稍后重试") from None
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()

    def check(self) -> None:
        """Raise StoreDamaged when the file exists but is not a sound SQLite database."""
        if not self.path.exists():
            return
        conn = self._connect()
        try:
            result = conn.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as error:
            raise self._damaged(error) from None
        finally:
            conn.close()
        if result != "ok":
            raise self._damaged(RuntimeError(result))

    def backup(self, keep: int = KEEP_BACKUPS) -> Path | None:
        """Copy the store with SQLite's backup API into the backups folder; keep the newest `keep`."""
        if not self.path.exists():
            return None
        self.check()
        self.backups.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        target = self.backups / f"{self.path.stem}-{stamp}.sqlite"
        source, copy = self._connect(), sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        for old in sorted(self.backups.glob(f"{self.path.stem}-*.sqlite"))[:-keep]:
            old.unlink(missing_ok=True)
        return target

    # -- writing -----------------------------------------------------------------------------
    def _require(self, actor: Viewer, corrections: list[Correction], decisions: list[Decision]):
        if not isinstance(actor, Viewer):
            raise TypeError("the store needs the acting Viewer")
        for c in corrections:
            actor.require("correct", c.city)
            problem = check_lengths(c.field, c.new_value, c.reason)
            if problem:
                raise ValueError(f"{c.record_key} {c.field}：{problem}")
        for d in decisions:
            actor.require(DECISION_ACTIONS[d.decision], d.city)
            if d.decision == "waived" and not (d.reason or "").strip():
                raise ValueError(
                    f"忽略问题必须填写原因 (a waiver needs a reason): {d.record_key} {d.rule}"
                )
            if len(d.reason or "") > REASON_LIMIT:
                raise ValueError(f"{d.record_key}：原因过长（最多 {REASON_LIMIT} 字）")

    def record(
        self,
        actor: Viewer,
        corrections: Iterable[Correction] = (),
        decisions: Iterable[Decision] = (),
        batch: str | None = None,
    ) -> list[int]:
        """Append corrections, then decisions, all or nothing; returns the correction ids.

        A decision whose `correction_id` is None and that follows corrections for the same record
        is linked to the last of them (a fix made by a correction)."""
        corrections, decisions = self._own_units(list(corrections)), list(decisions)
        self._require(actor, corrections, decisions)
        who = (actor.name or actor.id).strip()
        if not who:
            raise ValueError("操作人不能为空 (who is required)")
        with self._connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            ids = self._insert(conn, actor, who, corrections, decisions, batch)
            conn.execute("COMMIT")
            return ids

    def _insert(self, conn, actor, who, corrections, decisions, batch, proposal=None) -> list[int]:
        ids, last_for_record = [], {}
        at = _now()
        for c in corrections:
            cursor = conn.execute(
                "INSERT INTO corrections (at, who, role, source, record_key, field, old_value, "
                "new_value, reason, issue_id, batch, city, proposal_id, proposed_by) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    at,
                    who,
                    actor.role,
                    c.source,
                    c.record_key,
                    c.field,
                    c.old_value,
                    c.new_value,
                    c.reason,
                    c.issue_id,
                    batch,
                    c.city,
                    proposal[0] if proposal else None,
                    proposal[1] if proposal else None,
                ),
            )
            ids.append(cursor.lastrowid)
            last_for_record[c.record_key] = cursor.lastrowid
        for d in decisions:
            conn.execute(
                "INSERT INTO decisions (at, who, role, issue_id, source, record_key, rule, decision, "
                "reason, correction_id, detail, city, credit_code, batch) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    at,
                    who,
                    actor.role,
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
        return ids

    def propose(self, actor: Viewer, proposal: Proposal) -> int:
        """Record a city bureau's proposal for one of its own records; returns its id. The record's
        unit is looked up in the published data (refused when it is not there, or not the
        actor's), whatever unit the proposal names."""
        if self.served is None:
            raise ValueError("尚无已发布的数据，无法核对记录所属单位；请先运行 lingpao run")
        c = self._own_units([proposal.correction])[0]
        actor.require("propose", c.city)
        if not (c.reason or "").strip():
            raise ValueError("更正建议必须填写原因")
        problem = check_lengths(c.field, c.new_value, c.reason)
        if problem:
            raise ValueError(problem)
        with self._connection() as conn:
            conn.execute("BEGIN IMMEDIATE")  # two clicks at once: one proposal
            same = conn.execute(
                "SELECT p.id FROM proposals p LEFT JOIN proposal_decisions d ON d.proposal_id = p.id "
                "WHERE d.id IS NULL AND p.source = ? AND p.record_key = ? AND p.field = ? "
                "AND p.new_value = ?",
                (c.source, c.record_key, c.field, c.new_value),
            ).fetchone()
            if same:
                conn.execute("ROLLBACK")
                raise ValueError(
                    f"已有相同的更正建议（第{same[0]}号）正在等待数据管理员审核，无需重复提出"
                )
            cursor = conn.execute(
                "INSERT INTO proposals (at, who, role, unit, source, record_key, field, old_value, "
                "new_value, reason, issue_id, rule, detail, city, credit_code) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    _now(),
                    actor.id,
                    actor.role,
                    actor.unit,
                    c.source,
                    c.record_key,
                    c.field,
                    c.old_value,
                    c.new_value,
                    c.reason.strip(),
                    c.issue_id,
                    proposal.rule,
                    proposal.detail,
                    c.city,
                    proposal.credit_code,
                ),
            )
            conn.execute("COMMIT")
            return int(cursor.lastrowid)

    def settle_proposal(self, actor: Viewer, proposal_id: int, accept: bool, reason: str) -> None:
        """A steward accepts a pending proposal (it becomes a correction naming both people, and the
        issue is marked fixed) or rejects it with a reason."""
        actor.require("accept_proposal")
        if not accept and not (reason or "").strip():
            raise ValueError("退回更正建议必须填写原因")
        if len(reason or "") > REASON_LIMIT:
            raise ValueError(f"原因过长（最多 {REASON_LIMIT} 字）")
        who = (actor.name or actor.id).strip()
        with self._connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            row = conn.execute(
                "SELECT p.*, d.id AS settled FROM proposals p "
                "LEFT JOIN proposal_decisions d ON d.proposal_id = p.id WHERE p.id = ?",
                (proposal_id,),
            ).fetchone()
            names = [c[0] for c in conn.execute("SELECT * FROM proposals LIMIT 0").description]
            if row is None:
                raise ValueError(f"更正建议 {proposal_id} 不存在")
            p = dict(zip([*names, "settled"], row, strict=True))
            if p["settled"] is not None:
                raise ValueError(f"更正建议 {proposal_id} 已处理过")
            correction_id = None
            if accept:
                correction = Correction(
                    p["source"],
                    p["record_key"],
                    p["field"],
                    p["old_value"],
                    p["new_value"],
                    f"采纳{p['who']}的更正建议：{p['reason']}",
                    p["issue_id"],
                    p["city"],
                )
                decisions = (
                    [
                        Decision(
                            p["issue_id"],
                            p["source"],
                            p["record_key"],
                            p["rule"] or "",
                            "fixed",
                            correction.reason,
                            p["detail"],
                            p["city"],
                            p["credit_code"],
                        )
                    ]
                    if p["issue_id"]
                    else []
                )
                self._require(actor, [correction], decisions)
                correction_id = self._insert(
                    conn, actor, who, [correction], decisions, None, (proposal_id, p["who"])
                )[0]
            conn.execute(
                "INSERT INTO proposal_decisions (at, who, role, proposal_id, decision, reason, "
                "correction_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    _now(),
                    who,
                    actor.role,
                    proposal_id,
                    "accepted" if accept else "rejected",
                    (reason or "采纳").strip(),
                    correction_id,
                ),
            )
            conn.execute("COMMIT")

    # -- reading -----------------------------------------------------------------------------
    def _frame(self, sql: str, params: tuple = ()) -> pd.DataFrame:
        with self._connection() as conn:  # a new store gets its tables: reading is no error
            return pd.read_sql_query(sql, conn, params=params)

    def corrections(self) -> pd.DataFrame:
        return self._frame("SELECT * FROM corrections ORDER BY id")

    def decisions(self) -> pd.DataFrame:
        return self._frame("SELECT * FROM decisions ORDER BY id")

    def latest_decisions(self) -> pd.DataFrame:
        """The last decision on each issue."""
        return self._frame(
            "SELECT * FROM decisions WHERE id IN (SELECT max(id) FROM decisions GROUP BY issue_id)"
        )

    def proposals(self, scope: Scope, pending_only: bool = False) -> pd.DataFrame:
        """Proposals in a viewer's scope (a city bureau: its own unit), with how each was settled."""
        return self._frame(
            """SELECT p.*, d.decision AS settled, d.who AS settled_by, d.at AS settled_at,
                      d.reason AS settled_reason
               FROM proposals p LEFT JOIN proposal_decisions d ON d.proposal_id = p.id
               WHERE (? IS NULL OR p.city = ?) AND (? = 0 OR d.id IS NULL) ORDER BY p.id""",
            (scope.unit, scope.unit, int(pending_only)),
        )

    def history(self, scope: Scope, record_key: str | None = None) -> pd.DataFrame:
        """Corrections, decisions and proposals, oldest first, optionally of one record: the audit
        trail. A city bureau's scope keeps the entries of its own unit only."""
        where = "WHERE (? IS NULL OR record_key = ?) AND (? IS NULL OR city = ?)"
        params = (record_key, record_key, scope.unit, scope.unit)
        return self._frame(
            f"""
            SELECT at, who, role, 'correction' AS kind, source, record_key, field, old_value,
                   new_value, NULL AS rule, NULL AS decision, reason, proposed_by, id
            FROM corrections {where}
            UNION ALL
            SELECT at, who, role, 'decision', source, record_key, NULL, NULL, NULL, rule, decision,
                   reason, NULL, id FROM decisions {where}
            UNION ALL
            SELECT at, who, role, 'proposal', source, record_key, field, old_value, new_value,
                   rule, NULL, reason, NULL, id FROM proposals {where}
            ORDER BY at, kind, id""",
            params * 3,
        )

    def signature(self) -> str:
        """Changes whenever anything is appended (for the re-check sensor); a damaged store signs
        by its size and time, so a run is still started and says what is wrong."""
        if not self.path.exists():
            return "c0:0/d0:0"  # the same as an empty store: creating the file is no change
        try:
            conn = self._connect()
        except StoreDamaged:
            stat = self.path.stat()
            return f"damaged:{stat.st_size}:{stat.st_mtime_ns}"
        try:
            c = conn.execute("SELECT count(*), coalesce(max(id), 0) FROM corrections").fetchone()
            d = conn.execute("SELECT count(*), coalesce(max(id), 0) FROM decisions").fetchone()
        finally:
            conn.close()
        return f"c{c[0]}:{c[1]}/d{d[0]}:{d[1]}"
