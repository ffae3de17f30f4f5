"""Lingpao dashboard entry point: page navigation for the programme's audiences."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run dashboard/app.py` from anywhere
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

PAGES = ROOT / "dashboard" / "views"
st.set_page_config(
    page_title="领跑者申报数据平台",
    page_icon=str(ROOT / "dashboard" / "static" / "favicon.png"),
    layout="wide",
)

navigation = st.navigation(
    {
        "省级工作": [
            st.Page(
                PAGES / "progress.py",
                title="总览",
                icon=":material/monitoring:",
                url_path="progress",
                default=True,
            ),
            st.Page(
                PAGES / "quality.py",
                title="数据质量",
                icon=":material/fact_check:",
                url_path="quality",
            ),
            st.Page(
                PAGES / "shortlist.py",
                title="专家评审",
                icon=":material/workspace_premium:",
                url_path="shortlist",
            ),
        ],
        "领导": [
            st.Page(
                PAGES / "clusters.py", title="集群", icon=":material/factory:", url_path="clusters"
            )
        ],
    }
)
from dashboard.common import sidebar_filters  # noqa: E402

sidebar_filters()
navigation.run()
