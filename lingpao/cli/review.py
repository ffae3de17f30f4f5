"""`lingpao review`, `notice`, `certify`, `leaders`: the close of a round (contract §6).

Each command acts as the operator at the server (a steward), is checked and recorded in the review
store and the audit log, and (unless `--no-run`) brings the warehouse up to date afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from lingpao.cli.common import CommandError, add_location_options, operator, unit_option


def _options(parser: argparse.ArgumentParser, run: bool = False) -> None:
    add_location_options(parser)
    parser.add_argument("--who", metavar="姓名", help="操作人（默认 $LINGPAO_USER 或登录名）")
    if run:
        parser.add_argument(
            "--no-run", action="store_true", help="只记录，不在之后更新数据仓库（下次运行时更新）"
        )


def add_parser(commands) -> None:
    review = commands.add_parser(
        "review",
        help="专家评审：开始评审、生成评分表、导入评分表、评审结果",
        description="开始评审时冻结专家评审名单为候选企业（一个版本）；按专家名单分组、回避同市或"
        "同单位的企业，为每位专家生成评分表；导入交回的评分表（整份校验，有问题整份不收）；"
        "计算平均分、分差、组内排名和建议名单。",
    )
    actions = review.add_subparsers(dest="action", required=True, metavar="操作", title="操作")
    start = actions.add_parser("start", help="冻结专家评审名单，开始评审（新版本）")
    _options(start, run=True)
    listed = actions.add_parser("candidates", help="列出候选企业，及开始评审后新出现的错误")
    _options(listed)
    for name, text in (("keep", "保留"), ("withdraw", "撤出")):
        decide = actions.add_parser(name, help=f"{text}一家候选企业（须写明原因）")
        decide.add_argument("application", metavar="申报编号")
        decide.add_argument("--reason", metavar="原因", required=True)
        _options(decide, run=True)
    sheets = actions.add_parser("sheets", help="每位专家一份评分表（.xlsx）")
    sheets.add_argument("--out-dir", metavar="文件夹", required=True)
    sheets.add_argument(
        "--experts", metavar="文件", help="专家名单（默认 收件箱/<年度>/review/experts.*）"
    )
    _options(sheets)
    imported = actions.add_parser("import", help="导入交回的评分表（每份整份校验）")
    imported.add_argument("files", metavar="文件", nargs="+")
    _options(imported, run=True)
    result = actions.add_parser("result", help="评审结果与建议名单（.xlsx）")
    result.add_argument("--out", metavar="文件", required=True)
    _options(result)
    review.set_defaults(handler=command_review)

    notice = commands.add_parser(
        "notice",
        help="公示：开始公示、导出公示名单、记录和处理异议",
        description="公示期按国家法定节假日和调休安排的工作日计算（默认 5 个工作日）。",
    )
    steps = notice.add_subparsers(dest="action", required=True, metavar="操作", title="操作")
    begin = steps.add_parser("start", help="以建议名单开始公示")
    begin.add_argument("--from", dest="start", metavar="日期", required=True, help="如 2023-11-20")
    begin.add_argument("--working-days", metavar="天数", type=int)
    _options(begin, run=True)
    export = steps.add_parser("export", help="公示名单（.docx 或 .xlsx）")
    export.add_argument("--out", metavar="文件", required=True)
    _options(export)
    objection = steps.add_parser(
        "objection", help="异议：add 记录、import 从收件箱导入、list、decide 处理"
    )
    kinds = objection.add_subparsers(dest="objection", required=True, metavar="操作", title="操作")
    add = kinds.add_parser("add", help="记录一条异议")
    add.add_argument("--company", metavar="企业", required=True, help="企业名称或统一社会信用代码")
    add.add_argument("--text", metavar="内容", required=True)
    add.add_argument("--received", metavar="时间", help="收到时间（默认现在）")
    add.add_argument("--by", metavar="提出人", default="")
    _options(add, run=True)
    load = kinds.add_parser("import", help="导入异议名单（默认 收件箱/<年度>/review/objections.*）")
    load.add_argument("file", metavar="文件", nargs="?")
    _options(load, run=True)
    shown = kinds.add_parser("list", help="列出异议及处理情况")
    _options(shown)
    for parent in (kinds, steps):
        decide = parent.add_parser(
            "decide", help="处理一条异议：--upheld 成立 或 --dismissed 不成立"
        )
        decide.add_argument("number", metavar="编号", type=int)
        chosen = decide.add_mutually_exclusive_group(required=True)
        chosen.add_argument("--upheld", action="store_true", help="异议成立：企业移出名单")
        chosen.add_argument("--dismissed", action="store_true", help="异议不成立")
        decide.add_argument("--reason", metavar="理由", required=True)
        _options(decide, run=True)
    notice.set_defaults(handler=command_notice)

    certify = commands.add_parser(
        "certify",
        help="公示期满且异议均已处理后，认定名单",
        description="公示结束、每条异议都已处理后，认定公示名单中未因异议移出的企业；"
        "它们在数据仓库中为已认定，并自本年度起成为领跑者。",
    )
    certify.add_argument("--on", metavar="日期", help="认定日期（默认今天）")
    _options(certify, run=True)
    certify.set_defaults(handler=command_certify)

    leaders = commands.add_parser(
        "leaders",
        help="领跑者年度核查：核查表、导入核查结果、确认调整",
        description="各单位核查本单位的领跑者（正常 / 建议调整并写明原因）；省级确认后，"
        "调整的企业自本年度起不再是领跑者。",
    )
    checks = leaders.add_subparsers(dest="action", required=True, metavar="操作", title="操作")
    template = checks.add_parser("check-template", help="某单位的核查表（.xlsx）")
    template.add_argument("--unit", metavar="单位", required=True)
    template.add_argument("--out", metavar="文件", required=True)
    _options(template)
    back = checks.add_parser("check-import", help="导入某单位填好的核查表")
    back.add_argument("file", metavar="文件")
    back.add_argument("--unit", metavar="单位", required=True)
    _options(back, run=True)
    adjust = checks.add_parser("adjust", help="确认各单位建议调整的领跑者")
    adjust.add_argument("--confirm", action="store_true", required=True)
    _options(adjust, run=True)
    leaders.set_defaults(handler=command_leaders)


def close_for(args: argparse.Namespace):
    """The round's close, acting as the operator, reading the published copy."""
    from lingpao.access.audit import AuditLog
    from lingpao.foundation.programme import load_programme
    from lingpao.review.close import Close
    from lingpao.review.store import ReviewStore
    from lingpao.warehouse.connection import connect_read_only
    from lingpao.warehouse.rounds import enter_round

    layout, programme = args.layout, load_programme()
    served = layout.readable()
    connect = (lambda: enter_round(connect_read_only(served), programme.year)) if served else None
    close = Close(ReviewStore(layout.review), AuditLog(layout.audit), programme, connect)
    from lingpao.access.viewer import operator as acting

    return close, acting(operator(getattr(args, "who", None)))


def _refused(action):
    from lingpao.access.roles import Forbidden
    from lingpao.review.store import ReviewRefused

    try:
        return action()
    except (ReviewRefused, Forbidden) as problem:
        raise CommandError(str(problem)) from None


def _after(args: argparse.Namespace, actor, why: str) -> int:
    if getattr(args, "no_run", False):
        print("已记录；数据仓库将在下次运行 lingpao run 时更新")
        return 0
    from lingpao.cli.citydesk import _run

    return _run(args, actor.label, why)


def _experts_file(args: argparse.Namespace, year: int) -> Path:
    from lingpao.ingest.inbox import round_folder

    if args.experts:
        return Path(args.experts)
    folder = round_folder(args.layout.inbox, year) / "review"
    found = sorted(folder.glob("experts.*")) if folder.is_dir() else []
    if not found:
        raise CommandError(f"没有专家名单：请放入 {folder}/experts.xlsx 或用 --experts 指定")
    return found[0]


def command_review(args: argparse.Namespace) -> int:
    close, actor = close_for(args)
    if args.action == "start":
        version, count = _refused(lambda: close.start_review(actor))
        print(f"已开始{close.year}年度第{version}版专家评审：候选企业 {count} 家")
        return _after(args, actor, "开始专家评审")
    if args.action == "candidates":
        frame = _refused(close.candidates)
        for row in frame.itertuples():
            mark = {"withdraw": "已撤出", "keep": "保留"}.get(row.decision or "", "")
            news = f"　新出现的错误：{row.new_errors}" if row.new_errors else ""
            print(
                f"{row.application_id}\t{row.company_name}\t{row.city}\t{row.panel}\t{mark}{news}"
            )
        return 0
    if args.action in ("keep", "withdraw"):
        keep = args.action == "keep"
        _refused(lambda: close.decide_candidate(actor, args.application, keep, args.reason))
        print(f"已{'保留' if keep else '撤出'} {args.application}")
        return _after(args, actor, "评审候选企业的处理")
    if args.action == "sheets":
        experts = _experts_file(args, close.year)
        _refused(lambda: close.load_experts(actor, experts))
        written = _refused(lambda: close.write_sheets(actor, Path(args.out_dir)))
        for path in written:
            print(f"已写入 {path}")
        pairs = close.store.assignments(close.year)
        for row in pairs[pairs["excluded_reason"].notna()].itertuples():
            print(f"回避：专家 {row.expert_id} 不评 {row.application_id}（{row.excluded_reason}）")
        return 0
    if args.action == "import":
        failed = 0
        for name in args.files:
            path = Path(name)
            if not path.is_file():
                print(f"未导入 {path.name}：文件不存在")
                failed += 1
                continue
            try:
                expert, version, scores = _refused(
                    lambda p=path: close.import_sheet(actor, p.read_bytes(), p.name)
                )
            except CommandError as problem:
                print(f"未导入 {path.name}：{problem}")
                failed += 1
                continue
            print(f"已导入 {path.name}：专家 {expert} 第{version}版，{scores} 个分数")
        code = _after(args, actor, "导入评分表") if failed < len(args.files) else 0
        return 2 if failed else code
    if args.action == "result":
        from lingpao.review.documents import result_xlsx

        out = Path(args.out)
        frame = _refused(close.result)
        result_xlsx(
            frame, close.programme, close.progress(), True, close.store.experts(close.year), out
        )
        proposed = int(frame["proposed"].sum()) if len(frame) else 0
        print(f"已写入 {out}：候选 {len(frame)} 家，建议入选 {proposed} 家")
        return 0
    raise CommandError(args.action)


def command_notice(args: argparse.Namespace) -> int:
    close, actor = close_for(args)
    if args.action == "start":
        try:
            start = dt.date.fromisoformat(args.start)
        except ValueError:
            raise CommandError(f"日期应为 年-月-日：{args.start}") from None
        done = _refused(lambda: close.start_notice(actor, start, args.working_days))
        print(
            f"已开始公示：{done['companies']} 家，{done['start']} 至 {done['end']}（{done['working_days']}个工作日）"
        )
        return _after(args, actor, "开始公示")
    if args.action == "export":
        return export_list(close, "notice", Path(args.out))
    if args.action == "decide" or getattr(args, "objection", None) == "decide":
        upheld = bool(args.upheld)
        _refused(lambda: close.decide_objection(actor, args.number, upheld, args.reason))
        print(f"异议 {args.number}：{'成立，企业移出名单' if upheld else '不成立'}")
        return _after(args, actor, "处理异议")
    if args.objection == "add":
        received = None
        if args.received:
            try:
                received = dt.datetime.fromisoformat(args.received)
            except ValueError:
                raise CommandError(f"时间应为 年-月-日 时:分：{args.received}") from None
        number = _refused(
            lambda: close.add_objection(actor, args.company, args.text, received, args.by)
        )
        print(f"已记录异议 {number}")
        return _after(args, actor, "记录异议")
    if args.objection == "import":
        from lingpao.ingest.inbox import round_folder

        path = Path(args.file) if args.file else None
        if path is None:
            folder = round_folder(args.layout.inbox, close.year) / "review"
            found = sorted(folder.glob("objections.*")) if folder.is_dir() else []
            if not found:
                raise CommandError(f"没有异议名单：{folder}/objections.*")
            path = found[0]
        added = _refused(lambda: close.import_objections(actor, path))
        print(f"已记录异议 {len(added)} 条")
        return _after(args, actor, "导入异议")
    if args.objection == "list":
        frame = close.store.objections(close.year)
        names = (
            dict(
                zip(
                    close.notice_list()["application_id"],
                    close.notice_list()["company_name"],
                    strict=True,
                )
            )
            if len(frame)
            else {}
        )
        for row in frame.itertuples():
            state = {"upheld": "成立", "dismissed": "不成立"}.get(row.decision or "", "未处理")
            print(
                f"{row.id}\t{names.get(row.application_id, row.application_id)}\t{row.received_at}\t{state}\t{row.text}"
            )
        return 0
    raise CommandError(args.action)


def export_list(close, kind: str, out: Path) -> int:
    from lingpao.review.close import published
    from lingpao.review.documents import list_docx, list_xlsx

    frame, title, intro, closing, grouped = _refused(lambda: published(close, kind))
    if out.suffix.lower() == ".docx":
        list_docx(frame, close.programme, title, intro, closing, grouped, out)
    elif out.suffix.lower() == ".xlsx":
        list_xlsx(frame, close.programme, title, intro, grouped, out)
    else:
        raise CommandError(f"文件应为 .docx 或 .xlsx：{out}")
    print(f"已写入 {out}（{len(frame)} 家）")
    return 0


def command_certify(args: argparse.Namespace) -> int:
    close, actor = close_for(args)
    try:
        on = dt.date.fromisoformat(args.on) if args.on else None
    except ValueError:
        raise CommandError(f"日期应为 年-月-日：{args.on}") from None
    frame = _refused(lambda: close.certify(actor, on))
    print(f"已认定{close.year}年度“领跑者”企业 {len(frame)} 家")
    return _after(args, actor, "认定")


def command_leaders(args: argparse.Namespace) -> int:
    close, actor = close_for(args)
    if args.action == "check-template":
        from lingpao.review.documents import check_template

        unit = unit_option(close.programme, args.unit)
        leaders = _refused(lambda: close.unit_leaders(actor, unit))
        check_template(leaders, close.programme, unit, Path(args.out))
        print(f"已写入 {args.out}（{unit}领跑者 {len(leaders)} 家）")
        return 0
    if args.action == "check-import":
        unit = unit_option(close.programme, args.unit)
        path = Path(args.file)
        if not path.is_file():
            raise CommandError(f"文件不存在 (no such file): {path}")
        count = _refused(lambda: close.import_check(actor, path.read_bytes(), path.name, unit))
        print(f"已导入{unit}的核查：{count} 家")
        return _after(args, actor, f"{unit}领跑者核查")
    if args.action == "adjust":
        done = _refused(lambda: close.confirm_adjustments(actor))
        for row in done.itertuples():
            print(f"已调整 {row.company_name}（{row.credit_code}，{row.unit}）：{row.reason}")
        print(f"共确认调整 {len(done)} 家")
        return _after(args, actor, "确认领跑者调整")
    raise CommandError(args.action)
