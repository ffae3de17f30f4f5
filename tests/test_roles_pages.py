"""Every role × every page × every download: what each viewer is shown, walked element by element."""

import io
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from lingpao.access.audit import AuditLog
from lingpao.access.roles import PAGES, Forbidden
from lingpao.access.users import User, save_users
from lingpao.access.viewer import Viewer
from lingpao.foundation.layout import Layout
from lingpao.foundation.programme import load_programme
from lingpao.queries import Quality
from tests.conftest import query
from tests.helpers import copy_warehouse, shown

APP = str(Path(__file__).resolve().parent.parent / "lingpao" / "dashboard" / "app.py")
BUILT = ("progress", "quality", "queue", "shortlist", "clusters", "citydesk")
UNIT = "保定"
USERS = {
    "province": User(id="province@example.com", role="province", name="省厅"),
    "steward": User(id="steward@example.com", role="steward", name="管理员"),
    "leadership": User(id="boss@example.com", role="leadership", name="领导"),
    "city": User(id="baoding@example.com", role="city", unit=UNIT, name="保定局"),
}
DOWNLOADS = {  # page -> download keys, per role (the permission table's, nothing more)
    "province": {
        "progress": {"download_summary"},
        "quality": {"download_docs", "q_download_feedback", "q_download_feedback_all"},
        "queue": {"download_feedback"},
        "shortlist": {"download_shortlist"},
        "citydesk": {"download_template"},
    },
    "steward": {
        "progress": {"download_summary"},
        "quality": {"download_docs", "q_download_feedback", "q_download_feedback_all"},
        "queue": {"download_feedback", "download_corrections_template"},
        "shortlist": {"download_shortlist"},
        "citydesk": {"download_template"},
    },
    "leadership": {"shortlist": {"download_shortlist"}},
    "city": {
        "quality": {"q_download_feedback"},
        "queue": {"download_feedback"},
        "citydesk": {"download_template"},
    },
}


@pytest.fixture(scope="module")
def warehouse(sample_run, tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("roles")
    target = copy_warehouse(sample_run, base)
    shutil.copytree(sample_run["warehouse"].parent / "gx_docs", base / "gx_docs")
    units = load_programme(2023).units
    save_users(Layout.resolve(warehouse=target).users, {u.id: u for u in USERS.values()}, units)
    return target


def page_as(warehouse: Path, monkeypatch, role: str, page: str) -> AppTest:
    monkeypatch.setenv("LINGPAO_WAREHOUSE", str(warehouse))
    at = AppTest.from_file(APP, default_timeout=180)
    at.user = {"email": USERS[role].id, "is_logged_in": True}
    at.run()
    if page != "progress":
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("role", list(USERS))
def test_each_role_opens_its_pages_only(warehouse, monkeypatch, role):
    at = page_as(warehouse, monkeypatch, role, "progress")
    for page in BUILT:
        if page in PAGES[role]:
            continue
        with pytest.raises(ValueError, match="navigation page"):
            at.switch_page(f"views/{page}.py")


@pytest.mark.parametrize("role,page", [(r, p) for r in USERS for p in BUILT if p in PAGES[r]])
def test_what_each_role_sees_and_downloads(warehouse, monkeypatch, role, page):
    at = page_as(warehouse, monkeypatch, role, page)
    texts, frames = shown(at)
    assert at.metric or frames, "the page shows data"
    text = "\n".join(texts + [f.to_csv() for f in frames])
    keys = {b.key for b in at.download_button}
    assert keys == DOWNLOADS[role].get(page, set())
    if role == "leadership":
        phones = {
            p
            for (p,) in query(
                warehouse,
                "SELECT contact_phone FROM applications WHERE contact_phone IS NOT NULL UNION "
                "SELECT contact_phone_raw FROM applications WHERE contact_phone_raw IS NOT NULL",
            )
            if len(p) >= 7
        }
        names = {
            n for (n,) in query(warehouse, "SELECT DISTINCT contact_name FROM applications") if n
        }
        assert not [p for p in phones if p in text], "a phone reached leadership"
        cells = {str(v) for f in frames for v in f.to_numpy().ravel()}
        assert not names & cells, "a contact name reached leadership"
        assert not any(
            c in f.columns for f in frames for c in ("联系人", "联系电话", "contact_phone")
        )
    if role == "city":
        for frame in frames:
            for column in ("所属市", "报送单位", "city"):
                if column in frame.columns:
                    assert set(frame[column].dropna()) <= {UNIT}, (page, column)
        others = query(
            warehouse,
            "SELECT source_file FROM inbox_files WHERE folder = 'cities' AND "
            "NOT list_contains(string_split(coalesce(city, ''), '、'), ?)",
            [UNIT],
        )
        leaked = [name for (name,) in others if name in text]
        assert not leaked, f"file names of other units: {leaked}"
        companies = query(
            warehouse,
            "SELECT DISTINCT company_name FROM applications WHERE city <> ? AND company_name NOT IN "
            "(SELECT company_name FROM applications WHERE city = ? AND company_name IS NOT NULL)",
            [UNIT, UNIT],
        )
        assert not [c for (c,) in companies if c and c in text], "another unit's company"
        if page == "queue":
            assert at.selectbox(key="g_feedback_unit").options == [UNIT]


def test_downloads_are_refused_below_the_page(warehouse):
    """The page's queries build the workbook only for whom the permission table allows, and
    audit both the refusal and the download."""
    layout, programme = Layout.resolve(warehouse=warehouse), load_programme(2023)
    bureau = Viewer(id="baoding@example.com", role="city", unit=UNIT)
    leader = Viewer(id="boss@example.com", role="leadership")
    audit = AuditLog(layout.audit)

    def quality(viewer: Viewer) -> Quality:
        return Quality.on_file(layout.serving, programme, viewer, audit)

    with pytest.raises(Forbidden):
        quality(bureau).feedback("唐山")
    with pytest.raises(Forbidden):
        quality(leader).feedback(UNIT)
    with pytest.raises(Forbidden):
        quality(bureau).feedback_all()
    workbook = quality(bureau).feedback(UNIT)
    assert workbook.startswith(b"PK") and load_workbook(io.BytesIO(workbook)).sheetnames
    entries = audit.entries(limit=4)
    assert list(entries["event"]) == ["refused", "refused", "refused", "download"]
    assert set(entries["who"]) == {bureau.id, leader.id}
