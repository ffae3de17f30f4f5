"""Sign-in for every kind of site, chosen by one setting (LINGPAO_AUTH), all ending in a Viewer.

- `local` (no users file): this machine only, as province staff;
- `password`: the built-in form, argon2 hashes in the users file, throttled failures, expiry;
- `oidc`: Streamlit's `st.login` with the province's identity provider;
- `header`: a trusted header set by the province's single-sign-on gateway, only from its address.
Whatever the mode, a viewer whose `st.user` is logged in is resolved through the users file by
sign-in id (e-mail, else `sub`), never by display name.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

from lingpao.access.audit import AuditLog, now
from lingpao.access.passwords import verify_password
from lingpao.access.users import User, normalise_id
from lingpao.access.viewer import Viewer
from lingpao.foundation.settings import Settings

MODES = ("password", "oidc", "header")
LOOPBACK = "127.0.0.1"
# The web server under Streamlit (uvicorn) rewrites the peer address from `X-Forwarded-For` when the
# request comes from an address in FORWARDED_ALLOW_IPS, by default this machine's: any local caller
# could then claim the gateway's address, dodge the per-address pause and forge the audit log. The
# dashboard runs with it empty, so the address is always the TCP peer's.
FORWARDING = "FORWARDED_ALLOW_IPS"
BELIEVE_NO_FORWARDING = {FORWARDING: ""}


def server_believes_forwarding(env: Mapping[str, str] | None = None) -> bool:
    """True when the web server would take a client's `X-Forwarded-For` as its address (the
    dashboard was started some other way than `lingpao dashboard`)."""
    env = os.environ if env is None else env
    return env.get(FORWARDING) != ""


class SignInSettingsError(ValueError):
    """LINGPAO_AUTH and its companions are not a usable configuration."""


@dataclass(frozen=True)
class SignInSettings:
    """The sign-in mode and its parameters (README: 登录方式)."""

    mode: str = "password"
    header: str = "X-Remote-User"
    proxies: tuple[str, ...] = ()
    session_hours: float = 8.0
    idle_minutes: float = 60.0
    max_failures: int = 5
    lockout_minutes: float = 15.0

    @classmethod
    def from_environment(cls, env: dict | None = None) -> SignInSettings:
        settings = Settings.load(env)
        mode = settings.get("LINGPAO_AUTH", "password").strip().lower()
        if mode not in MODES:
            raise SignInSettingsError(
                f"LINGPAO_AUTH=“{mode}”无效；可选：{'、'.join(MODES)}（未配置时为 password）"
            )
        proxies = tuple(
            p.strip() for p in settings.get("LINGPAO_AUTH_PROXIES", "").split(",") if p.strip()
        )
        for proxy in proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise SignInSettingsError(
                    f"LINGPAO_AUTH_PROXIES 中的“{proxy}”不是 IP 地址"
                ) from None
        if mode == "header" and not proxies:
            raise SignInSettingsError(
                "LINGPAO_AUTH=header 需要 LINGPAO_AUTH_PROXIES（单点登录网关的 IP 地址）"
            )
        try:
            hours = settings.number("LINGPAO_SESSION_HOURS", 8)
            idle = settings.number("LINGPAO_IDLE_MINUTES", 60)
        except ValueError as error:
            raise SignInSettingsError(str(error)) from None
        for name, value in (("LINGPAO_SESSION_HOURS", hours), ("LINGPAO_IDLE_MINUTES", idle)):
            if not math.isfinite(value) or value <= 0:
                raise SignInSettingsError(f"{name}=“{settings.get(name)}”应为大于 0 的有限数字")
        return cls(
            mode=mode,
            header=settings.get("LINGPAO_AUTH_HEADER", "X-Remote-User").strip(),
            proxies=proxies,
            session_hours=hours,
            idle_minutes=idle,
        )


def local_viewer(address: str | None) -> Viewer | None:
    """Without a users file: province staff on this machine; nobody from another address."""
    if address not in (None, LOOPBACK, "::1"):
        return None
    return Viewer(id="", name="本机", role="province", via="local")


UNVERIFIED = (False, 0, "false", "False", "0")


def oidc_id(user_info: dict) -> str:
    """The sign-in id of an identity-provider user: the e-mail, unless the provider says it is not
    verified (`email_verified: false`), else the subject; never the display name."""
    email = user_info.get("email")
    if email and user_info.get("email_verified", True) not in UNVERIFIED:
        return normalise_id(str(email))
    return normalise_id(str(user_info.get("sub") or ""))


def viewer_from_oidc(user_info: dict, users: dict[str, User]) -> Viewer | None:
    if not user_info.get("is_logged_in"):
        return None
    user = users.get(oidc_id(user_info))
    return user.viewer("oidc") if user else None


def from_trusted_proxy(address: str | None, settings: SignInSettings) -> bool:
    """True when the request comes from one of the configured gateway addresses."""
    try:
        client = ipaddress.ip_address(address or LOOPBACK)
    except ValueError:
        return False
    return any(client in ipaddress.ip_network(p, strict=False) for p in settings.proxies)


def viewer_from_header(
    headers: dict, address: str | None, settings: SignInSettings, users: dict[str, User]
) -> Viewer | None:
    """The gateway's user, only in `header` mode and only from the gateway's address."""
    if settings.mode != "header" or not from_trusted_proxy(address, settings):
        return None
    user = users.get(header_identity(headers, settings))
    return user.viewer("header") if user else None


def header_identity(headers: dict, settings: SignInSettings) -> str:
    """The sign-in id a request's gateway header names (as sent, for the audit log), or ''."""
    lowered = {str(k).lower(): v for k, v in headers.items()}
    return normalise_id(str(lowered.get(settings.header.lower(), "")))[:200]


def header_refusal(address: str | None, settings: SignInSettings) -> str:
    """Why a gateway sign-in was refused, for the audit log."""
    if not from_trusted_proxy(address, settings):
        return "请求不是来自单点登录网关的地址"
    return "网关传来的账号未开通"


@dataclass(frozen=True)
class Attempt:
    """The outcome of a password sign-in: the viewer, or why not (message for the person)."""

    viewer: Viewer | None
    message: str = ""


def throttled_until(
    audit: AuditLog, ident: str, address: str | None, settings: SignInSettings
) -> dt.datetime | None:
    """When sign-in is allowed again for this id or address, if too many attempts failed lately."""
    window = dt.timedelta(minutes=settings.lockout_minutes)
    since = now() - window
    for column, value in (("who", ident), ("address", address or LOOPBACK)):
        failures = audit.recent_failures(column, value, since)
        if len(failures) >= settings.max_failures:
            return failures[-settings.max_failures] + window
    return None


def password_sign_in(
    ident: str,
    password: str,
    address: str | None,
    users: dict[str, User],
    audit: AuditLog,
    settings: SignInSettings,
) -> Attempt:
    """Check a sign-in form; every attempt is audited; too many failures pause the id and address."""
    ident = normalise_id(ident)
    where = address or LOOPBACK
    until = throttled_until(audit, ident, address, settings)
    if until is not None:
        audit.record("signin_throttled", who=ident, address=where)
        minutes = max(1, int((until - now()).total_seconds() // 60) + 1)
        return Attempt(None, f"失败次数过多，请 {minutes} 分钟后再试。")
    user = users.get(ident)
    if not verify_password(password, user.password_hash if user else None):
        audit.record("signin_failed", who=ident, address=where)
        return Attempt(None, "账号或密码不正确。")
    viewer = user.viewer("password")
    audit.record("signin", viewer, address=where)
    return Attempt(viewer)


def session_expired(
    signed_in_at: dt.datetime, last_seen: dt.datetime, settings: SignInSettings
) -> bool:
    """True once the session is older than its lifetime or has been idle too long."""
    moment = now()
    return moment - signed_in_at > dt.timedelta(hours=settings.session_hours) or (
        moment - last_seen > dt.timedelta(minutes=settings.idle_minutes)
    )
