"""Cross-table rules in SQL: eligibility, duplicates, clusters, and platform ↔ city-table reconciliation."""

from __future__ import annotations

import duckdb
import pandas as pd

from assets.warehouse import read_frame
from pipelines.programme import Programme, city_passed

LOCATION = "source_file, source_sheet, source_row"
PLATFORM = "a.application_id AS record_key, a.credit_code, a.city, a.source_file, a.source_sheet, a.source_row"
CITY_ROW = "s.source_file || ':' || s.source_row AS record_key, s.credit_code, s.city, s.source_file, s.source_sheet, s.source_row"

# Each query returns: record_key, credit_code, city, source_file, source_sheet, source_row, field, value, note
RULE_SQL: dict[str, tuple[str, str]] = {
    "certification_without_pool": (
        "platform",
        f"""
        SELECT {PLATFORM}, 'credit_code' AS field, a.credit_code AS value,
               CASE WHEN p.application_id IS NULL THEN '该企业不在培育库名单，本轮也无入库培育申报'
                    ELSE '该企业不在培育库名单，本轮入库培育申报' || p.application_id || '为“' || p.stage_label || '”'
               END AS note
        FROM current_apps a
        LEFT JOIN (SELECT credit_code, arg_max(application_id, application_id) AS application_id,
                          arg_max(stage_label, application_id) AS stage_label
                   FROM current_apps WHERE application_type = 'pool_entry' GROUP BY 1) p USING (credit_code)
        WHERE a.application_type = 'certification' AND a.credit_code IS NOT NULL
          AND a.credit_code NOT IN (SELECT credit_code FROM pool_members WHERE credit_code IS NOT NULL)
          AND NOT EXISTS (SELECT 1 FROM current_apps e
                          WHERE e.application_type = 'pool_entry' AND e.credit_code = a.credit_code
                            AND coalesce(e.stage, '') NOT IN ('county_returned', 'city_rejected'))""",
    ),
    "info_update_not_leader": (
        "platform",
        f"""
        SELECT {PLATFORM}, 'credit_code' AS field, a.credit_code AS value,
               CASE WHEN m.status IS NULL THEN '该企业不在领跑者名单'
                    ELSE '该企业在名单中的状态为“' || coalesce(m.status_raw, m.status) || '”，不是领跑者' END AS note
        FROM current_apps a
        LEFT JOIN (SELECT credit_code, any_value(status) AS status, any_value(status_raw) AS status_raw
                   FROM pool_members GROUP BY 1) m USING (credit_code)
        WHERE a.application_type = 'info_update' AND a.credit_code IS NOT NULL
          AND a.credit_code NOT IN (SELECT credit_code FROM pool_members
                                    WHERE status = 'leader' AND credit_code IS NOT NULL)""",
    ),
    "duplicate_application": (
        "platform",
        f"""
        SELECT {PLATFORM}, 'application_type' AS field, a.application_type AS value,
               '同一统一社会信用代码还有“' || any_value(a.type_label) || '”申报：'
                   || string_agg(b.application_id, '、' ORDER BY b.application_id) AS note
        FROM current_apps a
        JOIN current_apps b ON a.credit_code = b.credit_code AND a.application_type = b.application_type
                           AND a.application_id <> b.application_id
        GROUP BY ALL""",
    ),
    "cluster_unknown": (
        "platform",
        f"""
        SELECT {PLATFORM}, 'cluster' AS field, a.cluster AS value,
               CASE WHEN a.cluster IS NULL THEN '所属集群为空'
                    WHEN k.cluster IS NULL THEN '集群“' || a.cluster || '”不在省级集群名单中'
                    ELSE '集群“' || a.cluster || '”在名单中属于' || array_to_string(k.cities, '、')
                         || '，申报所属市为' || a.city END AS note
        FROM current_apps a
        LEFT JOIN (SELECT cluster, list(DISTINCT city ORDER BY city) AS cities FROM clusters GROUP BY 1) k
               ON k.cluster = a.cluster
        WHERE k.cluster IS NULL OR NOT list_contains(k.cities, a.city)""",
    ),
    "missing_in_city_table": (
        "platform",
        f"""
        SELECT {PLATFORM}, 'application_id' AS field, a.application_id AS value,
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
    ),
    "missing_in_platform": (
        "city_table",
        f"""
        SELECT {CITY_ROW}, 'credit_code' AS field, s.credit_code_raw AS value,
               CASE WHEN s.credit_code IS NULL THEN '统一社会信用代码为空，无法与平台申报对应'
                    WHEN c.n IS NULL THEN '平台上没有统一社会信用代码为“' || s.credit_code || '”的已提交申报'
                    ELSE '平台上该企业有' || c.n || '项申报，但没有“' || coalesce(s.application_type_raw, '') || '”申报' END AS note
        FROM city_submissions s
        LEFT JOIN (SELECT credit_code, count(*) AS n FROM current_apps GROUP BY 1) c USING (credit_code)
        WHERE c.n IS NULL
           OR (c.n > 1 AND NOT EXISTS (SELECT 1 FROM current_apps a WHERE a.credit_code = s.credit_code
                                       AND a.application_type IS NOT DISTINCT FROM s.application_type))""",
    ),
    "field_mismatch": (
        "city_table",
        f"""
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
        SELECT {CITY_ROW.replace("s.", "")},
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
    ),
    "application_id_missing": (
        "platform",
        f"""
        SELECT source_file || ':' || source_row AS record_key, credit_code, city, {LOCATION},
               'application_id' AS field, NULL AS value,
               '平台导出行没有申报编号，无法确定是哪一项申报（企业“' || coalesce(company_name, '') || '”）' AS note
        FROM platform_rows WHERE application_id IS NULL""",
    ),
}


def prepare(conn: duckdb.DuckDBPyConnection, programme: Programme) -> None:
    """Temporary views the rules read: current submitted applications with labels, stages passed on."""
    labels = pd.DataFrame(
        [("stage", k, v) for k, v in programme.stage_labels.items()]
        + [("type", k, v["label"]) for k, v in programme.types.items()]
        + [("direction", k, v) for k, v in programme.directions.items()],
        columns=["kind", "id", "label"],
    )
    passed = pd.DataFrame(
        [(t, s) for t in programme.types for s in city_passed(programme, t)],
        columns=["application_type", "stage"],
    )
    conn.register("_labels", labels)
    conn.register("_passed", passed)
    conn.execute("CREATE OR REPLACE TEMP TABLE labels AS SELECT * FROM _labels")
    conn.execute("CREATE OR REPLACE TEMP TABLE city_passed_stage AS SELECT * FROM _passed")
    conn.execute("""
        CREATE OR REPLACE TEMP VIEW current_apps AS
        SELECT a.*, coalesce(st.label, a.stage_raw) AS stage_label,
               coalesce(ty.label, a.application_type_raw) AS type_label,
               coalesce(di.label, a.direction_raw) AS direction_label
        FROM applications a
        LEFT JOIN labels st ON st.kind = 'stage' AND st.id = a.stage
        LEFT JOIN labels ty ON ty.kind = 'type' AND ty.id = a.application_type
        LEFT JOIN labels di ON di.kind = 'direction' AND di.id = a.direction
        WHERE a.stage IS DISTINCT FROM 'draft'""")
    conn.execute("""CREATE OR REPLACE TEMP VIEW multi_codes AS
        SELECT credit_code FROM current_apps WHERE credit_code IS NOT NULL GROUP BY 1 HAVING count(*) > 1""")


def run_cross_rules(conn: duckdb.DuckDBPyConnection, programme: Programme) -> pd.DataFrame:
    """Every failure of every SQL rule: one row per rule and record, with a Chinese note."""
    prepare(conn, programme)
    frames = []
    for rule, (source, sql) in RULE_SQL.items():
        frame = read_frame(conn, sql)
        frame["rule"], frame["source"] = rule, source
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
