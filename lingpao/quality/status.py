"""`dq_issues.status` from the stewards' decisions: open, waived until reopened, fixed once it passes."""

from __future__ import annotations

import pandas as pd

from lingpao.quality.rules import RULES


def with_decisions(issues: pd.DataFrame, latest: pd.DataFrame) -> pd.DataFrame:
    """Statuses of this run's failures, plus a `fixed` row for each decided issue that no longer fails.

    - failing, last decision `waived`   -> waived (stays so until someone reopens it)
    - failing, any other or no decision -> open (a `fixed` issue failing again has reopened)
    - not failing, some decision        -> fixed (the rule passes on the corrected data)
    """
    decided = latest.set_index("issue_id") if len(latest) else pd.DataFrame()
    issues = issues.copy()
    if issues.empty:
        issues = pd.DataFrame(columns=["issue_id", "status"])
    for column, source in (
        ("decision", "decision"),
        ("decided_by", "who"),
        ("decided_at", "at"),
        ("decision_reason", "reason"),
    ):
        issues[column] = issues["issue_id"].map(decided[source]) if len(decided) else None
    issues["status"] = ["waived" if d == "waived" else "open" for d in issues["decision"]]
    gone = decided[~decided.index.isin(set(issues["issue_id"]))] if len(decided) else decided
    fixed = pd.DataFrame(
        [
            {
                "issue_id": issue_id,
                "source": d.source,
                "record_key": d.record_key,
                "rule": d.rule,
                "severity": RULES[d.rule].severity if d.rule in RULES else "error",
                "city": d.city,
                "credit_code": d.credit_code,
                "detail": d.detail,
                "status": "fixed",
                "decision": d.decision,
                "decided_by": d.who,
                "decided_at": d.at,
                "decision_reason": d.reason,
            }
            for issue_id, d in gone.iterrows()
        ]
    )
    parts = [p for p in (issues, fixed) if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else issues
