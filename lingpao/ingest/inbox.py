"""The inbox folder: which files it holds, and the export time of a platform snapshot."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from zoneinfo import ZoneInfo

FOLDERS = ("platform", "cities", "registry")
# Names that look like tables: a folder so named is reported rather than entered.
TABLE_SUFFIXES = {
    *(".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".csv", ".txt", ".docx"),
    *(".doc", ".wps", ".et"),
}
_STAMP = re.compile(
    r"(?<!\d)(20\d{2})[-._年]?(\d{2})[-._月]?(\d{2})日?(?:[_\-T ]?(\d{2})[:：.时]?(\d{2})(?:[:：.分]?(\d{2}))?)?(?!\d)"
)


@dataclass(frozen=True)
class InboxFile:
    """One entry of the inbox, named by its path relative to the inbox (e.g. `cities/邯郸.xlsx`).

    `skipped` says why an entry is not an inbox file (an editor's lock file, a hidden file);
    `problem` says why a would-be file cannot be read (a folder named like a table, a dangling link).
    """

    path: Path
    folder: str
    name: str  # relative path, used as source_file everywhere
    skipped: str | None = None
    problem: str | None = None
    unit: str | None = None  # a submitted city table: the unit it was submitted for

    @property
    def modified_at(self) -> dt.datetime | None:
        try:
            stamp = self.path.stat().st_mtime
        except OSError:
            return None
        return dt.datetime.fromtimestamp(stamp, tz=dt.UTC)


def _entry(path: Path, inbox: Path, folder: str) -> InboxFile:
    """What a path under inbox/folder is: a file to read, one to skip, or a problem to report."""
    name = path.name
    entry = InboxFile(path=path, folder=folder, name=path.relative_to(inbox).as_posix())
    if name.startswith("~$") or name.startswith(".~lock."):
        reason = "编辑器的临时锁文件（表格正被打开编辑时生成），不是数据文件，已跳过"
        return replace(entry, skipped=reason)
    if name.startswith("."):
        return replace(entry, skipped="隐藏文件或文件夹，已跳过")
    if path.is_symlink() and not path.exists():
        return replace(entry, problem="链接指向的文件不存在，无法读取")
    if path.is_dir():
        return replace(entry, problem="这是一个文件夹，不是文件（名称像表格文件），未读取其内容")
    if not path.is_file():
        return replace(entry, problem="不是普通文件，无法读取")
    return entry


def list_files(inbox: Path, folder: str) -> list[InboxFile]:
    """Every entry under inbox/folder (recursively, in name order): files to read, and the ones
    skipped or unreadable with the reason. Hidden folders are listed once, not entered."""
    base = inbox / folder
    if not base.is_dir():
        return []
    found = []
    for root, folders, files in os.walk(base):
        here = Path(root)
        entered = []
        for sub in sorted(folders):
            path = here / sub
            if (
                sub.startswith(".")
                or Path(sub).suffix.lower() in TABLE_SUFFIXES
                or path.is_symlink()
            ):
                entry = _entry(path, inbox, folder)
                found.append(
                    entry
                    if entry.skipped or entry.problem
                    else replace(entry, problem="链接到一个文件夹，未读取其内容")
                )
            else:
                entered.append(sub)
        folders[:] = entered
        found += [_entry(here / name, inbox, folder) for name in files]
    return sorted(found, key=lambda f: f.name)


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


@dataclass(frozen=True)
class RoundInbox:
    """One round's part of the inbox: its folder, and the prefix of its files' names (`2024/` in
    an inbox of year folders, so that names are unique across rounds; empty in a one-round inbox)."""

    year: int
    folder: Path
    prefix: str


def year_folders(inbox: Path) -> dict[int, Path]:
    """The inbox's `<year>/` folders (four digits), by year; empty for an inbox of one round."""
    if not inbox.is_dir():
        return {}
    return {
        int(entry.name): entry
        for entry in sorted(inbox.iterdir())
        if entry.is_dir() and re.fullmatch(r"(19|20)\d{2}", entry.name)
    }


def rounds_of(inbox: Path, single_year: int) -> dict[int, RoundInbox]:
    """Every round the inbox holds: one per year folder, or, without year folders, the whole
    inbox as round `single_year` (the contract's §5)."""
    folders = year_folders(inbox)
    if not folders:
        return {single_year: RoundInbox(single_year, inbox, "")}
    return {year: RoundInbox(year, folder, f"{year}/") for year, folder in folders.items()}


def round_folder(inbox: Path, year: int) -> Path:
    """Where round `year`'s files go: its year folder in an inbox of year folders, else the inbox."""
    return inbox / str(int(year)) if year_folders(inbox) else inbox
