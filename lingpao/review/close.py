"""The close of one round (contract §6): each step checked, recorded in the review store with who
and when, and written to the audit log.

`Close(store, audit, programme, served)` acts for a viewer: start the review from the published
shortlist, the experts and who scores whom, score sheets out and back, the result and the proposed
list, the public notice and its objections, certification, and the leaders' yearly check. `served`
opens the published copy (read only, in the round) for what the steps read: the shortlist, the
issues a candidate has gained since, a unit's leaders.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd

from lingpao.access.audit import AuditLog
from lingpao.access.roles import Forbidden
from lingpao.access.viewer import Viewer
from lingpao.foundation.programme import Programme
from lingpao.foundation.text import fold_label
from lingpao.ingest.headers import find_header
from lingpao.ingest.readers import UnreadableFile, cell_text, open_sheets
from lingpao.review import result as scoring
from lingpao.review.calendar import add_working_days
from lingpao.review.documents import CHECK_RESULTS
from lingpao.review.sheets import read_sheet, write_sheet
from lingpao.review.store import ZONE, ReviewRefused, ReviewStore, actor_name, now
from lingpao.warehouse.connection import read_frame

Connector = Callable[[], duckdb.DuckDBPyConnection]
POINT_COLUMNS = [
    "revenue_3y_ago",
    "revenue_2y_ago",
    "revenue_last_year",
    "rnd_intensity",
    "profit_last_year",
    "taxes_last_year",
    "employees",
]


def read_list(path: Path, programme: Programme, kind: str) -> tuple[pd.DataFrame, list[str]]:
    """An inbox list (`experts`, `objections`) read like every other inbox file: its rows as text
    with their row numbers, or the located reasons it cannot be read."""
    mapping, required = programme.headers(kind), programme.required_columns(kind)
    try:
        with open_sheets(Path(path)) as sheets:
            for sheet in sheets:
                match = find_header(sheet.head, mapping, required)
                if match is None:
                    continue
                rows = []
                for number, cells in sheet.rows_after(match.row_index):
                    values = {
                        column: cell_text(cells[i]).strip() if i < len(cells) else ""
                        for i, column in match.columns.items()
                    }
                    if any(values.values()):
                        rows.append({**values, "source_row": number, "source_sheet": sheet.name})
                frame = pd.DataFrame(rows)
                for column in mapping:
                    if column not in frame:
                        frame[column] = ""
                return frame, []
    except UnreadableFile as error:
        return pd.DataFrame(), [f"文件“{Path(path).name}”：{error}"]
    labels = "”“".join(mapping[c][0] for c in required)
    return pd.DataFrame(), [f"文件“{Path(path).name}”：未找到表头（需含“{labels}”）"]


class Close:
    def __init__(
        self,
        store: ReviewStore,
        audit: AuditLog,
        programme: Programme,
        served: Connector | None = None,
    ) -> None:
        self.store, self.audit, self.programme, self._served = store, audit, programme, served
        self.year = programme.year

    # -- guards ------------------------------------------------------------------------------------
    def _require(self, actor: Viewer, action: str, what: str, unit: str | None = None) -> None:
        try:
            actor.require(action, unit)
        except Forbidden as refusal:
            self.audit.record("refused", actor, f"{what}: {refusal}")
            raise

    def _record(self, actor: Viewer, event: str, detail: str) -> None:
        self.audit.record(event, actor, f"{self.year}年度 {detail}")

    def _query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        if self._served is None:
            raise ReviewRefused("尚无已发布的数据：请先运行 lingpao run")
        with self._served() as conn:
            return read_frame(conn, sql, params)

    def _version(self) -> int:
        version = self.store.review_version(self.year)
        if version is None:
            raise ReviewRefused(f"{self.year}年度尚未开始专家评审：请先 lingpao review start")
        return version

    # -- the review --------------------------------------------------------------------------------
    def start_review(self, actor: Viewer) -> tuple[int, int]:
        """Freeze the published shortlist as the review's candidates (a new version, the score and
        its report points as the preliminary ones); (version, candidates)."""
        self._require(actor, "run_review", "review start")
        shortlist = self._query("SELECT * FROM shortlist ORDER BY direction, rank_in_direction")
        if shortlist.empty:
            raise ReviewRefused(f"{self.year}年度的专家评审名单为空，无法开始评审")
        version = (self.store.review_version(self.year) or 0) + 1
        labels = self.programme.directions
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO reviews VALUES (?, ?, ?, ?)",
                (self.year, version, now(), actor_name(actor)),
            )
            for position, row in enumerate(shortlist.to_dict("records"), start=1):
                evidence = row.get("evidence_uploaded")
                points = {c: _plain(row.get(c)) for c in POINT_COLUMNS}
                points["qualification"] = _plain(row.get("qualification"))
                points["evidence"] = (
                    f"{int(evidence)}/{len(self.programme.evidence)}"
                    if evidence is not None and evidence == evidence
                    else "纸质材料"
                )
                conn.execute(
                    "INSERT INTO candidates VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        self.year,
                        version,
                        position,
                        row["application_id"],
                        row.get("credit_code"),
                        row.get("company_name"),
                        row.get("city"),
                        row.get("county"),
                        row.get("cluster"),
                        row.get("direction"),
                        labels.get(row.get("direction"), row.get("direction")),
                        _plain(row.get("score")),
                        json.dumps(points, ensure_ascii=False),
                    ),
                )
        self._record(actor, "review_start", f"开始第{version}版专家评审，候选 {len(shortlist)} 家")
        return version, len(shortlist)

    def candidates(self) -> pd.DataFrame:
        """The review's candidates, each with the open errors it has gained since the review
        started (from the published issues) and the steward's decision on it."""
        frame = self.store.candidates(self.year)
        if frame.empty or self._served is None:
            return frame.assign(new_errors="")
        errors = self._query(
            "SELECT record_key, string_agg(detail, '；' ORDER BY rule) AS new_errors FROM dq_issues "
            "WHERE status = 'open' AND severity = 'error' GROUP BY 1"
        )
        known = (
            dict(zip(errors["record_key"], errors["new_errors"], strict=True))
            if len(errors)
            else {}
        )
        return frame.assign(new_errors=frame["application_id"].map(lambda a: known.get(a, "")))

    def decide_candidate(self, actor: Viewer, application_id: str, keep: bool, reason: str) -> None:
        """The steward's decision on a candidate (typically one that has gained an error): keep it
        in the review, or withdraw it; a reason is required."""
        self._require(actor, "run_review", "review candidate")
        version = self._version()
        if not (reason or "").strip():
            raise ReviewRefused("请写明原因")
        known = set(self.store.candidates(self.year)["application_id"])
        if application_id not in known:
            raise ReviewRefused(f"申报 {application_id} 不是本次评审的候选企业")
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO candidate_decisions (year, version, application_id, decision, reason, "
                "decided_by, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (self.year, version, application_id, "keep" if keep else "withdraw",
                 reason.strip()[:500], actor_name(actor), now()),
            )  # fmt: skip
        what = "保留" if keep else "撤出"
        self._record(actor, "review_candidate", f"{what}候选 {application_id}：{reason.strip()}")

    def load_experts(self, actor: Viewer, path: Path) -> pd.DataFrame:
        """Freeze the experts list of the review (once; later calls keep the frozen list) and who
        scores whom; the experts."""
        self._require(actor, "run_review", "review experts")
        version = self._version()
        frozen = self.store.experts(self.year)
        if len(frozen):
            return frozen
        listed, problems = read_list(path, self.programme, "experts")
        problems += _expert_problems(listed, path)
        if problems:
            raise ReviewRefused("；".join(problems))
        experts = pd.DataFrame(
            {
                "expert_id": listed["expert_id"],
                "name": listed["name"],
                "employer": listed["employer"],
                "unit": listed["unit"].map(lambda u: self.programme.unit_of(u) or u),
                "panel": listed["panel"],
            }
        )
        candidates = self.store.candidates(self.year)
        active = candidates[candidates["decision"].fillna("") != "withdraw"]
        pairs = scoring.assign(active, experts, self.programme.review)
        with self.store.transaction() as conn:
            conn.executemany(
                "INSERT INTO experts VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(self.year, version, *r) for r in experts.itertuples(index=False)],
            )
            conn.executemany(
                "INSERT INTO assignments VALUES (?, ?, ?, ?, ?)",
                [(self.year, version, *r) for r in pairs.itertuples(index=False)],
            )
        excluded = int(pairs["excluded_reason"].notna().sum()) if len(pairs) else 0
        self._record(
            actor, "review_experts", f"专家 {len(experts)} 位，回避 {excluded} 对（同市或同单位）"
        )
        return experts

    def write_sheets(self, actor: Viewer, out_dir: Path) -> list[Path]:
        """One score workbook per expert with candidates to score, into `out_dir`."""
        self._require(actor, "run_review", "review sheets")
        version = self._version()
        experts, pairs = self.store.experts(self.year), self.store.assignments(self.year)
        if experts.empty:
            raise ReviewRefused("尚未载入专家名单")
        candidates = self.store.candidates(self.year).set_index("application_id", drop=False)
        secret = self.store.secret()
        written = []
        for expert in experts.to_dict("records"):
            mine = pairs[
                (pairs["expert_id"] == expert["expert_id"]) & pairs["excluded_reason"].isna()
            ]
            if mine.empty:
                continue
            chosen = candidates.loc[list(mine["application_id"])]
            name = f"评分表_{self.year}_{expert['panel']}_{expert['expert_id']}.xlsx"
            target = Path(out_dir) / _safe(name)
            write_sheet(
                self.programme, secret, version, expert, chosen, self.programme.directions, target
            )
            written.append(target)
        self._record(actor, "review_sheets", f"生成评分表 {len(written)} 份")
        return written

    def import_sheet(self, actor: Viewer, data: bytes, file_name: str) -> tuple[str, int, int]:
        """Record one filled sheet, whole or not at all (ReviewRefused naming every problem by sheet,
        row and column); a resubmitted sheet replaces the expert's earlier one, both kept.
        Returns (expert, sheet version, scores)."""
        self._require(actor, "run_review", "review import")
        version = self._version()
        pairs = self.store.assignments(self.year)
        assigned = {
            e: set(g.loc[g["excluded_reason"].isna(), "application_id"])
            for e, g in pairs.groupby("expert_id")
        }
        reading = read_sheet(
            data, file_name, self.programme, self.store.secret(), version, assigned
        )
        if reading.problems:
            self._record(
                actor, "review_import_refused", f"{file_name}：{len(reading.problems)} 处问题"
            )
            raise ReviewRefused("；".join(reading.problems))
        with self.store.transaction() as conn:
            previous = conn.execute(
                "SELECT coalesce(max(sheet_version), 0) FROM sheets WHERE year = ? AND version = ? "
                "AND expert_id = ?",
                (self.year, version, reading.expert_id),
            ).fetchone()[0]
            cursor = conn.execute(
                "INSERT INTO sheets (year, version, expert_id, sheet_version, file_name, sha256, "
                "imported_at, imported_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (self.year, version, reading.expert_id, previous + 1, file_name, reading.sha256,
                 now(), actor_name(actor)),
            )  # fmt: skip
            conn.executemany(
                "INSERT INTO scores VALUES (?, ?, ?, ?, ?)",
                [(cursor.lastrowid, reading.expert_id, a, c, s) for a, c, s in reading.scores],
            )
        again = "（重新提交，替换上一版）" if previous else ""
        self._record(
            actor, "review_import", f"专家 {reading.expert_id} 的评分表第{previous + 1}版{again}"
        )
        return reading.expert_id, previous + 1, len(reading.scores)

    def progress(self) -> dict:
        """Sheets out (experts with candidates to score), back, and the experts still missing."""
        experts, pairs = self.store.experts(self.year), self.store.assignments(self.year)
        sheets = self.store.sheets(self.year)
        missing = scoring.missing_sheets(experts, pairs, sheets) if len(pairs) else []
        sent = (
            len(set(pairs.loc[pairs["excluded_reason"].isna(), "expert_id"])) if len(pairs) else 0
        )
        return {
            "sent": sent,
            "back": sent - len(missing),
            "missing": len(missing),
            "missing_ids": missing,
        }

    def result(self) -> pd.DataFrame:
        """Per candidate: its experts' totals, mean, spread, flagged, rank in panel, proposed."""
        self._version()
        return scoring.compute(
            self.store.candidates(self.year),
            self.store.experts(self.year),
            self.store.assignments(self.year),
            self.store.scores(self.year),
            self.programme.review,
        )

    # -- the public notice --------------------------------------------------------------------------
    def start_notice(self, actor: Viewer, start: dt.date, working_days: int | None = None) -> dict:
        """Publish the proposed list for the public notice from `start`, for the round's (or the
        given) number of China's working days; every sheet must be back."""
        self._require(actor, "run_review", "notice start")
        version = self._version()
        if self.store.notice(self.year) is not None:
            raise ReviewRefused(f"{self.year}年度的公示已开始，不能重复开始")
        progress = self.progress()
        if progress["missing"]:
            raise ReviewRefused(
                f"还有 {progress['missing']} 位专家的评分表未交回（{'、'.join(progress['missing_ids'])}）"
            )
        result = self.result()
        proposed = result[result["proposed"]] if len(result) else result
        if proposed.empty:
            raise ReviewRefused("建议名单为空，无法公示")
        days = working_days or self.programme.review.notice_days
        end = add_working_days(start, days)
        with self.store.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO notices (year, version, start, end, working_days, started_by, "
                "started_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    self.year,
                    version,
                    start.isoformat(),
                    end.isoformat(),
                    days,
                    actor_name(actor),
                    now(),
                ),
            )
            listed = proposed.sort_values(["panel", "rank_in_panel"])
            conn.executemany(
                "INSERT INTO notice_list VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (cursor.lastrowid, i, r.application_id, r.credit_code, r.company_name, r.city,
                     r.county, r.cluster, r.direction, r.panel, r.mean_score)
                    for i, r in enumerate(listed.itertuples(), start=1)
                ],
            )  # fmt: skip
        self._record(
            actor, "notice_start", f"公示 {len(proposed)} 家，{start}至{end}（{days}个工作日）"
        )
        return {"start": start, "end": end, "working_days": days, "companies": len(proposed)}

    def _notice(self) -> dict:
        notice = self.store.notice(self.year)
        if notice is None:
            raise ReviewRefused(f"{self.year}年度尚未开始公示")
        return notice

    def notice_list(self) -> pd.DataFrame:
        return self.store.notice_list(int(self._notice()["id"]))

    def add_objection(
        self,
        actor: Viewer,
        company: str,
        text: str,
        received_at: dt.datetime | None = None,
        raised_by: str = "",
        source: str = "cli",
    ) -> int:
        """Record an objection about a company on the notice list (by name or credit code)."""
        self._require(actor, "run_review", "notice objection")
        notice = self._notice()
        if not (text or "").strip():
            raise ReviewRefused("异议内容不能为空")
        listed = self.store.notice_list(int(notice["id"]))
        wanted = fold_label(company)
        match = listed[
            (listed["credit_code"].map(lambda c: fold_label(c or "")) == wanted)
            | (listed["company_name"].map(lambda c: fold_label(c or "")) == wanted)
        ]
        if match.empty:
            raise ReviewRefused(f"“{company}”不在{self.year}年度的公示名单中")
        application = match.iloc[0]["application_id"]
        received = (received_at or dt.datetime.now(ZONE)).isoformat(timespec="minutes")
        with self.store.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO objections (year, notice_id, application_id, received_at, text, "
                "raised_by, recorded_by, recorded_at, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (self.year, int(notice["id"]), application, received, text.strip()[:2000],
                 (raised_by or "").strip()[:100], actor_name(actor), now(), source),
            )  # fmt: skip
            number = int(cursor.lastrowid)
        self._record(actor, "objection_add", f"异议 {number}：{match.iloc[0]['company_name']}")
        return number

    def import_objections(self, actor: Viewer, path: Path) -> list[int]:
        """The objections of an inbox list (`review/objections.*`): each not recorded yet."""
        listed, problems = read_list(path, self.programme, "objections")
        if problems:
            raise ReviewRefused("；".join(problems))
        known = self.store.objections(self.year)
        seen = (
            set(zip(known["application_id"], known["text"], strict=True)) if len(known) else set()
        )
        added, refused = [], []
        notice_list = self.notice_list()
        for row in listed.to_dict("records"):
            company = row.get("credit_code") or row.get("company_name") or ""
            match = notice_list[
                (notice_list["credit_code"] == company) | (notice_list["company_name"] == company)
            ]
            if len(match) and (match.iloc[0]["application_id"], row["text"].strip()) in seen:
                continue
            try:
                received = (
                    dt.datetime.fromisoformat(row["received_at"])
                    if row.get("received_at")
                    else None
                )
            except ValueError:
                received = None
            try:
                added.append(
                    self.add_objection(
                        actor, company, row["text"], received, row.get("raised_by", ""), "inbox"
                    )
                )
            except ReviewRefused as problem:
                refused.append(f"第{row['source_row']}行：{problem}")
        if refused:
            raise ReviewRefused(f"已记录 {len(added)} 条；未记录：" + "；".join(refused))
        return added

    def decide_objection(self, actor: Viewer, number: int, upheld: bool, reason: str) -> None:
        """The province's decision on an objection: upheld (the company leaves the list) or
        dismissed, with the reason."""
        self._require(actor, "run_review", "objection decide")
        if not (reason or "").strip():
            raise ReviewRefused("请写明处理理由")
        known = self.store.objections(self.year)
        if number not in set(known["id"]):
            raise ReviewRefused(f"没有编号为 {number} 的异议")
        if self.store.certified(self.year).shape[0]:
            raise ReviewRefused(f"{self.year}年度已认定，异议的处理不能再改")
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO objection_decisions (objection_id, decision, reason, decided_by, "
                "decided_at) VALUES (?, ?, ?, ?, ?)",
                (
                    number,
                    "upheld" if upheld else "dismissed",
                    reason.strip()[:500],
                    actor_name(actor),
                    now(),
                ),
            )
        what = "异议成立" if upheld else "异议不成立"
        self._record(actor, "objection_decide", f"异议 {number}：{what}，{reason.strip()}")

    # -- certification ---------------------------------------------------------------------------------
    def certify(self, actor: Viewer, today: dt.date | None = None) -> pd.DataFrame:
        """Once the notice has ended and every objection is decided: the notice list without the
        companies an upheld objection removed is certified (recorded; the next run makes them
        certified in the warehouse and leaders from this round). Returns the certified list."""
        self._require(actor, "run_review", "certify")
        notice = self._notice()
        today = today or dt.datetime.now(ZONE).date()
        end = dt.date.fromisoformat(notice["end"])
        if today <= end:
            raise ReviewRefused(f"公示期至{end}结束，{today}尚不能认定")
        objections = self.store.objections(self.year)
        undecided = objections[objections["decision"].isna()] if len(objections) else objections
        if len(undecided):
            raise ReviewRefused(
                f"还有 {len(undecided)} 条异议未处理（编号 {'、'.join(map(str, undecided['id']))}）"
            )
        if len(self.store.certified(self.year)):
            raise ReviewRefused(f"{self.year}年度已认定")
        removed = (
            set(objections.loc[objections["decision"] == "upheld", "application_id"])
            if len(objections)
            else set()
        )
        listed = self.store.notice_list(int(notice["id"]))
        chosen = listed[~listed["application_id"].isin(removed)]
        at = now()
        with self.store.transaction() as conn:
            conn.executemany(
                "INSERT INTO certifications (year, notice_id, application_id, credit_code, "
                "company_name, city, county, cluster, direction, certified_at, decided_by) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (self.year, int(notice["id"]), r.application_id, r.credit_code, r.company_name,
                     r.city, r.county, r.cluster, r.direction, at, actor_name(actor))
                    for r in chosen.itertuples()
                ],
            )  # fmt: skip
        self._record(actor, "certify", f"认定 {len(chosen)} 家（异议成立移出 {len(removed)} 家）")
        return self.store.certified(self.year)

    # -- the leaders' yearly check ------------------------------------------------------------------------
    def unit_leaders(self, actor: Viewer, unit: str) -> pd.DataFrame:
        """The unit's leaders now (active), for its check (a city bureau: its own unit only)."""
        self._require(actor, "submit_leader_check", "leaders check-template", unit)
        return self._query(
            "SELECT credit_code, company_name, cluster, since_year FROM main.leaders "
            "WHERE status = 'active' AND city = ? ORDER BY since_year, company_name",
            [unit],
        )

    def import_check(self, actor: Viewer, data: bytes, file_name: str, unit: str) -> int:
        """A unit's filled check, whole or not at all: every leader of the unit once, each 正常 or
        建议调整, a reason for each adjustment. Returns the leaders checked."""
        self._require(actor, "submit_leader_check", "leaders check-import", unit)
        leaders = self.unit_leaders(actor, unit).set_index("credit_code", drop=False)
        rows, problems = _check_rows(data, file_name)
        seen: set[str] = set()
        taken = []
        for number, code, result, reason in rows:
            where = f"工作表“核查表”第{number}行"
            if code not in leaders.index:
                problems.append(f"{where}：{code} 不是{unit}的领跑者企业")
                continue
            if code in seen:
                problems.append(f"{where}：{code} 出现了两次")
                continue
            seen.add(code)
            chosen = {v: k for k, v in CHECK_RESULTS.items()}.get(result)
            if chosen is None:
                problems.append(f"{where}“核查结果”列：“{result}”应为“正常”或“建议调整”")
            elif chosen == "adjust" and not reason:
                problems.append(f"{where}“原因”列：建议调整须写明原因")
            else:
                taken.append((code, chosen, reason))
        for code in sorted(set(leaders.index) - seen):
            problems.append(f"核查表缺少领跑者企业 {leaders.loc[code, 'company_name']}（{code}）")
        if problems:
            self._record(
                actor, "leader_check_refused", f"{unit} {file_name}：{len(problems)} 处问题"
            )
            raise ReviewRefused("；".join(problems))
        at = now()
        with self.store.transaction() as conn:
            conn.executemany(
                "INSERT INTO leader_checks (year, unit, credit_code, company_name, cluster, "
                "since_year, result, reason, file_name, submitted_by, submitted_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (self.year, unit, code, leaders.loc[code, "company_name"],
                     leaders.loc[code, "cluster"], _plain(leaders.loc[code, "since_year"]),
                     result, reason or None, file_name, actor_name(actor), at)
                    for code, result, reason in taken
                ],
            )  # fmt: skip
        adjust = sum(1 for _, r, _ in taken if r == "adjust")
        self._record(actor, "leader_check", f"{unit}核查 {len(taken)} 家，建议调整 {adjust} 家")
        return len(taken)

    def confirm_adjustments(self, actor: Viewer) -> pd.DataFrame:
        """The province confirms every proposed adjustment not confirmed yet: those leaders leave
        the leaders from this round (with the reason). Returns what was confirmed."""
        self._require(actor, "confirm_adjustments", "leaders adjust")
        checks = self.store.leader_checks(self.year)
        pending = (
            checks[(checks["result"] == "adjust") & checks["confirmed_by"].isna()]
            if len(checks)
            else checks
        )
        at = now()
        with self.store.transaction() as conn:
            conn.executemany(
                "INSERT INTO adjustments (year, check_id, credit_code, reason, confirmed_by, "
                "confirmed_at) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (self.year, int(r.id), r.credit_code, r.reason, actor_name(actor), at)
                    for r in pending.itertuples()
                ],
            )
        self._record(actor, "leaders_adjust", f"确认调整 {len(pending)} 家")
        return pending


def _plain(value: object) -> object:
    """A value as JSON and SQLite keep it: None for NaN, Python numbers."""
    if value is None:
        return None
    try:
        if value != value:
            return None
    except (TypeError, ValueError):
        return value
    if hasattr(value, "item"):
        return value.item()
    return value


def _safe(name: str) -> str:
    return "".join("_" if c in '\\/:*?"<>|' else c for c in name)


def _expert_problems(listed: pd.DataFrame, path: Path) -> list[str]:
    problems = []
    if listed.empty:
        return [f"文件“{Path(path).name}”：没有专家"]
    for row in listed.to_dict("records"):
        where = f"文件“{Path(path).name}”第{row['source_row']}行"
        for column, label in (("expert_id", "专家编号"), ("name", "姓名"), ("panel", "评审组")):
            if not row.get(column):
                problems.append(f"{where}：缺少{label}")
    duplicated = listed["expert_id"][listed["expert_id"].duplicated()]
    problems += [f"文件“{Path(path).name}”：专家编号 {e} 重复" for e in sorted(set(duplicated))]
    return problems


def _check_rows(data: bytes, file_name: str) -> tuple[list[tuple[int, str, str, str]], list[str]]:
    """(row number, credit code, result, reason) of each filled row of a leader-check workbook."""
    from io import BytesIO

    import openpyxl

    try:
        workbook = openpyxl.load_workbook(BytesIO(data), data_only=True)
    except Exception:
        return [], [f"“{file_name}”不是可读取的 .xlsx 核查表"]
    if "核查表" not in workbook.sheetnames:
        return [], [f"“{file_name}”中没有“核查表”工作表"]
    rows = [list(r) for r in workbook["核查表"].iter_rows(values_only=True)]
    header_at = next((i for i, r in enumerate(rows) if r and "统一社会信用代码" in r), None)
    if header_at is None:
        return [], ["工作表“核查表”：找不到表头（“统一社会信用代码”）"]
    header = [str(v).strip() if v is not None else "" for v in rows[header_at]]
    absent = [h for h in ("统一社会信用代码", "核查结果", "原因") if h not in header]
    if absent:
        return [], [f"工作表“核查表”：缺少“{'”“'.join(absent)}”列"]
    code_at, result_at, reason_at = (
        header.index(h) for h in ("统一社会信用代码", "核查结果", "原因")
    )
    found = []
    for number, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        code = str(row[code_at] or "").strip() if code_at < len(row) else ""
        if not code:
            continue
        result = str(row[result_at] or "").strip() if result_at < len(row) else ""
        reason = str(row[reason_at] or "").strip() if reason_at < len(row) else ""
        found.append((number, code, result, reason))
    return found, []


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def published(close: Close, kind: str) -> tuple[pd.DataFrame, str, str, str, bool]:
    """A published list of the round: (rows, title, introduction, closing line, grouped by unit)
    for `notice` (the proposed list in the public notice), `certified` or `adjusted`."""
    from lingpao.review.documents import cn_day

    programme, year = close.programme, close.year
    if kind == "notice":
        notice = close._notice()
        frame = close.notice_list()
        start, end = dt.date.fromisoformat(notice["start"]), dt.date.fromisoformat(notice["end"])
        intro = (
            f"经企业申报、县级审核、市级推荐和专家评审，现将拟认定的{len(frame)}家“领跑者”企业名单"
            f"予以公示。公示期为{cn_day(start)}至{cn_day(end)}（{notice['working_days']}个工作日）。"
            "如有异议，请在公示期内以书面形式向河北省工业和信息化厅反映，并写明异议的企业和理由。"
        )
        return (
            frame,
            f"{year}年度{programme.title}拟认定名单",
            intro,
            f"河北省工业和信息化厅　{cn_day(start)}",
            False,
        )
    if kind == "certified":
        frame = close.store.certified(year)
        if frame.empty:
            raise ReviewRefused(f"{year}年度尚未认定")
        on = dt.datetime.fromisoformat(frame["certified_at"].iloc[0]).date()
        intro = f"共{len(frame)}家，按所属市排列。"
        return (
            frame,
            f"{year}年度{programme.title}名单",
            intro,
            f"河北省工业和信息化厅　{cn_day(on)}",
            True,
        )
    if kind == "adjusted":
        frame = close.store.adjustments(year)
        if frame.empty:
            raise ReviewRefused(f"{year}年度没有已确认的领跑者调整")
        frame = frame.rename(columns={"unit": "city"}).assign(county=None, direction=None)
        intro = f"经各市核查、省级确认，{len(frame)}家企业不再符合“领跑者”企业条件，予以调整。"
        on = dt.datetime.fromisoformat(frame["confirmed_at"].iloc[-1]).date()
        return (
            frame,
            f"{year}年度“领跑者”企业调整名单",
            intro,
            f"河北省工业和信息化厅　{cn_day(on)}",
            True,
        )
    raise ValueError(kind)
