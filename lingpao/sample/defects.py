"""Defects planted in the sample (one per rule of contract §3.2) and near-misses that must pass."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from stdnum.cn import uscc

from lingpao.sample.codes import ALPHABET
from lingpao.sample.model import TZ, Application, Factory

CALM = ("submitted", "county_verified")  # stages that put nothing in a city table


@dataclass
class Planted:
    """What the answer key must list: expected issues, suggested fixes, and what keeps a record off."""

    issues: list[tuple[str, str, str]] = field(default_factory=list)  # (rule, source, record_key)
    fixes: dict[str, str] = field(default_factory=dict)  # "rule|record_key" -> suggested fix
    touched: set[str] = field(default_factory=set)  # application ids already carrying a defect

    def expect(
        self, rule: str, record_key: str, source: str = "platform", fix: str | None = None
    ) -> None:
        self.issues.append((rule, source, record_key))
        if fix is not None:
            self.fixes[f"{rule}|{record_key}"] = fix


def _pick(
    factory: Factory, planted: Planted, type_id: str, stages: tuple[str, ...] = CALM
) -> Application:
    """An untouched application of a company with no other application (a defect stays on its record)."""
    shared = _shared_codes(factory)
    choices = [
        a
        for a in factory.apps
        if a.application_type == type_id
        and a.final_stage in stages
        and a.application_id not in planted.touched
        and a.withdrawn_after is None
        and a.credit_code not in shared
    ]
    app = factory.rng.choice(choices)
    planted.touched.add(app.application_id)
    return app


def _shared_codes(factory: Factory) -> set[str]:
    seen, shared = set(), set()
    for app in factory.apps:
        (shared if app.credit_code in seen else seen).add(app.credit_code)
    return shared


def plant_platform(factory: Factory) -> Planted:
    """Defects on platform applications, each on its own record, and the near-misses beside them."""
    rng, planted = factory.rng, Planted()
    # credit codes: a look-alike letter, a wrong check character, a valid code registered outside Hebei
    app = _pick(factory, planted, "pool_entry")
    body = app.credit_code
    zero = next((i for i in range(8, 17) if body[i] == "0"), None)
    if zero is None:  # give the code a 0 to mistype, keeping it valid
        body = body[:10] + "0" + body[11:17]
        body, zero = body + uscc.calc_check_digit(body), 10
    app.credit_code = app.code_written = body[:zero] + "O" + body[zero + 1 :]
    planted.expect("credit_code_format", app.application_id, fix=body)
    app = _pick(factory, planted, "pool_entry")
    app.credit_code = app.code_written = wrong_check_character(app.credit_code, rng)
    planted.expect("credit_code_checksum", app.application_id)
    app = _pick(factory, planted, "pool_entry")
    app.credit_code = app.code_written = factory.company(app.city, division="110108")[0]
    planted.expect("credit_code_not_hebei", app.application_id)
    # direction and type
    for written in ("", "科技创新发展、绿色低碳发展"):
        app = _pick(factory, planted, "pool_entry")
        app.direction_written = written
        planted.expect("direction_invalid", app.application_id)
    app = _pick(factory, planted, "pool_entry")
    app.type_written = "技术改造"
    planted.expect("type_invalid", app.application_id)
    # windows: one pool entry a day late; boundary minutes that are inside
    app = _pick(factory, planted, "pool_entry")
    app.submitted_at = dt.datetime(2023, 7, 26, 8, 0, tzinfo=TZ)
    planted.expect("submitted_outside_window", app.application_id)
    _pick(factory, planted, "pool_entry").submitted_at = dt.datetime(2023, 7, 25, 23, 59, tzinfo=TZ)
    _pick(factory, planted, "certification", ("city_recommended",)).submitted_at = dt.datetime(
        2023, 7, 26, 0, 0, tzinfo=TZ
    )
    _pick(factory, planted, "certification", ("province_review",)).submitted_at = dt.datetime(
        2023, 7, 30, 23, 59, tzinfo=TZ
    )
    # eligibility: certification with no pool membership; one whose pool entry was returned by the county
    code, name, cluster = factory.new_company()
    app = factory.add("certification", code, name, cluster, final="submitted")
    planted.touched.add(app.application_id)
    planted.expect("certification_without_pool", app.application_id)
    code, name, cluster = factory.new_company()
    planted.touched.add(
        factory.add("pool_entry", code, name, cluster, final="county_returned").application_id
    )
    app = factory.add("certification", code, name, cluster, final="city_recommended")
    planted.touched.add(app.application_id)
    planted.expect("certification_without_pool", app.application_id)
    code, name, cluster = factory.new_company("pool")
    app = factory.add("info_update", code, name, cluster, final="submitted")
    planted.touched.add(app.application_id)
    planted.expect("info_update_not_leader", app.application_id)
    # the same company applying twice for the pool
    first = _pick(factory, planted, "pool_entry")
    second = factory.add(
        "pool_entry",
        first.credit_code,
        first.company_name,
        (first.cluster, first.county, first.city),
        final="submitted",
    )
    planted.touched.add(second.application_id)
    planted.expect("duplicate_application", first.application_id)
    planted.expect("duplicate_application", second.application_id)
    # clusters: unknown, and one listed under another city
    app = _pick(factory, planted, "pool_entry")
    app.cluster = "不存在的测试集群"
    planted.expect("cluster_unknown", app.application_id)
    app = _pick(factory, planted, "pool_entry")
    app.cluster = next(c for c, _, city in factory.clusters if city != app.city)
    planted.expect("cluster_unknown", app.application_id)
    # contact phone, evidence
    app = _pick(factory, planted, "pool_entry")
    app.contact_phone = "1381234567"
    planted.expect("phone_invalid", app.application_id)
    app = _pick(factory, planted, "pool_entry")
    app.evidence[1] = "否"
    planted.expect("evidence_incomplete", app.application_id)
    app = _pick(factory, planted, "certification", ("city_recommended",))
    app.evidence[8] = ""
    planted.expect("evidence_incomplete", app.application_id)
    _pick(factory, planted, "info_update", CALM + ("city_confirmed",)).evidence[1] = (
        "否"  # not required
    )
    # a draft is not checked, whatever it holds
    draft = _pick(factory, planted, "pool_entry", ("draft",))
    draft.credit_code = draft.code_written = draft.credit_code[:-1] + "O"
    return planted


def misspelled_direction(label: str) -> str:
    """A near-miss of a direction label that an office might type: without its 发展 suffix."""
    return label.removesuffix("发展")


def wrong_check_character(code: str, rng) -> str:
    """The code with another check character: a typo the checksum catches."""
    return code[:-1] + rng.choice([c for c in ALPHABET if c != code[-1]])
