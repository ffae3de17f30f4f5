"""`lingpao export`: the 附件2 summary, the expert shortlist, and the per-city feedback workbooks."""

from __future__ import annotations

import argparse
from pathlib import Path

from lingpao.cli.common import (
    CommandError,
    add_location_options,
    open_served,
    unit_option,
    xlsx_path,
)


def add_parser(commands) -> None:
    export = commands.add_parser(
        "export",
        help="导出工作簿：summary（附件2全省汇总表）、shortlist（专家评审名单）、feedback（问题反馈表）、"
        "city-template（某单位预填的附件2）",
        description="summary：附件2格式的全省汇总表（各市已确认或推荐的申报，按单位分组，未报送的单位"
        "也列出）。shortlist：专家评审名单（每个方向一页，不含联系人）。feedback：某单位有未解决问题的"
        "记录，问题单元格标出，发回更正。city-template：按平台数据预填的某单位附件2，申报类型和方向带"
        "下拉选项，供核对后上报。",
    )
    export.add_argument(
        "what",
        metavar="类别",
        choices=["summary", "shortlist", "feedback", "city-template", "certified", "adjusted"],
        help="summary、shortlist、feedback、city-template、certified（认定名单，.docx 或 .xlsx）"
        "或 adjusted（调整名单，.docx 或 .xlsx）",
    )
    export.add_argument("--out", metavar="文件", help="要写入的 .xlsx 文件")
    export.add_argument(
        "--city",
        "--unit",
        dest="city",
        metavar="单位",
        help="只含此报送单位（如 石家庄）；feedback 和 city-template 必填",
    )
    export.add_argument("--all", action="store_true", help="feedback：为每个报送单位各写一份")
    export.add_argument("--out-dir", metavar="文件夹", help="feedback --all：写入的文件夹")
    add_location_options(export)
    export.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lingpao.citydesk.template import write_city_template
    from lingpao.exports.feedback import write_feedback
    from lingpao.exports.shortlist import write_shortlist
    from lingpao.exports.summary import write_summary
    from lingpao.foundation.programme import load_programme

    programme = load_programme()
    unit = unit_option(programme, args.city)
    if args.what in ("certified", "adjusted"):
        from lingpao.cli.review import close_for, export_list

        if not args.out:
            raise CommandError("需要 --out 文件（.docx 或 .xlsx）")
        close, _ = close_for(args)
        return export_list(close, args.what, Path(args.out))
    if args.what == "feedback":
        if bool(unit) == bool(args.all):
            raise CommandError("export feedback 需要 --city 单位 或 --all（二选一）")
        if args.all and not args.out_dir:
            raise CommandError("export feedback --all 需要 --out-dir 文件夹")
        targets = (
            [
                (u, Path(args.out_dir) / f"{u}_问题反馈_{programme.year}.xlsx")
                for u in programme.units
            ]
            if args.all
            else [(unit, xlsx_path(args.out))]
        )
        with open_served(args.layout) as conn:
            for name, out in targets:
                write_feedback(conn, programme, name, out)
                print(f"已写入 {out}")
        return 0
    if args.what == "city-template":
        if not unit:
            raise CommandError("export city-template 需要 --unit 单位")
        out = xlsx_path(args.out)
        with open_served(args.layout) as conn:
            write_city_template(conn, programme, unit, out)
        print(f"已写入 {out}")
        return 0
    out = xlsx_path(args.out)
    writer = {"summary": write_summary, "shortlist": write_shortlist}[args.what]
    with open_served(args.layout) as conn:
        writer(conn, programme, out, unit=unit)
    print(f"已写入 {out}")
    return 0
