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
from dataclasses import asdict
from pathlib import Path
from zoneinfo import ZoneInfo

from lingpao.access.viewer import Viewer
from lingpao.ingest.submissions import (
    FOLDER,
    MAX_BYTES,
    SUFFIXES,
    Event,
    SubmittedTables,
    Version,
    plain_name,
)


class VersionRefused(ValueError):
    """A submission or rollback that cannot be made; the message says why, in Chinese."""


NAME_BYTES = 150  # of the stored stem: `vNNN_<time>_<stem><suffix>` stays under 255 bytes


def _clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` bytes of UTF-8, never inside a character."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def safe_name(name: str) -> str:
    """The uploaded file's own name reduced to a harmless file name (no folders, no control or
    direction-changing characters, at most NAME_BYTES bytes before the suffix), keeping its suffix."""
    base = plain_name(name)
    stem, suffix = Path(base).stem, Path(base).suffix.lower()
    stem = re.sub(r"[/:*?\"<>|]+", "_", stem).strip(" ._")
    return f"{_clip(stem, NAME_BYTES).strip(' ._') or '汇总表'}{suffix}"


def _not_kept(error: OSError) -> str:
    return (
        f"未能保存（{error.strerror or type(error).__name__}，例如磁盘已满或无写入权限），"
        "请稍后重试或联系省工信厅"
    )


class TableVersions(SubmittedTables):
    """The submitted versions of every unit's table, and new ones kept (checked against the actor's
    rights: a city bureau submits for its own unit only; only the province rolls back)."""

    def _next_number(self, unit: str) -> int:
        """One more than any version of the unit, logged or only kept as a file (a crash between
        keeping the file and logging it must not let its number be used again)."""
        logged = [v.version for v in self.versions(unit)]
        kept = [
            int(match.group(1))
            for path in (self.folder / unit).glob("v*_*")
            if (match := re.match(r"v(\d+)_", path.name))
        ]
        return max([*logged, *kept], default=0) + 1

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
            raise VersionRefused("汇总表应为 xlsx、xls、docx 文件（或 doc、wps、et）")
        if not data:
            raise VersionRefused("文件为空（0 字节）")
        if len(data) > MAX_BYTES:
            raise VersionRefused(f"文件过大（超过 {MAX_BYTES // 1024 // 1024} MB）")
        moment = self._moment(at)
        with self._locked():
            number = self._next_number(unit)
            relative = f"{FOLDER}/{unit}/v{number:03d}_{moment:%Y%m%d-%H%M%S}_{name}"
            target = self.inbox / relative
            created = False
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                with target.open("xb") as handle:  # never over another file
                    created = True
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
            except OSError as error:
                if created:  # a half-written file is no version: nothing of it stays
                    target.unlink(missing_ok=True)
                raise VersionRefused(_not_kept(error)) from None
            version = Version(
                unit=unit,
                version=number,
                file=relative,
                original_name=plain_name(original_name)[:200],
                who=actor.label,
                submitted_at=moment.isoformat(timespec="seconds"),
                late=moment.date() > self.programme.city_tables_due,
                sha256=hashlib.sha256(data).hexdigest(),
            )
            try:
                self._append(
                    Event("submit", unit, number, actor.label, version.submitted_at, version)
                )
            except OSError as error:  # the file is kept but not a version: listed by `problems`
                raise VersionRefused(_not_kept(error)) from None
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
            try:
                self._append(Event("rollback", unit, version, actor.label, moment))
            except OSError as error:
                raise VersionRefused(_not_kept(error)) from None
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
        """One line at the end of the log, on a line of its own even when the last write was cut
        short (a torn last line stays torn, and is reported, but never swallows this one)."""
        line = (json.dumps(asdict(event), ensure_ascii=False) + "\n").encode("utf-8")
        descriptor = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(descriptor).st_size
            if size:
                with self.log.open("rb") as handle:
                    handle.seek(size - 1)
                    if handle.read(1) != b"\n":
                        line = b"\n" + line
            while line:
                line = line[os.write(descriptor, line) :]
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
