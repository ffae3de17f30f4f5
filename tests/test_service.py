"""A server that starts and stops like a service (issue 14): SIGTERM to `lingpao dashboard` stops the
web server and the run it started within 5 s, the port is free again at once; every unit of
docs/deployment.md starts as written and stops on SIGTERM."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser import (
    LINGPAO,
    ROOT,
    free_port,
    needs_chromium,
    open_page,
    start_dashboard,
    wait_healthy,
)
from tests.helpers import copy_warehouse

DEPLOYMENT = ROOT / "docs" / "deployment.md"


def processes_with(text: str) -> list[tuple[int, str]]:
    """Live processes whose environment or command line holds `text`."""
    needle = text.encode("utf-8")
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            environment = Path(entry.path, "environ").read_bytes()
            command = Path(entry.path, "cmdline").read_bytes()
        except OSError:
            continue
        if needle in environment or needle in command:
            found.append((int(entry.name), command.replace(b"\0", b" ").decode("utf-8", "replace")))
    return found


def gone_within(seconds: float, check) -> float | None:
    """Seconds until `check()` is empty, or None if it is not within `seconds`."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if not check():
            return time.monotonic() - started
        time.sleep(0.05)
    return None


@needs_chromium()
def test_sigterm_stops_the_dashboard_and_the_run_it_started(sample_run, tmp_path, chromium):
    warehouse = copy_warehouse(sample_run, tmp_path)
    shutil.copytree(sample_run["inbox"], tmp_path / "inbox")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"LINGPAO_INBOX": str(tmp_path / "inbox")}
    dashboard = start_dashboard(warehouse, port, **env)
    wait_healthy(base, dashboard, 120)
    page = open_page(chromium.new_context(), f"{base}/queue")
    page.get_by_role("button", name="立即重新检查").click()
    runner = None
    for _ in range(200):  # the page asked for a run: the dashboard started a runner
        runner = [p for p in processes_with(str(warehouse)) if "--queued" in p[1]]
        if runner:
            break
        time.sleep(0.05)
    assert runner, "the page started no run"
    page.close()
    dashboard.send_signal(signal.SIGTERM)  # to the command only, as `kill PID` or a service manager
    took = gone_within(5, lambda: dashboard.poll() is None or processes_with(str(warehouse)))
    assert took is not None, f"left running after 5 s: {processes_with(str(warehouse))}"
    assert dashboard.returncode == 0
    again = start_dashboard(warehouse, port, **env)  # the same port at once
    try:
        wait_healthy(base, again, 120)
    finally:
        again.send_signal(signal.SIGINT)  # Ctrl-C in a terminal stops it the same way
        assert gone_within(5, lambda: again.poll() is None) is not None
    assert not processes_with(str(warehouse))


def units() -> dict[str, dict[str, list[str]]]:
    """The systemd units of docs/deployment.md: name -> {key: [values]} of its [Service] section."""
    text = DEPLOYMENT.read_text(encoding="utf-8")
    found = {}
    for block in re.findall(r"```ini\n(.*?)```", text, flags=re.S):
        name = re.match(r"# (\S+\.service)", block)
        if not name:
            continue
        section, service = None, {}
        for line in block.splitlines():
            if line.startswith("["):
                section = line.strip("[]")
            elif section == "Service" and "=" in line:
                key, value = line.split("=", 1)
                service.setdefault(key, []).append(value)
        found[name.group(1)] = service
    return found


def environment_file() -> dict[str, str]:
    text = DEPLOYMENT.read_text(encoding="utf-8")
    block = re.search(r"`/etc/lingpao/lingpao.env`:\n\n```bash\n(.*?)```", text, flags=re.S)
    return dict(line.split("=", 1) for line in block.group(1).splitlines() if "=" in line)


def test_the_deployment_page_has_the_three_units():
    found = units()
    assert set(found) == {
        "lingpao-dashboard.service",
        "lingpao-recheck.service",
        "lingpao-dagster-ui.service",
    }
    for name, service in found.items():
        assert service["KillMode"] == ["control-group"], name
        assert service["User"] == ["lingpao"] and service["EnvironmentFile"], name
    assert (
        "DAGSTER_HOME=/var/lib/lingpao/dagster" in found["lingpao-recheck.service"]["Environment"]
    )
    settings = environment_file()
    assert {"LINGPAO_INBOX", "LINGPAO_WAREHOUSE", "LINGPAO_AUTH"} <= set(settings)


@pytest.mark.parametrize(
    "unit", ["lingpao-dashboard.service", "lingpao-recheck.service", "lingpao-dagster-ui.service"]
)
def test_each_unit_starts_as_written_and_stops_on_sigterm(unit, sample_run, tmp_path):
    """The unit's ExecStart with its environment (paths moved under a temporary folder, ports free),
    started in a group of its own as systemd's cgroup; SIGTERM to the group (KillMode=control-group)
    stops all of it within the unit's TimeoutStopSec."""
    service = units()[unit]
    data, dagster_home = tmp_path / "srv", tmp_path / "dagster"
    data.mkdir()
    dagster_home.mkdir()
    shutil.copy(ROOT / "docs" / "dagster.yaml", dagster_home / "dagster.yaml")
    warehouse = copy_warehouse(sample_run, data)
    shutil.copytree(sample_run["inbox"], data / "inbox")
    port = free_port()
    moved = {
        "/opt/lingpao/.venv/bin/lingpao": LINGPAO,
        "/opt/lingpao/.venv/bin/": f"{Path(LINGPAO).parent}/",
        "/srv/lingpao/warehouse.duckdb": str(warehouse),
        "/srv/lingpao": str(data),
        "/var/lib/lingpao/dagster": str(dagster_home),
        "10.1.2.20": "127.0.0.1",
        "8501": str(port),
        "-p 3000": f"-p {port}",
    }

    def place(text: str) -> str:
        for old, new in moved.items():
            text = text.replace(old, new)
        return text

    env = dict(os.environ, **{k: place(v) for k, v in environment_file().items()})
    env.update(dict(place(e).split("=", 1) for e in service.get("Environment", [])))
    env["LINGPAO_SENSOR_SECONDS"] = "5"
    command = place(service["ExecStart"][0]).split()
    assert service["WorkingDirectory"] == ["/opt/lingpao"]
    log = (tmp_path / "unit.log").open("wb")
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        ready = {
            "lingpao-dashboard.service": lambda: _http(f"http://127.0.0.1:{port}/_stcore/health"),
            "lingpao-dagster-ui.service": lambda: _http(f"http://127.0.0.1:{port}/server_info"),
            "lingpao-recheck.service": lambda: (
                b"SensorDaemon" in (tmp_path / "unit.log").read_bytes()
            ),
        }[unit]
        deadline = time.monotonic() + 120
        while not ready():
            assert process.poll() is None, (tmp_path / "unit.log").read_text(errors="replace")[
                -3000:
            ]
            assert time.monotonic() < deadline, f"{unit} did not get ready"
            time.sleep(0.5)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        limit = float(service["TimeoutStopSec"][0])
        took = gone_within(limit, lambda: process.poll() is None or _group_alive(process.pid))
        if took is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        log.close()
    assert took is not None, f"{unit} was still running {limit:.0f} s after SIGTERM"


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def _http(url: str) -> bool:
    try:
        return urllib.request.urlopen(url, timeout=2).status == 200
    except OSError:
        return False
