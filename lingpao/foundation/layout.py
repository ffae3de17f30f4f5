"""Where everything lives: the inbox, the warehouse and every file beside it, from flags and environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lingpao.foundation.settings import Settings

DEFAULT_INBOX = "data/inbox"
DEFAULT_WAREHOUSE = "data/warehouse.duckdb"


def resolve_path(value: str | os.PathLike) -> Path:
    """A path from a flag or a variable: `~` expanded, relative to the working directory."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else Path.cwd() / path


@dataclass(frozen=True)
class Layout:
    """The inbox folder and the warehouse file; the other files sit beside the warehouse."""

    inbox: Path
    warehouse: Path
    corrections: Path
    users: Path

    @classmethod
    def resolve(
        cls,
        inbox: str | os.PathLike | None = None,
        warehouse: str | os.PathLike | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Layout:
        """Flags first, then LINGPAO_INBOX / LINGPAO_WAREHOUSE / LINGPAO_CORRECTIONS / LINGPAO_USERS,
        then the contract's defaults."""
        settings = Settings.load(env)
        target = resolve_path(warehouse or settings.get("LINGPAO_WAREHOUSE", DEFAULT_WAREHOUSE))
        beside = target.parent
        return cls(
            inbox=resolve_path(inbox or settings.get("LINGPAO_INBOX", DEFAULT_INBOX)),
            warehouse=target,
            corrections=resolve_path(
                settings.get("LINGPAO_CORRECTIONS") or beside / "corrections.sqlite"
            ),
            users=resolve_path(settings.get("LINGPAO_USERS") or beside / "users.json"),
        )

    def environment(self) -> dict[str, str]:
        """The variables that make a process started from here resolve this same layout."""
        return {
            "LINGPAO_INBOX": str(self.inbox),
            "LINGPAO_WAREHOUSE": str(self.warehouse),
            "LINGPAO_CORRECTIONS": str(self.corrections),
            "LINGPAO_USERS": str(self.users),
        }

    def _beside(self, suffix: str) -> Path:
        return self.warehouse.with_name(self.warehouse.name + suffix)

    @property
    def serving(self) -> Path:
        """The copy the dashboard and exports read, replaced atomically by each run."""
        stem, suffix = self.warehouse.stem, self.warehouse.suffix or ".duckdb"
        return self.warehouse.with_name(f"{stem}.serving{suffix}")

    @property
    def lock(self) -> Path:
        """Held by the run in progress: runs on one warehouse take turns."""
        return self._beside(".lock")

    @property
    def run_requests(self) -> Path:
        """Re-checks asked for and not yet taken up by a run (`lingpao.warehouse.runqueue`)."""
        return self._beside(".requests")

    @property
    def runner_lock(self) -> Path:
        """Held by the process taking up the asked-for re-checks."""
        return self._beside(".runner")

    @property
    def run_status(self) -> Path:
        """What the run queue is doing (queued, running and its step, done, failed)."""
        return self._beside(".run-status.json")

    @property
    def runs_log(self) -> Path:
        """The output of the runs started from the dashboard."""
        return self._beside(".runs.log")

    @property
    def audit(self) -> Path:
        """Sign-ins, downloads and decisions (append-only)."""
        return self.warehouse.parent / "audit.sqlite"

    @property
    def review(self) -> Path:
        """The decisions of each round's close: review, notice, certification, leaders' check."""
        return self.warehouse.parent / "review.sqlite"

    @property
    def sessions(self) -> Path:
        """The dashboard's signed-in sessions (password mode)."""
        return self.warehouse.parent / "sessions.sqlite"

    @property
    def session_key(self) -> Path:
        """The key that signs the session cookies (made on first use, readable by the server)."""
        return self.warehouse.parent / "session.key"

    @property
    def gx_docs(self) -> Path:
        """The Great Expectations Data Docs of the last run."""
        return self.warehouse.parent / "gx_docs"

    def docs_of(self, year: int) -> Path:
        """The Data Docs of one round (the top page, `gx_docs/index.html`, links every round's)."""
        return self.docs_folder(self.gx_docs, year)

    @staticmethod
    def docs_folder(docs: Path, year: int) -> Path:
        return Path(docs) / str(int(year))

    @property
    def backups(self) -> Path:
        """Rotating backups of the corrections store, one per run."""
        return self.warehouse.parent / "backups"

    def readable(self) -> Path | None:
        """What readers open: the serving copy if published, else the warehouse; None if neither."""
        for candidate in (self.serving, self.warehouse):
            if candidate.exists():
                return candidate
        return None
