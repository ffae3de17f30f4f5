"""One label registry: every id people may see, in Chinese, for pages and workbooks alike.

Types, directions, stages and evidence come from the programme file, rule names from the rules;
the fixed vocabulary (severity, source, status, fields, columns) is here. No page or workbook
shows an internal id (a test walks them all).
"""

from __future__ import annotations

import pandas as pd

from lingpao.foundation.programme import Programme
from lingpao.quality.rules import RULES
from lingpao.quality.suites import EXPECTATION_WORDS

SEVERITY = {"error": "错误", "warning": "警告"}
SOURCE = {"platform": "平台申报", "city_table": "市级汇总表", "file": "文件"}
STATUS = {"open": "未解决", "waived": "已忽略", "fixed": "已更正"}
DECISION = {"fixed": "已更正", "waived": "已忽略", "reopened": "重新打开"}
SETTLED = {"accepted": "已采纳", "rejected": "已退回"}
ENTRY = {"correction": "更正", "decision": "处理", "proposal": "更正建议"}
FILE_STATUS = {
    "read": "已读取",
    "unreadable": "无法读取",
    "skipped": "已跳过",
    "ignored": "未使用",
    "superseded": "已被取代",
}
FIELDS = {
    "credit_code": "统一社会信用代码",
    "company_name": "企业名称",
    "city": "所属市",
    "county": "所属县（市、区）",
    "cluster": "所属集群",
    "industry": "所属行业",
    "application_type": "申报类型",
    "direction": "申报方向",
    "qualification": "具体专项条件",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
    "submitted_at": "提交时间",
    "stage": "当前环节",
    "application_id": "申报编号",
    "evidence": "佐证材料",
}
# Columns of the facts the suites check.
FACTS = {
    **FIELDS,
    "check_character": "校验位",
    "expected_check_character": "应有的校验位",
    "division_prefix": "登记机关行政区划码",
    "phone_kind": "联系电话类型",
    "submitted_day": "提交日期",
    "window_start": "申报窗口开始日",
    "window_end": "申报窗口截止日",
    "evidence_missing": "缺少的佐证材料",
}
COLUMNS = {
    **FIELDS,
    "applications": "申报数",
    "rank_in_direction": "排名",
    "score": "综合得分",
    "rnd_intensity": "研发强度",
    "revenue_growth": "营收年均增长率",
    "profit": "利润（万元）",
    "taxes": "上缴税金（万元）",
    "profit_last_year": "利润上年（万元）",
    "taxes_last_year": "上缴税金上年（万元）",
    "revenue_3y_ago": "营业收入前三年（万元）",
    "revenue_2y_ago": "营业收入前两年（万元）",
    "revenue_last_year": "营业收入上年（万元）",
    "rnd_last_year": "研发费用上年（万元）",
    "employees": "从业人员数",
    "evidence_uploaded": "佐证材料（已传/9）",
    "reason_text": "未列入原因",
    "pool_entry": "入库培育",
    "certification": "认定",
    "info_update": "信息更新",
    "pool_members": "培育库企业",
    "newly_confirmed": "本轮确认入库",
    "rule": "规则",
    "severity": "级别",
    "detail": "问题说明",
    "suggested_fix": "建议修改",
    "record_key": "记录",
    "source": "来源",
    "status": "状态",
    "since": "进入本环节",
    "days": "已等待（天）",
    "source_file": "文件",
    "reason": "原因",
    "open_issues": "未解决问题",
    "source_row": "行号",
    "source_sheet": "工作表",
    "first_seen_at": "首次出现时间",
    "programme_year": "年度",
    "pool_entries": "确认入库",
    "certified": "认定",
    "adjusted": "调整",
    "leaders": "领跑者（年末）",
    "since_year": "认定年度",
    "adjusted_year": "调整年度",
    "rounds": "出现的年度",
    "decision_reason": "处理原因",
}
# Where a leader is known from (`leaders.source`) and its status.
LEADER_SOURCE = {"registry": "省级名单", "platform": "平台环节", "decision": "省级认定决定"}
LEADER_STATUS = {"active": "领跑者", "adjusted": "已调整"}
# The steps of a run, as a page or a terminal watching it says them.
STEPS = {
    "inbox": "读取收件箱文件",
    "platform_rows": "整理平台导出和环节记录",
    "applications": "整理申报并应用更正",
    "city_submissions": "整理市级汇总表并应用更正",
    "correction_outcomes": "核对更正",
    "registry": "读取培育库和集群名单",
    "review_tables": "复制评审与认定记录",
    "carried": "整理往年延续的培育库和领跑者",
    "dq_issues": "逐条检查规则",
    "shortlist": "生成专家评审名单及未列入的原因",
    "serving_warehouse": "发布结果",
    "data_docs": "生成数据质量报告",
}

# The parts of the shortlist's score (their weights are in the programme file).
SCORE_PARTS = {
    "rnd_intensity": "研发强度",
    "revenue_growth": "营收年均增长率",
    "profit": "利润",
    "taxes": "上缴税金",
}


def weights_text(weights: dict[str, float]) -> str:
    """The score's weights as people read them: `研发强度 40%，营收年均增长率 30%…`."""
    return "，".join(f"{SCORE_PARTS.get(k, k)} {v:.0%}" for k, v in weights.items())


# Which kind of id each column holds, where it is shown.
VALUE_KINDS = {
    "direction": "direction",
    "application_type": "type",
    "stage": "stage",
    "severity": "severity",
    "source": "source",
    "status": "status",
    "rule": "rule",
    "field": "field",
    "decision": "decision",
    "kind": "entry",
}


class Labels:
    """The labels of one programme year: `of(kind, id)` for a value, `frame()` for a table."""

    def __init__(self, programme: Programme) -> None:
        self.maps: dict[str, dict[str, str]] = {
            "direction": dict(programme.directions),
            "type": {k: v["label"] for k, v in programme.types.items()},
            "stage": dict(programme.stage_labels),
            "evidence": {f"ev_{k}": v for k, v in programme.evidence.items()},
            "rule": {rule_id: rule.name for rule_id, rule in RULES.items()},
            "severity": SEVERITY,
            "source": SOURCE,
            "status": STATUS,
            "decision": DECISION,
            "settled": SETTLED,
            "entry": ENTRY,
            "file_status": FILE_STATUS,
            "field": FIELDS,
            "fact": FACTS,
        }

    def of(self, kind: str, value: object) -> object:
        """The label of an id (a comma-joined list of fields label by label); others unchanged."""
        if not isinstance(value, str):
            return value
        mapping = self.maps[kind]
        if kind == "field" and "," in value:
            return "、".join(mapping.get(part, part) for part in value.split(","))
        return mapping.get(value, value)

    def column(self, name: str) -> str:
        """A column's heading for people."""
        return COLUMNS.get(name, name)

    def series(self, kind: str, values: pd.Series) -> pd.Series:
        return values.map(lambda v: self.of(kind, v))

    def frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Ids in known columns replaced by labels, and the columns renamed for people."""
        out = frame.copy()
        for column, kind in VALUE_KINDS.items():
            if column in out:
                out[column] = self.series(kind, out[column])
        return out.rename(columns=COLUMNS)

    def expectation(self, expectation: dict) -> str:
        """What one expectation of a suite checks, in words."""
        kwargs = {
            key: self.of("fact", value)
            for key, value in expectation["kwargs"].items()
            if isinstance(value, str) and key.startswith("column")
        }
        return EXPECTATION_WORDS[expectation["type"]].format_map(kwargs)
