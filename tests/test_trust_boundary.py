"""The trust boundary's second pass (issue 14): what a city bureau's check may hold, whose unit a
proposal is for, what a visitor is told, identity-provider claims, session settings, file names
that change how they look, and a server that believes forwarded addresses."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from lingpao.access.roles import Forbidden
from lingpao.access.signin import (
    FORWARDING,
    SignInSettings,
    SignInSettingsError,
    oidc_id,
    server_believes_forwarding,
    viewer_from_oidc,
)
from lingpao.access.users import User, save_users
from lingpao.access.viewer import Scope, Viewer
from lingpao.citydesk.template import write_city_template
from lingpao.citydesk.versions import TableVersions, safe_name
from lingpao.corrections.store import Correction, CorrectionStore, Proposal
from lingpao.desk import Desk
from lingpao.foundation.layout import Layout
from lingpao.foundation.programme import load_programme
from lingpao.queries import NO_FILTERS, CityDesk
from lingpao.warehouse.connection import connect_read_only
from tests.conftest import query
from tests.helpers import copy_warehouse, shown

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "lingpao" / "dashboard" / "app.py")
PROGRAMME = load_programme(2023)
OWN, OTHER = "保定", "石家庄"
BUREAU = Viewer(id="bd@example.com", role="city", unit=OWN, name="保定局")
LEADER = Viewer(id="boss@example.com", role="leadership", name="领导")


@pytest.fixture
def warehouse(sample_run, tmp_path) -> Path:
    return copy_warehouse(sample_run, tmp_path)


def other_units_table(served: Path) -> tuple[bytes, set[str], set[str]]:
    """石家庄's 附件2 pre-filled from the platform, every company renamed (so that a reconciliation
    would quote the platform's name): the file, and 石家庄's application ids and platform names."""
    with connect_read_only(served) as conn:
        data = write_city_template(conn, PROGRAMME, OTHER)
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    for row in range(4, sheet.max_row + 1):
        if sheet.cell(row, 2).value:
            sheet.cell(row, 2).value = f"改过名字的企业{row}"
    out = io.BytesIO()
    book.save(out)
    ids = {
        r[0]
        for r in query(served, "SELECT application_id FROM applications WHERE city = ?", [OTHER])
    }
    names = {
        r[0]
        for r in query(served, "SELECT company_name FROM applications WHERE city = ?", [OTHER])
        if r[0]
    }
    return out.getvalue(), ids, names


def test_a_city_bureaus_check_holds_nothing_of_another_unit(warehouse):
    """Another unit's table uploaded as 保定's: the check (everything the page is given) names none
    of 石家庄's application ids or platform company names; the province's check still reconciles
    against every unit."""
    served = Layout.resolve(warehouse=warehouse).serving
    data, ids, names = other_units_table(served)
    assert len(ids) > 3 and names
    desk = Desk(Layout.resolve(warehouse=warehouse), BUREAU, PROGRAMME)
    check = desk.check_table(OWN, "石家庄市汇总表.xlsx", data)
    assert check.readable and check.findings
    sent = "\n".join([*check.lines(), check.frame().to_csv(index=False), *check.notices])
    assert not [i for i in ids if i in sent], "another unit's application ids reach the bureau"
    assert not [n for n in names if n in sent], "another unit's company names reach the bureau"
    province = Desk(Layout.resolve(warehouse=warehouse), Viewer(id="p", role="province"), PROGRAMME)
    full = province.check_table(OWN, "石家庄市汇总表.xlsx", data)
    assert any(f.rule == "field_mismatch" for f in full.findings)  # matched across units


def test_a_proposal_names_the_unit_of_its_record_not_the_callers(warehouse):
    """A city's proposal for another unit's record is refused by the store, whatever unit the
    proposal itself names; for its own record the stored unit is the record's."""
    served = Layout.resolve(warehouse=warehouse).serving
    theirs = query(
        served, "SELECT application_id FROM applications WHERE city = ? LIMIT 1", [OTHER]
    )
    mine = query(served, "SELECT application_id FROM applications WHERE city = ? LIMIT 1", [OWN])
    store = CorrectionStore(Layout.resolve(warehouse=warehouse).corrections, served=served)
    forged = Proposal(
        Correction("platform", theirs[0][0], "county", None, "某县", "核实", city=OWN)
    )
    with pytest.raises(Forbidden):
        store.propose(BUREAU, forged)
    assert store.proposals(Scope()).empty
    honest = Proposal(Correction("platform", mine[0][0], "county", None, "某县", "核实", city=None))
    store.propose(BUREAU, honest)
    assert list(store.proposals(Scope())["city"]) == [OWN]
    unknown = Proposal(Correction("platform", "LP-NOT-THERE", "county", None, "x", "r", city=OWN))
    with pytest.raises(ValueError, match="不存在"):
        store.propose(BUREAU, unknown)
    without = CorrectionStore(Layout.resolve(warehouse=warehouse).corrections)
    with pytest.raises(ValueError, match="尚无已发布的数据"):
        without.propose(BUREAU, honest)


def test_an_unverified_email_is_no_sign_in_id():
    users = {"wang@example.com": User(id="wang@example.com", role="province")}
    claims = {"is_logged_in": True, "email": "Wang@example.com", "sub": "u-42"}
    assert viewer_from_oidc(claims, users).id == "wang@example.com"
    assert viewer_from_oidc({**claims, "email_verified": True}, users) is not None
    for unverified in (False, "false"):
        assert oidc_id({**claims, "email_verified": unverified}) == "u-42"
        assert viewer_from_oidc({**claims, "email_verified": unverified}, users) is None


@pytest.mark.parametrize(
    "name,value",
    [
        ("LINGPAO_SESSION_HOURS", "nan"),
        ("LINGPAO_SESSION_HOURS", "inf"),
        ("LINGPAO_SESSION_HOURS", "0"),
        ("LINGPAO_IDLE_MINUTES", "-5"),
        ("LINGPAO_IDLE_MINUTES", "很久"),
    ],
)
def test_session_settings_are_checked_when_read(warehouse, monkeypatch, name, value):
    with pytest.raises(SignInSettingsError, match=name):
        SignInSettings.from_environment({name: value})
    monkeypatch.setenv("LINGPAO_WAREHOUSE", str(warehouse))
    monkeypatch.setenv(name, value)
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception and not at.metric
    assert any("登录设置有误" in e.value and name in e.value for e in at.error)


def test_leadership_is_told_no_file_names(warehouse, monkeypatch):
    """File names and why a file was unreadable are record details: the query refuses them to
    leadership, and 总览 shows leadership no inbox file at all."""
    served = Layout.resolve(warehouse=warehouse).serving
    unreadable = query(
        served, "SELECT count(*) FROM inbox_files WHERE folder = 'cities' AND status <> 'read'"
    )
    assert unreadable[0][0] > 0, "the sample holds an unreadable city table"
    queries = CityDesk.on_file(
        served, PROGRAMME, LEADER
    )  # the city tables' queries, for leadership
    with pytest.raises(Forbidden):
        queries.unreadable_city_files()
    assert "files" not in queries.city_table_arrivals().columns
    users = Layout.resolve(warehouse=warehouse).users
    save_users(
        users, {"boss@example.com": User(id="boss@example.com", role="leadership")}, PROGRAMME.units
    )
    monkeypatch.setenv("LINGPAO_WAREHOUSE", str(warehouse))
    at = AppTest.from_file(APP, default_timeout=180)
    at.user = {"email": "boss@example.com", "is_logged_in": True}
    at.run()
    assert not at.exception and at.metric
    texts, frames = shown(at)
    files = {r[0] for r in query(served, "SELECT source_file FROM inbox_files")}
    everything = "\n".join(texts + [f.to_csv() for f in frames])
    assert not [f for f in files if f in everything]
    assert queries.counts_by(["city"], NO_FILTERS)["applications"].sum() > 0


def test_a_stored_name_keeps_no_direction_override(tmp_path):
    """U+202E makes `保定‮xslx.exe` look like `保定exe.xlsx`; neither the kept file nor the name
    shown keeps it (nor any other invisible character)."""
    assert "\u202e" not in safe_name("保定\u202exslx.exe")
    assert safe_name("a\u200bb\u2066c\x07.xlsx") == "abc.xlsx"
    versions = TableVersions(tmp_path, PROGRAMME)
    kept = versions.submit(BUREAU, OWN, b"PK-not-checked-here", "保定汇总表\u202e\u200b.xlsx")
    assert "\u202e" not in kept.file and "\u200b" not in kept.file
    assert kept.original_name == "保定汇总表.xlsx"
    assert versions.versions(OWN)[0].original_name == "保定汇总表.xlsx"


def test_a_long_chinese_upload_name_is_kept_shortened(tmp_path):
    """An 80-character Chinese name is 240 bytes: the kept name is cut (by bytes, never inside a
    character) and the version kept."""
    versions = TableVersions(tmp_path, PROGRAMME)
    name = "保定市推荐领跑者企业培育及认定申报汇总表" * 4 + ".xlsx"
    assert len(name) == 85 and len(name.encode()) > 240
    kept = versions.submit(BUREAU, OWN, b"data", name)
    stored = (tmp_path / kept.file).name
    assert len(stored.encode("utf-8")) < 255 and stored.endswith(".xlsx")
    assert (tmp_path / kept.file).read_bytes() == b"data"


def test_the_app_refuses_a_server_that_believes_forwarded_addresses(warehouse, monkeypatch):
    """Started some other way than `lingpao dashboard`, the web server would take a caller's
    X-Forwarded-For as its address: the app then shows no data to anyone."""
    assert server_believes_forwarding({}) and server_believes_forwarding({FORWARDING: "127.0.0.1"})
    assert not server_believes_forwarding({FORWARDING: ""})
    monkeypatch.setenv("LINGPAO_WAREHOUSE", str(warehouse))
    monkeypatch.delenv(FORWARDING)
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception and not at.metric and not at.dataframe
    assert any("lingpao dashboard" in e.value for e in at.error)


def test_no_table_offers_its_own_download(warehouse, monkeypatch):
    """The grid's own CSV download and copy are off, in the app itself and in its configuration."""
    import streamlit as st

    monkeypatch.setenv("LINGPAO_WAREHOUSE", str(warehouse))
    AppTest.from_file(APP, default_timeout=120).run()
    assert st.get_option("client.disableDataExport") is True
    config = (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    assert "disableDataExport = true" in config
