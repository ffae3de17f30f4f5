"""The dashboard's hands: the viewer's Desk (checked and audited below the page) and download buttons."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from lingpao.dashboard import data
from lingpao.dashboard.access import viewer
from lingpao.dashboard.runs import request_run
from lingpao.desk import Desk

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def desk() -> Desk:
    layout = data.layout()
    return Desk(
        layout,
        viewer(),
        data.programme(),
        start_run=lambda who, why: request_run(layout, who, why),
    )


def download(
    label: str,
    action: str,
    unit: str | None,
    build: Callable[[], bytes],
    file_name: str,
    key: str,
    mime: str = XLSX,
) -> None:
    """A download button, shown if the viewer may have the file; the file is built only when
    clicked, by the page's query (`lingpao.queries`), which checks the right again and audits it."""
    if not viewer().may(action, unit):
        return
    st.download_button(
        label,
        data=build,
        file_name=file_name,
        mime=mime,
        key=key,
        on_click="ignore",
    )
