"""Who scores whom, and what the scores make: per candidate its experts' totals, the mean (with
enough experts the highest and lowest dropped), the spread, its rank in its panel, and the proposed
list (建议名单) by the round's rule."""

from __future__ import annotations

import pandas as pd

from lingpao.foundation.programme import ReviewRules
from lingpao.foundation.text import fold_label


def panels(candidates: pd.DataFrame, experts: pd.DataFrame, rules: ReviewRules) -> pd.Series:
    """Each candidate's panel: its direction's, when some expert sits on it; else the combined one."""
    present = set(experts["panel"]) if len(experts) else set()
    return candidates["panel"].map(lambda p: p if p in present else rules.combined_panel)


def assign(candidates: pd.DataFrame, experts: pd.DataFrame, rules: ReviewRules) -> pd.DataFrame:
    """Every expert of a panel scores every candidate of it, but never a company of their own unit
    or employer (the pair is kept, with the exclusion named). Columns: expert_id, application_id,
    excluded_reason (None when the expert scores the company)."""
    rows = []
    chosen = candidates.assign(panel=panels(candidates, experts, rules))
    for expert in experts.itertuples():
        mine = chosen[chosen["panel"] == expert.panel]
        for candidate in mine.itertuples():
            reasons = []
            if (
                expert.unit
                and candidate.city
                and fold_label(expert.unit).removesuffix("市")
                == (fold_label(candidate.city).removesuffix("市"))
            ):
                reasons.append(f"专家所在市与企业同为{candidate.city}")
            if expert.employer and fold_label(expert.employer) == fold_label(
                candidate.company_name
            ):
                reasons.append("专家工作单位即该企业")
            rows.append(
                {
                    "expert_id": expert.expert_id,
                    "application_id": candidate.application_id,
                    "excluded_reason": "；".join(reasons) or None,
                }
            )
    return pd.DataFrame(rows, columns=["expert_id", "application_id", "excluded_reason"])


def compute(
    candidates: pd.DataFrame,
    experts: pd.DataFrame,
    assignments: pd.DataFrame,
    scores: pd.DataFrame,
    rules: ReviewRules,
) -> pd.DataFrame:
    """One row per candidate still in the review (a withdrawn one is left out): its panel, experts
    assigned and scored, each expert's total (`totals`, expert -> total), mean, spread, flagged,
    rank in its panel, proposed."""
    active = candidates[candidates["decision"].fillna("") != "withdraw"].copy()
    active["panel"] = panels(active, experts, rules)
    scoring = assignments[assignments["excluded_reason"].isna()]
    expected = scoring.groupby("application_id")["expert_id"].nunique()
    totals = (
        scores.groupby(["application_id", "expert_id"])["score"].sum().reset_index()
        if len(scores)
        else pd.DataFrame(columns=["application_id", "expert_id", "score"])
    )
    by_candidate = {
        k: dict(zip(g["expert_id"], g["score"], strict=True))
        for k, g in totals.groupby("application_id")
    }
    rows = []
    for candidate in active.itertuples():
        given = by_candidate.get(candidate.application_id, {})
        values = sorted(given.values())
        kept = values[1:-1] if len(values) >= rules.trim_from else values
        rows.append(
            {
                "application_id": candidate.application_id,
                "credit_code": candidate.credit_code,
                "company_name": candidate.company_name,
                "city": candidate.city,
                "county": candidate.county,
                "cluster": candidate.cluster,
                "direction": candidate.direction,
                "panel": candidate.panel,
                "preliminary_score": candidate.preliminary_score,
                "assigned": int(expected.get(candidate.application_id, 0)),
                "experts": len(values),
                "totals": given,
                "mean_score": round(sum(kept) / len(kept), 2) if kept else None,
                "spread": round(values[-1] - values[0], 2) if values else None,
            }
        )
    result = pd.DataFrame(rows)
    if result.empty:
        return result
    result["complete"] = result["experts"] >= result["assigned"]
    result["flagged"] = result["spread"].fillna(0) > rules.spread_flag
    result["rank_in_panel"] = (
        result.groupby("panel")["mean_score"].rank(method="min", ascending=False).astype("Int64")
    )
    proposed = result["mean_score"].notna()
    if rules.top_per_panel is not None:
        proposed &= result["rank_in_panel"].fillna(10**9) <= rules.top_per_panel
    if rules.floor is not None:
        proposed &= result["mean_score"].fillna(-1) >= rules.floor
    result["proposed"] = proposed.astype(bool)
    return result.sort_values(["panel", "rank_in_panel", "application_id"]).reset_index(drop=True)


def missing_sheets(
    experts: pd.DataFrame, assignments: pd.DataFrame, sheets: pd.DataFrame
) -> list[str]:
    """The experts with candidates to score whose sheet has not come back."""
    scoring = set(assignments.loc[assignments["excluded_reason"].isna(), "expert_id"])
    back = set(sheets["expert_id"]) if len(sheets) else set()
    return sorted(scoring - back)
