"""Direction, type, stage, phone and evidence rules (column rules of the GX suites)."""

from tests.conftest import query
from tests.helpers import city_row, code, issues, platform_record, run, write_inbox


def test_direction_and_type(inbox, tmp_path):
    rows = [
        platform_record(申报编号="OK", 统一社会信用代码=code(1), 申报方向=" 科技创新发展 "),
        platform_record(申报编号="EMPTY", 统一社会信用代码=code(2), 申报方向=""),
        platform_record(
            申报编号="TWO", 统一社会信用代码=code(3), 申报方向="科技创新发展、绿色低碳发展"
        ),
        platform_record(申报编号="NEAR", 统一社会信用代码=code(4), 申报方向="绿色低碳"),
        platform_record(申报编号="TYPE", 统一社会信用代码=code(5), 申报类型="技术改造"),
        platform_record(
            申报编号="CERT1", 统一社会信用代码=code(6), 申报类型="认定", 提交时间="2023-07-27 10:00"
        ),
        platform_record(
            申报编号="CERT2",
            统一社会信用代码=code(7),
            申报类型='"领跑者"企业认定',
            提交时间="2023-07-27 10:00",
        ),
        platform_record(
            申报编号="CERT3",
            统一社会信用代码=code(8),
            申报类型="“领跑者”企业认定",
            提交时间="2023-07-27 10:00",
        ),
    ]
    pool = [(code(n), f"企业{n}", "培育库") for n in (6, 7, 8)]
    write_inbox(inbox, rows, pool=pool)
    _, warehouse = run(inbox, tmp_path)
    assert issues(warehouse, "direction_invalid") == {"EMPTY", "TWO", "NEAR"}
    assert issues(warehouse, "type_invalid") == {"TYPE"}
    fixes = dict(
        query(
            warehouse,
            "SELECT record_key, suggested_fix FROM dq_issues WHERE rule = 'direction_invalid'",
        )
    )
    assert fixes == {"EMPTY": None, "TWO": None, "NEAR": "绿色低碳发展"}
    two = query(
        warehouse,
        "SELECT detail FROM dq_issues WHERE record_key = 'TWO' AND rule = 'direction_invalid'",
    )[0][0]
    assert "多个方向" in two


def test_phone(inbox, tmp_path):
    rows = [
        platform_record(申报编号="MOBILE", 统一社会信用代码=code(1), 联系电话="13812345678"),
        platform_record(申报编号="FLOAT", 统一社会信用代码=code(2), 联系电话="13812345678.0"),
        platform_record(申报编号="LANDLINE", 统一社会信用代码=code(3), 联系电话="0311-85866036"),
        platform_record(申报编号="SHORT", 统一社会信用代码=code(4), 联系电话="1381234567"),
        platform_record(申报编号="JUNK", 统一社会信用代码=code(5), 联系电话="12345"),
        platform_record(申报编号="EMPTY", 统一社会信用代码=code(6), 联系电话=""),
    ]
    write_inbox(
        inbox,
        rows,
        cities={
            "石家庄": [
                city_row(1, "甲", code(1), phone="无"),
                city_row(2, "乙", code(2), phone=13812345678.0),
            ]
        },
    )
    _, warehouse = run(inbox, tmp_path)
    assert issues(warehouse, "phone_invalid") == {"SHORT", "JUNK", "EMPTY", "cities/石家庄.xlsx:3"}
    assert query(
        warehouse, "SELECT severity FROM dq_issues WHERE rule = 'phone_invalid' LIMIT 1"
    ) == [("warning",)]


def test_evidence_by_type(inbox, tmp_path):
    def evidence(**missing):
        return {
            name: missing.get(name, "是")
            for name in [
                "营业执照",
                "审计报告",
                "主导产品证明",
                "知识产权清单",
                "合作合同",
                "无事故证明",
                "社会责任说明",
                "专项条件佐证",
                "真实性声明",
            ]
        }

    rows = [
        platform_record(申报编号="FULL", 统一社会信用代码=code(1), **evidence()),
        platform_record(申报编号="NO", 统一社会信用代码=code(2), **evidence(审计报告="否")),
        platform_record(申报编号="BLANK", 统一社会信用代码=code(3), **evidence(真实性声明="")),
        platform_record(
            申报编号="UPDATE_OK",
            统一社会信用代码=code(4),
            申报类型="信息更新",
            **evidence(审计报告="否", 合作合同=""),
        ),
        platform_record(
            申报编号="UPDATE_NO",
            统一社会信用代码=code(5),
            申报类型="信息更新",
            **evidence(营业执照="否"),
        ),
    ]
    write_inbox(inbox, rows, pool=[(code(4), "甲", "领跑者"), (code(5), "乙", "领跑者")])
    _, warehouse = run(inbox, tmp_path)
    assert issues(warehouse, "evidence_incomplete") == {"NO", "BLANK", "UPDATE_NO"}
    detail = query(warehouse, "SELECT detail FROM dq_issues WHERE record_key = 'NO'")[0][0]
    assert "审计报告" in detail


def test_a_clean_record_has_no_issue_at_all(inbox, tmp_path):
    write_inbox(inbox, [platform_record(申报编号="CLEAN", 统一社会信用代码=code(1))])
    _, warehouse = run(inbox, tmp_path)
    assert issues(warehouse) == set()


def test_unknown_stage_is_flagged_as_an_extension_rule(inbox, tmp_path):
    write_inbox(inbox, [platform_record(申报编号="ODD", 统一社会信用代码=code(1), 当前环节="待定")])
    _, warehouse = run(inbox, tmp_path)
    assert issues(warehouse) == {("stage_invalid", "ODD")}
