"""评审与认定's reads, scoped below the page: the review's progress and lists for whoever may see
them (leadership never one expert's scores; a city bureau its own companies' outcome only), each
expert's sheet for the province and stewards."""

from __future__ import annotations

import pandas as pd

from lingpao.access.roles import Forbidden
from lingpao.access.viewer import Viewer
from lingpao.review.close import Close, published
from lingpao.review.store import ReviewRefused

OUTCOME_COLUMNS = [
    "panel",
    "rank_in_panel",
    "application_id",
    "company_name",
    "city",
    "cluster",
    "direction",
    "experts",
    "assigned",
    "mean_score",
    "spread",
    "flagged",
    "proposed",
]


class ReviewView:
    """One viewer's reads of the round's close (made per page, like the other queries)."""

    def __init__(self, close: Close, viewer: Viewer) -> None:
        self.close, self.viewer = close, viewer
        self.unit = viewer.scope.unit

    def _require(self, action: str) -> None:
        try:
            self.viewer.require(action)
        except Forbidden as refusal:
            self.close.audit.record("refused", self.viewer, f"review {action}: {refusal}")
            raise

    def _own(self, frame: pd.DataFrame, column: str = "city") -> pd.DataFrame:
        return frame[frame[column] == self.unit] if self.unit and len(frame) else frame

    def stage(self) -> dict:
        """Where the round's close is: review version, notice, certification (a city bureau: its
        own companies certified; whether certification happened at all: `closed`)."""
        self._require("read_review_outcome")
        year = self.close.year
        certified = self.close.store.certified(year)
        return {
            "version": self.close.store.review_version(year),
            "notice": self.close.store.notice(year),
            "certified": len(self._own(certified)),
            "closed": len(certified) > 0,
        }

    def progress(self) -> dict:
        """Sheets out, back, missing (experts named only for those who may see the scores)."""
        self._require("read_review_outcome")
        done = self.close.progress()
        if not self.viewer.may("read_review_scores"):
            done = {**done, "missing_ids": []}
        return done

    def sheets_by_expert(self) -> pd.DataFrame:
        """Per expert: panel, candidates to score, sheet versions back, when (province only)."""
        self._require("read_review_scores")
        experts = self.close.store.experts(self.close.year)
        pairs = self.close.store.assignments(self.close.year)
        sheets = self.close.store.sheets(self.close.year)
        if experts.empty:
            return experts
        scoring = pairs[pairs["excluded_reason"].isna()].groupby("expert_id").size()
        excluded = pairs[pairs["excluded_reason"].notna()].groupby("expert_id").size()
        back = sheets.groupby("expert_id").agg(
            versions=("sheet_version", "max"), last=("imported_at", "max")
        )
        return experts.assign(
            to_score=experts["expert_id"].map(scoring).fillna(0).astype(int),
            excluded=experts["expert_id"].map(excluded).fillna(0).astype(int),
            versions=experts["expert_id"].map(back["versions"]).fillna(0).astype(int),
            last=experts["expert_id"].map(back["last"]),
        )

    def exclusions(self) -> pd.DataFrame:
        """Who does not score whom, and why (province only)."""
        self._require("read_review_scores")
        pairs = self.close.store.assignments(self.close.year)
        if pairs.empty:
            return pairs
        pairs = pairs[pairs["excluded_reason"].notna()]
        experts = self.close.store.experts(self.close.year).set_index("expert_id")["name"]
        companies = self.close.store.candidates(self.close.year).set_index("application_id")[
            "company_name"
        ]
        named = pairs.assign(
            name=pairs["expert_id"].map(experts),
            company_name=pairs["application_id"].map(companies),
        )
        first = ["expert_id", "name", "application_id", "company_name"]
        return named[first + [c for c in named.columns if c not in first]]

    def candidates(self) -> pd.DataFrame:
        """The frozen candidates, with errors gained since and the steward's decisions."""
        self._require("read_review_scores")
        return self.close.candidates()

    def result(self) -> pd.DataFrame:
        """The result as the viewer may see it: per candidate mean, spread, rank, proposed; never
        one expert's scores (those are `scores()`)."""
        self._require("read_review_outcome")
        try:
            frame = self.close.result()
        except ReviewRefused:
            return pd.DataFrame(columns=OUTCOME_COLUMNS)
        if frame.empty:
            return pd.DataFrame(columns=OUTCOME_COLUMNS)
        return self._own(frame[OUTCOME_COLUMNS])

    def scores(self) -> pd.DataFrame:
        """Each expert's total per candidate (province and stewards only)."""
        self._require("read_review_scores")
        frame = self.close.result()
        rows = [
            {
                "application_id": r.application_id,
                "company_name": r.company_name,
                "expert_id": e,
                "total": t,
            }
            for r in frame.itertuples()
            for e, t in r.totals.items()
        ]
        return pd.DataFrame(rows, columns=["application_id", "company_name", "expert_id", "total"])

    def checks(self) -> pd.DataFrame:
        """The units' leader checks of the round (a city bureau: its own unit's)."""
        self._require("read_review_outcome")
        return self._own(self.close.store.leader_checks(self.close.year), "unit")

    def objections(self) -> pd.DataFrame:
        """The notice's objections and their decisions (province only: who raised them)."""
        self._require("read_review_scores")
        frame = self.close.store.objections(self.close.year)
        if frame.empty:
            return frame
        names = self.close.notice_list().set_index("application_id")["company_name"]
        named = frame.assign(company_name=frame["application_id"].map(names))
        first = ["id", "application_id", "company_name"]
        return named[first + [c for c in named.columns if c not in first]]

    def listed(self, kind: str) -> pd.DataFrame:
        """A published list (`notice`, `certified`, `adjusted`): a city bureau's own unit only."""
        self._require("read_review_outcome")
        try:
            frame = published(self.close, kind)[0]
        except ReviewRefused:
            return pd.DataFrame()
        return self._own(frame)

    def document(self, kind: str, suffix: str) -> tuple[bytes, str]:
        """A published list as the province publishes it (whole: its own units' rows are not a
        city's to send on), audited; (bytes, file name)."""
        from lingpao.review.documents import list_docx, list_xlsx

        self._require("read_review_outcome")
        if self.unit:
            raise Forbidden("市级用户可查看本单位企业的结果，不能下载全省名单")
        frame, title, intro, closing, grouped = published(self.close, kind)
        programme = self.close.programme
        data = (
            list_docx(frame, programme, title, intro, closing, grouped)
            if suffix == ".docx"
            else list_xlsx(frame, programme, title, intro, grouped)
        )
        self.close.audit.record("download", self.viewer, f"{title}{suffix}")
        return data, f"{title}{suffix}"

    def result_workbook(self) -> tuple[bytes, str]:
        """The result workbook; with each expert's totals only for those who may see them."""
        from lingpao.review.documents import result_xlsx

        self._require("read_review_outcome")
        if self.unit:
            raise Forbidden("市级用户不能下载全省评审结果")
        with_scores = self.viewer.may("read_review_scores")
        data = result_xlsx(
            self.close.result(),
            self.close.programme,
            self.close.progress(),
            with_scores,
            self.close.store.experts(self.close.year) if with_scores else None,
        )
        name = f"{self.close.year}年度专家评审结果.xlsx"
        self.close.audit.record("download", self.viewer, name)
        return data, name
