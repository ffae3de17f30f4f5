"""Small helpers for tests: write hand-made inbox files and run the pipeline on them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

from lingpao.foundation.layout import Layout
from lingpao.foundation.programme import load_programme
from lingpao.orchestration.run import run_pipeline
from lingpao.pipeline import RunSummary, run_build
from lingpao.sample.generator import CITY_HEADERS, PLATFORM_HEADERS

__all__ = ["CITY_HEADERS", "PLATFORM_HEADERS", "platform_record", "run"]

ROOT = Path(__file__).resolve().parent.parent


def lingpao_cli(
    *args: object, env: dict | None = None, input: str | None = None, timeout: int = 600
) -> subprocess.CompletedProcess:
    """The real `lingpao` command in its own process, as a person runs it: exit code and output."""
    return subprocess.run(
        [sys.executable, "-m", "lingpao.cli", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        input=input,
    )


def copy_warehouse(sample_run: dict, folder: Path) -> Path:
    """A private copy of the sample's warehouse and serving copy, for a test that writes; the
    warehouse's path."""
    for name in ("warehouse.duckdb", "warehouse.serving.duckdb"):
        shutil.copy(sample_run["warehouse"].with_name(name), folder / name)
    return folder / "warehouse.duckdb"


def platform_record(**values: object) -> list[object]:
    """A platform export row in PLATFORM_HEADERS order from header=value pairs (others blank)."""
    defaults = {
        "申报编号": "LP1",
        "企业名称": "河北测试有限公司",
        "统一社会信用代码": "91130100MA0000000Y",
        "所属市": "石家庄市",
        "所属县（市、区）": "鹿泉区",
        "所属集群": "鹿泉电子信息",
        "所属行业": "电子",
        "申报类型": "入库培育",
        "申报方向": "科技创新发展",
        "具体专项条件": "高新技术企业",
        "联系人": "王伟",
        "联系电话": "13812345678",
        "提交时间": "2023-07-21 10:00:00",
        "当前环节": "企业已提交",
        **{h: "是" for h in PLATFORM_HEADERS[21:]},
    }
    defaults.update({k.replace("_", ""): v for k, v in values.items()})
    return [defaults.get(h, "") for h in PLATFORM_HEADERS]


def run(
    inbox: Path, tmp_path: Path, name: str = "warehouse.duckdb", allow_shrink: bool = False
) -> tuple[RunSummary, Path]:
    """Build and publish the warehouse as `lingpao run` does, on the domain's own steps (no Dagster,
    no report: what a question of the rules, stores or pages needs); `allow_shrink` for an inbox
    that deliberately has no platform snapshot."""
    layout = Layout.resolve(inbox, tmp_path / name)
    summary = run_build(layout, load_programme(2023), allow_shrink=allow_shrink)
    assert summary.success, summary.failure
    return summary, layout.warehouse


def full_run(
    inbox: Path, tmp_path: Path, name: str = "warehouse.duckdb", allow_shrink: bool = False
) -> tuple[RunSummary, Path]:
    """The real `lingpao run`: every Dagster asset and check, and the Great Expectations report."""
    layout = Layout.resolve(inbox, tmp_path / name)
    summary = run_pipeline(layout, allow_shrink=allow_shrink)
    assert summary.success, summary.failure
    return summary, layout.warehouse


def code(n: int, division: str = "130100") -> str:
    """A valid credit code registered in `division`, distinct for each n."""
    from stdnum.cn import uscc

    body = f"91{division}MA{n:07d}"
    return body + uscc.calc_check_digit(body)


def write_inbox(
    inbox: Path,
    platform: list[list],
    pool: list[tuple] = (),
    cities: dict[str, list[list]] | None = None,
    name: str = "platform/export_20230801.csv",
) -> None:
    """A platform snapshot (csv), a pool list (code, name, status label) and 附件2 tables per unit."""
    from lingpao.sample.writers import write_csv, write_xlsx

    write_csv(inbox / name, [PLATFORM_HEADERS, *platform], "utf-8")
    if pool:
        rows = [["统一社会信用代码", "企业名称", "状态", "入库年度"], *[[*p, "2022"] for p in pool]]
        write_xlsx(inbox / "registry" / "pool.xlsx", [("名单", rows, 0)])
    for unit, rows in (cities or {}).items():
        grid = [
            [f"{unit}市推荐“领跑者”企业培育及认定申报汇总表"],
            CITY_HEADERS,
            *rows,
        ]  # data from row 3
        write_xlsx(inbox / "cities" / f"{unit}.xlsx", [("汇总表", grid, 1)])


def city_row(
    seq: int,
    company: str,
    credit: str,
    kind: str = "入库培育",
    direction: str = "科技创新发展",
    phone: object = "13812345678",
) -> list:
    return [seq, company, credit, "电子", kind, direction, "高新技术企业", "王伟", phone]


def issues(warehouse: Path, rule: str | None = None) -> set:
    """{record_key} of one rule, or {(rule, record_key)} of all rules."""
    from tests.conftest import query

    if rule:
        return {
            r[0]
            for r in query(warehouse, "SELECT record_key FROM dq_issues WHERE rule = ?", [rule])
        }
    return set(query(warehouse, "SELECT rule, record_key FROM dq_issues"))


HOSTILE = {
    "formula_link": '=HYPERLINK("http://evil.example/x","点我")',
    "formula_cmd": "=cmd|' /C calc'!A0",
    "formula_at": "@SUM(A1)",
    "formula_plus": "+1-2",
    "script": "<script>alert(1)</script>河北有限公司",
    "img": "<img src=x onerror=alert(2)>",
    "svg": "<SVG/ONLOAD=&#97;&#108;&#101;&#114;&#116;(8)>",
    "markdown": "[点此核实](http://evil.example) ![b](http://evil.example/b.png)",
    "anchor": '<a href="http://evil.example">鹿泉电子信息</a>',
}


def write_hostile_inbox(inbox: Path) -> dict[str, str]:
    """An inbox whose names, contacts, directions, codes, clusters and file names are hostile:
    formulas, script and image tags, markdown links. Returns the application ids by what they carry."""
    from lingpao.sample.writers import write_xlsx

    certified = code(901)
    rows = [
        platform_record(
            申报编号="LPX1",
            企业名称=HOSTILE["formula_link"],
            统一社会信用代码=code(900),
            所属集群=HOSTILE["anchor"],
            联系人=HOSTILE["img"],
            具体专项条件=HOSTILE["formula_at"],
            所属行业=HOSTILE["formula_plus"],
            当前环节="市级已确认入库",
        ),
        platform_record(
            申报编号="LPX2",
            企业名称=HOSTILE["script"],
            统一社会信用代码=code(902),
            申报类型="“领跑者”企业认定",
            申报方向=HOSTILE["markdown"],
            提交时间="2023-07-27 09:00:00",
            当前环节="市级已推荐",
        ),
        platform_record(
            申报编号="LPX3",
            企业名称=HOSTILE["formula_cmd"],
            统一社会信用代码=certified,
            申报类型="“领跑者”企业认定",
            提交时间="2023-07-27 10:00:00",
            当前环节="市级已推荐",
            联系人=HOSTILE["markdown"],
        ),
        platform_record(
            申报编号="LPX4",
            企业名称="河北正常有限公司",
            统一社会信用代码=HOSTILE["svg"],
        ),
    ]
    write_inbox(inbox, rows, pool=[(certified, "某公司", "培育库")])
    title = ["石家庄市推荐“领跑者”企业培育及认定申报汇总表"]
    table = [
        title,
        CITY_HEADERS,
        city_row(1, HOSTILE["formula_link"], code(900)),
        city_row(2, HOSTILE["formula_cmd"], certified, kind="“领跑者”企业认定"),
        city_row(3, "-2+3", HOSTILE["svg"], direction=HOSTILE["markdown"], phone=HOSTILE["img"]),
    ]
    write_xlsx(inbox / "cities" / "石家庄[点此](javascript:alert(9)).xlsx", [("汇总表", table, 1)])
    (inbox / "cities" / "<img src=x onerror=alert(3)>.xlsx").write_bytes(b"<html>not a workbook")
    return {"formula": "LPX1", "script": "LPX2", "shortlisted": "LPX3", "svg": "LPX4"}


def walk(node):
    children = getattr(node, "children", None)
    if children:
        for child in children.values():
            yield from walk(child)
    else:
        yield node


def shown(at) -> tuple[list[str], list[pd.DataFrame]]:
    """Every text a person sees on the page (labels, values, options, chart data) and every table."""
    texts, frames = [], []
    for element in walk(at._tree):
        shows_options = getattr(element, "options", None) is not None
        for attribute in ("label", "value", "options", "body", "placeholder"):
            if attribute == "value" and shows_options:
                continue  # a choice widget shows its options' labels, not the value behind them
            try:
                value = getattr(element, attribute)
            except Exception:
                continue
            if isinstance(value, pd.DataFrame):
                frames.append(value)
            elif isinstance(value, (list, tuple)):
                texts += [str(v) for v in value]
            elif value is not None:
                texts.append(str(value))
        spec = getattr(getattr(element, "proto", None), "spec", None)
        if isinstance(spec, str) and spec:
            texts.append(json.dumps(json.loads(spec), ensure_ascii=False))
    return texts, frames


def round_instance(*years: int):
    """An ephemeral Dagster instance that knows the rounds (the `round` partitions) given."""
    import dagster as dg

    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("round", [str(y) for y in years or (2023,)])
    return instance
