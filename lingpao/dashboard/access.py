"""Sign-in on the dashboard: who the viewer of this session is, resolved the same way in every mode.

The rules live in `assets/access/` (the users file, passwords, throttling, the trusted header);
this module only draws the sign-in form and keeps the session. It fails closed: a bad setting or
users file, an unknown account or a request from elsewhere in local mode shows a message and no data.
"""

from __future__ import annotations

import logging
from urllib.parse import quote, urlsplit

import streamlit as st

from lingpao.access.audit import AuditDamaged, AuditLog
from lingpao.access.sessions import COOKIE, Sessions, SessionsDamaged
from lingpao.access.signin import (
    SignInSettings,
    SignInSettingsError,
    header_identity,
    header_refusal,
    local_viewer,
    oidc_id,
    server_believes_forwarding,
    viewer_from_header,
    viewer_from_oidc,
)
from lingpao.access.users import UsersFileError, load_users
from lingpao.access.viewer import Viewer
from lingpao.dashboard import data

log = logging.getLogger("lingpao.dashboard")


def _stop(message: str) -> None:
    st.error(message)
    st.stop()


def client_address() -> str | None:
    """The client's IP address; None for this machine (Streamlit documents `str | None`; a test
    harness without a network connection gives neither)."""
    address = st.context.ip_address
    return address if isinstance(address, str) else None


def _headers() -> dict:
    try:
        return dict(st.context.headers)
    except Exception:  # no HTTP request behind this session (a test harness)
        return {}


def _user_info() -> dict:
    try:
        return st.user.to_dict()
    except Exception:  # no identity provider configured
        return {}


def _audit_once(audit: AuditLog, viewer: Viewer, address: str | None) -> None:
    """One `signin` entry per browser session for identity-provider and gateway sign-ins."""
    if st.session_state.get("signin_audited") != viewer.id:
        audit.record("signin", viewer, address=address or "127.0.0.1")
        st.session_state["signin_audited"] = viewer.id


def _refused_once(audit: AuditLog, who: str, detail: str, address: str | None) -> None:
    """One `signin_failed` entry per browser session for a refused gateway sign-in."""
    if st.session_state.get("signin_refused") != (who, detail):
        audit.record("signin_failed", who=who, detail=detail, address=address or "127.0.0.1")
        st.session_state["signin_refused"] = (who, detail)


def wanted_link() -> str:
    """The page and filters this browser asked for (its path and query), to come back to."""
    parts = urlsplit(st.context.url or "")
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _to_sign_in(message: str) -> None:
    st.title("领跑者申报数据平台")
    st.info(message)
    st.link_button("登录", "/signin?next=" + quote(wanted_link(), safe=""), type="primary")
    st.stop()


def _cookie() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # no HTTP request behind this session (a test harness)
        return None
    return value if isinstance(value, str) and value else None


def _password_viewer(users, settings: SignInSettings, layout) -> Viewer:
    """The viewer of the signed session this browser's cookie names (every tab and reload of it),
    else the way to the sign-in page."""
    try:
        viewer, why = Sessions(layout.sessions, layout.session_key).resolve(
            _cookie(), users, settings.session_hours, settings.idle_minutes
        )
    except SessionsDamaged as error:
        log.error("sessions: %s", error)
        _stop("会话记录无法读取，修复前不允许登录。请管理员查看服务器日志。")
    if viewer is None:
        _to_sign_in("请先登录。" if why == "未登录" else f"{why}，请重新登录。")
    return viewer


def sign_in() -> Viewer:
    """The viewer of this session; draws the sign-in form or a refusal (and stops) otherwise."""
    if server_believes_forwarding():
        log.error(
            "the web server believes X-Forwarded-For: start the dashboard with lingpao dashboard"
        )
        _stop(
            "仪表盘的启动方式不安全（网页服务器会采信客户端自报的地址），修复前不显示任何数据。"
            "请管理员用 lingpao dashboard 启动。"
        )
    try:
        settings = SignInSettings.from_environment()
    except SignInSettingsError as error:
        log.error("sign-in settings: %s", error)
        _stop(f"登录设置有误，修复前不显示任何数据：{error}")
    layout = data.layout()
    try:
        users = load_users(layout.users, data.programme().units)
    except UsersFileError as error:  # the details (ids, the path) are for the server's log only
        log.error("users file: %s", error)
        _stop(
            "用户文件有误，修复前不显示任何数据。"
            "请管理员查看服务器日志，或在服务器上运行 lingpao users list。"
        )
    try:
        return _resolve(settings, users, layout)
    except AuditDamaged as error:
        log.error("audit log: %s", error)
        _stop("审计日志无法写入，修复前不允许登录。请管理员查看服务器日志。")


def _resolve(settings: SignInSettings, users, layout) -> Viewer:
    address = client_address()
    if users is None:
        viewer = local_viewer(address)
        if viewer is None:
            _stop(
                "未配置用户文件：本平台只允许在服务器本机（127.0.0.1）访问。"
                "请管理员先添加用户（lingpao users add）。"
            )
        return viewer
    audit = AuditLog(layout.audit)
    info = _user_info()
    if info.get("is_logged_in"):
        viewer = viewer_from_oidc(info, users)
        if viewer is None:
            audit.record(
                "signin_failed", who=oidc_id(info), detail="统一身份认证账号未开通", address=address
            )
            st.error("您的账号未开通本平台的访问权限，请联系省工信厅数据管理员。")
            st.button("退出登录", on_click=st.logout, key="oidc_logout")
            st.stop()
        _audit_once(audit, viewer, address)
        return viewer
    if settings.mode == "header":
        headers = _headers()
        viewer = viewer_from_header(headers, address, settings, users)
        if viewer is None:
            _refused_once(
                audit,
                header_identity(headers, settings),
                header_refusal(address, settings),
                address,
            )
            _stop("未能通过单点登录网关识别您的账号，或账号未开通本平台的访问权限。")
        _audit_once(audit, viewer, address)
        return viewer
    if settings.mode == "oidc":
        st.title("领跑者申报数据平台")
        st.button("使用统一身份认证登录", on_click=st.login, key="oidc_login")
        st.stop()
    return _password_viewer(users, settings, layout)


def sign_out_control(viewer: Viewer) -> None:
    """The sidebar's sign-out: a password session is ended on the server, so every tab and link
    of it signs in again; an identity-provider session through the provider."""
    if viewer.via == "password" and st.sidebar.button("退出登录", key="signout"):
        layout = data.layout()
        Sessions(layout.sessions, layout.session_key).end(_cookie())
        AuditLog(layout.audit).record("signout", viewer)
        _to_sign_in("已退出登录。")
    elif viewer.via == "oidc":
        st.sidebar.button("退出登录", on_click=st.logout, key="signout")


def viewer() -> Viewer:
    """The viewer the entry point resolved for this run."""
    return st.session_state["viewer"]
