"""Platform ↔ city tables: missing in the table, missing on the platform, fields that disagree."""

from tests.conftest import query
from tests.helpers import city_row, code, issues, platform_record, run, write_inbox

CERT = "“领跑者”企业认定"


def test_reconciliation(inbox, tmp_path):
    rows = [
        platform_record(
            申报编号="LISTED", 企业名称="甲", 统一社会信用代码=code(1), 当前环节="市级已确认入库"
        ),
        platform_record(
            申报编号="UNLISTED", 企业名称="乙", 统一社会信用代码=code(2), 当前环节="市级已确认入库"
        ),
        platform_record(
            申报编号="EARLY", 企业名称="丙", 统一社会信用代码=code(3), 当前环节="县级已审核"
        ),
        platform_record(
            申报编号="C_UNLISTED",
            企业名称="丁",
            统一社会信用代码=code(4),
            申报类型=CERT,
            提交时间="2023-07-27",
            当前环节="市级已推荐",
        ),
        # a company with a pool entry and a certification; the table lists only the pool entry
        platform_record(
            申报编号="BOTH_PE", 企业名称="戊", 统一社会信用代码=code(5), 当前环节="市级已确认入库"
        ),
        platform_record(
            申报编号="BOTH_C",
            企业名称="戊",
            统一社会信用代码=code(5),
            申报类型=CERT,
            提交时间="2023-07-27",
            当前环节="省级评审中",
        ),
        platform_record(
            申报编号="MISMATCH", 企业名称="己", 统一社会信用代码=code(6), 当前环节="市级已确认入库"
        ),
        platform_record(
            申报编号="SPELLING",
            企业名称="庚",
            统一社会信用代码=code(7),
            申报类型=CERT,
            提交时间="2023-07-27",
            当前环节="市级已推荐",
        ),
        platform_record(
            申报编号="BAOdING",
            企业名称="辛",
            统一社会信用代码=code(8),
            所属市="保定",
            所属集群="高阳纺织",
            当前环节="市级已确认入库",
        ),
    ]
    table = [
        city_row(1, "甲", code(1).lower()),  # row 3: matches LISTED
        city_row(2, "戊", code(5)),  # row 4: BOTH_PE
        city_row(
            3, "戊", code(5), kind="信息更新"
        ),  # row 5: no such application type on the platform
        city_row(4, "壬", code(9)),  # row 6: unknown to the platform
        city_row(
            5, "己公司", code(6), kind="认定", direction="绿色低碳发展"
        ),  # row 7: three fields differ
        city_row(6, "庚", code(7), kind="认定"),  # row 8: same values spelled otherwise
        city_row(7, "丙", code(3)),  # row 9: listed early: fine
        city_row(
            8, "丁", code(4), kind="认定", direction="科技创新"
        ),  # row 10: near-miss direction, no mismatch
    ]
    pool = [(code(4), "丁", "培育库"), (code(5), "戊", "培育库"), (code(7), "庚", "培育库")]
    write_inbox(inbox, rows, pool=pool, cities={"石家庄": table})
    _, warehouse = run(inbox, tmp_path)
    assert issues(warehouse, "missing_in_city_table") == {"UNLISTED", "BOTH_C", "BAOdING"}
    assert issues(warehouse, "missing_in_platform") == {
        "cities/石家庄.xlsx:5",
        "cities/石家庄.xlsx:6",
    }
    assert issues(warehouse, "field_mismatch") == {"cities/石家庄.xlsx:7"}
    field, detail = query(
        warehouse, "SELECT field, detail FROM dq_issues WHERE rule = 'field_mismatch'"
    )[0]
    assert field == "company_name,application_type,direction"
    assert "工作表“汇总表”第7行" in detail and "MISMATCH" in detail
    assert issues(warehouse, "direction_invalid") == {"cities/石家庄.xlsx:10"}
    baoding = query(warehouse, "SELECT detail FROM dq_issues WHERE record_key = 'BAOdING'")[0][0]
    assert "保定的汇总表（附件2）尚未收到" in baoding
    sources = dict(query(warehouse, "SELECT rule, any_value(source) FROM dq_issues GROUP BY 1"))
    assert (
        sources["missing_in_platform"] == "city_table"
        and sources["missing_in_city_table"] == "platform"
    )
