"""The audit log: sign-ins, failed sign-ins, sign-outs, downloads, decisions, submissions, runs.

An append-only SQLite file beside the warehouse (triggers refuse UPDATE and DELETE); each entry says
who, with which role and unit, how they signed in, from where, when, and what.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pandas as pd

from lingpao.access.viewer import Viewer

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL, event TEXT NOT NULL, who TEXT NOT NULL, role TEXT, unit TEXT, via TEXT,
    address TEXT, detail TEXT
);
CREATE INDEX IF NOT EXISTS audit_who ON audit (who, event, at);
CREATE TRIGGER IF NOT EXISTS audit_append_only_u BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_append_only_d BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""
EVENT_LABELS = {
    "signin": "登录",
    "signin_failed": "登录失败",
    "signin_throttled": "登录被暂停（失败次数过多）",
    "signout": "退出",
    "download": "下载",
    "decision": "处理问题",
    "correction": "更正",
    "proposal": "提出更正建议",
    "proposal_decision": "采纳/退回更正建议",
    "submission": "上报汇总表",
    "rollback": "回退汇总表版本",
    "run": "运行检查",
    "refused": "被拒绝的操作",
}


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class AuditDamaged(RuntimeError):
    """The audit log cannot be opened or written; nothing that must be audited may go on."""


class AuditLog:
    """Append entries; read them back; count recent failed sign-ins (for throttling)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.executescript(SCHEMA)
        except (sqlite3.DatabaseError, OSError) as error:
            raise AuditDamaged(
                f"审计日志 {self.path} 无法打开或写入（{type(error).__name__}: {error}）。"
                "请检查该文件的权限，或将损坏的文件移走（会新建一个）；修复前不允许登录和操作"
            ) from None
        return conn

    def _execute(self, action):
        """Run `action(conn)` on an open log; a failure to read or write is AuditDamaged."""
        conn = self._connect()
        try:
            return action(conn)
        except sqlite3.DatabaseError as error:
            raise AuditDamaged(
                f"审计日志 {self.path} 无法读写（{type(error).__name__}: {error}）"
            ) from None
        finally:
            conn.close()

    def record(
        self,
        event: str,
        actor: Viewer | None = None,
        detail: str = "",
        who: str | None = None,
        address: str | None = None,
        at: dt.datetime | None = None,
    ) -> None:
        """One entry; `who` names an actor that is not (yet) a viewer, e.g. a failed sign-in."""
        self._execute(
            lambda conn: conn.execute(
                "INSERT INTO audit (at, event, who, role, unit, via, address, detail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (at or now()).isoformat(timespec="seconds"),
                    event,
                    who if who is not None else (actor.id if actor else ""),
                    actor.role if actor else None,
                    actor.unit if actor else None,
                    actor.via if actor else None,
                    address,
                    detail[:2000],
                ),
            )
        )

    def entries(self, limit: int = 200, event: str | None = None) -> pd.DataFrame:
        """The newest `limit` entries (of one event), oldest first; text columns never null."""
        frame = self._execute(
            lambda conn: pd.read_sql_query(
                "SELECT * FROM (SELECT * FROM audit WHERE ? IS NULL OR event = ? "
                "ORDER BY id DESC LIMIT ?) ORDER BY id",
                conn,
                params=(event, event, limit),
            )
        )
        for column in ("role", "unit", "via", "address", "detail"):
            frame[column] = frame[column].astype("string").fillna("")
        return frame

    def recent_failures(self, column: str, value: str, since: dt.datetime) -> list[dt.datetime]:
        """Times of failed sign-ins by id (`who`) or `address` since a moment, after the last success."""
        assert column in {"who", "address"}
        rows = self._execute(
            lambda conn: conn.execute(
                f"""SELECT at FROM audit WHERE {column} = ? AND event = 'signin_failed' AND at >= ?
                    AND id > coalesce((SELECT max(id) FROM audit WHERE {column} = ? AND event = 'signin'), 0)
                    ORDER BY at""",
                (value, since.isoformat(timespec="seconds"), value),
            ).fetchall()
        )
        return [dt.datetime.fromisoformat(r[0]) for r in rows]
