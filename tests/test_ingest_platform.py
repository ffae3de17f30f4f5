"""Platform snapshots: header finding, every format, current state and stage history."""

import datetime as dt
import os

from lingpao.ingest.inbox import stamp_from_name
from lingpao.sample.writers import write_csv, write_xls, write_xlsx
from tests.conftest import query
from tests.helpers import PLATFORM_HEADERS, platform_record, run


def test_stamp_from_file_name():
    assert (
        stamp_from_name("平台导出_20230801_0930.csv", "Asia/Shanghai").isoformat()
        == "2023-08-01T09:30:00+08:00"
    )
    assert (
        stamp_from_name("export20230724.xlsx", "Asia/Shanghai").isoformat()
        == "2023-07-24T00:00:00+08:00"
    )
    assert stamp_from_name("平台导出_0728.xls", "Asia/Shanghai") is None
    assert (
        stamp_from_name("导出 2023-08-01 09.30.xlsx", "Asia/Shanghai").isoformat()
        == "2023-08-01T09:30:00+08:00"
    )
    assert (
        stamp_from_name("导出2023年07月28日.csv", "Asia/Shanghai").isoformat()
        == "2023-07-28T00:00:00+08:00"
    )
    assert stamp_from_name("x_20231341.csv", "Asia/Shanghai") is None


def test_title_rows_variant_headers_and_messy_values(inbox, tmp_path):
    headers = [h + "（万元）" if h.startswith("营业收入") else h for h in PLATFORM_HEADERS]
    headers[headers.index("所属集群")] = " 所属 集群 "
    rows = [
        ["河北省“领跑者”申报信息导出"],
        ["导出时间：2023-07-24"],
        headers,
        platform_record(
            申报编号="LP1",
            统一社会信用代码="９１１３０１００ｍａ０００００００ｙ",
            联系电话=13812345678.0,
            所属市="石家庄市",
            提交时间=dt.datetime(2023, 7, 21, 10, 30),
            申报类型="认定",
            营业收入2022="1,234.5",
        ),
        [None] * len(headers),
    ]
    write_xlsx(inbox / "platform" / "export_20230724.xlsx", [("Sheet1", rows, 2)])
    _, warehouse = run(inbox, tmp_path)
    row = query(
        warehouse,
        "SELECT credit_code, contact_phone, city, application_type, submitted_at, "
        "revenue_last_year, cluster, source_row, credit_code_raw FROM applications",
    )
    assert len(row) == 1
    code, phone, city, kind, submitted, revenue, cluster, source_row, raw = row[0]
    assert (code, phone, city, kind, revenue, cluster, source_row) == (
        "91130100MA0000000Y",
        "13812345678",
        "石家庄",
        "certification",
        1234.5,
        "鹿泉电子信息",
        4,
    )
    assert raw == "９１１３０１００ｍａ０００００００ｙ"
    assert submitted.astimezone(dt.timezone(dt.timedelta(hours=8))).replace(
        tzinfo=None
    ) == dt.datetime(2023, 7, 21, 10, 30)


def test_two_snapshots_give_current_state_and_stage_history(inbox, tmp_path):
    early = [
        PLATFORM_HEADERS,
        platform_record(申报编号="LP1", 当前环节="企业已提交"),
        platform_record(申报编号="LP2", 当前环节="草稿", 统一社会信用代码="91130100MA00000012"),
    ]
    late = [PLATFORM_HEADERS, platform_record(申报编号="LP1", 当前环节="县级已审核")]
    write_xlsx(inbox / "platform" / "平台导出_20230722.xlsx", [("s", early, 0)])
    write_csv(inbox / "platform" / "平台导出_20230726_0800.csv", late, "gb18030")
    _, warehouse = run(inbox, tmp_path)
    current = dict(query(warehouse, "SELECT application_id, stage FROM applications"))
    assert current == {"LP1": "county_verified", "LP2": "draft"}  # LP2 only in the older snapshot
    history = query(
        warehouse,
        "SELECT application_id, stage, strftime(timezone('Asia/Shanghai', first_seen_at), '%m-%d %H:%M') "
        "FROM stage_history ORDER BY 1, 3",
    )
    assert history == [
        ("LP1", "submitted", "07-22 00:00"),
        ("LP1", "county_verified", "07-26 08:00"),
        ("LP2", "draft", "07-22 00:00"),
    ]
    counts = dict(query(warehouse, "SELECT application_id, snapshot_count FROM applications"))
    assert counts == {"LP1": 2, "LP2": 1}


def test_snapshot_without_date_in_name_uses_modification_time(inbox, tmp_path):
    newer = inbox / "platform" / "平台导出.xls"
    older = inbox / "platform" / "平台导出_20230723.xlsx"
    write_xlsx(older, [("s", [PLATFORM_HEADERS, platform_record(当前环节="企业已提交")], 0)])
    write_xls(newer, [("s", [PLATFORM_HEADERS, platform_record(当前环节="县级退回")], 0)])
    stamp = dt.datetime(2023, 7, 25, 12, tzinfo=dt.UTC).timestamp()
    os.utime(newer, (stamp, stamp))
    _, warehouse = run(inbox, tmp_path)
    assert query(warehouse, "SELECT stage, source_file FROM applications") == [
        ("county_returned", "platform/平台导出.xls")
    ]
    assert query(
        warehouse, "SELECT snapshot_time_from FROM inbox_files WHERE source_file LIKE '%.xls'"
    ) == [("modified_time",)]


def test_excel_serial_and_chinese_dates(inbox, tmp_path):
    rows = [
        PLATFORM_HEADERS,
        platform_record(申报编号="A", 提交时间="45128.4375"),
        platform_record(申报编号="B", 提交时间="2023年7月21日 10:30"),
        platform_record(申报编号="C", 提交时间="2023/7/21 10:30"),
        platform_record(申报编号="D", 提交时间="不详"),
    ]
    write_csv(inbox / "platform" / "p_20230801.csv", rows, "utf-8-sig")
    _, warehouse = run(inbox, tmp_path)
    got = dict(
        query(
            warehouse,
            "SELECT application_id, strftime(timezone('Asia/Shanghai', submitted_at), '%Y-%m-%d %H:%M') FROM applications",
        )
    )
    assert got == {
        "A": "2023-07-21 10:30",
        "B": "2023-07-21 10:30",
        "C": "2023-07-21 10:30",
        "D": None,
    }
    assert query(
        warehouse, "SELECT submitted_at_raw FROM applications WHERE application_id = 'D'"
    ) == [("不详",)]


def test_unreadable_snapshot_is_reported_and_others_land(inbox, tmp_path):
    write_xlsx(
        inbox / "platform" / "good_20230801.xlsx", [("s", [PLATFORM_HEADERS, platform_record()], 0)]
    )
    (inbox / "platform" / "bad_20230802.xlsx").write_bytes(b"PK\x03\x04broken")
    write_csv(inbox / "platform" / "noheader_20230803.csv", [["a", "b"], ["1", "2"]], "utf-8")
    summary, warehouse = run(inbox, tmp_path)
    assert query(warehouse, "SELECT count(*) FROM applications") == [(1,)]
    issues = query(warehouse, "SELECT record_key, rule, severity, source FROM dq_issues ORDER BY 1")
    assert issues == [
        ("platform/bad_20230802.xlsx", "file_unreadable", "error", "file"),
        ("platform/noheader_20230803.csv", "file_unreadable", "error", "file"),
    ]
    assert ("file_unreadable", "error", 2) in summary.issues


def test_csv_with_a_line_break_inside_a_cell_keeps_rows_and_row_numbers(inbox, tmp_path):
    """A national export is streamed through pyarrow; a record spanning two lines (an address
    typed with Enter) is found, and the file is read again record by record."""
    rows = [
        PLATFORM_HEADERS,
        platform_record(申报编号="LP1", 企业名称="河北第一\n有限公司"),
        platform_record(申报编号="LP2", 统一社会信用代码="91130100MA0000001W"),
    ]
    write_csv(inbox / "platform" / "平台导出_20230724.csv", rows, encoding="gb18030")
    _, warehouse = run(inbox, tmp_path)
    got = query(
        warehouse, "SELECT application_id, company_name, source_row FROM applications ORDER BY 1"
    )
    assert got == [("LP1", "河北第一 有限公司", 2), ("LP2", "河北测试有限公司", 3)]
