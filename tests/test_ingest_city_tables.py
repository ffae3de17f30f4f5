"""City summary tables (附件2): unit detection, application rows only, every office format."""

from lingpao.sample.writers import write_docx, write_xls, write_xlsx
from tests.conftest import query
from tests.helpers import CITY_HEADERS, run

ROW1 = [
    1,
    "河北甲有限公司",
    "91130100ma0000000y",
    "电子",
    "入库培育",
    "科技创新发展",
    "高新技术企业",
    "王伟",
    13812345678.0,
]
ROW2 = [
    2,
    "河北乙有限公司",
    "91130100MA00000012",
    "电子",
    "认定",
    "绿色低碳发展",
    "绿色工厂",
    "李娜",
    "0311-85866036",
]
NOISE = [
    [None] * 9,
    ["…", "…", "…"],
    ["……"],
    ["注：申报类型填写入库培育、“领跑者”企业认定或信息更新。"],
    ["合计", "2"],
]


def test_title_unit_and_noise_rows(inbox, tmp_path):
    grid = [
        ["石家庄市推荐“领跑者”企业培育及认定申报汇总表"],
        ["填报单位（盖章）："],
        CITY_HEADERS,
        ROW1,
        [None] * 9,
        ROW2,
        *NOISE,
    ]
    write_xlsx(inbox / "cities" / "汇总表.xlsx", [("填表说明", [["说明"]], 0), ("汇总", grid, 1)])
    _, warehouse = run(inbox, tmp_path, allow_shrink=True)  # no platform snapshot here
    rows = query(
        warehouse,
        "SELECT source_file, source_sheet, source_row, city, unit_from, credit_code, "
        "application_type, direction, contact_phone FROM city_submissions ORDER BY source_row",
    )
    assert rows == [
        (
            "cities/汇总表.xlsx",
            "汇总",
            4,
            "石家庄",
            "title",
            "91130100MA0000000Y",
            "pool_entry",
            "innovation",
            "13812345678",
        ),
        (
            "cities/汇总表.xlsx",
            "汇总",
            6,
            "石家庄",
            "title",
            "91130100MA00000012",
            "certification",
            "green",
            "0311-85866036",
        ),
    ]


def test_unit_from_sheet_then_file_name(inbox, tmp_path):
    untitled = [["推荐“领跑者”企业培育及认定申报汇总表"], CITY_HEADERS, ROW1]
    write_xlsx(inbox / "cities" / "a.xlsx", [("保定", untitled, 1)])
    write_xlsx(inbox / "cities" / "附件2-沧州市.xlsx", [("Sheet1", untitled, 1)])
    write_xlsx(inbox / "cities" / "汇总表(1).xlsx", [("Sheet1", untitled, 1)])
    _, warehouse = run(inbox, tmp_path, allow_shrink=True)  # no platform snapshot here
    got = query(warehouse, "SELECT source_file, city, unit_from FROM city_submissions ORDER BY 1")
    assert got == [
        ("cities/a.xlsx", "保定", "sheet"),
        ("cities/附件2-沧州市.xlsx", "沧州", "file_name"),
    ]
    issues = query(
        warehouse, "SELECT record_key, rule, detail FROM dq_issues WHERE rule = 'file_unreadable'"
    )
    assert len(issues) == 1 and issues[0][:2] == ("cities/汇总表(1).xlsx", "file_unreadable")
    assert "所属市" in issues[0][2]


def test_xls_and_docx_tables(inbox, tmp_path):
    write_xls(
        inbox / "cities" / "唐山.xls",
        [("汇总表", [["唐山市推荐汇总表"], CITY_HEADERS, ROW1, *NOISE], 1)],
    )
    write_docx(
        inbox / "cities" / "邢台.docx",
        "邢台市推荐“领跑者”企业培育及认定申报汇总表",
        [CITY_HEADERS, [str(v) for v in ROW2], ["…"] * 9],
    )
    _, warehouse = run(inbox, tmp_path, allow_shrink=True)  # no platform snapshot here
    got = query(
        warehouse,
        "SELECT source_file, source_sheet, source_row, city, credit_code, contact_phone "
        "FROM city_submissions ORDER BY 1",
    )
    assert got == [
        ("cities/唐山.xls", "汇总表", 3, "唐山", "91130100MA0000000Y", "13812345678"),
        ("cities/邢台.docx", "表1", 2, "邢台", "91130100MA00000012", "0311-85866036"),
    ]


def test_corrupt_city_file_is_reported_and_the_others_land(inbox, tmp_path):
    write_xlsx(inbox / "cities" / "衡水.xlsx", [("衡水", [CITY_HEADERS, ROW1], 0)])
    (inbox / "cities" / "廊坊市.xlsx").write_bytes(b"\x00" * 40)
    (inbox / "cities" / "廊坊市.docx").write_bytes(b"not a word file")
    _, warehouse = run(inbox, tmp_path, allow_shrink=True)  # no platform snapshot here
    assert query(warehouse, "SELECT count(*) FROM city_submissions") == [(1,)]
    assert sorted(
        r[0]
        for r in query(warehouse, "SELECT record_key FROM dq_issues WHERE rule = 'file_unreadable'")
    ) == ["cities/廊坊市.docx", "cities/廊坊市.xlsx"]
