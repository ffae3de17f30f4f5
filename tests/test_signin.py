"""Each sign-in mode: password (right, wrong, throttled, expired), OIDC by id, the trusted header only
when configured, and every misconfiguration failing closed without data or a traceback."""

from pathlib import Path
from urllib.parse import unquote

import pytest
from streamlit.testing.v1 import AppTest

from lingpao.access.audit import AuditLog
from lingpao.access.passwords import hash_password
from lingpao.access.sessions import COOKIE, Sessions
from lingpao.access.signin import (
    SignInSettings,
    SignInSettingsError,
    local_viewer,
    viewer_from_header,
)
from lingpao.access.users import User, save_users
from lingpao.foundation.layout import Layout
from lingpao.foundation.programme import load_programme
from tests.helpers import copy_warehouse, lingpao_cli

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "lingpao" / "dashboard" / "app.py")
UNITS = load_programme(2023).units
PASSWORD = "保定-2023-correct horse"


@pytest.fixture(scope="module")
def hashed() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def warehouse(sample_run, tmp_path, hashed) -> Path:
    target = copy_warehouse(sample_run, tmp_path)
    users = [
        User(
            id="baoding@example.com", role="city", unit="保定", name="保定局", password_hash=hashed
        ),
        User(id="steward@example.com", role="steward", name="管理员甲"),
    ]
    save_users(Layout.resolve(warehouse=target).users, {u.id: u for u in users}, UNITS)
    return target


def app(warehouse: Path, monkeypatch, **env: str) -> AppTest:
    monkeypatch.setenv("LINGPAO_WAREHOUSE", str(warehouse))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    at = AppTest.from_file(APP, default_timeout=180)
    at.user = {}  # nobody signed in through an identity provider
    return at


def shows_data(at: AppTest) -> bool:
    return bool(at.metric) or bool(at.dataframe)


@pytest.fixture
def web(warehouse, monkeypatch):
    """The dashboard server's own sign-in route and page guard (`lingpao/dashboard/server.py`) in
    a test client, on this warehouse's users file, audit log and sessions."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from lingpao.dashboard import server

    monkeypatch.setenv("LINGPAO_WAREHOUSE", str(warehouse))
    server.layout.cache_clear()

    async def page(request):  # stands for the app's pages behind the guard
        from starlette.responses import PlainTextResponse

        return PlainTextResponse("页面")

    routes = [Route("/signin", server.signin, methods=["GET", "POST"]), Route("/{path:path}", page)]
    app = Starlette(routes=routes, middleware=[Middleware(server.SignInFirst)])
    with TestClient(app, base_url="http://127.0.0.1:8501", follow_redirects=False) as client:
        yield client
    server.layout.cache_clear()


def post_sign_in(web, ident: str, password: str, next_page: str = "/"):
    return web.post(
        "/signin",
        data={"account": ident, "password": password, "next": next_page},
        headers={"Origin": "http://127.0.0.1:8501"},
    )


def test_a_page_without_a_session_goes_to_the_sign_in_page_with_its_link(web):
    asked = web.get("/quality?city=沧州")
    assert asked.status_code == 303
    assert asked.headers["location"].startswith("/signin?next=")
    form = web.get(asked.headers["location"])
    assert form.status_code == 200 and "账号" in form.text and "<script" not in form.text
    assert "next" in form.text and "/quality?city=" in form.text
    assert "default-src 'none'" in form.headers["content-security-policy"]


def test_password_right_starts_a_session_and_lands_on_the_link_asked_for(web, warehouse):
    signed = post_sign_in(web, "Baoding@Example.com", PASSWORD, "/quality?city=保定")
    assert signed.status_code == 303
    assert unquote(signed.headers["location"]) == "/quality?city=保定"
    cookie = signed.cookies.get(COOKIE)
    assert cookie and "httponly" in signed.headers["set-cookie"].lower()
    assert "samesite=strict" in signed.headers["set-cookie"].lower()
    web.cookies.set(COOKIE, cookie)
    assert web.get("/quality").status_code == 200  # no redirect now
    layout = Layout.resolve(warehouse=warehouse)
    sessions = Sessions(layout.sessions, layout.session_key)
    assert [s.user_id for s in sessions.live()] == ["baoding@example.com"]
    assert list(AuditLog(layout.audit).entries()["event"]) == ["signin"]
    forged = cookie[:-3] + ("AAA" if not cookie.endswith("AAA") else "BBB")
    web.cookies.set(COOKIE, forged)
    assert web.get("/quality").status_code == 303


def test_never_sent_to_another_site_after_signing_in(web):
    for elsewhere in ("https://evil.example/x", "//evil.example", "/\\evil.example"):
        signed = post_sign_in(web, "baoding@example.com", PASSWORD, elsewhere)
        assert signed.headers["location"] == "/"


def test_password_wrong_and_an_account_without_one(web):
    wrong = post_sign_in(web, "baoding@example.com", "wrong password")
    assert wrong.status_code == 401 and "不正确" in wrong.text and COOKIE not in wrong.cookies
    none = post_sign_in(web, "steward@example.com", "")
    assert none.status_code == 401 and "不正确" in none.text


def test_failed_attempts_pause_the_account(web, warehouse):
    for _ in range(5):
        post_sign_in(web, "baoding@example.com", "guess")
    paused = post_sign_in(web, "baoding@example.com", PASSWORD)
    assert "失败次数过多" in paused.text and COOKIE not in paused.cookies
    audit = AuditLog(Layout.resolve(warehouse=warehouse).audit).entries()
    assert list(audit["event"]) == ["signin_failed"] * 5 + ["signin_throttled"]


def test_a_session_ends_on_sign_out_expiry_idleness_and_removal(warehouse):
    layout = Layout.resolve(warehouse=warehouse)
    users = {"baoding@example.com": User(id="baoding@example.com", role="city", unit="保定")}
    sessions = Sessions(layout.sessions, layout.session_key)
    viewer = users["baoding@example.com"].viewer("password")
    cookie = sessions.start(viewer, "127.0.0.1")
    assert sessions.resolve(cookie, users, 8, 60)[0] == viewer
    assert sessions.resolve(cookie, users, 8, 60)[0] == viewer  # a second tab: the same cookie
    sessions.end(cookie)
    assert sessions.resolve(cookie, users, 8, 60) == (None, "已退出登录")
    idle = sessions.start(viewer, "127.0.0.1")
    assert sessions.resolve(idle, users, 8, 0.0001 / 60)[1] == "长时间未操作"
    old = sessions.start(viewer, "127.0.0.1")
    assert sessions.resolve(old, users, 0.0001 / 3600, 60)[1] == "登录已超过有效期"
    removed = sessions.start(viewer, "127.0.0.1")
    assert sessions.resolve(removed, {}, 8, 60)[1] == "账号已停用"
    assert sessions.live() == []
    kept = sessions.start(viewer, "127.0.0.1")
    assert sessions.end_user("baoding@example.com") == 1
    assert sessions.resolve(kept, users, 8, 60)[0] is None
    assert Sessions(layout.sessions, tmp_key(warehouse)).resolve(cookie, users, 8, 60)[0] is None


def tmp_key(warehouse: Path) -> Path:
    """Another server's key: its cookies are not this server's."""
    return warehouse.with_name("another.key")


def test_the_pages_show_nothing_without_a_session(warehouse, monkeypatch):
    at = app(warehouse, monkeypatch).run()
    assert not at.exception and not shows_data(at)
    assert any("请先登录" in i.value for i in at.info)


def test_oidc_resolves_by_sign_in_id_only(warehouse, monkeypatch):
    at = app(warehouse, monkeypatch, LINGPAO_AUTH="oidc").run()
    assert not shows_data(at) and at.button(key="oidc_login").label == "使用统一身份认证登录"
    at.user = {"is_logged_in": True, "email": "Steward@Example.com", "name": "王"}
    at.run()
    assert shows_data(at) and "管理员甲" in at.sidebar.text[0].value
    at = app(warehouse, monkeypatch, LINGPAO_AUTH="oidc")
    at.user = {"is_logged_in": True, "name": "steward@example.com"}  # a display name is no id
    at.run()
    assert not shows_data(at) and any("未开通" in e.value for e in at.error)


def test_trusted_header_only_when_configured():
    users = {"gw@example.com": User(id="gw@example.com", role="province")}
    header = {"X-Remote-User": "GW@example.com"}
    gateway = SignInSettings.from_environment(
        {"LINGPAO_AUTH": "header", "LINGPAO_AUTH_PROXIES": "10.1.2.3"}
    )
    assert viewer_from_header(header, "10.1.2.3", gateway, users).id == "gw@example.com"
    assert viewer_from_header(header, "10.9.9.9", gateway, users) is None  # not from the gateway
    assert viewer_from_header(header, "10.1.2.3", SignInSettings(), users) is None  # not configured
    with pytest.raises(SignInSettingsError, match="LINGPAO_AUTH_PROXIES"):
        SignInSettings.from_environment({"LINGPAO_AUTH": "header"})


@pytest.mark.parametrize(
    "env,message",
    [
        ({"LINGPAO_AUTH": "everyone"}, "登录设置有误"),
        ({"LINGPAO_AUTH": "header"}, "LINGPAO_AUTH_PROXIES"),
    ],
)
def test_bad_settings_show_no_data(warehouse, monkeypatch, env, message):
    at = app(warehouse, monkeypatch, **env).run()
    assert not at.exception and not shows_data(at)
    assert any(message in e.value for e in at.error)


def test_a_broken_users_file_shows_no_data(warehouse, monkeypatch, caplog):
    """Nobody sees data; the visitor (not signed in) is not told the file's accounts or its path,
    the server's log is."""
    users = Layout.resolve(warehouse=warehouse).users
    users.write_text('[{"id": "x@example.com", "role": "superuser"}]', encoding="utf-8")
    at = app(warehouse, monkeypatch).run()
    assert not at.exception and not shows_data(at)
    shown = " ".join(e.value for e in at.error)
    assert "用户文件有误" in shown and "lingpao users list" in shown
    assert (
        "x@example.com" not in shown
        and str(users.parent) not in shown
        and "users.json" not in shown
    )
    assert any(
        "x@example.com" in r.getMessage() and "superuser" in r.getMessage() for r in caplog.records
    )


def test_without_a_users_file_this_machine_only(sample_run, monkeypatch, tmp_path):
    assert local_viewer(None).role == "province" and local_viewer("127.0.0.1")
    assert local_viewer("10.0.0.8") is None
    at = app(sample_run["warehouse"], monkeypatch).run()
    assert shows_data(at) and any("本机模式" in i.value for i in at.info)
    done = lingpao_cli(
        "dashboard", "--address", "0.0.0.0", "--warehouse", tmp_path / "w.duckdb", timeout=60
    )
    assert done.returncode == 2 and "127.0.0.1" in done.stderr and "Traceback" not in done.stderr


def test_users_command_hashes_a_password_from_stdin(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    done = lingpao_cli(
        *("users", "add", "A@example.com", "--role", "steward", "--password-stdin"),
        *("--warehouse", warehouse),
        input="a long enough password\n",
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    text = Layout.resolve(warehouse=warehouse).users.read_text(encoding="utf-8")
    assert (
        "a long enough password" not in text and "$argon2id$" in text and '"a@example.com"' in text
    )
    short = lingpao_cli(
        *("users", "add", "b@example.com", "--role", "province", "--password-stdin"),
        *("--warehouse", warehouse),
        input="short\n",
        timeout=60,
    )
    assert short.returncode == 2 and "至少" in short.stderr
