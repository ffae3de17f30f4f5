"""Every inbox format read into text cells, from real files written here."""

import datetime as dt

import pytest

from lingpao.ingest.readers import UnreadableFile, read_sheets
from lingpao.sample.writers import write_csv, write_docx, write_xls, write_xlsx

ROWS = [
    ["统一社会信用代码", "联系电话", "提交时间"],
    ["91130100MA0000000Y", 13812345678.0, dt.datetime(2023, 7, 21, 10, 30)],
]


def test_xlsx_with_merged_title_extra_sheet_and_numbers(tmp_path):
    path = tmp_path / "a.xlsx"
    write_xlsx(
        path, [("说明", [["readme"]], 0), ("数据", [["标题"], *ROWS], 1)], hidden_columns=("D",)
    )
    sheets = read_sheets(path)
    assert [s.name for s in sheets] == ["说明", "数据"]
    data = sheets[1].rows
    assert data[0][0] == "标题"
    assert data[2][:3] == ["91130100MA0000000Y", "13812345678", "2023-07-21 10:30:00"]


def test_xls_numbers_are_text_without_decimals(tmp_path):
    path = tmp_path / "a.xls"
    write_xls(path, [("汇总表", [["标题"], *ROWS], 1)])
    rows = read_sheets(path)[0].rows
    assert rows[2][0] == "91130100MA0000000Y"
    assert rows[2][1] == "13812345678"
    assert float(rows[2][2]) == pytest.approx(45128.4375)  # a date stored as an Excel serial


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_csv_in_every_encoding(tmp_path, encoding):
    path = tmp_path / "a.csv"
    write_csv(path, [["企业名称", "所属市"], ["河北恒达有限公司", "石家庄市"]], encoding)
    rows = read_sheets(path)[0].rows
    assert rows == [["企业名称", "所属市"], ["河北恒达有限公司", "石家庄市"]]


def test_docx_table_with_title_paragraph(tmp_path):
    path = tmp_path / "a.docx"
    write_docx(path, "邢台市推荐汇总表", [["序号", "企业名称"], ["1", "某公司"]])
    sheet = read_sheets(path)[0]
    assert "邢台市推荐汇总表" in sheet.preamble
    assert sheet.rows == [["序号", "企业名称"], ["1", "某公司"]]


@pytest.mark.parametrize(
    "name,content,reason",
    [
        ("broken.xlsx", b"PK\x03\x04 not really a zip", "损坏"),
        ("broken.docx", b"garbage", "已损坏"),
        ("empty.csv", b"", "为空"),
        ("notes.pdf", b"%PDF-1.4", "不支持"),
        ("binary.csv", b"\x00\x01\x02\xff\xfe", "二进制"),
        ("odd.csv", "名称\n".encode() + b"\x81\x30\xff", "编码"),
    ],
)
def test_unreadable_files_raise_a_reason(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnreadableFile, match=reason):
        read_sheets(path)
