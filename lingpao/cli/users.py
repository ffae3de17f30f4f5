"""`lingpao users`: who may open the dashboard, with which role, unit and password; the audit log."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from zoneinfo import ZoneInfo

from lingpao.cli.common import CommandError, add_location_options

ROLES_HELP = (
    "province（省级工作人员）：全部单位、全部页面、导出、运行检查；steward（数据管理员）：以上，"
    "另加更正、忽略、重新打开和采纳更正建议；leadership（领导）：总览、集群和专家评审名单，不含联系"
    "人信息；city（市级工信部门）：只看本单位，可提出更正建议、上报汇总表。没有用户文件时，仪表盘"
    "只在本机（127.0.0.1）以省级工作人员身份提供服务。"
)


def add_parser(commands) -> None:
    users = commands.add_parser(
        "users",
        help="列出、添加或删除仪表盘用户（角色、单位、密码）",
        description=f"角色：{ROLES_HELP} 用户文件为数据仓库旁的 users.json（可用 $LINGPAO_USERS "
        "指定），每次写入和读取都会校验。没有密码的账号只能通过统一身份认证或单点登录网关登录。"
        "删除用户会立即结束其所有登录会话。",
    )
    users.add_argument(
        "action", metavar="操作", choices=["list", "add", "remove"], help="list、add 或 remove"
    )
    users.add_argument(
        "id", metavar="账号", nargs="?", help="登录账号（电子邮箱，或单点登录网关的用户名）"
    )
    users.add_argument(
        "--role",
        metavar="角色",
        choices=["province", "steward", "leadership", "city"],
        help="province、steward、leadership 或 city（见上）",
    )
    users.add_argument("--unit", metavar="单位", help="市级用户所属的报送单位（如 石家庄）")
    users.add_argument("--name", metavar="姓名", help="显示的姓名或单位名称（如 保定市工信局）")
    users.add_argument(
        "--password-stdin",
        action="store_true",
        help="从标准输入读取密码（第一行），用于平台自带的登录页",
    )
    add_location_options(users)
    users.set_defaults(handler=run)

    audit = commands.add_parser(
        "audit",
        help="查看审计日志：登录、登录失败、下载、处理、运行检查",
        description="数据仓库旁只增不改的审计日志中最新的记录。",
    )
    audit.add_argument(
        "--limit", metavar="条数", type=int, default=100, help="最近多少条（默认 100）"
    )
    audit.add_argument(
        "--event", metavar="事件", help="只看此类事件（如 signin_failed 登录失败、download 下载）"
    )
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
        print(f"已删除 {ident}" + (f"（已结束其 {ended} 个登录会话）" if ended else ""))
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
    where = f"（{unit}）" if unit else ""
    print(f"已保存 {ident}：{ROLE_LABELS[args.role]}{where}（{path}）")
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
