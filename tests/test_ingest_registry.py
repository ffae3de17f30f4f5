"""Reference lists: pool and leaders, the cluster list (inbox replaces the shipped one)."""

import csv

from lingpao.foundation.programme import DEFAULT_CLUSTERS
from lingpao.sample.writers import write_csv, write_xlsx
from tests.conftest import query
from tests.helpers import run


def test_pool_list_and_shipped_clusters(inbox, tmp_path):
    write_xlsx(
        inbox / "registry" / "pool.xlsx",
        [
            (
                "名单",
                [
                    ["培育库名单"],
                    ["统一社会信用代码", "企业名称", "状态", "入库年度"],
                    ["９１１３０１００ｍａ０００００００ｙ", "甲", "领跑者", 2021.0],
                    ["91130100MA00000012", "乙", "培育库", "2022"],
                ],
                1,
            )
        ],
    )
    _, warehouse = run(inbox, tmp_path, allow_shrink=True)  # no platform snapshot here
    assert query(
        warehouse, "SELECT credit_code, status, entry_year FROM pool_members ORDER BY 1"
    ) == [("91130100MA0000000Y", "leader", "2021"), ("91130100MA00000012", "pool", "2022")]
    with DEFAULT_CLUSTERS.open(encoding="utf-8") as handle:
        shipped = sum(1 for _ in csv.DictReader(handle))
    assert query(warehouse, "SELECT count(*), min(source) FROM clusters") == [
        (shipped, "shipped:data/reference/clusters.csv")
    ]


def test_inbox_cluster_list_replaces_the_shipped_one(inbox, tmp_path):
    write_csv(
        inbox / "registry" / "clusters.csv",
        [["集群名称", "所属县（市、区）", "所属市"], ["测试集群", "测试县", "唐山市"]],
        "gb18030",
    )
    (inbox / "registry" / "readme.txt").write_text("notes", encoding="utf-8")
    _, warehouse = run(inbox, tmp_path, allow_shrink=True)  # no platform snapshot here
    assert query(warehouse, "SELECT cluster, county, city, source FROM clusters") == [
        ("测试集群", "测试县", "唐山", "registry/clusters.csv")
    ]
    assert query(
        warehouse, "SELECT status FROM inbox_files WHERE source_file = 'registry/readme.txt'"
    ) == [("ignored",)]
