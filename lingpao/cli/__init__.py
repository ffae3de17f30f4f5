"""The `lingpao` command line: run, dashboard, exports, the city desk, corrections, users, sample."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from lingpao.cli import citydesk as cli_citydesk
from lingpao.cli import corrections as cli_corrections
from lingpao.cli import export as cli_export
from lingpao.cli import users as cli_users
from lingpao.cli.common import CommandError, add_location_options
from lingpao.foundation.programme import PROJECT_ROOT

LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def command_run(args: argparse.Namespace) -> int:
    from lingpao.foundation.programme import load_programme

    inbox = args.layout.inbox
    if not inbox.is_dir():
        raise CommandError(f"收件箱不存在 (inbox not found): {inbox}")
    try:
        load_programme()
    except (FileNotFoundError, ValueError) as error:
        raise CommandError(f"申报年度配置有误 (programme configuration): {error}") from error
    from lingpao.orchestration.run import (  # Dagster loads only for a run that starts
        run_pipeline,
        run_queued,
    )

    if args.queued:
        os.nice(10)  # a background re-check yields the processor to the people using the pages
        summary = run_queued(
            args.layout,
            report=not args.no_report,
            announce=lambda done: print("\n".join(done.lines()), flush=True),
        )
        if summary is None:
            print("没有待运行的检查，或另一个进程正在运行 (nothing queued, or another runner)")
            return 0
        return 0 if summary.success else 1
    else:
        summary = run_pipeline(
            args.layout, allow_shrink=args.allow_shrink, full=args.full, report=not args.no_report
        )
    print("\n".join(summary.lines()))
    return 0 if summary.success else 1


def command_report(args: argparse.Namespace) -> int:
    if not args.layout.serving.exists():
        raise CommandError(
            f"尚无已发布的数据，请先运行 lingpao run (nothing published): {args.layout.serving}"
        )
    from lingpao.orchestration.run import build_report

    for suite in build_report(args.layout, full=args.full):
        agreed = "一致" if suite.agrees else "不一致"
        done = "已校验" if suite.validated else "未变化，沿用"
        print(
            f"{suite.suite}: {done}；GX {suite.gx_failures} / SQL {suite.sql_failures}（{agreed}）"
        )
    print(f"数据质量报告 Data Docs: {args.layout.gx_docs / 'index.html'}")
    return 0


def command_sample(args: argparse.Namespace) -> int:
    from lingpao.sample.generator import write_sample

    key = write_sample(Path(args.out), seed=args.seed, applications=args.applications)
    print(f"sample inbox written to {args.out}: {key['counts']}")
    return 0


def command_dashboard(args: argparse.Namespace) -> int:
    from lingpao.access.signin import BELIEVE_NO_FORWARDING
    from lingpao.cli.service import run_service

    layout = args.layout
    if not layout.users.exists() and args.address not in LOOPBACK:
        raise CommandError(
            f"没有用户文件（{layout.users}）时，仪表盘只在本机（127.0.0.1）提供服务，不能监听 "
            f"{args.address}。请先添加用户：lingpao users add ID --role ROLE --password-stdin"
        )
    # the address of a request is its TCP peer's, whatever X-Forwarded-For a caller sends
    env = dict(os.environ, **layout.environment(), **BELIEVE_NO_FORWARDING)
    app = PROJECT_ROOT / "lingpao" / "dashboard" / "server.py"  # the sign-in page and the app
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.headless",
        "true",
        "--server.port",
        str(args.port),
        "--server.address",
        args.address,
        "--browser.gatherUsageStats",
        "false",
        "--client.showErrorDetails",
        "none",
        "--client.disableDataExport",  # no unaudited CSV download or copy from any table
        "true",
        "--runner.postScriptGC",  # a full collection after every page cost most of its time
        "false",
        "--server.fileWatcherType",  # nor walking every module's path after every page
        "none",
    ]
    print(f"Lingpao dashboard: http://{args.address}:{args.port}", flush=True)
    return run_service(command, env, PROJECT_ROOT)  # SIGTERM/SIGINT stop it and all it started


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lingpao", description="Lingpao (领跑): the 领跑者 programme's pipeline and dashboard."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="materialise every asset once and print a summary",
        description="Read the inbox, rebuild the warehouse, check every "
        "rule, publish the serving copy. Exit 0 even when records fail "
        "rules; non-zero only when the run itself failed, or when its result is not published "
        "(no platform snapshot, or under half the applications published now: --allow-shrink).",
    )
    add_location_options(run)
    run.add_argument(
        "--allow-shrink",
        action="store_true",
        help="publish even a run without a platform snapshot, or one holding under half the applications published now",
    )
    run.add_argument(
        "--full",
        action="store_true",
        help="read every inbox file again and validate every suite, whatever the cache holds",
    )
    run.add_argument(
        "--queued",
        action="store_true",
        help="take up the re-checks asked for (by the dashboard, by submissions), one run for all "
        "that wait, until none is left; exits at once if another runner is at work",
    )
    run.add_argument(
        "--no-report",
        action="store_true",
        help="不在运行后生成数据质量报告（Great Expectations Data Docs）；需要时用 lingpao report",
    )
    run.set_defaults(handler=command_run)

    report = commands.add_parser(
        "report",
        help="生成数据质量报告（Great Expectations Data Docs）",
        description="按已发布的数据重新生成 Great Expectations 数据文档（只校验输入有变化的规则集；"
        "--full 全部重新校验）。lingpao run 每次发布后会在后台自动生成。",
    )
    add_location_options(report)
    report.add_argument("--full", action="store_true", help="全部规则集重新校验")
    report.set_defaults(handler=command_report)

    dashboard = commands.add_parser(
        "dashboard",
        help="start the Streamlit dashboard",
        description="Serve the dashboard on the warehouse's serving copy.",
    )
    add_location_options(dashboard)
    dashboard.add_argument("--port", type=int, default=8501)
    dashboard.add_argument("--address", default="localhost")
    dashboard.set_defaults(handler=command_dashboard)

    cli_export.add_parser(commands)
    cli_citydesk.add_parser(commands)
    cli_corrections.add_parser(commands)
    cli_users.add_parser(commands)

    sample = commands.add_parser(
        "sample",
        help="write a sample inbox with its answer key",
        description="Write an inbox in every format of the contract, "
        "with real-world messiness, and key.json of what a correct "
        "reading must give.",
    )
    sample.add_argument("--out", required=True, help="folder to write the inbox into")
    sample.add_argument("--seed", type=int, default=2023)
    sample.add_argument("--applications", type=int, default=400)
    sample.set_defaults(handler=command_sample)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; every failure is one line on standard error (no traceback): exit 2 for
    what the person can put right (a file, an option, a damaged store named with what to do), 1
    for an unexpected error (`LINGPAO_DEBUG=1` shows its traceback)."""
    from lingpao.foundation.settings import Settings

    args = build_parser().parse_args(argv)
    try:
        if hasattr(args, "warehouse"):  # resolved once: every path the command uses comes from it
            from lingpao.foundation.layout import Layout

            args.layout = Layout.resolve(args.inbox, args.warehouse)
        return args.handler(args)
    except KeyboardInterrupt:
        print("lingpao: 已中断 (interrupted)", file=sys.stderr)
        return 130
    except (CommandError, OSError, ValueError) as error:
        print(f"lingpao: {error}", file=sys.stderr)
        return 2
    except Exception as error:
        if Settings.load().get("LINGPAO_DEBUG"):
            raise
        if type(error).__module__.startswith("lingpao."):
            print(f"lingpao: {error}", file=sys.stderr)  # ours: the message says what to do
            return 2
        print(
            f"lingpao: 意外错误 (unexpected error) {type(error).__name__}: {error}"
            "（设置 LINGPAO_DEBUG=1 可显示详细信息）",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
