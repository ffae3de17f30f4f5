"""Write the sample's platform snapshots, city tables (with planted city-row defects) and registry."""

from __future__ import annotations

import datetime as dt
import os
import random
from collections import Counter
from pathlib import Path

from lingpao.foundation.programme import Programme, city_passed
from lingpao.sample.codes import misspell
from lingpao.sample.defects import Planted, misspelled_direction, wrong_check_character
from lingpao.sample.model import TZ, Application, Factory
from lingpao.sample.writers import write_csv, write_docx, write_xls, write_xlsx

PLATFORM_HEADERS = [
    "申报编号",
    "企业名称",
    "统一社会信用代码",
    "所属市",
    "所属县（市、区）",
    "所属集群",
    "所属行业",
    "申报类型",
    "申报方向",
    "具体专项条件",
    "联系人",
    "联系电话",
    "提交时间",
    "当前环节",
    "营业收入2020",
    "营业收入2021",
    "营业收入2022",
    "利润2022",
    "上缴税金2022",
    "研发费用2022",
    "从业人员数",
    "营业执照",
    "审计报告",
    "主导产品证明",
    "知识产权清单",
    "合作合同",
    "无事故证明",
    "社会责任说明",
    "专项条件佐证",
    "真实性声明",
]
CITY_HEADERS = [
    "序号",
    "企业名称",
    "统一社会信用代码",
    "所属行业",
    "申报类型",
    "申报方向",
    "具体专项条件",
    "联系人",
    "联系电话",
]
SNAPSHOTS = [  # (file name, export time, how far along its path each application is)
    ("平台导出_20230724_1800.xlsx", dt.datetime(2023, 7, 24, 18, 0, tzinfo=TZ), 1),
    ("平台导出_月末前.xls", dt.datetime(2023, 7, 28, 20, 0, tzinfo=TZ), 2),
    ("平台导出_20230801_0930.csv", dt.datetime(2023, 8, 1, 9, 30, tzinfo=TZ), 99),
]
CORRUPT_SNAPSHOT = "平台导出_20230730.xlsx"
# Formats that cannot hold a national-size export: .xls stops at 65,536 rows (the platform then
# exports .xlsx), and writing an xlsx with merged titles keeps the whole grid in memory (beyond
# this the export is written as CSV).
XLS_ROWS = 60_000
XLSX_ROWS = 200_000


def platform_style(name: str, rows: int) -> tuple[str, str]:
    """(file name, format) of a snapshot of `rows` rows."""
    stem, style = name.rsplit(".", 1)
    if style == "xls" and rows > XLS_ROWS:
        style = "xlsx"
    if style == "xlsx" and rows > XLSX_ROWS:
        style = "csv"
    return f"{stem}.{style}", style


CITY_ARRIVALS = {  # when each office's table reached the province (file modification time)
    "石家庄": dt.datetime(2023, 7, 28, 10, 5, tzinfo=TZ),
    "唐山": dt.datetime(2023, 7, 30, 17, 40, tzinfo=TZ),
    "邢台": dt.datetime(2023, 7, 30, 9, 12, tzinfo=TZ),
    "沧州": dt.datetime(2023, 7, 31, 11, 20, tzinfo=TZ),
}
CITY_FORMATS = {  # unit -> how its office sends the table
    "石家庄": "xlsx",
    "唐山": "xls",
    "邢台": "docx",
    "保定": "xlsx_sheet_unit",
    "沧州": "xlsx_file_unit",
    "邯郸": "xlsx_extra_sheets",
    "衡水": "xlsx",
}


def _written_time(rng: random.Random, moment: dt.datetime, style: str) -> object:
    naive = moment.replace(tzinfo=None)
    if style in {"xlsx", "xls"}:
        return naive  # a date cell (xlsx) or an Excel serial number (xls)
    return rng.choice(
        [
            naive.strftime("%Y-%m-%d %H:%M:%S"),
            f"{naive:%Y/%-m/%-d %H:%M}",
            f"{naive.year}年{naive.month}月{naive.day}日 {naive:%H:%M}",
        ]
    )


def platform_row(
    rng: random.Random, programme: Programme, app: Application, stage: str, style: str
) -> list:
    phone: object = app.contact_phone
    if style in {"xlsx", "xls"} and phone.isdigit():
        phone = float(phone)  # a phone stored as an Excel number
    city = app.city + ("市" if rng.random() < 0.5 and app.city != "雄安新区" else "")
    type_label = (
        app.type_written
        if app.type_written is not None
        else rng.choice(programme.types[app.application_type]["variants"])
    )
    direction = (
        app.direction_written
        if app.direction_written is not None
        else programme.directions[app.direction]
    )
    code = app.code_written if app.code_written is not None else misspell(rng, app.credit_code)
    figures = [str(v) if style == "csv" else v for v in app.figures]
    return [
        app.application_id,
        app.company_name,
        code,
        city,
        app.county,
        app.cluster,
        app.industry,
        type_label,
        direction,
        app.qualification,
        app.contact_name,
        phone,
        _written_time(rng, app.submitted_at, style),
        programme.stage_labels[stage],
        *figures,
        *app.evidence,
    ]


def write_platform(inbox: Path, rng: random.Random, programme: Programme, apps: list[Application]):
    """Three snapshots (xlsx, xls without a date in its name, GBK csv) and a corrupt one."""
    folder = inbox / "platform"
    folder.mkdir(parents=True, exist_ok=True)
    history: dict[str, list[tuple[str, str]]] = {}
    holders: dict[str, list[int]] = {}
    for index, (name, taken, reach) in enumerate(SNAPSHOTS):
        present = [
            a
            for a in apps
            if a.submitted_at <= taken and (a.withdrawn_after is None or a.withdrawn_after >= index)
        ]
        name, style = platform_style(name, len(present))
        headers = list(PLATFORM_HEADERS)
        if index == 0:
            headers = [
                h + "（万元）" if h.startswith(("营业收入", "利润", "上缴", "研发")) else h
                for h in headers
            ]
        if index == 2:
            headers = [
                " 所属集群 " if h == "所属集群" else h.replace("（市、区）", "(市、区)")
                for h in headers
            ]
        body = []
        for app in present:
            stage = app.stage_at(reach)
            body.append(platform_row(rng, programme, app, stage, style))
            steps = history.setdefault(app.application_id, [])
            if not steps or steps[-1][0] != stage:
                steps.append((stage, taken.isoformat()))
            holders.setdefault(app.application_id, []).append(index)
        rng.shuffle(body)
        if style == "xlsx":
            title = [
                ["河北省县域特色产业集群“领跑者”企业申报信息导出"],
                [f"导出时间：{taken:%Y-%m-%d %H:%M}"],
            ]
            write_xlsx(
                folder / name,
                [
                    ("说明", [["本表由河北省工业企业服务平台导出"]], 0),
                    ("申报信息", title + [headers] + body, 2),
                ],
            )
        elif style == "xls":
            write_xls(folder / name, [("申报信息", [["“领跑者”企业申报信息"], headers] + body, 1)])
            os.utime(folder / name, (taken.timestamp(), taken.timestamp()))
        else:
            write_csv(
                folder / name, [[f"导出时间：{taken:%Y-%m-%d %H:%M}"], headers] + body, "gb18030"
            )
            os.utime(folder / name, (taken.timestamp(), taken.timestamp()))
    (folder / CORRUPT_SNAPSHOT).write_bytes(b"PK\x03\x04 truncated download")
    return history, holders


def city_cells(rng: random.Random, programme: Programme, app: Application) -> list:
    phone: object = app.contact_phone
    if phone.isdigit() and rng.random() < 0.5:
        phone = float(phone)
    return [
        0,
        app.company_name,
        misspell(rng, app.credit_code),
        app.industry,
        rng.choice(programme.types[app.application_type]["variants"]),
        programme.directions[app.direction],
        app.qualification,
        app.contact_name,
        phone,
    ]


def plan_city_rows(factory: Factory, planted: Planted) -> dict[str, list[dict]]:
    """Per unit, the rows its table holds: every application the city passed on, with planted defects."""
    rng, programme = factory.rng, factory.programme
    by_unit: dict[str, list[dict]] = {}
    for app in factory.apps:
        if app.final_stage in city_passed(programme, app.application_type):
            row = {"app": app, "cells": city_cells(rng, programme, app), "rules": []}
            by_unit.setdefault(app.city, []).append(row)
    codes = Counter(a.credit_code for a in factory.apps)
    clean = [
        r
        for rows in by_unit.values()
        for r in rows
        if r["app"].application_id not in planted.touched
        and r["app"].application_type != "info_update"
        and codes[r["app"].credit_code] == 1
    ]
    rng.shuffle(clean)
    pick = iter(clean)
    for type_id in ("pool_entry", "certification"):  # left out of the city's table
        row = next(r for r in pick if r["app"].application_type == type_id)
        by_unit[row["app"].city].remove(row)
        planted.touched.add(row["app"].application_id)
        planted.expect("missing_in_city_table", row["app"].application_id)
    row = next(r for r in pick if r["app"].application_type == "pool_entry")  # a typo in the code
    row["cells"][2] = wrong_check_character(row["app"].credit_code, rng)
    row["rules"] = ["credit_code_checksum", "missing_in_platform"]
    planted.touched.add(row["app"].application_id)
    planted.expect("missing_in_city_table", row["app"].application_id)
    row = next(pick)  # another direction than on the platform
    row["cells"][5] = next(v for k, v in programme.directions.items() if k != row["app"].direction)
    row["rules"] = ["field_mismatch"]
    row = next(pick)  # another company name
    row["cells"][1] = row["app"].company_name.replace("有限公司", "股份有限公司")
    row["rules"] = ["field_mismatch"]
    row = next(pick)  # a near-miss direction label
    row["cells"][5] = misspelled_direction(programme.directions[row["app"].direction])
    row["rules"] = ["direction_invalid"]
    row["fix"] = {"direction_invalid": programme.directions[row["app"].direction]}
    row = next(pick)
    row["cells"][8] = "12345"
    row["rules"] = ["phone_invalid"]
    unit = sorted(by_unit)[0]  # a company the platform has never seen
    code, name = factory.company(unit)
    by_unit[unit].append(
        {
            "app": None,
            "rules": ["missing_in_platform"],
            "cells": [
                0,
                name,
                code,
                "装备制造",
                "入库培育",
                "智能制造发展",
                "省级智能工厂",
                "赵强",
                "13912345678",
            ],
        }
    )
    return by_unit


def write_cities(inbox: Path, factory: Factory, planted: Planted) -> list[dict]:
    """One 附件2 table per unit in every office format, plus two unreadable files; returns key rows."""
    folder = inbox / "cities"
    folder.mkdir(parents=True, exist_ok=True)
    expected = []
    for unit, rows in sorted(plan_city_rows(factory, planted).items()):
        style = CITY_FORMATS.get(unit, "xlsx")
        if style in {"docx", "xls"} and len(rows) > XLS_ROWS // 10:
            style = "xlsx"  # nobody types thousands of rows into a Word table
        full = unit if unit == "雄安新区" else f"{unit}市"
        title = f"{full}推荐“领跑者”企业培育及认定申报汇总表"
        for seq, row in enumerate(rows, start=1):
            row["cells"][0] = seq
        body = [r["cells"] for r in rows]
        lines = [
            [
                f"填报单位（盖章）：{full}工业和信息化局",
                "",
                "",
                "",
                "",
                "",
                "填报日期：2023年7月30日",
            ]
        ]
        tail = [
            [None] * 9,
            ["…", "…", "…"],
            ["注：1.申报类型填写入库培育、“领跑者”企业认定或信息更新。"],
        ]
        if style == "docx":
            name, sheet, numbers = f"{full}汇总表.docx", "表1", [2 + i for i in range(len(rows))]
            cells = [[("" if v is None else v) for v in r] for r in body]
            write_docx(
                folder / name, title, [CITY_HEADERS] + cells + [["…"] * 9], before=[lines[0][0]]
            )
        elif style == "xls":
            name, sheet, numbers = (
                f"附件2 {full}汇总表.xls",
                "汇总表",
                [3 + i for i in range(len(rows))],
            )
            write_xls(folder / name, [(sheet, [[title], CITY_HEADERS] + body + tail, 1)])
        else:
            grid_title = (
                "推荐“领跑者”企业培育及认定申报汇总表"
                if style in {"xlsx_sheet_unit", "xlsx_file_unit"}
                else title
            )
            grid = [[grid_title], *lines, CITY_HEADERS] + body[:2] + [[None] * 9] + body[2:] + tail
            sheet = {"xlsx_sheet_unit": unit, "xlsx_file_unit": "Sheet1"}.get(style, "汇总表")
            name = f"附件2-{full}.xlsx" if style == "xlsx_file_unit" else f"{full}汇总表.xlsx"
            sheets = [(sheet, grid, 1)]
            if style == "xlsx_extra_sheets":
                sheets = [
                    ("填表说明", [["请按附件2格式填写"], ["序号", "说明"]], 0),
                    *sheets,
                    ("Sheet3", [], 0),
                ]
            write_xlsx(
                folder / name, sheets, hidden_columns=("K",) if style == "xlsx_extra_sheets" else ()
            )
            numbers = [
                4 + i + (1 if i >= 2 else 0) for i in range(len(rows))
            ]  # a blank row after two
        arrived = CITY_ARRIVALS.get(unit, dt.datetime(2023, 7, 29, 16, 30, tzinfo=TZ))
        os.utime(folder / name, (arrived.timestamp(), arrived.timestamp()))
        for row, number in zip(rows, numbers, strict=True):
            key = f"cities/{name}:{number}"
            for rule in row["rules"]:
                planted.expect(rule, key, source="city_table", fix=row.get("fix", {}).get(rule))
            app = row["app"]
            expected.append(
                {
                    "source_file": f"cities/{name}",
                    "source_row": number,
                    "city": unit,
                    "application_id": app.application_id if app else None,
                    "credit_code": _canonical(row["cells"][2]),
                    "application_type": app.application_type if app else "pool_entry",
                    "direction": _direction(row["cells"][5], factory.programme),
                }
            )
    untitled = [
        ["推荐“领跑者”企业培育及认定申报汇总表"],
        CITY_HEADERS,
        [1, "某某有限公司", "911301000000000000"],
    ]
    write_xlsx(folder / "汇总表(1).xlsx", [("Sheet1", untitled, 1)])
    (folder / "张家口市汇总表.xlsx").write_bytes(bytes(range(64)))
    return expected


def _canonical(code: str) -> str:
    import unicodedata

    return "".join(unicodedata.normalize("NFKC", code).split()).upper()


def _direction(label: str, programme: Programme) -> str | None:
    return next((k for k, v in programme.directions.items() if v == label), None)


def write_registry(inbox: Path, pool: list[tuple[str, str, str, str]]) -> None:
    folder = inbox / "registry"
    folder.mkdir(parents=True, exist_ok=True)
    rows = [
        ["河北省县域特色产业集群“领跑者”企业培育库名单"],
        ["统一社会信用代码", "企业名称", "状态", "入库年度"],
    ]
    write_xlsx(folder / "pool.xlsx", [("名单", rows + [list(p) for p in pool], 1)])
