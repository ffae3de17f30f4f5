"""`lingpao users`: who may open the dashboard, with which role, and for a city bureau which unit."""

from __future__ import annotations

import argparse

from pipelines.cli_common import CommandError, add_location_options


def add_parser(commands) -> None:
    users = commands.add_parser(
        "users",
        help="list, add or remove dashboard users and their roles",
        description="Roles: province and steward see every page and unit; leadership sees progress, "
        "clusters and the shortlist; city sees progress, data quality and the queue of its own unit. "
        "Without a users file everyone has $LINGPAO_DEFAULT_ROLE (province). The file is users.json "
        "beside the warehouse ($LINGPAO_USERS moves it).",
    )
    users.add_argument("action", choices=["list", "add", "remove"])
    users.add_argument("id", nargs="?", help="the sign-in id (email)")
    users.add_argument("--role", choices=["province", "steward", "leadership", "city"])
    users.add_argument("--unit", help="the reporting unit of a city user (e.g. 石家庄)")
    users.add_argument("--name", help="the person's name, shown as who made a correction")
    add_location_options(users)
    users.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from assets.users import ROLES, User, load_users, save_users, users_path
    from pipelines.programme import load_programme
    from pipelines.resources import warehouse_path

    path = users_path(warehouse_path(args.warehouse))
    users = load_users(path) or {}
    if args.action == "list":
        if not users:
            print(f"（无用户文件 no users file: everyone has the default role）{path}")
        for user in users.values():
            print(
                f"{user.id}\t{user.role}（{ROLES[user.role]}）\t{user.unit or ''}\t{user.name or ''}"
            )
        return 0
    if not args.id:
        raise CommandError(f"users {args.action} 需要用户标识 (an id, e.g. an email)")
    if args.action == "remove":
        if users.pop(args.id.lower(), None) is None:
            raise CommandError(f"没有此用户 (no such user): {args.id}")
        save_users(path, users)
        print(f"removed {args.id}")
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
    users[args.id.lower()] = User(id=args.id.lower(), role=args.role, unit=unit, name=args.name)
    save_users(path, users)
    print(f"saved {args.id}: {args.role}{' ' + unit if unit else ''} ({path})")
    return 0
