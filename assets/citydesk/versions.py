"""Submitted city tables: every version kept in the inbox with who and when; one active per unit.

A submission is written to `inbox/submissions/<unit>/` under a new name (never over another file) and
logged in `inbox/submissions/versions.jsonl`, one line per event: `submit` (a new version, which
becomes the active one) or `rollback` (an earlier version made active again; nothing is deleted).
The active version of a unit is the table the rules read for it. Every write is checked here against
the actor's rights (a city bureau submits for its own unit only; only the province rolls back).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from assets.access.roles import Forbidden
from assets.access.viewer import Viewer
from assets.foundation.programme import Programme

FOLDER = "submissions"
LOG = "versions.jsonl"
SUFFIXES = (".xlsx", ".xls", ".docx")
MAX_BYTES = 20 * 1024 * 1024  # a 附件2 table of a few thousand rows is well under 1 MB


class VersionRefused(ValueError):
    """A submission or rollback that cannot be made; the message says why, in Chinese."""


@dataclass(frozen=True)
class Version:
    """One submitted version of a unit's table."""

    unit: str
    version: int
    file: str  # relative to the inbox, e.g. submissions/保定/v002_20230729-101500.xlsx
    original_name: str
    who: str
    submitted_at: str  # ISO time in the programme's time zone
    late: bool
    sha256: str


@dataclass(frozen=True)
class Event:
    """A line of the log: a version submitted, or a unit rolled back to an earlier version."""

    kind: str  # submit | rollback
    unit: str
    version: int
    who: str
    at: str
    version_info: Version | None = None


def safe_name(name: str) -> str:
    """The uploaded file's own name reduced to a harmless file name (no folders, no control
    characters, at most 80 characters), keeping its suffix."""
    base = Path(name.replace("\\", "/")).name
    stem, suffix = Path(base).stem, Path(base).suffix.lower()
    stem = re.sub(r"[\x00-\x1f\x7f/:*?\"<>|]+", "_", stem).strip(" ._") or "汇总表"
    return f"{stem[:80]}{suffix}"


class TableVersions:
    """The submitted versions of every unit's table, in an inbox."""

    def __init__(self, inbox: Path, programme: Programme) -> None:
        self.inbox, self.programme = Path(inbox), programme
        self.folder = self.inbox / FOLDER
        self.log = self.folder / LOG

    # reading ---------------------------------------------------------------------------------

    def events(self) -> list[Event]:
        """Every event in order; a damaged line is skipped (the files are still all there)."""
        if not self.log.exists():
            return []
        found = []
        for line in self.log.read_text(encoding="utf-8").splitlines():
            try:
                raw = json.loads(line)
                info = raw.get("version_info")
                found.append(
                    Event(
                        kind=raw["kind"],
                        unit=raw["unit"],
                        version=int(raw["version"]),
                        who=raw["who"],
                        at=raw["at"],
                        version_info=Version(**info) if info else None,
                    )
                )
            except (ValueError, KeyError, TypeError):
                continue
        return [e for e in found if e.unit in self.programme.units]

    def versions(self, unit: str | None = None) -> list[Version]:
        """Every version submitted (of one unit, or of all), oldest first."""
        return [
            e.version_info
            for e in self.events()
            if e.kind == "submit" and e.version_info and (unit is None or e.unit == unit)
        ]

    def active(self) -> dict[str, Version]:
        """For each unit that has submitted: the version the rules read (the newest submitted,
        unless the province rolled back to an earlier one)."""
        by_number = {(v.unit, v.version): v for v in self.versions()}
        chosen: dict[str, Version] = {}
        for event in self.events():
            version = by_number.get((event.unit, event.version))
            if version is not None:
                chosen[event.unit] = version
        return {
            unit: version
            for unit, version in chosen.items()
            if (self.inbox / version.file).is_file()
        }

    def visible_to(self, viewer: Viewer, unit: str | None = None) -> list[Version]:
        """The versions a viewer may see (of one unit, or all it may see): a city bureau its own
        unit's only (another unit's is refused), the province every unit's."""
        own = viewer.scope.unit
        if own and unit not in (None, own):
            raise Forbidden(f"{viewer.label}无权查看{unit}的汇总表版本")
        if not viewer.scope.records:
            raise Forbidden(f"{viewer.label}无权查看汇总表版本")
        return self.versions(unit or own)

    def history(self, unit: str) -> list[Event]:
        return [e for e in self.events() if e.unit == unit]

    # writing ---------------------------------------------------------------------------------

    def submit(
        self,
        actor: Viewer,
        unit: str,
        data: bytes,
        original_name: str,
        at: dt.datetime | None = None,
    ) -> Version:
        """Keep `data` as the unit's next version and make it the active one. Refused (Forbidden)
        unless the actor may submit for the unit; VersionRefused for a file that is no table."""
        actor.require("submit_table", unit)
        if unit not in self.programme.units:
            raise VersionRefused(f"“{unit}”不是报送单位")
        name = safe_name(original_name)
        if Path(name).suffix not in SUFFIXES:
            raise VersionRefused("汇总表应为 xlsx、xls 或 docx 文件")
        if not data:
            raise VersionRefused("文件为空（0 字节）")
        if len(data) > MAX_BYTES:
            raise VersionRefused(f"文件过大（超过 {MAX_BYTES // 1024 // 1024} MB）")
        moment = self._moment(at)
        with self._locked():
            number = max((v.version for v in self.versions(unit)), default=0) + 1
            relative = f"{FOLDER}/{unit}/v{number:03d}_{moment:%Y%m%d-%H%M%S}_{name}"
            target = self.inbox / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("xb") as handle:  # never over another file
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            version = Version(
                unit=unit,
                version=number,
                file=relative,
                original_name=Path(original_name.replace("\\", "/")).name[:200],
                who=actor.label,
                submitted_at=moment.isoformat(timespec="seconds"),
                late=moment.date() > self.programme.city_tables_due,
                sha256=hashlib.sha256(data).hexdigest(),
            )
            self._append(Event("submit", unit, number, actor.label, version.submitted_at, version))
        return version

    def rollback(
        self, actor: Viewer, unit: str, version: int, at: dt.datetime | None = None
    ) -> Version:
        """Make an earlier version of the unit's table the active one again (nothing is deleted)."""
        actor.require("rollback_table", unit)
        with self._locked():
            chosen = next((v for v in self.versions(unit) if v.version == version), None)
            if chosen is None or not (self.inbox / chosen.file).is_file():
                raise VersionRefused(f"{unit}没有第{version}版汇总表")
            moment = self._moment(at).isoformat(timespec="seconds")
            self._append(Event("rollback", unit, version, actor.label, moment))
        return chosen

    def _moment(self, at: dt.datetime | None) -> dt.datetime:
        zone = ZoneInfo(self.programme.timezone)
        return (at or dt.datetime.now(dt.UTC)).astimezone(zone)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time (two bureaus submitting at once get consecutive numbers)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / ".lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _append(self, event: Event) -> None:
        record = asdict(event)
        with self.log.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
