"""What the CLI commands share: the one-line error, location options, read-only access, argument checks."""

from __future__ import annotations

import argparse
from pathlib import Path


class CommandError(Exception):
    """A failure to report to the user in one line, without a traceback."""


def add_location_options(parser: argparse.ArgumentParser, year: bool = True) -> None:
    parser.add_argument(
        "--inbox", metavar="文件夹", help="收件箱文件夹（默认 $LINGPAO_INBOX，否则 data/inbox）"
    )
    parser.add_argument(
        "--warehouse",
        metavar="文件",
        help="数据仓库文件（默认 $LINGPAO_WAREHOUSE，否则 data/warehouse.duckdb）",
    )
    if year:
        parser.add_argument(
            "--year",
            metavar="年度",
            type=int,
            help="申报年度（轮次；默认 $LINGPAO_YEAR，否则已发布的最新年度）",
        )


def open_served(layout):
    """A read-only connection to what a run last published (the serving copy, else the warehouse)."""
    import duckdb

    from lingpao.foundation.programme import load_programme
    from lingpao.warehouse.connection import connect_read_only
    from lingpao.warehouse.rounds import enter_round

    database = layout.readable()
    if database is None:
        raise CommandError(
            f"数据仓库不存在，请先运行 lingpao run (no warehouse): {layout.warehouse}"
        )

    try:
        return enter_round(connect_read_only(database), load_programme().year)
    except duckdb.Error as error:
        raise CommandError(
            f"无法读取数据文件 {database}（{str(error).splitlines()[0][:160]}）；"
            "请重新运行 lingpao run 生成它"
        ) from None


def unit_option(programme, city: str | None) -> str | None:
    """The reporting unit named by --city, or None; an unknown name is an error."""
    if city and programme.unit_of(city) is None:
        raise CommandError(
            f"未知的所属市 (unknown unit) “{city}”；可选：{'、'.join(programme.units)}"
        )
    return programme.unit_of(city) if city else None


def xlsx_path(value: str | None, what: str = "--out") -> Path:
    if not value:
        raise CommandError(f"需要 {what} 文件 (missing {what})")
    out = Path(value)
    if out.suffix.lower() != ".xlsx":
        raise CommandError(f"文件应为 .xlsx (must be .xlsx): {out}")
    return out


def operator(value: str | None) -> str:
    """Who acts: --who, else $LINGPAO_USER, else the login name."""
    import getpass

    from lingpao.foundation.settings import Settings

    return value or Settings.load().get("LINGPAO_USER") or getpass.getuser()
