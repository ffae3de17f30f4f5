"""Reference lists: the cultivation pool and leaders (pool.*), and the cluster list (clusters.*)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd
from dagster_duckdb import DuckDBResource

from assets.ingest.files import file_record, listing_record, record_files
from assets.ingest.headers import find_header, records_below
from assets.ingest.inbox import InboxFile, list_files
from assets.ingest.readers import UnreadableFile, read_sheets
from assets.materialize import table_result
from assets.warehouse import open_warehouse, replace_table
from pipelines.programme import DEFAULT_CLUSTERS, Programme
from pipelines.resources import InboxResource
from pipelines.text import clean_label, fold_label, is_blank, normalise_code


def read_list(path: Path, kind: str, programme: Programme) -> list[dict]:
    """Rows of a reference list as {column: text, source_row}; raises UnreadableFile."""
    mapping, required = programme.headers(kind), programme.required_columns(kind)
    for sheet in read_sheets(path):
        match = find_header(sheet.rows, mapping, required)
        if match is None:
            continue
        return [
            dict(record, source_row=row)
            for row, record in records_below(sheet.rows, match)
            if not all(is_blank(v) for v in record.values())
        ]
    labels = "”“".join(programme.headers(kind)[c][0] for c in required)
    raise UnreadableFile(f"未找到表头（需含“{labels}”）")


def pool_frame(rows: list[dict], source: str, programme: Programme) -> pd.DataFrame:
    status_ids = {fold_label(label): key for key, label in programme.pool_status.items()}
    return pd.DataFrame.from_records(
        [
            {
                "credit_code": normalise_code(r.get("credit_code")),
                "company_name": clean_label(r.get("company_name")),
                "status": status_ids.get(fold_label(r.get("status"))),
                "status_raw": clean_label(r.get("status")),
                "entry_year": clean_label(r.get("entry_year")),
                "source_file": source,
                "source_row": r["source_row"],
            }
            for r in rows
        ]
    )


def cluster_frame(rows: list[dict], source: str, programme: Programme) -> pd.DataFrame:
    return pd.DataFrame.from_records(
        [
            {
                "cluster": clean_label(r.get("cluster")),
                "county": clean_label(r.get("county")),
                "city": programme.unit_of(r.get("city")) or clean_label(r.get("city")),
                "source": source,
            }
            for r in rows
            if clean_label(r.get("cluster"))
        ]
    )


def registry_kind(file: InboxFile) -> str | None:
    stem = file.path.name.split(".")[0].lower()
    return {"pool": "pool", "clusters": "clusters"}.get(stem)


def read_registry(inbox, programme: Programme) -> tuple[pd.DataFrame, pd.DataFrame, list[dict]]:
    """(pool members, cluster list, file log); the shipped cluster list when the inbox has none."""
    pools, clusters, records = [], [], []
    for file in list_files(inbox, "registry"):
        unread = listing_record(file, "registry")
        if unread:
            records.append(unread)
            continue
        kind = registry_kind(file)
        if kind is None:
            records.append(
                file_record(
                    file,
                    "registry",
                    status="ignored",
                    rows=0,
                    reason="不是已知的参考名单（应命名为 pool.* 或 clusters.*）",
                )
            )
            continue
        try:
            rows = read_list(file.path, kind, programme)
        except UnreadableFile as error:
            records.append(file_record(file, kind, status="unreadable", reason=str(error), rows=0))
            continue
        maker = pool_frame if kind == "pool" else cluster_frame
        (pools if kind == "pool" else clusters).append(maker(rows, file.name, programme))
        records.append(file_record(file, kind, rows=len(rows)))
    if not clusters:
        shipped = read_list(DEFAULT_CLUSTERS, "clusters", programme)
        clusters.append(cluster_frame(shipped, "shipped:data/reference/clusters.csv", programme))
    pool = pd.concat(pools, ignore_index=True) if pools else pd.DataFrame()
    return pool, pd.concat(clusters, ignore_index=True), records


@dg.multi_asset(
    group_name="ingest",
    specs=[
        dg.AssetSpec(
            "pool_members",
            kinds={"duckdb"},
            description="The cultivation pool and the leaders (registry/pool.*).",
        ),
        dg.AssetSpec(
            "clusters",
            kinds={"duckdb"},
            description="The provincial cluster list (registry/clusters.*, else shipped).",
        ),
    ],
)
def registry(inbox: InboxResource, warehouse: DuckDBResource):
    """Reference lists from inbox/registry."""
    pool, clusters, records = read_registry(inbox.root, inbox.programme())
    with open_warehouse(warehouse) as conn:
        pool_count = replace_table(conn, "pool_members", pool)
        cluster_count = replace_table(conn, "clusters", clusters)
        record_files(conn, "registry", records)
        yield table_result(conn, "pool_members", pool_count, asset_key="pool_members")
        yield table_result(conn, "clusters", cluster_count, asset_key="clusters")
