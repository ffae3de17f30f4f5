"""Each sign-in mode: password (right, wrong, throttled, expired), OIDC by id, the trusted header only
when configured, and every misconfiguration failing closed without data or a traceback."""

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lingpao.access.audit import AuditLog
from lingpao.access.passwords import hash_password
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


def sign_in(at: AppTest, ident: str, password: str) -> AppTest:
    at.text_input(key="signin_id").input(ident)
    at.text_input(key="signin_password").input(password)
    return at.button[0].click().run()


def test_password_right_then_sign_out(warehouse, monkeypatch):
    at = app(warehouse, monkeypatch).run()
    assert not shows_data(at) and at.text_input(key="signin_id")
    sign_in(at, "Baoding@Example.com", PASSWORD)
    assert not at.exception and shows_data(at)
    assert at.multiselect(key="f_city").options == ["保定"]
    assert "保定局" in at.sidebar.text[0].value
    at.sidebar.button(key="signout").click().run()
    assert not shows_data(at) and at.text_input(key="signin_id")
    events = list(AuditLog(Layout.resolve(warehouse=warehouse).audit).entries()["event"])
    assert events == ["signin", "signout"]


def test_password_wrong_and_an_account_without_one(warehouse, monkeypatch):
    at = sign_in(app(warehouse, monkeypatch).run(), "baoding@example.com", "wrong password")
    assert any("不正确" in e.value for e in at.error) and not shows_data(at)
    at = sign_in(app(warehouse, monkeypatch).run(), "steward@example.com", "")
    assert any("不正确" in e.value for e in at.error) and not shows_data(at)


def test_failed_attempts_pause_the_account(warehouse, monkeypatch):
    for _ in range(5):
        at = sign_in(app(warehouse, monkeypatch).run(), "baoding@example.com", "guess")
    at = sign_in(app(warehouse, monkeypatch).run(), "baoding@example.com", PASSWORD)
    assert any("失败次数过多" in e.value for e in at.error) and not shows_data(at)
    audit = AuditLog(Layout.resolve(warehouse=warehouse).audit).entries()
    assert list(audit["event"]) == ["signin_failed"] * 5 + ["signin_throttled"]


def test_an_expired_session_signs_in_again(warehouse, monkeypatch):
    at = sign_in(app(warehouse, monkeypatch).run(), "baoding@example.com", PASSWORD)
    assert shows_data(at)
    session = at.session_state["signin"]
    session["seen"] = session["seen"] - dt.timedelta(hours=2)  # idle past LINGPAO_IDLE_MINUTES
    at.run()
    assert not shows_data(at) and any("过期" in i.value for i in at.info)


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
