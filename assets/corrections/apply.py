"""Apply the stewards' corrections to freshly ingested rows, keeping the value each one replaced."""

from __future__ import annotations

import pandas as pd

from assets.corrections.fields import current_text, same_value


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
