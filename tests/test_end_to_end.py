"""A generated inbox, run through the real pipeline, compared with its answer key."""

import datetime as dt
import os
import time

from lingpao.foundation.layout import Layout
from lingpao.orchestration.run import run_pipeline
from tests.conftest import marked_processes, query
from tests.helpers import lingpao_cli


def test_every_current_application_exactly_once(sample_run):
    key, warehouse = sample_run["key_file"], sample_run["warehouse"]
    rows = query(
        warehouse,
        "SELECT application_id, credit_code, company_name, city, application_type, "
        "direction, stage, snapshot_count, contact_phone FROM applications",
    )
    ids = [r[0] for r in rows]
    assert len(ids) == len(set(ids)) == len(key["applications"])
    got = {r[0]: r[1:] for r in rows}
    for app_id, expected in key["applications"].items():
        assert got[app_id] == (
            expected["credit_code"],
            expected["company_name"],
            expected["city"],
            expected["application_type"],
            expected["direction"],
            expected["stage"],
            expected["snapshots"],
            expected["contact_phone"],
        ), app_id


def test_codes_are_eighteen_upper_case_characters(sample_run):
    bad = query(
        sample_run["warehouse"],
        "SELECT credit_code FROM applications "
        "WHERE NOT regexp_full_match(credit_code, '[0-9A-Z]{18}')",
    )
    assert bad == []
    messy = query(
        sample_run["warehouse"],
        "SELECT count(*) FROM applications WHERE credit_code_raw <> credit_code",
    )
    assert messy[0][0] > 0  # the sample really was messy


def test_city_table_rows_exactly(sample_run):
    key, warehouse = sample_run["key_file"], sample_run["warehouse"]
    rows = query(
        warehouse,
        "SELECT source_file, source_row, city, credit_code, application_type, direction "
        "FROM city_submissions ORDER BY 1, 2",
    )
    expected = sorted(
        (
            e["source_file"],
            e["source_row"],
            e["city"],
            e["credit_code"],
            e["application_type"],
            e["direction"],
        )
        for e in key["city_submissions"]
    )
    assert rows == expected


def test_stage_history_matches(sample_run):
    key, warehouse = sample_run["key_file"], sample_run["warehouse"]
    got: dict[str, list] = {}
    for app_id, stage, seen in query(
        warehouse,
        "SELECT application_id, stage, first_seen_at FROM stage_history "
        "ORDER BY application_id, first_seen_at",
    ):
        got.setdefault(app_id, []).append([stage, seen.isoformat()])
    expected = {k: [[s, t] for s, t in v] for k, v in key["stage_history"].items()}
    assert {k: [s for s, _ in v] for k, v in got.items()} == {
        k: [s for s, _ in v] for k, v in expected.items()
    }
    for app_id, steps in expected.items():
        for (_, want), (_, have) in zip(steps, got[app_id], strict=True):
            assert dt.datetime.fromisoformat(want) == dt.datetime.fromisoformat(have)


def test_unreadable_files_each_one_issue(sample_run):
    got = query(
        sample_run["warehouse"],
        "SELECT record_key FROM dq_issues WHERE rule = 'file_unreadable' ORDER BY 1",
    )
    assert [r[0] for r in got] == sorted(sample_run["key_file"]["unreadable_files"])


def test_run_is_idempotent(sample_run, tmp_path):
    second = tmp_path / "again.duckdb"
    assert run_pipeline(Layout.resolve(sample_run["inbox"], second)).success
    assert run_pipeline(Layout.resolve(sample_run["inbox"], second)).success
    for table in ("applications", "stage_history", "city_submissions", "dq_issues", "pool_members"):
        sql = f"SELECT * FROM {table} ORDER BY ALL"
        assert query(second, sql) == query(sample_run["warehouse"], sql), table


def test_serving_copy_is_published(sample_run):
    serving = sample_run["warehouse"].with_name("warehouse.serving.duckdb")
    assert query(serving, "SELECT count(*) FROM applications") == query(
        sample_run["warehouse"], "SELECT count(*) FROM applications"
    )


def test_summary_times_every_step_slowest_first(sample_run):
    steps = sample_run["summary"].steps
    assert {"inbox", "platform_rows", "dq_issues", "serving_warehouse"} <= set(steps)
    assert "data_docs" not in steps  # the report follows the run, in a process of its own
    assert list(steps.values()) == sorted(steps.values(), reverse=True)
    assert all(0 <= seconds < sample_run["summary"].seconds["total"] for seconds in steps.values())


def test_cli_run_prints_summary_and_exits_zero(sample_run, tmp_path):
    env = dict(
        os.environ,
        LINGPAO_WAREHOUSE=str(tmp_path / "cli.duckdb"),
        LINGPAO_INBOX=str(sample_run["inbox"]),
    )
    done = lingpao_cli("run", env=env)
    assert done.returncode == 0, done.stderr
    assert "申报" in done.stdout and "文件无法读取" in done.stdout  # names, not ids
    assert "最慢的步骤：" in done.stdout and "读取 " in done.stdout  # steps and files, as it went
    assert (tmp_path / "cli.duckdb").exists()
    assert "正在后台生成" in done.stdout  # the command ended when the result was published ...
    deadline = time.monotonic() + 180
    while marked_processes() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not marked_processes()  # ... and the report it started finished on its own
    index = tmp_path / "gx_docs" / "index.html"
    assert index.exists(), (tmp_path / "gx_docs" / "report.log").read_text(errors="replace")
    contacts = query(
        tmp_path / "cli.duckdb",
        "SELECT contact_phone FROM applications WHERE contact_phone IS NOT NULL LIMIT 20",
    )
    assert not any(phone in done.stdout + done.stderr for (phone,) in contacts)


def test_cli_errors_are_one_line_without_traceback(tmp_path):
    done = lingpao_cli("run", "--inbox", tmp_path / "missing", "--warehouse", tmp_path / "w.duckdb")
    assert done.returncode == 2
    assert "missing" in done.stderr and "Traceback" not in done.stderr


def test_cli_help_describes_every_command():
    done = lingpao_cli("--help")
    assert done.returncode == 0
    for command in ("run", "dashboard", "sample"):
        assert command in done.stdout


def test_planted_defects_rule_by_rule(sample_run):
    key, warehouse = sample_run["key_file"], sample_run["warehouse"]
    got = set(query(warehouse, "SELECT rule, source, record_key FROM dq_issues"))
    expected = {tuple(i) for i in key["issues"]}
    for rule in sorted({r for r, _, _ in got | expected}):
        assert {i for i in got if i[0] == rule} == {i for i in expected if i[0] == rule}, rule


def test_suggested_fixes_as_planted(sample_run):
    fixes = {
        f"{rule}|{key}": fix
        for rule, key, fix in query(
            sample_run["warehouse"],
            "SELECT rule, record_key, suggested_fix FROM dq_issues WHERE suggested_fix IS NOT NULL",
        )
    }
    assert fixes == sample_run["key_file"]["suggested_fixes"]


def test_no_error_on_a_record_that_breaks_no_rule(sample_run):
    planted = {(r, k) for r, _, k in sample_run["key_file"]["issues"]}
    errors = query(
        sample_run["warehouse"], "SELECT rule, record_key FROM dq_issues WHERE severity = 'error'"
    )
    assert {tuple(e) for e in errors} <= planted


def test_shortlist_holds_every_eligible_certification_and_no_other(sample_run):
    got = [
        r[0]
        for r in query(sample_run["warehouse"], "SELECT application_id FROM shortlist ORDER BY 1")
    ]
    assert got == sample_run["key_file"]["shortlist"]
