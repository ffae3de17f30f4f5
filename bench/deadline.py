"""Deadline day on one machine: the real dashboard server under at least 30 concurrent sessions
while the 14 units submit their tables through their desks.

- an inbox of 5,000 applications (the sample generator), run once;
- `lingpao dashboard` behind the sign-in gateway's header (this machine as the gateway), with a
  users file of province staff, stewards, leadership and the 14 city bureaus;
- N websocket sessions (`bench/streamlit_client.py`), each signed in as one of them, asking for
  the pages its role has one after another, reading each for 3-10 s, timed to the script's end;
- meanwhile the 14 bureaus, in headless Chromium, each open 上报汇总表, upload its table, wait for
  the check and press 确认上报 (one after another, a few seconds apart);
- then: the time from the last submission until 总览 (a province session) shows it, the runs
  started, the versions kept (and that every one is each unit's table), page p50/p95/max under load;
- and how long a table that inflates 17:1 to about 300 MB takes to be refused.

    .venv/bin/python bench/deadline.py [--applications 5000] [--sessions 30] [--gap 4]

Results go into docs/benchmarks.md between the DEADLINE markers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.report import machine, write_section  # noqa: E402
from bench.streamlit_client import Session  # noqa: E402

BIN = Path(sys.executable).parent
THINK = (3.0, 10.0)  # seconds a person reads a page before asking for the next
PAGES = {
    "province": ["", "quality", "queue", "shortlist", "clusters", "citydesk"],
    "steward": ["", "quality", "queue", "citydesk"],
    "leadership": ["", "shortlist", "clusters"],
    "city": ["", "quality", "queue", "citydesk"],
}


def lingpao(*args: object, env: dict | None = None) -> str:
    done = subprocess.run(
        [str(BIN / "lingpao"), *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(
            f"lingpao {' '.join(map(str, args))} failed:\n{done.stdout}\n{done.stderr}"
        )
    return done.stdout


def prepare(base: Path, applications: int) -> tuple[Path, Path, list[str], dict[str, str]]:
    """The inbox run once, the users file, and each unit's table (pre-filled from the platform)."""
    from lingpao.foundation.programme import load_programme

    inbox, warehouse = base / "inbox", base / "warehouse.duckdb"
    lingpao("sample", "--out", inbox, "--applications", applications, "--seed", 11, "--year", 2023)
    lingpao("run", "--inbox", inbox, "--warehouse", warehouse)
    units = load_programme().units
    users = {"prov1@gxt.example": "province", "prov2@gxt.example": "province"}
    users |= {"steward@gxt.example": "steward", "boss@gxt.example": "leadership"}
    for ident, role in users.items():
        lingpao("users", "add", ident, "--role", role, "--warehouse", warehouse)
    cities = {}
    for n, unit in enumerate(units):
        ident = f"city{n}@gxt.example"
        lingpao("users", "add", ident, "--role", "city", "--unit", unit, "--warehouse", warehouse)
        cities[unit] = ident
        users[ident] = "city"
        lingpao(
            "export",
            "city-template",
            "--unit",
            unit,
            "--out",
            base / f"{unit}.xlsx",
            "--warehouse",
            warehouse,
        )
    return inbox, warehouse, units, {"users": users, "cities": cities}


class Load:
    """N sessions asking for pages until told to stop; every page's seconds."""

    def __init__(self, base: str, users: dict[str, str], sessions: int) -> None:
        self.base, self.users, self.sessions = base, list(users.items()), sessions
        self.times: list[float] = []
        self.log: list[tuple[float, float, str, str]] = []  # (ended at, seconds, who, page)
        self.errors: list[str] = []
        self.stop = threading.Event()
        self.warm = threading.Event()

    async def one(self, number: int) -> None:
        ident, role = self.users[number % len(self.users)]
        rng = random.Random(number)
        try:
            async with Session(self.base, ident) as session:
                for name in PAGES[role]:  # a server that has run for a while: every page drawn once
                    await session.page(name)
                self.warm.set()
                while not self.stop.is_set():
                    name = rng.choice(PAGES[role])
                    seconds, _ = await session.page(name)
                    self.times.append(seconds)
                    self.log.append((time.time(), seconds, ident, name))
                    await asyncio.sleep(rng.uniform(*THINK))
        except Exception as error:  # a session that broke is counted, not hidden
            self.errors.append(f"{ident}: {type(error).__name__}: {error}")

    def run(self) -> None:
        async def everyone() -> None:
            await asyncio.gather(*(self.one(n) for n in range(self.sessions)))

        asyncio.run(everyone())


def kept_version(inbox: Path, unit: str) -> bool:
    """Whether the unit's table was kept as a version (the versions log names it)."""
    log = inbox / "submissions" / "versions.jsonl"
    if not log.exists():
        return False
    return any(
        json.loads(line).get("unit") == unit
        for line in log.read_text(encoding="utf-8").splitlines()
        if line.strip().startswith("{")
    )


def submit_all(
    base: str, work: Path, inbox: Path, cities: dict[str, str], gap: float
) -> tuple[list[tuple[str, float]], int]:
    """Each bureau in its own browser context: upload, see the check, submit; (unit, when done),
    and how many clicks on 确认上报 a bureau had to repeat (as a person would, when the page showed
    no answer within 30 s and no version was kept)."""
    from playwright.sync_api import sync_playwright

    done, repeated = [], 0
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            for unit, ident in cities.items():
                context = browser.new_context(extra_http_headers={"X-Remote-User": ident})
                page = context.new_page()
                page.goto(f"{base}/citydesk")
                page.wait_for_selector(
                    '[data-testid="stFileUploaderDropzoneInput"]', state="attached", timeout=120_000
                )
                page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
                    str(work / f"{unit}.xlsx")
                )
                for attempt in range(3):
                    try:
                        page.get_by_role("button", name=f"确认上报{unit}汇总表").click(
                            timeout=120_000
                        )
                        page.get_by_text("已上报第").first.wait_for(timeout=30_000)
                        break
                    except Exception:
                        if kept_version(inbox, unit):
                            break  # kept; the page's answer was redrawn away
                        if attempt == 2:  # say what the bureau saw, then stop the bench
                            page.screenshot(path=str(work / f"failed_{unit}.png"), full_page=True)
                            body = page.inner_text("body")[-3000:]
                            print(f"{unit}: no submission; the page said:\n{body}")
                            raise
                        repeated += 1
                        print(
                            f"{unit}: no answer to 确认上报 within 30 s, clicking again", flush=True
                        )
                done.append((unit, time.time()))
                context.close()
                time.sleep(gap)
        finally:
            browser.close()
    return done, repeated


def shown_on_progress(
    base: str, ident: str, warehouse: Path, unit: str, version: int, deadline: float
) -> float:
    """When 总览 shows the unit's table as that version (epoch seconds): the moment the copy the
    page reads holds it as the unit's table, and a province session's 总览 drawn from it."""
    from lingpao.foundation.layout import Layout
    from lingpao.warehouse.connection import connect_read_only

    serving = Layout.resolve(warehouse=warehouse).serving
    while time.time() < deadline:
        try:
            with connect_read_only(serving) as conn:
                found = conn.execute(
                    "SELECT count(*) FROM city_table_versions WHERE unit = ? AND version = ? "
                    "AND active",
                    [unit, version],
                ).fetchall()[0][0]
        except Exception:  # being replaced this very moment
            found = 0
        if found:
            break
        time.sleep(0.2)
    else:
        raise TimeoutError("总览 never showed the last submission")

    async def drawn() -> float:
        async with Session(base, ident) as session:
            while time.time() < deadline:
                _, data = await session.page("")
                if f"第{version}版（网上报送）".encode() in data:
                    return time.time()
                await asyncio.sleep(0.2)
        raise TimeoutError("总览 never drew the last submission")

    return asyncio.run(drawn())


def refused_bomb(work: Path, warehouse: Path) -> tuple[float, str]:
    """Seconds for `lingpao check` to refuse a table that inflates 17:1 to about 300 MB."""
    table = work / "保定市汇总表_巨大.xlsx"
    with zipfile.ZipFile(table, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            member.write(b'<?xml version="1.0"?><worksheet><sheetData>')
            written = 0
            while written < 300 << 20:  # zeros and some random text per row: about 17:1 overall
                row = b"<row>" + b"0" * 4096 + os.urandom(232).hex().encode() + b"</row>"
                member.write(row)
                written += len(row)
            member.write(b"</sheetData></worksheet>")
        archive.writestr("[Content_Types].xml", "<Types/>")
    ratio = 300 * (1 << 20) / table.stat().st_size
    from lingpao.citydesk.submission import check_upload
    from lingpao.foundation.layout import Layout
    from lingpao.foundation.programme import load_programme

    programme, served = load_programme(), Layout.resolve(warehouse=warehouse).serving
    data = table.read_bytes()
    check_upload(data[:100], "warm.xlsx", programme, served, "保定")  # imports: not counted
    started = time.perf_counter()
    check = check_upload(data, table.name, programme, served, "保定")
    in_process = time.perf_counter() - started
    assert not check.readable, "the table was read"
    started = time.perf_counter()
    command = [str(BIN / "lingpao"), "check", str(table), "--unit", "保定"]
    done = subprocess.run(
        [*command, "--warehouse", str(warehouse)], cwd=ROOT, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    reason = done.stdout.strip().splitlines()[0] if done.stdout.strip() else done.stderr.strip()
    return in_process, (
        f"{table.stat().st_size / 2**20:.0f} MB inflating {ratio:.0f}:1; the whole `lingpao check` "
        f"command {seconds:.1f} s with its start-up, exit {done.returncode}: {reason}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=5000)
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--gap", type=float, default=4.0, help="seconds between two submissions")
    parser.add_argument("--no-write", action="store_true", help="print, do not touch docs/")
    args = parser.parse_args()
    from lingpao.citydesk.versions import TableVersions
    from lingpao.foundation.layout import Layout
    from lingpao.foundation.programme import load_programme
    from lingpao.warehouse.runqueue import RunQueue

    work = Path(tempfile.mkdtemp(prefix="lingpao-deadline-", dir=os.environ.get("BENCH_TMP")))
    print(f"preparing {args.applications} applications in {work}", flush=True)
    inbox, warehouse, units, people = prepare(work, args.applications)
    runs_before = int(RunQueue(Layout.resolve(warehouse=warehouse)).status().get("runs") or 0)
    port = 8700 + os.getpid() % 200
    base = f"http://127.0.0.1:{port}"
    env = dict(
        os.environ,
        LINGPAO_AUTH="header",
        LINGPAO_AUTH_PROXIES="127.0.0.1",
        LINGPAO_INBOX=str(inbox),
    )
    server = subprocess.Popen(
        [
            str(BIN / "lingpao"),
            "dashboard",
            "--warehouse",
            str(warehouse),
            "--port",
            str(port),
            "--address",
            "127.0.0.1",
        ],
        cwd=ROOT,
        env=env,
        stdout=(work / "dashboard.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(240):
            try:
                if urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(0.5)
        load = Load(base, people["users"], args.sessions)
        loader = threading.Thread(target=load.run, daemon=True)
        loader.start()
        load.warm.wait(300)
        time.sleep(10)  # every session has drawn every page of its role once
        quiet = len(load.times)
        print(f"{args.sessions} sessions running; the 14 units submit", flush=True)
        started = time.time()
        submitted, repeated = submit_all(base, work, inbox, people["cities"], args.gap)
        last_unit, last_at = submitted[-1]
        shown_at = shown_on_progress(
            base, "prov1@gxt.example", warehouse, last_unit, 1, last_at + 300
        )
        time.sleep(5)
        load.stop.set()
        loader.join(timeout=180)
        window = time.time() - started
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    queue = RunQueue(Layout.resolve(warehouse=warehouse))
    status = queue.status()
    versions = TableVersions(inbox, load_programme())
    kept, active = versions.versions(), versions.active()
    bomb_seconds, bomb = refused_bomb(work, warehouse)
    times = sorted(load.times[quiet:]) or [0.0]
    p95 = times[int(0.95 * (len(times) - 1))]
    result = {
        "applications": args.applications,
        "sessions": args.sessions,
        "pages": len(times),
        "page_p50": statistics.median(times),
        "page_p95": p95,
        "page_max": times[-1],
        "errors": load.errors,
        "submissions": len(submitted),
        "clicks_repeated": repeated,
        "submitting_seconds": submitted[-1][1] - submitted[0][1],
        "last_on_progress": shown_at - last_at,
        "runs": int(status.get("runs") or 0) - runs_before,
        "versions_kept": len(kept),
        "all_active": sorted(active) == sorted(units)
        and all(v.version == 1 for v in active.values()),
        "window": window,
        "bomb_seconds": bomb_seconds,
        "bomb": bomb,
    }
    print(json.dumps(result, ensure_ascii=False, indent=1), flush=True)
    if os.environ.get("BENCH_SLOW"):
        for ended, seconds, who, name in sorted(load.log):
            if seconds > 1:
                print(f"slow {ended - started:7.1f} {seconds:5.2f} {who} {name or 'progress'}")
        for unit, at in submitted:
            print(f"submitted {at - started:7.1f} {unit}")
    lost = "none" if result["all_active"] and result["versions_kept"] == 14 else "SOME"
    text = f"""Measured {time.strftime("%Y-%m-%d")} on {machine()} (`bench/deadline.py`).

| what | measured | target |
|---|---|---|
| applications in the warehouse | {args.applications:,} | 5,000 |
| concurrent dashboard sessions (websocket, signed in through the gateway header) | {args.sessions} | ≥ 30 |
| submissions (14 units, headless Chromium: upload, check, 确认上报) | {len(submitted)} in {result["submitting_seconds"]:.0f} s | 14 |
| clicks on 确认上报 that showed no answer within 30 s and kept nothing, so were repeated | {repeated} | 0 |
| page p50 / p95 / max under that load ({len(times)} pages) | {result["page_p50"]:.2f} / {p95:.2f} / {result["page_max"]:.2f} s | p95 ≤ 1.5 s |
| last submission → shown on 总览 | {result["last_on_progress"]:.1f} s | ≤ 30 s |
| runs started for the 14 submissions | {result["runs"]} | one following run for what arrives during a run |
| versions kept, each unit's table | {result["versions_kept"]}, {"every unit" if result["all_active"] else "NOT every unit"} | 14, nothing lost |
| lost | {lost} | none |
| sessions that broke | {len(load.errors)} | 0 |
| a table inflating to ~300 MB refused (the desk's check, in the server) | {bomb_seconds:.2f} s ({bomb}) | well under 1 s |"""
    if not args.no_write:
        write_section("DEADLINE", text)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
