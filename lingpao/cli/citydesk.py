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
        help="list the problems one city table (附件2) would raise, changing nothing",
        description="Read one city table exactly as a run would (the unit from its title, sheet or "
        "file name, unless --unit is given) and print the unit it was read as, then every problem "
        "the rules would raise for it against the published warehouse, one per line: row, company, "
        "credit code, field, value, rule, what to correct. Exit 0 when the file was read (with or "
        "without problems), 2 when it cannot be read.",
    )
    check.add_argument("file", help="the table: .xlsx, .xls or .docx")
    check.add_argument("--unit", help="read it as this unit's table (e.g. 保定)")
    add_location_options(check)
    check.set_defaults(handler=command_check)

    submit = commands.add_parser(
        "submit",
        help="submit a city table as a new version of its unit's table, then re-check",
        description="Check the table as --unit's, keep it in the inbox as that unit's next version "
        "(no version is ever overwritten; who and when are logged; after the deadline it is marked "
        "late) and run the pipeline so that the rules read it. Refused when the file cannot be "
        "read or names another unit.",
    )
    submit.add_argument("file", help="the table: .xlsx, .xls or .docx")
    submit.add_argument("--unit", required=True, help="the reporting unit (e.g. 保定)")
    submit.add_argument("--who", help="who submits (default: $LINGPAO_USER, else the login name)")
    submit.add_argument("--no-run", action="store_true", help="keep the version without a run")
    add_location_options(submit)
    submit.set_defaults(handler=command_submit)

    versions = commands.add_parser(
        "versions",
        help="list the submitted versions of the city tables",
        description="Every submitted version: unit, number, who, when, late, and the one read.",
    )
    versions.add_argument("--unit", help="only this unit")
    add_location_options(versions)
    versions.set_defaults(handler=command_versions)

    rollback = commands.add_parser(
        "rollback",
        help="make an earlier version a unit's table again, then re-check",
        description="The province rolls a unit back to an earlier submitted version (nothing is "
        "deleted; a later submission becomes the active one again).",
    )
    rollback.add_argument("--unit", required=True)
    rollback.add_argument("--to", type=int, required=True, help="the version number")
    rollback.add_argument("--who", help="who rolls back (default: $LINGPAO_USER or login name)")
    rollback.add_argument("--no-run", action="store_true")
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
    print(f"已上报 submitted: {unit}第{version.version}版{late} → {layout.inbox / version.file}")
    why = f"{unit}上报第{version.version}版汇总表"
    return 0 if args.no_run else _run(args, desk.actor.label, why)


def command_versions(args: argparse.Namespace) -> int:
    from lingpao.citydesk.versions import TableVersions

    programme, layout = _context(args)
    unit = unit_option(programme, args.unit)
    store = TableVersions(layout.inbox, programme)
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
