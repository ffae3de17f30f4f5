"""Sessions that survive a reload and a new tab: a signed cookie naming a session kept on the server.

A password sign-in starts a session: a row in `sessions.sqlite` beside the warehouse (who, how, from
where, when started, last seen) and, in the browser, a cookie holding only the session's random id,
signed with `itsdangerous` (a key of this server's, `session.key`, made on first use and readable by
the server only). Every page the browser opens sends the cookie; the session is the viewer's while
it has not been ended (sign-out), has not outlived `LINGPAO_SESSION_HOURS`, has not been idle longer
than `LINGPAO_IDLE_MINUTES`, and its account is still in the users file. Ending a session ends it in
every tab that shares the cookie; removing an account ends all of its sessions.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, URLSafeSerializer

from lingpao.access.audit import now
from lingpao.access.users import User
from lingpao.access.viewer import Viewer

COOKIE = "lingpao_session"
SALT = "lingpao.session"
TOUCH_EVERY = dt.timedelta(seconds=30)  # `last_seen` is written at most this often
SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, user_id TEXT NOT NULL, via TEXT NOT NULL, address TEXT,
    started_at TEXT NOT NULL, last_seen TEXT NOT NULL, ended_at TEXT, ended_why TEXT
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id);
"""


class SessionsDamaged(RuntimeError):
    """The sessions file cannot be opened or written: nobody can be signed in until it is mended."""


@dataclass(frozen=True)
class Session:
    """A live session: its id, whose it is and when it started and was last seen."""

    id: str
    user_id: str
    via: str
    started_at: dt.datetime
    last_seen: dt.datetime


def _key(path: Path) -> bytes:
    """The server's signing key, made (readable by its owner only) the first time it is needed."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(32)
        with contextlib.suppress(FileExistsError):
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(key)
        return path.read_bytes()  # whoever made it first: one key for the server


class Sessions:
    """The server's sessions and the signed cookies that name them."""

    def __init__(self, path: Path, key_file: Path) -> None:
        self.path, self.key_file = Path(path), Path(key_file)

    def _signer(self) -> URLSafeSerializer:
        return URLSafeSerializer(_key(self.key_file), salt=SALT)

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)
        except (sqlite3.DatabaseError, OSError) as error:
            raise SessionsDamaged(f"会话记录 {self.path} 无法打开（{error}）") from None
        try:
            yield conn
        except sqlite3.DatabaseError as error:
            raise SessionsDamaged(f"会话记录 {self.path} 无法写入（{error}）") from None
        finally:
            conn.close()

    def start(self, viewer: Viewer, address: str | None) -> str:
        """A new session for `viewer`; returns the cookie's value (the signed session id)."""
        session_id = secrets.token_urlsafe(32)
        moment = now().isoformat()
        with self._connection() as conn:
            conn.execute(
                "INSERT INTO sessions (id, user_id, via, address, started_at, last_seen) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [session_id, viewer.id, viewer.via, address, moment, moment],
            )
        return self._signer().dumps(session_id)

    def session_id(self, cookie: str | None) -> str | None:
        """The session id a cookie names, if its signature is this server's."""
        if not cookie:
            return None
        try:
            value = self._signer().loads(cookie)
        except BadSignature:
            return None
        return value if isinstance(value, str) else None

    def resolve(
        self,
        cookie: str | None,
        users: dict[str, User],
        hours: float,
        idle_minutes: float,
    ) -> tuple[Viewer | None, str]:
        """The viewer of a live session named by `cookie`, or (None, why not): no cookie, a forged
        or stale one, ended, too old, idle too long, or an account no longer in the users file
        (the last three end the session for good)."""
        session_id = self.session_id(cookie)
        if session_id is None:
            return None, "未登录" if not cookie else "登录凭据无效"
        with self._connection() as conn:
            row = conn.execute(
                "SELECT user_id, via, started_at, last_seen, ended_at FROM sessions WHERE id = ?",
                [session_id],
            ).fetchone()
            if row is None or row[4] is not None:
                return None, "已退出登录"
            user_id, via, started, seen = row[0], row[1], row[2], row[3]
            moment = now()
            started_at, last_seen = (
                dt.datetime.fromisoformat(started),
                dt.datetime.fromisoformat(seen),
            )
            why = None
            if users.get(user_id) is None:
                why = "账号已停用"
            elif moment - started_at > dt.timedelta(hours=hours):
                why = "登录已超过有效期"
            elif moment - last_seen > dt.timedelta(minutes=idle_minutes):
                why = "长时间未操作"
            if why:
                conn.execute(
                    "UPDATE sessions SET ended_at = ?, ended_why = ? WHERE id = ? "
                    "AND ended_at IS NULL",
                    [moment.isoformat(), why, session_id],
                )
                return None, why
            if moment - last_seen > TOUCH_EVERY:
                conn.execute(
                    "UPDATE sessions SET last_seen = ? WHERE id = ?",
                    [moment.isoformat(), session_id],
                )
        return users[user_id].viewer(via), ""

    def end(self, cookie: str | None, why: str = "退出登录") -> str | None:
        """End the session a cookie names (in every tab); returns its user's id, or None."""
        session_id = self.session_id(cookie)
        if session_id is None:
            return None
        with self._connection() as conn:
            row = conn.execute("SELECT user_id FROM sessions WHERE id = ?", [session_id]).fetchone()
            conn.execute(
                "UPDATE sessions SET ended_at = ?, ended_why = ? WHERE id = ? AND ended_at IS NULL",
                [now().isoformat(), why, session_id],
            )
        return row[0] if row else None

    def end_user(self, user_id: str, why: str = "账号已停用") -> int:
        """End every live session of one account; how many were ended."""
        if not self.path.exists():
            return 0
        with self._connection() as conn:
            return conn.execute(
                "UPDATE sessions SET ended_at = ?, ended_why = ? WHERE user_id = ? "
                "AND ended_at IS NULL",
                [now().isoformat(), why, user_id],
            ).rowcount

    def live(self, user_id: str | None = None) -> list[Session]:
        """The sessions not ended (of one account, or all)."""
        if not self.path.exists():
            return []
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT id, user_id, via, started_at, last_seen FROM sessions "
                "WHERE ended_at IS NULL AND (? IS NULL OR user_id = ?)",
                [user_id, user_id],
            ).fetchall()
        return [
            Session(
                r[0], r[1], r[2], dt.datetime.fromisoformat(r[3]), dt.datetime.fromisoformat(r[4])
            )
            for r in rows
        ]
