"""The stewards' corrections applied to a table while it is built, and the outcome of each.

A correction stands while the source still holds the value it corrected (`old_value`); once the
source itself changes that value, the correction is superseded and the new data stands. New values
are normalised exactly as the file's text would be (the same SQL), and checked as the rules would.
"""

from __future__ import annotations

import json

import duckdb
import pandas as pd
from stdnum.cn import uscc

from lingpao.foundation.programme import Programme
from lingpao.foundation.schema import RAW_KEPT
from lingpao.foundation.text import fold_label
from lingpao.ingest.normalise import normalised_values
from lingpao.ingest.phone_numbers import VALID_KINDS, phone_kind
from lingpao.warehouse.connection import append_rows, read_frame

RAW_COLUMNS = set(RAW_KEPT)  # fields whose file text ingest keeps as `<field>_raw`
# How ingest normalises each field (SQL over `f`, the folded text); other fields are cleaned text.
FIELD_SQL = {
    "credit_code": "norm_code(f)",
    "application_type": "type_of(f)",
    "direction": "direction_of(f)",
    "stage": "stage_of(f)",
    "city": "unit_of(f)",
    "contact_phone": "norm_phone(f)",
    "submitted_at": "parse_stamp(f)",
}


def normalise_values(
    field: str,
    texts: list[str],
    programme: Programme,
    conn: duckdb.DuckDBPyConnection | None = None,
) -> list[object]:
    """The warehouse values of corrected texts of one field, exactly as ingest would normalise them;
    None for a text that is not a valid value."""
    own = conn is None
    conn = conn or duckdb.connect()
    try:
        texts = ["" if t is None else str(t) for t in texts]
        values = normalised_values(conn, programme, FIELD_SQL.get(field, "clean_label(f)"), texts)
    finally:
        if own:
            conn.close()
    if field == "credit_code":
        return [v if v and uscc.is_valid(v) else None for v in values]
    if field == "contact_phone":
        return [v if phone_kind(v) in VALID_KINDS else None for v in values]
    return [None if v is None or (not isinstance(v, str) and pd.isna(v)) else v for v in values]


def current_text(record: pd.Series | dict, field: str) -> str:
    """The value of a field as a person sees it in the source: the file's text where it is kept."""
    raw = record.get(f"{field}_raw") if field in RAW_COLUMNS else None
    value = raw if isinstance(raw, str) and raw else record.get(field)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value)


def same_value(a: str | None, b: str | None) -> bool:
    return fold_label(a) == fold_label(b)


def apply_corrections(
    frame: pd.DataFrame,
    corrections: pd.DataFrame,
    source: str,
    keys: pd.Series,
    normalised: dict[int, object],
) -> tuple[pd.DataFrame, list[dict]]:
    """Corrections of `source`, in the order made, applied to `frame` (records named by `keys`);
    `normalised` holds each correction's new value as ingest would store it (None: invalid).

    A correction applies while the field still holds the value it corrected (`old_value`); once the
    source itself changes that value, the correction is superseded and the new data stands.
    Returns the corrected frame (with `corrected_from` and `correction_ids`) and one outcome per correction.
    """
    frame = frame.copy()
    frame["corrected_from"] = [{} for _ in range(len(frame))]
    frame["correction_ids"] = [[] for _ in range(len(frame))]
    position = {key: i for i, key in enumerate(keys)}
    shown: dict[tuple[int, str], str] = {}
    outcomes = []
    mine = corrections[corrections["source"] == source] if len(corrections) else corrections
    for c in mine.itertuples():
        row = position.get(c.record_key)
        if row is None:
            outcomes.append({"correction_id": c.id, "applied": False, "note": "记录已不存在"})
            continue
        label = frame.index[row]
        now = shown.get((row, c.field), current_text(frame.loc[label], c.field))
        if c.old_value is not None and not same_value(now, c.old_value):
            outcomes.append(
                {
                    "correction_id": c.id,
                    "applied": False,
                    "note": f"源数据已变为“{now}”（更正时为“{c.old_value}”），以新数据为准",
                }
            )
            continue
        value = normalised.get(c.id)
        if value is None:
            outcomes.append(
                {"correction_id": c.id, "applied": False, "note": f"新值“{c.new_value}”无效"}
            )
            continue
        frame.at[label, "corrected_from"] = {
            **frame.at[label, "corrected_from"],
            c.field: frame.at[label, "corrected_from"].get(c.field, now),
        }
        frame.at[label, "correction_ids"] = [*frame.at[label, "correction_ids"], int(c.id)]
        frame.at[label, c.field] = value
        shown[(row, c.field)] = c.new_value
        outcomes.append({"correction_id": c.id, "applied": True, "note": None})
    return frame, outcomes


def apply_stored(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    source: str,
    corrections: pd.DataFrame,
    programme: Programme,
) -> pd.DataFrame:
    """Apply one source's corrections to the rows they name (not the whole table), in place; the
    outcome of each correction (applied, or superseded and why) as rows of `<source>` outcomes."""
    mine = corrections[corrections["source"] == source] if len(corrections) else corrections
    if mine.empty:
        return pd.DataFrame(
            columns=["correction_id", "source", "record_key", "field", "applied", "note"]
        )
    keys = sorted(set(mine["record_key"]))
    rows = read_frame(
        conn, f"SELECT * FROM {table} WHERE record_key IN (SELECT unnest(?::VARCHAR[]))", [keys]
    )
    normalised: dict[int, object] = {}
    for field, group in mine.groupby("field"):
        values = normalise_values(field, list(group["new_value"]), programme, conn)
        normalised.update(zip(group["id"], values, strict=True))
    corrected, outcomes = apply_corrections(rows, mine, source, rows["record_key"], normalised)
    corrected["corrected_from"] = corrected["corrected_from"].map(
        lambda d: json.dumps(d, ensure_ascii=False) if d else None
    )
    corrected["correction_ids"] = corrected["correction_ids"].map(lambda ids: ids or None)
    changed = corrected[corrected["correction_ids"].notna()]
    if len(changed):
        conn.execute(
            f"DELETE FROM {table} WHERE record_key IN (SELECT unnest(?::VARCHAR[]))",
            [list(changed["record_key"])],
        )
        append_rows(conn, table, changed, programme)
    by_id = mine.set_index("id")
    return pd.DataFrame(
        [
            {
                "correction_id": o["correction_id"],
                "source": source,
                "record_key": by_id.at[o["correction_id"], "record_key"],
                "field": by_id.at[o["correction_id"], "field"],
                "applied": o["applied"],
                "note": o["note"],
            }
            for o in outcomes
        ]
    )
