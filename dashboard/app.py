"""Lingpao dashboard entry point: page navigation for the programme's audiences, and the shared filters."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run dashboard/app.py` from anywhere
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboard.common import sidebar_filters  # noqa: E402

VIEWS = ROOT / "dashboard" / "views"
st.set_page_config(
    page_title="领跑者申报数据平台",
    page_icon=str(ROOT / "dashboard" / "static" / "favicon.png"),
    layout="wide",
)


def view(name: str, title: str, icon: str, default: bool = False) -> st.Page:
    return st.Page(
        VIEWS / f"{name}.py", title=title, icon=f":material/{icon}:", url_path=name, default=default
    )


navigation = st.navigation(
    {
        "省级工作": [
            view("progress", "总览", "monitoring", default=True),
            view("quality", "数据质量", "fact_check"),
            view("shortlist", "专家评审", "workspace_premium"),
        ],
        "数据管理": [view("queue", "数据治理", "edit_note")],
        "领导": [view("clusters", "集群", "factory")],
    }
)
sidebar_filters()
navigation.run()
