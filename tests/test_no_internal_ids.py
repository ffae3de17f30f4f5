"""People see labels, never internal ids: every page (text, cells, options, charts) and every workbook."""

import re
from pathlib import Path

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from lingpao.access.users import User, save_users
from lingpao.foundation.layout import Layout
from lingpao.foundation.programme import load_programme
from lingpao.labels import FIELDS, SEVERITY, SOURCE, STATUS
from lingpao.quality.rules import RULES
from tests.helpers import copy_warehouse, lingpao_cli, shown

ROOT = Path(__file__).resolve().parent.parent
PROGRAMME = load_programme(2023)
IDS = sorted(
    {
        *RULES,
        *PROGRAMME.types,
        *PROGRAMME.directions,
        *PROGRAMME.stage_labels,
        *SEVERITY,
        *SOURCE,
        *STATUS,
        *FIELDS,
        "check_character",
        "division_prefix",
        "phone_kind",
        "evidence_missing",
    },
    key=len,
    reverse=True,
)
# An id as a word of its own: not inside another word, a path (`platform/…`) or a file name.
PATTERN = re.compile(r"(?<![\w/.\-])(" + "|".join(map(re.escape, IDS)) + r")(?![\w/.\-])")


def ids_in(texts: list[str]) -> set[str]:
    return {m.group(1) for text in texts for m in PATTERN.finditer(text)}


@pytest.fixture(scope="module")
def warehouse(sample_run, tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("labels")
    target = copy_warehouse(sample_run, base)
    steward = User(id="steward@example.com", role="steward", name="管理员")
    save_users(Layout.resolve(warehouse=target).users, {steward.id: steward}, PROGRAMME.units)
    return target


@pytest.mark.parametrize("page", ["progress", "quality", "queue", "shortlist", "clusters"])
def test_no_page_shows_an_internal_id(warehouse, monkeypatch, page):
    monkeypatch.setenv("LINGPAO_WAREHOUSE", str(warehouse))
    at = AppTest.from_file(str(ROOT / "lingpao" / "dashboard" / "app.py"), default_timeout=180)
    at.user = {"email": "steward@example.com", "is_logged_in": True}
    at.run()
    if page != "progress":
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception
    texts, frames = shown(at)
    cells = [str(v) for f in frames for v in [*f.columns, *f.to_numpy().ravel()]]
    assert ids_in(texts + cells) == set(), page


def test_no_workbook_shows_an_internal_id(warehouse, tmp_path):
    where = ["--warehouse", str(warehouse)]
    for args in (
        ["export", "summary", "--out", str(tmp_path / "summary.xlsx")],
        ["export", "shortlist", "--out", str(tmp_path / "shortlist.xlsx")],
        ["export", "feedback", "--all", "--out-dir", str(tmp_path / "feedback")],
        ["corrections", "template", str(tmp_path / "template.xlsx")],
    ):
        done = lingpao_cli(*args, *where, timeout=300)
        assert done.returncode == 0, done.stderr
    for workbook in sorted(tmp_path.rglob("*.xlsx")):
        texts = [
            str(cell.value)
            for sheet in openpyxl.load_workbook(workbook).worksheets
            for row in sheet.iter_rows()
            for cell in row
            if cell.value is not None
        ] + [sheet.title for sheet in openpyxl.load_workbook(workbook).worksheets]
        assert ids_in(texts) == set(), workbook.name
