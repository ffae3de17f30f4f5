"""`lingpao sample --rounds`: an inbox of three rounds, as the province has had them.

- 2022: the first batch of leaders, known to the warehouse through its registry list only;
- 2023: the round of the seed notice (platform exports, city tables, registry), as `write_sample`;
- 2024: the 2024 shape: certification only, no platform, each city's table of the companies it
  recommends (from the province's pool, the pool entries confirmed in 2023, and its own pool);
  the province's list now marks a few first-batch leaders as adjusted (动态调整) in 2023.

The key (`key.json` at the top) says what a correct build finds across the rounds.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import random
from pathlib import Path
from zoneinfo import ZoneInfo

from lingpao.foundation.programme import load_programme
from lingpao.sample.generator import write_sample
from lingpao.sample.model import Factory, load_clusters
from lingpao.sample.writers import write_xlsx

CITY_HEADERS_2024 = [
    "序号",
    "企业名称",
    "统一社会信用代码",
    "所属县（市、区）",
    "所属集群",
    "所属行业",
    "申报类型",
    "申报方向",
    "具体专项条件",
    "联系人",
    "联系电话",
]
ADJUSTED_REASON = "经市级核查，企业经营状况已不符合“领跑者”条件"


def write_rounds(out: Path, seed: int = 2023, applications: int = 400) -> dict:
    """Write the three rounds under `out/<year>/` and the key to `out/key.json`; returns the key."""
    rng = random.Random(seed + 1)
    sample = write_sample(out / "2023", seed=seed, applications=applications, year=2023)
    pool = sample["pool"]
    leaders = [p for p in pool if p["status"] == "领跑者"]
    members = [p for p in pool if p["status"] == "培育库"]
    _registry(
        out / "2022",
        [["统一社会信用代码", "企业名称", "状态", "认定年度", "所属市", "所属集群"]]
        + [[p["credit_code"], p["company_name"], "领跑者", "2022", p["city"], p["cluster"]]
           for p in leaders],
        "河北省县域特色产业集群“领跑者”企业名单（第一批）",
    )  # fmt: skip
    adjusted = sorted(p["credit_code"] for p in rng.sample(leaders, k=min(3, len(leaders))))
    rows = [
        ["统一社会信用代码", "企业名称", "状态", "入库年度", "认定年度", "调整年度", "调整原因"]
    ]
    for p in leaders:
        gone = p["credit_code"] in adjusted
        rows.append([
            p["credit_code"], p["company_name"], "已调整" if gone else "领跑者", p["entry_year"],
            "2022", "2023" if gone else "", ADJUSTED_REASON if gone else "",
        ])  # fmt: skip
    rows += [
        [p["credit_code"], p["company_name"], "培育库", p["entry_year"], "", "", ""]
        for p in members
    ]
    _registry(out / "2024", rows, "河北省特色产业集群“领跑者”企业培育库名单（2024年）")

    certified_now = _certify(out / "2023" / "platform", sample["shortlist"][:8])
    for application_id in certified_now:
        sample["applications"][application_id]["stage"] = "certified"
    confirmed_stages = set(load_programme(2023).reached("city_confirmed"))
    apps = sample["applications"]
    confirmed = sorted(
        {a["credit_code"] for a in apps.values()
         if a["application_type"] == "pool_entry" and a["stage"] in confirmed_stages}
    )  # fmt: skip
    certified_2023 = sorted(
        {a["credit_code"] for a in apps.values()
         if a["application_type"] == "certification" and a["stage"] == "certified"}
    )  # fmt: skip
    factory = Factory(rng, load_programme(2024))
    factory.codes |= {p["credit_code"] for p in pool} | {a["credit_code"] for a in apps.values()}
    city_pool = [factory.new_company() for _ in range(6)]
    stranger = factory.new_company()
    _registry(
        out / "2024",
        [["统一社会信用代码", "企业名称", "所属市", "入库年度"]]
        + [[code, name, cluster[2], "2024"] for code, name, cluster in city_pool],
        "市级“领跑者”企业培育库",
        name="city_pool.xlsx",
    )
    places = {p["credit_code"]: p for p in pool}
    by_code = {a["credit_code"]: a for a in apps.values()}
    candidates = []
    for code in confirmed[:20]:
        a, where = by_code[code], places.get(code)
        candidates.append((code, a["company_name"], a["city"], where))
    for p in members[:12]:
        candidates.append((p["credit_code"], p["company_name"], p["city"], p))
    clusters = {c[2]: c for c in load_clusters()}
    for code, name, cluster in [*city_pool, stranger]:
        candidates.append((code, name, cluster[2], {"cluster": cluster[0], "county": cluster[1]}))
    directions = list(factory.programme.directions.values())
    by_unit: dict[str, list[list]] = {}
    for code, name, unit, where in candidates:
        where = where or {"cluster": clusters[unit][0], "county": clusters[unit][1]}
        by_unit.setdefault(unit, []).append([
            None, name, code, where["county"], where["cluster"], rng.choice(["装备制造", "食品加工", "纺织服装"]),
            "“领跑者”企业认定", rng.choice(directions), "省级专精特新中小企业",
            rng.choice("张王李赵刘陈") + "经理", factory.phone(),
        ])  # fmt: skip
    folder = out / "2024" / "cities"
    folder.mkdir(parents=True, exist_ok=True)
    for number, (unit, body) in enumerate(sorted(by_unit.items())):
        full = unit if unit == "雄安新区" else f"{unit}市"
        for seq, row in enumerate(body, start=1):
            row[0] = seq
        title = f"{full}推荐特色产业集群“领跑者”企业认定汇总表"
        path = folder / f"{full}汇总表.xlsx"
        write_xlsx(path, [("汇总表", [[title], CITY_HEADERS_2024, *body], 1)])
        # received in the fortnight before the 2024-09-12 deadline (the last one late)
        arrived = dt.datetime(2024, 9, 2, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
        arrived += dt.timedelta(days=number + 1, hours=rng.randint(0, 8))
        os.utime(path, (arrived.timestamp(), arrived.timestamp()))
    key = {
        "rounds": [2022, 2023, 2024],
        "2023": {"applications": len(apps), "certified": certified_2023},
        "2024": {
            "applications": len(candidates),
            "units": sorted(by_unit),
            "confirmed_in_2023": confirmed[:20],
            "registry_pool": [p["credit_code"] for p in members[:12]],
            "city_pool": [code for code, _, _ in city_pool],
            "not_in_pool": [stranger[0]],
        },
        "leaders": {
            "first_batch": sorted(p["credit_code"] for p in leaders),
            "adjusted_in_2023": adjusted,
            "certified_in_2023": certified_2023,
        },
    }
    (out / "key.json").write_text(json.dumps(key, ensure_ascii=False, indent=1), encoding="utf-8")
    return key


def _certify(platform: Path, chosen: list[str]) -> list[str]:
    """The platform's export after the 2023-12-08 certification: the newest snapshot again, the
    `chosen` applications now 已认定. Returns them."""
    newest = max(platform.glob("*_2023*.csv"))
    lines = newest.read_bytes().decode("gb18030").splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("申报编号"))
    rows = list(csv.reader(lines[header:]))
    stage = rows[0].index("当前环节")
    for row in rows[1:]:
        if row and row[0] in chosen:
            row[stage] = "已认定"
    write_xlsx(
        platform / "平台导出_20231210.xlsx", [("申报", [["导出时间：2023-12-10 10:00"], *rows], 1)]
    )
    return [r[0] for r in rows[1:] if r and r[0] in chosen]


def _registry(folder: Path, rows: list[list], title: str, name: str = "pool.xlsx") -> None:
    target = folder / "registry"
    target.mkdir(parents=True, exist_ok=True)
    write_xlsx(target / name, [("名单", [[title], *rows], 1)])
