"""What a rule is: its id, severity, Chinese name, field, and how it is checked and described."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lingpao.foundation.programme import Programme

# A failing record (facts and record values by column) -> (value seen, explanation, suggested fix).
Describer = Callable[[dict, Programme], tuple[str, str, str | None]]


@dataclass(frozen=True)
class Rule:
    """One data-quality rule as `dq_issues.rule` names it."""

    id: str
    severity: str  # error | warning
    name: str  # Chinese, for people
    engine: str  # suite (an expectation in expectations/*.json) | sql | file
    field: str | None = None  # the field a correction would change
    describe: Describer | None = None  # suite rules: one failure in words
    sql: str | None = None  # sql rules: the failing records, with a note
    source: str | None = None  # sql rules: platform | city_table
    contract: bool = True
    applies_unless: str | None = None  # not reported on a record that already fails this rule
    reads_city_tables: bool = False  # a platform rule whose result depends on the city tables
    needs_platform: bool = False  # not applied in a round without platform exports
    advice: str = "核对后更正"  # what a city bureau does about a failure (its table's check)


def text(value: object) -> str:
    """A value as text for a message; empty for NULL or NaN."""
    if value is None:
        return ""
    try:
        if value != value:  # NaN
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)
