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
        help="batch corrections: template, apply, log",
        description="template: write the open issues as a workbook to fill in (处理, 新值, 原因). "
        "apply: validate a filled-in workbook and record it all or nothing (each bad row is named and "
        "nothing is applied). log: the audit trail of corrections and decisions. Corrections take "
        "effect on the next `lingpao run`; raw inputs are never changed.",
    )
    corrections.add_argument("action", choices=["template", "apply", "log"])
    corrections.add_argument(
        "file", nargs="?", help="template: the .xlsx to write; apply: the filled-in .xlsx"
    )
    corrections.add_argument("--city", help="template: only this reporting unit")
    corrections.add_argument(
        "--who", help="apply: who made the corrections (default $LINGPAO_USER or login name)"
    )
    corrections.add_argument("--record", help="log: only this record (application id or file:row)")
    corrections.add_argument("--limit", type=int, default=200, help="log: the last N entries")
    add_location_options(corrections)
    corrections.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lingpao.access.audit import AuditLog
    from lingpao.access.viewer import Scope
    from lingpao.access.viewer import operator as access_operator
    from lingpao.corrections.batch import read_batch, write_template
    from lingpao.corrections.store import CorrectionStore
    from lingpao.foundation.programme import load_programme

    programme = load_programme()
    layout = args.layout
    store = CorrectionStore(layout.corrections, layout.backups, layout.readable())
    if args.action == "template":
        out = xlsx_path(args.file, "FILE")
        with open_served(args.layout) as conn:
            write_template(conn, programme, out, unit=unit_option(programme, args.city))
        print(f"written {out}")
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
        print("（无记录 no entries）")
        return 0
    for row in history.tail(args.limit).itertuples():
        change = (
            f"{row.field}: “{row.old_value}” → “{row.new_value}”"
            if row.kind == "correction"
            else f"{row.rule}: {row.decision}"
        )
        print(f"{row.at}\t{row.who}\t{row.record_key}\t{change}\t{row.reason}")
    return 0
