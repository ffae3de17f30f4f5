"""One run at a time per warehouse: an exclusive lock file beside it (`Layout.lock`).

The lock is re-entrant within a thread (`lingpao run` holds it around the run and its summary, and
the run's warehouse resource takes it again), and exclusive between threads and processes."""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_held = threading.local()


@contextmanager
def run_lock(lock: Path) -> Iterator[None]:
    """Hold the run lock `lock`, waiting for a run in progress to finish first."""
    path = Path(lock).resolve()
    depth = getattr(_held, "depth", {})
    _held.depth = depth
    if depth.get(path):
        depth[path] += 1
        try:
            yield
        finally:
            depth[path] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        depth[path] = 1
        try:
            yield
        finally:
            depth[path] = 0
            fcntl.flock(handle, fcntl.LOCK_UN)


def is_running(lock: Path) -> bool:
    """True while some process or thread holds the run lock `lock`."""
    path = Path(lock)
    if not path.exists():
        return False
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False
