"""Lingpao dashboard entry point: page navigation for the programme's audiences."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run dashboard/app.py` from anywhere
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

st.set_page_config(page_title="领跑者申报数据平台", page_icon="📊", layout="wide")

PAGES = [
    st.Page(
        str(ROOT / "dashboard" / "pages" / "progress.py"),
        title="总览",
        icon="📈",
        url_path="progress",
        default=True,
    ),
]
st.navigation(PAGES).run()
