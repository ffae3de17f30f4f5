"""The round's decisions, kept beside the warehouse (`review.sqlite`): never rebuilt by a run.

Everything the close of a round decides is appended here, with who and when: the review's frozen
candidates (a version), the steward's decision on a candidate that later gained an error, the
experts and who scores whom, every score sheet imported (each kept; an expert's newest counts), the
public notice and its list, the objections and their decisions, the certification, the units'
leader checks and the confirmed adjustments. Each list can be rebuilt from what is recorded here;
each run copies the round's part into the warehouse (contract §6's tables). Every call says who
acts, and the store refuses what the viewer's role or unit may not do.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from lingpao.access.viewer import Viewer

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS reviews (
    year INTEGER, version INTEGER, started_at TEXT, started_by TEXT, PRIMARY KEY (year, version));
CREATE TABLE IF NOT EXISTS candidates (
    year INTEGER, version INTEGER, position INTEGER, application_id TEXT, credit_code TEXT,
    company_name TEXT, city TEXT, county TEXT, cluster TEXT, direction TEXT, panel TEXT,
    preliminary_score REAL, points TEXT, PRIMARY KEY (year, version, application_id));
CREATE TABLE IF NOT EXISTS candidate_decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, year INTEGER, version INTEGER, application_id TEXT,
    decision TEXT, reason TEXT, decided_by TEXT, decided_at TEXT);
CREATE TABLE IF NOT EXISTS experts (
    year INTEGER, version INTEGER, expert_id TEXT, name TEXT, employer TEXT, unit TEXT,
    panel TEXT, PRIMARY KEY (year, version, expert_id));
CREATE TABLE IF NOT EXISTS assignments (
    year INTEGER, version INTEGER, expert_id TEXT, application_id TEXT, excluded_reason TEXT);
CREATE TABLE IF NOT EXISTS sheets (
    id INTEGER PRIMARY KEY AUTOINCREMENT, year INTEGER, version INTEGER, expert_id TEXT,
    sheet_version INTEGER, file_name TEXT, sha256 TEXT, imported_at TEXT, imported_by TEXT);
CREATE TABLE IF NOT EXISTS scores (
    sheet_id INTEGER, expert_id TEXT, application_id TEXT, criterion TEXT, score REAL);
CREATE TABLE IF NOT EXISTS notices (
    id INTEGER PRIMARY KEY AUTOINCREMENT, year INTEGER, version INTEGER, start TEXT, end TEXT,
    working_days INTEGER, started_by TEXT, started_at TEXT);
CREATE TABLE IF NOT EXISTS notice_list (
    notice_id INTEGER, position INTEGER, application_id TEXT, credit_code TEXT,
    company_name TEXT, city TEXT, county TEXT, cluster TEXT, direction TEXT, panel TEXT,
    mean_score REAL);
CREATE TABLE IF NOT EXISTS objections (
    id INTEGER PRIMARY KEY AUTOINCREMENT, year INTEGER, notice_id INTEGER, application_id TEXT,
    received_at TEXT, text TEXT, raised_by TEXT, recorded_by TEXT, recorded_at TEXT,
    source TEXT);
CREATE TABLE IF NOT EXISTS objection_decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, objection_id INTEGER, decision TEXT, reason TEXT,
    decided_by TEXT, decided_at TEXT);
CREATE TABLE IF NOT EXISTS certifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT, year INTEGER, notice_id INTEGER, application_id TEXT,
    credit_code TEXT, company_name TEXT, city TEXT, county TEXT, cluster TEXT, direction TEXT,
    certified_at TEXT, decided_by TEXT);
CREATE TABLE IF NOT EXISTS leader_checks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, year INTEGER, unit TEXT, credit_code TEXT,
    company_name TEXT, cluster TEXT, since_year INTEGER, result TEXT, reason TEXT,
    file_name TEXT, submitted_by TEXT, submitted_at TEXT);
CREATE TABLE IF NOT EXISTS adjustments (
    id INTEGER PRIMARY KEY AUTOINCREMENT, year INTEGER, check_id INTEGER, credit_code TEXT,
    reason TEXT, confirmed_by TEXT, confirmed_at TEXT);
"""
ZONE = ZoneInfo("Asia/Shanghai")


def now() -> str:
    return dt.datetime.now(ZONE).isoformat(timespec="seconds")


class ReviewRefused(ValueError):
    """A step of the close that cannot be taken now; the message says why, in Chinese."""


class ReviewStore:
    """The append-only record of a round's close (see the module's docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.executescript(SCHEMA)
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write, whole or not at all (a crash mid-way leaves the store as it was)."""
        with self._connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")

    def frame(self, sql: str, params: tuple | list = ()) -> pd.DataFrame:
        """A query's result (the store is made, empty, on first use)."""
        with self._connection() as conn:
            return pd.read_sql_query(sql, conn, params=list(params))

    def secret(self) -> str:
        """The key that signs this store's score sheets (made on first use)."""
        with self.transaction() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'sheet_key'").fetchone()
            if row:
                return row[0]
            key = secrets.token_hex(32)
            conn.execute("INSERT INTO meta VALUES ('sheet_key', ?)", (key,))
            return key

    def backup(self, folder: Path, keep: int = 10) -> Path | None:
        """Copy the store with SQLite's backup API into `folder`; keep the newest `keep`."""
        if not self.path.exists():
            return None
        folder.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        target = folder / f"{self.path.stem}-{stamp}.sqlite"
        copy = sqlite3.connect(target)
        try:
            with self._connection() as conn:
                conn.backup(copy)
        finally:
            copy.close()
        for old in sorted(folder.glob(f"{self.path.stem}-*.sqlite"))[:-keep]:
            old.unlink(missing_ok=True)
        return target

    def signature(self) -> str:
        """Changes whenever anything is recorded (a run then copies the round's part again)."""
        if not self.path.exists():
            return "r0"
        with self._connection() as conn:
            counts = [
                conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in (
                    "reviews",
                    "candidate_decisions",
                    "assignments",
                    "sheets",
                    "notices",
                    "objections",
                    "objection_decisions",
                    "certifications",
                    "leader_checks",
                    "adjustments",
                )
            ]
        if not any(counts):
            return "r0"  # the same as no store: a run that creates the file changes nothing
        return "r" + ".".join(map(str, counts))

    # -- reading the current state of a round ---------------------------------------------------
    def review_version(self, year: int) -> int | None:
        """The round's current review (its newest version), or None before one was started."""
        if not self.path.exists():
            return None
        with self._connection() as conn:
            row = conn.execute(
                "SELECT max(version) FROM reviews WHERE year = ?", (year,)
            ).fetchone()
        return row[0]

    def candidates(self, year: int) -> pd.DataFrame:
        """The current review's candidates, each with the steward's latest decision on it."""
        version = self.review_version(year)
        frame = self.frame(
            """SELECT c.*, d.decision, d.reason AS decision_reason FROM candidates c
               LEFT JOIN (SELECT application_id, decision, reason,
                                 row_number() OVER (PARTITION BY application_id ORDER BY id DESC) AS n
                          FROM candidate_decisions WHERE year = ? AND version = ?) d
                      ON d.application_id = c.application_id AND d.n = 1
               WHERE c.year = ? AND c.version = ? ORDER BY c.panel, c.position""",
            (year, version, year, version),
        )
        frame["points"] = frame["points"].map(lambda text: json.loads(text) if text else {})
        return frame

    def experts(self, year: int) -> pd.DataFrame:
        version = self.review_version(year)
        return self.frame(
            "SELECT * FROM experts WHERE year = ? AND version = ? ORDER BY panel, expert_id",
            (year, version),
        )

    def assignments(self, year: int) -> pd.DataFrame:
        version = self.review_version(year)
        return self.frame(
            "SELECT * FROM assignments WHERE year = ? AND version = ? "
            "ORDER BY expert_id, application_id",
            (year, version),
        )

    def sheets(self, year: int) -> pd.DataFrame:
        """Every imported sheet of the current review (each expert's every version)."""
        version = self.review_version(year)
        return self.frame(
            "SELECT * FROM sheets WHERE year = ? AND version = ? ORDER BY expert_id, sheet_version",
            (year, version),
        )

    def scores(self, year: int) -> pd.DataFrame:
        """The scores that count: each expert's newest sheet (an earlier one stays recorded)."""
        version = self.review_version(year)
        return self.frame(
            """SELECT s.expert_id, s.application_id, s.criterion, s.score, h.sheet_version
               FROM scores s JOIN sheets h ON h.id = s.sheet_id
               WHERE h.year = ? AND h.version = ? AND h.sheet_version = (
                   SELECT max(sheet_version) FROM sheets x
                   WHERE x.year = h.year AND x.version = h.version AND x.expert_id = h.expert_id)
               ORDER BY s.expert_id, s.application_id""",
            (year, version),
        )

    def notice(self, year: int) -> dict | None:
        """The round's public notice (the newest started), or None."""
        frame = self.frame("SELECT * FROM notices WHERE year = ? ORDER BY id DESC LIMIT 1", (year,))
        return None if frame.empty else frame.iloc[0].to_dict()

    def notice_list(self, notice_id: int) -> pd.DataFrame:
        return self.frame(
            "SELECT * FROM notice_list WHERE notice_id = ? ORDER BY position", (notice_id,)
        )

    def objections(self, year: int) -> pd.DataFrame:
        """The round's objections, each with its latest decision (none while undecided)."""
        return self.frame(
            """SELECT o.*, d.decision, d.reason, d.decided_by, d.decided_at FROM objections o
               LEFT JOIN (SELECT objection_id, decision, reason, decided_by, decided_at,
                                 row_number() OVER (PARTITION BY objection_id ORDER BY id DESC) AS n
                          FROM objection_decisions) d ON d.objection_id = o.id AND d.n = 1
               WHERE o.year = ? ORDER BY o.id""",
            (year,),
        )

    def certified(self, year: int | None = None) -> pd.DataFrame:
        where, params = ("WHERE year = ?", (year,)) if year is not None else ("", ())
        return self.frame(f"SELECT * FROM certifications {where} ORDER BY id", params)

    def leader_checks(self, year: int) -> pd.DataFrame:
        """Each unit's newest check of each leader, with its confirmation (if any)."""
        return self.frame(
            """SELECT c.*, a.confirmed_by, a.confirmed_at FROM (
                   SELECT *, row_number() OVER (PARTITION BY unit, credit_code ORDER BY id DESC) AS n
                   FROM leader_checks WHERE year = ?) c
               LEFT JOIN adjustments a ON a.check_id = c.id
               WHERE c.n = 1 ORDER BY c.unit, c.credit_code""",
            (year,),
        )

    def adjustments(self, year: int | None = None) -> pd.DataFrame:
        where, params = ("WHERE a.year = ?", (year,)) if year is not None else ("", ())
        return self.frame(
            f"""SELECT a.*, c.unit, c.company_name, c.cluster, c.since_year FROM adjustments a
                LEFT JOIN leader_checks c ON c.id = a.check_id {where} ORDER BY a.id""",
            params,
        )


def actor_name(actor: Viewer) -> str:
    return actor.id or actor.name or "本机"
