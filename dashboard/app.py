"""Lingpao dashboard entry point: the viewer's pages (by role), and the filters shared by every page."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run dashboard/app.py` from anywhere
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from assets.users import ROLES  # noqa: E402
from dashboard.access import PAGES_FOR, current_viewer  # noqa: E402
from dashboard.common import sidebar_filters  # noqa: E402

VIEWS = ROOT / "dashboard" / "views"
st.set_page_config(
    page_title="领跑者申报数据平台",
    page_icon=str(ROOT / "dashboard" / "static" / "favicon.png"),
    layout="wide",
)

viewer = current_viewer()
if viewer is None:
    st.error("您的账号未开通本平台的访问权限，请联系省工信厅数据管理员（lingpao users add）。")
    st.stop()
st.session_state["viewer"] = viewer
allowed = PAGES_FOR[viewer.role]
SECTIONS = {
    "省级工作": [
        ("progress", "总览", "monitoring"),
        ("quality", "数据质量", "fact_check"),
        ("shortlist", "专家评审", "workspace_premium"),
    ],
    "数据管理": [("queue", "数据治理", "edit_note")],
    "领导": [("clusters", "集群", "factory")],
}
pages = {
    section: [
        st.Page(
            VIEWS / f"{name}.py",
            title=title,
            icon=f":material/{icon}:",
            url_path=name,
            default=name == "progress",
        )
        for name, title, icon in views
        if name in allowed
    ]
    for section, views in SECTIONS.items()
}
navigation = st.navigation({section: views for section, views in pages.items() if views})
st.sidebar.caption(
    f"{viewer.name or '访客'} · {ROLES[viewer.role]}{'（' + viewer.unit + '）' if viewer.unit else ''}"
)
sidebar_filters()
navigation.run()
