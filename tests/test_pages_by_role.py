"""Every page a role may open, read in a real browser as that role signs in (the sign-in page, the
session cookie): the page's text and its charts' text hold only words a person reads (no English
month, no None/nan/NaT, no UTC time, no internal id, no inbox path), nothing fails and nothing is
fetched from elsewhere; the session survives a reload and a second tab, and signing out ends both."""

from __future__ import annotations

import re

import pytest

from lingpao.access.passwords import hash_password
from lingpao.access.roles import PAGE_TITLES, PAGES
from lingpao.access.users import User, save_users
from lingpao.foundation.layout import Layout
from lingpao.foundation.programme import load_programme
from lingpao.quality.rules import RULES
from tests.browser import LOCAL, SHOTS, SIGNIN_FORM, needs_chromium, open_page, serve, sign_in
from tests.helpers import copy_warehouse

pytestmark = needs_chromium()
PROGRAMME = load_programme(2023)
PASSWORD = "a long pass phrase 2023"
USERS = {
    "province": User(id="province@example.com", role="province", name="省厅乙"),
    "steward": User(id="steward@example.com", role="steward", name="管理员甲"),
    "leadership": User(id="boss@example.com", role="leadership", name="领导丙"),
    "city": User(id="baoding@example.com", role="city", unit="保定", name="保定市工信局"),
}
IDS = sorted(
    {*PROGRAMME.stage_labels, *PROGRAMME.types, *RULES}
    | {"city_table", "platform", "county_verified", "error", "warning"}
)
NOT_FOR_PEOPLE = {
    "an English month": re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b"),
    "None, nan or NaT": re.compile(r"\b(None|nan|NaN|NaT|null)\b"),
    "an ISO or UTC time": re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|\+00:00|\bUTC\b"),
    "an internal id": re.compile(r"\b(" + "|".join(map(re.escape, IDS)) + r")\b"),
    "an inbox path": re.compile(r"\b(cities|platform|registry|submissions)/"),
    "Streamlit's English": re.compile(r"Page not found|Running|Drag and drop|Browse files"),
}


@pytest.fixture(scope="module")
def base(sample_run, tmp_path_factory):
    """One dashboard in password mode for the module, with a user of each role."""
    warehouse = copy_warehouse(sample_run, tmp_path_factory.mktemp("roles"))
    hashed = hash_password(PASSWORD)
    users = {u.id: User(**{**u.__dict__, "password_hash": hashed}) for u in USERS.values()}
    save_users(Layout.resolve(warehouse=warehouse).users, users, PROGRAMME.units)
    with serve(warehouse) as address:
        yield address


def page_text(page) -> str:
    """What a person reads: the page's text, the text drawn in its charts and in its tables (a
    table draws its cells on a canvas; its accessible copy holds their text)."""
    drawn = page.evaluate(
        "() => Array.from(document.querySelectorAll("
        '\'svg text, [data-testid="stDataFrame"] td, [data-testid="stDataFrame"] th\'))'
        ".map(t => t.textContent).join('\\n')"
    )
    return page.inner_text("body") + "\n" + drawn


def settled(page) -> None:
    page.wait_for_selector("h1", timeout=90_000)
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=90_000
    )
    page.wait_for_timeout(300)


@pytest.mark.parametrize("role", list(USERS))
def test_every_page_of_a_role_reads_as_a_person_would(base, chromium, role):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": 1440, "height": 2400}, locale="zh-CN")
    page = open_page(context, base, ready=SIGNIN_FORM)
    sign_in(page, USERS[role].id, PASSWORD)
    visible = [name for name in PAGES[role] if name != "record"]
    for name in visible:
        if name != "progress":
            page.locator('[data-testid="stSidebarNav"]').get_by_text(
                PAGE_TITLES[name], exact=True
            ).click()
        settled(page)
        page.screenshot(path=str(SHOTS / f"{role}_{name}.png"))
        assert page.locator('[data-testid="stException"]').count() == 0, (role, name)
        text = page_text(page)
        for what, pattern in NOT_FOR_PEOPLE.items():
            found = pattern.search(text)
            assert found is None, f"{role} {name}: {what} “{found.group(0) if found else ''}”"
        assert page.hosts <= LOCAL, f"{role} {name} fetched from {page.hosts - LOCAL}"
    shown = set(page.locator('[data-testid="stSidebarNav"]').inner_text().split())
    assert {PAGE_TITLES[n] for n in visible} <= shown
    hidden = set(PAGE_TITLES) - set(PAGES[role])
    assert not {PAGE_TITLES[n] for n in hidden} & shown
    for name in sorted(hidden)[:1]:  # a page the role may not open says so, in Chinese
        page.goto(f"{base}/{name}")
        settled(page)
        assert "无权查看此页" in page.inner_text("body"), (role, name)
    context.close()


def test_a_reload_and_a_second_tab_keep_the_session_and_sign_out_ends_both(base, chromium):
    context = chromium.new_context(viewport={"width": 1440, "height": 1600}, locale="zh-CN")
    first = open_page(context, f"{base}/quality?city=保定", ready=SIGNIN_FORM)
    sign_in(first, USERS["steward"].id, PASSWORD)
    assert first.url.split("?")[0].endswith("/quality") and "city=" in first.url
    first.reload()
    settled(first)
    assert "数据质量" in first.inner_text("body") and "/signin" not in first.url
    second = context.new_page()
    second.goto(f"{base}/applications")
    settled(second)
    assert "申报列表" in second.inner_text("body")
    first.get_by_role("button", name="退出登录").click()
    first.wait_for_selector("text=已退出登录", timeout=60_000)
    second.reload()
    second.wait_for_selector(SIGNIN_FORM, timeout=60_000)
    assert "/signin" in second.url
    first.goto(f"{base}/")
    first.wait_for_selector(SIGNIN_FORM, timeout=60_000)
    context.close()
