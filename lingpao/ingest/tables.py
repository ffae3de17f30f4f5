"""A sheet's table under its header as Arrow batches of text: one column per mapped header.

Rows are transposed into columns in C (`zip`), and a column of text goes to Arrow as it is; only a
column holding numbers or dates (from a spreadsheet) is converted value by value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pyarrow as pa

from lingpao.ingest.headers import HeaderMatch
from lingpao.ingest.readers import ArrowSheet, CsvSheet, Sheet, cell_text

BATCH_ROWS = 50_000


def _column(values: tuple) -> pa.Array:
    try:
        return pa.array(values, type=pa.string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return pa.array([cell_text(v) for v in values], type=pa.string())


def _batch(
    rows: list[list],
    numbers: list[int],
    positions: dict[str, int],
    names: list[str],
    constants: dict,
) -> pa.Table:
    width = max(positions.values(), default=-1) + 1
    padded = [row if len(row) >= width else [*row, *[""] * (width - len(row))] for row in rows]
    transposed = list(zip(*padded, strict=False)) if width else []
    count = len(rows)
    arrays = {
        name: _column(transposed[positions[name]])
        if name in positions
        else pa.nulls(count, pa.string())
        for name in names
    }
    arrays["source_row"] = pa.array(numbers, type=pa.int32())
    for name, value in constants.items():
        arrays[name] = pa.array([value] * count, type=pa.string())
    return pa.table(arrays)


def table_batches(
    sheet: Sheet,
    match: HeaderMatch,
    names: list[str],
    constants: dict[str, str],
    keep: Callable[[list], bool] | None = None,
    size: int = BATCH_ROWS,
    exact: bool = False,
) -> Iterator[pa.Table]:
    """Batches of the rows under the header: the mapped columns `names` (NULL where the file has no
    such column), `source_row`, and constant columns (file hash, sheet name...). `keep` filters rows.
    A CSV is streamed through pyarrow (MultiLineRecords after the last batch when a record spans
    lines); `exact` reads it record by record instead."""
    positions = {column: position for position, column in match.columns.items()}
    if keep is None and isinstance(sheet, ArrowSheet):
        start = match.row_index + 1 - sheet.first_row
        first = sheet.first_row + start + 1
        yield from _arrow_batches(sheet.grid.slice(start), first, positions, names, constants, size)
        return
    body = (
        sheet.arrow_body(match.row_index)
        if keep is None and exact is False and isinstance(sheet, CsvSheet)
        else None
    )
    if body is not None:  # streamed; MultiLineRecords at the end if row numbers would be wrong
        first = match.row_index + 2
        for batch in body:
            table = pa.Table.from_batches([batch])
            yield from _arrow_batches(table, first, positions, names, constants, size)
            first += batch.num_rows
        return
    rows: list[list] = []
    numbers: list[int] = []
    for number, row in sheet.rows_after(match.row_index):
        if keep is not None and not keep(row):
            continue
        rows.append(row)
        numbers.append(number)
        if len(rows) == size:
            yield _batch(rows, numbers, positions, names, constants)
            rows, numbers = [], []
    if rows:
        yield _batch(rows, numbers, positions, names, constants)


def _arrow_batches(
    body: pa.Table,
    first: int,
    positions: dict[str, int],
    names: list[str],
    constants: dict,
    size: int,
) -> Iterator[pa.Table]:
    """The same batches cut straight from a table of text columns named by position, whose first
    row is sheet row `first` (1-based): no Python object per cell."""
    present = set(body.column_names)
    for offset in range(0, body.num_rows, size):
        part = body.slice(offset, size)
        count = part.num_rows
        arrays = {
            name: part.column(str(positions[name]))
            if name in positions and str(positions[name]) in present
            else pa.nulls(count, pa.string())
            for name in names
        }
        arrays["source_row"] = pa.array(
            range(first + offset, first + offset + count), type=pa.int32()
        )
        for name, value in constants.items():
            arrays[name] = pa.array([value] * count, type=pa.string())
        yield pa.table(arrays)
