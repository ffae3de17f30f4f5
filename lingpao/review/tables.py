"""The round's close in the warehouse (contract §6's tables), copied from the review store by each
run: what SQL tools, the rules of later rounds (through the leaders) and the pages read."""

from __future__ import annotations

import duckdb
import pandas as pd

from lingpao.foundation.programme import Programme
from lingpao.review import result as scoring
from lingpao.review.store import ReviewStore
from lingpao.warehouse.connection import replace_table

TABLES = {  # each table of the round's close, with what it holds
    "review_candidates": "The review's candidates: the shortlist frozen when it started (a version).",
    "review_assignments": "Who scores whom, and the exclusions (own unit or employer).",
    "review_scores": "Every score of each expert's newest sheet.",
    "review_result": "Per candidate: experts, mean, spread, rank in its panel, proposed.",
    "notice": "The public notice: start, end, working days.",
    "notice_objections": "The objections raised during the notice and their decisions.",
    "certified": "The companies the province certified this round.",
    "leader_checks": "The units' yearly check of their leaders, and its confirmation.",
}


def certified_ids(store: ReviewStore | None, year: int) -> list[str]:
    """The applications the province certified in round `year` (a decision over the platform's
    stage, which may lag)."""
    if store is None:
        return []
    frame = store.certified(year)
    return sorted(frame["application_id"]) if len(frame) else []


def write_tables(
    conn: duckdb.DuckDBPyConnection, programme: Programme, store: ReviewStore | None
) -> dict[str, int]:
    """Every table of the round's close, from the store (empty before the review starts)."""
    year, frames = programme.year, {}
    if store is not None and store.review_version(year) is not None:
        version = store.review_version(year)
        candidates = store.candidates(year)
        experts, pairs = store.experts(year), store.assignments(year)
        scores = store.scores(year)
        frames["review_candidates"] = candidates.assign(version=version)
        frames["review_assignments"] = pairs.assign(version=version)
        frames["review_scores"] = scores.assign(version=version)
        result = scoring.compute(candidates, experts, pairs, scores, programme.review)
        frames["review_result"] = result.drop(columns=["totals"], errors="ignore")
    if store is not None:
        notice = store.notice(year)
        if notice is not None:
            listed = store.notice_list(int(notice["id"]))
            frames["notice"] = pd.DataFrame(
                [{
                    "start": pd.Timestamp(notice["start"]).date(),
                    "end": pd.Timestamp(notice["end"]).date(),
                    "working_days": notice["working_days"],
                    "companies": len(listed),
                }]
            )  # fmt: skip
            objections = store.objections(year)
            frames["notice_objections"] = objections.rename(columns={"id": "objection_id"})
        frames["certified"] = store.certified(year)
        frames["leader_checks"] = store.leader_checks(year)
    return {
        table: replace_table(conn, table, frames.get(table, pd.DataFrame()), programme)
        for table in TABLES
    }
