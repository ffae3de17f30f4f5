"""Find the header row of a sheet (title rows may precede it) and map its cells to columns."""

from __future__ import annotations

from dataclasses import dataclass

from lingpao.foundation.text import fold_header

MAX_HEADER_SCAN = 30


@dataclass
class HeaderMatch:
    """Where the header is and which sheet column holds which warehouse column."""

    row_index: int
    columns: dict[int, str]  # sheet column index -> warehouse column
    unmapped: list[str]  # header cells that match no configured spelling


def find_header(
    rows: list[list[str]], mapping: dict[str, list[str]], required: list[str]
) -> HeaderMatch | None:
    """The first row among the top rows that holds every required column's header."""
    lookup = {fold_header(v): column for column, variants in mapping.items() for v in variants}
    for index, row in enumerate(rows[:MAX_HEADER_SCAN]):
        columns: dict[int, str] = {}
        unmapped: list[str] = []
        for position, cell in enumerate(row):
            column = lookup.get(fold_header(cell))
            if column and column not in columns.values():
                columns[position] = column
            elif cell.strip() and not column:
                unmapped.append(cell.strip())
        if all(column in columns.values() for column in required):
            return HeaderMatch(row_index=index, columns=columns, unmapped=unmapped)
    return None
