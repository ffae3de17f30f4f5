"""Submitted city tables, as the inbox holds them: every version kept with who and when; one active
per unit (read by the run; written by the city desk, `lingpao.citydesk.versions`).

A submission is kept in `inbox/submissions/<unit>/` under a new name (never over another file) and
logged in `inbox/submissions/versions.jsonl`, one line per event: `submit` (a new version, which
becomes the active one) or `rollback` (an earlier version made active again; nothing is deleted).
The active version of a unit is the table the rules read for it.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from lingpao.access.roles import Forbidden
from lingpao.access.viewer import Viewer
from lingpao.foundation.programme import Programme
from lingpao.ingest.safety import CITY_TABLE

FOLDER = "submissions"
LOG = "versions.jsonl"
SUFFIXES = (".xlsx", ".xls", ".docx", ".doc", ".wps", ".et")  # the last three via LibreOffice
MAX_BYTES = CITY_TABLE.file_mb << 20  # a 附件2 table of a few thousand rows is well under 1 MB


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


# Characters that change how a name looks, not what it says: controls, format characters such as the
# right-to-left override U+202E (which makes `…xslx.exe` look like `…exe.xlsx`), line separators.
_INVISIBLE = {"Cc", "Cf", "Co", "Cs", "Zl", "Zp"}


def plain_name(name: str) -> str:
    """A file name as people should read it: the last part of the path, NFC, without invisible or
    direction-changing characters."""
    base = Path(str(name).replace("\\", "/")).name
    base = unicodedata.normalize("NFC", base)
    return "".join(ch for ch in base if unicodedata.category(ch) not in _INVISIBLE).strip()


class SubmittedTables:
    """The submitted versions of every unit's table, in an inbox (read only)."""

    def __init__(self, inbox: Path, programme: Programme) -> None:
        self.inbox, self.programme = Path(inbox), programme
        self.folder = self.inbox / FOLDER
        self.log = self.folder / LOG

    # reading ---------------------------------------------------------------------------------

    def events(self) -> list[Event]:
        """Every event in order (a damaged line is left out, and named by `problems`)."""
        return self._read()[0]

    def problems(self, unit: str | None = None) -> list[str]:
        """What is wrong with the log, in Chinese: lines that cannot be read (e.g. cut short by a
        crash or a full disk), and kept files that no line of the log names. Of one unit: only
        its files (a damaged line may be any unit's)."""
        damaged = [] if unit else self._read()[1]
        named = {v.file for v in self.versions()}
        unlisted = [
            path
            for path in sorted(self.folder.glob(f"{unit or '*'}/v[0-9]*_*"))
            if path.is_file() and path.relative_to(self.inbox).as_posix() not in named
        ]
        return [
            *(f"版本记录第{n}行无法读取（可能在写入时中断），已跳过" for n in damaged),
            *(
                f"{path.parent.name}已保存的文件“{path.name}”没有版本记录（上报时可能中断），未使用"
                for path in unlisted
            ),
        ]

    def _read(self) -> tuple[list[Event], list[int]]:
        """(the events of the log's readable lines, the numbers of the lines that are not)."""
        if not self.log.exists():
            return [], []
        found, damaged = [], []
        text = self.log.read_bytes().decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
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
            except (ValueError, KeyError, TypeError, AttributeError):
                damaged.append(number)
        return [e for e in found if e.unit in self.programme.units], damaged

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
