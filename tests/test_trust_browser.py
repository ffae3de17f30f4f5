"""The trust boundary in a real browser against the real server (issue 14): forged forwarded
addresses, what the server sends a city bureau's browser (every websocket frame), the grid's own
download, and a deep link through the sign-in form."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lingpao.access.audit import AuditLog
from lingpao.access.passwords import hash_password
from lingpao.access.users import User, save_users
from lingpao.foundation.layout import Layout
from lingpao.foundation.programme import load_programme
from tests.browser import SIGNIN_FORM, needs_chromium, open_page, serve, settle, sign_in
from tests.helpers import copy_warehouse
from tests.test_trust_boundary import OTHER, other_units_table

pytestmark = needs_chromium()
UNITS = load_programme(2023).units
PASSWORD = "一个足够长的口令-2023"


@pytest.fixture(scope="module")
def hashed() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def warehouse(sample_run, tmp_path, hashed) -> Path:
    target = copy_warehouse(sample_run, tmp_path)
    users = [
        User(id="bd@example.com", role="city", unit="保定", name="保定局", password_hash=hashed),
        User(id="steward@example.com", role="steward", name="管理员", password_hash=hashed),
        User(id="gw@example.com", role="province", name="网关用户"),
    ]
    save_users(Layout.resolve(warehouse=target).users, {u.id: u for u in users}, UNITS)
    return target


def audit(warehouse: Path):
    return AuditLog(Layout.resolve(warehouse=warehouse).audit).entries(limit=500)


def test_a_forged_forwarded_address_signs_nobody_in(warehouse, chromium):
    """A caller on this machine claims the gateway's address in X-Forwarded-For: refused, and the
    audit log records the real peer, not the claimed one."""
    gateway = {"LINGPAO_AUTH": "header", "LINGPAO_AUTH_PROXIES": "10.1.2.3"}
    forged = {"X-Remote-User": "gw@example.com", "X-Forwarded-For": "10.1.2.3"}
    with serve(warehouse, **gateway) as base:
        page = open_page(
            chromium.new_context(extra_http_headers=forged), base, ready='[data-testid="stAlert"]'
        )
        text = page.inner_text("body")
        assert "单点登录网关" in text and "网关用户" not in text
        assert page.locator('[data-testid="stMetric"]').count() == 0
    entries = audit(warehouse)
    assert "signin" not in set(entries["event"])
    refused = entries[entries["event"] == "signin_failed"]
    assert len(refused) >= 1 and set(refused["address"]) == {"127.0.0.1"}
    assert set(refused["who"]) == {"gw@example.com"}


def test_new_forwarded_addresses_do_not_escape_the_pause(warehouse, chromium):
    """Password guesses for several accounts, a new X-Forwarded-For every four tries: the pause
    for this address comes after five failures all the same, and the log holds the real address."""
    with serve(warehouse) as base:
        replies = []
        for round_ in range(5):
            context = chromium.new_context(
                extra_http_headers={"X-Forwarded-For": f"10.9.9.{round_}"}
            )
            page = open_page(context, base, ready=SIGNIN_FORM)
            for attempt in range(4):
                replies.append(sign_in(page, f"guess{round_}{attempt}@example.com", "wrong"))
            context.close()
    assert "失败次数过多" not in "".join(replies[:5])
    assert all("失败次数过多" in reply for reply in replies[5:]), "the sixth try onwards is paused"
    entries = audit(warehouse)
    assert set(entries["address"]) == {"127.0.0.1"}
    assert (entries["event"] == "signin_failed").sum() == 5


def test_a_city_bureaus_browser_receives_nothing_of_another_unit(warehouse, chromium, tmp_path):
    """保定 signs in and checks 石家庄's table (renamed companies) on its desk: no websocket frame
    the server sends that browser, visible or not, holds 石家庄's application ids or platform
    company names."""
    served = Layout.resolve(warehouse=warehouse).serving
    data, ids, names = other_units_table(served)
    upload = tmp_path / f"{OTHER}市汇总表.xlsx"
    upload.write_bytes(data)
    with serve(warehouse) as base:
        page = open_page(chromium.new_context(), base, ready=SIGNIN_FORM, frames=True)
        sign_in(page, "bd@example.com", PASSWORD)
        settle(page)
        page.get_by_role("link", name="上报汇总表").click()
        settle(page)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(upload))
        page.get_by_text(f"写明是{OTHER}的").first.wait_for(timeout=90_000)  # refused, first
        settle(page)
        sent = b"".join(page.frames_received)
    assert "不能作为保定的汇总表".encode() in sent, "the frames of the check were captured"
    leaked_ids = [i for i in ids if i.encode() in sent]
    leaked_names = [n for n in names if n.encode() in sent]
    assert not leaked_ids and not leaked_names, (leaked_ids[:3], leaked_names[:3])


def test_tables_offer_no_download_of_their_own(sample_run, chromium):
    """Hovering a table shows its toolbar (search, full screen) but no CSV download."""
    with serve(sample_run["warehouse"]) as base:
        page = open_page(chromium.new_context(viewport={"width": 1400, "height": 2000}), base)
        table = page.locator('[data-testid="stDataFrame"]').first
        table.hover()
        page.wait_for_timeout(500)
        toolbar = page.locator('[data-testid="stElementToolbar"]').first
        assert toolbar.locator("button").count() >= 1, "the toolbar shows"
        labels = [
            (b.get_attribute("aria-label") or "") + (b.get_attribute("title") or "")
            for b in toolbar.locator("button").all()
        ]
        assert not [label for label in labels if re.search("download|下载|csv", label, re.I)]


def test_a_deep_link_survives_the_sign_in_form(warehouse, chromium):
    """A shared link to 数据质量 filtered to 保定, opened before signing in, is where one lands."""
    with serve(warehouse) as base:
        page = open_page(chromium.new_context(), f"{base}/quality?city=保定", ready=SIGNIN_FORM)
        text = sign_in(page, "steward@example.com", PASSWORD)
        settle(page)
        assert page.url.split("?")[0].endswith("/quality"), page.url
        assert "city=" in page.url and "数据质量" in page.inner_text("body")
        assert "保定" in page.locator('[data-testid="stSidebar"]').inner_text()
        assert "账号或密码不正确" not in text
