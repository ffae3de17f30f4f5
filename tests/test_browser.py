"""A real headless Chromium (Debian's, no downloaded browser) opens the pages of `lingpao dashboard`:
every page renders, nothing is fetched from elsewhere, and hostile inbox values stay inert text."""

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lingpao.access.users import User, save_users
from lingpao.foundation.layout import Layout
from lingpao.foundation.programme import load_programme
from tests.browser import (
    LINGPAO,
    LOCAL,
    ROOT,
    SHOTS,
    needs_chromium,
    off_machine_links,
    open_page,
    serve,
)
from tests.helpers import copy_warehouse, run, write_hostile_inbox

PAGES = {
    "progress": "",
    "quality": "quality",
    "queue": "queue",
    "shortlist": "shortlist",
    "clusters": "clusters",
    "citydesk": "citydesk",
}
pytestmark = needs_chromium()


def cells(path: Path) -> dict[str, list[list]]:
    """A workbook as its sheets' cell values, row by row."""
    import openpyxl

    book = openpyxl.load_workbook(path)
    return {s.title: [[c.value for c in row] for row in s.iter_rows()] for s in book.worksheets}


def test_downloads_are_the_cli_workbooks(sample_run, chromium, tmp_path):
    """What a person downloads from a page is the workbook `lingpao export` writes."""
    warehouse = sample_run["warehouse"]
    unit = load_programme(2023).units[0]  # the feedback unit the page offers first
    lingpao = str(Path(sys.executable).with_name("lingpao"))
    downloads = {
        "shortlist": ("下载专家评审名单", ["export", "shortlist"]),
        "queue": (f"下载{unit}问题反馈表", ["export", "feedback", "--city", unit]),
    }
    with serve(warehouse) as base:
        context = chromium.new_context(
            accept_downloads=True, viewport={"width": 1500, "height": 3000}
        )
        for path, (button, command) in downloads.items():
            page = open_page(context, f"{base}/{path}")
            with page.expect_download(timeout=90_000) as download:
                page.get_by_role("button", name=button).click()
            got = tmp_path / f"page_{path}.xlsx"
            download.value.save_as(got)
            expected = tmp_path / f"cli_{path}.xlsx"
            subprocess.run(
                [lingpao, *command, "--out", str(expected), "--warehouse", str(warehouse)],
                check=True,
                cwd=ROOT,
                capture_output=True,
            )
            book = cells(expected)
            assert sum(len(rows) for rows in book.values()) > 1, path
            assert cells(got) == book, path
            page.close()


def test_city_desk_checks_an_upload_then_submits_as_a_run_publishes(sample_run, chromium, tmp_path):
    """A bureau's table uploaded on 上报汇总表: the check is on screen before anything is sent; then
    确认上报, clicked the moment another run publishes its result (deadline day), is taken."""
    base = tmp_path / "desk"
    shutil.copytree(sample_run["warehouse"].parent, base, ignore=shutil.ignore_patterns("*.lock"))
    warehouse, inbox = base / "warehouse.duckdb", base / "inbox"
    table = next(p for p in sorted((inbox / "cities").glob("*.xlsx")) if "石家庄" in p.name)
    with serve(warehouse, LINGPAO_INBOX=str(inbox)) as address:
        context = chromium.new_context(viewport={"width": 1500, "height": 2200})
        page = open_page(context, f"{address}/citydesk")
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(table))
        page.get_by_text("读取为：石家庄").first.wait_for(timeout=90_000)
        page.wait_for_timeout(600)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "citydesk_checked.png"), full_page=True)
        text = page.inner_text("body")
        assert "确认上报石家庄汇总表" in text and "申报行数" in text
        assert page.locator('[data-testid="stException"]').count() == 0
        assert not (inbox / "submissions").exists(), "a check keeps nothing"
        serving = Layout.resolve(warehouse=warehouse).serving
        before = serving.stat().st_ino
        other = subprocess.Popen(
            [LINGPAO, "run", "--full", "--no-report", "--warehouse", str(warehouse),
             "--inbox", str(inbox)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            while serving.stat().st_ino == before and other.poll() is None:
                time.sleep(0.05)
            assert serving.stat().st_ino != before, "the other run published nothing"
            page.get_by_role("button", name="确认上报石家庄汇总表").click()
            page.get_by_text("已上报第1版").first.wait_for(timeout=30_000)
        finally:
            other.wait(timeout=120)
        assert list((inbox / "submissions" / "石家庄").glob("v001_*")), "the click was taken"
        page.close()


@pytest.fixture(scope="module")
def hostile_warehouse(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("hostile_browser")
    for folder in ("platform", "cities", "registry"):
        (base / "inbox" / folder).mkdir(parents=True)
    write_hostile_inbox(base / "inbox")
    return run(base / "inbox", base)[1]


def test_hostile_values_stay_text_on_every_page(hostile_warehouse, chromium):
    with serve(hostile_warehouse) as base:
        context = chromium.new_context(viewport={"width": 1500, "height": 3000})
        for name, path in PAGES.items():  # each page in a tab of its own, its own session
            page = open_page(context, f"{base}/{path}")
            if name == "quality":
                page.get_by_text("规则集校验结果").first.wait_for(timeout=60_000)
            page.screenshot(path=str(SHOTS / f"hostile_{name}.png"))
            assert page.dialogs == [], f"{name} opened {page.dialogs}"
            assert page.hosts <= LOCAL, f"{name} fetched from {page.hosts - LOCAL}"
            assert off_machine_links(page) == [], name
            assert page.locator("iframe").count() == 0, name  # no Data Docs (or anything) inline
            assert page.locator('[data-testid="stException"]').count() == 0, name
            page.close()
    docs = Layout.resolve(warehouse=hostile_warehouse).gx_docs
    for html in docs.rglob("*.html"):
        assert "script-src 'none'" in html.read_text(encoding="utf-8"), html


def test_trusted_header_sign_in_only_when_configured(sample_run, tmp_path, chromium):
    """The gateway's header signs in; without it, nothing. (That the header is ignored in the other
    modes and from other addresses is tested on `viewer_from_header` in test_signin.)"""
    warehouse = copy_warehouse(sample_run, tmp_path)
    users = {"gw@example.com": User(id="gw@example.com", role="leadership", name="网关用户")}
    save_users(Layout.resolve(warehouse=warehouse).users, users, load_programme(2023).units)
    header = {"X-Remote-User": "gw@example.com"}
    gateway = {"LINGPAO_AUTH": "header", "LINGPAO_AUTH_PROXIES": "127.0.0.1"}
    with serve(warehouse, **gateway) as base:
        page = open_page(chromium.new_context(extra_http_headers=header), base)
        assert "网关用户" in page.inner_text("body")
        page = open_page(chromium.new_context(), base, ready='[data-testid="stAlert"]')
        assert "单点登录网关" in page.inner_text("body")
        assert page.locator('[data-testid="stMetric"]').count() == 0
