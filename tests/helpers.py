"""Small helpers for tests: write hand-made inbox files and run the pipeline on them."""

from __future__ import annotations

from pathlib import Path

from pipelines.run import RunSummary, run_pipeline
from pipelines.sample.generator import CITY_HEADERS, PLATFORM_HEADERS

__all__ = ["CITY_HEADERS", "PLATFORM_HEADERS", "platform_record", "run"]


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


def run(inbox: Path, tmp_path: Path, name: str = "warehouse.duckdb") -> tuple[RunSummary, Path]:
    warehouse = tmp_path / name
    summary = run_pipeline(str(inbox), str(warehouse))
    assert summary.success, summary.failure
    return summary, warehouse
