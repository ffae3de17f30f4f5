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
        help="write a workbook: summary (附件2), shortlist, feedback, or a unit's city-template",
        description="summary: the province summary in the 附件2 layout (what the cities passed on, grouped "
        "by unit). shortlist: the expert shortlist (one sheet per direction, no contact data). feedback: "
        "a unit's records with open issues, failing cells highlighted, to send back for correction. "
        "city-template: a unit's 附件2 pre-filled from the platform (what the city passed on), with "
        "drop-down lists for type and direction, to check and submit.",
    )
    export.add_argument("what", choices=["summary", "shortlist", "feedback", "city-template"])
    export.add_argument("--out", help="the .xlsx file to write")
    export.add_argument(
        "--city",
        "--unit",
        dest="city",
        help="only this reporting unit (e.g. 石家庄); for feedback and city-template, the unit",
    )
    export.add_argument(
        "--all", action="store_true", help="feedback: one workbook for each of the 14 units"
    )
    export.add_argument("--out-dir", help="feedback --all: the folder to write into")
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
                print(f"written {out}")
        return 0
    if args.what == "city-template":
        if not unit:
            raise CommandError("export city-template 需要 --unit 单位")
        out = xlsx_path(args.out)
        with open_served(args.layout) as conn:
            write_city_template(conn, programme, unit, out)
        print(f"written {out}")
        return 0
    out = xlsx_path(args.out)
    writer = {"summary": write_summary, "shortlist": write_shortlist}[args.what]
    with open_served(args.layout) as conn:
        writer(conn, programme, out, unit=unit)
    print(f"written {out}")
    return 0
