"""What the browser tests share: Debian's Chromium, `lingpao dashboard` on a free port of this
machine (stopped, with all it started, at the end), a page opened and settled, sign-in, and the
websocket frames the server sent a page."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
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
LOCAL = {"127.0.0.1", None}
SIGNIN_FORM = 'form[action="/signin"]'  # the sign-in page a page without a session is sent to
LINGPAO = str(Path(sys.executable).with_name("lingpao"))


def needs_chromium():
    """The mark of a module that needs the browser: it fails in CI without one, skips elsewhere."""
    if CHROMIUM is None and os.environ.get("CI"):
        pytest.fail(
            "Debian's chromium is not installed: `python3 bootstrap.py test` installs it",
            pytrace=False,
        )
    return pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(base: str, process: subprocess.Popen | None = None, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            output = process.stdout.read().decode("utf-8", "replace") if process.stdout else ""
            pytest.fail(f"the dashboard exited ({process.returncode}): {output[-2000:]}")
        try:
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).status == 200:
                return
        except OSError:
            time.sleep(0.3)
    pytest.fail("the dashboard did not start")


def start_dashboard(warehouse: Path, port: int, **env: str) -> subprocess.Popen:
    """`lingpao dashboard` as an operator starts it."""
    return subprocess.Popen(
        [
            LINGPAO,
            "dashboard",
            "--port",
            str(port),
            "--address",
            "127.0.0.1",
            "--warehouse",
            str(warehouse),
        ],
        cwd=ROOT,
        env=dict(os.environ, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen, seconds: float = 10) -> None:
    """SIGTERM, as a service manager stops it; the process must be gone within `seconds`."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail(f"lingpao dashboard did not stop within {seconds} s of SIGTERM")


@contextlib.contextmanager
def serve(warehouse: Path, **env: str):
    """`lingpao dashboard` on a warehouse, on a free port of this machine; yields its address."""
    port = free_port()
    process = start_dashboard(warehouse, port, **env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process, 120)
        yield base
    finally:
        stop(process)


def open_page(context, url: str, ready: str = '[data-testid="stMetric"]', frames: bool = False):
    """A page of the dashboard, loaded and settled; with the hosts it fetched from, its dialogs and
    (`frames`) every websocket frame the server sent it (`page.frames_received`, bytes)."""
    page = context.new_page()
    page.hosts, page.dialogs, page.frames_received = set(), [], []
    page.on("request", lambda request: page.hosts.add(urlparse(request.url).hostname))
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    if frames:

        def listen(socket) -> None:
            socket.on(
                "framereceived",
                lambda payload: page.frames_received.append(
                    payload if isinstance(payload, bytes) else str(payload).encode("utf-8")
                ),
            )

        page.on("websocket", listen)
    page.goto(url)
    settle(page, ready)
    return page


def settle(page, ready: str = '[data-testid="stMetric"]') -> None:
    """Wait for `ready` and for the script run to end (charts draw after it)."""
    page.wait_for_selector(ready, timeout=90_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=90_000
    )
    page.wait_for_timeout(400)


def sign_in(page, ident: str, password: str) -> str:
    """Fill the sign-in page (where a page without a session is sent) and submit it; the text of
    the page one lands on: the sign-in page again with why, or the dashboard's page, settled."""
    if "/signin" not in page.url:
        page.wait_for_url("**/signin**", timeout=30_000)
    page.get_by_label("账号").fill(ident)
    page.get_by_label("密码").fill(password)
    with page.expect_navigation(timeout=60_000):
        page.get_by_role("button", name="登录").click()
    if "/signin" not in page.url:
        page.wait_for_selector('[data-testid="stApp"]', timeout=60_000)
        page.wait_for_timeout(500)
        page.wait_for_function(
            "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000
        )
        page.wait_for_timeout(300)
    return page.inner_text("body")


def off_machine_links(page) -> list[str]:
    """Links, images and frames in the page that point anywhere but this machine."""
    urls = page.eval_on_selector_all(
        "a[href], img[src], iframe[src], link[href], script[src]",
        "nodes => nodes.map(n => n.href || n.src || '')",
    )
    return [u for u in urls if urlparse(u).hostname not in LOCAL and not u.startswith("data:")]
