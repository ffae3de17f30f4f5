"""The dashboard's hands: the viewer's Desk (checked and audited below the page) and on-click downloads."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from assets.corrections.actions import Desk
from dashboard import data
from dashboard.access import viewer
from dashboard.runs import request_run

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
    """A download button whose file is built only when clicked, if the viewer may have it.

    The check is made again when the file is built (`Desk.download`), and the download audited."""
    if not viewer().may(action, unit):
        return
    hands = desk()
    st.download_button(
        label,
        data=lambda: hands.download(action, unit, file_name, build),
        file_name=file_name,
        mime=mime,
        key=key,
        on_click="ignore",
    )
