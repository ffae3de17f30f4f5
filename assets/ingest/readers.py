"""Read any inbox file (xlsx, xls, csv in any Chinese encoding, docx) into sheets of text cells."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

import python_calamine

from assets.ingest.safety import Limits, Refused, check_archive, kind_of, refuse_disguise

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
CSV_SUFFIXES = {".csv", ".txt"}
WORD_SUFFIXES = {".docx"}
READABLE_SUFFIXES = SPREADSHEET_SUFFIXES | CSV_SUFFIXES | WORD_SUFFIXES


class UnreadableFile(Exception):
    """A file that cannot be read; the message says why, in Chinese, for the data steward."""


@dataclass
class Sheet:
    """One grid of text cells: a worksheet, a CSV file or a Word table."""

    name: str
    rows: list[list[str]]
    preamble: list[str] = field(default_factory=list)  # text above the grid (Word paragraphs)


def cell_text(value: object) -> str:
    """A cell as text, never losing digits: 13812345678.0 -> '13812345678', dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def utf16_without_bom(data: bytes) -> str | None:
    """`utf-16-le`/`utf-16-be` when text bytes alternate with zero bytes the way UTF-16 does."""
    sample = data[:4096]
    pairs = len(sample) // 2
    if pairs < 4:
        return None
    odd_zeros = sum(1 for i in range(1, 2 * pairs, 2) if sample[i] == 0)
    even_zeros = sum(1 for i in range(0, 2 * pairs, 2) if sample[i] == 0)
    if odd_zeros > 0.3 * pairs and even_zeros < 0.05 * pairs:
        return "utf-16-le"
    if even_zeros > 0.3 * pairs and odd_zeros < 0.05 * pairs:
        return "utf-16-be"
    return None


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes: UTF-16 (with a BOM, or recognisably without), UTF-8 (with or without BOM),
    else GB18030 (a GBK superset)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise UnreadableFile("文件标明为 UTF-16 编码，但内容已损坏（可能被截断）") from None
    if b"\x00" in data:
        encoding = utf16_without_bom(data)
        if encoding is None:
            raise UnreadableFile("文件含二进制内容，不是 CSV 文本")
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            raise UnreadableFile("文件像是 UTF-16 编码，但内容已损坏（可能被截断）") from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise UnreadableFile("文本编码无法识别（既不是 UTF-8 也不是 GBK/GB18030）")


def read_csv(path: Path) -> list[Sheet]:
    text, _ = decode_text(path.read_bytes())
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel
    rows = [list(row) for row in csv.reader(io.StringIO(text), dialect)]
    return [Sheet(name="", rows=rows)]


def read_spreadsheet(path: Path, renamed: bool = False) -> list[Sheet]:
    """Every sheet of a workbook; `renamed` when the content's format is not the extension's."""
    try:
        if renamed:  # e.g. an .xls saved under .xlsx: let calamine tell the format by content
            with path.open("rb") as handle:
                workbook = python_calamine.CalamineWorkbook.from_filelike(handle)
        else:
            workbook = python_calamine.load_workbook(str(path))
    except python_calamine.PasswordError:
        raise UnreadableFile("文件设有打开密码（已加密），无法读取；请取消密码后重新放入") from None
    except Exception as error:  # calamine raises several types for corrupt files
        raise UnreadableFile(
            f"表格文件损坏或格式不符（{type(error).__name__}: {error}）"
        ) from error
    sheets = []
    try:
        for name in workbook.sheet_names:
            try:
                grid = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
            except Exception as error:
                raise UnreadableFile(f"工作表“{name}”无法读取（{error}）") from error
            sheets.append(Sheet(name=name, rows=[[cell_text(c) for c in row] for row in grid]))
    finally:
        workbook.close()
    return sheets


def read_docx(path: Path) -> list[Sheet]:
    import docx  # python-docx; imported here because only city tables need it

    try:
        document = docx.Document(str(path))
    except Exception as error:
        raise UnreadableFile(f"Word 文件损坏或格式不符（{type(error).__name__}）") from error
    sheets: list[Sheet] = []
    preamble: list[str] = []
    body = document.element.body
    tables = {table._tbl: table for table in document.tables}
    paragraphs = {p._p: p for p in document.paragraphs}
    for child in body.iterchildren():
        if child in paragraphs:
            text = paragraphs[child].text.strip()
            if text:
                preamble.append(text)
        elif child in tables:
            rows = [[cell.text.strip() for cell in row.cells] for row in tables[child].rows]
            sheets.append(Sheet(name=f"表{len(sheets) + 1}", rows=rows, preamble=preamble))
            preamble = []
    if not sheets:
        raise UnreadableFile("Word 文件中没有表格（附件2应为一张表格）")
    return sheets


def read_sheets(path: Path, limits: Limits | None = None) -> list[Sheet]:
    """Read a file into sheets of text; raise UnreadableFile with the reason if it cannot be read.

    The content is checked before any parser sees it: what it really is (an HTML page or a CSV
    named .xls, an encrypted workbook), and how far a ZIP-based file inflates (`limits`)."""
    suffix = path.suffix.lower()
    if suffix not in READABLE_SUFFIXES:
        raise UnreadableFile(
            f"不支持的文件类型“{path.suffix or '无扩展名'}”（支持 xlsx、xls、csv、docx）"
        )
    if path.stat().st_size == 0:
        raise UnreadableFile("文件为空（0 字节）")
    if suffix in CSV_SUFFIXES:
        return read_csv(path)
    limits = limits or Limits.from_environment()
    try:
        kind = kind_of(path)
        expected = "ole" if suffix == ".xls" else "zip"
        if suffix in SPREADSHEET_SUFFIXES and kind in ("zip", "ole"):
            refuse_disguise(path, kind, kind)  # an encrypted Office file is an OLE container
            if kind == "zip":
                check_archive(path, limits)
            return read_spreadsheet(path, renamed=kind != expected)
        refuse_disguise(path, kind, expected)
        check_archive(path, limits)
    except Refused as error:
        raise UnreadableFile(str(error)) from None
    return read_docx(path)
