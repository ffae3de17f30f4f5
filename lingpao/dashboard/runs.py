"""Runs started from a page: the request goes to the warehouse's run queue, and a runner
(`lingpao run --queued`) is started in the background when none is at work. The runner belongs to
the dashboard's process group, so stopping the dashboard stops it too; its output goes to
`<warehouse>.runs.log`."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from lingpao.foundation.layout import Layout
from lingpao.warehouse.runqueue import RunQueue

ROOT = Path(__file__).resolve().parents[2]


def request_run(layout: Layout, who: str, why: str) -> int:
    """Ask for a re-check; start a runner unless one is at work. Returns the request's ticket."""
    queue = RunQueue(layout)
    ticket = queue.request(who, why)
    if not queue.runner_active():
        log = layout.runs_log.open("ab")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "lingpao.cli",
                "run",
                "--queued",
                "--inbox",
                str(layout.inbox),
                "--warehouse",
                str(layout.warehouse),
            ],
            cwd=ROOT,
            env=dict(os.environ, **layout.environment()),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        threading.Thread(target=process.wait, daemon=True).start()  # no zombie left behind
    return ticket
