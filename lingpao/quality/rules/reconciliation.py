"""Reconciliation of the platform with the city tables (附件2), both ways."""

from __future__ import annotations

from lingpao.quality.rules.rule import Rule

# Each query returns: record_key, credit_code, city, source_file, source_sheet, source_row, field,
# value, note. It reads the views of `assets/quality/views.py` (current_apps, multi_codes...).

RULES = [
    Rule(
        "missing_in_city_table",
        "error",
        "市级汇总表中缺少该申报",
        "sql",
        "application_id",
        source="platform",
        reads_city_tables=True,
        needs_platform=True,
        sql="""
        SELECT a.record_key, a.credit_code, a.city, a.source_file, a.source_sheet, a.source_row, 'application_id' AS field, a.application_id AS value,
               CASE WHEN a.city NOT IN (SELECT city FROM city_submissions WHERE city IS NOT NULL)
                    THEN a.city || '的汇总表（附件2）尚未收到，' ELSE '' END
               || '该申报为“' || a.stage_label || '”，应列入' || coalesce(a.city, '所属市') || '汇总表，但表中没有'
               || CASE WHEN m.credit_code IS NULL THEN '该企业' ELSE '该企业的“' || a.type_label || '”申报' END AS note
        FROM current_apps a
        JOIN city_passed_stage p ON p.application_type = a.application_type AND p.stage = a.stage
        LEFT JOIN multi_codes m ON m.credit_code = a.credit_code
        WHERE a.application_type IN ('pool_entry', 'certification')
          AND NOT EXISTS (SELECT 1 FROM city_submissions s
                          WHERE s.city = a.city AND s.credit_code = a.credit_code
                            AND (m.credit_code IS NULL OR s.application_type = a.application_type))""",
        advice="在表中补上该申报（平台上已由本市确认或推荐）",
    ),
    Rule(
        "missing_in_platform",
        "error",
        "平台上无对应申报",
        "sql",
        "credit_code",
        source="city_table",
        needs_platform=True,
        sql="""
        SELECT s.record_key, s.credit_code, s.city, s.source_file, s.source_sheet, s.source_row, 'credit_code' AS field, s.credit_code_raw AS value,
               CASE WHEN s.credit_code IS NULL THEN '统一社会信用代码为空，无法与平台申报对应'
                    WHEN c.n IS NULL THEN '平台上没有统一社会信用代码为“' || s.credit_code || '”的已提交申报'
                    ELSE '平台上该企业有' || c.n || '项申报，但没有“' || coalesce(s.application_type_raw, '') || '”申报' END AS note
        FROM city_submissions s
        LEFT JOIN (SELECT credit_code, count(*) AS n FROM current_apps GROUP BY 1) c USING (credit_code)
        WHERE c.n IS NULL
           OR (c.n > 1 AND NOT EXISTS (SELECT 1 FROM current_apps a WHERE a.credit_code = s.credit_code
                                       AND a.application_type IS NOT DISTINCT FROM s.application_type))""",
        advice="核对代码和申报类型；平台上没有的申报请删除该行",
    ),
    Rule(
        "field_mismatch",
        "warning",
        "汇总表与平台信息不一致",
        "sql",
        "company_name",
        source="city_table",
        needs_platform=True,
        sql="""
        WITH matched AS (
            SELECT s.*, a.application_id, a.company_name AS platform_name, a.application_type AS platform_type,
                   a.direction AS platform_direction, a.type_label AS platform_type_label,
                   a.direction_label AS platform_direction_label
            FROM city_submissions s
            JOIN current_apps a ON a.credit_code = s.credit_code
            LEFT JOIN multi_codes m ON m.credit_code = s.credit_code
            WHERE m.credit_code IS NULL OR a.application_type = s.application_type
        ), compared AS (
            SELECT *,
                replace(lower(company_name), ' ', '') IS DISTINCT FROM replace(lower(platform_name), ' ', '') AS name_differs,
                application_type IS NOT NULL AND platform_type IS NOT NULL AND application_type <> platform_type AS type_differs,
                direction IS NOT NULL AND platform_direction IS NOT NULL AND direction <> platform_direction AS direction_differs
            FROM matched
        )
        SELECT record_key, credit_code, city, source_file, source_sheet, source_row,
               concat_ws(',', CASE WHEN name_differs THEN 'company_name' END,
                              CASE WHEN type_differs THEN 'application_type' END,
                              CASE WHEN direction_differs THEN 'direction' END) AS field,
               concat_ws(' / ', CASE WHEN name_differs THEN company_name END,
                                CASE WHEN type_differs THEN application_type_raw END,
                                CASE WHEN direction_differs THEN direction_raw END) AS value,
               '与平台申报' || application_id || '不一致：' || concat_ws('；',
                   CASE WHEN name_differs THEN '企业名称 汇总表“' || coalesce(company_name, '') || '” 平台“' || coalesce(platform_name, '') || '”' END,
                   CASE WHEN type_differs THEN '申报类型 汇总表“' || application_type_raw || '” 平台“' || platform_type_label || '”' END,
                   CASE WHEN direction_differs THEN '申报方向 汇总表“' || direction_raw || '” 平台“' || platform_direction_label || '”' END) AS note
        FROM compared WHERE name_differs OR type_differs OR direction_differs""",
        advice="按平台申报信息更正，或请企业在平台上更正",
    ),
]
