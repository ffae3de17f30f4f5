"""Runs asked for on one warehouse, taken up together: one run after another, never one run each.

On deadline day 14 bureaus submit within minutes and stewards correct in a hurry; each wants its
change checked. Every such wish is a *request* (a line in `<warehouse>.requests`, with who, why and
a ticket). A *runner* (`lingpao run --queued`, or the CLI's own submit) holds `<warehouse>.runner`
while it works: it takes every request waiting, runs the pipeline once for all of them, and goes on
while requests keep arriving. A request made while a run is going is taken up by the next run, so
14 submissions cost two or three runs, not 14.

No request is stranded: a runner re-reads the requests after it lets go of its lock, and one who
asks for a run starts a runner only when none holds the lock. `<warehouse>.run-status.json` says
what the queue is doing (queued, running and at which step, done, failed and why), when, how many
runs were made, and up to which ticket the last finished run covered, so a page or a command can
watch its own request through.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

from lingpao.foundation.layout import Layout


@dataclass(frozen=True)
class Request:
    """One wish for a run: its ticket (a nanosecond time, increasing), who asked and why."""

    ticket: int
    who: str
    why: str


class RunQueue:
    """The requests, the runner's lock and the status of one warehouse's runs."""

    def __init__(self, layout: Layout) -> None:
        self.requests = layout.run_requests
        self.guard = layout.run_requests.with_name(layout.run_requests.name + ".lock")
        self.runner_lock = layout.runner_lock
        self.status_file = layout.run_status

    # -- requests ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _guarded(self) -> Iterator[None]:
        self.guard.parent.mkdir(parents=True, exist_ok=True)
        with self.guard.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def request(self, who: str, why: str) -> int:
        """Ask for a run; returns the request's ticket (see `covered`)."""
        with self._guarded():
            ticket = max(time.time_ns(), self._last_ticket() + 1)
            line = json.dumps({"ticket": ticket, "who": who, "why": why}, ensure_ascii=False)
            descriptor = os.open(self.requests, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(descriptor, (line + "\n").encode("utf-8"))
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        return ticket

    def _read(self) -> list[Request]:
        if not self.requests.exists():
            return []
        found = []
        for line in self.requests.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                raw = json.loads(line)
                found.append(Request(int(raw["ticket"]), str(raw["who"]), str(raw["why"])))
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short: the request it belonged to is covered by any run
        return found

    def _last_ticket(self) -> int:
        tickets = [r.ticket for r in self._read()]
        return max([*tickets, int(self.status().get("covered") or 0)])

    def pending(self) -> list[Request]:
        """The requests no run has taken up yet."""
        with self._guarded():
            return self._read()

    def take(self) -> list[Request]:
        """Every request waiting, removed from the queue (for the run about to start)."""
        with self._guarded():
            taken = self._read()
            if self.requests.exists():
                self.requests.unlink()
            return taken

    # -- the runner ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def runner(self) -> Iterator[bool]:
        """Hold the runner's lock if no one does: True while held, False when another runner is
        at work (it takes up whatever is waiting)."""
        self.runner_lock.parent.mkdir(parents=True, exist_ok=True)
        with self.runner_lock.open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def runner_active(self) -> bool:
        """True while some process holds the runner's lock."""
        with self.runner() as held:
            return not held

    # -- status ------------------------------------------------------------------------------
    def status(self) -> dict:
        """What the queue is doing: `state` (idle, queued, running, done, failed), `step` (the step
        running), `started_at`/`finished_at` (epoch seconds), `runs` (how many so far),
        `covered` (the last ticket a finished run took up), `failure`, `summary` (its lines)."""
        try:
            return json.loads(self.status_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"state": "idle", "runs": 0, "covered": 0}

    def _update(self, **fields) -> dict:
        """Only the runner (who holds its lock) writes the status: no two writers."""
        status = {**self.status(), **fields}
        temporary = self.status_file.with_name(f".{self.status_file.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(status, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, self.status_file)
        return status

    def started(self, taken: list[Request]) -> None:
        self._update(
            state="running",
            step="",
            started_at=time.time(),
            finished_at=None,
            requests=len(taken),
            asked_by=sorted({r.who for r in taken}),
            runs=int(self.status().get("runs") or 0) + 1,
        )

    def step(self, name: str, detail: str = "") -> None:
        """The step the running run is at, and what it is reading (for a page watching it)."""
        self._update(step=name, detail=detail)

    def finished(
        self, taken: list[Request], success: bool, failure: str | None, lines: list[str]
    ) -> None:
        covered = max([r.ticket for r in taken], default=0)
        self._update(
            state="done" if success else "failed",
            step="",
            finished_at=time.time(),
            covered=max(covered, int(self.status().get("covered") or 0)),
            success=success,
            failure=failure,
            summary=lines,
        )

    def state(self) -> str:
        """`queued` while requests wait and no run is going, else the status's state."""
        status = self.status()
        if status.get("state") == "running" and not self.runner_active():
            return "failed"  # the runner died mid-run (killed, or the machine stopped)
        if self.pending() and status.get("state") != "running":
            return "queued"
        return status.get("state") or "idle"

    def covered(self, ticket: int) -> bool:
        """True once a finished run took up the request with this ticket (`covered` moves on only
        when a run finishes)."""
        return int(self.status().get("covered") or 0) >= ticket

    def wait(self, ticket: int, timeout: float | None = None, poll: float = 0.2) -> dict:
        """Wait until a run has taken up `ticket` and finished; its status (TimeoutError after
        `timeout` seconds)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.covered(ticket):
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"运行未在 {timeout:.0f} 秒内完成")
            time.sleep(poll)
        return self.status()
