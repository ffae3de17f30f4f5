"""The `lingpao` command line: run, dashboard, exports, the city desk, corrections, users, sample."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from lingpao.cli import citydesk as cli_citydesk
from lingpao.cli import corrections as cli_corrections
from lingpao.cli import export as cli_export
from lingpao.cli import programme as cli_programme
from lingpao.cli import review as cli_review
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
        load_programme(args.year)
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
        progress = Progress(sys.stdout)
        summary = run_pipeline(
            args.layout,
            allow_shrink=args.allow_shrink,
            full=args.full,
            report=not args.no_report,
            progress=progress,
            year=args.year,
        )
        progress.done()
    print("\n".join(summary.lines()))
    return 0 if summary.success else 1


class Progress:
    """Where a run is, as it goes: on a terminal one line redrawn (the step, the file being read);
    in a log (output not a terminal) a plain line per step and per file."""

    def __init__(self, stream) -> None:
        from lingpao.labels import STEPS

        self.stream, self.names, self.seen = stream, STEPS, 0
        self.terminal = stream.isatty()

    def __call__(self, step: str, detail: str = "") -> None:
        name = self.names.get(step, step)
        if not detail:
            self.seen += 1
        step_text = f"第{self.seen}步 {name}"
        if self.terminal:
            self.stream.write("\r\033[K" + (step_text + (f"：{detail}" if detail else ""))[:100])
        else:
            self.stream.write((f"  读取 {detail}" if detail else step_text) + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self.terminal and self.seen:
            self.stream.write("\r\033[K")
            self.stream.flush()


def command_report(args: argparse.Namespace) -> int:
    if not args.layout.serving.exists():
        raise CommandError(
            f"尚无已发布的数据，请先运行 lingpao run (nothing published): {args.layout.serving}"
        )
    from lingpao.orchestration.run import build_report

    for suite in build_report(args.layout, full=args.full, year=args.year):
        agreed = "一致" if suite.agrees else "不一致"
        done = "已校验" if suite.validated else "未变化，沿用"
        print(
            f"{suite.suite}: {done}；GX {suite.gx_failures} / SQL {suite.sql_failures}（{agreed}）"
        )
    print(f"数据质量报告 Data Docs: {args.layout.gx_docs / 'index.html'}")
    return 0


def command_sample(args: argparse.Namespace) -> int:
    if args.year:
        from lingpao.sample.generator import write_sample

        key = write_sample(
            Path(args.out), seed=args.seed, applications=args.applications, year=args.year
        )
        print(f"示例收件箱（{args.year}年度，不分年度文件夹）已写入 {args.out}：{key['counts']}")
        return 0
    from lingpao.sample.rounds import write_rounds

    key = write_rounds(Path(args.out), seed=args.seed, applications=args.applications)
    rounds = "、".join(f"{y}年度" for y in key["rounds"])
    print(f"示例收件箱（{rounds}，每年度一个文件夹）已写入 {args.out}")
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


# argparse's own words (usage, headings, errors), in Chinese: it looks each one up through `_`.
ARGPARSE_WORDS = {
    "usage: ": "用法：",
    "positional arguments": "位置参数",
    "options": "选项",
    "show this help message and exit": "显示本帮助并退出",
    "the following arguments are required: %s": "缺少必填参数：%s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选项 %(value)r（可选：%(choices)s）",
    "expected one argument": "需要一个值",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "invalid %(type)s value: %(value)r": "无效的%(type)s值：%(value)r",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
}


def _chinese(words):
    original = argparse._

    def translate(message: str) -> str:
        return words.get(message, original(message))

    return translate


argparse._ = _chinese(ARGPARSE_WORDS)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lingpao",
        description="领跑者申报数据平台：读取收件箱、检查每条记录、发布结果，提供仪表盘和各类导出。",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="命令", title="命令")

    run = commands.add_parser(
        "run",
        help="运行一次检查：读取收件箱、建表、逐条检查规则、发布结果，并打印摘要",
        description="读取收件箱（只读取内容有变化的文件），重建数据仓库，逐条检查规则，发布仪表盘"
        "读取的结果副本，再在后台生成数据质量报告。记录有问题也以 0 退出（问题就是数据）；只有运行"
        "本身失败，或结果未发布（没有平台导出，或申报数不到已发布的一半：可用 --allow-shrink）时才"
        "以非 0 退出。在终端中运行时显示进度，输出到日志时逐行记录。收件箱按年度分文件夹"
        "（inbox/2023/、inbox/2024/…）时，更新输入有变化的每个年度；--year 只更新该年度。",
    )
    add_location_options(run)
    run.add_argument(
        "--allow-shrink",
        action="store_true",
        help="即使没有平台导出，或申报数不到已发布的一半，也发布本次结果",
    )
    run.add_argument(
        "--full",
        action="store_true",
        help="不论缓存，重新读取全部收件箱文件、重新校验全部规则集",
    )
    run.add_argument(
        "--queued",
        action="store_true",
        help="处理排队的重新检查（来自仪表盘、上报）：等待中的一并运行一次，直到没有排队；"
        "已有其他进程在处理时立即退出",
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
        help="启动仪表盘（网页）",
        description="在数据仓库的发布副本上提供仪表盘。SIGTERM 或 Ctrl-C 会停止网页服务及其启动的"
        "一切进程。没有用户文件时只在本机提供服务。",
    )
    add_location_options(dashboard)
    dashboard.add_argument(
        "--port", metavar="端口", type=int, default=8501, help="端口（默认 8501）"
    )
    dashboard.add_argument(
        "--address",
        metavar="地址",
        default="localhost",
        help="监听的地址（默认 localhost，仅本机）",
    )
    dashboard.set_defaults(handler=command_dashboard)

    cli_export.add_parser(commands)
    cli_citydesk.add_parser(commands)
    cli_corrections.add_parser(commands)
    cli_users.add_parser(commands)
    cli_programme.add_parser(commands)
    cli_review.add_parser(commands)

    sample = commands.add_parser(
        "sample",
        help="生成一个示例收件箱及其答案",
        description="按约定的各种格式生成示例收件箱（含真实文件中常见的各种不规范），并写出 "
        "key.json：正确读取后应得到的结果。默认生成三个年度：2022（第一批领跑者名单）、2023（平台"
        "导出、市级汇总表、名单）、2024（只有市级汇总表的认定）；--year 只生成一个年度、不分文件夹。",
    )
    sample.add_argument(
        "--year", metavar="年度", type=int, help="只生成这一年度（2023 年的格式），不分年度文件夹"
    )
    sample.add_argument("--out", metavar="文件夹", required=True, help="写入示例收件箱的文件夹")
    sample.add_argument(
        "--seed", metavar="种子", type=int, default=2023, help="随机种子（默认 2023）"
    )
    sample.add_argument(
        "--applications", metavar="数量", type=int, default=400, help="申报数量（默认 400）"
    )
    sample.set_defaults(handler=command_sample)
    return parser


def choose_round(args: argparse.Namespace) -> None:
    """The round a command works on, for everything it loads (and the processes it starts):
    `--year`, else LINGPAO_YEAR, else (a command reading what was published) the newest round
    published. `lingpao run` without either builds every round whose inputs changed."""
    from lingpao.foundation.settings import Settings

    year = getattr(args, "year", None)
    if year is None and args.command != "run" and not Settings.load().get("LINGPAO_YEAR"):
        from lingpao.warehouse.connection import connect_read_only
        from lingpao.warehouse.rounds import years_in

        served = args.layout.readable()
        if served is not None:
            try:
                with connect_read_only(served) as conn:
                    year = max(years_in(conn), default=None)
            except Exception:  # an unreadable copy: the command itself says what is wrong
                year = None
    if year is not None:
        os.environ["LINGPAO_YEAR"] = str(year)


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
            choose_round(args)
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
