"""`lingpao sample`: a whole inbox in every format and trap of the contract, plus its answer key."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from pipelines.programme import DEFAULT_CLUSTERS, Programme, city_passed, load_programme
from pipelines.sample.codes import DIVISIONS, make_code, misspell
from pipelines.sample.writers import write_csv, write_docx, write_xls, write_xlsx

TZ = ZoneInfo("Asia/Shanghai")
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
INDUSTRIES = ["纺织服装", "装备制造", "食品加工", "新材料", "五金制品", "生物医药", "汽车零部件"]
QUALIFICATIONS = [
    "国家级专精特新“小巨人”",
    "省级专精特新中小企业",
    "高新技术企业",
    "省级技术创新示范企业",
    "绿色工厂",
    "省级智能工厂",
    "河北省名牌产品",
    "省级企业技术中心",
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
# Paths an application walks, by final stage; snapshots show a prefix of it.
PATHS = {
    "draft": ["draft"],
    "submitted": ["draft", "submitted"],
    "county_verified": ["draft", "submitted", "county_verified"],
    "county_returned": ["draft", "submitted", "county_returned"],
    "city_confirmed": ["draft", "submitted", "county_verified", "city_confirmed"],
    "city_rejected": ["draft", "submitted", "county_verified", "city_rejected"],
    "city_recommended": ["draft", "submitted", "county_verified", "city_recommended"],
    "province_review": [
        "draft",
        "submitted",
        "county_verified",
        "city_recommended",
        "province_review",
    ],
}
FINAL_STAGES = {
    "pool_entry": (
        [
            "draft",
            "submitted",
            "county_verified",
            "county_returned",
            "city_confirmed",
            "city_rejected",
        ],
        [3, 8, 12, 4, 25, 3],
    ),
    "certification": (
        ["submitted", "county_verified", "city_rejected", "city_recommended", "province_review"],
        [5, 8, 3, 20, 14],
    ),
    "info_update": (["submitted", "county_verified", "city_confirmed"], [3, 4, 10]),
}
SNAPSHOTS = [  # (file name, export time, how far along each application's path)
    ("平台导出_20230724_1800.xlsx", dt.datetime(2023, 7, 24, 18, 0, tzinfo=TZ), 1),
    ("平台导出_月末前.xls", dt.datetime(2023, 7, 28, 20, 0, tzinfo=TZ), 2),
    ("平台导出_20230801_0930.csv", dt.datetime(2023, 8, 1, 9, 30, tzinfo=TZ), 99),
]


@dataclass
class Application:
    """One sample application as it truly is (the key), before any messiness is applied."""

    application_id: str
    company_name: str
    credit_code: str
    city: str
    county: str
    cluster: str
    industry: str
    application_type: str
    direction: str
    qualification: str
    contact_name: str
    contact_phone: str
    submitted_at: dt.datetime
    final_stage: str
    figures: list[float] = field(default_factory=list)
    withdrawn_after: int | None = None  # last snapshot index holding it, for withdrawn drafts

    def stage_in(self, snapshot: int, reach: int) -> str:
        path = PATHS[self.final_stage]
        return path[min(reach, len(path) - 1)]


def _clusters() -> list[tuple[str, str, str]]:
    import csv

    with DEFAULT_CLUSTERS.open(encoding="utf-8") as handle:
        return [
            (r["集群名称"], r["所属县（市、区）"], r["所属市"].removesuffix("市"))
            for r in csv.DictReader(handle)
        ]


def _phone(rng: random.Random) -> str:
    if rng.random() < 0.8:
        return "1" + rng.choice("3589") + "".join(rng.choice("0123456789") for _ in range(9))
    return f"0{rng.choice(['311', '315', '335', '310', '319', '312', '317'])}-{rng.randint(2000000, 8999999)}"


def _moment(rng: random.Random, window: tuple[dt.date, dt.date]) -> dt.datetime:
    days = (window[1] - window[0]).days
    day = window[0] + dt.timedelta(days=rng.randint(0, days))
    return dt.datetime.combine(day, dt.time(rng.randint(8, 21), rng.randint(0, 59)), tzinfo=TZ)


def make_applications(rng: random.Random, programme: Programme, count: int):
    """Applications, the pool list (code, name, status, year) and companies, all valid."""
    clusters = _clusters()
    directions = list(programme.directions)
    apps: list[Application] = []
    pool: list[tuple[str, str, str, str]] = []
    used_codes: set[str] = set()

    def company(city: str) -> tuple[str, str]:
        while True:
            code = make_code(rng, DIVISIONS[city])
            if code not in used_codes:
                used_codes.add(code)
                return (
                    code,
                    f"河北{rng.choice('华瑞恒泰鑫诚宏远德盛')}{rng.choice('达丰源兴隆安顺通')}{len(used_codes):04d}有限公司",
                )

    def add(
        type_id: str, code: str, name: str, cluster: tuple[str, str, str], final: str | None = None
    ):
        stages, weights = FINAL_STAGES[type_id]
        final = final or rng.choices(stages, weights)[0]
        revenue = rng.uniform(2000, 80000)
        growth = rng.uniform(0.9, 1.4)
        apps.append(
            Application(
                application_id=f"LP{programme.year}{len(apps) + 1:05d}",
                company_name=name,
                credit_code=code,
                city=cluster[2],
                county=cluster[1],
                cluster=cluster[0],
                industry=rng.choice(INDUSTRIES),
                application_type=type_id,
                direction=rng.choice(directions),
                qualification=rng.choice(QUALIFICATIONS),
                contact_name=rng.choice(SURNAMES) + rng.choice("伟芳娜敏静丽强磊军洋勇艳杰"),
                contact_phone=_phone(rng),
                submitted_at=_moment(rng, programme.window(type_id)),
                final_stage=final,
                figures=[
                    round(revenue / growth / growth, 1),
                    round(revenue / growth, 1),
                    round(revenue, 1),
                    round(revenue * rng.uniform(0.03, 0.15), 1),
                    round(revenue * rng.uniform(0.02, 0.06), 1),
                    round(revenue * rng.uniform(0.01, 0.08), 1),
                    rng.randint(40, 3000),
                ],
            )
        )

    n_update = max(2, count // 12)
    n_cert_pool = max(3, count // 6)
    n_both = max(2, count // 20)
    n_entry = max(5, count - n_update - n_cert_pool - 2 * n_both)
    for _ in range(n_update):  # leaders updating their information
        cluster = rng.choice(clusters)
        code, name = company(cluster[2])
        pool.append((code, name, programme.pool_status["leader"], "2021"))
        add("info_update", code, name, cluster)
    for _ in range(n_cert_pool):  # pool members applying for certification
        cluster = rng.choice(clusters)
        code, name = company(cluster[2])
        pool.append((code, name, programme.pool_status["pool"], rng.choice(["2021", "2022"])))
        add("certification", code, name, cluster)
    for _ in range(n_both):  # entering the pool and applying for certification in one round
        cluster = rng.choice(clusters)
        code, name = company(cluster[2])
        add(
            "pool_entry",
            code,
            name,
            cluster,
            final=rng.choice(["city_confirmed", "county_verified"]),
        )
        add("certification", code, name, cluster)
    for _ in range(n_entry):
        cluster = rng.choice(clusters)
        code, name = company(cluster[2])
        add("pool_entry", code, name, cluster)
    for app in rng.sample(
        [a for a in apps if a.final_stage == "draft"],
        k=min(2, sum(a.final_stage == "draft" for a in apps)),
    ):
        app.withdrawn_after = 0  # a draft seen in the first snapshot only, deleted afterwards
        app.submitted_at = min(app.submitted_at, SNAPSHOTS[0][1] - dt.timedelta(hours=3))
    return apps, pool


def _submitted_text(rng: random.Random, moment: dt.datetime, style: str) -> object:
    naive = moment.replace(tzinfo=None)
    if style == "xlsx":
        return naive  # a real date cell
    if style == "xls":
        return naive  # written as an Excel serial number
    return rng.choice(
        [
            naive.strftime("%Y-%m-%d %H:%M:%S"),
            naive.strftime("%Y/%-m/%-d %H:%M"),
            f"{naive.year}年{naive.month}月{naive.day}日 {naive:%H:%M}",
        ]
    )


def platform_row(
    rng: random.Random, programme: Programme, app: Application, stage: str, style: str
) -> list:
    evidence = ["是"] * 9
    figures = [str(v) if style == "csv" else v for v in app.figures]
    phone: object = app.contact_phone
    if style in {"xlsx", "xls"} and phone.isdigit():
        phone = float(phone)  # a phone stored as an Excel number
    city = app.city + ("市" if rng.random() < 0.5 and app.city != "雄安新区" else "")
    return [
        app.application_id,
        app.company_name,
        misspell(rng, app.credit_code),
        city,
        app.county,
        app.cluster,
        app.industry,
        rng.choice(programme.types[app.application_type]["variants"]),
        programme.directions[app.direction],
        app.qualification,
        app.contact_name,
        phone,
        _submitted_text(rng, app.submitted_at, style),
        programme.stage_labels[stage],
        *figures,
        *evidence,
    ]


def write_platform(inbox: Path, rng: random.Random, programme: Programme, apps: list[Application]):
    """Three snapshots (xlsx, xls, GBK csv) and a corrupt one; returns the expected history."""
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
        style = name.rsplit(".", 1)[1]
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
            stage = app.stage_in(index, reach)
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
            stamp = taken.timestamp()
            os.utime(folder / name, (stamp, stamp))
        else:
            write_csv(
                folder / name, [[f"导出时间：{taken:%Y-%m-%d %H:%M}"], headers] + body, "gb18030"
            )
    (folder / "平台导出_20230730.xlsx").write_bytes(b"PK\x03\x04 truncated download")
    return history, holders


CITY_FORMATS = {  # unit -> how its office sends the table
    "石家庄": "xlsx",
    "唐山": "xls",
    "邢台": "docx",
    "保定": "xlsx_sheet_unit",
    "沧州": "xlsx_file_unit",
    "邯郸": "xlsx_extra_sheets",
    "衡水": "xlsx",
}


def city_rows(rng: random.Random, programme: Programme, apps: list[Application]) -> list[list]:
    rows = []
    for seq, app in enumerate(apps, start=1):
        phone: object = app.contact_phone
        if phone.isdigit() and rng.random() < 0.5:
            phone = float(phone)
        rows.append(
            [
                seq,
                app.company_name,
                misspell(rng, app.credit_code),
                app.industry,
                rng.choice(programme.types[app.application_type]["variants"]),
                programme.directions[app.direction],
                app.qualification,
                app.contact_name,
                phone,
            ]
        )
    return rows


def write_cities(inbox: Path, rng: random.Random, programme: Programme, apps: list[Application]):
    """One 附件2 table per unit with passed applications, in every office format; returns the key rows."""
    folder = inbox / "cities"
    folder.mkdir(parents=True, exist_ok=True)
    expected = []
    by_unit: dict[str, list[Application]] = {}
    for app in apps:
        if app.final_stage in city_passed(programme, app.application_type):
            by_unit.setdefault(app.city, []).append(app)
    for unit, members in sorted(by_unit.items()):
        style = CITY_FORMATS.get(unit, "xlsx")
        full = unit if unit == "雄安新区" else f"{unit}市"
        title = f"{full}推荐“领跑者”企业培育及认定申报汇总表"
        no_unit_title = "推荐“领跑者”企业培育及认定申报汇总表"
        body = city_rows(rng, programme, members)
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
            name = f"{full}汇总表.docx"
            write_docx(
                folder / name,
                title,
                [CITY_HEADERS]
                + [[("" if v is None else v) for v in r] for r in body]
                + [["…"] * 9],
                before=[lines[0][0]],
            )
            first = 2
            sheet = "表1"
        elif style == "xls":
            name = f"附件2 {full}汇总表.xls"
            write_xls(folder / name, [("汇总表", [[title], CITY_HEADERS] + body + tail, 1)])
            first, sheet = 3, "汇总表"
        else:
            grid_title = no_unit_title if style in {"xlsx_sheet_unit", "xlsx_file_unit"} else title
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
            first = 4
        for offset, app in enumerate(members):
            row = first + offset
            if style not in {"docx", "xls"} and offset >= 2:
                row += 1  # the blank row after the first two
            expected.append(
                {
                    "source_file": f"cities/{name}",
                    "source_row": row,
                    "city": unit,
                    "credit_code": app.credit_code,
                    "application_type": app.application_type,
                    "direction": app.direction,
                    "application_id": app.application_id,
                }
            )
    # a table whose unit cannot be told, and a corrupt file
    write_xlsx(
        folder / "汇总表(1).xlsx",
        [
            (
                "Sheet1",
                [
                    ["推荐“领跑者”企业培育及认定申报汇总表"],
                    CITY_HEADERS,
                    [1, "某某有限公司", "911301000000000000"],
                ],
                1,
            )
        ],
    )
    (folder / "张家口市汇总表.xlsx").write_bytes(os.urandom(64))
    return expected


def write_registry(inbox: Path, pool: list[tuple[str, str, str, str]]) -> None:
    folder = inbox / "registry"
    folder.mkdir(parents=True, exist_ok=True)
    rows = [
        ["河北省县域特色产业集群“领跑者”企业培育库名单"],
        ["统一社会信用代码", "企业名称", "状态", "入库年度"],
    ]
    write_xlsx(folder / "pool.xlsx", [("名单", rows + [list(p) for p in pool], 1)])


def write_sample(
    out: Path, seed: int = 2023, applications: int = 400, year: int | None = None
) -> dict:
    """Write the inbox into `out` and `out/key.json`; returns the key."""
    programme = load_programme(year)
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    apps, pool = make_applications(rng, programme, applications)
    history, holders = write_platform(out, rng, programme, apps)
    city_expected = write_cities(out, rng, programme, apps)
    write_registry(out, pool)
    current = {}
    for app in apps:
        if app.application_id not in holders:
            continue
        last = holders[app.application_id][-1]
        current[app.application_id] = {
            "credit_code": app.credit_code,
            "company_name": app.company_name,
            "city": app.city,
            "application_type": app.application_type,
            "direction": app.direction,
            "stage": app.stage_in(last, SNAPSHOTS[last][2]),
            "snapshots": len(holders[app.application_id]),
            "contact_phone": app.contact_phone,
            "submitted_at": app.submitted_at.isoformat(),
        }
    key = {
        "seed": seed,
        "counts": {
            "applications": len(current),
            "city_submissions": len(city_expected),
            "pool_members": len(pool),
        },
        "applications": current,
        "stage_history": {k: v for k, v in history.items()},
        "city_submissions": city_expected,
        "unreadable_files": sorted(
            [
                "platform/平台导出_20230730.xlsx",
                "cities/汇总表(1).xlsx",
                "cities/张家口市汇总表.xlsx",
            ]
        ),
    }
    (out / "key.json").write_text(
        json.dumps(key, ensure_ascii=False, indent=1, default=str), encoding="utf-8"
    )
    return key


__all__ = ["Application", "asdict", "write_sample"]
