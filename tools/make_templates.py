"""Write the Word templates of the round's published lists (data/templates/*.docx), once.

The lists (公示名单, 认定名单, 调整名单) are rendered from `list.docx` by `docxtpl`: a title, an
introduction, one table of 序号 企业名称 所属市 所属县（市、区） 所属集群 申报方向, grouped by unit where
the list is (a heading row per unit), and a closing line. Run this after changing the layout:

    .venv/bin/python tools/make_templates.py
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

ROOT = Path(__file__).resolve().parent.parent
HEADERS = ["序号", "企业名称", "所属市", "所属县（市、区）", "所属集群", "申报方向"]
FIELDS = ["seq", "company", "city", "county", "cluster", "direction"]
WIDTHS = [1.3, 5.6, 2.0, 2.8, 3.6, 2.7]  # cm, A4 portrait


def east_asian(run, font: str = "宋体") -> None:
    run.font.name = font
    properties = run._element.get_or_add_rPr()
    fonts = properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        properties.append(fonts)
    fonts.set(qn("w:eastAsia"), font)


def paragraph(document, text: str, size: int = 12, bold: bool = False, center: bool = False):
    para = document.add_paragraph()
    run = para.add_run(text)
    run.font.size, run.bold = Pt(size), bold
    east_asian(run, "黑体" if bold else "宋体")
    if center:
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return para


def row_text(table, cells: list[str], bold: bool = False, merge: bool = False):
    row = table.add_row()
    if merge:
        merged = row.cells[0].merge(row.cells[-1])
        merged.text = ""
        run = merged.paragraphs[0].add_run(cells[0])
        run.bold, run.font.size = bold, Pt(10.5)
        east_asian(run)
        return row
    for cell, text in zip(row.cells, cells, strict=False):
        cell.text = ""
        run = cell.paragraphs[0].add_run(text)
        run.bold, run.font.size = bold, Pt(10.5)
        east_asian(run)
    return row


def repeat_header(row) -> None:
    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def make_list_template(out: Path) -> None:
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2)
    section.top_margin = section.bottom_margin = Cm(2.2)
    paragraph(document, "{{ title }}", size=16, bold=True, center=True)
    paragraph(document, "{{ intro }}")
    table = document.add_table(rows=1, cols=len(HEADERS))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, HEADERS, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(text)
        run.bold, run.font.size = True, Pt(10.5)
        east_asian(run, "黑体")
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    repeat_header(table.rows[0])
    row_text(table, ["{%tr for g in groups %}"], merge=True)
    row_text(table, ["{%tr if g.unit %}"], merge=True)
    row_text(table, ["{{ g.unit }}（{{ g.count }}家）"], bold=True, merge=True)
    row_text(table, ["{%tr endif %}"], merge=True)
    row_text(table, ["{%tr for r in g.rows %}"], merge=True)
    row_text(table, [f"{{{{ r.{name} }}}}" for name in FIELDS])
    row_text(table, ["{%tr endfor %}"], merge=True)
    row_text(table, ["{%tr endfor %}"], merge=True)
    # Word reads the cells' widths, LibreOffice and WPS the table's grid: set both (a merged row
    # spans the grid and keeps its own width)
    table.autofit = False
    for column, width in zip(table.columns, WIDTHS, strict=True):
        column.width = Cm(width)
    for row in table.rows:
        cells = row.cells
        if len({id(c._tc) for c in cells}) == len(cells):
            for cell, width in zip(cells, WIDTHS, strict=True):
                cell.width = Cm(width)
    paragraph(document, "")
    closing = paragraph(document, "{{ closing }}")
    closing.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    out.parent.mkdir(parents=True, exist_ok=True)
    document.save(out)


if __name__ == "__main__":
    make_list_template(ROOT / "data" / "templates" / "list.docx")
    print("written data/templates/list.docx")
