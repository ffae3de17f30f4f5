"""What people do from the dashboard: correct, waive, reopen, propose, accept or reject a proposal,
check and submit a city table, roll a table back, start a re-check. Each is refused below the page when the actor may not (the store checks every
write), and each is written to the audit log with who, role and time."""

from __future__ import annotations

from collections.abc import Callable

from lingpao.access.audit import AuditLog
from lingpao.access.roles import Forbidden
from lingpao.access.viewer import Viewer
from lingpao.citydesk.submission import check_upload, submit_upload
from lingpao.citydesk.table_check import TableCheck
from lingpao.citydesk.versions import TableVersions, Version, VersionRefused
from lingpao.corrections.records import correction_for, decision_for, proposal_for
from lingpao.corrections.store import CorrectionStore, StoreDamaged
from lingpao.foundation.layout import Layout
from lingpao.foundation.programme import Programme
from lingpao.ingest.inbox import round_folder
from lingpao.warehouse.connection import connect_read_only
from lingpao.warehouse.rounds import enter_round

RunStarter = Callable[[str, str], object]  # (who, why): ask for a run, by the entry point's means


class Desk:
    """One viewer's hands on the data: the store, the served warehouse and the audit log.

    `start_run(who, why)` asks for a re-check; the entry point that builds the desk says how (the
    dashboard starts a queued runner in the background; the command line runs it itself). Without
    one, nothing is started."""

    def __init__(
        self,
        layout: Layout,
        actor: Viewer,
        programme: Programme,
        start_run: RunStarter | None = None,
    ) -> None:
        self.layout, self.actor, self.programme = layout, actor, programme
        self.store = CorrectionStore(layout.corrections, layout.backups, layout.readable())
        self.audit = AuditLog(layout.audit)
        self.versions = TableVersions(round_folder(layout.inbox, programme.year), programme)
        self._start_run = start_run
        self.ticket: object = None  # the last run asked for, as the entry point tracks it

    def _guarded(self, event: str, detail: str, action) -> str | None:
        """Run an action; a refusal or a bad value becomes the message shown, and is audited."""
        try:
            action()
        except Forbidden as refusal:
            self.audit.record("refused", self.actor, f"{event}: {refusal}")
            return str(refusal)
        except (ValueError, StoreDamaged, VersionRefused) as problem:
            return str(problem)
        self.audit.record(event, self.actor, detail)
        return None

    def _served(self):
        database = self.layout.readable()
        if database is None:
            raise ValueError("尚无数据：请先运行 lingpao run")
        return enter_round(connect_read_only(database), self.programme.year)

    def correct(self, issue: dict, field: str, new_value: str, reason: str) -> str | None:
        """Record a correction and mark the issue fixed; the reason it cannot be, or None."""
        with self._served() as conn:
            made = correction_for(conn, self.programme, issue, field, new_value, reason)
        if isinstance(made, str):
            return made
        return self._guarded(
            "correction",
            f"{issue['record_key']} {field}: “{made[0].old_value}” → “{made[0].new_value}”",
            lambda: self.store.record(self.actor, [made[0]], [made[1]]),
        )

    def decide(self, issue: dict, decision: str, reason: str) -> str | None:
        """Record a waiver (a reason is required) or a reopening; the reason it cannot be, or None."""
        if decision == "waived" and not (reason or "").strip():
            return "忽略问题必须填写原因"
        entry = decision_for(issue, decision, reason or "重新打开")
        return self._guarded(
            "decision",
            f"{issue['record_key']} {issue['rule']}: {decision}",
            lambda: self.store.record(self.actor, decisions=[entry]),
        )

    def propose(self, issue: dict, field: str, new_value: str, reason: str) -> str | None:
        """Record a city bureau's proposal (nothing changes until a steward accepts it)."""
        with self._served() as conn:
            made = proposal_for(conn, self.programme, issue, field, new_value, reason)
        if isinstance(made, str):
            return made
        return self._guarded(
            "proposal",
            f"{issue['record_key']} {field}: → “{made.correction.new_value}”",
            lambda: self.store.propose(self.actor, made),
        )

    def settle(self, proposal_id: int, accept: bool, reason: str) -> str | None:
        """Accept (a correction naming both people) or reject a pending proposal."""
        return self._guarded(
            "proposal_decision",
            f"建议 {proposal_id}: {'accepted' if accept else 'rejected'}",
            lambda: self.store.settle_proposal(self.actor, proposal_id, accept, reason),
        )

    def check_table(self, unit: str, name: str, data: bytes) -> TableCheck:
        """What the rules would raise for an uploaded table as `unit`'s (nothing is kept)."""
        self.actor.require("submit_table", unit)
        scope = self.actor.scope.unit  # a city bureau's check sees its own unit's platform only
        return check_upload(data, name, self.programme, self.layout.readable(), unit, scope)

    def submit_table(
        self, unit: str, name: str, data: bytes, recheck: bool = True
    ) -> tuple[str | None, TableCheck | None, Version | None]:
        """Check an uploaded table and keep it as the unit's next version, then start a re-check
        (`recheck`): (why not, or None; what the check found; the version kept)."""
        try:
            check, version = submit_upload(
                self.versions, self.actor, unit, data, name, self.layout.readable()
            )
        except Forbidden as refusal:
            self.audit.record("refused", self.actor, f"submit_table: {refusal}")
            return str(refusal), None, None
        except ValueError as problem:  # VersionRefused: unreadable, another unit, too large
            return str(problem), None, None
        late = "（逾期）" if version.late else ""
        self.audit.record("submit_table", self.actor, f"{unit} 第{version.version}版{late} {name}")
        if recheck:  # the submission's own consequence, whoever may start runs
            self._launch_run(f"{unit}上报第{version.version}版汇总表")
        return None, check, version

    def rollback_table(self, unit: str, version: int, recheck: bool = True) -> str | None:
        """Make an earlier version the unit's table again and start a re-check; why not, or None."""
        problem = self._guarded(
            "rollback_table",
            f"{unit} 回退到第{version}版",
            lambda: self.versions.rollback(self.actor, unit, version),
        )
        if problem is None and recheck:
            self._launch_run(f"{unit}回退到第{version}版汇总表")
        return problem

    def start_run(self) -> str | None:
        """Ask for a re-check (taken up with any others waiting); the refusal, or None."""
        try:
            self.actor.require("run")
        except Forbidden as refusal:
            self.audit.record("refused", self.actor, f"run: {refusal}")
            return str(refusal)
        self._launch_run("从仪表盘重新检查")
        self.audit.record("run", self.actor, "从仪表盘重新检查")
        return None

    def _launch_run(self, why: str) -> None:
        """Ask for a run by the entry point's means; its ticket (to watch it through) is kept."""
        if self._start_run is not None:
            self.ticket = self._start_run(self.actor.label, why)
