"""A corpus of broken and tricky inbox entries, each with what a run must say of it.

Zip bombs (honest and lying headers), encrypted, truncated, disguised (HTML or CSV under a workbook
name), Word files without a table, damaged UTF-16, header-only tables, editor lock files, folders
and dangling links named like tables. Written beside a good inbox: every good file must still land.
"""

from __future__ import annotations

import os
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lingpao.sample.files import CITY_HEADERS, PLATFORM_HEADERS
from lingpao.sample.writers import write_csv, write_docx, write_xlsx

CHUNK_ROW = '<row><c t="inlineStr"><is><t>炸弹</t></is></c></row>' * 2000


@dataclass(frozen=True)
class Expected:
    """What a run must log for one entry: its status and words of its reason."""

    status: str  # unreadable | skipped | read (a table with no rows: `table_empty`)
    reason: str


def _bomb(path: Path, member: str, megabytes: int) -> None:
    """A ZIP whose one member inflates to about `megabytes` of repetitive XML (written as a stream)."""
    block = CHUNK_ROW.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open(member, "w") as handle:  # under 2 GiB: sizes in the plain headers
            handle.write(b"<worksheet><sheetData>")
            for _ in range((megabytes << 20) // len(block)):
                handle.write(block)
            handle.write(b"</sheetData></worksheet>")


def _lying_bomb(path: Path, megabytes: int) -> None:
    """A bomb whose headers claim its member is 1 KB: only inflating it tells the truth."""
    name = b"xl/worksheets/sheet1.xml"
    _bomb(path, name.decode(), megabytes)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        struct.pack_into("<L", data, archive.getinfo(name.decode()).header_offset + 22, 1024)
    central = data.find(b"PK\x01\x02")
    while central != -1:  # the central directory entry of the member says the same
        length = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + length] == name:
            struct.pack_into("<L", data, central + 24, 1024)
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))


def _encrypted(path: Path) -> None:
    """An Office file with an open password: an OLE (CFB) container holding `EncryptionInfo` and
    `EncryptedPackage` streams, the ciphertext being random bytes."""
    sector, free, end, fat = 512, 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
    payload = os.urandom(8 * sector)
    header = bytearray(sector)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6, 0)
    struct.pack_into("<LLLLLLLLL", header, 40, 0, 1, 1, 0, 4096, end, 0, end, 0)
    struct.pack_into("<L", header, 76, 0)  # the FAT is sector 0
    struct.pack_into("<108L", header, 80, *([free] * 108))
    table = [fat, end, *range(3, 9), end, end] + [free] * (128 - 10)
    fat_sector = struct.pack("<128L", *table)

    def entry(name: str, kind: int, start: int, size: int, child: int = free, right: int = free):
        raw = bytearray(128)
        encoded = (name + "\0").encode("utf-16-le")
        raw[0 : len(encoded)] = encoded
        struct.pack_into("<HBB", raw, 64, len(encoded), kind, 1)
        struct.pack_into("<LLL", raw, 68, free, right, child)
        struct.pack_into("<LL", raw, 116, start, size)
        return bytes(raw)

    directory = (
        entry("Root Entry", 5, end, 0, child=1)
        + entry("EncryptedPackage", 2, 2, 7 * sector, right=2)
        + entry("EncryptionInfo", 2, 9, sector)
        + bytes(128)
    )
    path.write_bytes(bytes(header) + fat_sector + directory + payload)


def _good_xlsx(path: Path, headers: list[str], rows: list[list], title: str | None = None) -> None:
    grid = ([[title]] if title else []) + [headers, *rows]
    write_xlsx(path, [("表1", grid, 1 if title else 0)])


def write_broken_corpus(inbox: Path) -> dict[str, Expected]:
    """Write the broken entries into inbox/{platform,cities,registry}; their names → Expected."""
    platform, cities, registry = (inbox / f for f in ("platform", "cities", "registry"))
    for folder in (platform, cities, registry):
        folder.mkdir(parents=True, exist_ok=True)
    expected: dict[str, Expected] = {}

    def put(name: str, status: str, reason: str) -> Path:
        expected[name] = Expected(status, reason)
        return inbox / name

    _bomb(
        put("platform/炸弹_20230802.xlsx", "unreadable", "解压后过大"),
        "xl/worksheets/sheet1.xml",
        490,
    )
    _lying_bomb(put("platform/谎报大小_20230802.xlsx", "unreadable", "解压后过大"), 160)
    good = inbox / "platform" / "完整_20230803.xlsx"
    _good_xlsx(good, PLATFORM_HEADERS, [["LPB1", "某公司"]])
    data = good.read_bytes()
    good.unlink()
    put("platform/截断_20230803.xlsx", "unreadable", "不完整或已损坏").write_bytes(
        data[: len(data) // 2]
    )
    put("platform/网页_20230804.xls", "unreadable", "网页（HTML）").write_text(
        "<html><body><table><tr><td>申报编号</td></tr></table></body></html>", encoding="utf-8"
    )
    put("platform/文本_20230805.xlsx", "unreadable", "CSV").write_text(
        "申报编号,企业名称\nLP1,某公司\n", encoding="utf-8"
    )
    _encrypted(put("platform/加密_20230806.xlsx", "unreadable", "加密"))
    put("platform/空文件_20230807.csv", "unreadable", "为空").write_bytes(b"")
    write_csv(put("platform/只有表头_20230808.csv", "read", ""), [PLATFORM_HEADERS], "utf-8")
    put("platform/坏UTF16_20230809.csv", "unreadable", "UTF-16").write_bytes(
        "\ufeff申报编号".encode("utf-16-le") + b"\x00\xd8A"
    )
    put("platform/图片_20230810.csv", "unreadable", "二进制").write_bytes(
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(64)
    )
    put("platform/乱码_20230811.xls", "unreadable", "不是有效的").write_bytes(os.urandom(2048))
    put("platform/说明.pdf", "unreadable", "不支持").write_bytes(b"%PDF-1.4\n")
    with zipfile.ZipFile(
        put("platform/压缩包_20230812.xlsx", "unreadable", "损坏或格式不符"), "w"
    ) as z:
        z.writestr("readme.txt", "不是工作簿")
    with zipfile.ZipFile(
        put("platform/坏XML_20230813.xlsx", "unreadable", "损坏或格式不符"), "w"
    ) as z:
        z.writestr("[Content_Types].xml", "<Types")
        z.writestr("xl/workbook.xml", "<workbook><sheets><sheet")
    put("platform/~$平台导出_20230801.xlsx", "skipped", "临时锁文件").write_bytes(b"\x00" * 162)
    put("platform/.~lock.平台导出_20230801.xlsx#", "skipped", "临时锁文件").write_text("x,y;")
    put("platform/文件夹_20230814.xlsx", "unreadable", "文件夹").mkdir()
    os.symlink(inbox / "nowhere.xlsx", put("platform/链接_20230815.xlsx", "unreadable", "链接"))

    _bomb(put("cities/保定炸弹.docx", "unreadable", "解压后过大"), "word/document.xml", 200)
    import docx  # a Word file with the title but no table

    document = docx.Document()
    document.add_paragraph("唐山市推荐“领跑者”企业培育及认定申报汇总表")
    document.save(str(put("cities/唐山.docx", "unreadable", "没有表格")))
    write_docx(inbox / "cities" / "邯郸.docx", "邯郸市推荐汇总表", [CITY_HEADERS, ["1", "某公司"]])
    data = (inbox / "cities" / "邯郸.docx").read_bytes()
    put("cities/邯郸.docx", "unreadable", "不完整或已损坏").write_bytes(data[: len(data) // 3])
    _good_xlsx(  # a unit whose other table is unreadable: this one is its only table
        put("cities/张家口.xlsx", "read", ""),
        CITY_HEADERS,
        [["…"], ["注：本表由市级工信部门填报"]],
        "张家口市推荐“领跑者”企业培育及认定申报汇总表",
    )
    put("cities/衡水.xls", "unreadable", "网页（HTML）").write_text(
        "<!DOCTYPE html><table><tr><td>企业名称</td></tr></table>", encoding="utf-8"
    )
    put("cities/承德.xlsx", "unreadable", "CSV").write_text(
        "序号\t企业名称\n1\t某公司\n", encoding="gb18030"
    )
    _good_xlsx(
        put("cities/汇总表_无单位.xlsx", "unreadable", "无法判断所属市"),
        CITY_HEADERS,
        [["1", "某公司", "91130100MA0000000Y"]],
        "推荐汇总表",
    )
    _good_xlsx(put("cities/廊坊.xlsx", "unreadable", "未找到附件2表头"), ["甲", "乙"], [["1", "2"]])
    put("cities/~$秦皇岛.xlsx", "skipped", "临时锁文件").write_bytes(b"\x00" * 162)
    put("cities/邢台.doc", "unreadable", "不是有效的Word 文件").write_bytes(b"\xd0\xcf\x11\xe0")
    _encrypted(put("cities/张家口.docx", "unreadable", "加密"))
    put("cities/.DS_Store", "skipped", "隐藏文件").write_bytes(b"\x00\x00\x00\x01Bud1")

    put("registry/clusters.xlsx", "unreadable", "不完整或已损坏").write_bytes(
        b"PK\x03\x04" + bytes(60)
    )
    return expected
