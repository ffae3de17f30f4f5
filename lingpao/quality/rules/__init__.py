"""Every rule of contract §3.2 (and our extensions), each defined whole in one module of this package.

A rule says its id, severity, Chinese name, the field it concerns and how it is checked: by an
expectation of a Great Expectations suite (`expectations/<table>.json`, whose `meta.rule` names it,
run as SQL on the hot path and by GX for the report), by SQL across tables, or while reading files.
A suite rule also says how one failure is described for people (`describe`).
"""

from __future__ import annotations

from lingpao.quality.rules import (
    codes,
    contacts,
    eligibility,
    files,
    labels,
    reconciliation,
    windows,
)
from lingpao.quality.rules.rule import Rule

RULES: dict[str, Rule] = {
    rule.id: rule
    for module in (codes, labels, windows, contacts, eligibility, reconciliation, files)
    for rule in module.RULES
}


def severity(rule: str) -> str:
    return RULES[rule].severity


__all__ = ["RULES", "Rule", "severity"]
