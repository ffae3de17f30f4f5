"""Read any inbox file (xlsx, xls, csv in any Chinese encoding, docx) as sheets of text cells.

A sheet keeps its first rows in memory (to find the title and the header) and streams the rest, so a
large export is never held whole as Python objects: `open_sheets` is a context manager that keeps
the file open while its sheets are read.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import fastexcel
import pyarrow as pa
import pyarrow.csv as pacsv
import python_calamine

from lingpao.ingest.convert import OLD_FORMATS, converted
from lingpao.ingest.safety import (
    Limits,
    Refused,
    check_archive,
    check_rows,
    check_size,
    kind_of,
    refuse_disguise,
)
from lingpao.ingest.safety import (
    is_encrypted_office as is_encrypted,
)

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
CSV_SUFFIXES = {".csv", ".txt"}
WORD_SUFFIXES = {".docx"}
READABLE_SUFFIXES = SPREADSHEET_SUFFIXES | CSV_SUFFIXES | WORD_SUFFIXES | set(OLD_FORMATS)
HEAD_ROWS = 30  # the header is looked for in these; a title above it too
SAMPLE_BYTES = 1 << 16


class UnreadableFile(Exception):
    """A file that cannot be read; the message says why, in Chinese, for the data steward."""


class MultiLineRecords(Exception):
    """A CSV whose records are not one line each: read it again record by record (exact rows)."""


def cell_text(value: object) -> str:
    """A cell as text, never losing digits: 13812345678.0 -> '13812345678', dates as ISO."""
    if value.__class__ is str:
        return value
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


class Sheet:
    """One grid of cells (a worksheet, a CSV file, a Word table): its name, the text above it,
    its first rows as text (`head`), and the rows after any of them on demand (`rows_after`)."""

    def __init__(self, name: str, rows: Iterator[list], preamble: list[str] | None = None) -> None:
        self.name = name
        self.preamble = preamble or []
        self._rows = iter(rows)
        self.head: list[list[str]] = []
        for row in self._rows:
            self.head.append([cell_text(v) for v in row])
            if len(self.head) == HEAD_ROWS:
                break

    def rows_after(self, index: int) -> Iterator[tuple[int, list]]:
        """(1-based row number, raw cells) of every row below row `index` (0-based), once."""
        for position in range(index + 1, len(self.head)):
            yield position + 1, self.head[position]
        number = len(self.head)
        for row in self._rows:
            number += 1
            yield number, row

    @property
    def rows(self) -> list[list[str]]:
        """Every row as text (reads the rest of the sheet: for small tables and tests)."""
        return self.head + [
            [cell_text(v) for v in row] for _, row in self.rows_after(len(self.head) - 1)
        ]


class ArrowSheet(Sheet):
    """A worksheet read whole as Arrow text columns (fastexcel): `grid` holds its used range, whose
    first row is sheet row `first_row` (0-based) and whose columns are named by absolute index."""

    def __init__(self, name: str, grid: pa.Table, first_row: int) -> None:
        self.grid, self.first_row = grid, first_row
        self.width = max((int(c) for c in grid.column_names), default=-1) + 1
        head = grid.slice(0, max(HEAD_ROWS - first_row, 0))
        super().__init__(name, iter([[] for _ in range(first_row)] + self._rows_of(head)))

    def _rows_of(self, table: pa.Table) -> list[list[str]]:
        rows = [[""] * self.width for _ in range(table.num_rows)]
        for name, column in zip(table.column_names, table.columns, strict=True):
            position = int(name)
            for row, value in zip(rows, column.to_pylist(), strict=True):
                if value is not None:
                    row[position] = value
        return rows

    def rows_after(self, index: int) -> Iterator[tuple[int, list]]:
        start = max(index + 1 - self.first_row, 0)
        for offset in range(start, self.grid.num_rows, 50_000):
            chunk = self._rows_of(self.grid.slice(offset, 50_000))
            for position, row in enumerate(chunk):
                yield self.first_row + offset + position + 1, row


def first_used_row(archive: zipfile.ZipFile, sheet: str) -> int:
    """The 0-based number of a worksheet's first row holding a value, read from the start of its XML
    (the used range begins there; rows of only formatting do not count)."""
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    target_id = next(s.get(rel) for s in book.iter(f"{main}sheet") if s.get("name") == sheet)
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    target = next(r.get("Target") for r in rels if r.get("Id") == target_id)
    member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    with archive.open(member) as handle:
        for _, element in ElementTree.iterparse(handle):
            if element.tag == f"{main}row":
                if any(
                    c.find(f"{main}v") is not None or c.find(f"{main}is") is not None
                    for c in element
                ):
                    return int(element.get("r")) - 1
                element.clear()
    return 0


@contextlib.contextmanager
def open_xlsx(path: Path) -> Iterator[list[Sheet]]:
    """Every sheet of an xlsx as Arrow text columns (fastexcel): no Python object per cell."""
    try:
        workbook = fastexcel.read_excel(str(path))
        with zipfile.ZipFile(path) as archive:
            sheets = []
            for name in workbook.sheet_names:
                loaded = workbook.load_sheet(name, header_row=None, dtypes="string")
                columns = loaded.available_columns()
                grid = loaded.to_arrow().rename_columns([str(c.absolute_index) for c in columns])
                first = first_used_row(archive, name) if grid.num_rows else 0
                sheets.append(ArrowSheet(name, grid, first))
    except Exception as error:  # fastexcel and the XML raise several types for a damaged file
        raise UnreadableFile("表格文件损坏或格式不符") from error
    yield sheets


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


def text_encoding(sample: bytes) -> str:
    """The encoding of CSV bytes from their start: UTF-16 (with a BOM, or recognisably without),
    UTF-8 (with or without BOM), else GB18030 (a GBK superset)."""
    if sample[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    if b"\x00" in sample:
        encoding = utf16_without_bom(sample)
        if encoding is None:
            raise UnreadableFile("文件含二进制内容，不是 CSV 文本")
        return encoding
    try:
        codecs.getincrementaldecoder("utf-8-sig")().decode(sample, final=False)
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")().decode(sample, final=False)
        return "gb18030"
    except UnicodeDecodeError:
        raise UnreadableFile("文本编码无法识别（既不是 UTF-8 也不是 GBK/GB18030）") from None


def _csv_rows(handle, dialect, encoding: str) -> Iterator[list[str]]:
    try:
        yield from csv.reader(handle, dialect)
    except UnicodeDecodeError:
        raise UnreadableFile(
            f"文件按 {encoding} 解码时出错：文本编码无法识别，可能被截断或混用了编码"
        ) from None
    except csv.Error:
        raise UnreadableFile("CSV 格式错误（引号或分隔符不成对）") from None


class CsvSheet(Sheet):
    """A CSV file's one sheet: records through Python's csv module (exact in every case), and the
    body under the header through pyarrow's reader when every record is one line."""

    def __init__(self, path: Path, encoding: str, dialect, rows: Iterator[list]) -> None:
        self.path, self.encoding, self.dialect = path, encoding, dialect
        super().__init__(name="", rows=rows)

    def arrow_body(self, header_index: int) -> Iterator[pa.RecordBatch] | None:
        """The records under the header as batches of text columns named by position, streamed
        (a national export is never held whole); None when pyarrow cannot read this file. Row
        numbers are line numbers only when every record is one line: after the last batch, raises
        MultiLineRecords when the records do not match the lines (the caller reads it again the
        exact way)."""
        if self.encoding.startswith("utf-16"):
            return None
        width = len(self.head[header_index])
        names = [str(i) for i in range(width)]
        try:
            reader = pacsv.open_csv(
                self.path,
                read_options=pacsv.ReadOptions(
                    encoding="utf8" if self.encoding == "utf-8-sig" else self.encoding,
                    skip_rows=header_index + 1,
                    column_names=names,
                    block_size=16 << 20,
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=self.dialect.delimiter,
                    quote_char=self.dialect.quotechar or False,
                    double_quote=self.dialect.doublequote,
                    newlines_in_values=False,
                    ignore_empty_lines=False,
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError, LookupError):
            return None
        return self._checked(reader, header_index)

    def _checked(self, reader, header_index: int) -> Iterator[pa.RecordBatch]:
        records = 0
        try:
            for batch in reader:
                records += batch.num_rows
                yield batch
        except (pa.ArrowInvalid, UnicodeDecodeError) as error:
            raise MultiLineRecords(str(error)) from None
        with self.path.open("rb") as handle:
            lines, last = 0, b""
            while block := handle.read(1 << 20):
                lines, last = lines + block.count(b"\n"), block
        lines += 0 if last.endswith(b"\n") else 1
        if lines != header_index + 1 + records:
            raise MultiLineRecords(f"{records} records on {lines - header_index - 1} lines")


@contextlib.contextmanager
def open_csv(path: Path) -> Iterator[list[Sheet]]:
    """A CSV file as one sheet, decoded as it is read."""
    with path.open("rb") as raw:
        sample = raw.read(SAMPLE_BYTES)
    encoding = text_encoding(sample)
    with path.open(encoding=encoding, newline="") as handle:
        try:
            text = handle.read(8192)
        except UnicodeDecodeError:
            raise UnreadableFile(
                "文件标明为 UTF-16 编码，但内容已损坏（可能被截断）"
                if encoding.startswith("utf-16")
                else f"文件按 {encoding} 解码时出错：文本编码无法识别，可能被截断或混用了编码"
            ) from None
        try:
            dialect = csv.Sniffer().sniff(text, delimiters=",\t;|")
        except csv.Error:
            dialect = csv.excel
        handle.seek(0)
        yield [CsvSheet(path, encoding, dialect, _csv_rows(handle, dialect, encoding))]


def _calamine_rows(sheet: python_calamine.CalamineSheet) -> Iterator[list]:
    """Rows from the top-left cell A1, as `to_python(skip_empty_area=False)` gives them, lazily."""
    indent = [""] * (sheet.start[1] if sheet.start else 0)
    for row in sheet.iter_rows():
        yield indent + row if indent else row


@contextlib.contextmanager
def open_spreadsheet(path: Path, renamed: bool = False) -> Iterator[list[Sheet]]:
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
        raise UnreadableFile("表格文件损坏或格式不符") from error
    try:
        sheets = []
        for name in workbook.sheet_names:
            try:
                sheets.append(
                    Sheet(name=name, rows=_calamine_rows(workbook.get_sheet_by_name(name)))
                )
            except Exception as error:
                raise UnreadableFile(f"工作表“{name}”无法读取") from error
        yield sheets
    finally:
        workbook.close()


def read_docx(path: Path) -> list[Sheet]:
    import docx  # python-docx; imported here because only city tables need it

    try:
        document = docx.Document(str(path))
    except Exception as error:
        raise UnreadableFile("Word 文件损坏或格式不符") from error
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
            sheets.append(Sheet(name=f"表{len(sheets) + 1}", rows=iter(rows), preamble=preamble))
            preamble = []
    if not sheets:
        raise UnreadableFile("Word 文件中没有表格（附件2应为一张表格）")
    return sheets


@contextlib.contextmanager
def open_sheets(path: Path, limits: Limits | None = None) -> Iterator[list[Sheet]]:
    """The sheets of a file, readable while the context is open; UnreadableFile with the reason.

    The content is checked before any parser sees it: its size, what it really is (an HTML page
    or a CSV named .xls, an encrypted workbook), how far a ZIP-based file inflates and how many
    rows its sheets say they have (`limits`). An old Office/WPS file (.doc, .wps, .et) is read
    from the .docx/.xlsx LibreOffice makes of it, checked the same way."""
    suffix = path.suffix.lower()
    if suffix not in READABLE_SUFFIXES:
        raise UnreadableFile(
            f"不支持的文件类型“{path.suffix or '无扩展名'}”"
            "（支持 xlsx、xls、csv、docx，以及经 LibreOffice 转换的 doc、wps、et）"
        )
    if path.stat().st_size == 0:
        raise UnreadableFile("文件为空（0 字节）")
    limits = limits or Limits.from_environment()
    try:
        check_size(path, limits)
    except Refused as error:
        raise UnreadableFile(str(error)) from None
    if suffix in CSV_SUFFIXES:
        with open_csv(path) as sheets:
            yield sheets
        return
    if suffix in OLD_FORMATS:
        with contextlib.ExitStack() as stack:
            try:
                kind = kind_of(path)
                if kind not in ("ole", "zip"):
                    refuse_disguise(path, kind, "ole")
                if kind == "ole" and is_encrypted(path):
                    raise Refused("文件设有打开密码（已加密），无法读取；请取消密码后重新放入")
                modern = stack.enter_context(converted(path))
            except Refused as error:
                raise UnreadableFile(str(error)) from None
            with open_sheets(modern, limits) as sheets:
                yield sheets
        return
    try:
        kind = kind_of(path)
        expected = "ole" if suffix == ".xls" else "zip"
        if suffix in SPREADSHEET_SUFFIXES and kind in ("zip", "ole"):
            refuse_disguise(path, kind, kind)  # an encrypted Office file is an OLE container
            if kind == "zip":
                check_archive(path, limits)
                check_rows(path, limits)
            if kind == "zip" and suffix in (".xlsx", ".xlsm"):
                spreadsheet = open_xlsx(path)  # Arrow all the way: the national-size exports
            else:
                spreadsheet = open_spreadsheet(path, renamed=kind != expected)
        else:
            refuse_disguise(path, kind, expected)
            check_archive(path, limits)
            spreadsheet = None
    except Refused as error:
        raise UnreadableFile(str(error)) from None
    if spreadsheet is None:
        yield read_docx(path)
        return
    with spreadsheet as sheets:
        yield sheets


def read_sheets(path: Path, limits: Limits | None = None) -> list[Sheet]:
    """Every sheet of a file read whole (small files, the shipped lists, tests)."""
    with open_sheets(path, limits) as sheets:
        for sheet in sheets:
            sheet.head = sheet.rows
            sheet._rows = iter(())
        return sheets
