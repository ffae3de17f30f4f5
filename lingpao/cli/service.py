"""A long-running command that stops like a service: its server and everything that server started
run in one process group of their own, and SIGTERM, SIGINT or SIGHUP stops the whole group.

Without this, a signal to `lingpao dashboard` ends only the wrapper and leaves the web server (and
any run it started) holding the port. The group is asked to stop with SIGTERM; what is still there
after `grace` seconds is killed, so the service is gone within `grace` + a moment.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - a member we may not signal is still a member
        return True
    return True


def _signal_group(group: int, signum: int) -> None:
    try:
        os.killpg(group, signum)
    except ProcessLookupError:
        pass


def stop_group(group: int, grace: float) -> None:
    """SIGTERM to every process of the group, SIGKILL to what is left after `grace` seconds."""
    _signal_group(group, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while _group_alive(group) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _group_alive(group):
        _signal_group(group, signal.SIGKILL)


def run_service(
    command: Sequence[str], env: Mapping[str, str], cwd: Path, grace: float = 4.0
) -> int:
    """Run `command` as the leader of a new process group until it exits or a stop signal arrives;
    then stop the whole group. Exit code: the server's own, or 0 when stopped on request."""
    process = subprocess.Popen(list(command), env=dict(env), cwd=cwd, start_new_session=True)
    asked: list[int] = []

    def on_signal(signum, _frame) -> None:
        asked.append(signum)

    previous = {s: signal.signal(s, on_signal) for s in STOP_SIGNALS}
    try:
        while process.poll() is None and not asked:
            try:
                process.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                continue
    finally:
        stop_group(process.pid, grace)  # the server, or what it left behind when it exited
        process.wait()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0 if asked else process.returncode
