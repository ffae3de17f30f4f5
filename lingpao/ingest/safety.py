"""Look before reading: what a file really is, and whether a ZIP-based one inflates to a sane size.

Every check reads bounded amounts: a workbook that would inflate past the limits (a "zip bomb") is
reported without being inflated in memory; headers that lie about sizes are caught by inflating
each member as a stream with a cap.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from lingpao.foundation.settings import Settings

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
HTML_STARTS = (b"<!doctype html", b"<html", b"<table", b"<head", b"<meta", b"<body", b"<div")
ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
CHUNK = 1 << 20
LOCAL_HEADER = struct.Struct("<4s5H3L2H")


class Refused(Exception):
    """The file must not be read; the message (Chinese) says why and what to do."""


@dataclass(frozen=True)
class Limits:
    """How large a file may be before it is read: its size on disk, how far a ZIP-based file may
    inflate (in total, and as a ratio for a large member), and how many rows a worksheet says it
    has. Checked before any parser sees the file, so a refusal costs a fraction of a second."""

    inflated_mb: int = 1024
    ratio: int = 100
    ratio_from_mb: int = 50  # a member smaller than this may compress as well as it likes
    file_mb: int | None = None  # the file itself
    rows: int | None = None  # rows per worksheet, from the sheet's own dimension

    @classmethod
    def from_environment(cls) -> Limits:
        """The limits for any inbox file (platform exports can be national-size)."""
        settings = Settings.load()
        return cls(
            inflated_mb=int(settings.number("LINGPAO_MAX_INFLATED_MB", cls.inflated_mb)),
            ratio=int(settings.number("LINGPAO_MAX_ZIP_RATIO", cls.ratio)),
        )

    @classmethod
    def city_table(cls) -> Limits:
        """The limits fit for one unit's 附件2: a few thousand rows, well under a megabyte; the
        same for the city desk's uploads, `lingpao check` and the tables in `cities/`."""
        return CITY_TABLE


# A unit's table lists its applications: a few thousand rows at most, under 1 MB as xlsx.
CITY_TABLE = Limits(inflated_mb=16, ratio=100, ratio_from_mb=4, file_mb=20, rows=20_000)


def check_size(path: Path, limits: Limits) -> None:
    """Raise Refused when the file is larger than `limits.file_mb`."""
    if limits.file_mb is not None and path.stat().st_size > limits.file_mb << 20:
        raise Refused(
            f"文件过大（{path.stat().st_size / 2**20:.1f} MB，上限 {limits.file_mb} MB），未读取；"
            "汇总表通常不到 1 MB，请核对文件"
        )


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension[^>]*\bref=\"[A-Z]+(\d+)(?::[A-Z]+(\d+))?\"")


def check_rows(path: Path, limits: Limits) -> None:
    """Raise Refused when a worksheet of an xlsx says it has more rows than `limits.rows` (read
    from the first bytes of each sheet: its `<dimension>`)."""
    if limits.rows is None:
        return
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                if not (member.startswith("xl/worksheets/") and member.endswith(".xml")):
                    continue
                with archive.open(member) as handle:
                    found = _DIMENSION.search(handle.read(4096))
                if found:
                    rows = int(found.group(2) or found.group(1))
                    if rows > limits.rows:
                        raise Refused(
                            f"工作表有 {rows:,} 行，超过汇总表的上限 {limits.rows:,} 行，未读取；"
                            "请核对文件是否为本单位的汇总表"
                        )
    except (zipfile.BadZipFile, zlib.error, EOFError):
        raise Refused(
            "文件不完整或已损坏（压缩结构有误），可能下载或复制中断；请重新导出或复制"
        ) from None


def kind_of(path: Path) -> str:
    """What the bytes are: zip, ole (xls, or an encrypted Office file), html, xml, text or binary."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head.startswith(ZIP_MAGIC):
        return "zip"
    if head.startswith(OLE_MAGIC):
        return "ole"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith(HTML_STARTS):
        return "html"
    if stripped.startswith(b"<?xml"):
        return "html" if b"<html" in stripped else "xml"
    if b"\x00" not in head and b"\n" in head and any(d in head for d in (b",", b"\t", b";")):
        if any(_decodes(head, encoding) for encoding in ("utf-8", "gb18030")):
            return "text"
    return "binary"


def _decodes(head: bytes, encoding: str) -> bool:
    """True when the bytes are text in `encoding` (the last few may split a character)."""
    for cut in range(4):
        try:
            head[: len(head) - cut].decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


def is_encrypted_office(path: Path) -> bool:
    """An OLE container holding an `EncryptedPackage` stream: an Office file with an open password."""
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            if ENCRYPTED_STREAM in block:
                return True
    return False


DISGUISES = {
    "html": "文件内容是网页（HTML），不是{what}；请在平台重新导出为 xlsx 或 csv，或用 Excel 打开后另存为 .xlsx",
    "xml": "文件内容是 XML（可能是 Excel 2003 XML 表格），不是支持的格式；请用 Excel 打开后另存为 .xlsx",
    "text": "文件内容是逗号或制表符分隔的文本（CSV），扩展名却是{what}；请将扩展名改为 .csv 后重新放入",
    "binary": "文件不是有效的{what}（内容无法识别），可能已损坏或是其他类型的文件改了扩展名",
}


def refuse_disguise(path: Path, kind: str, expected: str) -> None:
    """Raise Refused for content that is not what the extension promises (and not readable as is)."""
    if kind == "ole" and is_encrypted_office(path):
        raise Refused("文件设有打开密码（已加密），无法读取；请取消密码后重新放入")
    if kind in DISGUISES:
        what = "Word 文件" if path.suffix.lower() in (".docx", ".doc", ".wps") else "Excel 表格"
        raise Refused(DISGUISES[kind].format(what=what))
    if kind != expected:
        raise Refused(
            f"文件内容与扩展名不符（应为 {expected.upper()} 格式），请另存为正确格式后重新放入"
        )


def _inflated(handle, info: zipfile.ZipInfo, cap: int) -> int:
    """Bytes a member really inflates to, reading its compressed data as a stream; stops past `cap`."""
    handle.seek(info.header_offset)
    header = LOCAL_HEADER.unpack(handle.read(LOCAL_HEADER.size))
    handle.seek(info.header_offset + LOCAL_HEADER.size + header[9] + header[10])
    left = info.compress_size
    if info.compress_type == zipfile.ZIP_STORED:
        return left
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise Refused(f"压缩方式不受支持（{info.compress_type}），无法安全读取")
    inflater, total = zlib.decompressobj(-15), 0
    while left > 0 and total <= cap:
        block = handle.read(min(CHUNK, left))
        if not block:
            break
        left -= len(block)
        data = block
        while data and total <= cap:
            total += len(inflater.decompress(data, CHUNK))
            data = inflater.unconsumed_tail
    return total


def check_archive(path: Path, limits: Limits) -> None:
    """Raise Refused when a ZIP-based file is damaged or would inflate past the limits."""
    cap = limits.inflated_mb << 20
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            declared = sum(m.file_size for m in members)
            if declared > cap:
                raise Refused(
                    f"解压后过大（约 {declared >> 20} MB，上限 {limits.inflated_mb} MB），"
                    "疑为压缩炸弹或异常文件，未读取"
                )
            total = 0
            with path.open("rb") as handle:
                for member in members:
                    size = _inflated(handle, member, cap - total)
                    total += size
                    ratio = size / max(member.compress_size, 1)
                    if total > cap or (size > limits.ratio_from_mb << 20 and ratio > limits.ratio):
                        raise Refused(
                            f"解压后过大（“{member.filename}”至少 {size >> 20} MB，压缩比 {ratio:.0f}:1），"
                            "疑为压缩炸弹，未读取"
                        )
    except (zipfile.BadZipFile, zlib.error, struct.error, EOFError):
        raise Refused(
            "文件不完整或已损坏（压缩结构有误），可能下载或复制中断；请重新导出或复制"
        ) from None
