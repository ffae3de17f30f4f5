"""`lingpao users`: who may open the dashboard, with which role, unit and password; the audit log."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from zoneinfo import ZoneInfo

from lingpao.cli.common import CommandError, add_location_options

ROLES_HELP = (
    "province: every unit, every page, exports, runs; steward: that, plus corrections, waivers, "
    "reopenings and accepting proposals; leadership: progress, clusters and the shortlist, no contact "
    "data; city: its own unit only, proposals of corrections. Without a users file the dashboard "
    "serves this machine only (127.0.0.1), as province."
)


def add_parser(commands) -> None:
    users = commands.add_parser(
        "users",
        help="list, add or remove dashboard users, their roles and passwords",
        description=f"Roles: {ROLES_HELP} The file is users.json beside the warehouse "
        "($LINGPAO_USERS moves it); it is validated whenever it is written or read. An account "
        "without a password signs in through OIDC or the sign-in gateway only.",
    )
    users.add_argument("action", choices=["list", "add", "remove"])
    users.add_argument("id", nargs="?", help="the sign-in id (e-mail, or the gateway's user name)")
    users.add_argument("--role", choices=["province", "steward", "leadership", "city"])
    users.add_argument("--unit", help="the reporting unit of a city user (e.g. 石家庄)")
    users.add_argument("--name", help="the person's name, shown as who made a correction")
    users.add_argument(
        "--password-stdin",
        action="store_true",
        help="read a password for the built-in sign-in from standard input (first line)",
    )
    add_location_options(users)
    users.set_defaults(handler=run)

    audit = commands.add_parser(
        "audit",
        help="show the audit log: sign-ins, failed sign-ins, downloads, decisions, runs",
        description="The newest entries of the append-only audit log beside the warehouse.",
    )
    audit.add_argument("--limit", type=int, default=100, help="the last N entries")
    audit.add_argument("--event", help="only this event (e.g. signin_failed, download)")
    add_location_options(audit)
    audit.set_defaults(handler=show_audit)


def run(args: argparse.Namespace) -> int:
    from lingpao.access.passwords import hash_password
    from lingpao.access.roles import ROLE_LABELS
    from lingpao.access.sessions import Sessions
    from lingpao.access.users import User, UsersFileError, load_users, normalise_id, save_users
    from lingpao.foundation.programme import load_programme

    units = load_programme().units
    path = args.layout.users
    try:
        users = load_users(path, units) or {}
    except UsersFileError as error:
        raise CommandError(f"{error}（请修复或删除 {path}）") from None
    if args.action == "list":
        if not users:
            print(f"（无用户文件 no users file: the dashboard serves this machine only）{path}")
        for user in users.values():
            password = "密码" if user.password_hash else "仅统一认证/网关"
            print(
                f"{user.id}\t{user.role}（{ROLE_LABELS[user.role]}）\t{user.unit or ''}\t"
                f"{user.name or ''}\t{password}"
            )
        return 0
    ident = normalise_id(args.id or "")
    if not ident:
        raise CommandError(f"users {args.action} 需要用户标识 (an id, e.g. an email)")
    if args.action == "remove":
        if users.pop(ident, None) is None:
            raise CommandError(f"没有此用户 (no such user): {args.id}")
        save_users(path, users, units)
        ended = Sessions(args.layout.sessions, args.layout.session_key).end_user(ident)
        print(f"removed {ident}" + (f"（已结束其 {ended} 个登录会话）" if ended else ""))
        return 0
    if not args.role:
        raise CommandError("users add 需要 --role")
    unit = None
    if args.role == "city":
        unit = load_programme().unit_of(args.unit or "")
        if unit is None:
            raise CommandError(
                f"市级用户需要有效的 --unit（14个报送单位之一），而不是“{args.unit or ''}”"
            )
    elif args.unit:
        raise CommandError("只有市级用户（--role city）可以指定 --unit")
    hashed = users[ident].password_hash if ident in users else None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        try:
            hashed = hash_password(password)
        except ValueError as error:
            raise CommandError(str(error)) from None
    users[ident] = User(id=ident, role=args.role, unit=unit, name=args.name, password_hash=hashed)
    try:
        save_users(path, users, units)
    except UsersFileError as error:
        raise CommandError(str(error)) from None
    print(f"saved {ident}: {args.role}{' ' + unit if unit else ''} ({path})")
    return 0


def show_audit(args: argparse.Namespace) -> int:
    from lingpao.access.audit import EVENT_LABELS, AuditLog
    from lingpao.foundation.programme import load_programme

    zone = ZoneInfo(load_programme().timezone)
    entries = AuditLog(args.layout.audit).entries(args.limit, args.event)
    if entries.empty:
        print("（无记录 no entries）")
    for row in entries.itertuples():
        where = f"{row.role}{'/' + row.unit if row.unit else ''}"
        at = dt.datetime.fromisoformat(row.at).astimezone(zone)
        print(
            f"{at:%Y-%m-%d %H:%M:%S}\t{EVENT_LABELS.get(row.event, row.event)}\t{row.who}\t"
            f"{where}\t{row.address}\t{row.detail}"
        )
    return 0
