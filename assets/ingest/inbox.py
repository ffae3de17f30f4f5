"""The inbox folder: which files it holds, and the export time of a platform snapshot."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

FOLDERS = ("platform", "cities", "registry")
_STAMP = re.compile(
    r"(?<!\d)(20\d{2})[-._年]?(\d{2})[-._月]?(\d{2})日?(?:[_\-T ]?(\d{2})[:：.时]?(\d{2})(?:[:：.分]?(\d{2}))?)?(?!\d)"
)


@dataclass(frozen=True)
class InboxFile:
    """One file of the inbox, named by its path relative to the inbox (e.g. `cities/邯郸.xlsx`)."""

    path: Path
    folder: str
    name: str  # relative path, used as source_file everywhere

    @property
    def modified_at(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.path.stat().st_mtime, tz=dt.UTC)


def list_files(inbox: Path, folder: str) -> list[InboxFile]:
    """Every file under inbox/folder (recursively), in name order; hidden files are not inbox files."""
    base = inbox / folder
    if not base.is_dir():
        return []
    found = []
    for path in sorted(base.rglob("*")):
        if path.is_file() and not any(
            part.startswith(".") for part in path.relative_to(base).parts
        ):
            found.append(
                InboxFile(path=path, folder=folder, name=path.relative_to(inbox).as_posix())
            )
    return found


def stamp_from_name(name: str, timezone: str) -> dt.datetime | None:
    """Export time from a file name holding `YYYYMMDD` or `YYYYMMDD_HHMM`, in the programme's zone."""
    for match in _STAMP.finditer(name):
        year, month, day, hour, minute, second = match.groups()
        try:
            return dt.datetime(
                int(year),
                int(month),
                int(day),
                int(hour or 0),
                int(minute or 0),
                int(second or 0),
                tzinfo=ZoneInfo(timezone),
            )
        except ValueError:
            continue
    return None


def snapshot_time(file: InboxFile, timezone: str) -> tuple[dt.datetime, str]:
    """(export time, how it was found): from the file name, else the modification time."""
    stamped = stamp_from_name(file.path.name, timezone)
    if stamped is not None:
        return stamped, "file_name"
    return file.modified_at.astimezone(ZoneInfo(timezone)), "modified_time"
