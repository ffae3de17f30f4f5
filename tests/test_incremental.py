"""The parsed-file cache: a run that reads only the changed files gives what a full run gives, table
for table and check for check; a changed, an added and a removed file are each handled, and a
correction is re-checked without reading any file."""

import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import openpyxl
import pytest

from lingpao.access.viewer import operator
from lingpao.corrections.store import Correction, CorrectionStore
from lingpao.foundation.layout import Layout
from lingpao.orchestration.definitions import ALL_ASSETS
from lingpao.orchestration.resources import make_resources
from lingpao.orchestration.run import run_config
from lingpao.sample.generator import write_sample
from tests.helpers import round_instance

# Caches of judgements that are kept however the inbox changes (never shown, never compared).
KEPT_ACROSS_RUNS = {"phone_kinds"}


def materialise(inbox: Path, warehouse: Path, full: bool = False) -> dict:
    """One real run through the definitions: the inbox asset's cache counts and every check."""
    result = dg.materialize(
        ALL_ASSETS,
        resources=make_resources(Layout.resolve(inbox, warehouse)),
        instance=round_instance(2023),
        run_config=run_config(full=full),
        partition_key="2023",
    )
    cache = {}
    for materialization in result.asset_materializations_for_node("inbox"):
        for key in ("files_read", "files_reused", "files_dropped"):
            if key in materialization.metadata:
                cache[key] = int(materialization.metadata[key].value)
    checks = {
        (e.asset_key.to_user_string(), e.check_name): (e.passed, dict(e.metadata))
        for e in result.get_asset_check_evaluations()
    }
    return {"cache": cache, "checks": checks}


def contents(warehouse: Path) -> dict[str, list[tuple]]:
    """Every table of the warehouse, its rows sorted (row order is not part of a table)."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        found = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE'"
        ).fetchall()
        return {  # a round's tables by their own name (one round here), the others by schema
            (table if schema.startswith("round_") else f"{schema}.{table}"): sorted(
                conn.execute(f'SELECT * FROM {schema}."{table}"').fetchall(), key=repr
            )
            for schema, table in found
            if table not in KEPT_ACROSS_RUNS | {"round_builds"}  # built_at: when it was built
        }


def rename_first_company(path: Path) -> None:
    """Edit one cell of a city table, as a city that resends its table would."""
    book = openpyxl.load_workbook(path)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.endswith("有限公司"):
                    cell.value = cell.value.replace("有限公司", "股份有限公司")
                    book.save(path)
                    return
    raise AssertionError(f"no company name in {path}")


@pytest.fixture(scope="module")
def changed(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("incremental")
    inbox = base / "inbox"
    write_sample(inbox, seed=5, applications=400)
    tables = sorted(p for p in (inbox / "cities").glob("*.xlsx") if p.stat().st_size > 2000)
    edited, removed, added = tables[0], tables[1], tables[2]
    aside = base / added.name
    shutil.move(added, aside)

    cached = base / "cached" / "warehouse.duckdb"
    cached.parent.mkdir()
    before = materialise(inbox, cached)

    rename_first_company(edited)
    removed.unlink()
    shutil.move(aside, added)
    after = materialise(inbox, cached)

    fresh = base / "fresh" / "warehouse.duckdb"
    fresh.parent.mkdir()
    full = materialise(inbox, fresh, full=True)
    return {"inbox": inbox, "before": before, "after": after, "full": full, "base": base}


def test_only_the_changed_and_added_files_are_read(changed):
    before, after = changed["before"]["cache"], changed["after"]["cache"]
    assert after["files_read"] == 2  # the edited table and the added one
    assert after["files_reused"] == before["files_read"] - 2  # all but the edited and removed
    assert after["files_dropped"] == 2  # the removed table and the edited table's old version
    assert changed["full"]["cache"]["files_reused"] == 0


def test_incremental_run_equals_a_full_run_table_for_table(changed):
    base = changed["base"]
    incremental = contents(base / "cached" / "warehouse.serving.duckdb")
    full = contents(base / "fresh" / "warehouse.serving.duckdb")
    assert incremental.keys() == full.keys()
    assert {"applications", "dq_issues", "shortlist", "city_submissions"} <= full.keys()
    for table in full:
        assert incremental[table] == full[table], table
    working_incremental = contents(base / "cached" / "warehouse.duckdb")
    working_full = contents(base / "fresh" / "warehouse.duckdb")
    for table in ("raw_city", "raw_platform", "file_cache"):
        assert working_incremental[table] == working_full[table], table
    reports = [
        json.loads((base / run / "gx_docs" / "2023" / "reports.json").read_text(encoding="utf-8"))
        for run in ("cached", "fresh")
    ]
    assert reports[0] == reports[1] and reports[0]  # the report of the same data, suite for suite


def test_incremental_checks_equal_a_full_runs(changed):
    assert changed["after"]["checks"] == changed["full"]["checks"]
    assert any(not passed for passed, _ in changed["full"]["checks"].values())


def test_the_changes_show_in_the_result(changed):
    served = changed["base"] / "cached" / "warehouse.serving.duckdb"
    with duckdb.connect(str(served), read_only=True) as conn:
        files = {r[0] for r in conn.execute("SELECT source_file FROM city_submissions").fetchall()}
        renamed = conn.execute(
            "SELECT count(*) FROM city_submissions WHERE company_name LIKE '%股份有限公司'"
        ).fetchall()[0][0]
    names = {p.name for p in (changed["inbox"] / "cities").iterdir()}
    assert {Path(f).name for f in files} <= names
    assert renamed >= 1


def test_a_correction_is_rechecked_without_reading_a_file(changed, tmp_path):
    base = changed["base"]
    cached = base / "cached" / "warehouse.duckdb"
    with duckdb.connect(str(cached.with_name("warehouse.serving.duckdb")), read_only=True) as conn:
        key, raw = conn.execute(
            "SELECT record_key, direction_raw FROM applications WHERE direction IS NULL "
            "ORDER BY record_key LIMIT 1"
        ).fetchall()[0]
    store = Layout.resolve(warehouse=cached).corrections
    CorrectionStore(store).record(
        operator("测试"), [Correction("platform", key, "direction", raw, "科技创新发展", "核实")]
    )
    recheck = materialise(changed["inbox"], cached)
    assert recheck["cache"]["files_read"] == 0
    assert recheck["cache"]["files_reused"] > 0

    fresh = tmp_path / "warehouse.duckdb"  # a full run with the same corrections store
    shutil.copy(store, Layout.resolve(warehouse=fresh).corrections)
    full = materialise(changed["inbox"], fresh, full=True)
    assert recheck["checks"] == full["checks"]
    served = cached.with_name("warehouse.serving.duckdb")
    assert contents(served) == contents(fresh.with_name("warehouse.serving.duckdb"))
    with duckdb.connect(str(served), read_only=True) as conn:
        direction = conn.execute(
            "SELECT direction FROM applications WHERE record_key = ?", [key]
        ).fetchall()
    assert direction == [("innovation",)], "the corrected direction is in the result"
