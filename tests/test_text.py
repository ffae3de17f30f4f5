"""Folding and normalisation of single values (§2.4): meaning never changes."""

import duckdb
import pytest

from lingpao.foundation.programme import load_programme
from lingpao.foundation.text import fold_header, fold_unit, is_ellipsis
from lingpao.ingest.normalise import normalised_values


def normalised(expression: str, text: str):
    """A text normalised by the pipeline's own SQL macro (the one the run uses)."""
    with duckdb.connect() as conn:
        return normalised_values(conn, load_programme(2023), expression, [text])[0]


def normalise_code(text: str):
    return normalised("norm_code(f)", text)


def normalise_phone(text: str):
    return normalised("norm_phone(f)", text)


CODE = "91130100MA0000000Y"


@pytest.mark.parametrize(
    "spelling",
    [
        CODE,
        CODE.lower(),
        "９１１３０１００ＭＡ０００００００Ｙ",
        "９１１３０１００ｍａ０００００００ｙ",
        "911301 00MA00 00000Y",
        f"\u3000{CODE} ",
        f" {CODE}\t",
    ],
)
def test_code_spellings_normalise_to_the_canonical_code(spelling):
    assert normalise_code(spelling) == CODE


def test_a_wrong_character_is_not_fixed_silently():
    assert normalise_code("91130100MA0000000O") == "91130100MA0000000O"
    assert normalise_code("   ") is None


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("13812345678.0", "13812345678"),
        ("13812345678", "13812345678"),
        ("1.3812345678E10", "13812345678"),
        ("0311-85866036", "0311-85866036"),
        ("０３１１－８５８６６０３６", "0311-85866036"),
        ("", None),
    ],
)
def test_phones_keep_their_digits(raw, expected):
    assert normalise_phone(raw) == expected


def test_units_lose_only_a_trailing_shi():
    assert fold_unit("石家庄市") == "石家庄"
    assert fold_unit(" 石家庄 ") == "石家庄"
    assert fold_unit("雄安新区") == "雄安新区"


def test_headers_fold_units_brackets_and_spaces():
    assert fold_header("营业收入2022（万元）") == fold_header("营业收入2022")
    assert fold_header("所属县（市、区）") == fold_header("所属县(市、区)")
    assert fold_header(" 所属 集群 ") == fold_header("所属集群")


@pytest.mark.parametrize(
    "cell,expected",
    [
        ("…", True),
        ("……", True),
        ("...", True),
        ("⋯", True),
        ("1", False),
        ("", False),
        ("某公司", False),
    ],
)
def test_ellipsis_rows(cell, expected):
    assert is_ellipsis(cell) is expected


def test_programme_labels(programme):
    assert programme.type_of("认定") == "certification"
    assert programme.type_of('"领跑者"企业认定') == "certification"
    assert programme.type_of("“领跑者”企业认定") == "certification"
    assert programme.type_of("领跑者企业认定") == "certification"
    assert programme.type_of("入库培育") == "pool_entry"
    assert programme.type_of("信息更新") == "info_update"
    assert programme.type_of("其他") is None
    assert programme.direction_of("科技创新发展") == "innovation"
    assert programme.direction_of("科技创新发展、绿色低碳发展") is None
    assert programme.stage_of("市级已确认入库") == "city_confirmed"
    assert programme.unit_of("石家庄市") == "石家庄"
    assert programme.unit_of("北京市") is None
    assert programme.unit_of("雄安") == "雄安新区"
    assert programme.unit_in("石家庄市推荐“领跑者”企业培育及认定申报汇总表") == "石家庄"
    assert programme.unit_in("推荐“领跑者”企业培育及认定申报汇总表") is None


def test_programme_file_keeps_its_facts_at_the_top_level(programme):
    """A key written after a [table] header silently moves into that table: read every fact strictly."""
    assert programme.hebei_prefix == "13"
    assert programme.timezone == "Asia/Shanghai"
    assert (
        str(programme.city_tables_due) == "2023-07-30"
        and str(programme.feedback_due) == "2023-08-04"
    )
    assert (
        len(programme.units) == 14 and len(programme.directions) == 6 and len(programme.types) == 3
    )


def test_characters_nfkc_blanks_are_exactly_the_listed_ones():
    """Blank rows are found by a character class, then confirmed with NFKC: the class must hold
    every character the NFKC used by the warehouse (pyarrow's) turns into whitespace only."""
    import re

    import pyarrow as pa
    import pyarrow.compute as pc

    from lingpao.ingest.raw import BLANK_AFTER_NFKC

    points = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    normalised = pc.utf8_normalize(pa.array([chr(c) for c in points]), "NFKC").to_pylist()
    blanking = {
        chr(c) for c, n in zip(points, normalised, strict=True) if not re.search(r"[^\t\n\f\r ]", n)
    }
    listed = {
        chr(c)
        for c in range(0x110000)
        if not 0xD800 <= c <= 0xDFFF and re.fullmatch(f"[{BLANK_AFTER_NFKC}]", chr(c))
    }
    assert blanking == listed
