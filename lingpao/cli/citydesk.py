"""`lingpao check`, `submit`, `versions`, `rollback`: a city table checked before it is sent, and kept
by version in the inbox."""

from __future__ import annotations

import argparse
from pathlib import Path

from lingpao.cli.common import CommandError, add_location_options, operator, unit_option

UNREADABLE = 2


def add_parser(commands) -> None:
    check = commands.add_parser(
        "check",
        help="检查一份市级汇总表（附件2）会有哪些问题，不做任何改动",
        description="按运行时的方式读取一份汇总表（单位取自标题、工作表名或文件名，或由 --unit "
        "指定），先说明读作哪个单位，再逐行列出规则会报出的每个问题：行、企业、信用代码、字段、"
        "填写的值、问题、如何更正。读取成功（不论有无问题）退出码为 0，无法读取为 2。",
    )
    check.add_argument(
        "file", metavar="文件", help="汇总表文件：.xlsx、.xls、.docx（或 .doc、.wps、.et）"
    )
    check.add_argument("--unit", metavar="单位", help="按此单位的汇总表读取（如 保定）")
    add_location_options(check)
    check.set_defaults(handler=command_check)

    submit = commands.add_parser(
        "submit",
        help="上报一份市级汇总表，作为该单位的新版本，并重新检查",
        description="按 --unit 单位的汇总表检查后，保存为该单位的下一个版本（旧版本从不覆盖，记录"
        "上报人和时间，截止后标记逾期），并运行检查使规则读到它。文件无法读取或写明是其他单位的，"
        "不予上报。",
    )
    submit.add_argument(
        "file", metavar="文件", help="汇总表文件：.xlsx、.xls、.docx（或 .doc、.wps、.et）"
    )
    submit.add_argument("--unit", metavar="单位", required=True, help="报送单位（如 保定）")
    submit.add_argument("--who", metavar="姓名", help="上报人（默认 $LINGPAO_USER，否则为登录名）")
    submit.add_argument("--no-run", action="store_true", help="只保存版本，不运行检查")
    add_location_options(submit)
    submit.set_defaults(handler=command_submit)

    versions = commands.add_parser(
        "versions",
        help="列出网上报送的各版汇总表",
        description="每个已上报的版本：单位、版本号、上报人、时间、是否逾期，以及正在使用的版本。",
    )
    versions.add_argument("--unit", metavar="单位", help="只列此单位")
    add_location_options(versions)
    versions.set_defaults(handler=command_versions)

    rollback = commands.add_parser(
        "rollback",
        help="将某单位的汇总表回退到较早的版本，并重新检查",
        description="省级工作人员将某单位回退到较早上报的版本（不删除任何版本；此后再上报的版本"
        "重新成为使用中的版本）。",
    )
    rollback.add_argument("--unit", metavar="单位", required=True, help="报送单位（如 保定）")
    rollback.add_argument("--to", metavar="版本号", type=int, required=True, help="回退到第几版")
    rollback.add_argument(
        "--who", metavar="姓名", help="操作人（默认 $LINGPAO_USER，否则为登录名）"
    )
    rollback.add_argument("--no-run", action="store_true", help="只回退，不运行检查")
    add_location_options(rollback)
    rollback.set_defaults(handler=command_rollback)


def _context(args: argparse.Namespace):
    from lingpao.foundation.programme import load_programme

    programme = load_programme()
    return programme, args.layout


def command_check(args: argparse.Namespace) -> int:
    from lingpao.citydesk.table_check import check_city_table

    programme, layout = _context(args)
    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"文件不存在 (no such file): {path}")
    unit = unit_option(programme, args.unit)
    result = check_city_table(path, programme, layout.readable(), unit=unit)
    print("\n".join(result.lines()))
    if not result.readable and "无法判断所属市" in (result.unreadable or ""):
        print("提示：用 --unit 指定报送单位（例如 --unit 保定）")
    return 0 if result.readable else UNREADABLE


def _run(args: argparse.Namespace, who: str, why: str) -> int:
    """Ask for a re-check and see it through: run it here when no runner is at work, else wait
    for the runner to take it up (submissions arriving together share one run)."""
    from lingpao.orchestration.run import run_queued
    from lingpao.warehouse.runqueue import RunQueue

    queue = RunQueue(args.layout)
    ticket = queue.request(who, why)
    run_queued(args.layout)
    if not queue.covered(ticket):
        print("另一个检查正在运行，本次变更将在其后一并检查…… (waiting for the running check)")
        queue.wait(ticket)
    status = queue.status()
    print("\n".join(status.get("summary") or []))
    return 0 if status.get("success") else 1


def command_submit(args: argparse.Namespace) -> int:
    from lingpao.access.viewer import operator as acting
    from lingpao.desk import Desk

    programme, layout = _context(args)
    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"文件不存在 (no such file): {path}")
    unit = unit_option(programme, args.unit)
    desk = Desk(layout, acting(operator(args.who)), programme)
    problem, check, version = desk.submit_table(unit, path.name, path.read_bytes(), recheck=False)
    if check is not None:
        print("\n".join(check.lines()))
    if version is None:
        print(f"未上报 (not submitted): {problem}")
        return UNREADABLE
    late = "，逾期提交 (late)" if version.late else ""
    print(
        f"已上报 submitted: {unit}第{version.version}版{late} → {desk.versions.inbox / version.file}"
    )
    why = f"{unit}上报第{version.version}版汇总表"
    return 0 if args.no_run else _run(args, desk.actor.label, why)


def command_versions(args: argparse.Namespace) -> int:
    from lingpao.citydesk.versions import TableVersions
    from lingpao.ingest.inbox import round_folder

    programme, layout = _context(args)
    unit = unit_option(programme, args.unit)
    store = TableVersions(round_folder(layout.inbox, programme.year), programme)
    active = store.active()
    shown = store.versions(unit)
    for problem in store.problems(unit):
        print(f"注意 notice: {problem}")
    if not shown:
        print("尚无网上报送的汇总表 (no submitted versions)")
    for v in shown:
        mark = "✔ 使用中" if active.get(v.unit) == v else ""
        late = "逾期" if v.late else ""
        print(f"{v.unit}\t第{v.version}版\t{v.submitted_at}\t{v.who}\t{late}\t{mark}\t{v.file}")
    return 0


def command_rollback(args: argparse.Namespace) -> int:
    from lingpao.access.viewer import operator as acting
    from lingpao.desk import Desk

    programme, layout = _context(args)
    unit = unit_option(programme, args.unit)
    desk = Desk(layout, acting(operator(args.who)), programme)
    problem = desk.rollback_table(unit, args.to, recheck=False)
    if problem:
        raise CommandError(problem)
    print(f"已回退 rolled back: {unit}现使用第{args.to}版")
    return 0 if args.no_run else _run(args, desk.actor.label, f"{unit}回退到第{args.to}版汇总表")
