"""The rule catalogue: every rule id of contract §3.2 (and our extensions), its severity and name."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """One data-quality rule: id (as in `dq_issues.rule`), severity, Chinese name, where it lives."""

    id: str
    severity: str  # error | warning
    name: str
    engine: str  # gx (column rule, expectations/<table>.json) | sql (cross-table, assets/quality/cross_rules.py) | ingest
    contract: bool = True
    applies_unless: str | None = None  # not reported on a record that already fails this rule


RULES: dict[str, Rule] = {
    r.id: r
    for r in [
        Rule("credit_code_format", "error", "统一社会信用代码格式错误", "gx"),
        Rule(
            "credit_code_checksum",
            "error",
            "统一社会信用代码校验位错误",
            "gx",
            applies_unless="credit_code_format",
        ),
        Rule(
            "credit_code_not_hebei",
            "error",
            "统一社会信用代码登记机关不在河北",
            "gx",
            applies_unless="credit_code_format",
        ),
        Rule("direction_invalid", "error", "申报方向无效", "gx"),
        Rule("type_invalid", "error", "申报类型无效", "gx"),
        Rule("submitted_outside_window", "error", "提交时间不在申报窗口内", "gx"),
        Rule("certification_without_pool", "error", "申报认定但不在培育库", "sql"),
        Rule("info_update_not_leader", "error", "信息更新企业不是领跑者", "sql"),
        Rule("duplicate_application", "error", "同一企业重复申报", "sql"),
        Rule("cluster_unknown", "warning", "所属集群不在名单或所属市不符", "sql"),
        Rule("phone_invalid", "warning", "联系电话无效", "gx"),
        Rule("evidence_incomplete", "warning", "佐证材料不全", "gx"),
        Rule("missing_in_city_table", "error", "市级汇总表中缺少该申报", "sql"),
        Rule("missing_in_platform", "error", "平台上无对应申报", "sql"),
        Rule("field_mismatch", "warning", "汇总表与平台信息不一致", "sql"),
        Rule("file_unreadable", "error", "文件无法读取", "ingest"),
        # extensions of the contract: records the pipeline cannot otherwise place
        Rule("application_id_missing", "error", "平台导出行缺少申报编号", "sql", contract=False),
        Rule("stage_invalid", "warning", "当前环节无法识别", "gx", contract=False),
        Rule("table_empty", "warning", "文件只有表头，没有数据行", "ingest", contract=False),
    ]
}


def severity(rule: str) -> str:
    return RULES[rule].severity
