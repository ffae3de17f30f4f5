"""Windows, eligibility (pool, leaders), duplicates and clusters: the boundary cases of §3.2."""

from lingpao.sample.writers import write_csv
from tests.helpers import PLATFORM_HEADERS, code, issues, platform_record, run, write_inbox

POOL_ENTRY, CERT, UPDATE = "入库培育", "“领跑者”企业认定", "信息更新"


def test_windows_are_inclusive_days_in_shanghai_time(inbox, tmp_path):
    rows = [
        platform_record(申报编号="PE_FIRST", 统一社会信用代码=code(1), 提交时间="2023-07-20 00:00"),
        platform_record(
            申报编号="PE_LAST", 统一社会信用代码=code(2), 提交时间="2023-07-25 23:59:59"
        ),
        platform_record(申报编号="PE_LATE", 统一社会信用代码=code(3), 提交时间="2023-07-26 00:00"),
        platform_record(申报编号="PE_EARLY", 统一社会信用代码=code(4), 提交时间="2023/7/19 23:59"),
        platform_record(
            申报编号="PE_SERIAL", 统一社会信用代码=code(5), 提交时间="45132.99"
        ),  # 2023-07-25 23:45
        platform_record(申报编号="PE_NONE", 统一社会信用代码=code(6), 提交时间=""),
        platform_record(
            申报编号="C_FIRST", 统一社会信用代码=code(7), 申报类型=CERT, 提交时间="2023-07-26 00:00"
        ),
        platform_record(
            申报编号="C_EARLY", 统一社会信用代码=code(8), 申报类型=CERT, 提交时间="2023-07-25 23:59"
        ),
        platform_record(
            申报编号="C_LAST",
            统一社会信用代码=code(9),
            申报类型=CERT,
            提交时间="2023年7月30日 23:59",
        ),
        platform_record(
            申报编号="C_LATE",
            统一社会信用代码=code(10),
            申报类型=CERT,
            提交时间="2023-07-31 00:00:01",
        ),
        platform_record(
            申报编号="U_LAST",
            统一社会信用代码=code(11),
            申报类型=UPDATE,
            提交时间="2023-07-25 18:00",
        ),
    ]
    pool = [(code(n), "x", "培育库") for n in (7, 8, 9, 10)] + [(code(11), "y", "领跑者")]
    write_inbox(inbox, rows, pool=pool)
    _, warehouse = run(inbox, tmp_path)
    assert issues(warehouse, "submitted_outside_window") == {
        "PE_LATE",
        "PE_EARLY",
        "PE_NONE",
        "C_EARLY",
        "C_LATE",
    }


def test_certification_needs_pool_or_a_live_pool_entry(inbox, tmp_path):
    rows = [
        platform_record(
            申报编号="C_MEMBER", 统一社会信用代码=code(1), 申报类型=CERT, 提交时间="2023-07-27"
        ),
        platform_record(
            申报编号="C_STRANGER", 统一社会信用代码=code(2), 申报类型=CERT, 提交时间="2023-07-27"
        ),
        # entering the pool and certifying in the same round
        platform_record(申报编号="P_SAME", 统一社会信用代码=code(3), 当前环节="县级已审核"),
        platform_record(
            申报编号="C_SAME", 统一社会信用代码=code(3), 申报类型=CERT, 提交时间="2023-07-27"
        ),
        # the pool entry came back from the county: the certification is not eligible
        platform_record(申报编号="P_RETURNED", 统一社会信用代码=code(4), 当前环节="县级退回"),
        platform_record(
            申报编号="C_RETURNED", 统一社会信用代码=code(4), 申报类型=CERT, 提交时间="2023-07-27"
        ),
        platform_record(申报编号="P_REJECTED", 统一社会信用代码=code(5), 当前环节="市级未通过"),
        platform_record(
            申报编号="C_REJECTED", 统一社会信用代码=code(5), 申报类型=CERT, 提交时间="2023-07-27"
        ),
        platform_record(申报编号="P_DRAFT", 统一社会信用代码=code(6), 当前环节="草稿"),
        platform_record(
            申报编号="C_DRAFT", 统一社会信用代码=code(6), 申报类型=CERT, 提交时间="2023-07-27"
        ),
        platform_record(申报编号="U_LEADER", 统一社会信用代码=code(7), 申报类型=UPDATE),
        platform_record(申报编号="U_POOL", 统一社会信用代码=code(8), 申报类型=UPDATE),
        platform_record(申报编号="U_NOBODY", 统一社会信用代码=code(9), 申报类型=UPDATE),
    ]
    write_inbox(
        inbox,
        rows,
        pool=[(code(1), "a", "培育库"), (code(7), "b", "领跑者"), (code(8), "c", "培育库")],
    )
    _, warehouse = run(inbox, tmp_path)
    assert issues(warehouse, "certification_without_pool") == {
        "C_STRANGER",
        "C_RETURNED",
        "C_REJECTED",
        "C_DRAFT",
    }
    assert issues(warehouse, "info_update_not_leader") == {"U_POOL", "U_NOBODY"}
    assert issues(warehouse, "duplicate_application") == set()


def test_duplicates_only_among_current_submitted_applications_of_one_type(inbox, tmp_path):
    early = [
        PLATFORM_HEADERS,
        platform_record(申报编号="SEEN_TWICE", 统一社会信用代码=code(9), 当前环节="企业已提交"),
    ]
    write_csv(inbox / "platform" / "export_20230722.csv", early, "utf-8")
    rows = [
        platform_record(申报编号="D1", 统一社会信用代码=code(1)),
        platform_record(申报编号="D2", 统一社会信用代码=code(1).lower()),
        platform_record(申报编号="D_DRAFT", 统一社会信用代码=code(1), 当前环节="草稿"),
        platform_record(申报编号="PE", 统一社会信用代码=code(2)),
        platform_record(
            申报编号="CERT", 统一社会信用代码=code(2), 申报类型=CERT, 提交时间="2023-07-27"
        ),
        platform_record(申报编号="SEEN_TWICE", 统一社会信用代码=code(9), 当前环节="县级已审核"),
    ]
    write_inbox(inbox, rows)
    _, warehouse = run(inbox, tmp_path)
    assert issues(warehouse, "duplicate_application") == {"D1", "D2"}


def test_clusters(inbox, tmp_path):
    rows = [
        platform_record(申报编号="OK", 统一社会信用代码=code(1)),
        platform_record(申报编号="OK_SHI", 统一社会信用代码=code(2), 所属市="石家庄"),
        platform_record(申报编号="UNKNOWN", 统一社会信用代码=code(3), 所属集群="某某不存在集群"),
        platform_record(申报编号="ELSEWHERE", 统一社会信用代码=code(4), 所属集群="清河羊绒"),
        platform_record(申报编号="EMPTY", 统一社会信用代码=code(5), 所属集群=""),
    ]
    write_inbox(inbox, rows)
    _, warehouse = run(inbox, tmp_path)
    assert issues(warehouse, "cluster_unknown") == {"UNKNOWN", "ELSEWHERE", "EMPTY"}
