"""Benchmark: a run on a good inbox alone, then with the broken-file corpus beside it (zip bombs of
490 MB and 160 MB inflated, a 200 MB Word bomb, encrypted, truncated, disguised files...): seconds
and peak memory. Also: validating a 20,000-row corrections workbook.

    .venv/bin/python bench/broken_inbox.py [APPLICATIONS]     (default 5000)

Writes its table into docs/benchmarks.md between the BROKEN markers.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.report import machine, write_section  # noqa: E402

CHILD = """
import json, resource, sys, time
from lingpao.foundation.layout import Layout
from lingpao.orchestration.run import run_pipeline
start = time.perf_counter()
summary = run_pipeline(Layout.resolve(sys.argv[1], sys.argv[2]))
print(json.dumps({"seconds": time.perf_counter() - start, "success": summary.success,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "not_read": len(summary.unreadable)}))
"""
BATCH = """
import json, sys, time, openpyxl
from pathlib import Path
from lingpao.corrections.batch import HEADERS, read_batch
from lingpao.warehouse.connection import connect_read_only
from lingpao.foundation.programme import load_programme
conn = connect_read_only(Path(sys.argv[1]))
ids = [r[0] for r in conn.execute("SELECT issue_id FROM dq_issues WHERE status = 'open'").fetchall()]
book = openpyxl.Workbook(write_only=True); sheet = book.create_sheet()
sheet.append(["更正表"]); sheet.append(HEADERS)
for i in range(20000):
    sheet.append([ids[i % len(ids)]] + [""] * 10 + ["忽略", "", "批量核实"])
sheet.append(["不存在"] + [""] * 10 + ["忽略", "", "x"])
book.save(sys.argv[2])
start = time.perf_counter()
corrections, decisions, errors = read_batch(Path(sys.argv[2]), conn, load_programme())
print(json.dumps({"seconds": time.perf_counter() - start, "errors": errors}))
"""


def child(code: str, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    from lingpao.sample.broken import write_broken_corpus
    from lingpao.sample.generator import write_sample

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, broken in (("good inbox", False), ("good inbox + broken corpus", True)):
            inbox = Path(tmp) / label.replace(" ", "_") / "inbox"
            write_sample(inbox, seed=11, applications=size)
            entries = len(write_broken_corpus(inbox)) if broken else 0
            result = child(CHILD, str(inbox), str(inbox.parent / "w.duckdb"))
            assert result["success"], result
            rows.append((label, entries, result))
            print(label, result, flush=True)
        served = Path(tmp) / "good_inbox" / "w.serving.duckdb"
        batch = child(BATCH, str(served), str(Path(tmp) / "batch.xlsx"))
    lines = [
        "| inbox | broken entries | run s | peak RSS MB | entries not read |",
        "|---|---|---|---|---|",
        *[
            f"| {label} | {entries} | {r['seconds']:.1f} | {r['peak_mb']:.0f} | {r['not_read']} |"
            for label, entries, r in rows
        ],
    ]
    text = (
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()}, {size:,} applications.\n\n"
        + "\n".join(lines)
        + f"\n\nValidating a 20,000-row corrections workbook (one bad row, all or nothing): "
        f"{batch['seconds']:.1f} s; the bad row is named: {batch['errors'][0]}"
    )
    write_section("BROKEN", text)
    print(text)


if __name__ == "__main__":
    main()
