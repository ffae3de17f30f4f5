"""Permissions below the pages: the users file fails closed, the store and the query layer refuse."""

import json
from pathlib import Path

import pytest

from lingpao.access.roles import PAGES, PERMISSIONS, Forbidden
from lingpao.access.users import User, UsersFileError, load_users, parse_users, save_users
from lingpao.access.viewer import Viewer, operator
from lingpao.corrections.records import issue_of
from lingpao.corrections.store import Correction, CorrectionStore
from lingpao.desk import Desk
from lingpao.foundation.layout import Layout
from lingpao.foundation.programme import load_programme
from lingpao.pipeline import run_build
from lingpao.queries import NO_FILTERS, CityDesk, Progress, Quality
from lingpao.warehouse.connection import connect_read_only
from tests.conftest import query
from tests.helpers import copy_warehouse

PROGRAMME = load_programme(2023)
UNITS = PROGRAMME.units
STEWARD = Viewer(id="steward@example.com", role="steward", name="管理员甲")
PROVINCE = Viewer(id="province@example.com", role="province", name="省厅乙")
LEADER = Viewer(id="boss@example.com", role="leadership", name="领导")


def city(unit: str) -> Viewer:
    return Viewer(id=f"{unit}@example.com", role="city", unit=unit, name=f"{unit}局")


@pytest.fixture
def warehouse(sample_run, tmp_path) -> Path:
    return copy_warehouse(sample_run, tmp_path)


def desk(warehouse: Path, actor: Viewer) -> Desk:
    return Desk(Layout.resolve(warehouse=warehouse), actor, load_programme(2023))


def an_issue(warehouse: Path, rule: str, source: str = "platform") -> dict:
    issue_id = query(
        warehouse,
        "SELECT issue_id FROM dq_issues WHERE rule = ? AND source = ? AND status = 'open' "
        "AND city IS NOT NULL ORDER BY issue_id LIMIT 1",
        [rule, source],
    )[0][0]
    with connect_read_only(warehouse) as conn:
        return issue_of(conn, issue_id)


def test_the_permission_table():
    assert PERMISSIONS["city"] >= {"propose", "submit_table", "download_feedback"}
    assert not PERMISSIONS["city"] & {"correct", "waive", "reopen", "run", "read_all_units"}
    assert not PERMISSIONS["leadership"] & {"read_contacts", "read_records", "correct", "run"}
    assert PERMISSIONS["steward"] >= PERMISSIONS["province"] | {"correct", "waive", "reopen"}
    assert set(PAGES["leadership"]) == {
        "progress",
        "applications",
        "shortlist",
        "clusters",
        "review",  # the review's progress and outcome, never an expert's score
        "rounds",
        "company",  # a company across rounds: names and stages, no contacts
    }
    assert "record" not in PAGES["leadership"]  # the list without contacts, no record's details
    assert city("保定").scope.unit == "保定" and LEADER.scope.contacts is False
    assert city("保定").may("propose", "保定") and not city("保定").may("propose", "唐山")
    assert not city("保定").may("propose")  # a unit-bound action needs the unit named


def test_roles_fail_closed():
    with pytest.raises(Forbidden):
        Viewer(id="x", role="city")  # a city bureau without a unit sees nothing
    with pytest.raises(Forbidden):
        Viewer(id="x", role="admin")


@pytest.mark.parametrize(
    "text,problem",
    [
        ("[{", "不是有效的 JSON"),
        ('{"id": "a"}', "用户列表"),
        ('[{"id": "a@x.cn", "role": "admin"}]', "角色“admin”未知"),
        ('[{"id": "a@x.cn", "role": "city"}]', "unit 应为14个报送单位之一"),
        ('[{"id": "a@x.cn", "role": "city", "unit": "北京"}]', "北京"),
        ('[{"id": "a@x.cn", "role": "province", "unit": "保定"}]', "不能指定 unit"),
        ('[{"id": "a@x.cn", "role": "province", "is_admin": true}]', "未知字段：is_admin"),
        ('[{"id": "A@X.cn", "role": "province"}]', "应为小写"),
        ('[{"id": "a@x.cn", "role": "province"}, {"id": "a@x.cn", "role": "steward"}]', "两次"),
        ('[{"id": "a@x.cn", "role": "province", "password_hash": "secret"}]', "哈希"),
    ],
)
def test_an_invalid_users_file_is_refused_with_its_reason(tmp_path, text, problem):
    path = tmp_path / "users.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsersFileError, match=problem):
        load_users(path, UNITS)


def test_the_users_file_is_validated_when_written(tmp_path):
    path = tmp_path / "users.json"
    with pytest.raises(UsersFileError):
        save_users(path, {"x": User(id="x", role="city", unit="北京")}, UNITS)
    assert not path.exists()
    save_users(path, {"x": User(id="x", role="city", unit="保定")}, UNITS)
    assert parse_users(path.read_text(encoding="utf-8"), UNITS)["x"].unit == "保定"
    assert path.stat().st_mode & 0o077 == 0  # readable by its owner only
    assert json.loads(path.read_text(encoding="utf-8")) == [
        {"id": "x", "role": "city", "unit": "保定"}
    ]


def test_the_store_refuses_what_a_city_bureau_may_not_do(warehouse):
    issue = an_issue(warehouse, "cluster_unknown")
    bureau = city(issue["city"])
    store = CorrectionStore(Layout.resolve(warehouse=warehouse).corrections)
    for decision in ("waived", "reopened"):
        from lingpao.corrections.records import decision_for

        with pytest.raises(Forbidden):
            store.record(bureau, decisions=[decision_for(issue, decision, "本市核实无误")])
    with pytest.raises(Forbidden):
        store.record(
            bureau,
            [
                Correction(
                    "platform", issue["record_key"], "cluster", None, "x", "r", city=issue["city"]
                )
            ],
        )
    assert store.decisions().empty and store.corrections().empty
    assert desk(warehouse, bureau).start_run() is not None  # refused, not started
    assert desk(warehouse, LEADER).decide(issue, "waived", "领导决定") is not None
    assert store.decisions().empty
    entries = desk(warehouse, bureau).audit.entries(event="refused")
    assert len(entries) == 2 and set(entries["who"]) == {bureau.id, LEADER.id}


def test_a_proposal_changes_nothing_until_a_steward_accepts_it(sample_run, warehouse):
    issue = an_issue(warehouse, "direction_invalid")
    bureau, stranger = city(issue["city"]), city(next(u for u in UNITS if u != issue["city"]))
    assert "无权" in desk(warehouse, stranger).propose(issue, "direction", "科技创新发展", "核实")
    assert desk(warehouse, bureau).propose(issue, "direction", "科技创新发展", "企业确认") is None
    store = desk(warehouse, STEWARD).store
    assert store.corrections().empty and store.decisions().empty
    assert run_build(Layout.resolve(sample_run["inbox"], warehouse)).success
    assert query(
        warehouse, "SELECT status FROM dq_issues WHERE issue_id = ?", [issue["issue_id"]]
    ) == [("open",)]
    proposal = store.proposals(bureau.scope)
    assert list(proposal["who"]) == [bureau.id] and proposal["settled"].isna().all()
    assert store.proposals(stranger.scope).empty  # another unit sees none of it
    with pytest.raises(Forbidden):
        store.settle_proposal(bureau, int(proposal["id"][0]), True, "")
    assert desk(warehouse, STEWARD).settle(int(proposal["id"][0]), True, "核实无误") is None
    correction = store.corrections().iloc[0]
    assert (correction["who"], correction["proposed_by"], correction["new_value"]) == (
        "管理员甲",
        bureau.id,
        "科技创新发展",
    )
    assert "已处理" in desk(warehouse, STEWARD).settle(int(proposal["id"][0]), False, "again")
    assert run_build(Layout.resolve(sample_run["inbox"], warehouse)).success
    assert query(
        warehouse, "SELECT status FROM dq_issues WHERE issue_id = ?", [issue["issue_id"]]
    ) == [("fixed",)]


def test_the_query_layer_keeps_each_viewer_in_scope(warehouse):
    served = Layout.resolve(warehouse=warehouse).serving

    def pages(viewer):
        return (
            Quality.on_file(served, PROGRAMME, viewer),
            CityDesk.on_file(served, PROGRAMME, viewer),
        )

    filters = NO_FILTERS
    quality, tables = pages(LEADER)
    progress = Progress.on_file(served, PROGRAMME, LEADER)
    with pytest.raises(Forbidden):
        quality.issues(filters)
    with pytest.raises(Forbidden):
        quality.record("platform", "x")
    with pytest.raises(Forbidden):
        tables.unreadable_city_files()
    waiting = progress.longest_waiting(filters, ["submitted"])
    assert len(waiting) and not {"contact_name", "contact_phone"} & set(waiting.columns)
    everything = "SELECT * FROM applications"
    assert "contact_phone" in pages(PROVINCE)[0].select(everything).columns
    assert "contact_phone" not in quality.select(everything).columns
    key, home = query(
        warehouse, "SELECT application_id, city FROM applications WHERE city IS NOT NULL LIMIT 1"
    )[0]
    other = next(u for u in UNITS if u != home)
    assert pages(city(home))[0].record("platform", key)["application_id"] == key
    assert pages(city(other))[0].record("platform", key) is None
    assert set(pages(city(other))[0].issues(filters)["city"]) <= {other}
    files = pages(city(other))[1].unreadable_city_files()
    all_files = pages(PROVINCE)[1].unreadable_city_files()
    assert len(all_files) > len(files)


def test_cli_operator_is_a_steward():
    assert operator("王").may("correct") and operator("王").via == "cli"


def test_the_readme_shows_the_permission_table_of_the_code():
    from lingpao.access.roles import permission_markdown

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert f"<!-- PERMISSIONS -->\n{permission_markdown()}\n<!-- /PERMISSIONS -->" in readme


def test_tracebacks_never_reach_a_browser():
    import tomllib

    root = Path(__file__).resolve().parent.parent
    config = tomllib.loads((root / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"
    cli = (root / "lingpao" / "cli" / "__init__.py").read_text(encoding="utf-8")
    assert '"--client.showErrorDetails",\n        "none",' in cli  # whatever the working directory
