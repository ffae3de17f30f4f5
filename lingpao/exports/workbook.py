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


def display_width(value: object) -> int:
    """Columns a value takes on screen: CJK characters count double."""
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


class Sheet:
    """A worksheet written top to bottom: title, optional notes, header, rows and section rows."""

    def __init__(
        self, sheet: Worksheet, title: str, headers: Sequence[str], notes: Iterable[str] = ()
    ) -> None:
        self.sheet, self.headers = sheet, list(headers)
        self.widths = [display_width(h) for h in headers]
        append_row(sheet, [title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
        sheet.cell(1, 1).font = TITLE_FONT
        sheet.cell(1, 1).alignment = Alignment(horizontal="center")
        sheet.row_dimensions[1].height = 24
        for note in notes:
            append_row(sheet, [note])
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
            if isinstance(value, str):
                cell.number_format = "@"  # codes and phones stay text
            if number_formats and column in number_formats:
                cell.number_format = number_formats[column]
            self.widths[column - 1] = max(self.widths[column - 1], display_width(value))
        return index

    def finish(self) -> None:
        """Column widths from the content, and a print layout: landscape, one page wide, header repeated."""
        for column, width in enumerate(self.widths, start=1):
            self.sheet.column_dimensions[get_column_letter(column)].width = min(
                max(width + 4, 6), 60
            )
        self.sheet.page_setup.orientation = "landscape"
        self.sheet.page_setup.fitToWidth, self.sheet.page_setup.fitToHeight = 1, 0
        self.sheet.sheet_properties.pageSetUpPr.fitToPage = True
        self.sheet.print_title_rows = f"{self.header_row}:{self.header_row}"


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
