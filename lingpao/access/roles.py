"""Who may do what: the one table of roles, their actions and their pages (README: 谁能做什么)."""

from __future__ import annotations

ROLE_LABELS = {
    "province": "省级工作人员",
    "steward": "数据管理员",
    "leadership": "领导",
    "city": "市级工信部门",
}

# Actions, each checked where data is read or written (the query layer, the stores, the runner).
ACTION_LABELS = {
    "read_all_units": "查看全省各单位",
    "read_contacts": "查看联系人和电话",
    "read_records": "查看问题和记录明细",
    "export": "导出汇总表、数据文档等含明细的文件",
    "export_shortlist": "下载专家评审名单（不含联系人）",
    "download_feedback": "下载问题反馈表",
    "propose": "提出更正建议（待数据管理员采纳）",
    "correct": "更正",
    "waive": "忽略问题",
    "reopen": "重新打开问题",
    "accept_proposal": "采纳或退回更正建议",
    "run": "运行检查",
    "submit_table": "上报汇总表",
    "rollback_table": "回退汇总表版本",
    "run_review": "组织专家评审、公示和认定",
    "read_review_scores": "查看各位专家的评分",
    "read_review_outcome": "查看评审进度、建议名单和认定名单",
    "submit_leader_check": "提交领跑者年度核查",
    "confirm_adjustments": "确认领跑者调整",
}

PROVINCE = frozenset(
    {
        "read_all_units",
        "read_contacts",
        "read_records",
        "export",
        "export_shortlist",
        "download_feedback",
        "run",
        "submit_table",
        "rollback_table",
        "run_review",
        "read_review_scores",
        "read_review_outcome",
        "submit_leader_check",
        "confirm_adjustments",
    }
)
PERMISSIONS: dict[str, frozenset[str]] = {
    "province": PROVINCE,
    # the province's rights, and the decisions on records
    "steward": PROVINCE | {"correct", "waive", "reopen", "accept_proposal"},
    # aggregates and company names: no contact data, no record-level issues, no changes
    # (the review's progress and lists, never one expert's scores)
    "leadership": frozenset({"read_all_units", "export_shortlist", "read_review_outcome"}),
    # its own unit only (the Viewer's scope), and proposals instead of corrections
    "city": frozenset(
        {
            "read_contacts",
            "read_records",
            "download_feedback",
            "propose",
            "submit_table",
            "read_review_outcome",
            "submit_leader_check",
        }
    ),
}

PAGES: dict[str, tuple[str, ...]] = {
    "province": (
        "progress",
        "applications",
        "record",
        "quality",
        "queue",
        "shortlist",
        "clusters",
        "review",
        "rounds",
        "company",
        "citydesk",
    ),
    "steward": (
        "progress",
        "applications",
        "record",
        "quality",
        "queue",
        "shortlist",
        "clusters",
        "review",
        "rounds",
        "company",
        "citydesk",
    ),
    # the list of applications without contact data; no single record's details
    "leadership": (
        "progress",
        "applications",
        "shortlist",
        "review",
        "clusters",
        "rounds",
        "company",
    ),
    "city": (
        "progress",
        "applications",
        "record",
        "quality",
        "queue",
        "review",
        "rounds",
        "company",
        "citydesk",
    ),
}
# Every page, with its title: a page a role may not open is still known, and says so in Chinese.
PAGE_TITLES = {
    "progress": "总览",
    "applications": "申报列表",
    "record": "申报详情",
    "quality": "数据质量",
    "queue": "数据治理",
    "shortlist": "专家评审名单",
    "clusters": "集群",
    "review": "评审与认定",
    "rounds": "历年对比",
    "company": "企业档案",
    "citydesk": "上报汇总表",
}


class Forbidden(PermissionError):
    """An action or a read the viewer's role or unit does not allow; the message says which."""


def permission_markdown() -> str:
    """The permission table as the README shows it: one row per action, one column per role."""
    head = "| | " + " | ".join(f"{label}（{role}）" for role, label in ROLE_LABELS.items()) + " |"
    rows = [head, "|---" * (len(ROLE_LABELS) + 1) + "|"]
    for action, label in ACTION_LABELS.items():
        marks = ["✔" if action in PERMISSIONS[role] else "" for role in ROLE_LABELS]
        rows.append(f"| {label} | " + " | ".join(marks) + " |")
    return "\n".join(rows)
