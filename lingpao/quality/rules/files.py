"""File rules: a file that could not be read (or whose unit cannot be told), a table without rows."""

from __future__ import annotations

from lingpao.quality.rules.rule import Rule

FILE_ROW = "source_file AS record_key, NULL AS credit_code, city, source_file, NULL AS source_sheet, NULL AS source_row, NULL AS field, NULL AS value"

RULES = [
    Rule(
        "file_unreadable",
        "error",
        "文件无法读取",
        "file",
        source="file",
        sql=f"""
        SELECT {FILE_ROW}, '文件无法读取：' || coalesce(reason, '') AS note
        FROM inbox_files WHERE status = 'unreadable'""",
    ),
    Rule(
        "table_empty",
        "warning",
        "文件只有表头，没有数据行",
        "file",
        source="file",
        contract=False,
        sql=f"""
        SELECT {FILE_ROW}, '文件有表头但没有任何数据行，请检查是否导出或填写完整' AS note
        FROM inbox_files WHERE status = 'read' AND coalesce(rows, 0) = 0""",
    ),
]
