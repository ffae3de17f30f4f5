"""The Great Expectations suites (expectations/*.json): read, resolved, and run as SQL on the hot path.

The suites are where the column rules are checked. Lingpao runs each expectation as the SQL condition
its failing rows meet (fast, on every run) and runs the suites through Great Expectations for the
report and the asset checks (`gx_runner.py`); a test holds the two to the same failures.
"""

from __future__ import annotations

import json

from lingpao.foundation.programme import PROJECT_ROOT, Programme
from lingpao.warehouse.connection import literal

SUITES_DIR = PROJECT_ROOT / "expectations"
SUITE_SOURCES = {"applications": "platform", "city_submissions": "city_table"}
# What each expectation type checks, in words; columns are named by their labels (`lingpao.labels`).
EXPECTATION_WORDS = {
    "expect_column_values_to_match_regex": "{column}符合格式",
    "expect_column_values_to_be_in_set": "{column}为允许的取值",
    "expect_column_pair_values_to_be_equal": "{column_A}与{column_B}相同",
    "expect_column_pair_values_a_to_be_greater_than_b": "{column_A}不早于{column_B}",
    "expect_column_values_to_be_null": "{column}为空",
}
SUITE_FACTS = {"applications": "app_facts", "city_submissions": "city_facts"}


def load_suite(name: str) -> dict:
    return json.loads((SUITES_DIR / f"{name}.json").read_text(encoding="utf-8"))


def suite_rules(name: str) -> list[str]:
    return [e["meta"]["rule"] for e in load_suite(name)["expectations"]]


def suite_parameters(programme: Programme) -> dict:
    """Values the suites take from the programme year (`$PARAMETER` in expectations/*.json)."""
    return {
        "hebei_division_prefixes": [programme.hebei_prefix],
        "directions": list(programme.directions),
        "application_types": list(programme.types),
        "stages": [s["id"] for s in programme.stages],
    }


def resolved(kwargs: dict, parameters: dict) -> dict:
    """An expectation's arguments with `{"$PARAMETER": name}` replaced by the programme's value."""
    return {
        key: parameters[value["$PARAMETER"]]
        if isinstance(value, dict) and "$PARAMETER" in value
        else value
        for key, value in kwargs.items()
    }


def expectation_columns(expectation: dict) -> list[str]:
    kwargs = expectation["kwargs"]
    return [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]


def failing_condition(expectation: dict, parameters: dict) -> str:
    """The SQL condition a row meets exactly when Great Expectations counts it unexpected
    (NULLs are ignored, as GX ignores them; pairs skip a row missing either value)."""
    kind, kwargs = expectation["type"], resolved(expectation["kwargs"], parameters)
    if kind == "expect_column_values_to_match_regex":
        column = kwargs["column"]
        return f"{column} IS NOT NULL AND NOT regexp_matches({column}, {literal(kwargs['regex'])})"
    if kind == "expect_column_values_to_be_in_set":
        column, values = kwargs["column"], kwargs["value_set"]
        listed = ", ".join(map(literal, values)) or "NULL"
        return f"{column} IS NOT NULL AND {column} NOT IN ({listed})"
    if kind == "expect_column_values_to_be_null":
        return f"{kwargs['column']} IS NOT NULL"
    a, b = kwargs.get("column_A"), kwargs.get("column_B")
    both = f"{a} IS NOT NULL AND {b} IS NOT NULL"
    if kind == "expect_column_pair_values_to_be_equal":
        return f"{both} AND {a} <> {b}"
    if kind == "expect_column_pair_values_a_to_be_greater_than_b":
        operator = ">=" if kwargs.get("or_equal") else ">"
        return f"{both} AND NOT ({a} {operator} {b})"
    raise ValueError(f"expectation type {kind} has no SQL form yet (add it here)")


def failures_sql(name: str, programme: Programme) -> str:
    """Every failing (rule, field, record) of a suite, with the record's facts, as one query."""
    parameters = suite_parameters(programme)
    parts = [
        f"SELECT {literal(e['meta']['rule'])} AS rule, {literal(e['meta'].get('field', ''))} AS field, "
        f"f.* FROM {SUITE_FACTS[name]} f WHERE {failing_condition(e, parameters)}"
        for e in load_suite(name)["expectations"]
    ]
    return " UNION ALL BY NAME ".join(parts)
