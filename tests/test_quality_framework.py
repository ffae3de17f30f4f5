"""The rule framework: each rule defined once, GX suites, Data Docs offline, asset checks, stable ids."""

import re

import dagster as dg

from lingpao.foundation.layout import Layout
from lingpao.labels import SEVERITY
from lingpao.orchestration.definitions import ALL_ASSETS
from lingpao.orchestration.resources import make_resources
from lingpao.quality.rules import RULES
from lingpao.quality.suites import load_suite, suite_rules
from tests.conftest import query
from tests.helpers import code, platform_record, round_instance, run, write_inbox

CONTRACT_RULES = {
    "credit_code_format",
    "credit_code_checksum",
    "credit_code_not_hebei",
    "direction_invalid",
    "type_invalid",
    "submitted_outside_window",
    "certification_without_pool",
    "info_update_not_leader",
    "duplicate_application",
    "cluster_unknown",
    "phone_invalid",
    "evidence_incomplete",
    "missing_in_city_table",
    "missing_in_platform",
    "field_mismatch",
    "file_unreadable",
}
CONTRACT_SEVERITY_WARNING = {
    "cluster_unknown",
    "phone_invalid",
    "evidence_incomplete",
    "field_mismatch",
}


def test_catalogue_holds_the_contract_rules_with_their_severity():
    assert {r.id for r in RULES.values() if r.contract} == CONTRACT_RULES
    for rule in CONTRACT_RULES:
        assert RULES[rule].severity == ("warning" if rule in CONTRACT_SEVERITY_WARNING else "error")


def test_each_rule_is_defined_whole_in_one_place():
    in_suites = set(suite_rules("applications")) | set(suite_rules("city_submissions"))
    for rule in RULES.values():
        # a suite rule is checked by its expectations and described by its own function ...
        assert (rule.id in in_suites) == (rule.engine == "suite"), rule.id
        assert (rule.describe is not None) == (rule.engine == "suite"), rule.id
        # ... any other rule by its own SQL, for one source
        assert (rule.sql is not None) == (rule.engine in ("sql", "file")), rule.id
        assert rule.engine == "suite" or rule.source in ("platform", "city_table", "file"), rule.id
    assert in_suites <= set(RULES)


def test_shared_column_rules_are_identical_in_both_suites():
    platform = {e["meta"]["rule"]: e for e in load_suite("applications")["expectations"]}
    for expectation in load_suite("city_submissions")["expectations"]:
        assert expectation == platform[expectation["meta"]["rule"]]


def test_gx_reports_every_failing_record_not_a_sample(inbox, tmp_path):
    rows = [
        platform_record(申报编号=f"BAD{n:03d}", 统一社会信用代码=code(n), 联系电话="123")
        for n in range(250)
    ]
    write_inbox(inbox, rows)
    _, warehouse = run(inbox, tmp_path)
    assert query(warehouse, "SELECT count(*) FROM dq_issues WHERE rule = 'phone_invalid'") == [
        (250,)
    ]


def test_data_docs_open_offline(sample_run):
    docs = sample_run["warehouse"].parent / "gx_docs"
    pages = list(docs.rglob("*.html"))
    assert (docs / "index.html").exists() and len(pages) >= 3
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert not re.search(r'<(script|link|img)\b[^>]*(src|href)="https?://', html), page
        assert "lingpao_offline.css" in html
    assert (docs / "static" / "styles" / "lingpao_offline.css").exists()


def test_issue_ids_are_stable_across_runs(sample_run, tmp_path):
    _, again = run(sample_run["inbox"], tmp_path)
    sql = "SELECT issue_id, rule, record_key FROM dq_issues ORDER BY 1"
    first = query(sample_run["warehouse"], sql)
    assert first == query(again, sql)
    assert len({i for i, _, _ in first}) == len(first)


def test_every_rule_is_an_asset_check_with_its_failure_count(sample_run, tmp_path):
    result = dg.materialize(
        ALL_ASSETS,
        resources=make_resources(Layout.resolve(sample_run["inbox"], tmp_path / "w.duckdb")),
        instance=round_instance(2023),
        raise_on_error=False,
        partition_key="2023",
    )
    assert result.success
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(evaluations) == set(RULES) | {"suites_agree_with_sql"}
    assert evaluations["suites_agree_with_sql"].passed  # GX finds what the SQL finds
    counts = dict(query(tmp_path / "w.duckdb", "SELECT rule, count(*) FROM dq_issues GROUP BY 1"))
    for rule in RULES:
        evaluation = evaluations[rule]
        assert evaluation.metadata["failures"].value == counts.get(rule, 0), rule
        assert evaluation.passed == (counts.get(rule, 0) == 0)


def test_run_summary_lists_issues_per_rule_and_severity(sample_run):
    summary = sample_run["summary"]
    expected = query(
        sample_run["warehouse"], "SELECT rule, severity, count(*) FROM dq_issues GROUP BY ALL"
    )
    assert sorted(summary.issues) == sorted(expected)
    text = "\n".join(summary.lines())
    for rule, severity, count in expected:  # by their Chinese names, never their ids
        assert re.search(rf"{RULES[rule].name}\s+{SEVERITY[severity]}\s+{count}\b", text)
        assert rule not in text
