"""`lingpao programme`: a new round's file from an earlier round's, and checking one."""

from __future__ import annotations

import argparse
from pathlib import Path

from lingpao.cli.common import CommandError

INVALID = 2  # a programme file that cannot be used


def add_parser(commands) -> None:
    programme = commands.add_parser(
        "programme",
        help="申报年度配置：由上一年度生成新年度的配置文件，或检查一个配置文件",
        description="每个年度（轮次）一个配置文件 <年度>.toml，放在配置文件夹中（默认 data/programme/，"
        "可用 $LINGPAO_PROGRAMMES 指定）。",
    )
    actions = programme.add_subparsers(dest="action", required=True, metavar="操作", title="操作")
    new = actions.add_parser(
        "new",
        help="由某一年度的配置生成新年度的配置（日期与报表年份顺延），并列出需要人工确认的事项",
        description="复制 --from 年度的配置文件，把其中的年度、日期和财务报表年份顺延到新年度，"
        "写入配置文件夹（或 --out），再列出需要人工逐项确认的事项（申报窗口、截止日期等）。",
    )
    new.add_argument("year", metavar="年度", type=int, help="新年度，如 2025")
    new.add_argument("--from", dest="source", metavar="年度", type=int, required=True)
    new.add_argument("--out", metavar="文件", help="写到此文件（默认 配置文件夹/<年度>.toml）")
    new.add_argument("--force", action="store_true", help="文件已存在时覆盖")
    new.set_defaults(handler=command_new)
    check = actions.add_parser(
        "check",
        help="检查一个配置文件：可用时以 0 退出，否则以 2 退出并指出有误的配置项",
        description="逐项检查配置文件（键、类型、日期、环节与申报类型是否一致）。",
    )
    check.add_argument("file", metavar="文件", help="要检查的 .toml 配置文件")
    check.set_defaults(handler=command_check)


def command_new(args: argparse.Namespace) -> int:
    from lingpao.foundation.programme import (
        ProgrammeError,
        next_round_text,
        programmes_folder,
        read_programme,
        to_confirm,
    )

    folder = programmes_folder()
    source = folder / f"{args.source}.toml"
    if not source.is_file():
        raise CommandError(f"没有{args.source}年度的配置文件：{source}")
    target = Path(args.out) if args.out else folder / f"{args.year}.toml"
    if target.exists() and not args.force:
        raise CommandError(f"{target} 已存在；确需覆盖请加 --force")
    text = next_round_text(source.read_text(encoding="utf-8"), args.source, args.year)
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(f".{target.name}.tmp")
    staged.write_text(text, encoding="utf-8")
    staged.replace(target)
    print(f"已写入 {target}（由{args.source}年度顺延）")
    try:
        programme = read_programme(target)
    except ProgrammeError as error:
        print(f"注意：新文件需要修改后才能使用：{error}")
        return INVALID
    print("请逐项确认（日期已按年顺延，星期、节假日和政策变化需人工核对）：")
    for key, value in to_confirm(programme):
        print(f"  [{key}] {value}{_working_day_notes(programme, key)}")
    print(f"修改后用 lingpao programme check {target} 检查。")
    return 0


def _working_day_notes(programme, key: str) -> str:
    """Whether the moved dates fall on China's working days (the official calendar)."""
    from lingpao.review.calendar import day_note

    dates = []
    if key.endswith(".window"):
        dates = list(programme.window(key.split(".")[1]))
    elif key.startswith("deadlines."):
        dates = [programme.deadlines[key.split(".", 1)[1]]]
    notes = [n for n in (day_note(d) for d in dates) if n]
    return f"　⚠ {'；'.join(notes)}" if notes else ""


def command_check(args: argparse.Namespace) -> int:
    from lingpao.foundation.programme import ProgrammeError, read_programme

    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"文件不存在 (no such file): {path}")
    try:
        programme = read_programme(path)
    except ProgrammeError as error:
        print(f"配置有误：{error.key}：{error.problem}")
        return INVALID
    types = "、".join(spec["label"] for spec in programme.types.values())
    source = "平台导出与市级汇总表" if programme.has_platform else "仅市级汇总表"
    print(f"{path.name}：可用。{programme.year}年度；申报类型 {types}；数据来源 {source}。")
    return 0
