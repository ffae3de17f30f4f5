"""Write grids of cells as the files offices send: xlsx with merged titles, xls, csv, docx."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import xlwt
from openpyxl.styles import Font

Grid = list[list[object]]


def write_xlsx(
    path: Path, sheets: list[tuple[str, Grid, int]], hidden_columns: tuple[str, ...] = ()
) -> None:
    """Sheets of (name, rows, title_rows); each title row is merged across the header width."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows, title_rows in sheets:
        sheet = workbook.create_sheet(name)
        width = max((len(r) for r in rows), default=1)
        for row in rows:
            sheet.append(list(row))
        for index in range(1, title_rows + 1):
            sheet.merge_cells(start_row=index, start_column=1, end_row=index, end_column=width)
            sheet.cell(row=index, column=1).font = Font(bold=True, size=14)
        for letter in hidden_columns:
            sheet.column_dimensions[letter].hidden = True
    workbook.save(path)


def write_xls(path: Path, sheets: list[tuple[str, Grid, int]]) -> None:
    """Old-format .xls (BIFF8): numbers as floats, dates as Excel serial numbers."""
    workbook = xlwt.Workbook(encoding="utf-8")
    for name, rows, title_rows in sheets:
        sheet = workbook.add_sheet(name)
        width = max((len(r) for r in rows), default=1)
        for r, row in enumerate(rows):
            if r < title_rows:
                sheet.write_merge(r, r, 0, width - 1, row[0] if row else "")
                continue
            for c, value in enumerate(row):
                if isinstance(value, dt.datetime):
                    value = (value - dt.datetime(1899, 12, 30)).total_seconds() / 86400
                if value is not None:
                    sheet.write(r, c, value)
    workbook.save(str(path))


def write_csv(path: Path, rows: Grid, encoding: str) -> None:
    """CSV in the given encoding (`gb18030`, `utf-8`, `utf-8-sig`), every cell as text."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else str(v) for v in row])
    path.write_bytes(buffer.getvalue().encode(encoding))


def write_docx(path: Path, title: str, rows: Grid, before: list[str] = ()) -> None:
    """A Word document: title paragraph, optional lines, then one table."""
    import docx

    document = docx.Document()
    document.add_paragraph("附件2")
    document.add_heading(title, level=1)
    for line in before:
        document.add_paragraph(line)
    width = max(len(r) for r in rows)
    table = document.add_table(rows=0, cols=width)
    for row in rows:  # row by row: table.cell(r, c) rebuilds the whole grid on every call
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=False):
            cell.text = "" if value is None else str(value)
    document.save(str(path))
