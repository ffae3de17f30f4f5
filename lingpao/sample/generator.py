"""`lingpao sample`: a whole inbox in every format and trap of the contract, plus its answer key."""

from __future__ import annotations

import json
import random
from pathlib import Path

from lingpao.foundation.programme import city_passed, load_programme
from lingpao.sample.defects import plant_platform
from lingpao.sample.files import (
    CITY_HEADERS,
    CORRUPT_SNAPSHOT,
    PLATFORM_HEADERS,
    SNAPSHOTS,
    write_cities,
    write_platform,
    write_registry,
)
from lingpao.sample.model import Factory

__all__ = ["CITY_HEADERS", "PLATFORM_HEADERS", "write_sample"]


def write_sample(
    out: Path,
    seed: int = 2023,
    applications: int = 400,
    year: int | None = None,
    with_key: bool = True,
) -> dict:
    """Write the inbox into `out` and its answer key into `out/key.json`; returns the key
    (`with_key=False`: only the counts, for benchmark inboxes of a million applications)."""
    programme = load_programme(year)
    factory = Factory(random.Random(seed), programme)
    factory.populate(applications)
    drafts = [a for a in factory.apps if a.final_stage == "draft"]
    for app in factory.rng.sample(
        drafts, k=min(2, len(drafts))
    ):  # drafts deleted after the first export
        app.withdrawn_after = 0
        app.submitted_at = min(app.submitted_at, SNAPSHOTS[0][1].replace(hour=12))
    planted = plant_platform(factory)
    out.mkdir(parents=True, exist_ok=True)
    history, holders = write_platform(out, factory.rng, programme, factory.apps)
    city_rows = write_cities(out, factory, planted)
    write_registry(out, factory.pool)
    current = {}
    for app in factory.apps:
        if app.application_id in holders:
            last = holders[app.application_id][-1]
            current[app.application_id] = {
                "credit_code": app.credit_code,
                "company_name": app.company_name,
                "city": app.city,
                "application_type": app.expected_type,
                "direction": app.expected_direction,
                "stage": app.stage_at(SNAPSHOTS[last][2]),
                "snapshots": len(holders[app.application_id]),
                "contact_phone": app.contact_phone,
                "submitted_at": app.submitted_at.isoformat(),
            }
    unreadable = sorted(
        [f"platform/{CORRUPT_SNAPSHOT}", "cities/汇总表(1).xlsx", "cities/张家口市汇总表.xlsx"]
    )
    for name in unreadable:
        planted.expect("file_unreadable", name, source="file")
    blocked = {
        key
        for rule, source, key in planted.issues
        if source == "platform"
        and (rule == "evidence_incomplete" or programme_severity(rule) == "error")
    }
    recommended = set(city_passed(programme, "certification"))
    shortlist = sorted(
        a.application_id
        for a in factory.apps
        if a.expected_type == "certification"
        and a.final_stage in recommended
        and a.application_id not in blocked
    )
    key = {
        "seed": seed,
        "counts": {
            "applications": len(current),
            "city_submissions": len(city_rows),
            "pool_members": len(factory.pool),
            "planted_issues": len(planted.issues),
            "shortlist": len(shortlist),
        },
        "applications": current,
        "stage_history": history,
        "city_submissions": city_rows,
        "unreadable_files": unreadable,
        "issues": sorted(planted.issues),
        "suggested_fixes": planted.fixes,
        "shortlist": shortlist,
        "pool": [
            {
                "credit_code": code,
                "company_name": name,
                "status": status,
                "entry_year": year,
                "cluster": factory.places[code][0],
                "county": factory.places[code][1],
                "city": factory.places[code][2],
            }
            for code, name, status, year in factory.pool
        ],
    }
    if not with_key:
        return {"seed": seed, "counts": key["counts"]}
    (out / "key.json").write_text(
        json.dumps(key, ensure_ascii=False, indent=1, default=str), encoding="utf-8"
    )
    return key


def programme_severity(rule: str) -> str:
    """Severity of a contract rule, as the contract's table gives it (the key does not ask the pipeline)."""
    warnings = {"cluster_unknown", "phone_invalid", "evidence_incomplete", "field_mismatch"}
    return "warning" if rule in warnings else "error"
