"""Sample applications as they truly are (the key), and how each is written into the files."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from lingpao.foundation.programme import DEFAULT_CLUSTERS, Programme
from lingpao.sample.codes import DIVISIONS, make_code

TZ = ZoneInfo("Asia/Shanghai")
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
MOBILE_PREFIXES = (
    [f"13{d}" for d in range(10)]
    + ["150", "151", "152", "153", "155", "156", "157", "158", "159"]
    + [f"18{d}" for d in range(10)]
)
AREA_CODES = {
    "0311": 8,
    "0315": 7,
    "0335": 7,
    "0310": 7,
    "0319": 7,
    "0312": 7,
    "0317": 7,
    "0316": 7,
    "0318": 7,
}
# Paths an application walks, by final stage; a snapshot shows a prefix of it.
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


@dataclass
class Application:
    """One sample application: its true values, and (`*_written`) any value written differently."""

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
    evidence: list[str] = field(default_factory=lambda: ["是"] * 9)
    code_written: str | None = None  # written verbatim instead of a messy spelling of credit_code
    direction_written: str | None = None
    type_written: str | None = None
    withdrawn_after: int | None = None  # last snapshot index holding it (a deleted draft)

    def stage_at(self, reach: int) -> str:
        path = PATHS[self.final_stage]
        return path[min(reach, len(path) - 1)]

    @property
    def expected_type(self) -> str | None:
        return None if self.type_written is not None else self.application_type

    @property
    def expected_direction(self) -> str | None:
        return None if self.direction_written is not None else self.direction


def load_clusters() -> list[tuple[str, str, str]]:
    import csv

    with DEFAULT_CLUSTERS.open(encoding="utf-8") as handle:
        return [
            (r["集群名称"], r["所属县（市、区）"], r["所属市"].removesuffix("市"))
            for r in csv.DictReader(handle)
        ]


class Factory:
    """Makes valid companies and applications, every one unique, from one seeded random source."""

    def __init__(self, rng: random.Random, programme: Programme) -> None:
        self.rng, self.programme = rng, programme
        self.clusters = load_clusters()
        self.codes: set[str] = set()
        self.apps: list[Application] = []
        self.pool: list[tuple[str, str, str, str]] = []
        self.places: dict[str, tuple[str, str, str]] = {}  # credit code -> (cluster, county, unit)

    def phone(self) -> str:
        rng = self.rng
        if rng.random() < 0.8:
            return rng.choice(MOBILE_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(8))
        area = rng.choice(sorted(AREA_CODES))
        return f"{area}-{rng.randint(2, 8)}" + "".join(
            rng.choice("0123456789") for _ in range(AREA_CODES[area] - 1)
        )

    def company(self, city: str, division: str | None = None) -> tuple[str, str]:
        while True:
            code = make_code(self.rng, division or DIVISIONS[city])
            if code not in self.codes:
                self.codes.add(code)
                name = f"河北{self.rng.choice('华瑞恒泰鑫诚宏远德盛')}{self.rng.choice('达丰源兴隆安顺通')}{len(self.codes):04d}有限公司"
                return code, name

    def moment(self, type_id: str) -> dt.datetime:
        start, end = self.programme.window(type_id)
        day = start + dt.timedelta(days=self.rng.randint(0, (end - start).days))
        return dt.datetime.combine(
            day, dt.time(self.rng.randint(8, 21), self.rng.randint(0, 59)), tzinfo=TZ
        )

    def add(
        self,
        type_id: str,
        code: str,
        name: str,
        cluster: tuple[str, str, str],
        final: str | None = None,
    ) -> Application:
        rng = self.rng
        stages, weights = FINAL_STAGES[type_id]
        revenue, growth = rng.uniform(2000, 80000), rng.uniform(0.9, 1.4)
        app = Application(
            application_id=f"LP{self.programme.year}{len(self.apps) + 1:05d}",
            company_name=name,
            credit_code=code,
            city=cluster[2],
            county=cluster[1],
            cluster=cluster[0],
            industry=rng.choice(INDUSTRIES),
            application_type=type_id,
            direction=rng.choice(list(self.programme.directions)),
            qualification=rng.choice(QUALIFICATIONS),
            contact_name=rng.choice(SURNAMES) + rng.choice("伟芳娜敏静丽强磊军洋勇艳杰"),
            contact_phone=self.phone(),
            submitted_at=self.moment(type_id),
            final_stage=final or rng.choices(stages, weights)[0],
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
        self.apps.append(app)
        return app

    def new_company(self, status: str | None = None) -> tuple[str, str, tuple[str, str, str]]:
        cluster = self.rng.choice(self.clusters)
        code, name = self.company(cluster[2])
        self.places[code] = cluster
        if status:
            label = self.programme.pool_status[status]
            self.pool.append(
                (
                    code,
                    name,
                    label,
                    "2021" if status == "leader" else self.rng.choice(["2021", "2022"]),
                )
            )
        return code, name, cluster

    def populate(self, count: int) -> None:
        """Valid applications of every type: leaders updating, pool members and newcomers certifying."""
        n_update, n_cert, n_both = max(2, count // 12), max(3, count // 6), max(2, count // 20)
        for _ in range(n_update):
            code, name, cluster = self.new_company("leader")
            self.add("info_update", code, name, cluster)
        for _ in range(n_cert):
            code, name, cluster = self.new_company("pool")
            self.add("certification", code, name, cluster)
        for _ in range(n_both):  # entering the pool and certifying in the same round
            code, name, cluster = self.new_company()
            self.add(
                "pool_entry",
                code,
                name,
                cluster,
                final=self.rng.choice(["city_confirmed", "county_verified"]),
            )
            self.add("certification", code, name, cluster)
        for _ in range(max(5, count - n_update - n_cert - 2 * n_both)):
            code, name, cluster = self.new_company()
            self.add("pool_entry", code, name, cluster)
