"""The benchmark, in one command: inboxes of 5k, 100k and 1M applications, and for each

- the raw-read floor: python-calamine on every sheet, CSV decoded, Word tables opened;
- a naive reading: pandas + openpyxl (xlrd-free: calamine for .xls) + Great Expectations defaults;
- `lingpao run --full`, then a re-run after one changed city table, then a re-check after one
  correction (each: seconds, and peak memory of the process);
- each page's queries on the serving copy (p50 / p95 of 20 rounds);
and once: the dashboard's cold start (imports and the first page).

    .venv/bin/python bench/run.py [SIZE ...]        (default 5000 100000 1000000)

Results go into docs/benchmarks.md between the SCALE markers, with the machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.report import machine, write_section  # noqa: E402
from lingpao.access.signin import BELIEVE_NO_FORWARDING  # noqa: E402

# The process's own peak resident memory (VmHWM; ru_maxrss would carry the parent's over exec).
PEAK = "peak = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')) / 1024\n"
GENERATE = """
import json, sys
from pathlib import Path
from lingpao.sample.generator import write_sample
print(json.dumps(write_sample(Path(sys.argv[1]), seed=11, applications=int(sys.argv[2]), with_key=False)))
"""

FLOOR = (
    """
import json, sys, time
from pathlib import Path
import python_calamine, docx
start = time.perf_counter()
cells = 0
for path in sorted(Path(sys.argv[1]).rglob("*")):
    if not path.is_file():
        continue
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xls"):
            book = python_calamine.load_workbook(str(path))
            for name in book.sheet_names:
                cells += sum(len(r) for r in book.get_sheet_by_name(name).to_python())
        elif suffix == ".csv":
            data = path.read_bytes()
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = data.decode("gb18030")
            cells += text.count("\\n")
        elif suffix == ".docx":
            cells += sum(len(t.rows) for t in docx.Document(str(path)).tables)
    except Exception:
        pass
"""
    + PEAK
    + 'print(json.dumps({"seconds": time.perf_counter() - start, "peak_mb": peak}))\n'
)

NAIVE = (
    """
import json, sys, time, logging
from pathlib import Path
import pandas as pd
start = time.perf_counter()
frames = []
for path in sorted((Path(sys.argv[1]) / "platform").iterdir()):
    try:
        if path.suffix == ".xlsx":
            frames.append(pd.read_excel(path, sheet_name=None, dtype=str, engine="openpyxl"))
        elif path.suffix == ".xls":
            frames.append(pd.read_excel(path, sheet_name=None, dtype=str, engine="calamine"))
        elif path.suffix == ".csv":
            frames.append({"csv": pd.read_csv(path, dtype=str, encoding="gb18030", skiprows=1)})
    except Exception:
        pass
for path in sorted((Path(sys.argv[1]) / "cities").iterdir()):
    try:
        if path.suffix == ".xlsx":
            frames.append(pd.read_excel(path, sheet_name=None, dtype=str, engine="openpyxl"))
    except Exception:
        pass
read = time.perf_counter() - start
table = next(f["csv"] for f in frames if "csv" in f)
import great_expectations as gx
logging.getLogger("great_expectations").setLevel(logging.ERROR)
context = gx.get_context(mode="ephemeral")
batch = context.data_sources.add_pandas("p").add_dataframe_asset("a").add_batch_definition_whole_dataframe("b")
suite = context.suites.add(gx.ExpectationSuite(name="s"))
column = [c for c in table.columns if "信用代码" in str(c)][0]
suite.add_expectation(gx.expectations.ExpectColumnValuesToMatchRegex(column=column, regex="^[0-9A-HJ-NP-RTUW-Y]{18}$"))
suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column=column))
batch.get_batch(batch_parameters={"dataframe": table}).validate(suite)
"""
    + PEAK
    + 'print(json.dumps({"seconds": time.perf_counter() - start, "read_seconds": read, "peak_mb": peak}))\n'
)

RUN = (
    """
import json, sys, time
start = time.perf_counter()
from lingpao.foundation.layout import Layout
from lingpao.orchestration.run import run_pipeline
imported = time.perf_counter()
summary = run_pipeline(Layout.resolve(sys.argv[1], sys.argv[2]), full=sys.argv[3] == "full")
"""
    + PEAK
    + """print(json.dumps({"seconds": time.perf_counter() - imported, "wall": time.perf_counter() - start,
                  "published": summary.seconds.get("published"), "success": summary.success,
                  "peak_mb": peak, "cache": summary.cache, "steps": summary.steps}))
"""
)

PAGES = """
import json, statistics, sys, time
import duckdb
from lingpao.access.viewer import Viewer
from lingpao.foundation.programme import load_programme
from lingpao.queries import CityDesk, Clusters, Filters, Progress, Quality, Shortlist
served_file = sys.argv[1]
conn = duckdb.connect(served_file, read_only=True)
run = lambda sql, params: conn.sql(sql, params=list(params) or None).to_arrow_table().to_pandas()
programme = load_programme()
province = Viewer(id="p", role="province")
city = Viewer(id="c", role="city", unit=programme.units[0])
p, c, q, s, d = (page(run, programme, province) for page in (Progress, Clusters, Quality, Shortlist, CityDesk))
pc = Progress(run, programme, city)
f = Filters()
pages = {
    "总览": lambda: (p.counts_by(["application_type"], f), p.drafts(f), p.figures("kpis", f),
                   p.figures("funnel", f), p.daily_submissions(f),
                   p.counts_by(["city", "application_type", "stage"], f),
                   d.city_table_arrivals(), d.unreadable_city_files(),
                   [p.longest_waiting(f, stages) for _, stages, _ in p.figures("waiting", f)],
                   [p.application_counts(dim, f) for dim in ("city", "cluster", "direction")]),
    "数据质量": lambda: (q.issues(f), q.rule_failures()),
    "数据治理": lambda: (q.issues(f, status=None),),
    "专家评审": lambda: (s.shortlist_counts(f), s.exclusions_count(f), s.shortlist_counts(f, None),
                     [s.shortlist(f, limit=500, direction=x) for x in programme.directions],
                     s.exclusions(f, limit=500), s.exclusions_count(f, None)),
    "集群": lambda: (c.cluster_summary(f), c.idle_clusters(f), c.counts_by(["cluster", "direction"], f),
                   c.counts_by(["city", "direction"], f), c.counts_by(["cluster", "application_type"], f),
                   c.recommended_companies(f, limit=500), c.recommended_count(f)),
    "上报汇总表": lambda: (d.city_table_arrivals(), d.table_versions()),
    "总览（市级用户）": lambda: (pc.figures("kpis", f), pc.counts_by(["city", "application_type", "stage"], f)),
}
result = {}
for name, load in pages.items():
    times = []
    for _ in range(20):
        start = time.perf_counter(); load(); times.append((time.perf_counter() - start) * 1000)
    times.sort()
    result[name] = {"p50": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1]}
print(json.dumps(result))
"""

SCREENS = """
import json, sys, time
from streamlit.testing.v1 import AppTest
result = {}
for page in ("progress", "quality", "queue", "shortlist", "clusters", "citydesk", "review",
             "rounds", "company"):
    at = AppTest.from_file("lingpao/dashboard/app.py", default_timeout=600)
    at.run()
    if at.exception or not at.metric:  # refused, or the sign-in page: not a measurement
        raise SystemExit(f"the app did not draw 总览: {[e.value for e in at.exception][:1]}")
    times = []
    for _ in range(3):
        begun = time.perf_counter()
        try:
            (at.run() if page == "progress" else at.switch_page(f"views/{page}.py").run())
        except ValueError:  # not a page of this build
            break
        times.append(time.perf_counter() - begun)
    if times:
        result[page] = {"first": times[0], "again": min(times[1:])}
print(json.dumps(result))
"""

COLD = """
import json, time
start = time.perf_counter()
import lingpao.dashboard.data, lingpao.dashboard.access, lingpao.dashboard.common  # noqa: F401
imported = time.perf_counter() - start
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("lingpao/dashboard/app.py", default_timeout=300)
begun = time.perf_counter(); at.run()
print(json.dumps({"imports": imported, "first_page": time.perf_counter() - begun,
                  "dagster": "dagster" in __import__("sys").modules,
                  "great_expectations": "great_expectations" in __import__("sys").modules}))
"""


SCREEN_LABELS = {
    "progress": "总览",
    "quality": "数据质量",
    "queue": "数据治理",
    "shortlist": "专家评审",
    "clusters": "集群",
    "citydesk": "上报汇总表",
    "review": "评审与认定",
    "rounds": "历年对比",
    "company": "企业档案",
}
# The app as `lingpao dashboard` serves it on this machine: no forwarded addresses believed, signed
# in as province staff (no users file: this machine only), so AppTest draws the pages, not a refusal or the sign-in form.
APP_ENV = {**BELIEVE_NO_FORWARDING, "LINGPAO_AUTH": "password"}  # no users file: this machine


def child(code: str, *args: str, env: dict | None = None, timeout: int = 7200) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1][:200] if done.stderr else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def change_one_city_table(inbox: Path) -> str:
    """Rewrite one xlsx city table with one cell changed (a company renamed), as a resend would."""
    import openpyxl

    path = next(p for p in sorted((inbox / "cities").glob("*.xlsx")) if p.stat().st_size > 1000)
    book = openpyxl.load_workbook(path)
    sheet = next(s for s in book.worksheets if s.max_row > 5)
    for row in sheet.iter_rows(min_row=1, max_row=sheet.max_row):
        if row[1].value and "公司" in str(row[1].value):
            row[1].value = f"{row[1].value}（更名）"
            break
    book.save(path)
    return path.name


def record_one_correction(warehouse: Path) -> None:
    from lingpao.access.viewer import operator
    from lingpao.corrections.store import Correction, CorrectionStore
    from lingpao.foundation.layout import Layout
    from lingpao.warehouse.connection import connect_read_only

    layout = Layout.resolve(warehouse=warehouse)
    with connect_read_only(layout.serving) as conn:
        key, raw = conn.execute(
            "SELECT record_key, direction_raw FROM applications WHERE direction IS NULL LIMIT 1"
        ).fetchall()[0]
    CorrectionStore(layout.corrections).record(
        operator("基准测试"),
        [Correction("platform", key, "direction", raw, "科技创新发展", "基准测试")],
    )


def measure(size: int, base: Path) -> dict:
    inbox, warehouse = base / "inbox", base / "w.duckdb"
    started = time.perf_counter()
    child(GENERATE, str(inbox), str(size))
    result = {"size": size, "generated": time.perf_counter() - started}
    files = [p for p in inbox.rglob("*") if p.is_file()]
    result["files"], result["megabytes"] = len(files), sum(p.stat().st_size for p in files) / 1e6
    print(f"[{size}] generated in {result['generated']:.0f}s", flush=True)
    result["floor"] = child(FLOOR, str(inbox))
    print(f"[{size}] floor {result['floor']}", flush=True)
    result["naive"] = child(NAIVE, str(inbox), timeout=3600)
    print(f"[{size}] naive {result['naive']}", flush=True)
    result["full"] = child(RUN, str(inbox), str(warehouse), "full")
    print(f"[{size}] full {result['full']}", flush=True)
    result["changed_file"] = change_one_city_table(inbox)
    result["rerun"] = child(RUN, str(inbox), str(warehouse), "cached")
    print(f"[{size}] rerun {result['rerun']}", flush=True)
    record_one_correction(warehouse)
    result["recheck"] = child(RUN, str(inbox), str(warehouse), "cached")
    print(f"[{size}] recheck {result['recheck']}", flush=True)
    result["pages"] = child(PAGES, str(warehouse.with_name("w.serving.duckdb")))
    print(f"[{size}] pages {result['pages']}", flush=True)
    result["screens"] = child(SCREENS, env={"LINGPAO_WAREHOUSE": str(warehouse), **APP_ENV})
    print(f"[{size}] screens {result['screens']}", flush=True)
    return result


def seconds(entry: dict, key: str = "seconds") -> str:
    return f"{entry[key]:.1f}" if key in entry else entry.get("error", "—")


def both(entry: dict) -> str:
    """Seconds until the serving copy was replaced, and with the Great Expectations report."""
    if entry.get("published") is None:
        return seconds(entry)
    return f"{entry['published']:.1f} / {entry['seconds']:.1f}"


def tables(results: list[dict], cold: dict) -> str:
    lines = [
        "| applications | inbox (files, MB) | floor s | naive s (pandas+openpyxl+GX) | `lingpao run --full`: published / with report s | × floor | peak MB | re-run, one city table changed: published / with report s | re-check, one correction: published / with report s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        full, floor = r["full"], r["floor"]
        ratio = (
            f"{full['published'] / floor['seconds']:.1f} / {full['seconds'] / floor['seconds']:.1f}"
            if full.get("published") and "seconds" in floor
            else "—"
        )
        lines.append(
            f"| {r['size']:,} | {r['files']}, {r['megabytes']:.0f} | {seconds(floor)} | "
            f"{seconds(r['naive'])} | {both(full)} | {ratio} | {full.get('peak_mb', 0):.0f} | "
            f"{both(r['rerun'])} ({r['rerun'].get('peak_mb', 0):.0f} MB) | "
            f"{both(r['recheck'])} ({r['recheck'].get('peak_mb', 0):.0f} MB) |"
        )
    pages = sorted({p for r in results for p in r.get("pages", {}) if p != "error"})
    lines += [
        "",
        "Page queries on the serving copy, p50 / p95 in ms (20 rounds of all a page's queries):",
        "",
        "| applications | " + " | ".join(pages) + " |",
        "|---" * (len(pages) + 1) + "|",
    ]
    for r in results:
        cells = [
            f"{r['pages'][p]['p50']:.0f} / {r['pages'][p]['p95']:.0f}"
            if p in r.get("pages", {})
            else "—"
            for p in pages
        ]
        lines.append(f"| {r['size']:,} | " + " | ".join(cells) + " |")
    screens = [p for p in SCREEN_LABELS if any(p in r.get("screens", {}) for r in results)]
    lines += [
        "",
        "Each page in the app (Streamlit's AppTest, province staff): seconds until it is drawn, "
        "first view / again:",
        "",
        "| applications | " + " | ".join(SCREEN_LABELS[p] for p in screens) + " |",
        "|---" * (len(screens) + 1) + "|",
    ]
    for r in results:
        drawn = r.get("screens", {})
        cells = [
            f"{drawn[p]['first']:.2f} / {drawn[p]['again']:.2f}" if p in drawn else "—"
            for p in screens
        ]
        lines.append(f"| {r['size']:,} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Dashboard cold start: imports {cold.get('imports', 0):.1f} s, first page "
        f"{cold.get('first_page', 0):.1f} s; Dagster loaded: {cold.get('dagster')}, "
        f"Great Expectations loaded: {cold.get('great_expectations')}.",
    ]
    return "\n".join(lines)


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [5000, 100_000, 1_000_000]
    results = []
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        for size in sizes:
            base = Path(tmp) / str(size)
            results.append(measure(size, base))
            if size != sizes[0]:
                shutil.rmtree(base, ignore_errors=True)
        first = Path(tmp) / str(sizes[0]) / "w.duckdb"
        cold = child(COLD, env={"LINGPAO_WAREHOUSE": str(first), **APP_ENV})
    (ROOT / "bench" / "last_run.json").write_text(json.dumps(results, indent=1, default=str))
    text = (
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()} (`bench/run.py`; inboxes of the "
        "contract's shape: platform snapshots, 14 city tables, registry; seconds exclude the "
        "interpreter's start-up and imports (about 2 s), include Dagster's; *published* is when the "
        "serving copy the pages read was replaced, *with report* adds the Great Expectations Data "
        "Docs, built after it; peak is the process's maximum resident memory).\n\n"
        + tables(results, cold)
    )
    write_section("SCALE", text)
    print(text)


if __name__ == "__main__":
    main()
