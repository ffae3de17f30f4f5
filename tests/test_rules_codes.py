"""Credit-code rules: format, GB 32100-2015 checksum (SQL agrees with python-stdnum), Hebei division."""

import random

import duckdb
from stdnum.cn import uscc

from lingpao.quality.fixes import suggest_code
from lingpao.quality.views import USCC_ALPHABET, USCC_MACRO
from tests.conftest import query
from tests.helpers import code, issues, platform_record, run, write_inbox

GOOD = code(1)
WRONG_CHECK = GOOD[:-1] + ("0" if GOOD[-1] != "0" else "1")
BEIJING = "91110000600037341L"


def test_sql_checksum_agrees_with_stdnum():
    rng = random.Random(7)
    codes = ["91" + "".join(rng.choice(USCC_ALPHABET) for _ in range(16)) for _ in range(5000)]
    with duckdb.connect() as conn:
        conn.execute(USCC_MACRO)
        got = [
            r[0]
            for r in conn.execute(
                "SELECT uscc_check_character(c) FROM unnest(?) t(c)", [codes]
            ).fetchall()
        ]
    assert got == [uscc.calc_check_digit(c[:17]) for c in codes]


def test_code_rules_flag_exactly_the_bad_codes(inbox, tmp_path):
    look_alike = GOOD[:12] + "O" + GOOD[13:] if GOOD[12] == "0" else None
    assert look_alike, "test code needs a 0 to mistype"
    rows = [
        platform_record(申报编号="OK", 统一社会信用代码=GOOD),
        platform_record(申报编号="LOWER", 统一社会信用代码=code(2).lower()),
        platform_record(
            申报编号="FULL", 统一社会信用代码="".join(chr(ord(c) + 0xFEE0) for c in code(3))
        ),
        platform_record(申报编号="SPACED", 统一社会信用代码=f" {code(4)[:9]} {code(4)[9:]}\u3000"),
        platform_record(
            申报编号="OLD", 统一社会信用代码=code(5, division="130104")
        ),  # historical Hebei division
        platform_record(申报编号="SHORT", 统一社会信用代码=GOOD[:17]),
        platform_record(申报编号="LOOKALIKE", 统一社会信用代码=look_alike),
        platform_record(申报编号="EMPTY", 统一社会信用代码=""),
        platform_record(申报编号="CHECK", 统一社会信用代码=WRONG_CHECK),
        platform_record(申报编号="BEIJING", 统一社会信用代码=BEIJING),
        platform_record(申报编号="DRAFT", 统一社会信用代码="ABC", 当前环节="草稿"),
    ]
    write_inbox(inbox, rows)
    _, warehouse = run(inbox, tmp_path)
    assert issues(warehouse, "credit_code_format") == {"SHORT", "LOOKALIKE", "EMPTY"}
    assert issues(warehouse, "credit_code_checksum") == {"CHECK"}
    assert issues(warehouse, "credit_code_not_hebei") == {"BEIJING"}
    fixes = dict(
        query(
            warehouse,
            "SELECT record_key, suggested_fix FROM dq_issues WHERE suggested_fix IS NOT NULL",
        )
    )
    assert fixes == {"LOOKALIKE": GOOD}
    detail = query(
        warehouse,
        "SELECT detail, severity, source, credit_code, city FROM dq_issues WHERE record_key = 'CHECK'",
    )[0]
    assert (
        "校验位" in detail[0]
        and WRONG_CHECK in detail[0]
        and "文件“export_20230801.csv”" in detail[0]  # the file by its own name
    )
    assert detail[1:] == ("error", "platform", WRONG_CHECK, "石家庄")


def test_suggest_code_only_when_certain():
    assert suggest_code(GOOD.replace("0", "O", 1)) == GOOD
    assert suggest_code(WRONG_CHECK) is None  # a wrong check character has no certain fix
    assert suggest_code("9113O1OOMAOOOOOOOY") is None  # too many look-alikes to be sure
