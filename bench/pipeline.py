"""Benchmark: `lingpao run` on generated inboxes of growing size; per-step seconds and peak memory.

    .venv/bin/python bench/pipeline.py [SIZE ...]      (default 1000 5000 20000)

Writes the table into docs/benchmarks.md between the BENCH markers.
"""

from __future__ import annotations

import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
CHILD = """
import json, sys, time, resource
import dagster as dg
from pipelines.definitions import ALL_ASSETS
from pipelines.resources import make_resources
inbox, warehouse = sys.argv[1], sys.argv[2]
start = time.perf_counter()
result = dg.materialize(ALL_ASSETS, resources=make_resources(inbox, warehouse), instance=dg.DagsterInstance.ephemeral(),
                        run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}})
total = time.perf_counter() - start
steps = {}
for event in result.all_events:
    if event.event_type_value == "STEP_SUCCESS":
        steps[event.step_key] = event.event_specific_data.duration_ms / 1000
print(json.dumps({"total": total, "steps": steps, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(size: int) -> dict:
    import json

    with tempfile.TemporaryDirectory() as tmp:
        inbox = Path(tmp) / "inbox"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pipelines.cli",
                "sample",
                "--out",
                str(inbox),
                "--applications",
                str(size),
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        files = sum(1 for p in inbox.rglob("*") if p.is_file())
        megabytes = sum(p.stat().st_size for p in inbox.rglob("*") if p.is_file()) / 1e6
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(inbox), str(Path(tmp) / "w.duckdb")],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
        result.update(size=size, files=files, megabytes=megabytes)
        return result


def table(results: list[dict]) -> str:
    steps = sorted(
        {s for r in results for s in r["steps"]},
        key=lambda s: -max(r["steps"].get(s, 0) for r in results),
    )
    lines = [
        "| applications | inbox (files, MB) | total s | peak RSS MB | " + " | ".join(steps) + " |",
        "|---" * (4 + len(steps)) + "|",
    ]
    for r in results:
        cells = [f"{r['steps'].get(s, 0):.2f}" for s in steps]
        lines.append(
            f"| {r['size']:,} | {r['files']}, {r['megabytes']:.1f} | {r['total']:.1f} | {r['peak_mb']:.0f} | "
            + " | ".join(cells)
            + " |"
        )
    return "\n".join(lines)


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 5000, 20000]
    results = []
    for size in sizes:
        started = time.perf_counter()
        results.append(measure(size))
        print(
            f"{size}: {results[-1]['total']:.1f}s (with generation {time.perf_counter() - started:.1f}s)",
            flush=True,
        )
    machine = (
        f"{platform.machine()}, {platform.python_version()}, {subprocess.getoutput('nproc')} cores"
    )
    block = (
        f"<!-- BENCH -->\nMeasured {time.strftime('%Y-%m-%d')} on {machine} (one sample inbox per size: three "
        f"platform snapshots, 12 city tables, pool list). Seconds per Dagster step.\n\n{table(results)}\n<!-- /BENCH -->"
    )
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    if "<!-- BENCH -->" in text:
        head, rest = text.split("<!-- BENCH -->", 1)
        text = head + block + rest.split("<!-- /BENCH -->", 1)[1]
    else:
        text += "\n" + block + "\n"
    DOC.write_text(text, encoding="utf-8")
    print(table(results))


if __name__ == "__main__":
    main()
