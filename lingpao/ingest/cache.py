"""The parsed-file cache: each inbox file is read once per content; its rows wait in raw tables.

A run lists the inbox and hashes every file; a file whose content (for a city table: content and
name, as the name may tell the unit) is in the cache is not read again. Rows of files that left the
inbox are dropped. A change of the programme file or of the reading code (`PARSER`) empties the
cache, as does `full=True`. `inbox_files` is then written: every entry, read or not, and why.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from lingpao.foundation.programme import DEFAULT_CLUSTERS, Programme
from lingpao.foundation.schema import columns
from lingpao.ingest.city_tables import parse_city_table
from lingpao.ingest.convert import conversion_note, needs_conversion
from lingpao.ingest.inbox import FOLDERS, InboxFile, list_files, snapshot_time, stamp_from_name
from lingpao.ingest.normalise import install
from lingpao.ingest.platform import parse_platform
from lingpao.ingest.readers import UnreadableFile, open_sheets
from lingpao.ingest.registry import parse_list, registry_kind
from lingpao.ingest.safety import Limits
from lingpao.ingest.submissions import FOLDER, SubmittedTables, Version
from lingpao.warehouse.connection import append_rows, create_table, replace_table
from lingpao.warehouse.rounds import tables_here
from lingpao.warehouse.stamps import forget_all

log = logging.getLogger("lingpao.ingest")
PARSER = "2026-12-01.1"
LARGE_FILE = (
    4 << 20
)  # bytes: a scan commits after reading a file this large  # change when reading gives different rows for the same file
CACHE_TABLES = ("file_cache", "raw_platform", "raw_city", "raw_pool", "raw_clusters")
KIND = {"platform": "platform_snapshot", "cities": "city_table"}
SHIPPED_NAME = "shipped:data/reference/clusters.csv"


@dataclass
class ScanReport:
    """What a scan did: files read now, files whose cached rows were reused, entries dropped."""

    parsed: int = 0
    reused: int = 0
    dropped: int = 0
    rebuilt: bool = False
    shipped_clusters: str = ""


def content_hash(path: Path, salt: str) -> str:
    """A hash of a file's bytes (streamed) and of what else decides how it is read."""
    digest = hashlib.blake2b(salt.encode("utf-8"), digest_size=16)
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def salt_of(entry: InboxFile, kind: str) -> str:
    """What besides the bytes decides how a file is read: its folder and kind, and for a city table
    the unit it was submitted for, else its name (the name may tell the unit)."""
    told = f"unit={entry.unit}" if entry.unit else entry.path.name
    return f"{entry.folder}|{kind}|{told if entry.folder == 'cities' else ''}"


def parser_stamp(programme: Programme) -> str:
    """Changes with the reading code and with the programme file (its header mappings, units...)."""
    facts = json.dumps(programme.raw, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha1(f"{PARSER}|{facts}".encode()).hexdigest()[:16]


def prepare_cache(
    conn: duckdb.DuckDBPyConnection, programme: Programme, stamp: str, full: bool
) -> bool:
    """Create the cache tables, emptying them when asked or when made by another parser; True
    when the cache starts empty."""
    stale = full or not set(CACHE_TABLES) <= tables_here(conn)
    if not stale:
        stamps = {r[0] for r in conn.execute("SELECT DISTINCT parser FROM file_cache").fetchall()}
        stale = bool(stamps - {stamp})
        for table in CACHE_TABLES:  # a schema change (e.g. new header mappings) also rebuilds
            have = [r[0] for r in conn.execute(f"DESCRIBE {table}").fetchall()]
            stale = stale or have != list(columns(table, programme))
    if stale:
        for table in CACHE_TABLES:
            create_table(conn, table, programme)
        forget_all(conn)  # and every table built from the cache is built again
    return stale


def parse_file(
    conn: duckdb.DuckDBPyConnection,
    entry: InboxFile,
    kind: str,
    file_hash: str,
    programme: Programme,
    limits: Limits | None,
) -> dict:
    """Read one file into the raw tables; its cache row (read or unreadable). The rows of a file that
    cannot be read are removed again, so nothing of it stays half-read."""
    path, folder = entry.path, entry.folder
    if limits is None and folder == "cities":
        limits = Limits.city_table()  # a unit's table: a few thousand rows, refused fast if more
    try:
        with open_sheets(path, limits) as sheets:
            if folder == "platform":
                fields = parse_platform(conn, sheets, file_hash, programme)
            elif folder == "cities":
                fields = parse_city_table(
                    conn, sheets, file_hash, path.stem, programme, unit=entry.unit
                )
            else:
                fields = parse_list(conn, sheets, file_hash, kind, programme)
    except UnreadableFile as error:
        fields = {"status": "unreadable", "reason": str(error)}
    except Exception:  # a file must never stop the run: report what went wrong
        log.warning("reading %s failed", path, exc_info=True)
        fields = {
            "status": "unreadable",
            "reason": "读取时出错，请另存后重新放入；详情见运行日志",
        }
    if fields["status"] != "read":
        for table in CACHE_TABLES[1:]:
            conn.execute(f"DELETE FROM {table} WHERE file_hash = ?", [file_hash])
    elif needs_conversion(path):
        fields["reason"] = "；".join(filter(None, [conversion_note(path), fields.get("reason")]))
    return {"rows": 0, **fields}


FileProgress = Callable[[str, int, int], None]  # (file name, its number, how many entries)


def scan_inbox(
    conn: duckdb.DuckDBPyConnection,
    inbox: Path,
    programme: Programme,
    limits: Limits | None = None,
    full: bool = False,
    on_file: FileProgress | None = None,
    prefix: str = "",
) -> ScanReport:
    """List and hash the inbox (a round's folder), read files not cached yet, drop the rest, write
    `inbox_files`; `on_file` hears of each file about to be read (a terminal or a page shows where
    a long scan is). Files are named relative to the round's folder after `prefix` (`2024/` in an
    inbox of year folders), so that a file's name, and the keys of its rows, are unique across
    rounds."""
    install(conn, programme)
    conn.execute("BEGIN TRANSACTION")  # one commit for the small files, one after each large file
    try:
        report = _scan(conn, inbox, programme, limits, full, on_file, prefix)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return report


def _scan(
    conn,
    inbox: Path,
    programme: Programme,
    limits: Limits | None,
    full: bool,
    on_file: FileProgress | None = None,
    prefix: str = "",
) -> ScanReport:
    stamp = parser_stamp(programme)
    report = ScanReport(rebuilt=prepare_cache(conn, programme, stamp, full))
    cached = {r[0] for r in conn.execute("SELECT file_hash FROM file_cache").fetchall()}
    submitted = SubmittedTables(inbox, programme)
    active = submitted.active()
    entries = [entry for folder in FOLDERS for entry in list_files(inbox, folder)]
    entries += [
        InboxFile(path=inbox / version.file, folder="cities", name=version.file, unit=unit)
        for unit, version in sorted(active.items())
    ]
    shipped = InboxFile(path=DEFAULT_CLUSTERS, folder="reference", name=SHIPPED_NAME)
    listing, current = earlier_versions(submitted, active) + log_problems(submitted), set()
    for number, entry in enumerate([*entries, shipped], start=1):
        folder = entry.folder
        kind = KIND.get(folder) or registry_kind(entry.path) or "registry"
        if folder == "reference":
            kind = "clusters"
        record = {
            "source_file": entry.name,
            "folder": folder,
            "kind": kind,
            "modified_at": entry.modified_at,
        }
        if folder == "platform" and not (entry.skipped or entry.problem):
            record["snapshot_at"], record["snapshot_time_from"] = snapshot_time(
                entry, programme.timezone
            )
        if entry.skipped or entry.problem:
            record.update(
                status="skipped" if entry.skipped else "unreadable",
                reason=entry.skipped or entry.problem,
                rows=0,
            )
        elif folder == "registry" and registry_kind(entry.path) is None:
            record.update(
                status="ignored",
                rows=0,
                reason="不是已知的参考名单（应命名为 pool.* 或 clusters.*）",
            )
        else:
            file_hash = content_hash(entry.path, salt_of(entry, kind))
            record.update(file_hash=file_hash, size_bytes=entry.path.stat().st_size)
            current.add(file_hash)
            if file_hash in cached:
                report.reused += 1
            else:
                if on_file is not None:
                    on_file(Path(entry.name).name, number, len(entries) + 1)
                fields = parse_file(conn, entry, kind, file_hash, programme, limits)
                row = {
                    "file_hash": file_hash,
                    "folder": folder,
                    "kind": kind,
                    "parser": stamp,
                    **fields,
                }
                append_rows(conn, "file_cache", pd.DataFrame([row]), programme)
                cached.add(file_hash)
                report.parsed += 1
                if record["size_bytes"] > LARGE_FILE:  # its rows to disk, not held until the end
                    conn.execute("COMMIT")
                    pa.default_memory_pool().release_unused()
                    conn.execute("BEGIN TRANSACTION")
            if folder == "reference":
                report.shipped_clusters = file_hash
                continue  # the shipped list is not an inbox file
        listing.append(record)
    report.dropped = drop_stale(conn, current)
    for record in listing:
        record["source_file"] = prefix + record["source_file"]
    write_inbox_files(conn, listing, programme)
    supersede_resent_tables(conn, programme, prefix)
    supersede_sent_tables(conn, active, prefix)
    write_versions(conn, submitted, active, programme, prefix)
    return report


def earlier_versions(submitted: SubmittedTables, active: dict[str, Version]) -> list[dict]:
    """Submitted versions not read (a newer one, or the one rolled back to, is), for `inbox_files`."""
    return [
        {
            "source_file": v.file,
            "folder": "cities",
            "kind": "city_table",
            "status": "superseded",
            "city": v.unit,
            "unit_from": "submission",
            "rows": 0,
            "reason": f"{v.unit}第{v.version}版汇总表，现以第{active[v.unit].version}版为准",
        }
        for v in submitted.versions()
        if v.unit in active and active[v.unit].version != v.version
    ]


def log_problems(submitted: SubmittedTables) -> list[dict]:
    """The submissions log's damage and the kept files it does not name, for `inbox_files`: a
    submission cut short is reported, never silently lost."""
    problems = submitted.problems()
    if not problems:
        return []
    return [
        {
            "source_file": f"{FOLDER}/{submitted.log.name}",
            "folder": "cities",
            "kind": "city_table",
            "status": "unreadable",
            "rows": 0,
            "reason": "；".join(problems),
        }
    ]


FORMAT_PREFERENCE = {".xlsx": 0, ".xls": 1, ".docx": 2}  # the same table sent in two formats


def supersede_resent_tables(
    conn: duckdb.DuckDBPyConnection, programme: Programme, prefix: str = ""
) -> list[str]:
    """A unit that sent its table more than once (a corrected copy under another name, the same
    table as .docx and .xlsx): its newest file is its table, the others are superseded and never
    counted. Newest by the time the file arrived (modified), then by a `…YYYYMMDD…` in its name,
    then a workbook before a Word file. Returns the superseded files."""
    rows = conn.execute(
        "SELECT source_file, city, modified_at FROM inbox_files "
        "WHERE folder = 'cities' AND status = 'read' AND source_file NOT LIKE ?",
        [f"{prefix}{FOLDER}/%"],
    ).fetchall()
    by_unit: dict[str, list[tuple]] = {}
    for name, city, modified in rows:
        for unit in (city or "").split("、"):
            if unit:
                by_unit.setdefault(unit, []).append((name, modified))

    def newness(item: tuple) -> tuple:
        name, modified = item
        stamp = stamp_from_name(Path(name).name, programme.timezone)
        suffix = FORMAT_PREFERENCE.get(Path(name).suffix.lower(), 9)
        return (
            modified or dt.datetime.min.replace(tzinfo=dt.UTC),
            stamp is not None,
            stamp or dt.datetime.min.replace(tzinfo=dt.UTC),
            -suffix,
            name,
        )

    newest = {unit: max(files, key=newness) for unit, files in by_unit.items() if len(files) > 1}
    superseded: dict[str, str] = {}
    for name, city, _ in rows:
        units = [u for u in (city or "").split("、") if u]
        beaten = [u for u in units if u in newest and newest[u][0] != name]
        if units and len(beaten) == len(units):
            newer = "、".join(sorted({f"“{Path(newest[u][0]).name}”" for u in beaten}))
            superseded[name] = f"{city}另有较新的汇总表 {newer}，以较新的为准（本文件未使用）"
    for name, reason in superseded.items():
        conn.execute(
            "UPDATE inbox_files SET status = 'superseded', reason = ? WHERE source_file = ?",
            [reason, name],
        )
    return sorted(superseded)


def supersede_sent_tables(
    conn: duckdb.DuckDBPyConnection, active: dict[str, Version], prefix: str = ""
) -> None:
    """A table put in `cities/` for a unit that has submitted online is not read: the active
    submitted version is the unit's table."""
    for unit, version in active.items():
        conn.execute(
            """UPDATE inbox_files SET status = 'superseded',
                   reason = ? || '已在网上报送汇总表，以报送的第' || ? || '版为准（本文件未使用）'
               WHERE folder = 'cities' AND status = 'read' AND source_file NOT LIKE ?
                 AND list_contains(string_split(coalesce(city, ''), '、'), ?)""",
            [unit, version.version, f"{prefix}{FOLDER}/%", unit],
        )


def write_versions(
    conn: duckdb.DuckDBPyConnection,
    submitted: SubmittedTables,
    active: dict[str, Version],
    programme: Programme,
    prefix: str = "",
) -> None:
    """`city_table_versions`: every submitted version, who and when, late or not, and which is read."""
    frame = pd.DataFrame.from_records(
        [
            {
                **asdict(v),
                "file": prefix + v.file,
                "submitted_by": v.who,
                "submitted_at": pd.Timestamp(v.submitted_at),
                "active": active.get(v.unit) == v,
            }
            for v in submitted.versions()
        ]
    ).reindex(columns=list(columns("city_table_versions", programme)))
    replace_table(conn, "city_table_versions", frame, programme)


def drop_stale(conn: duckdb.DuckDBPyConnection, current: set[str]) -> int:
    """Forget the cached rows of contents no longer in the inbox; returns how many files."""
    keep = sorted(current)
    stale = conn.execute(
        "SELECT count(*) FROM file_cache WHERE file_hash NOT IN (SELECT unnest(?::VARCHAR[]))",
        [keep],
    ).fetchall()[0][0]
    if stale:
        for table in CACHE_TABLES:
            conn.execute(
                f"DELETE FROM {table} WHERE file_hash NOT IN (SELECT unnest(?::VARCHAR[]))", [keep]
            )
    return int(stale)


def write_inbox_files(
    conn: duckdb.DuckDBPyConnection, listing: list[dict], programme: Programme
) -> int:
    """`inbox_files`: every entry as listed, with what reading its content gave (from the cache)."""
    frame = pd.DataFrame.from_records(listing).reindex(
        columns=list(columns("inbox_files", programme))
    )
    frame["rows"] = frame["rows"].astype("Int64")
    frame["size_bytes"] = frame["size_bytes"].astype("Int64")
    replace_table(conn, "inbox_files", frame, programme)
    conn.execute(
        """UPDATE inbox_files f SET status = c.status, reason = c.reason, sheets = c.sheets,
               rows = c.rows, city = c.city, unit_from = c.unit_from,
               unmapped_headers = c.unmapped_headers
           FROM file_cache c WHERE c.file_hash = f.file_hash"""
    )
    return int(conn.execute("SELECT count(*) FROM inbox_files").fetchall()[0][0])
