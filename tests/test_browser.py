"""A real headless Chromium (Debian's, no downloaded browser) opens every page of `lingpao dashboard`."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-output" / "screenshots"
PAGES = {
    "progress": "",
    "quality": "quality",
    "queue": "queue",
    "shortlist": "shortlist",
    "clusters": "clusters",
}
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if CHROMIUM is None and os.environ.get("CI"):
    pytest.fail(
        "Debian's chromium is not installed: `python3 bootstrap.py test` installs it", pytrace=False
    )
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def dashboard(sample_run):
    port = free_port()
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("lingpao")),
            "dashboard",
            "--port",
            str(port),
            "--address",
            "127.0.0.1",
            "--warehouse",
            str(sample_run["warehouse"]),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the dashboard did not start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_every_page_in_a_real_browser(dashboard):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for name, path in PAGES.items():
            page = browser.new_page(viewport={"width": 1500, "height": 3000})
            hosts = set()
            page.on("request", lambda request, seen=hosts: seen.add(urlparse(request.url).hostname))
            page.goto(f"{dashboard}/{path}")
            page.wait_for_selector('[data-testid="stMetric"]', timeout=90_000)
            page.wait_for_function(
                "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=90_000
            )
            page.wait_for_timeout(2000)
            page.screenshot(path=str(SHOTS / f"{name}.png"))
            text = page.inner_text("body")
            assert page.locator('[data-testid="stException"]').count() == 0, name
            assert "Traceback" not in text and "Page not found" not in text, name
            assert "数据截至" in text, name
            assert hosts <= {"127.0.0.1", None}, (
                f"{name} fetched from {hosts - {'127.0.0.1', None}}"
            )
            page.close()
        browser.close()
    assert sorted(p.stem for p in SHOTS.glob("*.png")) == sorted(PAGES)
