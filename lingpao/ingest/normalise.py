"""Normalisation of raw text cells in DuckDB SQL: macros, and lookup maps from the programme file.

`fold` is NFKC (a vectorised Arrow function registered in DuckDB) and trimming, as
`lingpao.foundation.text.fold` is in Python; every other step is SQL: labels to ids through maps
built from the programme, codes, phones, units, numbers, flags, and dates (Excel serials or text in
the programme's time zone). Normalisation never changes meaning: the file's text of the fields in
`RAW_KEPT` stays beside the value, and an unknown label becomes NULL, not a guess.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from lingpao.foundation.programme import Programme
from lingpao.foundation.schema import RAW_KEPT, REPORT_POINTS, evidence_columns, row_key
from lingpao.foundation.text import fold_label
from lingpao.warehouse.connection import literal

QUOTES = "“”\"'‘’「」『』〝〞"
TRUE_FLAGS = ("是", "有", "y", "yes", "true", "1", "√", "已上传")
FALSE_FLAGS = ("否", "无", "n", "no", "false", "0", "×", "未上传")
DATE_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H",
    "%Y-%m-%d",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y%m%d %H:%M:%S",
    "%Y%m%d",
]
ZONED_FORMATS = ["%Y-%m-%d %H:%M:%S%z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M%z"]


def _nfkc(values: pa.Array) -> pa.Array:
    return pc.utf8_normalize(values, "NFKC")


def _map(pairs: dict[str, str]) -> str:
    if not pairs:
        return "MAP {}::MAP(VARCHAR, VARCHAR)"
    return "MAP {" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in pairs.items()) + "}"


def _lookups(programme: Programme) -> dict[str, dict[str, str]]:
    types = {}
    for type_id, spec in programme.types.items():
        for variant in [spec["label"], *spec.get("variants", [])]:
            types[fold_label(variant)] = type_id
    units = {unit: unit for unit in programme.units}
    units.update({alias: unit for alias, unit in programme.raw.get("unit_aliases", {}).items()})
    return {
        "type_of": types,
        "direction_of": {fold_label(label): key for key, label in programme.directions.items()},
        "stage_of": {fold_label(s["label"]): s["id"] for s in programme.stages},
        "pool_status_of": {fold_label(label): key for key, label in programme.pool_status.items()},
        "unit_of": units,
    }


def install(conn: duckdb.DuckDBPyConnection, programme: Programme) -> None:
    """Register `nfkc` and create the normalising macros on this connection (idempotent)."""
    try:
        conn.create_function(
            "nfkc", _nfkc, ["VARCHAR"], "VARCHAR", type="arrow", side_effects=False
        )
    except duckdb.Error:
        pass  # registered on this connection already
    flags_true = ", ".join(map(literal, TRUE_FLAGS))
    flags_false = ", ".join(map(literal, FALSE_FLAGS))
    zone = literal(programme.timezone)
    naive = "[" + ", ".join(map(literal, DATE_FORMATS)) + "]"
    zoned = "[" + ", ".join(map(literal, ZONED_FORMATS)) + "]"
    # Every macro but `fold` takes text folded once by `fold` (see `folded`): NFKC runs once a cell.
    macros = [
        r"fold(x) AS regexp_replace(nfkc(x), '^\s+|\s+$', '', 'g')",
        r"clean_label(f) AS nullif(regexp_replace(f, '\s+', ' ', 'g'), '')",
        rf"fold_label(f) AS lower(translate(regexp_replace(f, '\s+', '', 'g'), {literal(QUOTES)}, ''))",
        r"norm_code(f) AS nullif(upper(regexp_replace(f, '\s+', '', 'g')), '')",
        r"""norm_phone(f) AS CASE
            WHEN coalesce(f, '') = '' THEN NULL
            WHEN regexp_full_match(f, '\d(\.\d+)?[eE]\+?\d+')
                THEN CAST(CAST(CAST(f AS DOUBLE) AS HUGEINT) AS VARCHAR)
            WHEN regexp_full_match(f, '\+?\d+(\.0+)?') THEN regexp_extract(f, '\+?(\d+)', 1)
            ELSE regexp_replace(f, '\s+', '', 'g') END""",
        r"""fold_unit(f) AS CASE
            WHEN ends_with(regexp_replace(f, '\s+', '', 'g'), '市')
                 AND length(regexp_replace(f, '\s+', '', 'g')) > 2
            THEN left(regexp_replace(f, '\s+', '', 'g'), length(regexp_replace(f, '\s+', '', 'g')) - 1)
            ELSE regexp_replace(f, '\s+', '', 'g') END""",
        f"parse_flag(f) AS CASE WHEN lower(f) IN ({flags_true}) THEN true "
        f"WHEN lower(f) IN ({flags_false}) THEN false END",
        r"parse_number(f) AS TRY_CAST(replace(replace(f, ',', ''), '，', '') AS DOUBLE)",
        r"""date_text(f) AS regexp_replace(regexp_replace(replace(replace(regexp_replace(
                translate(f, '年月日/.', '-- --'), '时|点', ':', 'g'), '分', ''), '秒', ''),
                '\s+', ' ', 'g'), '^[ :]+|[ :]+$', '', 'g')""",
        rf"""parse_stamp(f) AS CASE
            WHEN coalesce(f, '') = '' THEN NULL
            WHEN regexp_full_match(f, '-?\d+(\.\d+)?') THEN CASE
                WHEN CAST(f AS DOUBLE) BETWEEN 20000 AND 80000
                THEN timezone({zone}, TIMESTAMP '1899-12-30'
                     + to_seconds(CAST(round(CAST(f AS DOUBLE) * 86400) AS BIGINT))) END
            WHEN regexp_matches(date_text(f), '[+-]\d\d:?\d\d$') THEN try_strptime(date_text(f), {zoned})
            ELSE timezone({zone}, try_strptime(date_text(f), {naive})) END""",
    ]
    for name, mapping in _lookups(programme).items():
        key = "fold_unit(f)" if name == "unit_of" else "fold_label(f)"
        macros.append(f"{name}(f) AS ({_map(mapping)})[{key}]")
    for macro in macros:
        conn.execute(f"CREATE OR REPLACE TEMP MACRO {macro}")


def folded(table: str, columns: list[str], raw: list[str]) -> str:
    """The raw table with each mapped column folded once (same name), and the file's text of the
    columns in `raw` kept as `<column>_text`."""
    others = ", ".join(f'"{c}"' for c in columns)
    parts = [f'fold("{c}") AS "{c}"' for c in columns] + [f'"{c}" AS "{c}_text"' for c in raw]
    return f"(SELECT * EXCLUDE ({others}), {', '.join(parts)} FROM {table})"


def platform_select(programme: Programme) -> str:
    """`platform_rows` from the cached raw cells of the platform snapshots read this run."""
    mapped = list(programme.headers("platform"))
    evidence = [c for c in evidence_columns(programme) if c in mapped]
    text = ["company_name", "county", "cluster", "industry", "qualification", "contact_name"]
    kept = [c for c in RAW_KEPT if c in mapped]
    parts = [
        "CASE WHEN clean_label(r.application_id) IS NULL "
        f"THEN {row_key('f.source_file', 'r.source_row')} "
        "ELSE clean_label(r.application_id) END AS record_key",
        "clean_label(r.application_id) AS application_id",
        *[f"clean_label(r.{c}) AS {c}" for c in text if c in mapped],
        "norm_code(r.credit_code) AS credit_code",
        "coalesce(unit_of(r.city), clean_label(r.city)) AS city",
        "type_of(r.application_type) AS application_type",
        "direction_of(r.direction) AS direction",
        "stage_of(r.stage) AS stage",
        "norm_phone(r.contact_phone) AS contact_phone",
        "parse_stamp(r.submitted_at) AS submitted_at",
        *[f"parse_number(r.{c}) AS {c}" for c in REPORT_POINTS if c in mapped],
        *[f"parse_flag(r.{c}) AS {c}" for c in evidence],
        *[f"nullif(r.{c}_text, '') AS {c}_raw" for c in kept],
        "f.source_file, r.source_sheet, r.source_row, f.snapshot_at",
    ]
    return f"""
        SELECT {", ".join(parts)}
        FROM {folded("raw_platform", mapped, kept)} r JOIN inbox_files f ON f.file_hash = r.file_hash
        WHERE f.folder = 'platform' AND f.status = 'read'"""


def city_select(programme: Programme, files: str = "inbox_files") -> str:
    """`city_submissions` from the cached raw cells of the city tables read this run (`files` names
    the file list: the inbox's, or one table being checked)."""
    mapped = list(programme.headers("city_table"))
    text = ["seq", "company_name", "industry", "qualification", "contact_name", "county", "cluster"]
    kept = [
        c for c in ("credit_code", "application_type", "direction", "contact_phone") if c in mapped
    ]
    parts = [
        f"{row_key('f.source_file', 'r.source_row')} AS record_key",
        "f.source_file, r.source_sheet, r.source_row",
        "r.unit AS city, r.unit_from",
        *[f"clean_label(r.{c}) AS {c}" for c in text if c in mapped],
        "norm_code(r.credit_code) AS credit_code",
        "type_of(r.application_type) AS application_type",
        "direction_of(r.direction) AS direction",
        "norm_phone(r.contact_phone) AS contact_phone",
        *[f"nullif(r.{c}_text, '') AS {c}_raw" for c in kept],
    ]
    return f"""
        SELECT {", ".join(parts)}
        FROM {folded("raw_city", mapped, kept)} r JOIN {files} f ON f.file_hash = r.file_hash
        WHERE f.folder = 'cities' AND f.status = 'read'"""


def pool_select(programme: Programme) -> str:
    """`pool_members`: the province's pool and leaders list (`pool`) and the cities' own pools
    (`city_pool`: every company on one is a pool member), each row with its file and row."""
    mapped = list(programme.headers("pool"))

    def text(column: str) -> str:
        return f"clean_label(r.{column})" if column in mapped else "CAST(NULL AS VARCHAR)"

    city = "coalesce(unit_of(r.city), clean_label(r.city))" if "city" in mapped else "NULL"

    def year(column: str) -> str:
        return f"TRY_CAST(parse_number(r.{column}) AS INTEGER)" if column in mapped else "NULL"

    return f"""
        SELECT norm_code(r.credit_code) AS credit_code, {text("company_name")} AS company_name,
               CASE WHEN f.kind = 'city_pool' THEN coalesce(pool_status_of(r.status), 'pool')
                    ELSE pool_status_of(r.status) END AS status,
               {text("status")} AS status_raw, {text("entry_year")} AS entry_year,
               f.kind, {city} AS city, {text("cluster")} AS cluster,
               {year("since_year")} AS since_year, {year("adjusted_year")} AS adjusted_year,
               {text("reason")} AS reason, f.source_file, r.source_row
        FROM {folded("raw_pool", mapped, [])} r
        JOIN inbox_files f ON f.file_hash = r.file_hash
        WHERE f.folder = 'registry' AND f.status = 'read' AND f.kind IN ('pool', 'city_pool')"""


def clusters_select(programme: Programme, shipped_name: str) -> str:
    """The inbox's cluster lists, else the shipped one (cached with the folder `reference`)."""
    raw = folded("raw_clusters", list(programme.headers("clusters")), [])
    return f"""
        WITH listed AS (
            SELECT r.*, f.source_file AS source FROM {raw} r JOIN inbox_files f USING (file_hash)
            WHERE f.folder = 'registry' AND f.status = 'read' AND f.kind = 'clusters'
        ), chosen AS (
            SELECT * FROM listed
            UNION ALL
            SELECT r.*, {literal(shipped_name)} AS source FROM {raw} r
            WHERE r.file_hash IN (SELECT file_hash FROM file_cache WHERE folder = 'reference')
              AND NOT EXISTS (SELECT 1 FROM listed)
        )
        SELECT clean_label(cluster) AS cluster, clean_label(county) AS county,
               coalesce(unit_of(city), clean_label(city)) AS city, source
        FROM chosen WHERE clean_label(cluster) IS NOT NULL"""


def normalised_values(
    conn: duckdb.DuckDBPyConnection, programme: Programme, expression: str, values: list[str]
) -> list:
    """One normalising expression (over `f`, the text folded) applied to texts, in order, in SQL."""
    install(conn, programme)
    table = pa.table({"i": pa.array(range(len(values))), "v": pa.array(values, pa.string())})
    conn.register("_values", table)
    try:
        rows = conn.execute(
            f"SELECT {expression} FROM (SELECT i, fold(v) AS f FROM _values) ORDER BY i"
        ).fetchall()
    finally:
        conn.unregister("_values")
    return [r[0] for r in rows]
