"""The expert shortlist: who is on it, in what order, and why every other certification is not."""

import pytest

from lingpao.foundation.programme import load_programme
from tests.conftest import query
from tests.helpers import city_row, code, platform_record, run, write_inbox

CERT = "“领跑者”企业认定"


def cert(app_id: str, n: int, stage: str = "市级已推荐", direction: str = "科技创新发展", **values):
    figures = {
        "营业收入2020": "1000",
        "营业收入2021": "1100",
        "营业收入2022": "1210",
        "利润2022": "100",
        "上缴税金2022": "50",
        "研发费用2022": "60",
    }
    figures.update(values)
    return platform_record(
        申报编号=app_id,
        企业名称=f"企业{n}",
        统一社会信用代码=code(n),
        申报类型=CERT,
        提交时间="2023-07-27",
        当前环节=stage,
        申报方向=direction,
        **figures,
    )


@pytest.fixture
def ranked(inbox, tmp_path):
    rows = [
        cert("TOP", 1, 研发费用2022="200"),  # highest R&D intensity
        cert("MID", 2),
        cert("LOW", 3, 研发费用2022="10", 营业收入2022="1000", 利润2022="10", 上缴税金2022="5"),
        cert("GREEN", 4, direction="绿色低碳发展"),
        cert("COUNTY", 5, stage="县级已审核"),
        cert("NOEVIDENCE", 6, 真实性声明="否"),
        cert("NOTINTABLE", 7),
        cert("NOPOOL", 8),
        cert("LATER", 9, stage="省级评审中"),
    ]
    pool = [(code(n), f"企业{n}", "培育库") for n in (1, 2, 3, 4, 5, 6, 7, 9)]
    table = [
        city_row(
            i,
            f"企业{n}",
            code(n),
            kind="认定",
            direction="绿色低碳发展" if n == 4 else "科技创新发展",
        )
        for i, n in enumerate((1, 2, 3, 4, 6, 8, 9), start=1)
    ]
    write_inbox(inbox, rows, pool=pool, cities={"石家庄": table})
    _, warehouse = run(inbox, tmp_path)
    return warehouse


def test_who_is_on_the_shortlist_and_in_what_order(ranked):
    rows = query(
        ranked, "SELECT direction, rank_in_direction, application_id FROM shortlist ORDER BY 1, 2"
    )
    assert rows == [
        ("green", 1, "GREEN"),
        ("innovation", 1, "TOP"),
        ("innovation", 2, "LATER"),
        ("innovation", 3, "MID"),
        ("innovation", 4, "LOW"),
    ]


def test_score_is_the_weighted_sum_of_its_scaled_parts(ranked):
    weights = load_programme(2023).shortlist_weights
    for row in query(
        ranked,
        "SELECT score, rnd_intensity_scaled, revenue_growth_scaled, profit_scaled, taxes_scaled, "
        "rnd_intensity, revenue_growth FROM shortlist",
    ):
        score, *scaled, rnd, growth = row
        expected = (
            100
            * sum(w * s for w, s in zip(weights.values(), scaled, strict=True))
            / sum(weights.values())
        )
        assert score == pytest.approx(expected, abs=0.01)
    top = query(
        ranked, "SELECT rnd_intensity, revenue_growth FROM shortlist WHERE application_id = 'TOP'"
    )[0]
    assert top[0] == pytest.approx(200 / 1210)
    assert top[1] == pytest.approx((1210 / 1000) ** 0.5 - 1)


def test_every_certification_off_the_list_says_why(ranked):
    reasons = {
        a: set(r)
        for a, r in query(ranked, "SELECT application_id, reasons FROM shortlist_exclusions")
    }
    assert reasons == {
        "COUNTY": {"stage:county_verified"},
        "NOEVIDENCE": {"evidence_incomplete"},
        "NOTINTABLE": {"missing_in_city_table"},
        "NOPOOL": {"certification_without_pool"},
    }
    text = query(
        ranked, "SELECT reason_text FROM shortlist_exclusions WHERE application_id = 'COUNTY'"
    )[0][0]
    assert "县级已审核" in text
    on, off = query(
        ranked,
        "SELECT (SELECT count(*) FROM shortlist), (SELECT count(*) FROM shortlist_exclusions)",
    )[0]
    assert (
        on + off
        == query(
            ranked, "SELECT count(*) FROM applications WHERE application_type = 'certification'"
        )[0][0]
    )


def test_shortlist_holds_no_contact_data(ranked):
    columns = {
        r[0]
        for r in query(
            ranked,
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'shortlist'",
        )
    }
    assert not columns & {"contact_name", "contact_phone", "contact_phone_raw"}
