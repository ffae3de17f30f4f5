"""`lingpao corrections`: the batch template, applying it all or nothing, and the audit log."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lingpao.cli.common import (
    CommandError,
    add_location_options,
    open_served,
    operator,
    unit_option,
    xlsx_path,
)


def add_parser(commands) -> None:
    corrections = commands.add_parser(
        "corrections",
        help="批量更正：生成模板（template）、导入（apply）、查看记录（log）",
        description="template：把未解决的问题写成待填写的工作簿（处理、新值、原因）。apply：校验填好"
        "的工作簿，全部无误才记录（每一处错误写明行号，一处有错则一条也不记录）。log：更正和处理的"
        "记录。更正在下一次 lingpao run 后生效，原始文件从不改动。",
    )
    corrections.add_argument(
        "action",
        metavar="操作",
        choices=["template", "apply", "log"],
        help="template、apply 或 log",
    )
    corrections.add_argument(
        "file", metavar="文件", nargs="?", help="template：要写入的 .xlsx；apply：已填写的 .xlsx"
    )
    corrections.add_argument("--city", metavar="单位", help="template：只含此报送单位")
    corrections.add_argument(
        "--who", metavar="姓名", help="apply：更正人（默认 $LINGPAO_USER，否则为登录名）"
    )
    corrections.add_argument(
        "--record", metavar="记录", help="log：只看这条记录（申报编号或 文件:行）"
    )
    corrections.add_argument(
        "--limit", metavar="条数", type=int, default=200, help="log：最近多少条（默认 200）"
    )
    add_location_options(corrections)
    corrections.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import datetime as dt
    from zoneinfo import ZoneInfo

    from lingpao.access.audit import AuditLog
    from lingpao.access.viewer import Scope
    from lingpao.access.viewer import operator as access_operator
    from lingpao.corrections.batch import read_batch, write_template
    from lingpao.corrections.store import CorrectionStore
    from lingpao.foundation.programme import load_programme
    from lingpao.labels import Labels
    from lingpao.quality.rules import RULES

    programme = load_programme()
    layout = args.layout
    store = CorrectionStore(layout.corrections, layout.backups, layout.readable())
    if args.action == "template":
        out = xlsx_path(args.file, "FILE")
        with open_served(args.layout) as conn:
            write_template(conn, programme, out, unit=unit_option(programme, args.city))
        print(f"已写入 {out}")
        return 0
    if args.action == "apply":
        if not args.file:
            raise CommandError("corrections apply 需要一个已填写的 .xlsx 文件")
        path = Path(args.file)
        if not path.exists():
            raise CommandError(f"文件不存在 (no such file): {path}")
        with open_served(args.layout) as conn:
            corrections, decisions, errors = read_batch(path, conn, programme)
        if errors:
            print(
                f"未应用任何更正 (nothing applied): {path.name} 有 {len(errors)} 处错误",
                file=sys.stderr,
            )
            for error in errors:
                print(f"  {error}", file=sys.stderr)
            return 2
        if not corrections and not decisions:
            print(f"{path.name}: 没有填写任何处理 (nothing filled in)")
            return 0
        actor = access_operator(operator(args.who))
        store.record(actor, corrections, decisions, batch=path.name)
        AuditLog(layout.audit).record(
            "correction", actor, f"{path.name}: {len(corrections)} 项更正、{len(decisions)} 项处理"
        )
        print(
            f"已记录 {len(corrections)} 项更正、{len(decisions)} 项处理，下次 lingpao run 后生效（{store.path}）"
        )
        return 0
    history = store.history(Scope(), args.record)
    if history.empty:
        print("（无记录）")
        return 0
    labels = Labels(programme)
    zone = ZoneInfo(programme.timezone)

    def text(value: object) -> str:
        return "" if value is None or (isinstance(value, float) and value != value) else str(value)

    print("时间\t操作人\t类型\t记录\t内容\t原因")
    for row in history.tail(args.limit).itertuples():
        moment = dt.datetime.fromisoformat(row.at).astimezone(zone).strftime("%Y-%m-%d %H:%M")
        kind = labels.of("entry", row.kind)
        if row.kind in ("correction", "proposal"):
            change = f"{labels.of('field', row.field)}：“{text(row.old_value)}” → “{text(row.new_value)}”"
        else:
            rule = RULES[row.rule].name if text(row.rule) in RULES else text(row.rule)
            change = f"{rule}：{labels.of('decision', row.decision)}"
        print(
            f"{moment}\t{text(row.who)}\t{kind}\t{text(row.record_key)}\t{change}\t{text(row.reason)}"
        )
    return 0
