"""The steward's actions from the dashboard: who acts, and recording corrections and decisions."""

from __future__ import annotations

import os
import subprocess
import sys

import streamlit as st

from assets.corrections.records import correction_for, decision_for
from assets.corrections.store import CorrectionStore, store_path
from assets.warehouse import connect_read_only
from dashboard import data
from dashboard.access import viewer
from pipelines.programme import PROJECT_ROOT
from pipelines.resources import warehouse_path
from pipelines.runlock import is_running


def store() -> CorrectionStore:
    return CorrectionStore(store_path(warehouse_path()))


def operator() -> str:
    """The signed-in viewer's name, else the name typed in the sidebar (required to act)."""
    known = viewer().name or viewer().id
    if known:
        return known
    return st.sidebar.text_input("操作人（必填）", key="operator").strip()


def correct(issue: dict, field: str, new_value: str, reason: str, who: str) -> str | None:
    """Record a correction and mark the issue fixed; the reason it cannot be, or None."""
    if not who:
        return "请先在侧栏填写操作人"
    database = data.database_file()
    with connect_read_only(database) as conn:
        made = correction_for(conn, data.programme(), issue, field, new_value, reason)
    if isinstance(made, str):
        return made
    store().record(who, [made[0]], [made[1]])
    return None


def decide(issue: dict, decision: str, reason: str, who: str) -> str | None:
    """Record a waiver (a reason is required) or a reopening; the reason it cannot be, or None."""
    if not who:
        return "请先在侧栏填写操作人"
    if decision == "waived" and not (reason or "").strip():
        return "忽略问题必须填写原因"
    store().record(who, decisions=[decision_for(issue, decision, reason or "重新打开")])
    return None


def start_recheck() -> bool:
    """Start `lingpao run` in the background unless a run is in progress; True if started."""
    warehouse = warehouse_path()
    if is_running(warehouse):
        return False
    subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "run", "--warehouse", str(warehouse)],
        cwd=PROJECT_ROOT,
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return True
