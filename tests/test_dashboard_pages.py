"""AppTest of every page: filters (URL and widgets) change the numbers, which equal independent SQL."""

import shutil
from pathlib import Path, PurePosixPath

import pytest
from streamlit.testing.v1 import AppTest

from lingpao.foundation.layout import Layout
from lingpao.pipeline import run_build
from tests.conftest import query

APP = str(Path(__file__).resolve().parent.parent / "lingpao" / "dashboard" / "app.py")
PAGES = ["progress", "quality", "queue", "shortlist", "clusters"]
FILTERS = ["city", "cluster", "direction", "application_type", "stage"]


def open_page(
    warehouse: Path, monkeypatch, page: str = "progress", params: dict | None = None
) -> AppTest:
    monkeypatch.setenv("LINGPAO_WAREHOUSE", str(warehouse))
    at = AppTest.from_file(APP, default_timeout=180)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    if page != "progress":
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, int]:
    return {
        m.label: int(m.value.replace(",", "").split("/")[0].strip())
        for m in at.metric
        if m.value.replace(",", "").split("/")[0].strip().isdigit()
    }


def common_value(warehouse: Path, column: str) -> str:
    """The most frequent value of a column among submitted applications (so a filter keeps rows)."""
    return query(
        warehouse,
        f"SELECT {column} FROM applications WHERE stage <> 'draft' AND {column} IS NOT NULL "
        f"GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
    )[0][0]


def submitted_sql(
    warehouse: Path, condition: str = "TRUE", params: list | None = None
) -> dict[str, int]:
    rows = query(
        warehouse,
        f"SELECT application_type, count(*) FROM applications WHERE stage <> 'draft' AND {condition} "
        "GROUP BY 1",
        params,
    )
    return dict(rows)


def test_progress_numbers_equal_sql(sample_run, monkeypatch):
    warehouse = sample_run["warehouse"]
    shown = metrics(open_page(warehouse, monkeypatch))
    per_type = submitted_sql(warehouse)
    assert shown["入库培育"] == per_type["pool_entry"]
    assert shown["“领跑者”企业认定"] == per_type["certification"]
    assert shown["信息更新"] == per_type["info_update"]
    assert (
        shown["已提交"]
        == query(warehouse, "SELECT count(*) FROM applications WHERE stage <> 'draft'")[0][0]
    )
    assert (
        shown["草稿（未提交）"]
        == query(warehouse, "SELECT count(*) FROM applications WHERE stage = 'draft'")[0][0]
    )
    for label, stages in {
        "待县级审核": ("submitted",),
        "待市级审核": ("county_verified",),
        "市级已确认入库": ("city_confirmed",),
        "市级已推荐及以后": ("city_recommended", "province_review", "public_notice", "certified"),
    }.items():
        expected = query(
            warehouse,
            f"SELECT count(*) FROM applications WHERE stage IN {stages!r}".replace(",)", ")"),
        )[0][0]
        assert shown[label] == expected, label
    received = query(warehouse, "SELECT count(DISTINCT city) FROM city_submissions")[0][0]
    assert shown["已收到"] == received


@pytest.mark.parametrize("column", FILTERS)
def test_each_filter_in_the_url_changes_the_numbers(sample_run, monkeypatch, column):
    warehouse = sample_run["warehouse"]
    value = common_value(warehouse, column)
    shown = metrics(open_page(warehouse, monkeypatch, params={column: value}))
    expected = query(
        warehouse,
        f"SELECT count(*) FROM applications WHERE stage <> 'draft' AND {column} = ?",
        [value],
    )[0][0]
    total = query(warehouse, "SELECT count(*) FROM applications WHERE stage <> 'draft'")[0][0]
    assert shown["已提交"] == expected != total


def test_filter_widget_updates_numbers_and_url(sample_run, monkeypatch):
    warehouse = sample_run["warehouse"]
    at = open_page(warehouse, monkeypatch)
    city = common_value(warehouse, "city")
    at.multiselect(key="f_city").select(city).run()
    assert not at.exception
    assert metrics(at)["已提交"] == sum(submitted_sql(warehouse, "city = ?", [city]).values())
    assert at.query_params["city"] == city  # the link reproduces the view


def test_clusters_page(sample_run, monkeypatch):
    warehouse = sample_run["warehouse"]
    shown = metrics(open_page(warehouse, monkeypatch, "clusters"))
    assert (
        shown["有申报的集群"]
        == query(
            warehouse,
            "SELECT count(DISTINCT cluster) FROM applications WHERE stage <> 'draft' "
            "AND cluster IN (SELECT cluster FROM clusters)",  # clusters of the list only
        )[0][0]
    )
    assert (
        shown["申报总数"]
        == query(warehouse, "SELECT count(*) FROM applications WHERE stage <> 'draft'")[0][0]
    )
    direction = common_value(warehouse, "direction")
    filtered = metrics(open_page(warehouse, monkeypatch, "clusters", {"direction": direction}))
    assert (
        filtered["申报总数"]
        == query(
            warehouse,
            "SELECT count(*) FROM applications WHERE stage <> 'draft' AND direction = ?",
            [direction],
        )[0][0]
    )
    at = open_page(warehouse, monkeypatch, "clusters")
    shown_text = " ".join(str(df.value.to_csv()) for df in at.dataframe)
    phones = [
        p
        for (p,) in query(
            warehouse, "SELECT contact_phone FROM applications WHERE contact_phone IS NOT NULL"
        )
    ]
    names = [
        n
        for (n,) in query(
            warehouse, "SELECT contact_name FROM applications WHERE contact_name IS NOT NULL"
        )
    ]
    assert not any(p in shown_text for p in phones)
    assert "联系" not in shown_text and not any(f",{n}," in shown_text for n in names)


def test_shortlist_page(sample_run, monkeypatch):
    warehouse = sample_run["warehouse"]
    shown = metrics(open_page(warehouse, monkeypatch, "shortlist"))
    assert shown["列入名单"] == query(warehouse, "SELECT count(*) FROM shortlist")[0][0]
    assert (
        shown["未列入的认定申报"]
        == query(warehouse, "SELECT count(*) FROM shortlist_exclusions")[0][0]
    )
    city = query(warehouse, "SELECT city FROM shortlist GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")[
        0
    ][0]
    filtered = metrics(open_page(warehouse, monkeypatch, "shortlist", {"city": city}))
    assert (
        filtered["列入名单"]
        == query(warehouse, "SELECT count(*) FROM shortlist WHERE city = ?", [city])[0][0]
    )
    at = open_page(warehouse, monkeypatch, "shortlist")
    assert at.get("download_button"), "the shortlist can be downloaded from the page"


def test_quality_page_and_drill_down(sample_run, monkeypatch):
    warehouse = sample_run["warehouse"]
    at = open_page(warehouse, monkeypatch, "quality")
    shown = metrics(at)
    assert (
        shown["未解决问题"]
        == query(warehouse, "SELECT count(*) FROM dq_issues WHERE status = 'open'")[0][0]
    )
    assert (
        shown["错误"]
        == query(
            warehouse, "SELECT count(*) FROM dq_issues WHERE status = 'open' AND severity = 'error'"
        )[0][0]
    )
    rule = query(
        warehouse, "SELECT rule FROM dq_issues GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    )[0][0]
    at.selectbox(key="q_rule").select(rule).run()
    records = next(df.value for df in at.dataframe if "问题说明" in df.value.columns)
    expected = query(
        warehouse, "SELECT record_key, source_row FROM dq_issues WHERE rule = ?", [rule]
    )
    assert sorted(records["记录"]) == sorted(  # each record as people find it: file and row
        key if ":" not in key else f"{PurePosixPath(key.rsplit(':', 1)[0]).name} 第{row}行"
        for key, row in expected
    )
    city = query(
        warehouse,
        "SELECT city FROM dq_issues WHERE city IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
    )[0][0]
    filtered = metrics(open_page(warehouse, monkeypatch, "quality", {"city": city}))
    assert (
        filtered["未解决问题"]
        == query(warehouse, "SELECT count(*) FROM dq_issues WHERE city = ?", [city])[0][0]
    )


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_an_empty_warehouse(tmp_path, monkeypatch, page):
    at = open_page(tmp_path / "none.duckdb", monkeypatch, page)
    assert any("尚无数据" in i.value for i in at.info)


@pytest.fixture(scope="module")
def without_city_tables(tmp_path_factory, sample_run):
    base = tmp_path_factory.mktemp("no_cities")
    shutil.copytree(sample_run["inbox"], base / "inbox")
    shutil.rmtree(base / "inbox" / "cities")
    assert run_build(Layout.resolve(base / "inbox", base / "w.duckdb")).success
    return base / "w.duckdb"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_with_no_city_tables_yet(without_city_tables, monkeypatch, page):
    at = open_page(without_city_tables, monkeypatch, page)
    assert at.title
    if page == "progress":
        assert metrics(at)["已收到"] == 0


def test_pages_follow_the_programme_files_they_are_told(sample_run, monkeypatch, tmp_path):
    """The pages keep what they ask of the programme per published copy and per programme file,
    in the server's process: a file edited, or another folder named, is what the next draw shows."""
    from lingpao.foundation.programme import PROGRAMME_DIR

    def due_shown(folder: Path) -> str:
        monkeypatch.setenv("LINGPAO_PROGRAMMES", str(folder))
        at = open_page(sample_run["warehouse"], monkeypatch, "citydesk")
        return next(c.value for c in at.caption if c.value.startswith("报送截止日期"))

    first, second = tmp_path / "first", tmp_path / "second"
    shutil.copytree(PROGRAMME_DIR, first)
    shutil.copytree(PROGRAMME_DIR, second)
    edited = second / "2023.toml"
    edited.write_text(
        edited.read_text(encoding="utf-8").replace(
            'city_tables_due = "2023-07-30"', 'city_tables_due = "2023-08-02"'
        ),
        encoding="utf-8",
    )
    assert "2023-07-30" in due_shown(first)
    assert "2023-08-02" in due_shown(second)
    edited.write_text(
        edited.read_text(encoding="utf-8").replace('"2023-08-02"', '"2023-08-03"'),
        encoding="utf-8",
    )
    assert "2023-08-03" in due_shown(second)
    assert "2023-07-30" in due_shown(first)
