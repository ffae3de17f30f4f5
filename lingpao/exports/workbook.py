"""Workbooks a person can send on: title row, Chinese headers, widths, frozen header (openpyxl)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from io import BytesIO
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

TITLE_FONT = Font(bold=True, size=14)
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
SECTION_FILL = PatternFill("solid", fgColor="F2F2F2")
THIN = Side(style="thin", color="BFBFBF")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


# A text starting with one of these is read by a spreadsheet as a formula (or as the start of one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def append_row(sheet: Worksheet, values: Sequence[object]) -> int:
    """Append a row and return its number; every text is stored as text, never as a formula.

    openpyxl writes any string starting with `=` as a live formula; a value from an inbox file
    (`=HYPERLINK(...)`, `=cmd|' /C calc'!A0`, `@SUM(...)`) must reach the city as the text it is.
    """
    sheet.append([None if _missing(v) else v for v in values])
    index = sheet.max_row
    for column, value in enumerate(values, start=1):
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            cell = sheet.cell(index, column)
            cell.data_type = "s"  # an inline string, not a formula
            cell.quotePrefix = True  # and shown as text when someone edits it
    return index


def display_width(value: object, number_format: str | None = None) -> int:
    """Columns a value takes as shown: CJK characters count double; a number as its format shows
    it (`12,345.6`, `12.35%`), not as its raw digits."""
    if value is None or _missing(value):
        return 0
    if isinstance(value, bool):
        text = str(value)
    elif isinstance(value, (int, float)) and number_format:
        decimals = len(number_format.split(".")[1].rstrip("%")) if "." in number_format else 0
        if number_format.endswith("%"):
            text = f"{value:.{decimals}%}"
        else:
            text = f"{value:,.{decimals}f}"
    elif isinstance(value, float):
        text = f"{value:,.2f}"
    else:
        text = str(value)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


class Sheet:
    """A worksheet written top to bottom: title, optional notes, header, rows and section rows."""

    def __init__(
        self, sheet: Worksheet, title: str, headers: Sequence[str], notes: Iterable[str] = ()
    ) -> None:
        self.sheet, self.headers = sheet, list(headers)
        self.widths = [display_width(h) for h in headers]
        # the widest text of a column that cannot wrap (codes, numbers, words without spaces)
        self.unbroken = [min(display_width(h), 4) for h in headers]  # headers wrap
        append_row(sheet, [title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
        sheet.cell(1, 1).font = TITLE_FONT
        sheet.cell(1, 1).alignment = Alignment(horizontal="center")
        sheet.row_dimensions[1].height = 24
        for note in notes:
            row = append_row(sheet, [note])
            sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(headers))
            sheet.cell(row, 1).alignment = WRAPPED
        append_row(sheet, self.headers)
        self.header_row = sheet.max_row
        for column in range(1, len(headers) + 1):
            cell = sheet.cell(self.header_row, column)
            cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, BORDER
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.freeze_panes = (
            f"A{self.header_row + 1}"  # a string: creating the cell would shift appends
        )

    def section(self, text: str) -> None:
        """A row naming the group below it (e.g. a reporting unit), merged across the table."""
        row = append_row(self.sheet, [text])
        self.sheet.merge_cells(
            start_row=row, start_column=1, end_row=row, end_column=len(self.headers)
        )
        self.sheet.cell(row, 1).font, self.sheet.cell(row, 1).fill = HEADER_FONT, SECTION_FILL

    def row(self, values: Sequence[object], number_formats: dict[int, str] | None = None) -> int:
        index = append_row(self.sheet, values)
        for column, value in enumerate(values, start=1):
            cell = self.sheet.cell(index, column)
            cell.border = BORDER
            cell.alignment = WRAPPED
            shown_format = (number_formats or {}).get(column)
            if isinstance(value, str):
                cell.number_format = "@"  # codes and phones stay text
            if shown_format:
                cell.number_format = shown_format
            width = display_width(value, shown_format)
            self.widths[column - 1] = max(self.widths[column - 1], width)
            if not _wraps(value):
                self.unbroken[column - 1] = max(self.unbroken[column - 1], width)
        return index

    def finish(self) -> None:
        """Column widths from what the cells show, long text wrapped within a width, and a print
        layout: A4 landscape, one page wide at a readable scale, the header on every page, page
        numbers in the footer."""
        widths = fitted_widths(self.widths, self.unbroken)
        for column, width in enumerate(widths, start=1):
            self.sheet.column_dimensions[get_column_letter(column)].width = width
        self._heights(widths)
        setup = self.sheet.page_setup
        setup.orientation = "landscape"
        setup.paperSize = self.sheet.PAPERSIZE_A4
        setup.fitToWidth, setup.fitToHeight = 1, 0
        self.sheet.sheet_properties.pageSetUpPr.fitToPage = True
        self.sheet.print_options.horizontalCentered = True
        self.sheet.page_margins.left = self.sheet.page_margins.right = 0.4
        self.sheet.page_margins.top = self.sheet.page_margins.bottom = 0.6
        self.sheet.print_title_rows = f"{self.header_row}:{self.header_row}"
        self.sheet.oddFooter.center.text = "第 &P 页，共 &N 页"
        self.sheet.oddFooter.center.size = 9

    def _heights(self, widths: list[float]) -> None:
        """Each row as tall as its wrapped text needs (a spreadsheet does not measure it when it
        opens the file, and would cut the text): lines from the text's width in its column; a
        merged note row across the whole table."""
        total = sum(widths)
        spanning = {
            cells.min_row
            for cells in self.sheet.merged_cells.ranges
            if cells.max_col > cells.min_col
        }
        for row in range(2, self.sheet.max_row + 1):
            lines = 1
            merged = row in spanning
            for column, width in enumerate(widths, start=1):
                value = self.sheet.cell(row, column).value
                if value is None:
                    continue
                room = max((total if merged else width) - 0.5, 1)
                lines = max(lines, -(-display_width(value) // int(room)))
                if merged:
                    break
            if lines > 1:
                self.sheet.row_dimensions[row].height = 14.5 * lines


WRAPPED = Alignment(wrap_text=True, vertical="top")
# What fits across A4 landscape at 75% scale, in Excel's character units; no column wider than
# LONGEST (longer text wraps within it), none narrower than its header needs in two lines.
PAGE_WIDTH = 170
LONGEST = 36


def fitted_widths(wanted: Sequence[int], unbroken: Sequence[int] | None = None) -> list[float]:
    """Column widths from the widest value each column shows (plus a margin), capped; then the
    columns whose text wraps (Chinese names, sentences) narrowed, widest first, until the table fits
    across the page at a readable scale. A code or a number is never cut: its column keeps its
    width."""
    floors = [
        min(max(u + 2, 6), LONGEST)
        for u in (unbroken if unbroken is not None else [0] * len(wanted))
    ]
    widths = [max(min(max(w + 2, 6), LONGEST), f) for w, f in zip(wanted, floors, strict=True)]
    while sum(widths) > PAGE_WIDTH:
        narrowable = [i for i, w in enumerate(widths) if w > max(floors[i], 8)]
        if not narrowable:
            break
        widest = max(narrowable, key=lambda i: widths[i])
        widths[widest] -= 1
    return [float(w) for w in widths]


def _wraps(value: object) -> bool:
    """True for text a cell can wrap without harm: containing Chinese or spaces (not a code or a
    number)."""
    return isinstance(value, str) and (
        " " in value.strip() or any(unicodedata.east_asian_width(c) in "WF" for c in value)
    )


def _missing(value: object) -> bool:
    try:
        return value is None or value != value  # NaN
    except (TypeError, ValueError):
        return False


def new_workbook() -> Workbook:
    workbook = Workbook()
    workbook.remove(workbook.active)
    return workbook


def save(workbook: Workbook, out: Path | None = None) -> bytes:
    """Write the workbook to `out` (if given) and return its bytes (for a download button)."""
    buffer = BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    return data
