"""Lingpao dashboard entry point: sign-in, the viewer's pages (by role), and the shared filters."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `streamlit run lingpao/dashboard/app.py` from anywhere
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from lingpao.access.roles import PAGE_TITLES, PAGES  # noqa: E402
from lingpao.dashboard.access import sign_in, sign_out_control  # noqa: E402
from lingpao.dashboard.common import sidebar_filters  # noqa: E402

VIEWS = ROOT / "lingpao" / "dashboard" / "views"
# Tables offer no CSV download or copy of their own (it would bypass the audit log and the role's
# download rights, and keep formulas): every export is a checked, audited download button.
st.set_option("client.disableDataExport", True)
st.set_page_config(
    page_title="领跑者申报数据平台",
    page_icon=str(ROOT / "lingpao" / "dashboard" / "static" / "favicon.png"),
    layout="wide",
)

viewer = sign_in()
st.session_state["viewer"] = viewer
allowed = PAGES[viewer.role]
SECTIONS = {
    "申报与评审": [
        ("progress", "总览", "monitoring"),
        ("applications", "申报列表", "list_alt"),
        ("quality", "数据质量", "fact_check"),
        ("shortlist", "专家评审名单", "workspace_premium"),
        ("review", "评审与认定", "verified"),
    ],
    "数据管理": [("queue", "数据治理", "edit_note")],
    "市级报送": [("citydesk", "上报汇总表", "upload_file")],
    "产业集群": [("clusters", "集群", "factory")],
    "历年": [("rounds", "历年对比", "timeline"), ("company", "企业档案", "apartment")],
}
HIDDEN = {"record"}  # opened from a list or a table, never from the menu


def not_allowed() -> None:
    """A page this role may not open: said plainly, in Chinese (never Streamlit's "Page not found")."""
    st.title("无权查看此页")
    st.info(f"{viewer.label}无权查看此页面。请从左侧菜单选择可查看的页面。")


def view(name: str, title: str, icon: str) -> st.Page:
    if name not in allowed:
        return st.Page(
            not_allowed, title=title, url_path=name, visibility="hidden", icon=f":material/{icon}:"
        )
    return st.Page(
        VIEWS / f"{name}.py",
        title=title,
        icon=f":material/{icon}:",
        url_path=name,
        default=name == "progress",
        visibility="hidden" if name in HIDDEN else "visible",
    )


shown_pages: dict[str, list] = {}
hidden_pages = [view("record", PAGE_TITLES["record"], "description")]
for section, views in SECTIONS.items():
    for name, title, icon in views:
        target = shown_pages.setdefault(section, []) if name in allowed else hidden_pages
        target.append(view(name, title, icon))
navigation = st.navigation({**shown_pages, "": hidden_pages} if hidden_pages else shown_pages)
st.sidebar.text(viewer.label)  # text, never markdown: names come from the users file
sign_out_control(viewer)
if viewer.via == "local":
    st.info(
        "本机模式：尚未配置用户文件，本平台只允许在服务器本机访问，访问者视为省级工作人员。"
        "开通多人访问请先添加用户（lingpao users add）。",
        icon=":material/computer:",
    )
sidebar_filters()
navigation.run()
