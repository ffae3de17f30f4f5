"""Eligibility rules across tables: pool membership, leaders, duplicates, clusters, ids."""

from __future__ import annotations

from lingpao.quality.rules.rule import Rule

# Each query returns: record_key, credit_code, city, source_file, source_sheet, source_row, field,
# value, note. It reads the views of `assets/quality/views.py` (current_apps, multi_codes...).

RULES = [
    Rule(
        "certification_without_pool",
        "error",
        "申报认定但不在培育库",
        "sql",
        "credit_code",
        source="platform",
        sql="""
        SELECT a.record_key, a.credit_code, a.city, a.source_file, a.source_sheet, a.source_row, 'credit_code' AS field, a.credit_code AS value,
               CASE WHEN p.application_id IS NULL THEN '该企业不在培育库名单，本轮也无入库培育申报'
                    ELSE '该企业不在培育库名单，本轮入库培育申报' || p.application_id || '为“' || p.stage_label || '”'
               END AS note
        FROM current_apps a
        LEFT JOIN (SELECT credit_code, arg_max(application_id, application_id) AS application_id,
                          arg_max(stage_label, application_id) AS stage_label
                   FROM current_apps WHERE application_type = 'pool_entry' GROUP BY 1) p USING (credit_code)
        WHERE a.application_type = 'certification' AND a.credit_code IS NOT NULL
          AND a.credit_code NOT IN (SELECT credit_code FROM pool_now)
          AND NOT EXISTS (SELECT 1 FROM current_apps e
                          WHERE e.application_type = 'pool_entry' AND e.credit_code = a.credit_code
                            AND coalesce(e.stage, '') NOT IN ('county_returned', 'city_rejected'))""",
    ),
    Rule(
        "info_update_not_leader",
        "error",
        "信息更新企业不是领跑者",
        "sql",
        "credit_code",
        source="platform",
        sql="""
        SELECT a.record_key, a.credit_code, a.city, a.source_file, a.source_sheet, a.source_row, 'credit_code' AS field, a.credit_code AS value,
               CASE WHEN l.status = 'adjusted'
                    THEN '该企业已于' || l.adjusted_year || '年度调整出领跑者名单'
                         || coalesce('（' || l.reason || '）', '')
                    WHEN m.status IS NULL THEN '该企业不在领跑者名单'
                    ELSE '该企业在名单中的状态为“' || coalesce(m.status_raw, m.status) || '”，不是领跑者' END AS note
        FROM current_apps a
        LEFT JOIN (SELECT credit_code, any_value(status) AS status, any_value(status_raw) AS status_raw
                   FROM pool_members GROUP BY 1) m USING (credit_code)
        LEFT JOIN leaders_as_of l USING (credit_code)
        WHERE a.application_type = 'info_update' AND a.credit_code IS NOT NULL
          AND a.credit_code NOT IN (SELECT credit_code FROM leaders_now)""",
    ),
    Rule(
        "duplicate_application",
        "error",
        "同一企业重复申报",
        "sql",
        "application_type",
        source="platform",
        sql="""
        SELECT a.record_key, a.credit_code, a.city, a.source_file, a.source_sheet, a.source_row, 'application_type' AS field, a.application_type AS value,
               '同一统一社会信用代码还有“' || any_value(a.type_label) || '”申报：'
                   || string_agg(b.application_id, '、' ORDER BY b.application_id) AS note
        FROM current_apps a
        JOIN current_apps b ON a.credit_code = b.credit_code AND a.application_type = b.application_type
                           AND a.application_id <> b.application_id
        GROUP BY ALL""",
    ),
    Rule(
        "cluster_unknown",
        "warning",
        "所属集群不在名单或所属市不符",
        "sql",
        "cluster",
        source="platform",
        sql="""
        SELECT a.record_key, a.credit_code, a.city, a.source_file, a.source_sheet, a.source_row, 'cluster' AS field, a.cluster AS value,
               CASE WHEN a.cluster IS NULL THEN '所属集群为空'
                    WHEN k.cluster IS NULL THEN '集群“' || a.cluster || '”不在省级集群名单中'
                    ELSE '集群“' || a.cluster || '”在名单中属于' || array_to_string(k.cities, '、')
                         || '，申报所属市为' || a.city END AS note
        FROM current_apps a
        LEFT JOIN (SELECT cluster, list(DISTINCT city ORDER BY city) AS cities FROM clusters GROUP BY 1) k
               ON k.cluster = a.cluster
        WHERE k.cluster IS NULL OR NOT list_contains(k.cities, a.city)""",
    ),
    Rule(
        "application_id_missing",
        "error",
        "平台导出行缺少申报编号",
        "sql",
        "application_id",
        source="platform",
        contract=False,
        needs_platform=True,
        sql="""
        SELECT record_key, credit_code, city, source_file, source_sheet, source_row,
               'application_id' AS field, NULL AS value,
               '平台导出行没有申报编号，无法确定是哪一项申报（企业“' || coalesce(company_name, '') || '”）' AS note
        FROM platform_rows WHERE application_id IS NULL""",
    ),
]
