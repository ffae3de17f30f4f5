"""Close the sample's 2023 round, as the province would, to look at the close on the pages.

After `lingpao sample` and a run, this starts the review from the shortlist, loads a synthetic
experts list (per panel five experts, one of them from a candidate's own city), writes the score
sheets and fills them with made-up scores as the experts would, imports them, opens the public
notice on 2023-09-27 for five working days (over National Day), records two objections (one upheld,
one dismissed), certifies on 2023-10-10, and runs the round's build so the pages read it:

    .venv/bin/python tools/demo_close.py --inbox data/inbox --warehouse data/warehouse.duckdb

Every score is synthetic; nothing here is a real expert or a real decision.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl

from lingpao.access.audit import AuditLog
from lingpao.access.viewer import Viewer
from lingpao.foundation.layout import Layout
from lingpao.foundation.programme import load_programme
from lingpao.pipeline import run_build
from lingpao.review.close import Close
from lingpao.review.sheets import SHEET, criterion_header
from lingpao.review.store import ReviewStore
from lingpao.sample.writers import write_xlsx
from lingpao.warehouse.connection import connect_read_only
from lingpao.warehouse.rounds import enter_round

STEWARD = Viewer(id="demo", name="演示管理员", role="steward", via="password")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
EMPLOYERS = ["河北工业大学", "河北科技大学", "燕山大学", "河北大学", "省工业技术研究院"]


def experts_of(candidates, rng: random.Random) -> list[list[str]]:
    """Five experts per panel; the first from the city of the panel's first candidate."""
    rows = []
    for n, (panel, group) in enumerate(candidates.groupby("panel", sort=True)):
        for k in range(5):
            unit = group.iloc[0]["city"] if k == 0 else "外省"
            name = rng.choice(SURNAMES) + rng.choice("明华建国志强丽娟伟芳") + "（演示）"
            rows.append([f"E{n + 1:02d}{k + 1}", name, EMPLOYERS[k], unit, panel])
    return rows


def fill(path: Path, rng: random.Random, criteria: dict[str, float]) -> bytes:
    """The sheet with every score cell filled, as an expert would."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[SHEET]
    header_row = next(r for r in range(1, 10) if sheet.cell(r, 2).value == "申报编号")
    headers = [c.value for c in sheet[header_row]]
    for row in range(header_row + 1, sheet.max_row + 1):
        for name, maximum in criteria.items():
            column = headers.index(criterion_header(name, maximum)) + 1
            sheet.cell(row, column).value = round(maximum * rng.uniform(0.55, 1.0), 1)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inbox", type=Path, default=Path("data/inbox"))
    parser.add_argument("--warehouse", type=Path, default=Path("data/warehouse.duckdb"))
    parser.add_argument("--year", type=int, default=2023)
    args = parser.parse_args()
    rng = random.Random(args.year)
    layout = Layout.resolve(args.inbox, args.warehouse)
    programme = load_programme(args.year)
    served = layout.readable()
    close = Close(
        ReviewStore(layout.review),
        AuditLog(layout.audit),
        programme,
        lambda: enter_round(connect_read_only(served), programme.year),
    )
    close.start_review(STEWARD)
    with tempfile.TemporaryDirectory() as work:
        listed = Path(work) / "专家名单.xlsx"
        rows = experts_of(close.candidates(), rng)
        header = ["专家编号", "姓名", "工作单位", "所在市", "评审组"]
        write_xlsx(listed, [("专家", [[f"{args.year}年度专家名单"], header, *rows], 1)])
        close.load_experts(STEWARD, listed)
        for path in close.write_sheets(STEWARD, Path(work) / "sheets"):
            close.import_sheet(STEWARD, fill(path, rng, programme.review.criteria), path.name)
    notice = close.start_notice(STEWARD, dt.date(args.year, 9, 27), 5)
    listed = close.notice_list()
    received = dt.datetime(args.year, 9, 29, 10, 30, tzinfo=ZoneInfo(programme.timezone))
    if len(listed) >= 2:
        first, second = listed.iloc[0], listed.iloc[1]
        upheld = close.add_objection(
            STEWARD,
            first["company_name"],
            "（演示）反映该企业近三年发生过安全生产事故",
            received_at=received,
            raised_by="群众来信",
        )
        dismissed = close.add_objection(
            STEWARD, second["credit_code"], "（演示）对研发投入有疑问", received_at=received
        )
        close.decide_objection(STEWARD, upheld, True, "（演示）经核实，异议属实")
        close.decide_objection(STEWARD, dismissed, False, "（演示）研发费用专项审计报告齐全")
    certified = close.certify(STEWARD, notice["end"] + dt.timedelta(days=1))
    summary = run_build(layout, year=args.year)
    print(f"公示 {len(listed)} 家，认定 {len(certified)} 家；{summary.lines()[0]}")


if __name__ == "__main__":
    main()
