"""Reference lists: the cultivation pool and leaders (pool.*), and the cluster list (clusters.*)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from lingpao.foundation.programme import Programme
from lingpao.ingest.headers import find_header
from lingpao.ingest.raw import insert_batch, keep_rows_with_text
from lingpao.ingest.readers import Sheet
from lingpao.ingest.tables import table_batches

KINDS = {"pool": "pool", "city_pool": "city_pool", "clusters": "clusters"}
TABLES = {"pool": "raw_pool", "city_pool": "raw_pool", "clusters": "raw_clusters"}
MAPPING = {"city_pool": "pool"}  # a city's pool is read with the province pool's headers


def registry_kind(path: Path) -> str | None:
    """`pool`, `city_pool` or `clusters` from the file's name (`pool.xlsx`, `city_pool.csv`),
    else None."""
    return KINDS.get(path.name.split(".")[0].lower())


def parse_list(
    conn: duckdb.DuckDBPyConnection,
    sheets: list[Sheet],
    file_hash: str,
    kind: str,
    programme: Programme,
) -> dict:
    """The first sheet with the list's header into `raw_pool` or `raw_clusters`; the log fields."""
    mapping = programme.headers(MAPPING.get(kind, kind))
    required = programme.required_columns(kind) or programme.required_columns("pool")
    for sheet in sheets:
        match = find_header(sheet.head, mapping, required)
        if match is None:
            continue
        table = TABLES[kind]
        constants = {"file_hash": file_hash, "source_sheet": sheet.name}
        for batch in table_batches(sheet, match, list(mapping), constants):
            insert_batch(conn, table, batch)
        rows = keep_rows_with_text(conn, table, file_hash, list(mapping))
        return {"status": "read", "rows": rows, "sheets": sheet.name or "(csv)"}
    labels = "”“".join(mapping[c][0] for c in required)
    return {"status": "unreadable", "reason": f"未找到表头（需含“{labels}”）"}
