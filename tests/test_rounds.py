"""Rounds across years (issue 17, contract §5): every round in one warehouse, each round's own shape
by configuration only, the pool and the leaders carried over, and a run of one round never touching
another's rows."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest

from lingpao.access.roles import PAGE_TITLES, PAGES
from lingpao.foundation.layout import Layout
from lingpao.foundation.programme import PROGRAMME_DIR, ProgrammeError, read_programme
from lingpao.pipeline import run_build
from lingpao.sample.rounds import write_rounds
from lingpao.sample.writers import write_csv, write_xlsx
from tests.browser import needs_chromium
from tests.conftest import query
from tests.helpers import PLATFORM_HEADERS, lingpao_cli, platform_record

ROUND_TABLES = ("applications", "stage_history", "city_submissions", "dq_issues", "shortlist")


@pytest.fixture(scope="module")
def rounds(tmp_path_factory) -> dict:
    """The three-round sample (2022 leaders list, 2023 as the seed notice, 2024 city tables
    only), built into one warehouse the way `lingpao run` builds an inbox of year folders."""
    base = tmp_path_factory.mktemp("rounds")
    saved = os.environ.pop("LINGPAO_YEAR")  # an inbox of year folders names its rounds itself
    try:
        key = write_rounds(base / "inbox", seed=5, applications=150)
        layout = Layout.resolve(base / "inbox", base / "warehouse.duckdb")
        summary = run_build(layout)
    finally:
        os.environ["LINGPAO_YEAR"] = saved
    assert summary.success, summary.failure
    assert summary.rounds == [2022, 2023, 2024]
    return {"base": base, "key": key, "layout": layout}


def round_contents(warehouse: Path, year: int) -> dict[str, list]:
    """The rows of a round's contract tables, sorted (order is not content)."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return {
            table: sorted(conn.execute(f"SELECT * FROM round_{year}.{table}").fetchall(), key=repr)
            for table in ROUND_TABLES
        }


def issues(warehouse: Path, year: int, rule: str) -> set[str]:
    rows = query(
        warehouse,
        "SELECT credit_code FROM dq_issues WHERE programme_year = ? AND rule = ?",
        [year, rule],
    )
    return {code for (code,) in rows}


def test_every_round_lands_in_one_warehouse_with_its_year(rounds):
    warehouse = rounds["layout"].warehouse
    for table in ROUND_TABLES:  # main's view of each contract table spans the rounds
        years = {y for (y,) in query(warehouse, f"SELECT DISTINCT programme_year FROM {table}")}
        assert years <= {2022, 2023, 2024} and None not in years, table
    counts = dict(query(warehouse, "SELECT programme_year, count(*) FROM applications GROUP BY 1"))
    assert counts[2024] == rounds["key"]["2024"]["applications"]
    assert counts[2023] == rounds["key"]["2023"]["applications"]
    # the 2024 round has no platform: its city tables are its applications, recommended by the city
    stages = query(
        warehouse, "SELECT DISTINCT stage, application_type FROM round_2024.applications"
    )
    assert stages == [("city_recommended", "certification")]
    platform_rules = {"missing_in_city_table", "missing_in_platform", "submitted_outside_window"}
    assert (
        not {r for (r,) in query(warehouse, "SELECT rule FROM round_2024.dq_issues")}
        & platform_rules
    )


def test_the_pool_and_the_leaders_carry_over(rounds):
    warehouse, key = rounds["layout"].warehouse, rounds["key"]
    unpooled = issues(warehouse, 2024, "certification_without_pool")
    carried = key["2024"]["confirmed_in_2023"] + key["2024"]["registry_pool"]
    assert not unpooled & set(carried)  # confirmed into the pool in 2023: a pool member in 2024
    assert not unpooled & set(key["2024"]["city_pool"])  # 2024 counts the cities' pools
    assert unpooled == set(key["2024"]["not_in_pool"])
    leaders = {
        code: (status, since, adjusted, source)
        for code, status, since, adjusted, source in query(
            warehouse,
            "SELECT credit_code, status, since_year, adjusted_year, source FROM leaders",
        )
    }
    for code in key["leaders"]["adjusted_in_2023"]:
        assert leaders[code][0] == "adjusted" and leaders[code][2] == 2023
    for code in key["leaders"]["certified_in_2023"]:
        assert leaders[code] == ("active", 2023, None, "platform")
    kept = set(key["leaders"]["first_batch"]) - set(key["leaders"]["adjusted_in_2023"])
    assert all(leaders[c][:2] == ("active", 2022) for c in kept)
    # as of 2024, an adjusted leader is no longer one; as of 2023 it still was
    as_of = {
        year: {c for (c,) in query(
            warehouse, f"SELECT credit_code FROM round_{year}.leaders_as_of WHERE status = 'active'"
        )}
        for year in (2023, 2024)
    }  # fmt: skip
    assert set(key["leaders"]["adjusted_in_2023"]) <= as_of[2023]
    assert not set(key["leaders"]["adjusted_in_2023"]) & as_of[2024]
    assert set(key["leaders"]["certified_in_2023"]) <= as_of[2024] - as_of[2023]


def test_a_run_of_one_round_never_changes_another(rounds, tmp_path):
    base = tmp_path / "copy"
    shutil.copytree(rounds["base"], base)
    layout = Layout.resolve(base / "inbox", base / "warehouse.duckdb")
    before = round_contents(layout.warehouse, 2023)
    table = base / "inbox" / "2024" / "cities" / "石家庄市汇总表.xlsx"
    write_xlsx(
        table,
        [
            (
                "汇总表",
                [
                    ["石家庄市推荐特色产业集群“领跑者”企业认定汇总表"],
                    ["序号", "企业名称", "统一社会信用代码", "所属集群", "申报类型", "申报方向"],
                    [1, "河北新来有限公司", "91130100MA0000000Y", "鹿泉电子信息", "认定", "科技创新发展"],
                ],
                1,
            )
        ],
    )  # fmt: skip
    saved = os.environ.pop("LINGPAO_YEAR")
    try:
        summary = run_build(layout)  # only 2024's inputs changed
        assert summary.success and summary.rounds == [2024], summary.lines()
        assert run_build(layout).rounds == []  # nothing changed since
        forced = run_build(layout, year=2024)
        assert forced.success and forced.rounds == [2024]
    finally:
        os.environ["LINGPAO_YEAR"] = saved
    assert round_contents(layout.warehouse, 2023) == before
    names = {
        n for (n,) in query(layout.warehouse, "SELECT company_name FROM round_2024.applications")
    }
    assert "河北新来有限公司" in names
    served = {
        y for (y,) in query(layout.serving, "SELECT DISTINCT programme_year FROM applications")
    }
    assert served == {2023, 2024}


def write_programmes(folder: Path) -> Path:
    """A province's own programme folder: the shipped files, and 2025 made with `programme new`
    and edited as a person would (a direction added, pool entry dropped, windows moved)."""
    shutil.copytree(PROGRAMME_DIR, folder)
    env = {**os.environ, "LINGPAO_PROGRAMMES": str(folder)}
    made = lingpao_cli("programme", "new", "2025", "--from", "2023", env=env)
    assert made.returncode == 0, made.stderr
    assert "请逐项确认" in made.stdout and "types.certification.window" in made.stdout
    text = (folder / "2025.toml").read_text(encoding="utf-8")
    assert "year = 2025" in text and "report_years = [2022, 2023, 2024]" in text
    start = text.index("[types.pool_entry]")
    text = text[:start] + text[text.index("[types.certification]") :]  # no pool entry in 2025
    text = text.replace(
        'window = ["2025-07-26", "2025-07-30"]', 'window = ["2025-08-04", "2025-08-08"]'
    )
    text = text.replace(
        'window = ["2025-07-20", "2025-07-25"]', 'window = ["2025-08-04", "2025-08-08"]'
    )
    text = text.replace(
        'smart_manufacturing = "智能制造发展"',
        'smart_manufacturing = "智能制造发展"\ndigital = "数字化转型发展"',
    )
    text = text.replace('pool_entry = ["city_confirmed"', '# pool_entry = ["city_confirmed"')
    (folder / "2025.toml").write_text(text, encoding="utf-8")
    checked = lingpao_cli("programme", "check", folder / "2025.toml", env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    return folder


def test_a_run_of_every_round_times_each_step_once_slowest_first(rounds, tmp_path):
    """`lingpao run` over three rounds says its slowest steps: each step's time over the rounds
    it built, slowest first (not the last round's time of a step listed where its first was)."""
    from lingpao.orchestration.run import run_pipeline

    base = tmp_path / "copy"
    shutil.copytree(rounds["base"], base)
    saved = os.environ.pop("LINGPAO_YEAR")
    try:
        summary = run_pipeline(Layout.resolve(base / "inbox", base / "warehouse.duckdb"), full=True)
    finally:
        os.environ["LINGPAO_YEAR"] = saved
    assert summary.success and summary.rounds == [2022, 2023, 2024], summary.failure
    steps = summary.steps
    assert {"inbox", "dq_issues", "serving_warehouse"} <= set(steps)
    assert list(steps.values()) == sorted(steps.values(), reverse=True)
    assert sum(steps.values()) <= summary.seconds["total"]


def test_a_new_round_runs_from_its_file_alone(rounds, tmp_path, monkeypatch):
    """2025, made with `programme new` and edited, runs with no code change: its added direction is
    valid, its dropped type is not, its moved windows are the ones checked; an info update by a
    company certified in 2023 is a leader's, one by a leader adjusted in 2023 is not."""
    programmes = write_programmes(tmp_path / "programmes")
    base = tmp_path / "copy"
    shutil.copytree(rounds["base"], base)
    key = rounds["key"]["leaders"]
    certified, adjusted = key["certified_in_2023"][0], key["adjusted_in_2023"][0]
    first_batch = sorted(set(key["first_batch"]) - set(key["adjusted_in_2023"]))[0]
    rows = [
        platform_record(申报编号="U1", 统一社会信用代码=certified, 申报类型="信息更新",
                        提交时间="2025-08-05 10:00:00", 当前环节="企业已提交"),
        platform_record(申报编号="U2", 统一社会信用代码=adjusted, 申报类型="信息更新",
                        提交时间="2025-08-05 10:00:00", 当前环节="企业已提交"),
        platform_record(申报编号="U3", 统一社会信用代码=first_batch, 申报类型="信息更新",
                        提交时间="2025-08-05 10:00:00", 当前环节="企业已提交", 申报方向="数字化转型发展"),
        platform_record(申报编号="P1", 统一社会信用代码="91130100MA0000000Y", 申报类型="入库培育",
                        提交时间="2025-08-05 10:00:00", 当前环节="企业已提交"),
        platform_record(申报编号="L1", 统一社会信用代码=key["first_batch"][-1], 申报类型="信息更新",
                        提交时间="2025-07-21 10:00:00", 当前环节="企业已提交"),
    ]  # fmt: skip
    (base / "inbox" / "2025" / "platform").mkdir(parents=True)
    write_csv(
        base / "inbox" / "2025" / "platform" / "导出_20250810.csv",
        [PLATFORM_HEADERS, *rows],
        "utf-8",
    )
    monkeypatch.setenv("LINGPAO_PROGRAMMES", str(programmes))
    monkeypatch.delenv("LINGPAO_YEAR")
    layout = Layout.resolve(base / "inbox", base / "warehouse.duckdb")
    summary = run_build(layout)
    assert summary.success, summary.failure
    assert summary.rounds == [2025]
    found = {
        (record, rule)
        for record, rule in query(
            layout.warehouse, "SELECT record_key, rule FROM round_2025.dq_issues"
        )
    }
    assert ("U1", "info_update_not_leader") not in found  # certified in 2023: a leader in 2025
    assert ("U2", "info_update_not_leader") in found  # adjusted in 2023: no longer one
    assert ("U3", "info_update_not_leader") not in found  # the first batch, still a leader
    assert ("U3", "direction_invalid") not in found  # the direction added to 2025's file
    assert ("P1", "type_invalid") in found  # the type dropped from 2025's file
    assert ("L1", "submitted_outside_window") in found  # 2023's window, not 2025's moved one
    assert ("U1", "submitted_outside_window") not in found
    note = query(
        layout.warehouse,
        "SELECT detail FROM round_2025.dq_issues WHERE record_key = 'U2' "
        "AND rule = 'info_update_not_leader'",
    )[0][0]
    assert "2023年度调整出领跑者名单" in note


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (('label = "信息更新"', 'labl = "信息更新"'), "types.info_update.label"),
        (('window = ["2023-07-26", "2023-07-30"]', 'window = ["2023-07-30", "2023-07-26"]'),
         "types.certification.window"),
        (('report_years = [2020, 2021, 2022]', 'report_years = [2020, 2021]'), "report_years"),
        (('sources = ["platform", "city_tables"]', 'sources = ["portal"]'), "sources"),
        (('city_tables_due = "2023-07-30"', 'city_tables_due = "7月30日"'), "deadlines.city_tables_due"),
        (('types.pool_entry]', 'types.pool_entries]'), "types.pool_entries"),
    ],
)  # fmt: skip
def test_a_wrong_edit_is_refused_naming_its_key(tmp_path, edit, key):
    text = (PROGRAMME_DIR / "2023.toml").read_text(encoding="utf-8")
    assert edit[0] in text
    wrong = tmp_path / "2023.toml"
    wrong.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(ProgrammeError) as refused:
        read_programme(wrong)
    assert refused.value.key == key
    done = lingpao_cli("programme", "check", wrong)
    assert done.returncode == 2 and key in done.stdout, done.stdout + done.stderr


def test_every_shipped_programme_file_is_valid():
    for path in sorted(PROGRAMME_DIR.glob("*.toml")):
        programme = read_programme(path)
        assert programme.year == int(path.stem)
    shape = read_programme(PROGRAMME_DIR / "2024.toml")
    assert list(shape.types) == ["certification"] and not shape.has_platform
    assert not shape.has_window("certification") and "cities" in shape.pools
    assert "企业“共享智造”情况报告" in shape.documents


# -- the pages ------------------------------------------------------------------------------------
APP = str(Path(__file__).resolve().parent.parent / "lingpao" / "dashboard" / "app.py")


@pytest.fixture
def pages(rounds, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("LINGPAO_WAREHOUSE", str(rounds["layout"].warehouse))
    monkeypatch.setenv("LINGPAO_INBOX", str(rounds["layout"].inbox))
    monkeypatch.delenv("LINGPAO_YEAR")

    def open_page(page: str | None = None, year: int | None = None) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=180)
        if year:
            at.query_params["year"] = str(year)
        at.run()
        if page:
            at.switch_page(f"views/{page}.py").run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return open_page


def test_the_year_filter_lists_every_round_and_every_page_follows_it(pages, rounds):
    warehouse = rounds["layout"].warehouse
    at = pages("applications")
    year = at.sidebar.selectbox[0]
    assert year.options == ["2024年度", "2023年度", "2022年度"] and year.value == 2024
    counted = dict(query(warehouse, "SELECT programme_year, count(*) FROM applications GROUP BY 1"))
    heading = next(h.value for h in at.subheader if h.value.startswith("共 "))
    assert heading.startswith(f"共 {counted[2024]} 项")
    assert any("没有平台申报数据" in c.value for c in at.caption)  # the rules not applied, said
    year.set_value(2023).run()
    heading = next(h.value for h in at.subheader if h.value.startswith("共 "))
    submitted = query(
        warehouse,
        "SELECT count(*) FROM applications WHERE programme_year = 2023 AND stage <> 'draft'",
    )[0][0]
    assert heading.startswith(f"共 {submitted:,} 项")
    assert not any("没有平台申报数据" in c.value for c in at.caption)
    assert at.query_params["year"] == "2023"  # the URL reproduces the view


def test_year_over_year_per_unit_and_a_companys_history(pages, rounds):
    warehouse, key = rounds["layout"].warehouse, rounds["key"]
    at = pages("rounds")
    wide = at.dataframe[0].value.set_index("所属市")
    submitted = query(
        warehouse,
        "SELECT programme_year, city, count(*) FROM applications WHERE stage <> 'draft' "
        "GROUP BY ALL",
    )
    for year, city, count in submitted:
        assert wide.loc[city, f"{year}年申报数"] == count, (year, city)
    adjusted = query(
        warehouse, "SELECT city, count(*) FROM leaders WHERE adjusted_year = 2023 GROUP BY 1"
    )
    for city, count in adjusted:
        assert wide.loc[city, "2023年调整"] == count
    leaders_2024 = query(
        warehouse,
        "SELECT count(*) FROM leaders WHERE since_year <= 2024 "
        "AND coalesce(adjusted_year, 9999) > 2024",
    )[0][0]
    assert next(m for m in at.metric if m.label == "2024年领跑者（年末）").value == str(
        leaders_2024
    )
    code = key["leaders"]["adjusted_in_2023"][0]
    at = pages("company")
    at.query_params["code"] = code
    at.run()
    texts = [t.value for t in at.text]
    assert any("已调整" in t and "2023年调整" in t for t in texts), texts
    years = set(at.dataframe[0].value["年度"])
    assert years == {y for (y,) in query(
        warehouse, "SELECT DISTINCT programme_year FROM applications WHERE credit_code = ?", [code]
    )}  # fmt: skip


@needs_chromium()
def test_a_city_tables_only_round_reads_as_a_person_would_in_a_browser(rounds, chromium):
    """The 2024 round (city tables only, no platform numbers) on every page, in a real browser:
    applications numbered as people say them, no file path, no None, no internal id."""
    from tests.browser import LOCAL, SHOTS, open_page, serve
    from tests.test_pages_by_role import NOT_FOR_PEOPLE, page_text, settled

    layout = rounds["layout"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serve(layout.warehouse, LINGPAO_INBOX=str(layout.inbox), LINGPAO_YEAR="2024") as base:
        context = chromium.new_context(viewport={"width": 1440, "height": 2400}, locale="zh-CN")
        page = open_page(context, base)
        settled(page)
        assert "2024年度" in page.inner_text("body")  # the page says which round it reads
        for name in [n for n in PAGES["province"] if n != "record"]:
            if name != "progress":
                page.locator('[data-testid="stSidebarNav"]').get_by_text(
                    PAGE_TITLES[name], exact=True
                ).click()
            settled(page)
            page.screenshot(path=str(SHOTS / f"round2024_{name}.png"))
            assert page.locator('[data-testid="stException"]').count() == 0, name
            text = page_text(page)
            for what, pattern in NOT_FOR_PEOPLE.items():
                found = pattern.search(text)
                assert found is None, f"{name}: {what} “{found.group(0) if found else ''}”"
            assert page.hosts <= LOCAL, name
        context.close()
