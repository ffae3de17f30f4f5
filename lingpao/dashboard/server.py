"""The dashboard's web server: Streamlit's app (`app.py`) behind the sign-in page of password mode.

`lingpao dashboard` runs this file (`streamlit run` finds the `st.App` below and serves it with
uvicorn, which takes no `X-Forwarded-For` from anyone: `FORWARDED_ALLOW_IPS` is empty). In password
mode the browser signs in here, on a plain page of our own (`/signin`, no script, nothing loaded
from elsewhere): a right password starts a server-side session (`lingpao.access.sessions`) and sets
a signed, HttpOnly cookie naming it, then sends the browser on to the page its link asked for. A
page opened without a live session is sent to the sign-in page first, its link kept. The pages
themselves check the session again on every run (`access.py`): the cookie is the only key.
"""

from __future__ import annotations

import functools
import html
import sys
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `streamlit run lingpao/dashboard/server.py` from anywhere
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import HTMLResponse, RedirectResponse, Response  # noqa: E402
from starlette.routing import Route  # noqa: E402

from lingpao.access.audit import AuditDamaged, AuditLog  # noqa: E402
from lingpao.access.roles import PAGE_TITLES  # noqa: E402
from lingpao.access.sessions import COOKIE, Sessions, SessionsDamaged  # noqa: E402
from lingpao.access.signin import (  # noqa: E402
    SignInSettings,
    SignInSettingsError,
    password_sign_in,
)
from lingpao.access.users import UsersFileError, load_users  # noqa: E402
from lingpao.foundation.layout import Layout  # noqa: E402
from lingpao.foundation.programme import load_programme  # noqa: E402


@functools.cache
def layout() -> Layout:
    """This server's layout: resolved once, from the variables `lingpao dashboard` sets."""
    return Layout.resolve()


# Streamlit's own routes, and ours: never sent to the sign-in page.
NOT_PAGES = ("/_stcore", "/static", "/component", "/media", "/app/static", "/signin", "/auth")
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>登录 · 领跑者申报数据平台</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; background: #f5f7fa;
       margin: 0; display: flex; min-height: 100vh; align-items: center; justify-content: center; }}
main {{ background: #fff; padding: 2.5rem 3rem; border-radius: 8px; width: 22rem;
       box-shadow: 0 2px 12px rgba(0,0,0,.08); }}
h1 {{ font-size: 1.4rem; margin: 0 0 .4rem; }} p {{ color: #555; font-size: .9rem; }}
label {{ display: block; margin: 1rem 0 .3rem; font-size: .9rem; }}
input {{ width: 100%; box-sizing: border-box; padding: .55rem; font-size: 1rem;
        border: 1px solid #c8ccd2; border-radius: 4px; }}
button {{ margin-top: 1.4rem; width: 100%; padding: .65rem; font-size: 1rem; color: #fff;
         background: #c0392b; border: 0; border-radius: 4px; cursor: pointer; }}
.message {{ color: #b00020; background: #fdecea; padding: .6rem; border-radius: 4px; }}
</style></head>
<body><main>
<h1>领跑者申报数据平台</h1>
<p>河北省工业和信息化厅 · 请使用省工信厅开通的账号登录。</p>
{message}
<form method="post" action="/signin">
<input type="hidden" name="next" value="{next}">
<label for="account">账号</label>
<input id="account" name="account" autocomplete="username" required value="{account}">
<label for="password">密码</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">登录</button>
</form>
</main></body></html>
"""


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path of this site only (never another site), else `/`."""
    text = (value or "").strip()
    if not text.startswith("/") or text.startswith("//") or "\\" in text:
        return "/"
    parts = urlsplit(text)
    if parts.scheme or parts.netloc or any(c in text for c in "\r\n"):
        return "/"
    return text[:2000]


def _page(message: str = "", next_page: str = "/", account: str = "", status: int = 200):
    shown = f'<p class="message">{html.escape(message)}</p>' if message else ""
    body = PAGE.format(
        message=shown, next=html.escape(next_page, quote=True), account=html.escape(account)
    )
    return HTMLResponse(body, status_code=status, headers=HEADERS)


def _settings() -> tuple[SignInSettings | None, str]:
    try:
        return SignInSettings.from_environment(), ""
    except SignInSettingsError as error:
        return None, f"登录设置有误，修复前不能登录：{error}"


def _users():
    try:
        return load_users(layout().users, load_programme().units), ""
    except UsersFileError:  # the details are for the server's log (`lingpao users list`)
        return None, "用户文件有误，修复前不能登录，请联系管理员。"


def password_mode() -> bool:
    settings, problem = _settings()
    return not problem and settings.mode == "password" and layout().users.exists()


def sessions() -> Sessions:
    return Sessions(layout().sessions, layout().session_key)


async def signin(request: Request) -> Response:
    """GET: the sign-in page. POST: check the password (throttled, audited); start a session and
    set its cookie, then go on to the page asked for."""
    if request.method == "GET":
        return _page(next_page=safe_next(request.query_params.get("next")))
    fields = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=10)
    account = (fields.get("account") or [""])[0][:200]
    password = (fields.get("password") or [""])[0][:1000]
    next_page = safe_next((fields.get("next") or ["/"])[0])
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host"):
        return _page("请从本平台的登录页登录。", next_page, status=403)
    settings, problem = _settings()
    users, user_problem = _users()
    if problem or user_problem or settings is None or users is None:
        return _page(problem or user_problem, next_page, status=503)
    if settings.mode != "password":
        return _page("本平台不使用密码登录，请通过单位的统一身份认证进入。", "/", status=400)
    address = request.client.host if request.client else None
    try:
        attempt = password_sign_in(
            account, password, address, users, AuditLog(layout().audit), settings
        )
        if attempt.viewer is None:
            return _page(attempt.message, next_page, account, status=401)
        cookie = sessions().start(attempt.viewer, address)
    except (AuditDamaged, SessionsDamaged):
        return _page(
            "审计日志或会话记录无法写入，修复前不允许登录。请联系管理员。", next_page, status=503
        )
    response = RedirectResponse(next_page, status_code=303, headers={"Cache-Control": "no-store"})
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


class SignInFirst:
    """A page opened without a live session goes to the sign-in page first (its link kept), in
    password mode; everything else passes (Streamlit's own routes, the other sign-in modes)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and self._is_page(scope["path"]):
            known = self._known(scope["path"])
            if known is not None:  # the default page's own name, or a page that does not exist
                query = scope["query_string"].decode("latin-1")
                response = RedirectResponse(known + (f"?{query}" if query else ""), status_code=303)
                await response(scope, receive, send)
                return
            if password_mode() and not self._signed_in(scope):
                wanted = scope["path"] + (
                    "?" + scope["query_string"].decode("latin-1") if scope["query_string"] else ""
                )
                target = "/signin?next=" + quote(wanted, safe="")
                response = RedirectResponse(target, status_code=303, headers=HEADERS)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _known(path: str) -> str | None:
        """Where a page's address should go instead: `/progress` (the default page, whose address
        is `/`) and any address that is no page to `/`; None when it is a page's own."""
        name = path.strip("/")
        if name == "" or (name in PAGE_TITLES and name != "progress"):
            return None
        return "/"

    @staticmethod
    def _is_page(path: str) -> bool:
        """A page's address is `/` or `/name`; Streamlit's own (`/_stcore/…`, and the probes of
        `/name/_stcore/…` its page script makes) and files are not pages."""
        trimmed = path.rstrip("/")
        return (
            trimmed.count("/") <= 1
            and not trimmed.startswith(NOT_PAGES)
            and "." not in trimmed.rsplit("/", 1)[-1]
        )

    @staticmethod
    def _signed_in(scope) -> bool:
        request = Request(scope)
        settings, problem = _settings()
        users, user_problem = _users()
        if problem or user_problem or settings is None or users is None:
            return True  # the page itself says what is wrong, and shows nothing
        try:
            viewer, _ = sessions().resolve(
                request.cookies.get(COOKIE), users, settings.session_hours, settings.idle_minutes
            )
        except SessionsDamaged:
            return True  # the page says so
        return viewer is not None


app = st.App(
    str(Path(__file__).with_name("app.py")),
    routes=[Route("/signin", signin, methods=["GET", "POST"])],
    middleware=[Middleware(SignInFirst)],
)
